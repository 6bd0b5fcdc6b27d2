"""Which visits are due a reminder (SPEC §10): one per visit and offset (REMINDER_OFFSETS, e.g.
48 and 2 hours before), at a moment inside the legal 08:00-21:00 of clinic time — a reminder
that would fall outside moves earlier, to the evening before — and only for upcoming visits
(booked or confirmed: a cancelled or moved visit is no longer one). Sending is messaging's
(messaging.visits.visit_reminders_send), keyed so that a reminder goes once."""

import datetime as dt

from django.conf import settings

from appointments.models import Appointment
from appointments.status import LIVE_STATUSES
from dentalai.clinic_time import LEGAL_END, clinic_zone, in_legal_hours, local_datetime

# Where a reminder that would fall outside the legal hours moves: the evening before they end.
MOVED_TO = dt.time(20)


def reminder_due_at(start: dt.datetime, offset: dt.timedelta) -> dt.datetime:
    """When the reminder `offset` before a visit starting at `start` goes (UTC)."""
    nominal = start - offset
    if in_legal_hours(nominal):
        return nominal.astimezone(dt.UTC)
    local = nominal.astimezone(clinic_zone())
    day = local.date() if local.time() >= LEGAL_END else local.date() - dt.timedelta(days=1)
    return local_datetime(day, MOVED_TO)


def reminder_key(appointment: Appointment, offset: dt.timedelta) -> str:
    return f"reminder:{appointment.pk}:{int(offset.total_seconds() // 60)}m"


def reminders_due(
    now: dt.datetime, offsets: tuple[dt.timedelta, ...] | None = None
) -> list[tuple[Appointment, dt.timedelta]]:
    """Each upcoming visit with the reminder it is due at `now`: the latest offset whose time
    has come (an earlier one not sent by then is superseded, never sent late beside it), and
    not one whose time came before the visit was booked (its confirmation said it all)."""
    offsets = settings.REMINDER_OFFSETS if offsets is None else offsets
    if not offsets:
        return []
    # A moved reminder goes at most a night (13 hours) earlier than its offset says.
    horizon = now + max(offsets) + dt.timedelta(hours=13)
    visits = (
        Appointment.objects.filter(
            status__in=LIVE_STATUSES, appointment_date__gt=now, appointment_date__lte=horizon
        )
        .select_related("patient", "service", "provider", "campaign")
        .order_by("appointment_date", "id")
    )
    due = []
    for visit in visits:
        come = {
            offset: at
            for offset in offsets
            if (at := reminder_due_at(visit.appointment_date, offset)) <= now
        }
        latest = min(come, default=None)
        if latest is not None and come[latest] > visit.created_at:
            due.append((visit, latest))
    return due
