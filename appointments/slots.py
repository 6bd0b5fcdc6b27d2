"""The booking grid behind "no double booking" (SPEC §3.4).

An appointment holds one AppointmentSlot row per grid unit it covers, unique per provider and
unit start, so the database refuses a second booking of any overlapping time.
"""

from datetime import datetime, timedelta

# Every real time zone's offset from UTC is a multiple of 15 minutes, so a grid on UTC is the
# same grid in clinic time.
GRID_MINUTES = 15
GRID = timedelta(minutes=GRID_MINUTES)


def grid_duration(minutes: int) -> timedelta:
    """A duration rounded up to whole grid units: what an appointment blocks."""
    return -(-minutes // GRID_MINUTES) * GRID


def is_on_grid(moment: datetime) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % GRID_MINUTES == 0


def slot_starts(start: datetime, minutes: int) -> list[datetime]:
    """The start of every grid unit an appointment from `start` lasting `minutes` holds."""
    return [start + k * GRID for k in range(grid_duration(minutes) // GRID)]
