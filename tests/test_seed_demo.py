"""The demo clinic: acted out through the product's services, complete, consistent, and safe to
seed again. Most tests read the session's seeded clinic (the `demo_clinic` fixture loads it)."""

import datetime as dt
import json
import re
from collections import Counter
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from agent.services import daily_trigger_run
from appointments.asap import suits
from appointments.choices import AppointmentStatus, AsapSource, AsapStatus
from appointments.models import Appointment, AsapRequest, SlotOffer
from appointments.services import appointment_cancel
from campaigns.choices import (
    CampaignStatus,
    CampaignType,
    DeliveryStatus,
    Direction,
    MessageKind,
)
from campaigns.models import Campaign, Interaction
from demo.clinic import DEMO_MANAGER_EMAIL
from demo.seed import demo_counts
from demo.stories import demo_plans
from dentalai.choices import Channel
from dentalai.models import User
from messaging.asap import slot_offers_send
from messaging.models import OutboxMessage
from messaging.policy import next_window_start
from patients.choices import PatientType
from patients.consent import is_opt_out
from patients.contact import normalize_phone
from patients.models import Patient

LOGIN = re.compile(r"Demo login: (\S+@\S+) / (\S+)")


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def stories() -> dict[str, tuple]:
    """Each patient (by phone) with their type and their campaigns' types and statuses."""
    campaigns: dict[str, list] = {}
    for phone, ctype, status in Campaign.objects.values_list(
        "patient__phone", "campaign_type", "status"
    ):
        campaigns.setdefault(phone, []).append((ctype, status))
    return {
        phone: (name, patient_type, sorted(campaigns.get(phone, [])))
        for phone, name, patient_type in Patient.objects.values_list(
            "phone", "name", "patient_type"
        )
    }


def test_a_second_run_creates_nothing(demo_clinic):
    first = demo_counts()

    output = seed_demo()

    assert demo_counts() == first
    assert "nothing added" in output
    assert 180 <= first["patients"] <= 220
    assert first["knowledge articles"] >= 15
    assert 5 <= first["services"] <= 6


def test_it_completes_an_interrupted_run_even_days_later(demo_clinic):
    full, before = demo_counts(), stories()
    # A run stopped part-way: the last stories never happened.
    missing = [plan.person.phone for plan in demo_plans()[-20:]]
    OutboxMessage.objects.filter(interaction__patient__phone__in=missing).delete()
    Patient.objects.filter(phone__in=missing).delete()
    assert demo_counts() != full

    # Acted on the first run's clock, so the stories end as they did.
    with time_machine.travel(timezone.now() + dt.timedelta(days=7)):
        seed_demo()

    assert stories() == before
    assert demo_counts() == full


def test_every_status_and_channel_appears(demo_clinic):
    pairs = set(Campaign.objects.values_list("campaign_type", "status"))
    for ctype in CampaignType.values:
        assert {status for t, status in pairs if t == ctype} == set(CampaignStatus.values)
    assert set(Campaign.objects.values_list("channel_type", flat=True)) == set(Channel.values)


def test_campaigns_are_consistent_with_their_status(demo_clinic):
    active = Counter(Campaign.objects.filter(is_active=True).values_list("patient_id", flat=True))
    assert max(active.values()) == 1
    for campaign in Campaign.objects.select_related("patient"):
        phone = campaign.patient.phone
        if campaign.channel_type == Channel.SMS:
            assert campaign.thread_id == phone
        elif campaign.channel_type == Channel.WHATSAPP:
            assert campaign.thread_id == f"whatsapp:{phone}"
        if campaign.status == CampaignStatus.ATTEMPTING_RECOVERY:
            # After the last message it still waits one interval for a reply before it fails
            # (whether a story ends in that wait depends on the hour the demo is seeded at).
            assert 1 <= campaign.attempts_made <= campaign.max_attempts
            assert campaign.next_attempt_at is not None
        else:
            assert campaign.next_attempt_at is None
        if campaign.status == CampaignStatus.RECOVERY_FAILED:
            assert campaign.attempts_made == campaign.max_attempts
        if campaign.status == CampaignStatus.HANDOFF_REQUIRED:
            assert campaign.handoff_reason and campaign.handoff_requested_at
        if campaign.status == CampaignStatus.BOOKING_INITIATED:
            assert campaign.booking_status == "FORM_SUBMITTED"
            assert campaign.appointments.filter(status=AppointmentStatus.BOOKED).exists()
        if campaign.status == CampaignStatus.RECOVERED:
            assert campaign.appointments.filter(status=AppointmentStatus.COMPLETED).exists()
        if campaign.campaign_type == CampaignType.RECALL:
            assert campaign.recall_due_date is not None
        if campaign.patient.opted_out_at:
            assert not campaign.is_active


def test_the_messages_are_the_products_own(demo_clinic):
    outgoing = Interaction.objects.filter(direction=Direction.OUTGOING)
    # Every message the clinic sent went through the channel backend (the outbox offline).
    assert outgoing.filter(delivery_status=DeliveryStatus.SENT).count() == (
        OutboxMessage.objects.exclude(interaction=None).count()
    )
    # Every reply was read by the agent; a person wrote some of the answers.
    replies = Interaction.objects.filter(direction=Direction.INCOMING)
    assert replies.exists() and not replies.filter(ai_analysis={}).exists()
    assert outgoing.exclude(author=None).exists()
    # A patient who wrote STOP is opted out, and got one confirmation.
    stopped = [i for i in replies.select_related("patient") if is_opt_out(i.content)]
    assert stopped and all(i.patient.is_opted_out for i in stopped)
    # Links in the messages open the booking page.
    assert outgoing.filter(content__contains="/book/?t=").exists()


def test_conversations_are_in_the_past_and_in_order(demo_clinic):
    now = timezone.now()
    assert not Interaction.objects.filter(timestamp__gt=now).exists()
    for campaign in Campaign.objects.all():
        messages = list(campaign.interactions.order_by("timestamp", "pk"))
        assert messages[0].direction == Direction.OUTGOING  # the clinic wrote first
        assert messages[0].timestamp >= campaign.created_at


def test_every_patient_phone_is_e164_and_unique(demo_clinic):
    phones = list(Patient.objects.values_list("phone", flat=True))
    assert len(phones) == len(set(phones))
    assert all(phone.startswith("+1") and normalize_phone(phone) == phone for phone in phones)
    domains = {
        email.split("@")[1]
        for email in Patient.objects.exclude(email="").values_list("email", flat=True)
    }
    assert domains <= {"example.com", "example.org", "example.net"}


def test_no_provider_is_double_booked(demo_clinic):
    previous = {}
    for appointment in Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).order_by(
        "appointment_date"
    ):
        before = previous.get(appointment.provider_id)
        assert before is None or before.ends_at <= appointment.appointment_date
        previous[appointment.provider_id] = appointment
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert statuses == {
        AppointmentStatus.BOOKED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.CANCELLED,
    }


def test_the_manager_logs_in_with_the_printed_credentials(demo_clinic, client):
    output = seed_demo()

    email, password = LOGIN.search(output).groups()
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert User.objects.get(email=email).role == "OFFICE_MANAGER"


def test_the_output_shows_no_patient_contact_details(demo_clinic):
    output = seed_demo()

    assert LOGIN.search(output)
    for email, phone in Patient.objects.values_list("email", "phone"):
        assert not email or email not in output
        assert phone not in output


def test_the_daily_trigger_finds_work_in_the_demo(demo_clinic):
    before = set(Campaign.objects.values_list("pk", flat=True))

    # The next time the send window is open: the first messages go out at once.
    with time_machine.travel(next_window_start(timezone.now())):
        result = daily_trigger_run()
        again = daily_trigger_run()

    new = Campaign.objects.exclude(pk__in=before)
    assert result.recovery_created > 0 and result.recall_created > 0
    assert new.count() == result.created
    assert not new.filter(patient__patient_type=PatientType.EXISTING, campaign_type="RECOVERY")
    contacted = new.filter(interactions__outbox_messages__isnull=False).distinct().count()
    assert result.sent >= contacted > 0
    assert again.created == 0


def fixture_stories(path) -> dict[str, tuple]:
    """`stories()` as the session's seeded clinic has them."""
    rows = json.loads(path.read_text())
    patients = {r["pk"]: r["fields"] for r in rows if r["model"] == "patients.patient"}
    campaigns: dict[str, list] = {}
    for row in rows:
        if row["model"] == "campaigns.campaign":
            fields = row["fields"]
            phone = patients[fields["patient"]]["phone"]
            campaigns.setdefault(phone, []).append((fields["campaign_type"], fields["status"]))
    return {
        p["phone"]: (p["name"], p["patient_type"], sorted(campaigns.get(p["phone"], [])))
        for p in patients.values()
    }


@pytest.mark.django_db
def test_the_same_stories_on_any_day(demo_fixture):
    # Seeded afresh another year, on a Saturday of the week clocks go forward.
    with time_machine.travel(dt.datetime(2025, 3, 8, 15, 0, tzinfo=dt.UTC)):
        seed_demo()

    assert stories() == fixture_stories(demo_fixture)


def test_a_visit_cancelled_in_the_demo_is_offered_to_its_asap_list(
    demo_clinic, django_capture_on_commit_callbacks
):
    waiting = AsapRequest.objects.filter(status=AsapStatus.WAITING).select_related("appointment")
    assert {r.source for r in waiting} == set(AsapSource.values)
    # Offers go in the legal hours: the front desk cancels when the send window next opens.
    at = next_window_start(timezone.now())
    ahead = [r.appointment for r in waiting if r.appointment is not None]
    assert ahead and all(v.appointment_date > at for v in ahead)
    pairs = [
        (visit, request)
        for visit in Appointment.objects.filter(
            status=AppointmentStatus.BOOKED, appointment_date__gt=at + dt.timedelta(days=1)
        )
        for request in waiting
        if request.service_id == visit.service_id
        and request.patient_id != visit.patient_id
        and suits(request, visit.appointment_date, at)
    ]
    assert pairs, "the demo has a visit that someone on the ASAP list would take"
    visit, request = pairs[0]

    with time_machine.travel(at):
        manager = User.objects.get(email=DEMO_MANAGER_EMAIL)
        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(actor=manager, appointment_id=visit.pk)
        slot_offers_send()

    assert SlotOffer.objects.filter(request=request, freed__freed_from=visit).exists()
    (offered,) = Interaction.objects.filter(patient=request.patient, kind=MessageKind.SLOT_OFFER)
    assert offered.outbox_messages.exists() and "/book/offer/" in offered.content
