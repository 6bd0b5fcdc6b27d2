"""The agent's settings, read from the environment (listed in .env.example).

Read on each call, so a test or a management command sees the environment as it is now; the
app checks them once at start-up (AgentConfig.ready), so a bad value stops the process with
ImproperlyConfigured naming the variable instead of failing on the first patient reply.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from dentalai.env import clock_time, env, read, text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# TCPA: no telemarketing-style messages before 08:00 or after 21:00 at the recipient's end.
HARD_WINDOW = (dt.time(8, 0), dt.time(21, 0))


@dataclass(frozen=True)
class AgentSettings:
    llm: str
    openai_api_key: str
    openai_model: str
    openai_base_url: str
    openai_timeout_seconds: float
    openai_max_retries: int
    send_window_start: dt.time
    send_window_end: dt.time
    send_window_days: frozenset[int]
    follow_up_interval: dt.timedelta
    handoff_notify_email: str


def _days(name: str, default: str) -> frozenset[int]:
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


def agent_settings() -> AgentSettings:
    llm = text("AGENT_LLM", "offline").lower()
    if llm not in ("offline", "openai"):
        raise ImproperlyConfigured(f"AGENT_LLM: {llm!r} is not 'offline' or 'openai'")
    api_key = env.str("OPENAI_API_KEY", default="")
    if llm == "openai" and not api_key:
        raise ImproperlyConfigured("OPENAI_API_KEY must be set when AGENT_LLM=openai")
    base_url = text("OPENAI_BASE_URL")
    if base_url and not re.match(r"https?://", base_url):
        raise ImproperlyConfigured(f"OPENAI_BASE_URL: {base_url!r} is not an http(s) URL")
    timeout = read("OPENAI_TIMEOUT_SECONDS", env.float, 20.0)
    if timeout <= 0:
        raise ImproperlyConfigured("OPENAI_TIMEOUT_SECONDS must be positive")
    retries = read("OPENAI_MAX_RETRIES", env.int, 2)
    if not 0 <= retries <= 5:
        raise ImproperlyConfigured("OPENAI_MAX_RETRIES must be between 0 and 5")

    start = clock_time("SEND_WINDOW_START", "09:00")
    end = clock_time("SEND_WINDOW_END", "19:00")
    if not start < end:
        raise ImproperlyConfigured("SEND_WINDOW_START must be before SEND_WINDOW_END")
    if start < HARD_WINDOW[0] or end > HARD_WINDOW[1]:
        raise ImproperlyConfigured(
            "SEND_WINDOW_START/SEND_WINDOW_END must stay within 08:00-21:00 clinic time"
        )
    interval = read("FOLLOW_UP_INTERVAL_DAYS", env.float, 3.0)
    if interval < 1:
        raise ImproperlyConfigured("FOLLOW_UP_INTERVAL_DAYS must be at least 1")
    notify = text("HANDOFF_NOTIFY_EMAIL")
    if notify and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", notify):
        raise ImproperlyConfigured(f"HANDOFF_NOTIFY_EMAIL: {notify!r} is not an email address")

    return AgentSettings(
        llm=llm,
        openai_api_key=api_key,
        openai_model=text("OPENAI_MODEL", "gpt-4o-mini"),
        openai_base_url=base_url,
        openai_timeout_seconds=timeout,
        openai_max_retries=retries,
        send_window_start=start,
        send_window_end=end,
        send_window_days=_days("SEND_WINDOW_DAYS", "mon-fri"),
        follow_up_interval=dt.timedelta(days=interval),
        handoff_notify_email=notify,
    )
