"""The proactive path's nodes: is a follow-up due and allowed now, and if so claim and write it
(the graph then sends it through `nodes.send_message`)."""

import logging

from agent.conf import agent_settings
from agent.messages import compose
from agent.nodes import S, message_context, message_to_send
from agent.state import AgentState
from campaigns.choices import MessageKind
from campaigns.models import Campaign
from campaigns.status import campaign_move
from messaging.policy import proactive_send_time

logger = logging.getLogger(__name__)


def check_follow_up(state: AgentState) -> AgentState:
    """Is it time for a follow-up, and may one go now? Max attempts reached → unresponsive;
    outside the send window or over the caps → deferred; else the next message."""
    campaign, patient, now = state["campaign"], state["patient"], state["now"]
    if campaign.status != S.ATTEMPTING_RECOVERY or patient.is_opted_out:
        return {"route": "end", "outcome": "not_attempting"}
    if campaign.next_attempt_at and campaign.next_attempt_at > now:
        return {"route": "end", "outcome": "not_due"}
    if campaign.attempts_made >= campaign.max_attempts:
        return {"route": "max_attempts"}
    when = proactive_send_time(patient.pk, now)
    if when > now:
        return {"route": "defer", "defer_until": when}
    return {"route": "follow_up"}


def mark_unresponsive(state: AgentState) -> AgentState:
    """RECOVERY_FAILED (the seed's RECOVERY_UNRESPONSIVE); nothing is sent."""
    campaign, now = state["campaign"], state["now"]
    moved = campaign_move(campaign, S.RECOVERY_FAILED, now=now, next_attempt_at=None)
    return {"outcome": "max_attempts" if moved else "changed_meanwhile", "route": "record"}


def defer_follow_up(state: AgentState) -> AgentState:
    campaign, when = state["campaign"], state["defer_until"]
    Campaign.objects.filter(
        pk=campaign.pk,
        status=S.ATTEMPTING_RECOVERY,
        attempts_made=campaign.attempts_made,
        next_attempt_at=campaign.next_attempt_at,
    ).update(next_attempt_at=when, updated_at=state["now"])
    logger.info("follow-up deferred: campaign %s until %s", campaign.pk, when.isoformat())
    return {"outcome": "deferred", "route": "end"}


def generate_follow_up(state: AgentState) -> AgentState:
    """Claim the attempt (a conditional update: of two workers, one wins), then write it."""
    campaign, now = state["campaign"], state["now"]
    interval = agent_settings().follow_up_interval
    claimed = Campaign.objects.filter(
        pk=campaign.pk,
        status=S.ATTEMPTING_RECOVERY,
        attempts_made=campaign.attempts_made,
        next_attempt_at=campaign.next_attempt_at,
    ).update(
        attempts_made=campaign.attempts_made + 1,
        next_attempt_at=now + interval,
        updated_at=now,
    )
    if not claimed:
        return {"outcome": "claimed_elsewhere", "route": "end"}
    kind = MessageKind.OUTREACH if campaign.attempts_made == 0 else MessageKind.FOLLOW_UP
    text = compose(kind, message_context(state))
    campaign.attempts_made += 1
    campaign.next_attempt_at = now + interval
    return message_to_send(kind, text, expected_status=S.ATTEMPTING_RECOVERY)
