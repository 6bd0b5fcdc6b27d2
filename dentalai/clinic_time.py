"""Clinic time, in one place: the clinic's zone (`CLINIC_TIME_ZONE`), its calendar day, and the
instant of a wall-clock time on a given day. Every app asks here; nothing else builds a zone.

Instants are stored and compared in UTC; days and wall-clock times are the clinic's.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_TIME_ZONE)


def clinic_today(now: dt.datetime | None = None) -> dt.date:
    """The clinic's calendar day at `now` (default: this moment)."""
    from django.utils import timezone

    return (now or timezone.now()).astimezone(clinic_zone()).date()


def local_datetime(day: dt.date, wall: dt.time, zone: ZoneInfo | None = None) -> dt.datetime:
    """The UTC instant of a local wall-clock time. A time repeated by a fall-back change is its
    first occurrence; a time skipped by a spring-forward change maps past the gap (02:30 that
    does not exist is 03:30), so a block starting in the gap starts when the gap ends."""
    return dt.datetime.combine(day, wall, tzinfo=zone or clinic_zone()).astimezone(dt.UTC)


def start_of_clinic_day(day: dt.date) -> dt.datetime:
    """The UTC instant the clinic's `day` begins."""
    return local_datetime(day, dt.time(0))


def local_day_bounds(day: dt.date, zone: ZoneInfo | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a clinic-local calendar day, in UTC (23 or 25 hours on a DST change)."""
    next_day = day + dt.timedelta(days=1)
    return local_datetime(day, dt.time(0), zone), local_datetime(next_day, dt.time(0), zone)


# The days the calendar computes with. A request's date outside them is its error (a 4xx):
# datetime ends with year 9999, and a day's bounds or a week around it would overflow there.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
OUT_OF_RANGE = f"Dates must lie between {FIRST_DAY.year} and {LAST_DAY.year}."


def computable(day: dt.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


# The hours of the clinic's day any message not answering the patient may go (TCPA: 8 a.m. to
# 9 p.m. at the called party's location; the clinic's zone stands for the patient's).
LEGAL_START, LEGAL_END = dt.time(8), dt.time(21)


def in_legal_hours(moment: dt.datetime) -> bool:
    return LEGAL_START <= moment.astimezone(clinic_zone()).time() < LEGAL_END


def next_legal_start(moment: dt.datetime) -> dt.datetime:
    """`moment` when it is within the legal hours, else when they next begin (UTC)."""
    if in_legal_hours(moment):
        return moment
    local = moment.astimezone(clinic_zone())
    day = local.date() if local.time() < LEGAL_START else local.date() + dt.timedelta(days=1)
    return local_datetime(day, LEGAL_START)
