"""Fixtures for the agent's tests (imported by tests/test_agent_*.py)."""

import datetime as dt
import sys
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from agent.knowledge import kb_cache_clear, kb_import_file
from campaigns.choices import CampaignStatus, CampaignType, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from messaging.models import OutboxMessage
from patients.choices import PatientType
from patients.models import Patient

EVALDATA = Path(settings.BASE_DIR).parent / "shared" / "evaldata"
DEV_KB = EVALDATA / "dev_kb.md"
DEV_CASES = EVALDATA / "dev_cases.jsonl"

# A Tuesday at 10:00 in New York (inside the default 09:00-19:00 Mon-Fri window).
WORKDAY_MORNING = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def agent_environment(settings):
    """The offline brain and default windows, whatever the developer's shell says."""
    settings.AGENT_LLM = "offline"
    settings.OPENAI_BASE_URL = settings.OPENAI_API_KEY = ""
    settings.SEND_WINDOW_START, settings.SEND_WINDOW_END = dt.time(9), dt.time(19)
    settings.SEND_WINDOW_DAYS = frozenset(range(5))
    settings.FOLLOW_UP_INTERVAL_DAYS = 3.0
    settings.HANDOFF_NOTIFY_EMAIL = ""
    settings.CLINIC_TIME_ZONE = "America/New_York"
    settings.CLINIC_NAME = "Bright Smile Dental"
    settings.SITE_URL = "https://clinic.example.com"
    kb_cache_clear()
    yield
    kb_cache_clear()


@pytest.fixture(autouse=True)
def booking_links(monkeypatch):
    """appointments.booking_links.booking_link_url(campaign) -> str, a signed link to
    /book/?t=… bound to the campaign. Until that module exists, a stand-in with the same
    signature takes its place."""
    try:
        import appointments.booking_links as module
    except ImportError:
        module = types.ModuleType("appointments.booking_links")

        def booking_link_url(campaign) -> str:
            return f"{settings.SITE_URL}/book/?t=signed-{campaign.pk}"

        module.booking_link_url = booking_link_url
        monkeypatch.setitem(sys.modules, "appointments.booking_links", module)
    return module


@pytest.fixture
def kb(db):
    """The development clinic's knowledge base, imported as `manage.py import_kb` does."""
    kb_import_file(DEV_KB)
    kb_cache_clear()


def make_patient(**fields) -> Patient:
    defaults = {
        "name": "Maria Lopez",
        "email": "maria@example.com",
        "phone": "+15185550123",
        "patient_type": PatientType.COLD_LEAD,
        "initial_inquiry": "Porcelain crown",
        "preferred_channels": ["sms"],
    }
    return Patient.objects.create(**{**defaults, **fields})


def make_campaign(
    patient: Patient | None = None,
    *,
    channel: str = Channel.SMS,
    status: str = CampaignStatus.ATTEMPTING_RECOVERY,
    campaign_type: str = CampaignType.RECOVERY,
    **fields,
) -> Campaign:
    patient = patient or make_patient()
    return Campaign.objects.create(
        patient=patient,
        campaign_type=campaign_type,
        status=status,
        channel_type=channel,
        thread_id=patient.phone if channel != Channel.EMAIL else "",
        **fields,
    )


def sent_messages(campaign: Campaign) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(interaction__campaign=campaign).order_by("created_at"))


def outgoing(campaign: Campaign) -> list[Interaction]:
    return list(campaign.interactions.filter(direction=Direction.OUTGOING).order_by("timestamp"))


def incoming(campaign: Campaign) -> list[Interaction]:
    return list(campaign.interactions.filter(direction=Direction.INCOMING).order_by("timestamp"))


def now() -> dt.datetime:
    return timezone.now()
