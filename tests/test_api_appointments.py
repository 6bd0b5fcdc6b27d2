import datetime as dt
from zoneinfo import ZoneInfo

import jwt
import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, AppointmentSlot
from appointments.services import appointment_create_manual
from campaigns.choices import BookingStatus, CampaignStatus, CampaignType
from campaigns.models import Campaign
from dentalai.choices import Channel
from dentalai.models import AuditEntry
from patients.choices import PatientType
from patients.models import Patient
from tests.conftest import PASSWORD, bearer

LIST = "/api/v1/admin/appointments"
NEW_YORK = ZoneInfo("America/New_York")
# Friday 1 August 2025, 08:00 in New York.
NOW = dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC)
UNAUTHENTICATED = {"detail": "A valid, unexpired bearer token is required."}
NOT_FOUND = {"detail": "Appointment not found."}


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    settings.BOOKING_SLOT_STEP_MINUTES = 30
    settings.BOOKING_MIN_LEAD_MINUTES = 120
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def paula(db):
    return Patient.objects.create(
        name="Paula Patient", email="paula@example.com", phone="+12125551234"
    )


def make_campaign(patient, status=CampaignStatus.RE_ENGAGED, **fields):
    return Campaign.objects.create(
        patient=patient,
        campaign_type=fields.pop("campaign_type", CampaignType.RECOVERY),
        channel_type=Channel.EMAIL,
        status=status,
        **fields,
    )


def book(manager, clinic, patient, start: str, service="cleaning", **fields):
    """A booked appointment with its slot rows, made the way staff make one."""
    return appointment_create_manual(
        actor=manager,
        service=clinic[service],
        appointment_date=local(start),
        name=patient.name,
        email=patient.email,
        **fields,
    )


def as_json(appointment: Appointment) -> dict:
    return {
        "appointment_id": appointment.pk,
        "patient_id": appointment.patient_id,
        "patient_name": appointment.patient.name,
        "appointment_date": utc(appointment.appointment_date),
        "duration_minutes": appointment.duration_minutes,
        "service_id": appointment.service.slug,
        "service_name": appointment.service.name,
        "provider_id": appointment.provider_id,
        "provider_name": appointment.provider.name if appointment.provider else None,
        "status": appointment.status,
        "campaign_id": appointment.campaign_id,
        "created_from": appointment.created_from,
        "notes": appointment.notes,
        "confirmed_at": utc(appointment.confirmed_at) if appointment.confirmed_at else None,
        "cancelled_at": utc(appointment.cancelled_at) if appointment.cancelled_at else None,
        "cancelled_by": appointment.cancelled_by,
        "rescheduled_to": appointment.rescheduled_to_id,
        "created_at": utc(appointment.created_at),
    }


def slots(appointment: Appointment) -> list[tuple[str, dt.datetime]]:
    return list(
        AppointmentSlot.objects.filter(appointment_id=appointment.pk)
        .order_by("start")
        .values_list("provider_id", "start")
    )


# --- Authentication ---------------------------------------------------------------------------

ENDPOINTS = [
    ("get", LIST),
    ("post", LIST),
    ("post", f"{LIST}/68f100000000000000000001/complete"),
    ("post", f"{LIST}/68f100000000000000000001/cancel"),
    ("delete", f"{LIST}/68f100000000000000000001"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_endpoint_refuses_anonymous_callers(client, db, method, url):
    response = getattr(client, method)(url, content_type="application/json")

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_endpoint_refuses_a_deactivated_users_token(outsider, method, url):
    client = Client(headers=bearer(outsider))

    response = getattr(client, method)(url, content_type="application/json")

    assert response.status_code == 401


def test_expired_and_forged_tokens_are_refused(manager, clinic):
    expired = Client(headers=bearer(manager))
    claims = {"sub": manager.pk, "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60}
    forged = jwt.encode(claims, "not the key, but long enough for HS256", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")

    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert expired.get(LIST).status_code == 401
    for token in (forged, unsigned):
        response = Client(headers={"Authorization": f"Bearer {token}"}).get(LIST)
        assert response.status_code == 401


# --- List -------------------------------------------------------------------------------------


@pytest.fixture
def calendar(manager, clinic, paula):
    other = Patient.objects.create(name="Omar Other", email="omar@example.com")
    return {
        "before": book(manager, clinic, paula, "2025-08-19 16:00"),
        "first": book(manager, clinic, paula, "2025-08-20 09:00", provider_id=clinic["dentist"].pk),
        "hygiene": book(
            manager, clinic, other, "2025-08-20 09:00", provider_id=clinic["hygienist"].pk
        ),
        # 20:00 in New York is already 21 August in UTC: still the 20th for the clinic.
        "late": Appointment.objects.create(
            patient=other,
            provider=clinic["dentist"],
            service=clinic["whitening"],
            appointment_date=local("2025-08-20 20:00"),
            duration_minutes=90,
            created_from=CreatedFrom.MANUAL_ADMIN,
            notes="After hours, arranged by phone.",
        ),
        "cancelled": Appointment.objects.create(
            patient=paula,
            provider=clinic["dentist"],
            service=clinic["cleaning"],
            appointment_date=local("2025-08-20 12:00"),
            duration_minutes=60,
            status=AppointmentStatus.CANCELLED,
            created_from=CreatedFrom.AI_AGENT_FORM,
        ),
        "after": book(manager, clinic, paula, "2025-08-21 09:00"),
    }


def test_it_lists_the_appointments_of_clinic_days_in_start_order(api, calendar):
    response = api.get(LIST, {"start_date": "2025-08-20", "end_date": "2025-08-20"})

    assert response.status_code == 200
    expected = [calendar[k] for k in ("first", "hygiene", "cancelled", "late")]
    expected[:2] = sorted(expected[:2], key=lambda a: a.pk)
    assert response.json() == {
        "appointments": [as_json(Appointment.objects.get(pk=a.pk)) for a in expected]
    }
    late = response.json()["appointments"][-1]
    assert late["appointment_date"] == "2025-08-21T00:00:00Z"
    assert late["notes"] == "After hours, arranged by phone."


def test_it_filters_by_provider_and_status(api, calendar, clinic):
    by_provider = api.get(
        LIST,
        {
            "start_date": "2025-08-19",
            "end_date": "2025-08-21",
            "provider_id": clinic["hygienist"].pk,
        },
    ).json()["appointments"]
    cancelled = api.get(LIST, {"status": "cancelled"}).json()["appointments"]
    everything = api.get(LIST).json()["appointments"]

    assert [a["appointment_id"] for a in by_provider] == [calendar["hygiene"].pk]
    assert [a["appointment_id"] for a in cancelled] == [calendar["cancelled"].pk]
    assert len(everything) == 6


def test_the_list_costs_the_same_queries_whatever_its_length(
    api, calendar, django_assert_max_num_queries
):
    # the token's user, then the appointments with patient, service and provider joined
    with django_assert_max_num_queries(2):
        response = api.get(LIST)

    assert len(response.json()["appointments"]) == 6


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2025-08-21", "end_date": "2025-08-20"},
        {"start_date": "20/08/2025"},
        {"status": "CONFIRMED"},
    ],
)
def test_a_bad_filter_is_a_422(api, db, params):
    response = api.get(LIST, params)

    assert response.status_code == 422
    assert response.json()["detail"] == "Some fields are missing or invalid."


# --- Create -----------------------------------------------------------------------------------


def create_body(**fields) -> dict:
    return {
        "appointment_date": "2025-09-05T15:00:00Z",  # Friday 11:00 in New York
        "duration_minutes": 45,
        "name": "Alice Caller",
        "email": "alice.caller@example.com",
        "preferred_channel": "whatsapp",
        "service_name": "Cleaning",
        "notes": "Patient called to schedule.",
    } | fields


def test_staff_book_a_new_patient_who_called(api, manager, clinic):
    response = api.post(LIST, create_body(), content_type="application/json")

    assert response.status_code == 201
    appointment = Appointment.objects.select_related("patient", "service", "provider").get()
    assert response.json() == as_json(appointment)
    assert appointment.created_from == CreatedFrom.MANUAL_ADMIN
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.duration_minutes == 45
    assert appointment.notes == "Patient called to schedule."
    assert appointment.campaign is None
    assert appointment.provider == clinic["dentist"]
    start = dt.datetime(2025, 9, 5, 15, 0, tzinfo=dt.UTC)
    assert slots(appointment) == [
        (clinic["dentist"].pk, start + dt.timedelta(minutes=15 * k)) for k in range(3)
    ]
    patient = appointment.patient
    assert (patient.name, patient.email) == ("Alice Caller", "alice.caller@example.com")
    assert patient.patient_type == PatientType.EXISTING
    assert patient.preferred_channels == ["whatsapp"]
    entry = AuditEntry.objects.get(action="appointment_create_manual")
    assert (entry.actor, entry.object_id) == (manager, appointment.pk)
    assert entry.details["patient_created"] is True


def test_booking_a_known_patient_links_their_active_campaign(api, clinic, paula):
    campaign = make_campaign(paula, CampaignStatus.HANDOFF_REQUIRED)

    response = api.post(
        LIST,
        create_body(name="Someone Else", email="PAULA@example.com", service_id="cleaning"),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["patient_id"] == paula.pk
    assert response.json()["campaign_id"] == campaign.pk
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.BOOKING_INITIATED
    assert campaign.booking_status == ""  # a phone call, not the booking form
    paula.refresh_from_db()
    assert paula.name == "Paula Patient"
    assert paula.patient_type == PatientType.COLD_LEAD


def test_staff_may_book_without_lead_time_or_step_on_any_quarter_hour(api, clinic):
    # 08:45 now in New York would be 12:45 UTC; 09:15 is inside hours, off the 30-minute step.
    response = api.post(
        LIST,
        create_body(appointment_date="2025-08-01T13:15:00Z", duration_minutes=None),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["duration_minutes"] == 60
    assert response.json()["appointment_date"] == "2025-08-01T13:15:00Z"


def test_a_named_provider_is_booked(api, clinic):
    response = api.post(
        LIST,
        create_body(provider_id=clinic["hygienist"].pk),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["provider_id"] == clinic["hygienist"].pk
    assert response.json()["provider_name"] == "Hugo Hygienist"


def test_the_next_free_provider_is_booked_when_the_first_is_busy(api, manager, clinic, paula):
    book(manager, clinic, paula, "2025-09-05 11:00", provider_id=clinic["dentist"].pk)

    response = api.post(LIST, create_body(), content_type="application/json")

    assert response.status_code == 201
    assert response.json()["provider_id"] == clinic["hygienist"].pk


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        (
            {"appointment_date": "2025-09-06T15:00:00Z"},  # a Saturday
            409,
            "No provider of this service is free for that whole time within working hours.",
        ),
        (
            {"appointment_date": "2025-09-05T20:30:00Z"},  # 16:30 + 45 minutes > 17:00
            409,
            "No provider of this service is free for that whole time within working hours.",
        ),
        (
            {"appointment_date": "2025-09-05T15:10:00Z"},
            400,
            "Appointments start on a quarter hour (:00, :15, :30 or :45).",
        ),
        ({"appointment_date": "2025-08-01T11:00:00Z"}, 400, "That time has already passed."),
        ({"service_name": "Root Canal"}, 404, "Service not found."),
        ({"provider_id": "68f1000000000000000000ff"}, 404, "Provider not found."),
    ],
)
def test_a_time_or_provider_that_cannot_be_booked_is_refused(api, clinic, fields, status, detail):
    response = api.post(LIST, create_body(**fields), content_type="application/json")

    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert not Appointment.objects.exists()
    assert not Patient.objects.exists()


def test_a_provider_who_does_not_offer_the_service_is_a_400(api, clinic):
    response = api.post(
        LIST,
        create_body(
            service_name=None, service_id="teeth_whitening", provider_id=clinic["hygienist"].pk
        ),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Hugo Hygienist does not provide Teeth Whitening."}


def test_a_busy_named_provider_is_a_409_even_when_another_is_free(api, manager, clinic, paula):
    book(manager, clinic, paula, "2025-09-05 10:30", provider_id=clinic["hygienist"].pk)

    response = api.post(
        LIST, create_body(provider_id=clinic["hygienist"].pk), content_type="application/json"
    )

    assert response.status_code == 409
    assert "not free" in response.json()["detail"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"appointment_date": "2025-09-05T11:00:00"},
        {"name": None},
        {"email": None},
        {"service_name": None},
        {"duration_minutes": 0},
        {"duration_minutes": 481},
        {"preferred_channel": "pigeon"},
        {"notes": "x" * 2001},
    ],
)
def test_invalid_input_is_a_422(api, clinic, fields):
    response = api.post(LIST, create_body(**fields), content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"]


# --- Complete ---------------------------------------------------------------------------------


def complete_url(appointment) -> str:
    return f"{LIST}/{appointment.pk}/complete"


def test_completing_recovers_the_campaign_and_schedules_the_recall(api, manager, clinic, paula):
    campaign = make_campaign(paula)
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")

    response = api.post(
        complete_url(appointment),
        {"next_follow_up_date": "2026-02-20"},
        content_type="application/json",
    )

    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert response.json() == as_json(appointment)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RECOVERED
    assert not campaign.is_active
    paula.refresh_from_db()
    assert paula.next_follow_up_date == dt.date(2026, 2, 20)
    assert paula.patient_type == PatientType.EXISTING
    assert len(slots(appointment)) == 4  # the visit used that time
    entry = AuditEntry.objects.get(action="appointment_complete")
    assert (entry.actor, entry.object_id) == (manager, appointment.pk)


def test_completing_needs_no_body(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")

    response = api.generic("POST", complete_url(appointment))  # no body at all

    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    paula.refresh_from_db()
    assert paula.next_follow_up_date is None
    assert paula.patient_type == PatientType.EXISTING


def test_a_closed_campaign_stays_as_it_is_when_its_visit_is_completed(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    campaign = make_campaign(paula, CampaignStatus.RECOVERY_DECLINED)
    Appointment.objects.filter(pk=appointment.pk).update(campaign=campaign)

    assert api.post(complete_url(appointment), content_type="application/json").status_code == 200

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        ("completed", "This appointment is already completed."),
        ("cancelled", "This appointment is cancelled; it cannot be completed."),
    ],
)
def test_only_a_booked_appointment_can_be_completed(api, manager, clinic, paula, status, detail):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    Appointment.objects.filter(pk=appointment.pk).update(status=status)

    response = api.post(complete_url(appointment), content_type="application/json")

    assert response.status_code == 409
    assert response.json() == {"detail": detail}


def test_a_follow_up_date_in_the_past_is_a_400(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")

    response = api.post(
        complete_url(appointment),
        {"next_follow_up_date": "2025-07-31"},
        content_type="application/json",
    )

    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_a_bad_follow_up_date_is_a_422(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")

    response = api.post(
        complete_url(appointment),
        {"next_follow_up_date": "in six months"},
        content_type="application/json",
    )

    assert response.status_code == 422


# --- Cancel and delete ------------------------------------------------------------------------


def test_cancelling_frees_the_time_and_returns_the_campaign_to_re_engaged(
    api, manager, clinic, paula
):
    campaign = make_campaign(paula, booking_link="https://clinic.example/book/?t=x")
    appointment = book(manager, clinic, paula, "2025-08-20 09:00", service="whitening")
    Campaign.objects.filter(pk=campaign.pk).update(
        booking_status=BookingStatus.FORM_SUBMITTED, booking_submitted_at=NOW
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.BOOKING_INITIATED
    assert "09:00" not in api.get(
        "/api/v1/availability", {"month": 8, "year": 2025, "service_id": "teeth_whitening"}
    ).json().get("2025-08-20", [])

    response = api.post(f"{LIST}/{appointment.pk}/cancel")

    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert response.json() == as_json(appointment)
    assert slots(appointment) == []
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED
    assert campaign.booking_status == BookingStatus.FORM_SENT
    assert campaign.booking_submitted_at is None
    days = api.get(
        "/api/v1/availability", {"month": 8, "year": 2025, "service_id": "teeth_whitening"}
    ).json()
    assert days["2025-08-20"][0] == "09:00"
    assert AuditEntry.objects.filter(action="appointment_cancel", object_id=appointment.pk).exists()
    # The time can be booked again.
    again = book(manager, clinic, paula, "2025-08-20 09:00", service="whitening")
    assert again.provider == clinic["dentist"]


def test_the_campaign_stays_booking_initiated_while_another_visit_is_booked(
    api, manager, clinic, paula
):
    campaign = make_campaign(paula)
    first = book(manager, clinic, paula, "2025-08-20 09:00")
    second = book(manager, clinic, paula, "2025-08-27 09:00")
    assert first.campaign_id == second.campaign_id == campaign.pk

    assert api.post(f"{LIST}/{first.pk}/cancel").status_code == 200

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.BOOKING_INITIATED


def test_cancelling_twice_is_a_409(api, manager, clinic, paula):
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    assert api.post(f"{LIST}/{appointment.pk}/cancel").status_code == 200

    response = api.post(f"{LIST}/{appointment.pk}/cancel")

    assert response.status_code == 409
    assert response.json() == {"detail": "This appointment is already cancelled."}


def test_deleting_removes_the_appointment_and_its_time(api, manager, clinic, paula):
    campaign = make_campaign(paula)
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")

    response = api.delete(f"{LIST}/{appointment.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Appointment.objects.exists()
    assert not AppointmentSlot.objects.exists()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED
    assert campaign.booking_status == ""
    entry = AuditEntry.objects.get(action="appointment_delete")
    assert (entry.actor, entry.object_id) == (manager, appointment.pk)
    assert api.delete(f"{LIST}/{appointment.pk}").status_code == 404


def test_deleting_a_completed_visit_leaves_the_recovered_campaign(api, manager, clinic, paula):
    campaign = make_campaign(paula)
    appointment = book(manager, clinic, paula, "2025-08-20 09:00")
    assert api.post(complete_url(appointment), content_type="application/json").status_code == 200

    assert api.delete(f"{LIST}/{appointment.pk}").status_code == 204

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RECOVERED


@pytest.mark.parametrize(
    "appointment_id", ["68f1000000000000000000ff", "not-an-id", "x" * 40, "%F0%9F%A6%B7"]
)
@pytest.mark.parametrize("action", ["complete", "cancel", "delete"])
def test_an_unknown_or_malformed_id_is_a_404(api, db, appointment_id, action):
    if action == "delete":
        response = api.delete(f"{LIST}/{appointment_id}")
    else:
        response = api.post(f"{LIST}/{appointment_id}/{action}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


# --- The Django admin -------------------------------------------------------------------------


@pytest.fixture
def admin_client(manager):
    client = Client()
    assert client.login(email=manager.email, password=PASSWORD)
    return client


def admin_form(clinic, patient, start: dt.datetime, **fields) -> dict:
    start = start.astimezone(dt.timezone(dt.timedelta(0)))  # the admin shows TIME_ZONE (UTC)
    assert django_settings.TIME_ZONE == "UTC"
    return {
        "patient": patient.pk,
        "service": clinic["cleaning"].pk,
        "provider": clinic["dentist"].pk,
        "appointment_date_0": start.date().isoformat(),
        "appointment_date_1": start.strftime("%H:%M:%S"),
        "duration_minutes": "",
        "notes": "",
        "campaign": "",
        "created_from": CreatedFrom.MANUAL_ADMIN,
    } | fields


def test_the_django_admin_holds_the_providers_time_too(admin_client, manager, clinic, paula):
    url = reverse("admin:appointments_appointment_add")

    response = admin_client.post(url, admin_form(clinic, paula, local("2025-08-20 09:00")))

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    start = local("2025-08-20 09:00").astimezone(dt.UTC)
    assert slots(appointment) == [
        (clinic["dentist"].pk, start + dt.timedelta(minutes=15 * k)) for k in range(4)
    ]
    assert AuditEntry.objects.filter(action="appointment_create_admin", actor=manager).exists()

    # Moved an hour later: the rows follow it.
    change = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    moved = admin_client.post(change, admin_form(clinic, paula, local("2025-08-20 10:00")))
    assert moved.status_code == 302
    assert [s for _, s in slots(appointment)] == [
        start + dt.timedelta(minutes=60 + 15 * k) for k in range(4)
    ]

    # Cancelled (the status changes only through the admin's actions): the time is free.
    cancelled = admin_client.post(
        reverse("admin:appointments_appointment_changelist"),
        {"action": "mark_cancelled", "_selected_action": [appointment.pk]},
    )
    assert cancelled.status_code == 302
    assert slots(appointment) == []
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == ("cancelled", "staff")


def test_the_django_admin_is_refused_by_the_database_when_the_time_was_just_taken(
    admin_client, manager, clinic, paula
):
    taken = book(manager, clinic, paula, "2025-08-20 09:00", provider_id=clinic["dentist"].pk)
    # What a booking committed between the form's check and its save looks like: the form's
    # check reads the appointments (this one looks cancelled), the database holds the rows.
    Appointment.objects.filter(pk=taken.pk).update(status=AppointmentStatus.CANCELLED)
    other = Patient.objects.create(name="Omar Other", email="omar@example.com")
    url = reverse("admin:appointments_appointment_add")

    response = admin_client.post(url, admin_form(clinic, other, local("2025-08-20 09:30")))

    assert response.status_code == 302
    assert response["Location"] == url
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Dr Dana Park is already booked then."
    ]
    assert list(Appointment.objects.values_list("pk", flat=True)) == [taken.pk]
    assert len(slots(taken)) == 4


def test_staff_cannot_book_a_patient_twice_at_the_same_time(api, manager, clinic, paula):
    book(manager, clinic, paula, "2025-09-05 11:00", provider_id=clinic["dentist"].pk)

    response = api.post(
        LIST,
        create_body(email=paula.email, appointment_date="2025-09-05T15:30:00Z"),
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The patient already has a visit at that time. (Friday, September 5 at 11:00 AM)"
    }
    assert Appointment.objects.count() == 1
