from django.db import models


class CampaignType(models.TextChoices):
    RECALL = "RECALL", "Recall"
    RECOVERY = "RECOVERY", "Recovery"


class CampaignStatus(models.TextChoices):
    # Labels are the words staff read everywhere (dashboard.labels names the changes after them).
    # Active
    ATTEMPTING_RECOVERY = "ATTEMPTING_RECOVERY", "Reaching out"
    RE_ENGAGED = "RE_ENGAGED", "With the AI"
    HANDOFF_REQUIRED = "HANDOFF_REQUIRED", "With staff"
    BOOKING_INITIATED = "BOOKING_INITIATED", "Booking in progress"
    # Closed
    RECOVERED = "RECOVERED", "Visit completed"
    RECOVERY_FAILED = "RECOVERY_FAILED", "Closed: no reply"
    RECOVERY_DECLINED = "RECOVERY_DECLINED", "Closed: declined"
    MANUAL_FOLLOWUP_COMPLETE = "MANUAL_FOLLOWUP_COMPLETE", "Closed: handled by staff"
    BOOKING_COMPLETED = "BOOKING_COMPLETED", "Booked"


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


class HandoffReason(models.TextChoices):
    AI_UNAVAILABLE = "ai_unavailable", "The AI could not answer"
    UNANSWERED_QUESTION = "unanswered_question", "Question the knowledge base does not answer"
    PAIN_OR_EMERGENCY = "pain_or_emergency", "Pain or a possible emergency"
    BILLING = "billing", "Billing or insurance account question"
    COMPLAINT = "complaint", "Complaint"
    HUMAN_REQUESTED = "human_requested", "Asked for a person"
    APPOINTMENT_CHANGE = "appointment_change", "Change or cancel an existing appointment"
    NOT_ENGLISH = "not_english", "Not written in English"
    PROMPT_INJECTION = "prompt_injection", "Tried to instruct the assistant"
    CLINICAL_QUESTION = "clinical_question", "A clinical question for the dentist"
    RECORD_CHANGE = "record_change", "Change of contact details or of who to contact"
    CONFUSED = "confused", "Does not recognise the clinic or the message"
    UNCLEAR = "unclear", "No clear request"


class MessageKind(models.TextChoices):
    """What a message is for. The sending door applies its policy by kind (the TCPA caps count
    the proactive kinds; an opted-out patient still gets their opt-out's confirmation once),
    and WhatsApp templates are configured per kind."""

    OUTREACH = "outreach", "First outreach"
    FOLLOW_UP = "follow_up", "Follow-up"
    BOOKING_LINK = "booking_link", "Booking link"
    ANSWER = "answer", "Answer with booking link"
    HANDOFF_NOTICE = "handoff_notice", "Handoff notice"
    CLOSE = "close", "Polite close"
    OPT_OUT_CONFIRMATION = "opt_out_confirmation", "Opt-out confirmation"
    OPT_IN_CONFIRMATION = "opt_in_confirmation", "Re-subscribe confirmation"
    BOOKING_CONFIRMATION = "booking_confirmation", "Visit confirmation"
    VISIT_CANCELLED = "visit_cancelled", "Visit cancellation notice"
    VISIT_MOVED = "visit_moved", "Visit moved notice"
    MISSED_VISIT = "missed_visit", "Missed-visit message"
    SLOT_OFFER = "slot_offer", "Freed-time offer (ASAP list)"
    SLOT_TAKEN = "slot_taken", "Freed time already taken"
    VISIT_REPLY = "visit_reply", "Answer about a visit"
    REMINDER = "reminder", "Visit reminder"
    STAFF = "staff", "Staff reply"
    REPLY = "reply", "Patient's message"


PROACTIVE_KINDS = frozenset({MessageKind.OUTREACH, MessageKind.FOLLOW_UP})
# About a visit, worded by appointments.notices (not by the agent).
VISIT_KINDS = frozenset(
    {
        MessageKind.BOOKING_CONFIRMATION,
        MessageKind.REMINDER,
        MessageKind.VISIT_CANCELLED,
        MessageKind.VISIT_MOVED,
        MessageKind.MISSED_VISIT,
        MessageKind.SLOT_OFFER,
        MessageKind.SLOT_TAKEN,
    }
)
