"""The agent's settings as one value (parsed and checked once, at start-up, in
dentalai/settings.py: a bad value stops the process naming its variable)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings


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


def agent_settings() -> AgentSettings:
    return AgentSettings(
        llm=settings.AGENT_LLM,
        openai_api_key=settings.OPENAI_API_KEY,
        openai_model=settings.OPENAI_MODEL,
        openai_base_url=settings.OPENAI_BASE_URL,
        openai_timeout_seconds=settings.OPENAI_TIMEOUT_SECONDS,
        openai_max_retries=settings.OPENAI_MAX_RETRIES,
        send_window_start=settings.SEND_WINDOW_START,
        send_window_end=settings.SEND_WINDOW_END,
        send_window_days=frozenset(settings.SEND_WINDOW_DAYS),
        follow_up_interval=dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS),
        handoff_notify_email=settings.HANDOFF_NOTIFY_EMAIL,
    )
