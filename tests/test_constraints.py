"""The database itself, not Python, refuses what must never be stored twice."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from messaging.choices import WebhookSource
from messaging.models import WebhookEvent
from patients.models import Patient

pytestmark = pytest.mark.django_db


@contextmanager
def refused():
    """Expect an IntegrityError from the database, inside a savepoint so the test goes on."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def campaign(patient, status=CampaignStatus.ATTEMPTING_RECOVERY, **fields):
    fields.setdefault("campaign_type", CampaignType.RECOVERY)
    fields.setdefault("channel_type", Channel.EMAIL)
    return Campaign.objects.create(patient=patient, status=status, **fields)


@pytest.fixture
def patient():
    return Patient.objects.create(
        name="Maria Garcia", email="maria@example.com", phone="+12125550123"
    )


def test_it_refuses_a_second_active_campaign_for_one_patient(patient):
    campaign(patient, CampaignStatus.RE_ENGAGED)
    with refused():
        campaign(patient, CampaignStatus.HANDOFF_REQUIRED)
    assert Campaign.objects.filter(patient=patient).count() == 1


def test_it_allows_closed_campaigns_beside_the_active_one(patient):
    campaign(patient, CampaignStatus.RECOVERY_FAILED)
    campaign(patient, CampaignStatus.RECOVERY_DECLINED)
    campaign(patient, CampaignStatus.ATTEMPTING_RECOVERY)
    assert Campaign.objects.filter(patient=patient, is_active=True).count() == 1


def test_it_refuses_reopening_a_closed_campaign_while_another_is_active(patient):
    old = campaign(patient, CampaignStatus.RECOVERY_FAILED)
    campaign(patient, CampaignStatus.ATTEMPTING_RECOVERY)
    old.status = CampaignStatus.RE_ENGAGED
    with refused():
        old.save(update_fields=["status"])


def test_it_refuses_a_second_recall_for_the_same_due_date(patient):
    due = "2026-11-01"
    campaign(
        patient, CampaignStatus.RECOVERED, campaign_type=CampaignType.RECALL, recall_due_date=due
    )
    with refused():
        campaign(
            patient,
            CampaignStatus.RECOVERY_FAILED,
            campaign_type=CampaignType.RECALL,
            recall_due_date=due,
        )


def test_it_refuses_a_duplicate_patient_email(patient):
    with refused():
        Patient.objects.create(name="Someone Else", email="maria@example.com")


def test_it_compares_patient_emails_case_insensitively(patient):
    with refused():
        Patient.objects.create(name="Someone Else", email="  Maria@Example.COM ")


def test_it_refuses_a_duplicate_patient_phone_in_another_format(patient):
    with refused():
        Patient.objects.create(name="Someone Else", phone="(212) 555-0123")


def test_it_allows_many_patients_without_email_or_phone():
    Patient.objects.create(name="Walk In One")
    Patient.objects.create(name="Walk In Two")
    assert Patient.objects.filter(email="", phone="").count() == 2


def test_it_refuses_a_duplicate_webhook_event_per_source():
    WebhookEvent.objects.create(source=WebhookSource.GMAIL, event_id="123")
    WebhookEvent.objects.create(source=WebhookSource.TWILIO, event_id="123")
    with refused():
        WebhookEvent.objects.create(source=WebhookSource.GMAIL, event_id="123")


def test_it_refuses_a_duplicate_inbound_message_per_channel(patient):
    conversation = campaign(patient)

    def incoming(channel, external_id):
        return Interaction.objects.create(
            campaign=conversation,
            direction=Direction.INCOMING,
            content="Yes please",
            channel_type=channel,
            external_id=external_id,
            delivery_status=DeliveryStatus.RECEIVED,
        )

    incoming(Channel.SMS, "SM123")
    incoming(Channel.EMAIL, "SM123")  # another channel: another provider's id space
    incoming(Channel.SMS, "")  # no provider id (a manual note): never a duplicate
    incoming(Channel.SMS, "")
    with refused():
        incoming(Channel.SMS, "SM123")
    assert Interaction.objects.count() == 4
