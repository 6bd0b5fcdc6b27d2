import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dentalai.choices import Channel
from dentalai.models import ObjectIdModel
from patients.choices import ImportStatus, PatientType
from patients.contact import normalize_email, normalize_phone
from patients.imports.mappings import FIELDS, unknown_fields


class Patient(ObjectIdModel):
    """Everyone the clinic talks to: existing patients (recall) and cold leads (recovery).

    Email, phone and the practice-management system's id are each unique when present; the
    phone is kept in E.164.
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
    texts_allowed = models.BooleanField(
        default=True, help_text="Agreed to SMS and WhatsApp messages (Open Dental's TxtMsgOk)."
    )
    external_id = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The patient's id in the practice-management system (Open Dental's PatNum).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(email__gt=""),
                name="patient_email_unique",
                violation_error_message="Another patient on file has this email address.",
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(phone__gt=""),
                name="patient_phone_unique",
                violation_error_message="Another patient on file has this phone number.",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__gt=""),
                name="patient_external_id_unique",
                violation_error_message="Another patient on file has this patient id.",
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
        """Whether the patient can be written to on `channel`: an email address, or a phone and
        consent to texts for SMS and WhatsApp."""
        if channel == Channel.EMAIL:
            return bool(self.email)
        return bool(self.phone) and self.texts_allowed

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


class ImportMapping(ObjectIdModel):
    """A clinic's own reading of its export's columns ({header: field}, patients.imports),
    saved under a name for the next import."""

    name = models.CharField(max_length=100, unique=True)
    columns = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        columns = self.columns
        if not isinstance(columns, dict) or not all(isinstance(h, str) for h in columns):
            raise ValidationError({"columns": "An object of {header: field}."})
        unknown = unknown_fields(columns)
        if unknown:
            raise ValidationError(
                {"columns": f"Unknown fields: {', '.join(unknown)}; known: {', '.join(FIELDS)}."}
            )


class PatientImport(ObjectIdModel):
    """One file uploaded on the dashboard's import page: the columns staff chose, then the
    background job's progress and report (patients.imports.jobs). The file holds patient data,
    so it is deleted as soon as the import is done; the report stays."""

    file = models.FileField(upload_to="imports/", blank=True)
    filename = models.CharField(max_length=200)
    columns = models.JSONField(default=dict, blank=True)  # {header: field}, as in ImportMapping
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.DRAFT
    )
    lines_total = models.PositiveIntegerField(null=True, blank=True)
    lines_done = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)  # ImportReport's counts and problems
    error = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Every page the job finishes moves this: a run whose heartbeat stopped was killed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"
