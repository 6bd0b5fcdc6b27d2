import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from dentalai.choices import Channel
from dentalai.models import ObjectIdModel
from messaging.choices import DeliveryState, OutgoingEvent, WebhookSource, WebhookStatus


class WebhookEvent(ObjectIdModel):
    """A notification received from Gmail, Twilio or the generic webhook, stored before any
    work is done. The provider's id is unique per source, so a redelivery is recognised."""

    source = models.CharField(max_length=20, choices=WebhookSource.choices)
    event_id = models.CharField(max_length=255)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED
    )
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A drain's claim (messaging.events): no other drain takes the event before this time, and
    # a dead worker's claim runs out, so its event is taken over.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a drain has taken it up."
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="webhook_event_unique"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="webhook_status_idx")]

    def __str__(self):
        return f"{self.source} {self.event_id}"


class GmailMailbox(ObjectIdModel):
    """The clinic's Gmail mailbox: where history sync resumes and when the watch lapses."""

    email_address = models.EmailField(unique=True)
    last_history_id = models.CharField(max_length=32, blank=True, default="")
    watch_expiration = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Gmail mailbox"
        verbose_name_plural = "Gmail mailboxes"

    def __str__(self):
        return self.email_address


class OutboxMessage(ObjectIdModel):
    """A message the outbox backend "sent": kept here instead of going to Gmail or Twilio, so
    that development and demos work offline and staff can see what would have gone out."""

    channel = models.CharField(max_length=16, choices=Channel.choices)
    to = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField()
    invites = models.JSONField(
        default=list,
        blank=True,
        help_text='The calendar invites an email carried: [{"method": "REQUEST", "ical": …}].',
    )
    thread_id = models.CharField(max_length=255, blank=True, default="")
    interaction = models.ForeignKey(
        "campaigns.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbox message"

    def __str__(self):
        return f"{self.channel} message {self.pk}"


def webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(ObjectIdModel):
    """A URL the clinic's practice-management bridge listens on: the events it asked for are
    POSTed to it as JSON, signed with its own secret (messaging.outgoing)."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The event names it receives.")
    secret = models.CharField(
        max_length=100,
        default=webhook_secret,
        help_text="Keys the X-Signature-256 header; give it to the receiver.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        unknown = sorted(set(self.events) - set(OutgoingEvent.values))
        if not isinstance(self.events, list) or unknown:
            raise ValidationError({"events": f"Unknown events: {', '.join(map(str, unknown))}."})
        if not self.events:
            raise ValidationError({"events": "Choose at least one event."})
        if not settings.DEBUG and not self.url.startswith("https://"):
            raise ValidationError(
                {"url": "The URL must start with https:// (it carries patient data)."}
            )


class WebhookDelivery(ObjectIdModel):
    """One event for one endpoint, and every attempt at it: the same `event_id` and body on
    each retry, so the receiver can recognise a repeat."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=OutgoingEvent.choices)
    event_id = models.CharField(max_length=36)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # An attempt's claim: no other worker sends it before this time; a dead worker's runs out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status")
    last_error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self):
        return f"{self.event} to {self.endpoint}"
