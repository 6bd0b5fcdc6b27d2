from django.db import models


class WebhookSource(models.TextChoices):
    GMAIL = "gmail", "Gmail (Pub/Sub)"
    INCOMING_MESSAGE = "incoming_message", "Incoming message (generic)"
    TWILIO = "twilio", "Twilio"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    UNMATCHED = "unmatched", "Unmatched (needs staff)"
    FAILED = "failed", "Failed"


class OutgoingEvent(models.TextChoices):
    """What the outgoing webhooks tell a practice-management bridge (SPEC §11)."""

    APPOINTMENT_BOOKED = "appointment.booked", "A visit was booked"
    APPOINTMENT_MOVED = "appointment.moved", "A visit was moved"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "A visit was cancelled"
    APPOINTMENT_COMPLETED = "appointment.completed", "A visit was completed"
    APPOINTMENT_NO_SHOW = "appointment.no_show", "A patient did not come"
    PATIENT_OPTED_OUT = "patient.opted_out", "A patient opted out of messages"
    CAMPAIGN_HANDOFF = "campaign.handoff", "A conversation was handed to staff"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (retries used up)"
