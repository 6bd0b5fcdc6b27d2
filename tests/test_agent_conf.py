"""The agent's settings: defaults, and a bad value named in the error."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from agent.conf import agent_settings
from tests.agent_fixtures import agent_environment  # noqa: F401 - fixture


def test_the_defaults_need_nothing_set():
    config = agent_settings()
    assert config.llm == "offline"
    assert (config.send_window_start, config.send_window_end) == (dt.time(9), dt.time(19))
    assert config.send_window_days == frozenset(range(5))
    assert config.follow_up_interval == dt.timedelta(days=3)
    assert config.handoff_notify_email == ""


def test_window_days_accept_ranges_and_lists(monkeypatch):
    monkeypatch.setenv("SEND_WINDOW_DAYS", "mon-wed,sat")
    assert agent_settings().send_window_days == frozenset({0, 1, 2, 5})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AGENT_LLM", "gpt"),
        ("SEND_WINDOW_START", "9am"),
        ("SEND_WINDOW_START", "07:30"),
        ("SEND_WINDOW_END", "21:30"),
        ("SEND_WINDOW_DAYS", "weekdays"),
        ("FOLLOW_UP_INTERVAL_DAYS", "soon"),
        ("OPENAI_TIMEOUT_SECONDS", "-1"),
        ("OPENAI_MAX_RETRIES", "50"),
        ("OPENAI_BASE_URL", "localhost:8080"),
        ("HANDOFF_NOTIFY_EMAIL", "front desk"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        agent_settings()


def test_the_openai_brain_needs_a_key(monkeypatch):
    monkeypatch.setenv("AGENT_LLM", "openai")
    with pytest.raises(ImproperlyConfigured, match="OPENAI_API_KEY"):
        agent_settings()


def test_the_env_example_lists_every_variable_the_agent_reads():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = (root / "agent" / "conf.py").read_text()
    read = set(
        re.findall(
            r'(?:read|text|clock_time|integer|_days|env\.\w+)\(\s*"([A-Z][A-Z0-9_]+)"', source
        )
    )
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    assert len(read) >= 11
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"
