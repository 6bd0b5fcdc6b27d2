"""A visit's confirmation and cancellation notice (SPEC §10): sent once per visit on the
patient's channel through the sending door, email carrying the calendar invite (RFC 5546)."""

from email.message import EmailMessage

import pytest
from django.urls import reverse
from icalendar import Calendar

from appointments.invites import invite_uid
from appointments.visit_links import visit_link_url
from campaigns.choices import MessageKind
from campaigns.models import Interaction
from messaging.backends import CalendarInvite
from messaging.backends.gmail import attach_invites
from messaging.models import OutboxMessage
from messaging.visits import visit_confirmation_send
from patients.models import Patient
from patients.optout import patient_opt_out
from tests.scheduler_fixtures import q_sync
from tests.test_api_appointments import LIST, book, frozen, paula

__all__ = ["frozen", "paula", "q_sync"]  # fixtures, used by name


@pytest.fixture
def booked(manager, clinic, paula, q_sync, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return book(manager, clinic, paula, "2025-08-20 09:00")


def invite(message: OutboxMessage, number: int = 0):
    return Calendar.from_ical(message.invites[number]["ical"])


def test_a_booking_is_confirmed_by_email_with_a_calendar_invite(booked, paula):
    (message,) = OutboxMessage.objects.all()

    assert (message.channel, message.to) == ("email", paula.email)
    assert "Hi Paula, your Cleaning at" in message.body
    assert "Wednesday, August 20 at 9:00 AM with Dr Dana Park" in message.body
    assert visit_link_url(booked) in message.body
    assert "120 Main Street" in message.body  # the clinic's address
    calendar = invite(message)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == invite_uid(booked)
    assert event.decoded("DTSTART") == booked.appointment_date
    assert event.decoded("DTEND") == booked.ends_at
    assert str(event["ATTENDEE"]) == f"mailto:{paula.email}"
    interaction = Interaction.objects.get(kind=MessageKind.BOOKING_CONFIRMATION)
    assert interaction.appointment_id == booked.pk


def test_the_confirmation_goes_once_however_often_its_job_runs(booked):
    visit_confirmation_send(booked.pk)
    visit_confirmation_send(booked.pk)

    assert OutboxMessage.objects.count() == 1


def test_a_cancellation_removes_the_visit_from_the_patients_calendar(
    booked, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{LIST}/{booked.pk}/cancel").status_code == 200

    confirmation, notice = OutboxMessage.objects.order_by("created_at", "id")
    assert "is cancelled" in notice.body
    calendar = invite(notice)
    assert calendar["METHOD"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == str(invite(confirmation).walk("VEVENT")[0]["UID"])
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(invite(confirmation).walk("VEVENT")[0]["SEQUENCE"])


def test_an_sms_patient_is_confirmed_by_sms_without_an_invite(
    manager, clinic, q_sync, django_capture_on_commit_callbacks
):
    patient = Patient.objects.create(
        name="Sam Texter", phone="+12125559876", preferred_channels=["sms"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        book(manager, clinic, patient, "2025-08-20 10:00", phone=patient.phone)

    (message,) = OutboxMessage.objects.all()
    assert (message.channel, message.to, message.invites) == ("sms", patient.phone, [])
    assert "Hi Sam, your Cleaning" in message.body
    assert len(message.body) <= 320  # two SMS segments at most


def test_an_opted_out_patient_gets_no_confirmation(
    manager, clinic, paula, q_sync, django_capture_on_commit_callbacks
):
    patient_opt_out(patient=paula)
    OutboxMessage.objects.all().delete()  # the opt-out's own confirmation
    with django_capture_on_commit_callbacks(execute=True):
        book(manager, clinic, paula, "2025-08-20 09:00")

    assert not OutboxMessage.objects.exists()


def test_gmail_carries_the_invite_as_calendars_expect_it(booked):
    (stored,) = OutboxMessage.objects.get().invites
    mime = EmailMessage()
    mime.set_content("Your visit is booked.")

    attach_invites(mime, (CalendarInvite(**stored),))

    parts = [(p.get_content_type(), p.get_param("method"), p.get_filename()) for p in mime.walk()]
    assert ("text/calendar", "REQUEST", None) in parts
    assert ("text/calendar", "REQUEST", "invite.ics") in parts
    assert mime.get_content_type() == "multipart/mixed"


def test_staff_see_in_the_outbox_that_the_email_carries_the_invite(booked, client, manager):
    client.force_login(manager)

    page = client.get(reverse("dashboard:outbox"))

    assert "With calendar invites: invite.ics (adds the visit)" in page.text
