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
