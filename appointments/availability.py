"""When a service can be booked: provider schedules (clinic local time), minus the clinic's
closed days, minus time off, minus appointments, for the whole service duration, after a
minimum lead time (SPEC §4).

Working hours are converted to UTC day by day from their local wall-clock bounds, so a daylight
saving change shifts nothing: a 09:00 start is 09:00 local on both sides of it. One query per
kind of data (service providers, schedules, closures, time off, appointments), whatever the
month.

The public booking (appointments.services.appointment_book) accepts exactly the starts that
`ServiceCalendar.offered` lists here, computed by the same code over the same day, so the page
never offers a time the booking would refuse, and the booking never takes one it did not offer.
"""

import bisect
import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from appointments.closures import closed_days
from appointments.models import Appointment, ProviderSchedule, Service, TimeOff
from appointments.slots import GRID, GRID_MINUTES, grid_duration
from appointments.status import HOLDING_STATUSES
from dentalai.clinic_time import clinic_zone, local_datetime, local_day_bounds

# The longest appointment we look back for when a period starts mid-appointment
# (Service.clean and the API cap a visit at 480 minutes).
MAX_DURATION = timedelta(hours=8)


def floor_to_grid(moment: datetime) -> datetime:
    return moment - timedelta(
        minutes=moment.minute % GRID_MINUTES,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _ceil_to_grid(moment: datetime) -> datetime:
    floor = floor_to_grid(moment)
    return floor if floor == moment else floor + GRID


def held_span(start: datetime, minutes: int) -> tuple[datetime, datetime]:
    """The time an appointment keeps from others: every grid unit it touches. That is
    [start, start + grid_duration(minutes)) for an on-grid start; an off-grid one (possible only
    through the Django admin) holds each unit it overlaps."""
    end = start + timedelta(minutes=minutes)
    last = floor_to_grid(end)
    return floor_to_grid(start), last if last == end else last + GRID


@dataclass(frozen=True)
class Busy:
    """One provider's busy intervals, merged and sorted, for fast overlap checks."""

    starts: list[datetime]
    ends: list[datetime]

    @classmethod
    def merge(cls, intervals: Iterable[tuple[datetime, datetime]]) -> "Busy":
        starts: list[datetime] = []
        ends: list[datetime] = []
        for start, end in sorted(intervals):
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        return cls(starts, ends)

    def is_free(self, start: datetime, end: datetime) -> bool:
        # The last interval starting before `end` is the only one that can overlap.
        i = bisect.bisect_left(self.starts, end) - 1
        return i < 0 or self.ends[i] <= start


NO_BUSY_TIME = Busy([], [])


@dataclass
class ServiceCalendar:
    """What is needed to answer "who is free when" for one service over a period."""

    service: Service
    zone: ZoneInfo
    schedules: dict[str, dict[int, list[tuple[time, time]]]]  # provider → weekday → blocks
    busy: dict[str, Busy]  # provider → busy intervals
    closed: frozenset[date] = frozenset()  # clinic closures: no provider works then

    @property
    def provider_ids(self) -> list[str]:
        return sorted(self.schedules)

    def blocks(self, day: date, provider_id: str) -> Iterable[tuple[datetime, datetime]]:
        """The provider's working blocks on a local day, as UTC instants."""
        if day in self.closed:
            return
        for block_start, block_end in self.schedules.get(provider_id, {}).get(day.weekday(), []):
            start = local_datetime(day, block_start, self.zone)
            end = local_datetime(day, block_end, self.zone)
            if start < end:
                yield start, end

    def is_free(self, provider_id: str, start: datetime, end: datetime) -> bool:
        return self.busy.get(provider_id, NO_BUSY_TIME).is_free(start, end)

    def offered(
        self, day: date, *, step: timedelta, not_before: datetime
    ) -> dict[datetime, list[str]]:
        """The starts (UTC) offered on a local day, in order, each with the providers free for
        the whole service from then: every `step` from the start of a working block, not before
        `not_before`. In the hour a fall-back change repeats, only the first occurrence of a
        wall-clock time is offered, so that each "HH:MM" names one instant."""
        length = grid_duration(self.service.duration_minutes)
        offered: dict[datetime, list[str]] = defaultdict(list)
        for provider_id in self.provider_ids:
            for block_start, block_end in self.blocks(day, provider_id):
                t = block_start
                while t + length <= block_end:
                    if (
                        t >= not_before
                        and self.is_free(provider_id, t, t + length)
                        and t.astimezone(self.zone).fold == 0
                    ):
                        offered[t].append(provider_id)
                    t += step
        return {t: offered[t] for t in sorted(offered)}

    def free_providers(self, start: datetime, length: timedelta) -> list[str]:
        """Providers free from `start` for `length` inside one of their working blocks, on any
        start (staff booking: no step, no lead time)."""
        day = start.astimezone(self.zone).date()
        return [
            provider_id
            for provider_id in self.provider_ids
            if self.is_free(provider_id, start, start + length)
            and any(
                block_start <= start and start + length <= block_end
                for block_start, block_end in self.blocks(day, provider_id)
            )
        ]


def service_calendar(service: Service, *, start: datetime, end: datetime) -> ServiceCalendar:
    """Load schedules, time off and appointments of the service's active providers between two
    UTC instants: one query for each kind of data."""
    provider_ids = list(service.providers.filter(is_active=True).values_list("id", flat=True))

    schedules: dict[str, dict[int, list[tuple[time, time]]]] = {p: {} for p in provider_ids}
    for provider_id, weekday, block_start, block_end in ProviderSchedule.objects.filter(
        provider_id__in=provider_ids
    ).values_list("provider_id", "weekday", "start_time", "end_time"):
        schedules[provider_id].setdefault(weekday, []).append((block_start, block_end))
    for by_day in schedules.values():
        for blocks in by_day.values():
            blocks.sort()

    intervals: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for provider_id, off_start, off_end in TimeOff.objects.filter(
        provider_id__in=provider_ids, start__lt=end, end__gt=start
    ).values_list("provider_id", "start", "end"):
        intervals[provider_id].append((off_start, off_end))
    for provider_id, booked_at, minutes in (
        Appointment.objects.filter(
            provider_id__in=provider_ids,
            appointment_date__lt=end,
            appointment_date__gt=start - MAX_DURATION - GRID,
        )
        .filter(status__in=HOLDING_STATUSES)
        .values_list("provider_id", "appointment_date", "duration_minutes")
    ):
        intervals[provider_id].append(held_span(booked_at, minutes))

    zone = clinic_zone()
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    return ServiceCalendar(
        service=service,
        zone=zone,
        schedules=schedules,
        busy={p: Busy.merge(intervals[p]) for p in provider_ids},
        closed=frozenset(closed_days(first, last)),
    )


def booking_step() -> timedelta:
    return timedelta(minutes=settings.BOOKING_SLOT_STEP_MINUTES)


def earliest_bookable(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES)


def day_offered(
    service: Service, *, day: date, now: datetime | None = None
) -> dict[datetime, list[str]]:
    """The public booking's view of one clinic-local day: what `month_availability` lists for
    it, with the providers free at each start."""
    zone = clinic_zone()
    day_start, day_end = local_day_bounds(day, zone)
    not_before = earliest_bookable(now)
    if not_before >= day_end:
        return {}
    cal = service_calendar(service, start=max(day_start, not_before), end=day_end)
    return cal.offered(day, step=booking_step(), not_before=not_before)


def month_availability(
    service: Service, *, year: int, month: int, now: datetime | None = None
) -> dict[str, list[str]]:
    """{"YYYY-MM-DD": ["HH:MM", …]} in clinic time: the days of that month with at least one
    start at which some provider of the service is free for its whole duration."""
    zone = clinic_zone()
    days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]
    month_start = local_day_bounds(days[0], zone)[0]
    month_end = local_day_bounds(days[-1], zone)[1]
    not_before = earliest_bookable(now)
    if not_before >= month_end:
        return {}

    cal = service_calendar(service, start=max(month_start, not_before), end=month_end)
    step = booking_step()
    result: dict[str, list[str]] = {}
    for day in days:
        starts = cal.offered(day, step=step, not_before=not_before)
        if starts:
            result[day.isoformat()] = [t.astimezone(zone).strftime("%H:%M") for t in starts]
    return result


def staff_starts(
    service: Service,
    *,
    day: date,
    provider_id: str | None = None,
    minutes: int | None = None,
    now: datetime | None = None,
) -> list[datetime]:
    """The quarter-hour starts (UTC) on a local day at which staff can book `service` for
    `minutes` (its usual length by default): inside a working block of a provider of it (the
    one named), who is free for that whole time, not in the past and not on a closed day —
    what the staff booking form offers and `appointments.services.appointment_create_manual`
    accepts."""
    now = now or timezone.now()
    day_start, day_end = local_day_bounds(day)
    if day_end <= now:
        return []
    cal = service_calendar(service, start=day_start, end=day_end)
    length = grid_duration(minutes or service.duration_minutes)
    provider_ids = [provider_id] if provider_id else cal.provider_ids
    starts = set()
    for provider in provider_ids:
        for block_start, block_end in cal.blocks(day, provider):
            t = _ceil_to_grid(max(block_start, now))
            while t + length <= block_end:
                if cal.is_free(provider, t, t + length):
                    starts.add(t)
                t += GRID
    return sorted(starts)
