"""A reply to a visit's confirmation or reminder from a patient who has no campaign — booked at
the front desk or on the booking page (SPEC §10). It is read as a campaign's would be
(agent.nodes.read_visit_reply): the rules first, then the brain in the reminder's context; a
confirmation confirms the visit, a wish to move it (or a cancellation not said plainly) gets
the visit's own link, a plain cancellation cancels it (its notice is the answer). Anything
else is recorded on the patient and left for staff: with no campaign there is no conversation
for the agent to carry on."""

import logging

from django.conf import settings
from django.utils import timezone

from agent.brains import Conversation, get_brain
from agent.choices import REMINDER_CONTEXT, VISIT_ACTIONS, Action
from agent.knowledge import KnowledgeBase
from agent.messages import MessageContext, compose
from agent.visits import visit_act, visit_answer_fields, visit_in_question
from appointments.models import Appointment
from campaigns.choices import MessageKind
from campaigns.models import Interaction
from messaging.conversation import (
    NotNow,
    PatientOptedOut,
    message_handled,
    message_handled_before,
    message_receive,
    message_send,
)
from patients.models import Patient
from patients.optout import patient_opt_out

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 12


def agent_handle_visit_reply(
    *, patient_id: str, text: str, external_id: str = "", channel: str, now=None
) -> str:
    """Read and act on the patient's reply when the clinic's last message to them (outside any
    campaign) was a visit's confirmation or reminder. Returns the outcome — "confirmed",
    "link_sent", "cancelled", "opted_out", "not_sent", "for_staff", "duplicate" — or "" when
    the reply answers no such message (nothing is recorded then). The opt-out rules read it
    knowing it answers a visit: "cancel please" cancels the visit, a bare "CANCEL" is a STOP."""
    now = now or timezone.now()
    patient = Patient.objects.get(pk=patient_id)
    if message_handled_before(channel, external_id):
        return "duplicate"  # a redelivery: the clinic's answer to it is already the last word
    history = Interaction.objects.filter(patient=patient, campaign=None).order_by("-timestamp")
    history = list(reversed(history[:HISTORY_LIMIT]))
    visit = visit_in_question(history, now)
    if visit is None:
        return ""
    incoming = message_receive(patient, channel, text, external_id=external_id, at=now)
    if incoming is None:
        return "duplicate"
    conversation = Conversation(
        reply=text,
        first_name=patient.first_name,
        clinic_name=settings.CLINIC_NAME,
        channel=channel,
        context=REMINDER_CONTEXT,
    )
    try:
        decision = get_brain().decide(conversation, KnowledgeBase.from_db())
    except Exception:  # whatever broke, staff read it
        logger.exception("brain failed: interaction %s", incoming.pk)
        decision = None
    if decision is not None:
        incoming.ai_analysis = decision.analysis()
        incoming.save(update_fields=["ai_analysis"])
    outcome = _act(decision.action if decision else "", visit, patient, channel, incoming)
    message_handled(incoming, at=now)
    logger.info("visit reply: interaction %s appointment %s: %s", incoming.pk, visit.pk, outcome)
    return outcome


def _act(
    action: str, visit: Appointment, patient: Patient, channel: str, incoming: Interaction
) -> str:
    if action == Action.OPT_OUT:
        patient_opt_out(patient=patient)
        return "opted_out"
    if action not in VISIT_ACTIONS or not visit_act(action, visit):
        return "for_staff"  # not about the visit, or it was cancelled or moved meanwhile
    if action == Action.CANCEL_VISIT:
        return "cancelled"  # its cancellation notice is the answer
    confirmed = action == Action.CONFIRM_VISIT
    context = MessageContext(
        channel=channel,
        campaign_type="",
        first_name=patient.first_name,
        **visit_answer_fields(visit, confirmed=confirmed),
    )
    try:
        message_send(
            patient,
            MessageKind.VISIT_REPLY,
            compose(MessageKind.VISIT_REPLY, context),
            appointment=visit,
            ai_analysis={"brain": "visit_reply"},
            idempotency_key=f"reply:{incoming.pk}",
        )
    except (PatientOptedOut, NotNow):
        return "not_sent"
    return "confirmed" if confirmed else "link_sent"
