"""The agent's entry points for webhooks, tasks, commands and the dashboard. Each runs the
graph once and returns what happened (an outcome word; no patient data)."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from agent.graph import agent_graph
from campaigns.choices import CampaignStatus, Direction, HandoffReason
from campaigns.handoff import campaign_hand_off
from campaigns.models import Campaign
from campaigns.triggers import TriggerResult, due_campaigns_start
from messaging.conversation import message_handled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentRun:
    outcome: str
    campaign_id: str
    action: str = ""
    sent_interaction_id: str = ""
    incoming_interaction_id: str = ""


def _run(state: dict) -> AgentRun:
    try:
        result = agent_graph().invoke(state)
    except Exception:
        if state["trigger"] != "reactive":
            raise
        # The reply was stored first; whatever broke after, a person must see it.
        logger.exception("agent failed on a reply: campaign %s", state["campaign_id"])
        handed = _hand_off_after_failure(state["campaign_id"])
        return AgentRun(
            outcome="error_handed_off" if handed else "error", campaign_id=state["campaign_id"]
        )
    decision = result.get("decision")
    sent = result.get("sent")
    incoming = result.get("incoming")
    if incoming is not None:
        message_handled(incoming)
    return AgentRun(
        outcome=result.get("outcome", ""),
        campaign_id=state["campaign_id"],
        action=decision.action if decision else "",
        sent_interaction_id=sent.pk if sent else "",
        incoming_interaction_id=incoming.pk if incoming else "",
    )


def _hand_off_after_failure(campaign_id: str) -> bool:
    """A person answers what the agent could not: the campaign is handed off, and its
    messages waiting for an outcome have one."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return False
    summary = (
        "The assistant failed while handling the patient's last message: please read the "
        "conversation and answer it."
    )
    handed = campaign_hand_off(
        campaign, reason=HandoffReason.AI_UNAVAILABLE, summary=summary, now=timezone.now()
    )
    for incoming in campaign.interactions.filter(direction=Direction.INCOMING, handled_at=None):
        message_handled(incoming)
    return handed


def agent_handle_reply(
    *,
    campaign_id: str,
    text: str,
    external_id: str = "",
    channel: str = "",
    now: dt.datetime | None = None,
) -> AgentRun:
    """The reactive path: record the patient's message (which came on `channel`, by default
    the campaign's), decide, act, answer."""
    return _run(
        {
            "trigger": "reactive",
            "campaign_id": campaign_id,
            "text": text,
            "external_id": external_id,
            "channel": channel,
            "now": now or timezone.now(),
        }
    )


def agent_run_proactive(*, campaign_id: str, now: dt.datetime | None = None) -> AgentRun:
    """The proactive path for one campaign: the next outreach message if it is due (and the
    window and caps allow), RECOVERY_FAILED at max attempts, else nothing."""
    return _run({"trigger": "proactive", "campaign_id": campaign_id, "now": now or timezone.now()})


def campaigns_due(*, now: dt.datetime, limit: int = 500) -> list[str]:
    """Active ATTEMPTING_RECOVERY campaigns whose next attempt has come (or was never set)."""
    return list(
        Campaign.objects.filter(is_active=True, status=CampaignStatus.ATTEMPTING_RECOVERY)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def agent_run_due_followups(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Run the proactive path for every due campaign. Safe beside another worker: each send
    is claimed by a conditional update first. Returns outcome counts."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for campaign_id in campaigns_due(now=now, limit=limit):
        try:
            outcome = agent_run_proactive(campaign_id=campaign_id, now=now).outcome
        except Exception:  # one bad campaign must not stop the others
            logger.exception("follow-up failed: campaign %s", campaign_id)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def daily_trigger_run(
    *, today: dt.date | None = None, now: dt.datetime | None = None, **options
) -> TriggerResult:
    """The daily trigger (SPEC §7): start today's campaigns, then one bounded proactive pass
    (FOLLOWUP_BATCH_SIZE campaigns) so the first messages go out now when the send window is
    open; the due-follow-ups job sends the rest minutes later and defers what falls outside
    the window. `options` go to `due_campaigns_start` (batch_size, progress)."""
    now = now or timezone.now()
    result = due_campaigns_start(today=today, now=now, **options)
    result.outcomes = agent_run_due_followups(now=now, limit=settings.FOLLOWUP_BATCH_SIZE)
    logger.info("daily trigger %s: %s", result.today.isoformat(), result.as_counts())
    return result
