"""New patients book on /book/ (SPEC §10, BOOKING_NEW_PATIENTS, on by default): the product
creates the patient with the visit and confirms it; a contact the clinic has books as that
patient; the API keeps the seed's 404 unless the setting says "all"; either way the answer does
not tell who is a patient."""

import pytest

from appointments.models import Appointment
from appointments.services import PATIENT_NOT_FOUND
from campaigns.choices import MessageKind
from campaigns.models import Interaction
from patients.models import Patient
from tests.scheduler_fixtures import q_sync
from tests.test_booking_page import DAY, frozen, maria

__all__ = ["frozen", "maria", "q_sync"]  # fixtures, used by name

BOOK = "/api/v1/appointments/book"


def book_on_the_page(client, time: str, **contact):
    return client.post(f"/book/cleaning/{DAY}/{time}/", contact)


def test_a_new_patient_books_and_is_confirmed(
    client, clinic, q_sync, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = book_on_the_page(client, "11:00", name="Nadia Newcomer", phone="212 555 0177")

    assert response.status_code == 302 and response["Location"] == "/book/confirmed/"
    patient = Patient.objects.get(phone="+12125550177")
    assert (patient.name, patient.patient_type, patient.preferred_channels) == (
        "Nadia Newcomer",
        "NEW",
        ["sms"],
    )
    visit = Appointment.objects.get(patient=patient)
    assert (visit.status, visit.created_from, visit.campaign_id) == ("booked", "BOOKING_PAGE", None)
    confirmation = Interaction.objects.get(kind=MessageKind.BOOKING_CONFIRMATION)
    assert (confirmation.appointment_id, confirmation.channel_type) == (visit.pk, "sms")
    assert "Hi Nadia, your Cleaning" in confirmation.content
    assert "You're booked, Nadia" in client.get(response["Location"]).text


def test_a_known_contact_books_as_that_patient(client, clinic, maria):
    response = book_on_the_page(client, "11:00", name="Someone Else", email=maria.patient.email)

    assert response.status_code == 302
    assert Patient.objects.count() == 1  # no second record
    visit = Appointment.objects.get()
    assert (visit.patient_id, visit.created_from) == (maria.patient_id, "AI_AGENT_FORM")


def test_a_new_patient_and_a_known_one_get_the_same_answer(client, clinic, maria):
    known = book_on_the_page(client, "11:00", name="M", email=maria.patient.email)
    unknown = book_on_the_page(client, "13:00", name="New Person", email="new@example.com")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_with_new_patients_off_the_page_refuses_an_unknown_contact(client, clinic, settings):
    settings.BOOKING_NEW_PATIENTS = "off"

    response = book_on_the_page(client, "11:00", name="New Person", email="new@example.com")

    assert response.status_code == 404
    assert PATIENT_NOT_FOUND in response.text
    assert not Patient.objects.exists()


@pytest.mark.parametrize(("setting", "status"), [("on", 404), ("off", 404), ("all", 201)])
def test_the_api_creates_a_new_patient_only_when_told(client, clinic, settings, setting, status):
    settings.BOOKING_NEW_PATIENTS = setting
    payload = {
        "name": "Api Newcomer",
        "email": "api.new@example.com",
        "appointment_date": f"{DAY}T15:00:00Z",
        "service_id": "cleaning",
    }

    response = client.post(BOOK, payload, content_type="application/json")

    assert response.status_code == status, response.text
    created = Patient.objects.filter(email="api.new@example.com").first()
    assert (created is not None) == (status == 201)
    if created:
        assert created.patient_type == "NEW"


def test_a_taken_time_is_refused_before_anyone_is_created(client, clinic, maria):
    book_on_the_page(client, "11:00", name="M", email=maria.patient.email)
    other = Patient.objects.create(name="Other", email="other@example.com")
    book_on_the_page(client, "11:00", name="O", email=other.email)  # both providers taken

    response = book_on_the_page(client, "11:00", name="Late Newcomer", email="late@example.com")

    assert response.status_code == 409
    assert not Patient.objects.filter(email="late@example.com").exists()
