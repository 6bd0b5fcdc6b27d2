"""The proactive path's nodes: is a follow-up due and allowed now, and if so claim and write it
(the graph then sends it through `nodes.send_message`); and, for the campaign page, what the
next one will be and when."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from agent.conf import agent_settings
from agent.messages import compose
from agent.nodes import S, message_context, message_to_send
from agent.state import AgentState
from campaigns.choices import MessageKind
from campaigns.models import Campaign
from campaigns.status import campaign_move
from messaging.conversation import channel_for
from messaging.policy import DAILY_CAP, WEEKLY_CAP, in_send_window, proactive_send_time

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


@dataclass(frozen=True)
class NextMessage:
    """What the AI will send on its own in a campaign, and when — or why it sends nothing."""

    text: str = ""
    kind: str = ""
    channel: str = ""
    at: dt.datetime | None = None
    waits_for: str = ""  # why `at` is later than the attempt is due
    nothing_because: str = ""


def next_message(campaign: Campaign, *, now: dt.datetime | None = None) -> NextMessage:
    """The follow-up `check_follow_up` would let out next, read without claiming or writing
    anything: its words, its channel and the earliest time the send window and the caps allow
    (the due-follow-ups job sends it at its first run from then)."""
    now = now or timezone.now()
    patient = campaign.patient
    first = patient.first_name or "The patient"
    if patient.is_opted_out:
        return NextMessage(nothing_because=f"{first} opted out: nothing goes out.")
    if campaign.status != S.ATTEMPTING_RECOVERY:
        return NextMessage(nothing_because=_WAITING.get(campaign.status, CLOSED).format(first))
    if campaign.attempts_made >= campaign.max_attempts:
        return NextMessage(
            nothing_because=f"All {campaign.max_attempts} messages have gone out: with no "
            "answer the campaign closes as no reply at the next check."
        )
    due = max(campaign.next_attempt_at or now, now)
    at = proactive_send_time(patient.pk, due)
    kind = MessageKind.OUTREACH if campaign.attempts_made == 0 else MessageKind.FOLLOW_UP
    state = {"campaign": campaign, "patient": patient}
    return NextMessage(
        text=compose(kind, message_context(state)),
        kind=kind,
        channel=channel_for(patient, kind, campaign=campaign, now=at),
        at=at,
        waits_for=_waits_for(patient.pk, due) if at > due else "",
    )


CLOSED = "The campaign is closed: the AI sends nothing more."
_WAITING = {
    S.RE_ENGAGED: "{} answered: the AI replies to their messages and sends no follow-up.",
    S.HANDOFF_REQUIRED: "With staff: the AI sends nothing until someone hands it back.",
    S.BOOKING_INITIATED: "A booking is in progress: the AI sends nothing on its own.",
}


def _waits_for(patient_id: str, due: dt.datetime) -> str:
    if not in_send_window(due):
        return "the clinic's send window for messages the patient did not ask for"
    return f"the limit of {DAILY_CAP} such message a day and {WEEKLY_CAP} a week to one patient"
