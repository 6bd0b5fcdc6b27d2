"""The ASAP list (SPEC §10): patients join it from their visit's page, from /book/ or by staff;
a visit cancelled or moved ahead frees a time that goes to the matching patients in batches
(ASAP_BATCH, then the next after ASAP_WAIT_MINUTES); the first to book wins, the others hear it
was just taken and stay on the list; staff see the list and the offers; the KPIs count it."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from appointments.asap import NO_LONGER_OFFERED, asap_join, offer_accept
from appointments.choices import AsapSource
from appointments.models import Appointment, AsapRequest, FreedTime, SlotOffer
from appointments.services import appointment_cancel
from appointments.visit_links import visit_token_make
from campaigns.choices import MessageKind
from campaigns.models import Interaction
from campaigns.stats import dashboard_stats
from dentalai.errors import Conflict
from messaging.asap import slot_offers_send
from patients.models import Patient
from tests.scheduler_fixtures import q_sync
from tests.test_api_appointments import NOW, book, frozen, local, paula

__all__ = ["frozen", "paula", "q_sync"]  # fixtures, used by name


def waiting_patients(clinic, count: int, tag: str = "", **preferences) -> list[AsapRequest]:
    requests = []
    for n in range(count):
        patient = Patient.objects.create(name=f"Wai{n} Ting", email=f"wait{n}{tag}@example.com")
        with time_machine.travel(NOW + dt.timedelta(minutes=n), tick=False):  # joined in order
            requests.append(
                asap_join(
                    patient=patient,
                    service=clinic["cleaning"],
                    source=AsapSource.STAFF,
                    **preferences,
                )
            )
    return requests


def offers_to(request) -> list[Interaction]:
    return list(Interaction.objects.filter(patient=request.patient, kind=MessageKind.SLOT_OFFER))


def offer_link(interaction) -> str:
    return re.search(r"(/book/offer/[^/\s]+/)", interaction.content)[1]


@pytest.fixture
def freed(manager, clinic, paula, q_sync, django_capture_on_commit_callbacks):
    """Paula's cleaning on Aug 20 at 9:00, cancelled ahead (the other provider is busy then:
    one time frees), with three patients waiting."""
    clinic["waiting"] = waiting_patients(clinic, 3)
    visit = book(manager, clinic, paula, "2025-08-20 09:00")
    busy = Patient.objects.create(name="Busy Bee", email="busy@example.com")
    book(manager, clinic, busy, "2025-08-20 09:00")

    def cancel():
        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(actor=manager, appointment_id=visit.pk)
        return FreedTime.objects.get(freed_from=visit)

    return cancel


def test_a_cancellation_offers_the_time_to_the_first_batch_then_the_next(clinic, freed, settings):
    settings.ASAP_BATCH = 2
    settings.ASAP_WAIT_MINUTES = 30
    first, second, third = clinic["waiting"]

    freed_time = freed()

    assert freed_time.start == local("2025-08-20 09:00")
    (offer,) = offers_to(first)
    assert "a Cleaning is free Wednesday, August 20 at 9:00 AM" in offer.content
    assert len(offers_to(second)) == 1 and offers_to(third) == []
    slot_offers_send()  # again at once: nothing more
    assert offers_to(third) == []
    with time_machine.travel(NOW + dt.timedelta(minutes=31), tick=False):
        assert slot_offers_send()["offered"] == 1
    assert len(offers_to(third)) == 1
    assert list(SlotOffer.objects.values_list("batch", flat=True).order_by("batch")) == [1, 1, 2]


def test_the_first_to_book_wins_and_the_others_hear_it_went(
    client, clinic, freed, django_capture_on_commit_callbacks
):
    first, second, third = clinic["waiting"]
    freed()
    link_first, link_second = offer_link(offers_to(first)[0]), offer_link(offers_to(second)[0])
    assert "Book this time" in client.get(link_second).text

    with django_capture_on_commit_callbacks(execute=True):
        won = client.post(link_second)
    lost = client.post(link_first)

    visit = Appointment.objects.get(patient=second.patient)
    assert won.status_code == 302 and won["Location"] == reverse(
        "booking:visit", args=[visit_token_make(visit)]
    )
    assert visit.appointment_date == local("2025-08-20 09:00")
    assert lost.status_code == 409 and NO_LONGER_OFFERED in lost.text
    assert not Appointment.objects.filter(patient=first.patient).exists()
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == ("waiting", "booked")  # the loser stays listed
    taken = Interaction.objects.filter(kind=MessageKind.SLOT_TAKEN)
    assert {i.patient_id for i in taken} == {first.patient_id, third.patient_id}
    assert "has just been taken. You are still on our list" in taken.first().content
    assert "just taken" in client.get(link_first).text


def test_two_accepting_at_once_make_one_booking(clinic, freed):
    freed()
    offers = list(SlotOffer.objects.select_related("freed__service", "request__patient"))

    outcomes = []
    for offer in offers[:2]:
        try:
            outcomes.append(offer_accept(offer).pk)
        except Conflict as refused:
            outcomes.append(refused.message)

    assert outcomes[1] == NO_LONGER_OFFERED
    waiting = [r.patient_id for r in clinic["waiting"]]
    assert Appointment.objects.filter(patient_id__in=waiting).count() == 1


def test_joined_from_the_visit_page_a_freed_time_brings_the_visit_forward(
    client, manager, clinic, paula, q_sync, django_capture_on_commit_callbacks
):
    later = Patient.objects.create(name="Lena Later", email="lena@example.com")
    her_visit = book(manager, clinic, later, "2025-08-28 09:00")
    page = client.get(reverse("booking:visit", args=[visit_token_make(her_visit)])).text
    join_url = re.search(r'href="([^"]*/asap/\?v=[^"]+)"', page)[1].replace("&amp;", "&")
    joined = client.post(join_url, {"weekdays": ["2"]})  # Wednesdays
    assert "on the list. We" in joined.text
    visit = book(manager, clinic, paula, "2025-08-20 09:00")  # a Wednesday
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=manager, appointment_id=visit.pk)
    (offer,) = offers_to(AsapRequest.objects.get(patient=later))
    assert "your visit could move to Wednesday, August 20 at 9:00 AM" in offer.content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(offer_link(offer))

    her_visit.refresh_from_db()
    assert (her_visit.status, her_visit.rescheduled_to.appointment_date) == (
        "cancelled",
        local("2025-08-20 09:00"),
    )


def test_a_time_that_does_not_suit_is_not_offered(manager, clinic, paula, freed):
    AsapRequest.objects.all().delete()
    (monday_only,) = waiting_patients(clinic, 1, tag="d", weekdays=[0])
    (mornings,) = waiting_patients(clinic, 1, tag="m", latest=dt.time(10))

    freed()

    assert offers_to(monday_only) == []
    assert len(offers_to(mornings)) == 1


def test_a_new_patient_joins_from_the_booking_page(client, clinic):
    response = client.post(
        reverse("booking:asap_join", args=["cleaning"]),
        {"name": "Nina New", "email": "nina@example.com", "earliest": "08:00", "latest": "10:00"},
    )

    assert "on the list. We" in response.text
    request = AsapRequest.objects.get(patient__email="nina@example.com")
    assert (request.source, request.latest, request.patient.patient_type) == (
        "booking_page",
        dt.time(10),
        "NEW",
    )


def test_a_time_booked_another_way_is_closed_and_the_offered_told(manager, clinic, freed, settings):
    settings.ASAP_BATCH = 1
    freed_time = freed()
    walk_in = Patient.objects.create(name="Walk In", email="walk@example.com")
    book(manager, clinic, walk_in, "2025-08-20 09:00")  # staff fill the time on the phone

    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert slot_offers_send()["closed"] == 1

    freed_time.refresh_from_db()
    assert not freed_time.is_open
    (told,) = Interaction.objects.filter(kind=MessageKind.SLOT_TAKEN)
    assert told.patient_id == clinic["waiting"][0].patient_id


def test_staff_see_the_list_and_the_offers_and_the_kpis_count_the_refill(
    client, manager, clinic, freed
):
    clinic["cleaning"].price = Decimal("120.00")
    clinic["cleaning"].save()
    freed()
    offer_accept(SlotOffer.objects.order_by("offered_at", "id").first())
    client.force_login(manager)

    page = client.get(reverse("dashboard:asap")).text

    assert "Wai1 Ting" in page and "Booked it" in page and "Cleaning, Wed Aug 20, 09:00" in page
    visits = dashboard_stats()["visits"]
    assert (visits["slots_refilled_month"], visits["slots_refilled_value_month"]) == (1, 120.0)


def test_a_damaged_offer_link_is_a_404_that_says_so(client, db):
    response = client.get(reverse("booking:offer", args=["not-a-real-token"]))

    assert response.status_code == 404
    assert "This link is not valid" in response.text


def test_joining_with_times_the_wrong_way_round_is_refused_in_words(client, clinic):
    response = client.post(
        reverse("booking:asap_join", args=["cleaning"]),
        {"name": "Nina New", "email": "nina@example.com", "earliest": "15:00", "latest": "09:00"},
    )

    assert response.status_code == 400
    assert "is before" in response.text
    assert not AsapRequest.objects.exists() and not Patient.objects.exists()


def test_the_asap_page_needs_a_login(client, db):
    response = client.get(reverse("dashboard:asap"))

    assert response.status_code == 302 and "/login" in response["Location"]
