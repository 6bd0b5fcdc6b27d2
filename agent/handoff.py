"""Handing a conversation to a person: the decision that says so when no brain could, and the
alert to staff."""

import logging

from django.conf import settings
from django.urls import reverse

from agent.brains import Conversation, Decision
from agent.brains.offline import sentiment_of, summarize
from agent.choices import Action
from agent.conf import agent_settings
from agent.text import clean_reply
from campaigns.choices import HandoffReason
from campaigns.models import Campaign
from dentalai.choices import Channel
from messaging.backends import OutgoingMessage, backend_for

logger = logging.getLogger(__name__)


def handoff_decision(
    conversation: Conversation, *, reason: str, like: Decision | None = None
) -> Decision:
    """A HANDOFF for `reason`, with the staff summary. `like`: the brain's decision it replaces
    (an answer the knowledge base does not back), whose reading of the reply it keeps."""
    body = clean_reply(conversation.reply)
    return Decision(
        action=Action.HANDOFF,
        intent=like.intent if like else "unknown",
        sentiment=like.sentiment if like else sentiment_of(body)[0],
        confidence=like.confidence if like else 0.0,
        brain=like.brain if like else "none",
        reason=reason,
        summary=summarize(conversation, body, reason),
    )


def notify_staff_of_handoff(campaign: Campaign, reason: str) -> bool:
    """Email HANDOFF_NOTIFY_EMAIL through the email backend (outbox or Gmail). The email names
    the reason and links to the campaign; the patient's words stay in the app."""
    address = agent_settings().handoff_notify_email
    if not address:
        return False
    label = HandoffReason(reason).label if reason in HandoffReason.values else reason
    try:
        url = settings.SITE_URL + reverse("dashboard:campaign", args=[campaign.pk])
        backend_for(Channel.EMAIL).send(
            OutgoingMessage(
                channel=Channel.EMAIL,
                to=address,
                subject=f"[{settings.CLINIC_NAME}] A conversation needs a person: {label}",
                body=(
                    f"A patient conversation was handed to staff.\n\nReason: {label}\n"
                    f"Campaign: {campaign.pk}\nOpen it: {url}\n"
                ),
            )
        )
    except Exception:  # the handoff stands even if the alert fails
        logger.exception("handoff alert failed: campaign %s", campaign.pk)
        return False
    return True
