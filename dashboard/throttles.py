"""The login page's throttle: the API's limits and counters (dentalai.throttles), so that guessing
passwords through the dashboard and through `POST /auth/login` draws on the same allowance.

Unlike the API, the page counts failed attempts only: a front-desk computer that logs in and out
all day must not lock its staff out. Over the limit, no password is checked at all.
"""

import hashlib
import math

from django.http import HttpRequest

from dentalai.throttles import (
    LoginRateThrottlePerEmail,
    LoginRateThrottlePerIP,
    SettingsRateThrottle,
)

THROTTLED = "Too many login attempts. Please wait {minutes} and try again."


def _keys(request: HttpRequest, email: str) -> list[tuple[SettingsRateThrottle, str]]:
    keys = []
    by_ip = LoginRateThrottlePerIP()
    ip_key = by_ip.get_cache_key(request)
    if ip_key:
        keys.append((by_ip, ip_key))
    email = (email or "").strip().lower()
    if email:
        by_email = LoginRateThrottlePerEmail()
        digest = hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()
        keys.append((by_email, by_email.key_for(digest)))
    return keys


def _recent(throttle: SettingsRateThrottle, key: str) -> tuple[list[float], int, int]:
    num_requests, duration = throttle.parse_rate(throttle.get_rate())
    now = throttle.timer()
    history = [moment for moment in throttle.cache.get(key, []) if moment > now - duration]
    return history, num_requests, duration


def login_wait_seconds(request: HttpRequest, email: str) -> float | None:
    """Seconds to wait before this address or account may try again; None when it may now."""
    waits = []
    for throttle, key in _keys(request, email):
        history, num_requests, duration = _recent(throttle, key)
        if len(history) >= num_requests:
            oldest = history[-1] if history else throttle.timer()
            waits.append(max(duration - (throttle.timer() - oldest), 1))
    return max(waits) if waits else None


def login_failed(request: HttpRequest, email: str) -> None:
    """Count a failed attempt against the client address and the account."""
    for throttle, key in _keys(request, email):
        history, _, duration = _recent(throttle, key)
        history.insert(0, throttle.timer())
        throttle.cache.set(key, history, duration)


def throttled_message(wait: float) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return THROTTLED.format(minutes="a minute" if minutes == 1 else f"{minutes} minutes")
