import datetime as dt

import pytest
import time_machine
from django.core import signing

from appointments.booking_links import (
    LINK_EXPIRED,
    LINK_INVALID,
    booking_link_url,
    booking_token_campaign_id,
    booking_token_make,
)
from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, AppointmentSlot, Service
from appointments.services import PATIENT_NOT_FOUND, SLOT_TAKEN
from campaigns.choices import BookingStatus, CampaignStatus, CampaignType
from campaigns.models import Campaign
from dentalai.choices import Channel
from dentalai.models import AuditEntry
from patients.models import Patient

URL = "/api/v1/appointments/book"
# Friday 1 August 2025, 08:00 in New York: the earliest bookable time is 10:00 today.
NOW = dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC)
# Wednesday 20 August 2025, 10:00 in New York (EDT, UTC-4): the seed's example.
SLOT = "2025-08-20T14:00:00Z"
SLOT_UTC = dt.datetime(2025, 8, 20, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    settings.BOOKING_SLOT_STEP_MINUTES = 30
    settings.BOOKING_MIN_LEAD_MINUTES = 120
    settings.BOOKING_LINK_MAX_AGE_DAYS = 30
    settings.BOOKING_RATE_PER_IP = "1000/h"
    settings.SITE_URL = "https://clinic.example"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def maria(db):
    """A lead who replied to the clinic and was sent the booking link."""
    return Patient.objects.create(
        name="Maria Garcia", email="maria.garcia@email.com", phone="+12125550123"
    )


@pytest.fixture
def campaign(maria):
    return Campaign.objects.create(
        patient=maria,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.RE_ENGAGED,
        booking_status=BookingStatus.FORM_SENT,
        booking_link="https://clinic.example/book/?t=x",
    )


def body(**fields) -> dict:
    return {
        "name": "Maria Garcia",
        "email": "maria.garcia@email.com",
        "phone": "+12125550123",
        "appointment_date": SLOT,
        "service_name": "Teeth Whitening",
    } | fields


def book(client, **fields):
    return client.post(URL, body(**fields), content_type="application/json")


def test_it_books_an_offered_time_and_marks_the_campaign_booking_initiated(
    client, clinic, maria, campaign
):
    response = book(client)

    assert response.status_code == 201
    appointment = Appointment.objects.get()
    assert response.json() == {
        "message": "Appointment booked successfully.",
        "appointment_id": appointment.pk,
    }
    assert appointment.patient == maria
    assert appointment.campaign == campaign
    assert appointment.provider == clinic["dentist"]
    assert appointment.service == clinic["whitening"]
    assert appointment.appointment_date == SLOT_UTC
    assert appointment.duration_minutes == 90
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.created_from == CreatedFrom.AI_AGENT_FORM
    # 90 minutes: six 15-minute units of the dentist's time, held in the database.
    assert list(
        AppointmentSlot.objects.filter(appointment=appointment).values_list("provider_id", "start")
    ) == [(clinic["dentist"].pk, SLOT_UTC + dt.timedelta(minutes=15 * k)) for k in range(6)]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.BOOKING_INITIATED
    assert campaign.is_active
    assert campaign.booking_status == BookingStatus.FORM_SUBMITTED
    assert campaign.booking_submitted_at == NOW
    entry = AuditEntry.objects.get(action="appointment_book")
    assert entry.object_id == appointment.pk
    assert entry.actor is None


def test_it_takes_the_service_id_and_a_time_with_an_offset(client, clinic, maria, campaign):
    response = book(
        client,
        service_name=None,
        service_id="cleaning",
        appointment_date="2025-08-20T10:00:00-04:00",
    )

    assert response.status_code == 201
    appointment = Appointment.objects.get(pk=response.json()["appointment_id"])
    assert appointment.service == clinic["cleaning"]
    assert appointment.appointment_date == SLOT_UTC
    assert appointment.duration_minutes == 60
    assert AppointmentSlot.objects.filter(appointment=appointment).count() == 4


def test_it_finds_the_patient_by_phone_when_the_email_is_not_on_file(
    client, clinic, maria, campaign
):
    response = book(client, email="maria@elsewhere.example", phone="(212) 555-0123")

    assert response.status_code == 201
    assert Appointment.objects.get().patient == maria


def test_an_unknown_patient_is_a_404(client, clinic, maria):
    response = book(client, email="nobody@example.com", phone="+12125550199")

    assert response.status_code == 404
    assert response.json() == {"detail": PATIENT_NOT_FOUND}
    assert not Appointment.objects.exists()


def test_an_unknown_service_is_a_404(client, clinic, maria):
    response = book(client, service_name="Root Canal")

    assert response.status_code == 404
    assert response.json() == {"detail": "Service not found."}


@pytest.mark.parametrize(
    "fields",
    [
        {"appointment_date": "2025-08-20T14:00:00"},  # no time zone
        {"appointment_date": "next Wednesday"},
        {"service_name": None},
        {"email": None, "phone": None},
        {"email": "not-an-email"},
        {"phone": "12"},
        {"name": ""},
        {"name": "Maria\u0000"},
    ],
)
def test_invalid_input_is_a_422_naming_the_field(client, clinic, maria, fields):
    response = book(client, **fields)

    assert response.status_code == 422
    assert response.json()["detail"] == "Some fields are missing or invalid."
    assert response.json()["errors"]
    assert not Appointment.objects.exists()


def test_a_taken_time_is_a_409(client, clinic, maria, campaign):
    other = Patient.objects.create(name="Omar Other", email="omar@example.com")
    assert book(client, email=other.email, phone=None).status_code == 201

    taken = book(client)
    overlapping = book(client, appointment_date="2025-08-20T14:30:00Z")

    assert taken.status_code == 409
    assert taken.json() == {"detail": SLOT_TAKEN}
    assert overlapping.status_code == 409
    assert Appointment.objects.count() == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED


@pytest.mark.parametrize(
    "when",
    [
        "2025-08-20T13:15:00Z",  # 09:15: not on the 30-minute step
        "2025-08-20T12:00:00Z",  # 08:00: before working hours
        "2025-08-20T20:00:00Z",  # 16:00: the 90 minutes would end after 17:00
        "2025-08-23T14:00:00Z",  # a Saturday
        "2025-08-01T13:30:00Z",  # 09:30 today: inside the two-hour lead time
        "2025-07-30T14:00:00Z",  # the past
        "2025-08-20T14:00:30Z",  # not on a whole minute
    ],
)
def test_a_time_that_is_not_offered_is_a_409(client, clinic, maria, campaign, when):
    response = book(client, appointment_date=when)

    assert response.status_code == 409
    assert response.json() == {"detail": SLOT_TAKEN}
    assert not Appointment.objects.exists()


def test_every_offered_time_can_be_booked(client, clinic, db):
    offered = client.get(
        "/api/v1/availability", {"month": 8, "year": 2025, "service_id": "teeth_whitening"}
    ).json()
    times = offered["2025-08-20"]
    assert times[0] == "09:00" and times[-1] == "15:30"

    for n, hhmm in enumerate(times):
        patient = Patient.objects.create(name=f"P {n}", email=f"p{n}@example.com")
        local = dt.datetime.fromisoformat(f"2025-08-20T{hhmm}:00-04:00")
        response = book(client, email=patient.email, phone=None, appointment_date=local.isoformat())
        # Each booking takes 90 minutes, so it removes the next two times; book every third.
        if n % 3 == 0:
            assert response.status_code == 201, hhmm
        else:
            assert response.status_code == 409, hhmm


def test_an_identical_retry_returns_the_same_appointment(client, clinic, maria, campaign):
    first = book(client)
    again = book(client)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Appointment.objects.count() == 1
    assert AppointmentSlot.objects.count() == 6


def test_with_the_link_the_campaigns_patient_books_whatever_contact_details_are_typed(
    client, clinic, maria, campaign
):
    # Someone else on file with an open campaign of their own: the link decides, not the form.
    other = Patient.objects.create(name="Omar Other", email="omar@example.com")
    Campaign.objects.create(
        patient=other,
        campaign_type=CampaignType.RECALL,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.RE_ENGAGED,
    )
    token = booking_token_make(campaign)

    response = book(client, email="omar@example.com", phone=None, token=token)

    assert response.status_code == 201
    appointment = Appointment.objects.get()
    assert appointment.patient == maria
    assert appointment.campaign == campaign
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.BOOKING_INITIATED


def test_the_link_binds_its_campaign_even_when_another_is_more_recent(
    client, clinic, maria, campaign
):
    campaign.status = CampaignStatus.RECOVERY_FAILED
    campaign.save()
    newer = Campaign.objects.create(
        patient=maria,
        campaign_type=CampaignType.RECALL,
        channel_type=Channel.SMS,
        status=CampaignStatus.RE_ENGAGED,
    )

    response = book(client, token=booking_token_make(campaign))

    assert response.status_code == 201
    assert Appointment.objects.get().campaign == campaign
    # A closed campaign cannot become BOOKING_INITIATED: it keeps its status.
    campaign.refresh_from_db()
    newer.refresh_from_db()
    assert campaign.status == CampaignStatus.RECOVERY_FAILED
    assert newer.status == CampaignStatus.RE_ENGAGED


def test_an_expired_link_is_a_400(client, clinic, maria, campaign):
    with time_machine.travel(NOW - dt.timedelta(days=31), tick=False):
        token = booking_token_make(campaign)

    response = book(client, token=token)

    assert response.status_code == 400
    assert response.json() == {"detail": LINK_EXPIRED}
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace(token.split(":")[0], token.split(":")[0][::-1]),
        lambda token: signing.dumps({"c": "68f100000000000000000001"}, salt="another.salt"),
        lambda token: "not a token",
    ],
)
def test_a_tampered_link_is_a_400(client, clinic, maria, campaign, tamper):
    response = book(client, token=tamper(booking_token_make(campaign)))

    assert response.status_code == 400
    assert response.json() == {"detail": LINK_INVALID}
    assert not Appointment.objects.exists()


def test_a_link_to_a_deleted_campaign_is_a_400(client, clinic, maria, campaign):
    token = booking_token_make(campaign)
    campaign.delete()

    response = book(client, token=token)

    assert response.status_code == 400
    assert response.json() == {"detail": LINK_INVALID}


def test_the_booking_link_carries_only_the_campaign_id(campaign):
    url = booking_link_url(campaign)

    assert url.startswith("https://clinic.example/book/?t=")
    token = url.split("?t=", 1)[1]
    assert booking_token_campaign_id(token) == campaign.pk
    assert "maria" not in signing.b64_decode(token.split(":")[0].encode()).decode().lower()


def test_without_a_re_engaged_campaign_the_active_one_is_linked(client, clinic, maria):
    active = Campaign.objects.create(
        patient=maria,
        campaign_type=CampaignType.RECALL,
        channel_type=Channel.SMS,
        status=CampaignStatus.ATTEMPTING_RECOVERY,
    )

    assert book(client).status_code == 201

    assert Appointment.objects.get().campaign == active
    active.refresh_from_db()
    assert active.status == CampaignStatus.BOOKING_INITIATED
    assert active.booking_status == BookingStatus.FORM_SUBMITTED


def test_without_an_active_campaign_the_appointment_has_none(client, clinic, maria):
    closed = Campaign.objects.create(
        patient=maria,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.RECOVERY_DECLINED,
    )

    assert book(client).status_code == 201

    assert Appointment.objects.get().campaign is None
    closed.refresh_from_db()
    assert closed.status == CampaignStatus.RECOVERY_DECLINED
    assert closed.booking_status == ""


def test_when_the_database_refuses_the_first_provider_the_next_free_one_is_booked(
    client, clinic, maria, campaign
):
    # The calendar sees the dentist free (a cancelled visit), but the database still holds
    # the dentist's time: what a concurrent booking committed just after the read looks like.
    ghost = Appointment.objects.create(
        patient=Patient.objects.create(name="Gus Ghost", email="gus@example.com"),
        provider=clinic["dentist"],
        service=clinic["cleaning"],
        appointment_date=SLOT_UTC,
        duration_minutes=60,
        status=AppointmentStatus.CANCELLED,
        created_from=CreatedFrom.MANUAL_ADMIN,
    )
    AppointmentSlot.objects.bulk_create(
        AppointmentSlot(
            appointment=ghost,
            provider=clinic["dentist"],
            start=SLOT_UTC + dt.timedelta(minutes=15 * k),
        )
        for k in range(4)
    )
    assert sorted([clinic["dentist"].pk, clinic["hygienist"].pk])[0] == clinic["dentist"].pk

    cleaning = book(client, service_name="Cleaning")
    whitening = book(
        client, email="gus@example.com", phone=None, appointment_date="2025-08-20T14:30:00Z"
    )

    assert cleaning.status_code == 201
    booked = Appointment.objects.get(pk=cleaning.json()["appointment_id"])
    assert booked.provider == clinic["hygienist"]
    # Whitening has the dentist alone: refused, and nothing of the attempt is left behind.
    assert whitening.status_code == 409
    assert whitening.json() == {"detail": SLOT_TAKEN}
    assert Appointment.objects.count() == 2
    assert AppointmentSlot.objects.filter(provider=clinic["dentist"]).count() == 4


def test_bookings_are_limited_per_client_address(client, clinic, maria, campaign, settings):
    settings.BOOKING_RATE_PER_IP = "2/h"
    other = Patient.objects.create(name="Omar Other", email="omar@example.com")

    assert book(client).status_code == 201
    assert book(client).status_code == 200
    refused = book(client, email=other.email, phone=None)
    from_elsewhere = client.post(
        URL,
        body(email=other.email, phone=None, appointment_date="2025-08-21T14:00:00Z"),
        content_type="application/json",
        REMOTE_ADDR="198.51.100.7",
    )

    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many attempts. Please wait a moment and try again."}
    assert int(refused["Retry-After"]) > 0
    assert from_elsewhere.status_code == 201
    assert Appointment.objects.count() == 2


def test_a_service_named_twice_must_be_one_service(client, clinic, maria, campaign):
    response = book(client, service_id="cleaning", service_name="Teeth Whitening")

    assert response.status_code == 400
    assert response.json() == {"detail": "service_id and service_name name different services."}
    assert Service.objects.count() == 2


# --- One visit per link, one visit at a time, nothing told about who is a patient ---------------


def test_a_link_books_one_visit(client, clinic, maria, campaign):
    token = booking_token_make(campaign)
    assert book(client, token=token).status_code == 201

    second = book(client, token=token, appointment_date="2025-08-21T14:00:00Z")

    assert second.status_code == 409
    assert second.json() == {
        "detail": "This link has already booked a visit: Wednesday, August 20 at 10:00 AM. "
        "To change it, reply to our last message or call the clinic."
    }
    assert Appointment.objects.count() == 1


def test_a_link_books_again_once_its_visit_is_cancelled(client, clinic, maria, campaign):
    token = booking_token_make(campaign)
    assert book(client, token=token).status_code == 201
    Appointment.objects.update(status=AppointmentStatus.CANCELLED)
    AppointmentSlot.objects.all().delete()

    again = book(client, token=token, appointment_date="2025-08-21T14:00:00Z")

    assert again.status_code == 201
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def test_a_patient_cannot_hold_two_visits_at_once(client, clinic, maria, campaign):
    assert book(client).status_code == 201  # whitening 10:00-11:30 with the dentist

    # The hygienist is free for a cleaning at 10:30, but Maria is in the dentist's chair.
    overlapping = book(client, service_name="Cleaning", appointment_date="2025-08-20T14:30:00Z")
    after = book(client, service_name="Cleaning", appointment_date="2025-08-20T15:30:00Z")

    assert overlapping.status_code == 409
    assert overlapping.json() == {"detail": "The patient already has a visit at that time."}
    assert after.status_code == 201


def test_a_taken_time_is_refused_alike_for_patients_and_strangers(client, clinic, maria):
    other = Patient.objects.create(name="Omar Other", email="omar@example.com")
    assert book(client, email=other.email, phone=None).status_code == 201

    known = book(client)
    unknown = book(client, email="nobody@example.com", phone="+12125550199")

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert unknown.json() == {"detail": SLOT_TAKEN}
