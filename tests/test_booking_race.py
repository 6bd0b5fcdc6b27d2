"""No double booking under concurrency (SPEC §3.4): many people submit the same time at once,
against a real server and a real database. The database, not a check in Python, lets one win."""

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection

from appointments.models import Appointment, AppointmentSlot
from patients.models import Patient
from tests.conftest import bearer

REQUESTS = 30


def next_weekday_ten_oclock(zone: ZoneInfo) -> dt.datetime:
    """10:00 clinic time on a weekday at least two days ahead: inside the clinic fixture's hours
    and well past the lead time, whatever day the suite runs."""
    day = dt.datetime.now(zone).date() + dt.timedelta(days=2)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=zone)


def post(url: str, payload: dict, headers: dict | None = None) -> int:
    request = urllib.request.Request(  # noqa: S310 (the test's own live server, http://)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except ConnectionError:
        return -1  # shows in the assertion on the statuses, with the others


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs concurrent writers on separate connections: run with "
            "DATABASE_URL=postgres://… (CI does). SQLite serialises writers and the test "
            f"database here is {connection.vendor}."
        )


def all_at_once(attempt, items) -> list[int]:
    barrier = threading.Barrier(len(items))

    def together(item):
        barrier.wait(timeout=30)  # release them all together
        return attempt(item)

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(together, items))


@pytest.mark.django_db(transaction=True)
def test_thirty_people_booking_the_same_time_at_once_get_one_appointment(
    live_server, clinic, settings
):
    needs_postgresql()
    settings.BOOKING_RATE_PER_IP = "1000/m"  # every request comes from 127.0.0.1
    settings.BOOKING_MIN_LEAD_MINUTES = 120
    settings.BOOKING_SLOT_STEP_MINUTES = 30
    cache.clear()
    # Teeth whitening has a single provider, the dentist: only one request can win.
    assert list(clinic["whitening"].providers.all()) == [clinic["dentist"]]
    start = next_weekday_ten_oclock(ZoneInfo(settings.CLINIC_TIME_ZONE))
    patients = [
        Patient.objects.create(name=f"Patient {n}", email=f"patient{n}@example.com")
        for n in range(REQUESTS)
    ]
    url = f"{live_server.url}/api/v1/appointments/book"
    # Django's test server listens with a backlog of 10: connections beyond it while the rest
    # are served get reset. Let all thirty queue (a listening socket takes a new backlog).
    live_server.thread.httpd.socket.listen(REQUESTS * 2)

    def attempt(patient: Patient) -> int:
        payload = {
            "name": patient.name,
            "email": patient.email,
            "appointment_date": start.isoformat(),
            "service_id": "teeth_whitening",
        }
        return post(url, payload)

    statuses = all_at_once(attempt, patients)

    assert sorted(statuses) == [201] + [409] * (REQUESTS - 1)
    appointment = Appointment.objects.get()
    assert appointment.provider == clinic["dentist"]
    assert appointment.appointment_date == start
    assert AppointmentSlot.objects.count() == 6
    assert set(AppointmentSlot.objects.values_list("appointment_id", flat=True)) == {appointment.pk}
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_twenty_callers_booked_into_one_time_at_once_leave_one_patient(
    live_server, clinic, manager, settings
):
    """Staff at several desks book new callers into the same time: one visit, and the callers
    who did not get it are not left behind as patients."""
    needs_postgresql()
    start = next_weekday_ten_oclock(ZoneInfo(settings.CLINIC_TIME_ZONE))
    url = f"{live_server.url}/api/v1/admin/appointments"
    headers = bearer(manager)
    live_server.thread.httpd.socket.listen(REQUESTS * 2)

    def attempt(n: int) -> int:
        payload = {
            "name": f"Caller {n}",
            "email": f"caller{n}@example.com",
            "appointment_date": start.isoformat(),
            "service_id": "teeth_whitening",
        }
        return post(url, payload, headers)

    statuses = all_at_once(attempt, list(range(20)))

    assert sorted(statuses) == [201] + [409] * 19
    (appointment,) = Appointment.objects.all()
    assert list(Patient.objects.all()) == [appointment.patient]
    cache.clear()
