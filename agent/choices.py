from django.db import models


class Action(models.TextChoices):
    """What the agent does with a patient reply. Listed in precedence order: when several
    apply, the first wins (SPEC §5). The last three only answer a visit's confirmation or
    reminder (SPEC §10): what the reply says about that visit."""

    OPT_OUT = "OPT_OUT", "Opt out"
    CLOSE_DECLINED = "CLOSE_DECLINED", "Close as declined"
    HANDOFF = "HANDOFF", "Hand off to staff"
    ANSWER_QUESTION = "ANSWER_QUESTION", "Answer from the knowledge base"
    SEND_BOOKING_LINK = "SEND_BOOKING_LINK", "Send the booking link"
    CONFIRM_VISIT = "CONFIRM_VISIT", "Confirm the visit"
    MOVE_VISIT = "MOVE_VISIT", "Send the visit's link to move it"
    CANCEL_VISIT = "CANCEL_VISIT", "Cancel the visit"


PRECEDENCE: tuple[str, ...] = tuple(Action.values)
VISIT_ACTIONS = frozenset({Action.CONFIRM_VISIT, Action.MOVE_VISIT, Action.CANCEL_VISIT})
# What a reply is read in the light of: a visit's confirmation or reminder, or the outreach.
REMINDER_CONTEXT = "reminder"


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
