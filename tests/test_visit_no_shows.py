"""A missed visit (SPEC §10): staff mark the no-show; the patient gets one kind message with a
way to book again, inside the legal hours; the visit's campaign (or a new RECOVERY one) follows
up under the usual caps."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django_q.models import Schedule

from agent.services import campaigns_due
from campaigns.choices import CampaignStatus, CampaignType, MessageKind
from campaigns.models import Campaign, Interaction
from messaging.models import OutboxMessage
from messaging.visits import visit_missed_send
from patients.models import Patient
from patients.optout import patient_opt_out
from tests.conftest import bearer
from tests.scheduler_fixtures import q_sync
from tests.test_api_appointments import LIST, book, frozen, local, make_campaign, paula

__all__ = ["frozen", "paula", "q_sync"]  # fixtures, used by name


def mark_no_show(manager, appointment, at: str, callbacks):
    with time_machine.travel(local(at), tick=False), callbacks(execute=True):
        response = Client(headers=bearer(manager)).post(f"{LIST}/{appointment.pk}/no-show")
    assert response.status_code == 200, response.text
    return response


def missed_messages():
    return Interaction.objects.filter(kind=MessageKind.MISSED_VISIT)


@pytest.fixture
def visit(manager, clinic, paula):
    make_campaign(paula)
    return book(manager, clinic, paula, "2025-08-04 09:00")


def test_the_patient_gets_one_kind_message_with_a_booking_link(
    manager, visit, q_sync, django_capture_on_commit_callbacks
):
    OutboxMessage.objects.all().delete()
    mark_no_show(manager, visit, "2025-08-04 10:30", django_capture_on_commit_callbacks)
    with time_machine.travel(local("2025-08-04 10:31"), tick=False):
        visit_missed_send(visit.pk)  # the job run again: nothing more

    (message,) = OutboxMessage.objects.all()
    assert "we missed you at your Cleaning" in message.body
    assert "Monday, August 4 at 9:00 AM" in message.body
    assert "/book/?t=" in message.body  # the campaign's own booking link
    assert missed_messages().get().appointment_id == visit.pk


def test_the_visits_campaign_follows_up_after_one_interval(
    manager, visit, q_sync, django_capture_on_commit_callbacks
):
    campaign = Campaign.objects.get(patient=visit.patient)
    assert campaign.status == CampaignStatus.BOOKING_INITIATED

    mark_no_show(manager, visit, "2025-08-04 10:30", django_capture_on_commit_callbacks)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ATTEMPTING_RECOVERY
    assert campaign.next_attempt_at == local("2025-08-04 10:30") + dt.timedelta(days=3)
    assert campaign.pk not in campaigns_due(now=local("2025-08-06 10:30"))
    assert campaign.pk in campaigns_due(now=local("2025-08-07 10:31"))


def test_a_patient_without_a_campaign_gets_a_new_recovery_one(
    manager, clinic, q_sync, django_capture_on_commit_callbacks
):
    walk_in = Patient.objects.create(name="Walt In", phone="+12125550188")
    visit = book(manager, clinic, walk_in, "2025-08-04 09:00", phone=walk_in.phone)

    mark_no_show(manager, visit, "2025-08-04 10:30", django_capture_on_commit_callbacks)

    campaign = Campaign.objects.get(patient=walk_in)
    assert (campaign.campaign_type, campaign.status) == (
        CampaignType.RECOVERY,
        CampaignStatus.ATTEMPTING_RECOVERY,
    )
    assert (campaign.channel_type, campaign.attempts_made) == ("sms", 1)
    message = missed_messages().get()
    assert (message.campaign_id, message.channel_type) == (campaign.pk, "sms")
    assert "/book/?t=" in message.content  # replies and the link belong to that campaign


def test_a_no_show_marked_in_the_evening_is_told_the_next_morning(
    manager, clinic, paula, q_sync, django_capture_on_commit_callbacks
):
    visit = book(manager, clinic, paula, "2025-08-04 16:00")

    mark_no_show(manager, visit, "2025-08-04 21:30", django_capture_on_commit_callbacks)

    assert not missed_messages().exists()
    later = Schedule.objects.get(func="messaging.tasks.send_missed_visit")
    assert later.next_run == local("2025-08-05 08:00")
    with time_machine.travel(local("2025-08-05 08:00"), tick=False):
        visit_missed_send(visit.pk)
    assert missed_messages().count() == 1


def test_a_patient_with_another_visit_booked_is_left_alone(
    manager, clinic, paula, visit, q_sync, django_capture_on_commit_callbacks
):
    book(manager, clinic, paula, "2025-08-11 09:00")

    mark_no_show(manager, visit, "2025-08-04 10:30", django_capture_on_commit_callbacks)

    campaign = Campaign.objects.get(patient=paula)
    assert (campaign.status, campaign.next_attempt_at) == (CampaignStatus.BOOKING_INITIATED, None)


def test_an_opted_out_patient_gets_nothing(
    manager, clinic, paula, visit, q_sync, django_capture_on_commit_callbacks
):
    patient_opt_out(patient=paula)

    mark_no_show(manager, visit, "2025-08-04 10:30", django_capture_on_commit_callbacks)

    assert not missed_messages().exists()
    assert not Campaign.objects.filter(patient=paula, is_active=True).exists()
