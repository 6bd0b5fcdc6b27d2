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


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
