"""Private calendar feeds (SPEC §11): staff make a URL for one provider or the whole clinic; a
calendar app reads it with no login and sees the visits, first name and service only unless
the feed shows more; cancelled visits leave it; a revoked or forged URL shows nothing."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.feeds import SALT, feed_url
from appointments.models import Appointment, CalendarFeed
from dentalai.models import AuditEntry
from dentalai.signed import signed_id
from patients.models import Patient

pytestmark = pytest.mark.django_db

FEEDS = reverse("dashboard:calendar_feeds")


@pytest.fixture
def staff(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def visits(clinic):
    ada = Patient.objects.create(name="Ada Okafor", email="ada@example.com", phone="+12125550143")
    ben = Patient.objects.create(name="Ben Lee", phone="+12125550144")
    start = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)

    def visit(patient, when, **fields):
        return Appointment.objects.create(
            patient=patient,
            service=fields.pop("service", clinic["cleaning"]),
            provider=fields.pop("provider", clinic["dentist"]),
            appointment_date=when,
            duration_minutes=60,
            created_from=CreatedFrom.MANUAL_ADMIN,
            **fields,
        )

    return {
        "ada": visit(ada, start, status=AppointmentStatus.CONFIRMED),
        "ben": visit(ben, start + dt.timedelta(hours=2), provider=clinic["hygienist"]),
        "cancelled": visit(ben, start + dt.timedelta(days=1), status=AppointmentStatus.CANCELLED),
        "long_ago": visit(ada, start - dt.timedelta(days=200)),
    }


def make_feed(staff, provider=None, *, details: bool = False) -> CalendarFeed:
    data = {"provider": provider.pk if provider else ""}
    if details:
        data["patient_details"] = "on"
    assert staff.post(FEEDS, data).status_code == 302
    return CalendarFeed.objects.latest("created_at")


def read_feed(url: str) -> Calendar:
    response = Client().get(url.removeprefix("http://127.0.0.1:8000"))  # no login
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, dict]:
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_a_providers_feed_shows_their_visits_first_name_and_service_only(staff, clinic, visits):
    feed = make_feed(staff, clinic["dentist"])

    calendar = read_feed(feed_url(feed))

    assert str(calendar["x-wr-calname"]) == "Bright Smile Dental — Dr Dana Park"
    shown = events(calendar)
    assert list(shown) == ["Cleaning · Ada"]  # not the hygienist's, not the cancelled one
    event = shown["Cleaning · Ada"]
    assert event.decoded("dtstart") == visits["ada"].appointment_date
    assert event.decoded("dtend") == visits["ada"].ends_at
    assert str(event["status"]) == "CONFIRMED"
    text = calendar.to_ical().decode()
    assert "Okafor" not in text and "+1212" not in text and "ada@example.com" not in text
    assert AuditEntry.objects.filter(action="calendar_feed_create").count() == 1


def test_the_clinic_feed_shows_everyones_visits_and_a_cancelled_one_leaves_it(
    staff, clinic, visits
):
    feed = make_feed(staff)
    assert set(events(read_feed(feed_url(feed)))) == {"Cleaning · Ada", "Cleaning · Ben"}
    ben = events(read_feed(feed_url(feed)))["Cleaning · Ben"]
    assert str(ben["status"]) == "TENTATIVE"  # booked, not yet confirmed by the patient
    assert "With Hugo Hygienist." in str(ben["description"])

    Appointment.objects.filter(pk=visits["ben"].pk).update(status=AppointmentStatus.CANCELLED)

    assert set(events(read_feed(feed_url(feed)))) == {"Cleaning · Ada"}


def test_a_feed_with_patient_details_on_shows_the_full_name_and_phone(staff, clinic, visits):
    feed = make_feed(staff, clinic["dentist"], details=True)

    event = events(read_feed(feed_url(feed)))["Cleaning · Ada Okafor"]

    assert "+12125550143" in str(event["description"])


def test_a_revoked_or_forged_url_shows_nothing(staff, clinic, visits):
    feed = make_feed(staff)
    url = feed_url(feed).removeprefix("http://127.0.0.1:8000")
    token = url.removeprefix("/calendar/").removesuffix(".ics")
    forged = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    other_kind = reverse(
        "dashboard:calendar_feed", args=[signed_id(feed.pk, salt="x", field="feed")]
    )
    assert Client().get(forged).status_code == 404
    assert Client().get(other_kind).status_code == 404

    page = staff.get(FEEDS).content.decode()
    assert feed_url(feed) in page
    staff.post(reverse("dashboard:calendar_feed_revoke", args=[feed.pk]))

    assert Client().get(url).status_code == 404
    assert feed_url(feed) not in staff.get(FEEDS).content.decode()
    assert CalendarFeed.objects.get().revoked_at is not None
    assert AuditEntry.objects.filter(action="calendar_feed_revoke").count() == 1


def test_a_feed_keeps_one_address_and_one_made_before_still_works(staff, visits):
    feed = make_feed(staff)
    first = feed_url(feed)

    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        later = feed_url(feed)
    # An address given out when feeds carried a timestamp in their token.
    earlier = reverse("dashboard:calendar_feed", args=[signed_id(feed.pk, salt=SALT, field="feed")])

    assert first == later  # the page shows the same address however often it is opened
    assert Client().get(first.removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert Client().get(earlier).status_code == 200


def test_reading_a_feed_is_recorded_for_staff_to_see(staff, visits):
    feed = make_feed(staff)
    assert feed.last_read_at is None

    read_feed(feed_url(feed))

    assert CalendarFeed.objects.get().last_read_at is not None


def test_an_unknown_provider_is_refused_on_the_form(staff):
    response = staff.post(FEEDS, {"provider": "0" * 24})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not CalendarFeed.objects.exists()


def test_feeds_are_for_signed_in_staff_to_make(client):
    response = client.post(FEEDS, {"provider": ""})

    assert response.status_code == 302 and "/login/" in response.url
    assert not CalendarFeed.objects.exists()
