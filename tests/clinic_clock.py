"""A clinic in New York with its clock stopped, for tests of times a patient or staff can pick
(the clinic of conftest works weekdays 09:00-17:00)."""

import contextlib
import datetime as dt

import time_machine
from django.core.cache import cache

from dentalai.clinic_time import clinic_zone


@contextlib.contextmanager
def clinic_clock_stopped_at(settings, now: dt.datetime):
    """The cache (where the throttles count) is emptied before and after: no test sees another's
    requests."""
    settings.CLINIC_TIME_ZONE = "America/New_York"
    cache.clear()
    with time_machine.travel(now, tick=False):
        yield
    cache.clear()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A clinic-time moment of `day`."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clinic_zone())
