"""The agent's settings: defaults, and a bad value stopping start-up with its name."""

import datetime as dt

import pytest
from django.conf import settings

from agent.conf import agent_settings
from dentalai.env import weekdays
from tests.agent_fixtures import agent_environment  # noqa: F401 - fixture
from tests.startup import refused_naming


def test_the_defaults_need_nothing_set():
    config = agent_settings()
    assert config.llm == "offline"
    assert (config.send_window_start, config.send_window_end) == (dt.time(9), dt.time(19))
    assert config.send_window_days == frozenset(range(5))
    assert config.follow_up_interval == dt.timedelta(days=3)
    assert config.handoff_notify_email == ""


def test_window_days_accept_ranges_and_lists(monkeypatch):
    monkeypatch.setenv("SEND_WINDOW_DAYS", "mon-wed,sat")
    assert weekdays("SEND_WINDOW_DAYS", "mon-fri") == frozenset({0, 1, 2, 5})


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
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    assert refused_naming({name: value}, name)


def test_the_openai_brain_needs_a_key():
    assert refused_naming({"AGENT_LLM": "openai", "OPENAI_API_KEY": ""}, "OPENAI_API_KEY")


AGENT_VARIABLES = {
    "AGENT_LLM",
    "OPENAI_API_KEY",
    "OPENAI_MODEL",
    "OPENAI_BASE_URL",
    "OPENAI_TIMEOUT_SECONDS",
    "OPENAI_MAX_RETRIES",
    "SEND_WINDOW_START",
    "SEND_WINDOW_END",
    "SEND_WINDOW_DAYS",
    "FOLLOW_UP_INTERVAL_DAYS",
    "HANDOFF_NOTIFY_EMAIL",
}


def test_the_env_example_lists_every_variable_the_agent_reads():
    import re
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    source = (root / "dentalai" / "settings.py").read_text()
    read = set(re.findall(r'\(\s*"([A-Z][A-Z0-9_]+)"', source))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    assert read >= AGENT_VARIABLES
    assert listed >= AGENT_VARIABLES, (
        f"missing from .env.example: {sorted(AGENT_VARIABLES - listed)}"
    )
