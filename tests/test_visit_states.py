"""The visit's states (SPEC §10): booked → confirmed → completed, cancelled, no_show — through the
API, the dashboard and the admin, each through the status door with its effects."""

import datetime as dt

import time_machine
from django.test import Client
from django.urls import reverse

from appointments.choices import AppointmentStatus
from appointments.models import Appointment, AppointmentSlot
from campaigns.choices import CampaignStatus
from dentalai.models import AuditEntry
from patients.models import TreatmentRecord
from tests.conftest import bearer
from tests.test_api_appointments import LIST, NOW, book, frozen, local, make_campaign, paula

__all__ = ["frozen", "paula"]  # fixtures, used by name


def held(appointment) -> int:
    return AppointmentSlot.objects.filter(appointment=appointment).count()


def test_staff_confirm_a_visit_once(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")

    first = api.post(f"{LIST}/{appointment.pk}/confirm")
    again = api.post(f"{LIST}/{appointment.pk}/confirm")

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "confirmed"
    assert first.json()["confirmed_at"] == "2025-08-01T12:00:00Z"
    assert again.json()["confirmed_at"] == "2025-08-01T12:00:00Z"
    assert AuditEntry.objects.filter(action="appointment_confirm").count() == 1
    assert held(appointment) == 4  # a confirmed visit keeps its time
    # Listed by its new status.
    listed = api.get(LIST, {"status": "confirmed"}).json()["appointments"]
    assert [a["appointment_id"] for a in listed] == [appointment.pk]


def test_a_cancelled_visit_cannot_be_confirmed(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    api.post(f"{LIST}/{appointment.pk}/cancel")

    response = api.post(f"{LIST}/{appointment.pk}/confirm")

    assert response.status_code == 409
    assert response.json() == {"detail": "This appointment is cancelled; it cannot be confirmed."}


def test_a_confirmed_visit_is_cancelled_with_who_and_when(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    api.post(f"{LIST}/{appointment.pk}/confirm")

    body = api.post(f"{LIST}/{appointment.pk}/cancel").json()

    assert (body["status"], body["cancelled_by"]) == ("cancelled", "staff")
    assert body["cancelled_at"] == "2025-08-01T12:00:00Z"
    assert held(appointment) == 0


def test_completing_adds_the_visit_to_the_treatment_history(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    api.post(f"{LIST}/{appointment.pk}/confirm")

    response = api.post(
        f"{LIST}/{appointment.pk}/complete",
        {"next_follow_up_date": "2026-02-20"},
        content_type="application/json",
    )

    assert response.status_code == 200
    record = TreatmentRecord.objects.get(patient=paula)
    assert record.procedure_name == "Cleaning"
    assert record.procedure_date == dt.date(2025, 8, 20)
    assert record.next_follow_up_date == dt.date(2026, 2, 20)
    # Completing twice adds nothing.
    assert api.generic("POST", f"{LIST}/{appointment.pk}/complete").status_code == 409
    assert TreatmentRecord.objects.count() == 1


def test_a_no_show_frees_the_rest_of_the_time_once_the_visit_has_started(
    api, manager, clinic, paula
):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")

    early = api.post(f"{LIST}/{appointment.pk}/no-show")
    assert early.status_code == 409
    assert early.json() == {
        "detail": "This visit has not started yet; it cannot be marked a no-show."
    }

    with time_machine.travel(local("2025-08-20 09:20"), tick=False):
        api = Client(headers=bearer(manager))  # a token of the day
        response = api.post(f"{LIST}/{appointment.pk}/no-show")
        assert response.status_code == 200
        assert response.json()["status"] == "no_show"
        assert held(appointment) == 0
        assert AuditEntry.objects.filter(action="appointment_no_show").exists()
        # Marked by mistake (the patient came late): the visit took place after all.
        completed = api.generic("POST", f"{LIST}/{appointment.pk}/complete")
        assert completed.json()["status"] == "completed"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED


def test_booking_at_the_front_desk_ends_the_campaigns_pending_follow_up(manager, clinic, paula):
    campaign = make_campaign(
        paula,
        CampaignStatus.ATTEMPTING_RECOVERY,
        next_attempt_at=NOW + dt.timedelta(hours=1),
    )

    book(manager, clinic, paula, "2025-08-20 09:00")

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.BOOKING_INITIATED
    assert campaign.next_attempt_at is None


def test_the_dashboard_confirms_and_marks_a_no_show(client, manager, clinic, paula):
    client.force_login(manager)
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    page = reverse("dashboard:appointment", args=[appointment.pk])
    assert "Mark confirmed" in client.get(page).text
    assert "Mark no-show" not in client.get(page).text  # not started yet

    confirmed = client.post(
        reverse("dashboard:appointment_confirm", args=[appointment.pk]), follow=True
    )
    assert "Marked confirmed." in confirmed.text
    assert "Mark confirmed" not in confirmed.text

    with time_machine.travel(local("2025-08-20 10:30"), tick=False):
        client.force_login(manager)  # a session of the day
        assert "Mark no-show" in client.get(page).text
        done = client.post(
            reverse("dashboard:appointment_no_show", args=[appointment.pk]), follow=True
        )
    assert "Marked a no-show" in done.text
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW
    assert "No-show" in done.text  # the badge, in words


def test_the_status_actions_need_a_token_and_a_known_visit(client, api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    for action in ("confirm", "no-show"):
        assert client.post(f"{LIST}/{appointment.pk}/{action}").status_code == 401
        unknown = api.post(f"{LIST}/68f100000000000000000099/{action}")
        assert unknown.status_code == 404
        assert unknown.json() == {"detail": "Appointment not found."}
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED
