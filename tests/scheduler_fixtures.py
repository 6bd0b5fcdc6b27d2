"""Fixtures for the scheduler's tests (imported by tests/test_triggers.py and
tests/test_schedules.py)."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django_q.conf import Conf

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, Service
from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign
from dentalai.choices import Channel
from patients.choices import PatientType
from patients.models import Patient

SCHEDULER_VARIABLES = (
    "DAILY_TRIGGER_TIME",
    "FOLLOWUP_INTERVAL_MINUTES",
    "FOLLOWUP_BATCH_SIZE",
    "GMAIL_POLL_MINUTES",
    "RECOVERY_ESTIMATED_VALUE",
    "RECALL_ESTIMATED_VALUE",
)

_numbers = itertools.count(1000)


@pytest.fixture(autouse=True)
def scheduler_environment(settings):
    """The default scheduler settings and a 180-day cool-down, whatever the shell says."""
    settings.DAILY_TRIGGER_TIME = dt.time(7, 0)
    settings.FOLLOWUP_INTERVAL_MINUTES = 5
    settings.FOLLOWUP_BATCH_SIZE = 500
    settings.GMAIL_POLL_MINUTES = 5
    settings.RECOVERY_ESTIMATED_VALUE = Decimal("300.00")
    settings.RECALL_ESTIMATED_VALUE = Decimal("200.00")
    settings.RECOVERY_COOLDOWN_DAYS = 180
    settings.CAMPAIGN_MAX_ATTEMPTS = 3


@pytest.fixture
def q_sync(settings, monkeypatch):
    """django-q2 runs tasks inline. It reads Q_CLUSTER once, at import (django_q.conf.Conf),
    so the setting alone would not reach it: its Conf is switched as well."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    monkeypatch.setattr(Conf, "SYNC", True)


def make_patient(patient_type: str = PatientType.COLD_LEAD, **fields) -> Patient:
    """A patient with an address of each kind, unique per call."""
    n = next(_numbers)
    defaults = {
        "name": f"Pat Number{n}",
        "email": f"pat{n}@example.com",
        "phone": f"+1518555{n:04d}",
        "patient_type": patient_type,
        "preferred_channels": ["sms"],
    }
    return Patient.objects.create(**{**defaults, **fields})


def make_lead(**fields) -> Patient:
    return make_patient(PatientType.COLD_LEAD, **fields)


def make_existing(due: dt.date | None, **fields) -> Patient:
    return make_patient(PatientType.EXISTING, next_follow_up_date=due, **fields)


def make_campaign(
    patient: Patient,
    *,
    campaign_type: str = CampaignType.RECOVERY,
    status: str = CampaignStatus.ATTEMPTING_RECOVERY,
    ended_at: dt.datetime | None = None,
    **fields,
) -> Campaign:
    """A campaign of `patient`; `ended_at` backdates its last change (when it closed)."""
    campaign = Campaign.objects.create(
        patient=patient,
        campaign_type=campaign_type,
        status=status,
        channel_type=Channel.SMS,
        thread_id=patient.phone,
        **fields,
    )
    if ended_at is not None:
        Campaign.objects.filter(pk=campaign.pk).update(created_at=ended_at, updated_at=ended_at)
        campaign.refresh_from_db()
    return campaign


def make_appointment(
    patient: Patient, start: dt.datetime, status: str = AppointmentStatus.BOOKED
) -> Appointment:
    service, _ = Service.objects.get_or_create(
        slug="cleaning", defaults={"name": "Cleaning", "duration_minutes": 60}
    )
    return Appointment.objects.create(
        patient=patient,
        service=service,
        appointment_date=start,
        duration_minutes=60,
        status=status,
        created_from=CreatedFrom.MANUAL_ADMIN,
    )
