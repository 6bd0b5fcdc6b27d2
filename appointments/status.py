"""The visit status machine (SPEC §10): the allowed transitions as data, and the one door every
status change of an appointment goes through, `appointment_move` — booking, confirming,
completing, cancelling and no-shows call it; tests/test_one_door.py keeps it the only writer."""

from django.utils import timezone

from appointments.choices import AppointmentStatus as S
from appointments.models import Appointment
from dentalai.errors import Conflict

# Upcoming visits: they hold their time, get reminders and may be confirmed, moved or cancelled.
LIVE_STATUSES = frozenset({S.BOOKED, S.CONFIRMED})
# Statuses whose time stays held (slot rows): a completed visit keeps its place in the record;
# a cancelled one or a no-show frees what is left of it.
HOLDING_STATUSES = LIVE_STATUSES | {S.COMPLETED}

TRANSITIONS: dict[S, frozenset[S]] = {
    S.BOOKED: frozenset({S.CONFIRMED, S.COMPLETED, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.COMPLETED, S.CANCELLED, S.NO_SHOW}),
    # Marked a no-show by mistake (the patient came late): the visit took place after all.
    S.NO_SHOW: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

_DONE = {
    S.BOOKED: "booked",
    S.CONFIRMED: "confirmed",
    S.COMPLETED: "completed",
    S.CANCELLED: "cancelled",
    S.NO_SHOW: "marked a no-show",
}
CHANGED_MEANWHILE = "The appointment changed while this request was handled; reload it and retry."


def is_movable(appointment, now=None) -> bool:
    """Still upcoming and live: the patient or staff may move it (or join it to the ASAP list)."""
    return appointment.status in LIVE_STATUSES and appointment.appointment_date > (
        now or timezone.now()
    )


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def appointment_move(appointment, target: str, **fields) -> None:
    """Move `appointment` to `target`, with `fields` written in the same update. Conflict when
    the machine forbids it, or when the status changed since it was read (the update is
    conditional on it: no row lock can be relied on, SPEC §3.5). Updated in place."""
    if not can_transition(appointment.status, target):
        current = S(appointment.status).label.lower()
        if appointment.status == target:
            raise Conflict(f"This appointment is already {current}.")
        raise Conflict(f"This appointment is {current}; it cannot be {_DONE[target]}.")
    now = timezone.now()
    updated = Appointment.objects.filter(pk=appointment.pk, status=appointment.status).update(
        status=target, updated_at=now, **fields
    )
    if not updated:
        raise Conflict(CHANGED_MEANWHILE)
    appointment.status = target
    appointment.updated_at = now
    for name, value in fields.items():
        setattr(appointment, name, value)
