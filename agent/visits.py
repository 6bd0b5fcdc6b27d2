"""Which visit a patient's reply answers (SPEC §10): when the clinic's last message in the
conversation was a visit's confirmation or reminder, the reply is read in that context first
(agent.nodes.read_visit_reply) — it confirms, moves or cancels that visit — and otherwise as any
reply; the opt-out rules have run before either."""

import datetime as dt

from appointments.models import Appointment
from appointments.status import LIVE_STATUSES
from campaigns.choices import Direction, MessageKind

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
