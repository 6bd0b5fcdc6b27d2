from django.db import models


class CampaignType(models.TextChoices):
    RECALL = "RECALL", "Recall"
    RECOVERY = "RECOVERY", "Recovery"


class CampaignStatus(models.TextChoices):
    # Active
    ATTEMPTING_RECOVERY = "ATTEMPTING_RECOVERY", "Attempting recovery"
    RE_ENGAGED = "RE_ENGAGED", "Re-engaged"
    HANDOFF_REQUIRED = "HANDOFF_REQUIRED", "Handoff required"
    BOOKING_INITIATED = "BOOKING_INITIATED", "Booking initiated"
    # Closed
    RECOVERED = "RECOVERED", "Recovered"
    RECOVERY_FAILED = "RECOVERY_FAILED", "Recovery failed (unresponsive)"
    RECOVERY_DECLINED = "RECOVERY_DECLINED", "Declined"
    MANUAL_FOLLOWUP_COMPLETE = "MANUAL_FOLLOWUP_COMPLETE", "Manual follow-up complete"
    BOOKING_COMPLETED = "BOOKING_COMPLETED", "Booking completed"


class BookingStatus(models.TextChoices):
    FORM_SENT = "FORM_SENT", "Booking link sent"
    FORM_SUBMITTED = "FORM_SUBMITTED", "Booking form submitted"


class Direction(models.TextChoices):
    INCOMING = "incoming", "Incoming"
    OUTGOING = "outgoing", "Outgoing"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    RECEIVED = "received", "Received"
