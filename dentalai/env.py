"""Reading settings from the environment: the readers `dentalai/settings.py` (and, until it
moves there, `messaging/conf.py`) use. Each value
that does not parse raises ImproperlyConfigured naming its variable, so a typo stops the process
at start-up instead of quietly turning a setting off.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLEANS |= {"0": False, "false": False, "no": False, "off": False}


def read(name: str, cast, default):
    """`cast` is one of django-environ's readers (`env.int`, `env.list`, …)."""
    try:
        return cast(name, default=default)
    except (ValueError, TypeError, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


def text(name: str, default: str = "") -> str:
    return env.str(name, default=default).strip()


def boolean(name: str, default: bool) -> bool:
    """django-environ reads any unknown word as False; a typo must not turn a setting off."""
    raw = text(name).lower()
    if not raw:
        return default
    if raw not in _BOOLEANS:
        raise ImproperlyConfigured(f"{name}: {raw!r} is not one of {', '.join(_BOOLEANS)}")
    return _BOOLEANS[raw]


def integer(name: str, default: int, low: int, high: int) -> int:
    value = read(name, env.int, default)
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name}: {value} is not between {low} and {high}")
    return value


def clock_time(name: str, default: str) -> dt.time:
    """A wall-clock time written HH:MM."""
    raw = text(name, default)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ImproperlyConfigured(f"{name}: {raw!r} is not a time like {default}")
    return dt.time(int(match[1]), int(match[2]))


def money(name: str, default: str) -> Decimal:
    """An amount like 250.00, within what a 10-digit, 2-decimal field holds."""
    raw = text(name, default)
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name}: {raw!r} is not an amount like 250.00") from exc
    if not value.is_finite() or value < 0 or value >= Decimal("1e8"):
        raise ImproperlyConfigured(f"{name}: {raw!r} is not an amount between 0 and 99999999.99")
    return value.quantize(Decimal("0.01"))


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays(name: str, default: str) -> frozenset[int]:
    """Weekdays written as ranges and lists ("mon-fri", "mon,wed,sat"), Monday = 0."""
    raw = text(name, default).lower()
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in raw.split(","))):
        first, _, last = part.partition("-")
        if first[:3] not in WEEKDAYS or (last and last[:3] not in WEEKDAYS):
            raise ImproperlyConfigured(
                f"{name}: {part!r} is not a weekday; use e.g. mon-fri or mon,wed,sat"
            )
        start = WEEKDAYS.index(first[:3])
        end = WEEKDAYS.index(last[:3]) if last else start
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    if not days:
        raise ImproperlyConfigured(f"{name}: name at least one weekday, e.g. mon-fri")
    return frozenset(days)


def email_address(name: str) -> str:
    """An optional email address, lower-cased."""
    value = text(name).lower()
    if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ImproperlyConfigured(f"{name}: {value!r} is not an email address")
    return value
