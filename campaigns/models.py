from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaigns.choices import (
    BookingStatus,
    CampaignStatus,
    CampaignType,
    DeliveryStatus,
    Direction,
    HandoffReason,
    MessageKind,
)
from campaigns.status import is_active_status
from dentalai.choices import Channel
from dentalai.models import ObjectIdModel
from patients.models import Patient


def default_max_attempts() -> int:
    return settings.CAMPAIGN_MAX_ATTEMPTS


class Campaign(ObjectIdModel):
    """One outreach effort to one patient: a recall when a visit is due, or the recovery of a
    cold lead. At most one is active per patient (the database refuses a second)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="campaigns")
    campaign_type = models.CharField(max_length=16, choices=CampaignType.choices)
    status = models.CharField(
        max_length=32, choices=CampaignStatus.choices, default=CampaignStatus.ATTEMPTING_RECOVERY
    )
    # Derived from status (campaigns.status); stored so the database can enforce uniqueness.
    is_active = models.BooleanField(default=True, editable=False)
    channel_type = models.CharField(max_length=16, choices=Channel.choices)
    thread_id = models.CharField(
        max_length=255,
        blank=True,
        default="",
        db_index=True,
        help_text="Gmail thread id, or the patient's E.164 number (whatsapp:+… for WhatsApp).",
    )
    engagement_summary = models.TextField(blank=True, default="")
    attempts_made = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=default_max_attempts)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    booking_status = models.CharField(
        max_length=16, choices=BookingStatus.choices, blank=True, default=""
    )
    booking_link = models.CharField(max_length=500, blank=True, default="")
    booking_submitted_at = models.DateTimeField(null=True, blank=True)
    # The handoff as queried (the queue sorts by when it was asked for); the JSON is for display.
    handoff_reason = models.CharField(
        max_length=32, choices=HandoffReason.choices, blank=True, default=""
    )
    handoff_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    handoff_details = models.JSONField(
        default=dict, blank=True, help_text="summary, reason, requested_at"
    )
    # Who on the staff owns the conversation while it waits for a person (campaigns.services).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_campaigns",
    )
    estimated_value = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    recall_due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(is_active=True),
                name="one_active_campaign_per_patient",
            ),
            models.UniqueConstraint(
                fields=["patient", "recall_due_date"],
                condition=Q(campaign_type=CampaignType.RECALL),
                name="one_recall_per_due_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="campaign_status_idx"),
            models.Index(fields=["campaign_type", "status"], name="campaign_type_status_idx"),
            models.Index(fields=["is_active", "next_attempt_at"], name="campaign_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_campaign_type_display()} for {self.patient} ({self.status})"

    def save(self, *args, **kwargs):
        self.is_active = is_active_status(self.status)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_active"}
        super().save(*args, **kwargs)


class Interaction(ObjectIdModel):
    """One message to or from a patient, either way, with the AI's analysis: part of a
    campaign's conversation, or on its own (a visit's confirmation or reminder)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="interactions")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="interactions"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        help_text="The visit the message is about (its confirmation, a reminder).",
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    kind = models.CharField(max_length=32, choices=MessageKind.choices, blank=True)
    content = models.TextField()
    ai_analysis = models.JSONField(
        default=dict, blank=True, help_text="intent, sentiment, action, confidence"
    )
    channel_type = models.CharField(max_length=16, choices=Channel.choices)
    external_id = models.CharField(
        max_length=255, blank=True, default="", help_text="The provider's message id."
    )
    delivery_status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True, default="")
    handled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Incoming: when it reached its outcome (an answer, a handoff, kept for "
        "staff). Empty while it is being handled, or if a crash cut its handling short.",
    )
    idempotency_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="Outgoing: what it answers or which attempt it is; one message per key.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who wrote it; empty for the AI or the patient.",
    )
    timestamp = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["timestamp"]
        constraints = [
            # Inbound de-duplication: a provider message is recorded once per channel.
            models.UniqueConstraint(
                fields=["channel_type", "external_id"],
                condition=Q(external_id__gt=""),
                name="interaction_external_id_unique",
            ),
            # One outgoing message per decision, however often the decision is resumed.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__gt=""),
                name="interaction_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "timestamp"], name="interaction_campaign_idx"),
            models.Index(fields=["direction", "timestamp"], name="interaction_direction_idx"),
            models.Index(fields=["patient", "timestamp"], name="interaction_patient_idx"),
        ]

    def __str__(self):
        return f"{self.direction} on {self.timestamp:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.patient_id is None and self.campaign_id is not None:
            self.patient_id = self.campaign.patient_id  # a campaign's message is its patient's
        super().save(*args, **kwargs)

    @property
    def sender_label(self) -> str:
        if self.direction == Direction.INCOMING:
            return "Patient"
        return str(self.author) if self.author_id else "AI"


class CampaignNote(ObjectIdModel):
    """A note staff leave on a conversation for each other: never sent to the patient."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"Note on {self.campaign_id} by {self.author}"
