"""The conversation doors (messaging.conversation): every message to a patient goes out through
message_send, every message from one is recorded by message_receive — with or without a
campaign — and the source keeps it so."""

import ast
import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from appointments.models import Appointment, Service
from campaigns.choices import DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from messaging.choices import WebhookStatus
from messaging.conversation import (
    NotNow,
    PatientOptedOut,
    message_handled,
    message_receive,
    message_send,
)
from messaging.inbound import InboundMessage
from messaging.models import OutboxMessage
from messaging.replies import inbound_handle
from patients.optout import patient_opt_out
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    agent_environment,
    booking_links,
    make_campaign,
    make_patient,
)
from tests.messaging_fixtures import messaging_environment  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_a_message_without_a_campaign_goes_on_the_patients_preferred_channel():
    patient = make_patient(preferred_channels=["email", "sms"])
    service = Service.objects.create(slug="cleaning", name="Cleaning", duration_minutes=60)
    visit = Appointment.objects.create(
        patient=patient,
        service=service,
        appointment_date=timezone.now() + dt.timedelta(days=2),
        duration_minutes=60,
    )

    sent = message_send(patient, MessageKind.STAFF, "See you Tuesday.", appointment=visit)

    assert (sent.channel_type, sent.delivery_status) == (Channel.EMAIL, DeliveryStatus.SENT)
    assert sent.campaign is None and sent.appointment == visit and sent.patient == patient
    assert OutboxMessage.objects.get().to == "maria@example.com"


def test_an_opted_out_patient_gets_nothing_and_nothing_is_stored():
    campaign = make_campaign()
    patient_opt_out(patient=campaign.patient)

    with pytest.raises(PatientOptedOut):
        message_send(campaign.patient, MessageKind.STAFF, "Hello?", campaign=campaign)

    assert not Interaction.objects.filter(direction=Direction.OUTGOING).exists()
    assert not OutboxMessage.objects.exists()


def test_the_opt_out_confirmation_still_goes_once():
    campaign = make_campaign()
    patient_opt_out(patient=campaign.patient)

    first = message_send(
        campaign.patient, MessageKind.OPT_OUT_CONFIRMATION, "Bye.", campaign=campaign
    )
    second = message_send(
        campaign.patient, MessageKind.OPT_OUT_CONFIRMATION, "Bye.", campaign=campaign
    )

    assert first.delivery_status == DeliveryStatus.SENT
    assert second.delivery_status == DeliveryStatus.FAILED
    assert OutboxMessage.objects.count() == 1


def test_sending_is_activity_on_the_campaign():
    campaign = make_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=timezone.now() - dt.timedelta(days=3))

    message_send(campaign.patient, MessageKind.STAFF, "Still there?", campaign=campaign)

    campaign.refresh_from_db()
    assert timezone.now() - campaign.updated_at < dt.timedelta(minutes=1)


# Tuesday 2025-03-11 in New York (EDT, UTC-4): 07:00 is before the 09:00 window, 10:00 inside.
EARLY = dt.datetime(2025, 3, 11, 11, 0, tzinfo=dt.UTC)
OPEN = dt.datetime(2025, 3, 11, 13, 0, tzinfo=dt.UTC)
INSIDE = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)


def test_a_proactive_message_waits_for_the_send_window_and_a_reply_does_not():
    campaign = make_campaign()

    with time_machine.travel(EARLY, tick=False):
        with pytest.raises(NotNow) as refused:
            message_send(campaign.patient, MessageKind.FOLLOW_UP, "Hello?", campaign=campaign)
        answered = message_send(campaign.patient, MessageKind.STAFF, "Yes, 3pm.", campaign=campaign)

    assert refused.value.until == OPEN
    assert list(Interaction.objects.values_list("kind", flat=True)) == [MessageKind.STAFF]
    assert answered.delivery_status == DeliveryStatus.SENT


def test_one_proactive_message_a_day_whatever_the_campaign():
    patient = make_patient()
    first = make_campaign(patient, status="RECOVERY_FAILED")
    second = make_campaign(patient)

    with time_machine.travel(INSIDE, tick=False):
        message_send(patient, MessageKind.OUTREACH, "Hi!", campaign=first)
        with pytest.raises(NotNow) as refused:
            message_send(patient, MessageKind.FOLLOW_UP, "Hi again!", campaign=second)

    assert refused.value.until == dt.datetime(2025, 3, 12, 13, 0, tzinfo=dt.UTC)
    assert OutboxMessage.objects.count() == 1


def test_whatsapp_without_its_window_or_a_template_falls_back_to_another_channel(settings):
    settings.TWILIO_WHATSAPP_TEMPLATE_SIDS = {}
    patient = make_patient(preferred_channels=["whatsapp", "email", "sms"])
    campaign = make_campaign(patient, channel=Channel.WHATSAPP)

    with time_machine.travel(INSIDE, tick=False):
        sent = message_send(patient, MessageKind.FOLLOW_UP, "Checking in.", campaign=campaign)

    # SMS and email are both possible; the patient prefers email.
    assert (sent.channel_type, sent.delivery_status) == (Channel.EMAIL, DeliveryStatus.SENT)
    assert sent.campaign == campaign
    campaign.refresh_from_db()
    assert campaign.thread_id == patient.phone  # the WhatsApp thread is left as it was


def test_a_patient_who_did_not_agree_to_texts_is_written_to_by_email():
    patient = make_patient(preferred_channels=["sms", "email"], texts_allowed=False)
    campaign = make_campaign(patient, channel=Channel.SMS)

    with time_machine.travel(INSIDE, tick=False):
        sent = message_send(patient, MessageKind.FOLLOW_UP, "Checking in.", campaign=campaign)

    assert (sent.channel_type, sent.delivery_status) == (Channel.EMAIL, DeliveryStatus.SENT)
    assert OutboxMessage.objects.get().to == "maria@example.com"


def test_no_text_goes_to_a_patient_who_did_not_agree_to_texts_and_the_reason_is_kept():
    patient = make_patient(email="", texts_allowed=False)

    sent = message_send(patient, MessageKind.STAFF, "Hello!")

    assert (sent.channel_type, sent.delivery_status) == (Channel.SMS, DeliveryStatus.FAILED)
    assert sent.error == "Not sent: the patient has not agreed to text messages."
    assert not OutboxMessage.objects.exists()


def test_whatsapp_inside_its_window_stays_on_whatsapp(settings):
    settings.TWILIO_WHATSAPP_TEMPLATE_SIDS = {}
    patient = make_patient(preferred_channels=["whatsapp"])
    campaign = make_campaign(patient, channel=Channel.WHATSAPP)
    message_receive(patient, Channel.WHATSAPP, "hi", campaign=campaign, external_id="SM1")

    sent = message_send(patient, MessageKind.STAFF, "Hello!", campaign=campaign)

    assert (sent.channel_type, sent.delivery_status) == (Channel.WHATSAPP, DeliveryStatus.SENT)


def test_a_redelivered_message_is_recorded_once():
    campaign = make_campaign()
    patient = campaign.patient

    first = message_receive(patient, Channel.SMS, "yes", campaign=campaign, external_id="SM42")
    message_handled(first)
    again = message_receive(patient, Channel.SMS, "yes", campaign=campaign, external_id="SM42")

    assert first is not None and again is None
    (stored,) = Interaction.objects.filter(direction=Direction.INCOMING)
    assert (stored.kind, stored.patient, stored.campaign) == (MessageKind.REPLY, patient, campaign)


def test_a_redelivered_message_whose_handling_was_cut_short_is_handed_back_to_resume():
    campaign = make_campaign()
    patient = campaign.patient

    first = message_receive(patient, Channel.SMS, "yes", campaign=campaign, external_id="SM43")
    again = message_receive(patient, Channel.SMS, "yes", campaign=campaign, external_id="SM43")

    assert again == first and again.handled_at is None
    assert Interaction.objects.filter(direction=Direction.INCOMING).count() == 1


def test_one_message_per_idempotency_key():
    campaign = make_campaign()
    patient = campaign.patient

    first = message_send(
        patient, MessageKind.STAFF, "Hello!", campaign=campaign, idempotency_key="k1"
    )
    again = message_send(
        patient, MessageKind.STAFF, "Hello!", campaign=campaign, idempotency_key="k1"
    )

    assert again == first and first.delivery_status == DeliveryStatus.SENT
    assert Interaction.objects.filter(direction=Direction.OUTGOING).count() == 1


# --- The doors stay the only ones ---------------------------------------------------------------

DOOR = Path("messaging/conversation.py")
ALLOWED = {DOOR}


def _creates_interactions(tree: ast.AST) -> list[int]:
    """Lines that build an Interaction: Interaction(...), Interaction.objects.create(...) or a
    bulk_create(...) on Interaction."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        text = ast.unparse(node.func)
        builds = text in ("Interaction", "Interaction.objects.create") or (
            text.startswith("Interaction.objects.")
            and text.endswith(("bulk_create", "get_or_create", "update_or_create"))
        )
        if builds:
            lines.append(node.lineno)
    return lines


def test_only_the_doors_create_messages():
    root = Path(settings.BASE_DIR)
    found = {}
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root)
        if (
            relative.parts[0] in {".venv", "tests", "bench", "var"}
            or "migrations" in relative.parts
        ):
            continue
        if relative in ALLOWED:
            continue
        lines = _creates_interactions(ast.parse(path.read_text()))
        if lines:
            found[str(relative)] = lines
    assert found == {}


def test_the_door_check_sees_each_way_of_creating_a_message():
    source = """
Interaction(patient=p)
Interaction.objects.create(patient=p)
Interaction.objects.bulk_create(rows)
Interaction.objects.filter(pk=1).update(content="")
Campaign.objects.create()
"""
    assert _creates_interactions(ast.parse(source)) == [2, 3, 4]


def test_a_message_recorded_in_the_admin_goes_through_the_doors(client, manager):
    campaign = make_campaign()
    client.force_login(manager)
    form = {
        "patient": campaign.patient.pk,
        "campaign": campaign.pk,
        "timestamp_0": "2025-03-11",
        "timestamp_1": "10:00:00",
        "channel_type": Channel.SMS,
        "content": "Called: she will book online.",
    }

    logged = client.post("/admin/campaigns/interaction/add/", {**form, "direction": "outgoing"})
    heard = client.post("/admin/campaigns/interaction/add/", {**form, "direction": "incoming"})

    assert (logged.status_code, heard.status_code) == (302, 302)
    rows = Interaction.objects.order_by("direction").values_list(
        "direction", "kind", "delivery_status", "author"
    )
    assert list(rows) == [
        (Direction.INCOMING, MessageKind.REPLY, DeliveryStatus.RECEIVED, manager.pk),
        (Direction.OUTGOING, MessageKind.STAFF, DeliveryStatus.SENT, manager.pk),
    ]
    assert not OutboxMessage.objects.exists()  # recorded, never sent


def test_the_admin_refuses_a_campaign_of_another_patient(client, manager):
    campaign = make_campaign()
    other = make_patient(name="Other Person", email="other@example.com", phone="+15185550999")
    client.force_login(manager)

    response = client.post(
        "/admin/campaigns/interaction/add/",
        {
            "patient": other.pk,
            "campaign": campaign.pk,
            "timestamp_0": "2025-03-11",
            "timestamp_1": "10:00:00",
            "direction": "incoming",
            "channel_type": Channel.SMS,
            "content": "Hello",
        },
    )

    assert response.status_code == 200
    assert "The campaign belongs to another patient." in response.text
    assert not Interaction.objects.exists()


def test_a_reply_on_the_fallback_channel_reaches_its_campaign():
    patient = make_patient(preferred_channels=["whatsapp", "sms"])
    campaign = make_campaign(patient, channel=Channel.WHATSAPP)

    status, _ = inbound_handle(
        InboundMessage(
            channel=Channel.SMS,
            thread_id=patient.phone,
            text="yes please, book me in",
            external_id="SM" + "1" * 32,
            sender=patient.phone,
        )
    )

    assert status == WebhookStatus.PROCESSED
    (reply,) = Interaction.objects.filter(direction=Direction.INCOMING)
    assert (reply.campaign, reply.channel_type) == (campaign, Channel.SMS)
    assert Interaction.objects.filter(direction=Direction.OUTGOING, campaign=campaign).exists()
