import datetime as dt
import re
from collections import Counter
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command

from appointments.choices import AppointmentStatus
from appointments.models import Appointment, Service
from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign, Interaction
from demo import content
from demo.plan import Planner
from dentalai.choices import Channel
from dentalai.models import User
from patients.contact import normalize_phone
from patients.models import Patient

LOGIN = re.compile(r"Demo login: (\S+@\S+) / (\S+)")


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.mark.django_db
def test_a_second_run_creates_nothing():
    seed_demo()
    first = counts()
    output = seed_demo()

    assert counts() == first
    assert "nothing added" in output
    assert 180 <= first["patients.Patient"] <= 220
    assert first["agent.KnowledgeArticle"] >= 15
    assert 5 <= first["appointments.Service"] <= 6


@pytest.mark.django_db
def test_it_completes_an_interrupted_run_even_days_later():
    with time_machine.travel(dt.datetime(2025, 6, 4, 14, 30, tzinfo=dt.UTC)):
        seed_demo()
        full = counts()
        first = list(Patient.objects.values_list("pk", flat=True)[:20])
        fields = ("pk", "name", "next_follow_up_date", "created_at", "opted_out_at")
        before = list(Patient.objects.filter(pk__in=first).values_list(*fields))
        Patient.objects.filter(pk__in=first).delete()
        some = list(Interaction.objects.values_list("pk", flat=True)[:40])
        Interaction.objects.filter(pk__in=some).delete()
        assert counts() != full

    # Completed on the first run's clock, so the missing rows fit the ones kept.
    with time_machine.travel(dt.datetime(2025, 6, 11, 9, 0, tzinfo=dt.UTC)):
        seed_demo()

    assert counts() == full
    assert list(Patient.objects.filter(pk__in=first).values_list(*fields)) == before


@pytest.mark.django_db
def test_every_status_and_channel_appears():
    seed_demo()

    pairs = set(Campaign.objects.values_list("campaign_type", "status"))
    for ctype in CampaignType.values:
        assert {status for t, status in pairs if t == ctype} == set(CampaignStatus.values)
    assert set(Campaign.objects.values_list("channel_type", flat=True)) == set(Channel.values)


@pytest.mark.django_db
def test_campaigns_are_consistent_with_their_status():
    seed_demo()

    active = Counter(Campaign.objects.filter(is_active=True).values_list("patient_id", flat=True))
    assert max(active.values()) == 1
    for campaign in Campaign.objects.select_related("patient"):
        phone = campaign.patient.phone
        if campaign.channel_type == Channel.SMS:
            assert campaign.thread_id == phone
        elif campaign.channel_type == Channel.WHATSAPP:
            assert campaign.thread_id == f"whatsapp:{phone}"
        if campaign.status == CampaignStatus.ATTEMPTING_RECOVERY:
            assert campaign.attempts_made < campaign.max_attempts
            assert campaign.next_attempt_at is not None
        else:
            assert campaign.next_attempt_at is None
        if campaign.status == CampaignStatus.HANDOFF_REQUIRED:
            assert set(campaign.handoff_details) == {"summary", "reason", "requested_at"}
            assert dt.datetime.fromisoformat(campaign.handoff_details["requested_at"])
        if campaign.status == CampaignStatus.BOOKING_INITIATED:
            assert campaign.booking_status == "FORM_SUBMITTED"
        if campaign.campaign_type == CampaignType.RECALL:
            assert campaign.recall_due_date is not None
        if campaign.patient.opted_out_at:
            assert not campaign.is_active


@pytest.mark.django_db
def test_conversations_are_in_the_past_and_in_order():
    seed_demo()
    latest = {}

    for campaign_id, at in Interaction.objects.order_by("timestamp").values_list(
        "campaign_id", "timestamp"
    ):
        assert at >= latest.get(campaign_id, at)
        latest[campaign_id] = at
    assert not Interaction.objects.filter(timestamp__gt=dt.datetime.now(dt.UTC)).exists()
    assert Interaction.objects.filter(direction="incoming").exclude(ai_analysis={}).exists()
    assert Interaction.objects.exclude(author=None).exists()


@pytest.mark.django_db
def test_every_patient_phone_is_e164_and_unique():
    seed_demo()

    phones = list(Patient.objects.values_list("phone", flat=True))
    assert len(phones) == len(set(phones))
    assert all(phone.startswith("+1") and normalize_phone(phone) == phone for phone in phones)
    domains = {
        email.split("@")[1]
        for email in Patient.objects.exclude(email="").values_list("email", flat=True)
    }
    assert domains <= {"example.com", "example.org", "example.net"}


@pytest.mark.django_db
def test_no_provider_is_double_booked():
    seed_demo()

    previous = {}
    for appointment in Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).order_by(
        "appointment_date"
    ):
        before = previous.get(appointment.provider_id)
        assert before is None or before.ends_at <= appointment.appointment_date, (
            before,
            appointment,
        )
        previous[appointment.provider_id] = appointment
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).exists()
    assert Appointment.objects.filter(status=AppointmentStatus.COMPLETED).exists()


@pytest.mark.django_db
def test_the_manager_logs_in_with_the_printed_credentials(client):
    output = seed_demo()

    email, password = LOGIN.search(output).groups()
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert User.objects.get(email=email).role == "OFFICE_MANAGER"


@pytest.mark.django_db
def test_the_output_shows_no_patient_contact_details():
    output = seed_demo()

    assert LOGIN.search(output)
    for email, phone in Patient.objects.values_list("email", "phone"):
        assert not email or email not in output
        assert phone not in output


def plan_at(now: dt.datetime) -> Planner:
    staff = {
        key: User(email=email, name=name, role=role) for key, email, name, role in content.STAFF
    }
    services = {
        slug: Service(slug=slug, name=name, duration_minutes=minutes)
        for slug, name, minutes, _ in content.SERVICES
    }
    return Planner(now=now, staff=staff, services=services).plan()


def test_the_plan_is_the_same_story_on_any_day():
    # One date in the week clocks go forward, to make sure planning survives DST.
    first = plan_at(dt.datetime(2025, 3, 8, 15, 0, tzinfo=dt.UTC))
    again = plan_at(dt.datetime(2025, 3, 8, 15, 0, tzinfo=dt.UTC))
    later = plan_at(dt.datetime(2025, 10, 1, 23, 30, tzinfo=dt.UTC))

    def people(plan):
        return [(p.pk, p.name, p.email, p.phone) for p in plan.patients]

    def statuses(plan):
        return [(c.pk, c.campaign_type, c.status, c.channel_type) for c in plan.campaigns]

    assert people(first) == people(again) == people(later)
    assert statuses(first) == statuses(again) == statuses(later)
    assert [a.appointment_date for a in first.appointments] == [
        a.appointment_date for a in again.appointments
    ]
