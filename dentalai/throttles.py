"""The one throttle of the product: staff login (the API and the dashboard draw on the same
allowances) and the public booking (its API and its page).

Counters are shared by every web process — the database (`ThrottleCounter`, compare-and-set
updates: two requests can never both take the last try), or Redis when CACHE_URL names it
(atomic INCR) — and count in fixed windows of the rate's period. A try is taken *before* the
work it guards (a password check, a booking), so a burst of concurrent requests gets exactly
the allowance, and no more checks.

Login (SPEC §9.1: a throttle an attacker cannot turn into a lock-out):
- per client address, every attempt (LOGIN_RATE_PER_IP): one address cannot spray;
- per account *and* address, failures (LOGIN_RATE_PER_EMAIL): guessing one password from one
  place stops;
- per account from addresses it has never logged in from, failures (LOGIN_RATE_PER_ACCOUNT):
  guessing spread over many addresses stops, while the staff member's own usual address (one
  she logged in from within KNOWN_ADDRESS_DAYS) keeps working whatever happens elsewhere.
A successful login gives back its account tries: only failures lock anything.

The rates are read from settings at each call ("count/period", period s, m, h or d), so a
changed setting takes effect at once. Keys hold a hash of the email, never the email.
"""

import datetime as dt
import hashlib
import logging
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from dentalai.models import ThrottleCounter

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"(\d+)/(\d*)(s|sec|m|min|h|hour|d|day)")
KNOWN_ADDRESS_DAYS = 30
CAS_TRIES = 20  # compare-and-set retries under contention; past them the try is refused
THROTTLED = "Too many attempts. Please wait a moment and try again."


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """ "5/15m" → 5 per 900 s (units s, m, h, d, or sec, min, hour, day)."""
        match = RATE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a rate like 5/15m")
        count, number, unit = match.groups()
        return cls(int(count), int(number or 1) * PERIODS[unit[0]])


def rate_of(setting: str) -> Rate:
    return Rate.parse(getattr(settings, setting))


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind NUM_PROXIES proxies the address the
    nearest of them saw (the last ones in X-Forwarded-For are the proxies' own)."""
    proxies = settings.NINJA_NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",")]
        return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _hashed(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- Counters ------------------------------------------------------------------------------


def _uses_redis() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def _counter(key: str, rate: Rate, now: dt.datetime) -> tuple[str, float]:
    """The key of `key`'s counter in the window `now` is in, and the seconds left in it."""
    seconds = now.timestamp()
    number = int(seconds // rate.seconds)
    return f"throttle:{key}:{number}", (number + 1) * rate.seconds - seconds


def take(key: str, rate: Rate, *, now: dt.datetime | None = None) -> float | None:
    """Take one try from `key`'s allowance in the current window: None when taken, else the
    seconds until the window ends (what Retry-After says)."""
    now = now or timezone.now()
    full_key, left = _counter(key, rate, now)
    if rate.count == 0:
        return left
    if _uses_redis():
        cache.add(full_key, 0, timeout=math.ceil(left) + 1)
        return None if cache.incr(full_key) <= rate.count else left
    expires_at = now + dt.timedelta(seconds=left)
    for _ in range(CAS_TRIES):
        count = ThrottleCounter.objects.filter(key=full_key).values_list("count", flat=True).first()
        if count is None:
            try:
                with transaction.atomic():
                    ThrottleCounter.objects.create(key=full_key, count=1, expires_at=expires_at)
                return None
            except IntegrityError:
                continue  # another request created it first: count on it
        if count >= rate.count:
            return left
        if ThrottleCounter.objects.filter(key=full_key, count=count).update(count=count + 1):
            return None
    logger.warning("throttle contention: %s", key.split(":", 1)[0])
    return left


def give_back(key: str, rate: Rate, *, now: dt.datetime | None = None) -> None:
    """Return one try taken in the current window (a success that should not count)."""
    full_key, _ = _counter(key, rate, now or timezone.now())
    if _uses_redis():
        if cache.get(full_key):
            cache.decr(full_key)
        return
    for _ in range(CAS_TRIES):
        count = ThrottleCounter.objects.filter(key=full_key).values_list("count", flat=True).first()
        if not count:
            return
        if ThrottleCounter.objects.filter(key=full_key, count=count).update(count=count - 1):
            return


def counters_prune(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the counters whose window has ended (a daily job)."""
    deleted, _ = ThrottleCounter.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return {"deleted": deleted}


# --- Login ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginTry:
    """The tries a login attempt took; `wait` is set (seconds) when it may not go ahead."""

    taken: tuple[tuple[str, Rate], ...]
    account: str
    address: str
    wait: float | None = None


def login_try(request: HttpRequest, email: str) -> LoginTry:
    """Take a login's tries before its password is checked. When one of them is refused the
    others are given back and the result carries the wait."""
    address, account = client_address(request), _hashed(email or "")
    wanted = [(f"login_ip:{address}", rate_of("LOGIN_RATE_PER_IP"))]
    if (email or "").strip():
        wanted.append((f"login_pair:{account}:{address}", rate_of("LOGIN_RATE_PER_EMAIL")))
        if not _known_address(account, address):
            wanted.append((f"login_account:{account}", rate_of("LOGIN_RATE_PER_ACCOUNT")))
    taken = []
    for key, rate in wanted:
        wait = take(key, rate)
        if wait is not None:
            for done_key, done_rate in taken:
                give_back(done_key, done_rate)
            logger.warning("throttled: %s", key.split(":", 1)[0])
            return LoginTry((), account, address, wait=max(wait, 1.0))
        taken.append((key, rate))
    return LoginTry(tuple(taken), account, address)


def login_succeeded(attempt: LoginTry) -> None:
    """Only failures count against the account; its address becomes a known one."""
    for key, rate in attempt.taken:
        if not key.startswith("login_ip:"):
            give_back(key, rate)
    if attempt.account:
        _remember_address(attempt.account, attempt.address)


def _known_key(account: str, address: str) -> str:
    return f"known:{account}:{_hashed(address)}"


def _known_address(account: str, address: str) -> bool:
    key = _known_key(account, address)
    if _uses_redis():
        return bool(cache.get(key))
    return ThrottleCounter.objects.filter(key=key, expires_at__gt=timezone.now()).exists()


def _remember_address(account: str, address: str) -> None:
    key, days = _known_key(account, address), dt.timedelta(days=KNOWN_ADDRESS_DAYS)
    if _uses_redis():
        cache.set(key, 1, timeout=int(days.total_seconds()))
        return
    expires_at = timezone.now() + days
    if not ThrottleCounter.objects.filter(key=key).update(expires_at=expires_at):
        try:
            with transaction.atomic():
                ThrottleCounter.objects.create(key=key, count=1, expires_at=expires_at)
        except IntegrityError:
            pass  # remembered by a concurrent login


def wait_message(wait: float) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return "Too many login attempts. Please wait {} and try again.".format(
        "a minute" if minutes == 1 else f"{minutes} minutes"
    )


# --- Booking -------------------------------------------------------------------------------


def booking_try(request: HttpRequest) -> float | None:
    """Take a public booking's try for its client address: None, or the seconds to wait."""
    return take(f"booking_ip:{client_address(request)}", rate_of("BOOKING_RATE_PER_IP"))
