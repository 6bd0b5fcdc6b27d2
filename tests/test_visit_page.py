"""A visit's self-service page (SPEC §10): the signed link from its confirmation shows the visit
with the first name only, and cancels it as the patient's, with an optional reason."""

import time_machine
from django.urls import reverse

from appointments.models import Appointment, AppointmentSlot
from appointments.visit_links import visit_link_url, visit_token_make
from tests.test_api_appointments import book, frozen, local, paula

__all__ = ["frozen", "paula"]  # fixtures, used by name


def page(appointment) -> str:
    return reverse("booking:visit", args=[visit_token_make(appointment)])


def test_the_link_shows_the_visit_and_nothing_more_of_the_patient(client, manager, clinic, paula):
    visit = book(manager, clinic, paula, "2025-08-20 09:00")
    assert visit_link_url(visit).endswith(page(visit))

    response = client.get(page(visit))

    assert response.status_code == 200
    assert "Your visit, Paula" in response.text
    assert "Cleaning" in response.text and "Wednesday, August 20, 2025 at 9:00 AM" in response.text
    for private in ("Patient", paula.email, paula.phone):  # last name, contact details
        assert private not in response.text
    assert "Cancel this visit" in response.text


def test_a_damaged_link_is_a_404_that_says_so(client):
    response = client.get(reverse("booking:visit", args=["not-a-real-token"]))

    assert response.status_code == 404
    assert "This link is not valid" in response.text


def test_the_patient_cancels_with_a_reason_and_staff_see_it(client, manager, clinic, paula):
    visit = book(manager, clinic, paula, "2025-08-20 09:00")

    response = client.post(page(visit), {"reason": "Out of town that week"}, follow=True)

    assert response.status_code == 200
    assert "This visit is cancelled." in response.text
    visit = Appointment.objects.get(pk=visit.pk)
    assert (visit.status, visit.cancelled_by) == ("cancelled", "patient")
    assert visit.cancellation_reason == "Out of town that week"
    assert not AppointmentSlot.objects.filter(appointment=visit).exists()
    client.force_login(manager)
    staff_page = client.get(reverse("dashboard:appointment", args=[visit.pk])).text
    assert "by the patient (self-service link)" in staff_page
    assert "Out of town that week" in staff_page


def test_a_second_cancel_is_refused_in_words(client, manager, clinic, paula):
    visit = book(manager, clinic, paula, "2025-08-20 09:00")
    client.post(page(visit), {})

    again = client.post(page(visit), {})

    assert again.status_code == 409
    assert "This appointment is already cancelled." in again.text


def test_a_past_visit_cannot_be_cancelled_from_its_link(client, manager, clinic, paula):
    visit = book(manager, clinic, paula, "2025-08-20 09:00")

    with time_machine.travel(local("2025-08-20 10:00"), tick=False):
        response = client.get(page(visit))

    assert "Cancel this visit" not in response.text


def test_too_many_cancel_tries_are_refused_and_change_nothing(
    client, manager, clinic, paula, settings
):
    settings.BOOKING_RATE_PER_IP = "1/h"
    first = book(manager, clinic, paula, "2025-08-20 09:00")
    second = book(manager, clinic, paula, "2025-08-27 09:00")
    client.post(page(first), {})

    response = client.post(page(second), {})

    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert Appointment.objects.get(pk=second.pk).status == "booked"


def test_a_reason_longer_than_the_form_allows_is_refused_in_words(client, manager, clinic, paula):
    visit = book(manager, clinic, paula, "2025-08-20 09:00")

    response = client.post(page(visit), {"reason": "x" * 501})

    assert response.status_code == 400
    assert "at most 500 characters" in response.text
    assert Appointment.objects.get(pk=visit.pk).status == "booked"
