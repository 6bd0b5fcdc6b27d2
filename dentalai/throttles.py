"""Rate limits for the API, on ninja's throttling (a 429 with Retry-After, see dentalai/api.py).

The rates come from settings on every request, not once at import, so a changed setting (an
operator's, or a test's `settings` fixture) takes effect at once.
"""

import hashlib
import json
import logging
import threading

from django.conf import settings
from django.http import HttpRequest
from django.http.request import RawPostDataException
from ninja.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class SettingsRateThrottle(SimpleRateThrottle):
    """A sliding-window limit whose rate ("count/period", e.g. "5/15m") is the setting named by
    `rate_setting`.

    Ninja keeps one throttle instance per operation, shared by every request; its stock class
    keeps per-request state on that instance, which threads serving requests at the same time
    would overwrite. Here each request's state stays local, and only the wait (read back by
    ninja right after a refusal, in the same thread) is kept, per thread."""

    scope: str
    rate_setting: str

    def __init__(self) -> None:
        self._local = threading.local()

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = None
        key = self.get_cache_key(request)
        if key is None:
            return True
        num_requests, duration = self.parse_rate(self.get_rate())
        now = self.timer()
        history = [moment for moment in self.cache.get(key, []) if moment > now - duration]
        if len(history) >= num_requests:
            oldest = history[-1] if history else now  # a rate of 0 refuses everything
            self._local.wait = max(duration - (now - oldest), 0)
            logger.warning("throttled: %s", self.scope)
            return False
        history.insert(0, now)
        self.cache.set(key, history, duration)
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)

    def key_for(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottlePerIP(SettingsRateThrottle):
    """Login attempts per client address (behind proxies: settings.NINJA_NUM_PROXIES)."""

    scope = "login_ip"
    rate_setting = "LOGIN_RATE_PER_IP"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        ident = self.get_ident(request)
        return self.key_for(ident) if ident else None


class LoginRateThrottlePerEmail(SettingsRateThrottle):
    """Login attempts per account, whatever address they come from: the guard against password
    guessing spread over many addresses. Keyed on the lower-cased email of the JSON body, hashed
    so no email lands in the cache. A body that isn't a JSON object with a string email is not
    counted here; the endpoint answers it with a 422."""

    scope = "login_email"
    rate_setting = "LOGIN_RATE_PER_EMAIL"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        email = _json_body_field(request, "email")
        if not isinstance(email, str) or not email.strip():
            return None
        digest = hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass"))
        return self.key_for(digest.hexdigest())


def _json_body_field(request: HttpRequest, name: str) -> object:
    """`name` of the request's JSON object body; None for any body that isn't one (invalid JSON,
    bad encoding, nesting too deep, a stream already read)."""
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError, RawPostDataException):
        return None
    return data.get(name) if isinstance(data, dict) else None
