"""Clinic closures (SPEC §8): a day the clinic is closed is offered nowhere — not on /book/,
not by the API's availability, not to staff booking or moving a visit — and the calendar shows
it closed. Visits already booked on it are listed for staff to deal with."""

import datetime as dt

import pytest

from appointments.closures import closure_add
from appointments.models import Appointment, ClinicClosure
from appointments.services import appointment_create_manual
from dentalai.models import AuditEntry
from tests.clinic_clock import at, clinic_clock_stopped_at

pytestmark = pytest.mark.django_db

# Monday 6 January 2031, 07:00 in New York; the clinic (conftest) works weekdays 09:00-17:00.
NOW = dt.datetime(2031, 1, 6, 12, 0, tzinfo=dt.UTC)
CLOSED = dt.date(2031, 1, 8)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen(settings):
    with clinic_clock_stopped_at(settings, NOW):
        yield


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def test_staff_close_a_day_and_it_leaves_the_booking_page(staff, client, manager, clinic):
    response = staff.post(
        "/appointments/closures/",
        {"first": CLOSED.isoformat(), "reason": "Staff training"},
        follow=True,
    )

    assert "Closed 1 day: nothing can be booked on them." in response.text
    assert "Staff training" in response.text
    assert AuditEntry.objects.filter(action="closure_add", actor=manager).exists()
    month = client.get("/book/cleaning/").context["weeks"]
    free = {cell["date"] for week in month for cell in week if cell["url"]}
    assert CLOSED not in free and CLOSED + dt.timedelta(days=1) in free
    api = client.get("/api/v1/availability", {"month": 1, "year": 2031, "service_id": "cleaning"})
    assert CLOSED.isoformat() not in api.json() and "2031-01-09" in api.json()


def test_nobody_books_or_moves_a_visit_onto_a_closed_day(staff, manager, clinic):
    closure_add(actor=manager, first=CLOSED, reason="Christmas Day (observed)")

    refused = staff.post(
        "/appointments/new/",
        {
            "service": clinic["cleaning"].pk,
            "date": CLOSED.isoformat(),
            "time": "10:00",
            "name": "Paul Walker",
            "email": "paul@example.com",
        },
    )
    assert refused.status_code == 400
    assert "The clinic is closed on Wed Jan 8 (Christmas Day (observed))." in refused.text
    assert not Appointment.objects.exists()

    visit = appointment_create_manual(
        actor=manager,
        service=clinic["cleaning"],
        appointment_date=at(dt.date(2031, 1, 7), 10),
        name="Ann Lee",
        email="ann@example.com",
    )
    moved = staff.post(
        f"/appointments/{visit.pk}/move/", {"date": CLOSED.isoformat(), "time": "10:00"}
    )
    assert moved.status_code == 400
    assert "The clinic is closed on Wed Jan 8" in moved.text
    visit.refresh_from_db()
    assert visit.status == "booked" and visit.appointment_date == at(dt.date(2031, 1, 7), 10)

    # The time picker says so before anyone tries.
    times = staff.get(
        "/appointments/times/", {"service": clinic["cleaning"].pk, "date": CLOSED.isoformat()}
    ).json()
    assert times == {
        "times": [],
        "note": "The clinic is closed on Wed Jan 8 (Christmas Day (observed)).",
    }


def test_the_calendar_shows_the_closed_day_and_offers_nothing_on_it(staff, manager, clinic):
    closure_add(actor=manager, first=CLOSED, reason="Staff training")

    week = staff.get(
        "/appointments/",
        {"view": "week", "date": CLOSED.isoformat(), "provider": clinic["dentist"].pk},
    )

    assert "Closed: Staff training" in week.text
    wednesday = next(b for b in week.context["blocks"] if b.closed_label)
    columns = {c.day: i for i, c in enumerate(week.context["columns"], start=2)}
    assert wednesday.column == columns[CLOSED]
    assert not [b for b in week.context["blocks"] if b.book_url and b.column == columns[CLOSED]]


def test_closing_days_lists_the_visits_still_booked_on_them(staff, manager, clinic):
    visit = appointment_create_manual(
        actor=manager,
        service=clinic["cleaning"],
        appointment_date=at(CLOSED, 11),
        name="Ann Lee",
        email="ann@example.com",
    )

    page = staff.post(
        "/appointments/closures/",
        {"first": "2031-01-08", "last": "2031-01-10", "reason": "Snow week"},
        follow=True,
    ).text

    assert "Closed 3 days" in page
    assert "1 visit still booked on a closed day" in page
    assert f"/appointments/{visit.pk}/" in page
    assert ClinicClosure.objects.count() == 3
    visit.refresh_from_db()
    assert visit.status == "booked"  # staff decide: move or cancel, the patient told


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first": "2031-01-03", "reason": "x"}, "That day has already passed."),
        ({"first": "2031-01-10", "last": "2031-01-08", "reason": "x"}, "The last day is before"),
        ({"first": "2031-01-08", "last": "2031-03-08", "reason": "x"}, "at most 31 days"),
        ({"first": "2031-01-08", "reason": " "}, "Say why the clinic is closed"),
        ({"first": "soon", "reason": "x"}, "Enter a valid date."),
    ],
)
def test_a_bad_closure_is_refused_with_a_reason(staff, data, message):
    response = staff.post("/appointments/closures/", data)

    assert response.status_code == 400
    assert message in response.text
    assert not ClinicClosure.objects.exists()


def test_closing_twice_keeps_one_row_and_opening_again_offers_the_day(staff, manager, clinic):
    closure_add(actor=manager, first=CLOSED, reason="Staff training")
    again = staff.post(
        "/appointments/closures/", {"first": CLOSED.isoformat(), "reason": "Training"}, follow=True
    )
    assert "Those days were already closed." in again.text
    closure = ClinicClosure.objects.get()

    opened = staff.post(f"/appointments/closures/{closure.pk}/open/", follow=True)

    assert "Open again on Wed Jan 8." in opened.text
    assert not ClinicClosure.objects.exists()
    assert staff.post("/appointments/closures/nope/open/").status_code == 404
    times = staff.get(
        "/appointments/times/", {"service": clinic["cleaning"].pk, "date": CLOSED.isoformat()}
    ).json()["times"]
    assert times[0] == "09:00" and times[-1] == "16:00"


def test_the_front_desk_closes_days_but_only_a_manager_opens_them(client, front_desk, manager):
    (closure,) = closure_add(actor=manager, first=CLOSED, reason="Staff training")
    client.force_login(front_desk)

    added = client.post("/appointments/closures/", {"first": "2031-01-09", "reason": "Snow"})
    refused = client.post(f"/appointments/closures/{closure.pk}/open/")

    assert added.status_code == 302
    assert refused.status_code == 403
    assert set(ClinicClosure.objects.values_list("day", flat=True)) == {
        CLOSED,
        dt.date(2031, 1, 9),
    }
