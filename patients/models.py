import contextlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dentalai.choices import Channel
from dentalai.models import ObjectIdModel
from patients.choices import PatientType
from patients.contact import normalize_email, normalize_phone


class Patient(ObjectIdModel):
    """Everyone the clinic talks to: existing patients (recall) and cold leads (recovery).

    Email and phone are each unique when present; the phone is kept in E.164.
    """

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="", help_text="E.164")
    patient_type = models.CharField(
        max_length=16, choices=PatientType.choices, default=PatientType.COLD_LEAD
    )
    preferred_channels = models.JSONField(
        default=list, blank=True, help_text='Ordered, e.g. ["sms", "email"].'
    )
    initial_inquiry = models.TextField(blank=True, default="")
    next_follow_up_date = models.DateField(null=True, blank=True, db_index=True)
    next_recommended_follow_up = models.CharField(max_length=200, blank=True, default="")
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=Q(email__gt=""), name="patient_email_unique"
            ),
            models.UniqueConstraint(
                fields=["phone"], condition=Q(phone__gt=""), name="patient_phone_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["patient_type", "opted_out_at"], name="patient_type_optout_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def is_opted_out(self) -> bool:
        return self.opted_out_at is not None

    def has_address(self, channel: str) -> bool:
        """Whether the patient can be written to on `channel` (email, or a phone for SMS and
        WhatsApp)."""
        return bool(self.email if channel == Channel.EMAIL else self.phone)

    def clean(self):
        self.email = normalize_email(self.email)
        self.phone = normalize_phone(self.phone)  # raises ValidationError when invalid
        unknown = [c for c in self.preferred_channels or [] if c not in Channel.values]
        if not isinstance(self.preferred_channels, list) or unknown:
            raise ValidationError(
                {"preferred_channels": f"A list of {', '.join(Channel.values)}; got {unknown}."}
            )

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        # Forms and services validate first; never lose a record over formatting here.
        with contextlib.suppress(ValidationError):
            self.phone = normalize_phone(self.phone)
        super().save(*args, **kwargs)


class TreatmentRecord(ObjectIdModel):
    """A past procedure, and when the patient should come back for the next one."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="treatments")
    procedure_name = models.CharField(max_length=200)
    procedure_date = models.DateField()
    next_recommended_follow_up = models.CharField(max_length=200, blank=True, default="")
    next_follow_up_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-procedure_date"]
        indexes = [models.Index(fields=["patient", "procedure_date"], name="treatment_patient_idx")]

    def __str__(self):
        return f"{self.procedure_name} on {self.procedure_date}"
