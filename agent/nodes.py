"""The graph's nodes: small functions, each named for what it decides or does. They read and
write the database through conditional updates (a claim or a status change happens only if the
row is still as it was read: SPEC §3.5), and log ids only, never message text."""

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agent.brains import Conversation, Decision, Turn, get_brain
from agent.brains.offline import sentiment_of
from agent.choices import REMINDER_CONTEXT, VISIT_ACTIONS, Action
from agent.handoff import handoff_decision, notify_staff_of_handoff
from agent.knowledge import KnowledgeBase
from agent.messages import MessageContext, compose, procedure_for
from agent.safety import grounded, strip_links
from agent.state import AgentState
from agent.text import clean_reply
from agent.visits import visit_act, visit_answer_fields, visit_in_question
from appointments.booking_links import booking_link_url
from campaigns.choices import (
    BookingStatus,
    CampaignStatus,
    DeliveryStatus,
    Direction,
    HandoffReason,
    MessageKind,
)
from campaigns.handoff import handoff_fields
from campaigns.models import Campaign
from campaigns.status import IllegalTransition, campaign_move
from dentalai.choices import Channel
from messaging.conversation import NotNow, PatientOptedOut, message_receive, message_send
from messaging.unsubscribe import unsubscribe_url
from patients.consent import is_opt_in, is_opt_out
from patients.models import Patient
from patients.optout import patient_opt_in, patient_opt_out

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 12
S = CampaignStatus


# --- Shared helpers ----------------------------------------------------------------------------


def message_to_send(kind: str, text: str, *, expected_status: str) -> AgentState:
    """Hand a composed message to the send node. `expected_status` is what the campaign must
    still have when it is re-read just before sending ("" for any)."""
    return {
        "message_kind": kind,
        "message_text": text,
        "expected_status": expected_status,
        "route": "send",
    }


def _booking_link(campaign: Campaign, now: dt.datetime) -> str:
    """The campaign's signed booking link, recorded on the campaign with status FORM_SENT (a
    submitted form stays FORM_SUBMITTED)."""
    url = booking_link_url(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(booking_link=url, updated_at=now)
    Campaign.objects.filter(
        pk=campaign.pk, booking_status__in=["", BookingStatus.FORM_SENT]
    ).update(booking_status=BookingStatus.FORM_SENT)
    campaign.refresh_from_db(fields=["booking_status", "booking_link", "updated_at"])
    return url


def message_context(state: AgentState, **extra) -> MessageContext:
    """What a message template may say about this campaign and patient (no contact details)."""
    campaign, patient = state["campaign"], state["patient"]
    return MessageContext(
        channel=campaign.channel_type,
        campaign_type=campaign.campaign_type,
        first_name=patient.first_name,
        procedure=procedure_for(campaign),
        attempt=campaign.attempts_made,
        max_attempts=campaign.max_attempts,
        unsubscribe_url=unsubscribe_url(patient) if campaign.channel_type == Channel.EMAIL else "",
        **extra,
    )


def conversation_for(state: AgentState) -> Conversation:
    """Minimum necessary data for a brain: the first name, the messages, the procedure."""
    campaign, patient = state["campaign"], state["patient"]
    incoming = state.get("incoming")
    turns = tuple(
        Turn("patient" if i.direction == Direction.INCOMING else "clinic", i.content)
        for i in state.get("history", [])
        if incoming is None or i.pk != incoming.pk
    )[-HISTORY_LIMIT:]
    return Conversation(
        reply=state.get("text", ""),
        first_name=patient.first_name,
        clinic_name=settings.CLINIC_NAME,
        campaign_type=campaign.campaign_type,
        channel=campaign.channel_type,
        procedure=procedure_for(campaign),
        history=turns,
        context=REMINDER_CONTEXT if state.get("visit") else "",
    )


# --- Load and route ------------------------------------------------------------------------------


def load_state(state: AgentState) -> AgentState:
    campaign = Campaign.objects.select_related("patient").filter(pk=state["campaign_id"]).first()
    now = state.get("now") or timezone.now()
    if campaign is None:
        return {"route": "end", "outcome": "no_campaign", "now": now}
    history = list(campaign.interactions.order_by("-timestamp")[:HISTORY_LIMIT])[::-1]
    return {
        "campaign": campaign,
        "patient": campaign.patient,
        "history": history,
        "now": now,
        "route": state["trigger"],
    }


def by_route(state: AgentState) -> str:
    return state.get("route", "end")


# --- Reactive path -------------------------------------------------------------------------------


def record_incoming(state: AgentState) -> AgentState:
    """Keep the patient's message before anything else: whatever happens next, it is never
    lost. A provider message id handled before is a redelivery: nothing more to do; one whose
    handling a crash cut short is handled now, as if it had just come."""
    campaign = state["campaign"]
    incoming = message_receive(
        state["patient"],
        state.get("channel") or campaign.channel_type,
        state.get("text", ""),
        campaign=campaign,
        external_id=state.get("external_id") or "",
        at=state["now"],
    )
    if incoming is None:
        return {"route": "end", "outcome": "duplicate"}
    logger.info("reply recorded: interaction %s campaign %s", incoming.pk, campaign.pk)
    visit = visit_in_question(state["history"], state["now"])
    route = route_incoming(state, about_a_visit=visit is not None)
    if route != "engage":
        visit = None
    return {"incoming": incoming, "visit": visit, "route": "visit_reply" if visit else route}


def route_incoming(state: AgentState, *, about_a_visit: bool = False) -> str:
    campaign, patient = state["campaign"], state["patient"]
    text = clean_reply(state.get("text", ""))  # the patient's own words, not the quoted footer
    if patient.is_opted_out:
        # Past a STOP the agent says nothing, unless the patient says START.
        return "opt_in" if is_opt_in(text) else "record_only"
    if is_opt_out(text, about_a_visit=about_a_visit):
        return "opt_out"  # always honoured, whoever owns the conversation
    if campaign.status in (S.HANDOFF_REQUIRED, S.RECOVERED):
        return "record_only"  # a person owns it, or it is won: no AI reply
    return "engage"


def record_only(state: AgentState) -> AgentState:
    incoming = state["incoming"]
    sentiment, _ = sentiment_of(incoming.content)
    intent = "awaiting_staff" if state["campaign"].status == S.HANDOFF_REQUIRED else "no_reply"
    incoming.ai_analysis = {"intent": intent, "sentiment": sentiment}
    incoming.save(update_fields=["ai_analysis"])
    return {"outcome": "recorded", "route": "end"}


def mark_re_engaged(state: AgentState) -> AgentState:
    """The patient answered: RE_ENGAGED, re-opening a closed campaign (but RECOVERED)."""
    campaign, now = state["campaign"], state["now"]
    if campaign.status == S.RE_ENGAGED:
        return {"route": "decide"}
    try:
        with transaction.atomic():
            moved = campaign_move(campaign, S.RE_ENGAGED, now=now, next_attempt_at=None)
    except IntegrityError:
        # Another campaign of this patient is active: that one carries the conversation.
        logger.info("not re-opened (another active campaign): campaign %s", campaign.pk)
        return {"route": "record_only"}
    except IllegalTransition:
        return {"route": "record_only"}
    if not moved:
        campaign.refresh_from_db()
        if campaign.status != S.RE_ENGAGED:
            return {"route": "record_only"}
    return {"route": "decide"}


def classify_intent(state: AgentState) -> AgentState:
    """The brain decides one of the five actions (already decided when the reply answered a
    visit's reminder and said nothing of the visit). Any failure of the brain is a handoff with
    reason ai_unavailable: a reply is never dropped."""
    if state.get("decision") is not None:
        return {"route": state["decision"].action}
    conversation = conversation_for(state)
    try:
        kb = KnowledgeBase.from_db()
        decision = get_brain().decide(conversation, kb)
    except Exception:  # whatever broke, a person takes over
        logger.exception("brain failed: campaign %s", state["campaign"].pk)
        decision = handoff_decision(conversation, reason=HandoffReason.AI_UNAVAILABLE)
    return _decided(state, decision)


def _decided(state: AgentState, decision: Decision) -> AgentState:
    incoming = state["incoming"]
    incoming.ai_analysis = decision.analysis()
    incoming.save(update_fields=["ai_analysis"])
    logger.info(
        "decided %s: interaction %s campaign %s", decision.action, incoming.pk, state["campaign"].pk
    )
    return {"decision": decision, "route": decision.action}


# --- Replies to a visit's confirmation or reminder (agent.visits) -------------------------------


def read_visit_reply(state: AgentState) -> AgentState:
    """The brain reads the reply as an answer about the visit: confirm, move or cancel it, or
    else any of the usual actions — then the conversation goes on as with any reply."""
    out = classify_intent(state)
    action = out["decision"].action if "decision" in out else ""
    if action not in VISIT_ACTIONS:
        out["route"] = "engage"
    return out


def confirm_visit(state: AgentState) -> AgentState:
    visit, campaign = state["visit"], state["campaign"]
    if not visit_act(Action.CONFIRM_VISIT, visit):  # cancelled or moved meanwhile
        return {"outcome": "visit_changed", "route": "end"}
    ctx = message_context(state, **visit_answer_fields(visit, confirmed=True))
    text = compose(MessageKind.VISIT_REPLY, ctx)
    return message_to_send(MessageKind.VISIT_REPLY, text, expected_status=campaign.status)


def offer_visit_link(state: AgentState) -> AgentState:
    """Another time, or not sure between moving and cancelling: the visit's own page does both."""
    visit, campaign = state["visit"], state["campaign"]
    ctx = message_context(state, **visit_answer_fields(visit, confirmed=False))
    text = compose(MessageKind.VISIT_REPLY, ctx)
    return message_to_send(MessageKind.VISIT_REPLY, text, expected_status=campaign.status)


def cancel_visit(state: AgentState) -> AgentState:
    """Cancelled as the agent's doing: the cancellation notice (with its calendar CANCEL) is the
    answer, and the campaign goes back to RE_ENGAGED (campaigns.receivers)."""
    if not visit_act(Action.CANCEL_VISIT, state["visit"]):
        return {"outcome": "visit_changed", "route": "end"}
    Campaign.objects.filter(pk=state["campaign"].pk).update(
        engagement_summary="Cancelled the visit in a reply."
    )
    return {"outcome": "visit_cancelled", "route": "end"}


def decide_opt_out(state: AgentState) -> AgentState:
    """The opt-out check needs no brain: a STOP is honoured even when the AI is down."""
    decision = Decision(
        action=Action.OPT_OUT, intent="opt_out", sentiment="neutral", confidence=1.0, brain="rules"
    )
    return _decided(state, decision)


def query_knowledge_base(state: AgentState) -> AgentState:
    """Was the info found? Only an answer drawn from a stored article, with no figure the
    article does not state, goes out; anything else goes to a person."""
    decision = state["decision"]
    kb = KnowledgeBase.from_db()
    titles = decision.extra.get("articles") or [decision.article_title]
    articles = [kb.article(title) for title in titles]
    answer = strip_links(decision.answer)
    source = " ".join(a.body for a in articles if a is not None)
    if None in articles or not answer or not grounded(answer, source):
        replaced = handoff_decision(
            conversation_for(state), reason=HandoffReason.UNANSWERED_QUESTION, like=decision
        )
        out = _decided(state, replaced)
        out["route"] = "not_found"
        return out
    return {"route": "found"}


def generate_answer(state: AgentState) -> AgentState:
    decision, campaign = state["decision"], state["campaign"]
    link = _booking_link(campaign, state["now"])
    text = compose(MessageKind.ANSWER, message_context(state, link=link, answer=decision.answer))
    return message_to_send(MessageKind.ANSWER, text, expected_status=campaign.status)


def send_booking_link(state: AgentState) -> AgentState:
    campaign = state["campaign"]
    link = _booking_link(campaign, state["now"])
    text = compose(MessageKind.BOOKING_LINK, message_context(state, link=link))
    return message_to_send(MessageKind.BOOKING_LINK, text, expected_status=campaign.status)


def close_declined(state: AgentState) -> AgentState:
    campaign = state["campaign"]
    if not campaign_move(campaign, S.RECOVERY_DECLINED, now=state["now"], next_attempt_at=None):
        return {"route": "end", "outcome": "changed_meanwhile"}
    text = compose(MessageKind.CLOSE, message_context(state))
    return message_to_send(MessageKind.CLOSE, text, expected_status=S.RECOVERY_DECLINED)


def opt_out(state: AgentState) -> AgentState:
    """Opt out of every campaign; one short confirmation."""
    patient = state["patient"]
    patient_opt_out(patient=patient, now=state["now"])
    state["campaign"].refresh_from_db()
    text = compose(MessageKind.OPT_OUT_CONFIRMATION, message_context(state))
    return message_to_send(MessageKind.OPT_OUT_CONFIRMATION, text, expected_status="")


def opt_in(state: AgentState) -> AgentState:
    incoming = state["incoming"]
    incoming.ai_analysis = {"intent": "opt_in", "sentiment": "neutral"}
    incoming.save(update_fields=["ai_analysis"])
    patient_opt_in(patient=state["patient"])
    text = compose(MessageKind.OPT_IN_CONFIRMATION, message_context(state))
    return message_to_send(MessageKind.OPT_IN_CONFIRMATION, text, expected_status="")


def initiate_handoff(state: AgentState) -> AgentState:
    """A person takes over: the summary and reason go to the handoff queue, staff are told,
    and the patient hears that someone will follow up."""
    decision, campaign, now = state["decision"], state["campaign"], state["now"]
    reason = decision.reason or HandoffReason.UNCLEAR
    fields = handoff_fields(reason, decision.summary, now)
    if not campaign_move(campaign, S.HANDOFF_REQUIRED, now=now, **fields):
        return {"route": "end", "outcome": "changed_meanwhile"}
    notify_staff_of_handoff(campaign, reason)
    urgent = reason == HandoffReason.PAIN_OR_EMERGENCY
    text = compose(MessageKind.HANDOFF_NOTICE, message_context(state, urgent=urgent))
    return message_to_send(MessageKind.HANDOFF_NOTICE, text, expected_status=S.HANDOFF_REQUIRED)


# --- Send and record -----------------------------------------------------------------------------


def send_message(state: AgentState) -> AgentState:
    """Re-read the campaign and the patient right before sending: if a person took over, the
    patient opted out or the campaign closed meanwhile, nothing is sent."""
    campaign = Campaign.objects.filter(pk=state["campaign"].pk).first()
    patient = Patient.objects.filter(pk=state["patient"].pk).first()
    expected = state.get("expected_status", "")
    if campaign is None or patient is None:
        return {"outcome": "not_sent_gone", "route": "end"}
    if expected and campaign.status != expected:
        logger.info("not sent (now %s): campaign %s", campaign.status, campaign.pk)
        return {"outcome": "not_sent_changed", "route": "end"}
    decision = state.get("decision")
    analysis = {"brain": decision.brain if decision else "rules"}
    if decision is not None:
        analysis["action"] = decision.action
    incoming = state.get("incoming")
    try:
        outgoing = message_send(
            patient,
            state["message_kind"],
            state["message_text"],
            campaign=campaign,
            ai_analysis=analysis,
            # One answer per patient message, however often its handling is resumed.
            idempotency_key=f"reply:{incoming.pk}" if incoming is not None else "",
        )
    except PatientOptedOut:
        return {"outcome": "not_sent_opted_out", "route": "end"}
    except NotNow as exc:
        # The window closed (or a cap filled) since the follow-up was planned: give the
        # claimed attempt back and come again when it may go.
        claimed = state["campaign"]
        Campaign.objects.filter(pk=campaign.pk, attempts_made=claimed.attempts_made).update(
            attempts_made=claimed.attempts_made - 1, next_attempt_at=exc.until
        )
        return {"outcome": "deferred", "route": "end"}
    ok = outgoing.delivery_status == DeliveryStatus.SENT
    return {"sent": outgoing, "outcome": "sent" if ok else "send_failed", "route": "record"}


_SUMMARY = {
    MessageKind.OUTREACH: "First outreach sent.",
    MessageKind.FOLLOW_UP: "Follow-up {attempt} of {max} sent.",
    MessageKind.BOOKING_LINK: "Wants to book: booking link sent.",
    MessageKind.ANSWER: "Asked a question ({article}): answered with the booking link.",
    MessageKind.HANDOFF_NOTICE: "Handed to staff: {reason}.",
    MessageKind.CLOSE: "Declined: conversation closed politely.",
    MessageKind.OPT_OUT_CONFIRMATION: "Opted out of all messages.",
    MessageKind.OPT_IN_CONFIRMATION: "Re-subscribed (START).",
    MessageKind.VISIT_REPLY: "{visit}",
}
_VISIT_SUMMARY = {
    Action.CONFIRM_VISIT: "Confirmed the visit in a reply.",
    Action.MOVE_VISIT: "Asked to move the visit: its link sent.",
}


def record_outcome(state: AgentState) -> AgentState:
    """Update the lead record: a one-line engagement summary (no message text)."""
    kind = state.get("message_kind")
    campaign = state["campaign"]
    decision = state.get("decision")
    if state.get("outcome") == "max_attempts":
        Campaign.objects.filter(pk=campaign.pk).update(
            engagement_summary=f"No reply after {campaign.attempts_made} messages: unresponsive."
        )
    if kind in _SUMMARY and state.get("sent") is not None:
        reason = decision.reason if decision else ""
        summary = _SUMMARY[kind].format(
            attempt=campaign.attempts_made,
            max=campaign.max_attempts,
            article=decision.article_title if decision else "",
            reason=HandoffReason(reason).label.lower() if reason in HandoffReason.values else "",
            visit=_VISIT_SUMMARY.get(decision.action, "") if decision else "",
        )
        Campaign.objects.filter(pk=campaign.pk).update(engagement_summary=summary)
    logger.info("agent %s: campaign %s -> %s", state.get("trigger"), campaign.pk, state["outcome"])
    return {}
