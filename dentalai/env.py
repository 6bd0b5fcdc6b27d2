"""Reading settings from the environment: the readers `dentalai/settings.py` uses (the one
place that reads the environment; apps read django.conf.settings). Each value
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


_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def durations(name: str, default: str) -> tuple[dt.timedelta, ...]:
    """Lengths of time written like "48h,2h" or "1d,90m" (minutes, hours, days), longest first."""
    raw = text(name, default)
    found = set()
    for part in filter(None, (p.strip().lower() for p in raw.split(","))):
        match = re.fullmatch(r"(\d{1,4})\s*([mhd])", part)
        if not match or int(match[1]) == 0:
            raise ImproperlyConfigured(f"{name}: {part!r} is not a duration like 48h, 90m or 2d")
        found.add(dt.timedelta(**{_UNITS[match[2]]: int(match[1])}))
    return tuple(sorted(found, reverse=True))


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


def matching(name: str, pattern: str, example: str) -> str:
    """An optional value that must match `pattern` whole (a SID, a topic name)."""
    value = text(name)
    if value and not re.fullmatch(pattern, value):
        raise ImproperlyConfigured(f"{name}: {value!r} is not {example}")
    return value


def url(name: str) -> str:
    """An optional http(s) URL, without a trailing slash."""
    value = text(name).rstrip("/")
    if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ImproperlyConfigured(f"{name}: {value!r} is not an http(s) URL")
    return value


def phone(name: str, *, prefix: str = "", optional_prefix: bool = False) -> str:
    """An optional E.164 number after `prefix` (e.g. "whatsapp:"), which `optional_prefix`
    lets the value leave out."""
    value = text(name)
    if value and optional_prefix and not value.startswith(prefix):
        value = prefix + value
    if value and not re.fullmatch(re.escape(prefix) + r"\+[1-9]\d{6,14}", value):
        example = f"{prefix}+15551234567"
        raise ImproperlyConfigured(f"{name}: {value!r} is not a number like {example}")
    return value


def key_values(name: str, value_pattern: str, example: str) -> dict[str, str]:
    """ "a=X, b=Y" → {"a": "X", "b": "Y"}, each value matching `value_pattern`."""
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text(name).split(","))):
        key, sep, value = (s.strip() for s in part.partition("="))
        if not (sep and key and re.fullmatch(value_pattern, value)):
            raise ImproperlyConfigured(f"{name}: {part!r} is not {example}")
        pairs[key] = value
    return pairs
