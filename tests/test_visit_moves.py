"""Moving a visit (SPEC §10): from its self-service link the patient picks another free time on
the booking page's steps; the new time is claimed before the old one is freed, so a move that
fails keeps the visit. The patient is told (on email with the new invite and the old one's
CANCEL), staff see who moved it, and the campaign still has its booking."""

from email.message import EmailMessage

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from appointments.choices import ChangedBy
from appointments.invites import invite_uid
from appointments.models import Appointment, AppointmentSlot
from appointments.services import SLOT_TAKEN, appointment_reschedule
from appointments.visit_links import visit_token_make
from campaigns.choices import CampaignStatus, MessageKind
from campaigns.models import Campaign, Interaction
from campaigns.stats import dashboard_stats
from dentalai.errors import Conflict
from messaging.backends import CalendarInvite
from messaging.backends.gmail import attach_invites
from messaging.models import OutboxMessage
from messaging.visits import visit_reminders_send
from patients.models import Patient
from tests.scheduler_fixtures import q_sync
from tests.test_api_appointments import book, frozen, local, make_campaign, paula

__all__ = ["frozen", "paula", "q_sync"]  # fixtures, used by name


def visit_page(appointment) -> str:
    return reverse("booking:visit", args=[visit_token_make(appointment)])


def details_url(appointment, day: str, time: str) -> str:
    path = reverse("booking:details", args=[appointment.service.slug, day, time])
    return f"{path}?v={visit_token_make(appointment)}"


@pytest.fixture
def visit(manager, clinic, paula, q_sync, django_capture_on_commit_callbacks):
    make_campaign(paula)
    with django_capture_on_commit_callbacks(execute=True):
        return book(manager, clinic, paula, "2025-08-20 09:00")


def move(client, appointment, day: str, time: str, callbacks):
    url = details_url(appointment, day, time)
    with callbacks(execute=True):
        return client.post(url, {"v": visit_token_make(appointment)})


def test_the_patient_moves_the_visit_from_its_link(
    client, visit, django_capture_on_commit_callbacks
):
    page = client.get(visit_page(visit)).text
    assert "Move to another time" in page
    month = client.get(reverse("booking:month", args=["cleaning"]), {"v": visit_token_make(visit)})
    assert month.status_code == 200 and "Cleaning for Paula" in month.text
    details = client.get(details_url(visit, "2025-08-21", "14:00"))
    assert "Move your visit" in details.text and "Wednesday, August 20 at 9:00 AM" in details.text

    response = move(client, visit, "2025-08-21", "14:00", django_capture_on_commit_callbacks)

    old = Appointment.objects.get(pk=visit.pk)
    new = Appointment.objects.get(moved_from=old)
    assert response.status_code == 302 and response["Location"] == visit_page(new)
    assert (old.status, old.cancelled_by, old.rescheduled_to_id) == ("cancelled", "patient", new.pk)
    assert (new.status, new.appointment_date) == ("booked", local("2025-08-21 14:00"))
    assert new.provider_id == old.provider_id  # the same provider, free then
    assert not AppointmentSlot.objects.filter(appointment=old).exists()
    assert AppointmentSlot.objects.filter(appointment=new).count() == 4
    # The campaign still has its booking: no follow-up, no going back to RE_ENGAGED.
    campaign = Campaign.objects.get(patient=visit.patient)
    assert (campaign.status, campaign.next_attempt_at) == (CampaignStatus.BOOKING_INITIATED, None)
    assert new.campaign_id == campaign.pk
    shown = client.get(response["Location"]).text
    assert "Thursday, August 21, 2025 at 2:00 PM" in shown
    assert "Moved here from Wednesday, August 20" in shown


def test_the_patient_is_told_and_the_calendar_moves_the_visit(
    client, visit, django_capture_on_commit_callbacks
):
    move(client, visit, "2025-08-21", "14:00", django_capture_on_commit_callbacks)

    new = Appointment.objects.get(moved_from=visit)
    notice = OutboxMessage.objects.get(interaction__kind=MessageKind.VISIT_MOVED)
    assert "is moved to Thursday, August 21 at 2:00 PM" in notice.body
    assert "(it was Wednesday, August 20 at 9:00 AM)" in notice.body
    request, cancel = (Calendar.from_ical(i["ical"]) for i in notice.invites)
    assert (request["METHOD"], cancel["METHOD"]) == ("REQUEST", "CANCEL")
    assert str(request.walk("VEVENT")[0]["UID"]) == invite_uid(new)
    assert str(cancel.walk("VEVENT")[0]["UID"]) == invite_uid(visit)  # the first invite's UID
    assert Interaction.objects.get(kind=MessageKind.VISIT_MOVED).appointment_id == new.pk
    # Not a cancellation notice: the patient still has a visit.
    assert not Interaction.objects.filter(kind=MessageKind.VISIT_CANCELLED).exists()


def test_a_move_keeps_the_visit_when_the_new_time_was_taken_meanwhile(manager, clinic, visit):
    for _ in range(2):  # both providers of the service, at the new time
        other = Patient.objects.create(name="Other Person", email=f"o{_}@example.com")
        book(manager, clinic, other, "2025-08-21 14:00")

    with pytest.raises(Conflict) as refused:
        appointment_reschedule(
            actor=None, appointment_id=visit.pk, appointment_date=local("2025-08-21 14:00")
        )

    assert refused.value.message == SLOT_TAKEN
    kept = Appointment.objects.get(pk=visit.pk)
    assert (kept.status, kept.rescheduled_to_id) == ("booked", None)
    assert AppointmentSlot.objects.filter(appointment=kept).count() == 4
    assert Appointment.objects.filter(patient=visit.patient).count() == 1


def test_the_booking_page_says_so_when_the_new_time_went_meanwhile(
    client, manager, clinic, visit, django_capture_on_commit_callbacks
):
    for n in range(2):
        other = Patient.objects.create(name="Other Person", email=f"o{n}@example.com")
        book(manager, clinic, other, "2025-08-21 14:00")

    response = move(client, visit, "2025-08-21", "14:00", django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert "that time was just taken" in response.text
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_a_visit_moved_already_cannot_be_moved_again_from_the_old_record(visit):
    appointment_reschedule(
        actor=None, appointment_id=visit.pk, appointment_date=local("2025-08-21 14:00")
    )

    with pytest.raises(Conflict):
        appointment_reschedule(
            actor=None, appointment_id=visit.pk, appointment_date=local("2025-08-22 14:00")
        )

    assert Appointment.objects.filter(patient=visit.patient, status="booked").count() == 1


def test_a_move_onto_the_patients_other_visit_is_refused(manager, clinic, paula, visit):
    book(manager, clinic, paula, "2025-08-21 14:00", service="whitening")

    with pytest.raises(Conflict) as refused:
        appointment_reschedule(
            actor=None, appointment_id=visit.pk, appointment_date=local("2025-08-21 14:30")
        )

    assert "already has a visit at that time" in refused.value.message
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_the_old_link_opens_the_visit_that_replaced_it(client, visit):
    new = appointment_reschedule(
        actor=None, appointment_id=visit.pk, appointment_date=local("2025-08-21 14:00")
    )

    page = client.get(visit_page(visit)).text

    assert "Thursday, August 21, 2025 at 2:00 PM" in page
    assert "Cancel this visit" in page
    client.post(visit_page(visit), {"reason": ""})
    assert Appointment.objects.get(pk=new.pk).status == "cancelled"  # the current visit


def test_a_link_to_another_service_cannot_move_the_visit(client, visit):
    path = reverse("booking:details", args=["teeth_whitening", "2025-08-21", "14:00"])

    response = client.post(f"{path}?v={visit_token_make(visit)}", {})

    assert response.status_code == 404
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_a_past_visit_cannot_be_moved(client, visit):
    with time_machine.travel(local("2025-08-20 10:00"), tick=False):
        response = client.post(details_url(visit, "2025-08-27", "14:00"), {})
        assert "This visit can no longer be moved." in response.text
        assert "Move to another time" not in client.get(visit_page(visit)).text

    assert Appointment.objects.filter(patient=visit.patient).count() == 1


def test_no_reminder_for_the_time_moved_away_from(visit):
    new = appointment_reschedule(
        actor=None, appointment_id=visit.pk, appointment_date=local("2025-08-22 14:00")
    )

    with time_machine.travel(local("2025-08-18 10:00"), tick=False):  # 48 h before the old time
        assert visit_reminders_send()["sent"] == 0
    with time_machine.travel(local("2025-08-20 14:00"), tick=False):  # 48 h before the new
        assert visit_reminders_send()["sent"] == 1

    (reminder,) = Interaction.objects.filter(kind=MessageKind.REMINDER)
    assert reminder.appointment_id == new.pk


def test_staff_see_who_moved_the_visit_and_a_move_is_one_booking(client, manager, visit):
    new = appointment_reschedule(
        actor=None,
        appointment_id=visit.pk,
        appointment_date=local("2025-08-21 14:00"),
        by=ChangedBy.PATIENT,
    )
    client.force_login(manager)

    old_page = client.get(reverse("dashboard:appointment", args=[visit.pk])).text
    new_page = client.get(reverse("dashboard:appointment", args=[new.pk])).text

    assert "by the patient (self-service link)" in old_page and "Thursday, August 21" in old_page
    assert "Moved here" in new_page and "Wednesday, August 20" in new_page
    assert dashboard_stats()["kpis"]["appointments_booked_month"] == 1


def test_gmail_carries_each_method_in_its_own_part(
    client, visit, django_capture_on_commit_callbacks
):
    move(client, visit, "2025-08-21", "14:00", django_capture_on_commit_callbacks)
    notice = OutboxMessage.objects.get(interaction__kind=MessageKind.VISIT_MOVED)
    mime = EmailMessage()
    mime.set_content(notice.body)

    attach_invites(mime, tuple(CalendarInvite(**i) for i in notice.invites))

    parts = [(p.get_content_type(), p.get_param("method"), p.get_filename()) for p in mime.walk()]
    assert ("text/calendar", "REQUEST", None) in parts  # what Gmail and Outlook act on
    assert ("text/calendar", "REQUEST", "invite.ics") in parts
    assert ("text/calendar", "CANCEL", "cancelled.ics") in parts
    assert mime.get_content_type() == "multipart/mixed"
