from django.db import models
from django.utils import timezone

from dentalai.choices import Channel
from dentalai.models import ObjectIdModel
from messaging.choices import WebhookSource, WebhookStatus


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
