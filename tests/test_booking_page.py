"""The public booking page /book/, without a browser: every step, every refusal."""

import datetime as dt

import pytest
import time_machine

from appointments.booking_links import LINK_EXPIRED, LINK_INVALID, booking_token_make
from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment
from appointments.services import PATIENT_NOT_FOUND
from campaigns.choices import BookingStatus, CampaignStatus, CampaignType
from campaigns.models import Campaign
from dentalai.choices import Channel
from patients.models import Patient
from tests.clinic_clock import clinic_clock_stopped_at

# Monday 6 January 2031, 07:00 in New York: the clinic (conftest: weekdays 09:00-17:00) has the
# whole day ahead, after the two-hour lead time.
NOW = dt.datetime(2031, 1, 6, 12, 0, tzinfo=dt.UTC)
DAY = "2031-01-06"


@pytest.fixture(autouse=True)
def frozen(settings):
    with clinic_clock_stopped_at(settings, NOW):
        yield


@pytest.fixture
def maria(db):
    patient = Patient.objects.create(
        name="Maria Garcia Lopez", email="maria@example.com", phone="+12125550123"
    )
    return Campaign.objects.create(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.RE_ENGAGED,
        booking_status=BookingStatus.FORM_SENT,
    )


def test_the_start_page_lists_the_services(client, clinic):
    response = client.get("/book/")

    assert response.status_code == 200
    assert "Cleaning" in response.text
    assert "Teeth Whitening" in response.text
    assert 'href="/book/cleaning/"' in response.text


def test_a_signed_link_greets_the_patient_by_first_name_only(client, clinic, maria):
    token = booking_token_make(maria)

    response = client.get("/book/", {"t": token})

    assert "Hi Maria," in response.text
    for secret in ("Garcia", "maria@example.com", "2125550123"):
        assert secret not in response.text
    # The link is carried to the next step.
    assert f"/book/cleaning/?t={token.replace(':', '%3A')}" in response.text


def test_a_damaged_link_says_so_and_lets_the_patient_book_anyway(client, clinic):
    response = client.get("/book/", {"t": "nonsense"})

    assert LINK_INVALID in response.text
    assert "You can still book below" in response.text
    assert 'href="/book/cleaning/"' in response.text


def test_an_expired_link_says_so(client, clinic, maria):
    token = booking_token_make(maria)

    with time_machine.travel(NOW + dt.timedelta(days=31), tick=False):
        response = client.get("/book/", {"t": token})

    assert LINK_EXPIRED in response.text


def test_the_month_marks_the_days_with_free_times(client, clinic):
    response = client.get("/book/cleaning/")

    assert "January 2031" in response.text
    weeks = response.context["weeks"]
    free = {cell["date"].isoformat() for week in weeks for cell in week if cell["url"]}
    # Weekdays from today; weekends and past days have no times.
    assert DAY in free
    assert "2031-01-11" not in free  # a Saturday
    assert "2031-01-03" not in free  # the past
    assert 'aria-label="Monday, January 6: ' in response.text
    # No going back before this month; forward a year at most.
    assert response.context["previous_url"] == ""
    assert "month=2031-02" in response.context["next_url"]


def test_the_month_can_be_changed_and_is_kept_within_a_year(client, clinic):
    assert "February 2031" in client.get("/book/cleaning/", {"month": "2031-02"}).text
    assert "January 2031" in client.get("/book/cleaning/", {"month": "2019-05"}).text
    assert "January 2032" in client.get("/book/cleaning/", {"month": "2040-01"}).text
    assert "January 2031" in client.get("/book/cleaning/", {"month": "2031-13"}).text


def test_a_full_month_opens_on_the_next_one(client, clinic):
    # Friday 31 January 2031, after the clinic's hours: nothing left this month.
    with time_machine.travel(dt.datetime(2031, 1, 31, 23, 0, tzinfo=dt.UTC), tick=False):
        response = client.get("/book/cleaning/")
        asked = client.get("/book/cleaning/", {"month": "2031-01"})

    assert "February 2031" in response.text
    assert "No free times left this month" in asked.text


def test_htmx_gets_only_the_calendar(client, clinic):
    response = client.get("/book/cleaning/", {"month": "2031-02"}, headers={"HX-Request": "true"})

    assert "February 2031" in response.text
    assert "<html" not in response.text


def test_a_day_lists_its_free_times(client, clinic):
    response = client.get(f"/book/cleaning/{DAY}/")

    times = [t["label"] for t in response.context["times"]]
    assert times[0] == "9:00 AM"
    assert times[-1] == "4:00 PM"
    assert f'href="/book/cleaning/{DAY}/09:00/"' in response.text


def test_unknown_services_days_and_times_are_404s(client, clinic):
    assert client.get("/book/nope/").status_code == 404
    assert client.get("/book/cleaning/2031-02-30/").status_code == 404
    assert client.get(f"/book/cleaning/{DAY}/25:00/").status_code == 404
    assert client.get(f"/book/nope/{DAY}/09:00/").status_code == 404


def test_booking_from_a_link_asks_for_nothing_and_books_that_campaign(client, clinic, maria):
    token = booking_token_make(maria)
    url = f"/book/cleaning/{DAY}/10:00/"

    page = client.get(url, {"t": token})
    assert "You are booking as <strong>Maria</strong>" in page.text
    assert 'name="email"' not in page.text

    response = client.post(url, {"t": token})

    assert response.status_code == 302
    assert response["Location"] == "/book/confirmed/"
    appointment = Appointment.objects.get()
    assert appointment.patient == maria.patient
    assert appointment.campaign == maria
    assert appointment.created_from == CreatedFrom.AI_AGENT_FORM
    assert appointment.appointment_date == dt.datetime(2031, 1, 6, 15, 0, tzinfo=dt.UTC)
    maria.refresh_from_db()
    assert maria.status == CampaignStatus.BOOKING_INITIATED
    assert maria.booking_status == BookingStatus.FORM_SUBMITTED

    confirmed = client.get("/book/confirmed/")
    assert "You're booked, Maria!" in confirmed.text
    assert "Monday, January 6, 2031 at 10:00 AM" in confirmed.text
    assert "maria@example.com" not in confirmed.text


def test_a_link_that_has_booked_shows_its_visit_at_every_step(client, clinic, maria):
    token = booking_token_make(maria)
    client.post(f"/book/cleaning/{DAY}/10:00/", {"t": token})

    for url in (
        "/book/",
        "/book/cleaning/",
        f"/book/cleaning/{DAY}/",
        f"/book/cleaning/{DAY}/11:00/",
    ):
        page = client.get(url, {"t": token})
        assert page.status_code == 200
        assert "You're booked, Maria!" in page.text
        assert "Monday, January 6, 2031 at 10:00 AM" in page.text
        assert "books one visit only" in page.text
    client.post(f"/book/cleaning/{DAY}/11:00/", {"t": token})
    assert Appointment.objects.count() == 1


def test_booking_without_a_link_finds_the_patient_by_phone(client, clinic, maria):
    response = client.post(
        f"/book/cleaning/{DAY}/11:00/",
        {"name": "Maria", "email": "", "phone": "(212) 555-0123"},
    )

    assert response.status_code == 302
    assert Appointment.objects.get().patient == maria.patient


def test_booking_without_a_link_for_someone_unknown_says_so(client, clinic, settings):
    settings.BOOKING_NEW_PATIENTS = "off"

    response = client.post(
        f"/book/cleaning/{DAY}/11:00/", {"name": "Nobody", "email": "nobody@example.com"}
    )

    assert response.status_code == 404
    assert PATIENT_NOT_FOUND in response.text
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "a@b.com"}, "Enter your name."),
        ({"name": "Ann", "email": "", "phone": ""}, "Enter the email or the phone number"),
        ({"name": "Ann", "email": "not-an-email"}, "Enter an email address like"),
        ({"name": "Ann", "phone": "123"}, "Enter a phone number we can reach"),
    ],
)
def test_the_details_form_rejects_bad_input(client, clinic, data, message):
    response = client.post(f"/book/cleaning/{DAY}/11:00/", data)

    assert response.status_code == 400
    assert message in response.text
    assert 'role="alert"' in response.text
    assert not Appointment.objects.exists()


def test_a_time_just_taken_is_refused_with_the_times_left(client, clinic, maria):
    whitening = clinic["whitening"]  # one provider: a booked time is gone
    other = Patient.objects.create(name="Tom Lee", email="tom@example.com")
    Appointment.objects.create(
        patient=other,
        service=whitening,
        provider=clinic["dentist"],
        appointment_date=dt.datetime(2031, 1, 6, 15, 0, tzinfo=dt.UTC),
        duration_minutes=90,
        status=AppointmentStatus.BOOKED,
        created_from=CreatedFrom.MANUAL_ADMIN,
    )
    from appointments.models import AppointmentSlot
    from appointments.slots import slot_starts

    appointment = Appointment.objects.get()
    AppointmentSlot.objects.bulk_create(
        AppointmentSlot(appointment=appointment, provider=clinic["dentist"], start=start)
        for start in slot_starts(appointment.appointment_date, 90)
    )

    response = client.post(f"/book/teeth_whitening/{DAY}/10:00/", {"t": booking_token_make(maria)})

    assert response.status_code == 409
    assert "that time was just taken by someone else" in response.text
    assert "10:00 AM" not in [t["label"] for t in response.context["times"]]
    assert response.context["times"]
    assert Appointment.objects.count() == 1


def test_too_many_attempts_are_refused(client, clinic, maria, settings):
    settings.BOOKING_RATE_PER_IP = "1/h"
    settings.BOOKING_NEW_PATIENTS = "off"
    client.post(f"/book/cleaning/{DAY}/11:00/", {"name": "Nobody", "email": "n@example.com"})

    response = client.post(f"/book/cleaning/{DAY}/11:30/", {"t": booking_token_make(maria)})

    assert response.status_code == 429
    assert "Too many attempts. Please wait a moment and try again." in response.text
    assert not Appointment.objects.exists()


def test_the_confirmation_needs_a_booking(client, db):
    response = client.get("/book/confirmed/")

    assert response.status_code == 302
    assert response["Location"] == "/book/"


def test_the_booking_page_is_labelled_and_phone_ready(client, clinic):
    response = client.get(f"/book/cleaning/{DAY}/11:00/")

    text = response.text
    assert 'name="viewport"' in text
    for field in ("id_name", "id_email", "id_phone"):
        assert f'for="{field}"' in text
    assert 'autocomplete="email"' in text
    assert 'type="tel"' in text
    assert 'aria-current="step"' in text
