from django.db import models


class Action(models.TextChoices):
    """What the agent does with a patient reply. Listed in precedence order: when several
    apply, the first wins (SPEC §5)."""

    OPT_OUT = "OPT_OUT", "Opt out"
    CLOSE_DECLINED = "CLOSE_DECLINED", "Close as declined"
    HANDOFF = "HANDOFF", "Hand off to staff"
    ANSWER_QUESTION = "ANSWER_QUESTION", "Answer from the knowledge base"
    SEND_BOOKING_LINK = "SEND_BOOKING_LINK", "Send the booking link"


PRECEDENCE: tuple[str, ...] = tuple(Action.values)


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


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class MessageKind(models.TextChoices):
    """What an outgoing message the agent writes is for (kept in its ai_analysis)."""

    OUTREACH = "outreach", "First outreach"
    FOLLOW_UP = "follow_up", "Follow-up"
    BOOKING_LINK = "booking_link", "Booking link"
    ANSWER = "answer", "Answer with booking link"
    HANDOFF_NOTICE = "handoff_notice", "Handoff notice"
    CLOSE = "close", "Polite close"
    OPT_OUT_CONFIRMATION = "opt_out_confirmation", "Opt-out confirmation"
    OPT_IN_CONFIRMATION = "opt_in_confirmation", "Re-subscribe confirmation"


PROACTIVE_KINDS = frozenset({MessageKind.OUTREACH, MessageKind.FOLLOW_UP})
