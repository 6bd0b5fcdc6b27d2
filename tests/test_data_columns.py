"""Data where it is queried: a message's kind and patient and a handoff's reason and time are
columns (the caps, the template choice and the handoff queue read them), and the migration fills
them for rows written before."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from campaigns.services import campaign_set_status
from dashboard.selectors import handoff_queue
from dentalai.choices import Channel
from patients.models import Patient

# Patients as they were then too: a later column without a database default (external_id)
# would be missing from the old model's inserts.
PATIENTS_THEN = ("patients", "0002_new_patients_booking")
BEFORE = [("campaigns", "0001_initial"), PATIENTS_THEN]
AFTER = [("campaigns", "0002_interaction_patient_kind_handoff_fields")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_kind_patient_and_handoff_from_the_old_json():
    old = _migrate(BEFORE)
    patient = old.get_model("patients", "Patient").objects.create(name="Old Row", phone="+15550001")
    campaign = old.get_model("campaigns", "Campaign").objects.create(
        patient=patient,
        campaign_type="RECOVERY",
        channel_type="sms",
        status="HANDOFF_REQUIRED",
        is_active=True,
        handoff_details={
            "summary": "Swelling",
            "reason": "pain_or_emergency",
            "requested_at": "2025-08-20T14:03:11.512Z",
        },
    )
    messages = old.get_model("campaigns", "Interaction").objects
    rows = {
        "outreach": {"direction": "outgoing", "ai_analysis": {"kind": "outreach"}},
        "reply": {"direction": "incoming", "ai_analysis": {"intent": "question"}},
    }
    ids = {
        name: messages.create(
            campaign=campaign, content="x", channel_type="sms", delivery_status="sent", **fields
        ).pk
        for name, fields in rows.items()
    }

    _migrate(AFTER)
    _migrate(_leaf())

    for name, pk in ids.items():
        row = Interaction.objects.get(pk=pk)
        assert (row.kind, row.patient_id) == (name, patient.pk)
    moved = Campaign.objects.get(pk=campaign.pk)
    assert moved.handoff_reason == "pain_or_emergency"
    assert moved.handoff_requested_at == dt.datetime(2025, 8, 20, 14, 3, 11, 512000, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_messages_received_before_crash_safe_handling_count_as_handled():
    old = _migrate([("campaigns", "0003_interaction_appointment"), PATIENTS_THEN])
    patient = old.get_model("patients", "Patient").objects.create(name="Old Row", phone="+15550003")
    received_at = dt.datetime(2025, 8, 20, 14, 3, tzinfo=dt.UTC)
    reply = old.get_model("campaigns", "Interaction").objects.create(
        patient=patient,
        direction="incoming",
        content="x",
        channel_type="sms",
        external_id="SM-old",
        delivery_status="received",
        timestamp=received_at,
    )

    _migrate(_leaf())

    # A redelivery of it is a duplicate, not a handling to resume.
    assert Interaction.objects.get(pk=reply.pk).handled_at == received_at


def _leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _patient(name: str, phone: str) -> Patient:
    return Patient.objects.create(name=name, phone=phone)


def test_a_message_can_stand_without_a_campaign(db):
    patient = _patient("Phone Booking", "+15550002")

    message = Interaction.objects.create(
        patient=patient,
        direction=Direction.OUTGOING,
        content="See you Tuesday.",
        channel_type=Channel.SMS,
        delivery_status=DeliveryStatus.SENT,
    )

    assert list(patient.interactions.all()) == [message] and message.campaign is None


def test_a_campaign_message_belongs_to_its_patient(db):
    patient = _patient("Campaign Patient", "+15550003")
    campaign = Campaign.objects.create(
        patient=patient, campaign_type=CampaignType.RECOVERY, channel_type=Channel.SMS
    )

    message = Interaction.objects.create(
        campaign=campaign,
        direction=Direction.INCOMING,
        content="hi",
        channel_type=Channel.SMS,
        delivery_status=DeliveryStatus.RECEIVED,
    )

    assert message.patient_id == patient.pk


def test_the_queue_waits_from_when_each_handoff_was_asked_for(manager):
    now = timezone.now()
    older = Campaign.objects.create(
        patient=_patient("Waiting Long", "+15550004"),
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.SMS,
        status=CampaignStatus.HANDOFF_REQUIRED,
        handoff_requested_at=now - dt.timedelta(hours=5),
    )
    # Touched since (a note, a message) but handed off later: it waits less.
    newer = Campaign.objects.create(
        patient=_patient("Waiting Short", "+15550005"),
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.SMS,
        status=CampaignStatus.RE_ENGAGED,
    )
    campaign_set_status(actor=manager, campaign=newer, status=CampaignStatus.HANDOFF_REQUIRED)
    Campaign.objects.filter(pk=older.pk).update(updated_at=now)

    queue = handoff_queue(now=now + dt.timedelta(minutes=1))

    assert [item.campaign.pk for item in queue] == [older.pk, newer.pk]
    newer.refresh_from_db()
    assert newer.handoff_requested_at is not None  # a staff handoff records its time too
    assert queue[0].waited > dt.timedelta(hours=5)
