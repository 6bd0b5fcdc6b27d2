"""Days the clinic is closed for everyone (SPEC §8): the booking page offers nothing on them,
staff cannot book or move a visit onto them, and the calendar shows them closed. Visits already
booked on a day that is then closed stay booked: the closures page lists them for staff to move
or cancel, with the patient told."""

import datetime as dt

from django.db import IntegrityError
from django.db.models import Q

from appointments.models import Appointment, ClinicClosure
from appointments.status import LIVE_STATUSES
from dentalai.audit import audit_record
from dentalai.clinic_time import clinic_today, local_day_bounds
from dentalai.errors import ApplicationError, NotFound
from dentalai.models import User, is_object_id

LONGEST = 31  # days in one closure; a longer one is a mistake more often than a plan
REASON_MAX = 120
CLOSURE_NOT_FOUND = "Closure not found."


def closed_days(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """{day: reason} for the closures from `first` to `last`, both included."""
    return dict(
        ClinicClosure.objects.filter(day__gte=first, day__lte=last).values_list("day", "reason")
    )


def closed_message(day: dt.date) -> str:
    """ "" when the clinic is open on `day`, else the refusal staff read."""
    reason = closed_days(day, day).get(day)
    return f"The clinic is closed on {day:%a %b} {day.day} ({reason})." if reason else ""


def closure_add(
    *, actor: User | None, first: dt.date, last: dt.date | None = None, reason: str
) -> list[ClinicClosure]:
    """Close the clinic from `first` to `last` (one day when None): a row a day, days already
    closed kept as they are. Returns the days added."""
    last = last or first
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the clinic is closed (for example: Christmas Day).")
    if len(reason) > REASON_MAX:
        raise ApplicationError(f"Keep the reason under {REASON_MAX} characters.")
    if first < clinic_today():
        raise ApplicationError("That day has already passed.")
    if last < first:
        raise ApplicationError("The last day is before the first.")
    if (last - first).days >= LONGEST:
        raise ApplicationError(f"A closure is at most {LONGEST} days; add a longer one in parts.")
    taken = set(closed_days(first, last))
    added = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        if day in taken:
            continue
        try:
            added.append(ClinicClosure.objects.create(day=day, reason=reason, created_by=actor))
        except IntegrityError:  # closed by someone else meanwhile
            continue
    for closure in added:
        audit_record(
            actor=actor, action="closure_add", target=closure, details={"day": str(closure.day)}
        )
    return added


def closure_remove(*, actor: User | None, closure_id: str) -> ClinicClosure:
    """Open the clinic again on that day."""
    closure = (
        ClinicClosure.objects.filter(pk=closure_id).first() if is_object_id(closure_id) else None
    )
    if closure is None:
        raise NotFound(CLOSURE_NOT_FOUND)
    ClinicClosure.objects.filter(pk=closure.pk).delete()
    audit_record(
        actor=actor, action="closure_remove", target=closure, details={"day": str(closure.day)}
    )
    return closure


def upcoming_closures() -> list[ClinicClosure]:
    return list(ClinicClosure.objects.filter(day__gte=clinic_today()).order_by("day"))


def visits_on_closed_days(closures: list[ClinicClosure]) -> list[Appointment]:
    """The upcoming visits still booked on those days, soonest first (one query)."""
    if not closures:
        return []
    on_those_days = Q()
    for closure in closures:
        start, end = local_day_bounds(closure.day)
        on_those_days |= Q(appointment_date__gte=start, appointment_date__lt=end)
    return list(
        Appointment.objects.filter(on_those_days, status__in=LIVE_STATUSES)
        .select_related("patient", "service", "provider")
        .order_by("appointment_date")
    )
