"""Which visit a patient's reply answers (SPEC §10): when the clinic's last message in the
conversation was a visit's confirmation or reminder, the reply is read in that context first
(agent.nodes.read_visit_reply) — it confirms, moves or cancels that visit — and otherwise as any
reply; the opt-out rules have run before either."""

import datetime as dt

from agent.choices import Action
from appointments.choices import ChangedBy
from appointments.models import Appointment
from appointments.notices import visit_when
from appointments.services import appointment_cancel, appointment_confirm
from appointments.status import LIVE_STATUSES
from appointments.visit_links import visit_link_url
from campaigns.choices import Direction, MessageKind
from dentalai.errors import Conflict

BY_REPLY = "Asked in a reply to the visit's confirmation or reminder."  # a cancellation's reason

# What the clinic says about a visit, that a reply may answer.
VISIT_MESSAGE_KINDS = frozenset(
    {MessageKind.BOOKING_CONFIRMATION, MessageKind.REMINDER, MessageKind.VISIT_MOVED}
)


def visit_in_question(history: list, now: dt.datetime) -> Appointment | None:
    """The upcoming visit the patient's reply answers: the one the clinic's last message was a
    confirmation or reminder of, while it is still booked or confirmed and ahead."""
    last = next((i for i in reversed(history) if i.direction == Direction.OUTGOING), None)
    if last is None or last.kind not in VISIT_MESSAGE_KINDS or not last.appointment_id:
        return None
    return (
        Appointment.objects.select_related("patient", "service", "provider")
        .filter(pk=last.appointment_id, status__in=LIVE_STATUSES, appointment_date__gt=now)
        .first()
    )


def visit_act(action: str, visit: Appointment) -> bool:
    """Do what the reply asked of the visit, as the agent's doing: confirm it or cancel it (a
    move changes nothing yet: the patient picks the new time on the visit's page). False when
    the visit was cancelled or moved meanwhile."""
    try:
        if action == Action.CONFIRM_VISIT:
            appointment_confirm(actor=None, appointment_id=visit.pk, by=ChangedBy.AGENT)
        elif action == Action.CANCEL_VISIT:
            appointment_cancel(
                actor=None, appointment_id=visit.pk, by=ChangedBy.AGENT, reason=BY_REPLY
            )
    except Conflict:
        return False
    return True


def visit_answer_fields(visit: Appointment, *, confirmed: bool) -> dict:
    """What the answer to a visit reply says (agent.messages.MessageContext fields): the visit
    confirmed, or the visit's own link to move or cancel it."""
    if confirmed:
        return {"visit_when": visit_when(visit), "visit_confirmed": True}
    return {"visit_when": visit_when(visit), "link": visit_link_url(visit)}
