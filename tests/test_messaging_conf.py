"""Messaging settings: every variable is in .env.example, and a bad value names its variable."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dentalai.env import phone
from messaging.conf import messaging_settings, setting_names, template_kinds_check
from tests.messaging_fixtures import messaging_environment  # noqa: F401 - fixture
from tests.startup import refused_naming


def test_every_messaging_variable_is_listed_in_env_example():
    example = (Path(settings.BASE_DIR) / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))

    assert sorted(set(setting_names()) - listed) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GMAIL_ADDRESS", "not-an-address"),
        ("GMAIL_TOPIC", "gmail-topic"),
        ("GMAIL_RESYNC_MAX", "0"),
        ("PUBSUB_SERVICE_ACCOUNT_EMAIL", "push"),
        ("TWILIO_ACCOUNT_SID", "SK123"),
        ("TWILIO_FROM_NUMBER", "555-0100"),
        ("TWILIO_MESSAGING_SERVICE_SID", "AC123"),
        ("TWILIO_WHATSAPP_FROM", "whatsapp:5550100"),
        ("TWILIO_WHATSAPP_TEMPLATE_SIDS", "outreach:HX123"),
        ("TWILIO_WHATSAPP_TEMPLATE_SIDS", "birthday=HX" + "0" * 32),
        ("TWILIO_API_BASE_URL", "ftp://twilio"),
        ("WEBHOOK_PUBLIC_URL", "clinic.example.com"),
        ("SEND_RETRY_MAX", "many"),
        ("SEND_RETRY_MAX", "11"),
        ("SEND_RETRY_BASE_SECONDS", "0"),
        ("SEND_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_a_bad_value_stops_start_up_naming_its_variable(name, value):
    assert refused_naming({name: value}, name)


def test_a_whatsapp_sender_without_its_prefix_gets_one(monkeypatch):
    monkeypatch.setenv("TWILIO_WHATSAPP_FROM", "+14155238886")

    assert phone("TWILIO_WHATSAPP_FROM", prefix="whatsapp:", optional_prefix=True) == (
        "whatsapp:+14155238886"
    )


def test_templates_are_read_per_message_kind(settings):
    sid = "HX" + "ab" * 16
    settings.TWILIO_WHATSAPP_TEMPLATE_SIDS = {"outreach": sid, "default": sid}

    template_kinds_check()
    assert messaging_settings().twilio_whatsapp_template_sids == {"outreach": sid, "default": sid}


def test_a_missing_value_a_feature_needs_is_named(settings):
    settings.TWILIO_AUTH_TOKEN = ""

    with pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN must be set to send"):
        messaging_settings().required("twilio_auth_token", "to send SMS")
