import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from appointments.availability import day_offered, month_availability
from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, ProviderSchedule, Service, TimeOff
from dentalai.choices import Role
from patients.models import Patient
from tests.conftest import make_user

URL = "/api/v1/availability"
NEW_YORK = ZoneInfo("America/New_York")


def local(text: str) -> dt.datetime:
    """A New York wall-clock time, e.g. "2025-08-12 10:00", as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def times(first: str, last: str, step: int = 30) -> list[str]:
    start = dt.datetime.strptime(first, "%H:%M")
    end = dt.datetime.strptime(last, "%H:%M")
    out = []
    while start <= end:
        out.append(start.strftime("%H:%M"))
        start += dt.timedelta(minutes=step)
    return out


CLEANING_DAY = times("09:00", "16:00")  # 60 minutes inside 09:00-17:00
WHITENING_DAY = times("09:00", "15:30")  # 90 minutes


def weekdays(year: int, month: int) -> list[str]:
    days = range(1, calendar.monthrange(year, month)[1] + 1)
    return [
        dt.date(year, month, d).isoformat() for d in days if dt.date(year, month, d).weekday() < 5
    ]


@pytest.fixture(autouse=True)
def clinic_settings(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    settings.BOOKING_SLOT_STEP_MINUTES = 30
    settings.BOOKING_MIN_LEAD_MINUTES = 120


@pytest.fixture
def patient(db):
    return Patient.objects.create(name="Paula Patient", email="paula@example.com")


def booked(patient, provider, service, start: dt.datetime, minutes: int, **fields):
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        service=service,
        appointment_date=start,
        duration_minutes=minutes,
        created_from=CreatedFrom.MANUAL_ADMIN,
        **fields,
    )


def get(client, month: int, year: int = 2025, service_id: str = "cleaning"):
    return client.get(URL, {"month": month, "year": year, "service_id": service_id})


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_it_lists_every_free_time_of_the_month_in_clinic_time(client, clinic):
    response = get(client, 8)

    assert response.status_code == 200
    expected = {day: CLEANING_DAY for day in weekdays(2025, 8)}
    # Now is 08:00 in New York: with two hours' notice, today starts at 10:00.
    expected["2025-08-01"] = times("10:00", "16:00")
    assert response.json() == expected
    assert list(response.json()) == sorted(expected)


@time_machine.travel(dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_spring_forward_keeps_nine_oclock_at_nine_oclock(client, clinic):
    response = get(client, 3)

    assert response.status_code == 200
    # Clocks go forward on Sunday 9 March: the weeks before and after list the same times.
    assert response.json() == {day: CLEANING_DAY for day in weekdays(2025, 3)}
    before = day_offered(clinic["cleaning"], day=dt.date(2025, 3, 7))
    after = day_offered(clinic["cleaning"], day=dt.date(2025, 3, 10))
    assert next(iter(before)) == dt.datetime(2025, 3, 7, 14, 0, tzinfo=dt.UTC)  # EST, UTC-5
    assert next(iter(after)) == dt.datetime(2025, 3, 10, 13, 0, tzinfo=dt.UTC)  # EDT, UTC-4
    assert len(before) == len(after) == len(CLEANING_DAY)


@time_machine.travel(dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC), tick=False)
def test_fall_back_keeps_nine_oclock_at_nine_oclock(client, clinic):
    october = get(client, 10).json()
    november = get(client, 11).json()

    # Clocks go back on Sunday 2 November.
    assert october["2025-10-31"] == CLEANING_DAY
    assert november == {day: CLEANING_DAY for day in weekdays(2025, 11)}
    friday = day_offered(clinic["cleaning"], day=dt.date(2025, 10, 31))
    monday = day_offered(clinic["cleaning"], day=dt.date(2025, 11, 3))
    assert next(iter(friday)) == dt.datetime(2025, 10, 31, 13, 0, tzinfo=dt.UTC)  # EDT
    assert next(iter(monday)) == dt.datetime(2025, 11, 3, 14, 0, tzinfo=dt.UTC)  # EST


@time_machine.travel(dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_working_hours_across_the_change_itself_lose_or_repeat_no_time(client, clinic):
    # Someone works Sunday nights 01:00-04:00, across the change at 02:00.
    ProviderSchedule.objects.create(
        provider=clinic["hygienist"], weekday=6, start_time=dt.time(1), end_time=dt.time(4)
    )

    march = get(client, 3).json()
    with time_machine.travel(dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        november = get(client, 11).json()

    # 02:00-03:00 does not exist on 9 March: three real hours of work, 01:00 to 04:00 EDT.
    assert march["2025-03-09"] == ["01:00", "01:30", "03:00"]
    assert march["2025-03-16"] == times("01:00", "03:00")
    # 01:00-02:00 happens twice on 2 November: each time is listed once, for its first
    # occurrence, so "01:00" names a single instant.
    assert november["2025-11-02"] == times("01:00", "03:00")
    assert november["2025-11-09"] == times("01:00", "03:00")


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_time_off_removes_the_times_it_touches(client, clinic):
    TimeOff.objects.create(
        provider=clinic["dentist"],
        start=local("2025-08-12 10:00"),
        end=local("2025-08-12 12:00"),
        reason="Dentist appointment of her own",
    )
    TimeOff.objects.create(
        provider=clinic["dentist"],
        start=local("2025-08-14 00:00"),
        end=local("2025-08-16 00:00"),
        reason="Conference",
    )

    whitening = get(client, 8, service_id="teeth_whitening").json()
    cleaning = get(client, 8).json()

    # 90 minutes from 09:00 would run into 10:00.
    assert whitening["2025-08-12"] == times("12:00", "15:30")
    assert "2025-08-14" not in whitening and "2025-08-15" not in whitening
    assert whitening["2025-08-13"] == WHITENING_DAY
    # The hygienist also does cleanings: those days stay whole.
    assert cleaning["2025-08-12"] == cleaning["2025-08-14"] == CLEANING_DAY


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_a_fully_booked_day_is_left_out(client, clinic, patient):
    dentist, whitening = clinic["dentist"], clinic["whitening"]
    for hour in (9, 11, 13, 15):
        booked(patient, dentist, whitening, local(f"2025-08-13 {hour:02}:00"), 120)
    booked(
        patient,
        dentist,
        whitening,
        local("2025-08-14 09:00"),
        480,
        status=AppointmentStatus.CANCELLED,
    )
    booked(patient, dentist, whitening, local("2025-08-15 09:00"), 480, status="completed")

    days = get(client, 8, service_id="teeth_whitening").json()

    assert "2025-08-13" not in days
    assert days["2025-08-14"] == WHITENING_DAY  # a cancelled visit holds no time
    assert "2025-08-15" not in days


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_a_service_longer_than_a_gap_is_not_offered_in_it(client, clinic, patient):
    dentist = clinic["dentist"]
    checkup = Service.objects.create(slug="checkup", name="Check-up", duration_minutes=60)
    checkup.providers.set([dentist])
    booked(patient, dentist, checkup, local("2025-08-19 09:00"), 60)
    booked(patient, dentist, checkup, local("2025-08-19 11:00"), 360)  # until 17:00

    whitening = get(client, 8, service_id="teeth_whitening").json()
    hour_long = get(client, 8, service_id="checkup").json()

    assert "2025-08-19" not in whitening  # 90 minutes do not fit in 10:00-11:00
    assert hour_long["2025-08-19"] == ["10:00"]


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_an_appointment_of_odd_length_holds_whole_quarter_hours(client, clinic, patient):
    dentist = clinic["dentist"]
    booked(patient, dentist, clinic["whitening"], local("2025-08-19 09:00"), 50)  # to 09:50

    days = get(client, 8, service_id="teeth_whitening").json()

    assert days["2025-08-19"] == times("10:00", "15:30")


def test_only_times_after_the_lead_time_are_offered(client, clinic, settings):
    # Monday 4 August, 10:10 in New York.
    with time_machine.travel(dt.datetime(2025, 8, 4, 14, 10, tzinfo=dt.UTC), tick=False):
        two_hours = get(client, 8).json()
        settings.BOOKING_MIN_LEAD_MINUTES = 0
        no_notice = get(client, 8).json()
        settings.BOOKING_MIN_LEAD_MINUTES = 60 * 24 * 7
        a_week = get(client, 8).json()

    assert "2025-08-01" not in two_hours
    assert two_hours["2025-08-04"] == times("12:30", "16:00")
    assert no_notice["2025-08-04"] == times("10:30", "16:00")
    assert min(a_week) == "2025-08-11"
    assert a_week["2025-08-11"] == times("10:30", "16:00")


@time_machine.travel(dt.datetime(2025, 7, 30, 12, 0, tzinfo=dt.UTC), tick=False)
def test_only_the_requested_month_is_listed(client, clinic):
    august = get(client, 8).json()
    past = get(client, 6).json()

    assert min(august) == "2025-08-01"
    assert max(august) == "2025-08-29"
    assert all(day.startswith("2025-08-") for day in august)
    assert past == {}


def test_the_step_setting_spaces_the_times(client, clinic, settings):
    settings.BOOKING_SLOT_STEP_MINUTES = 60
    with time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        days = get(client, 8).json()

    assert days["2025-08-04"] == times("09:00", "16:00", step=60)


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_inactive_providers_are_not_offered(client, clinic):
    clinic["hygienist"].is_active = False
    clinic["hygienist"].save()
    clinic["dentist"].is_active = False
    clinic["dentist"].save()

    assert get(client, 8).json() == {}


@pytest.mark.parametrize(
    "params",
    [
        {"month": 13, "year": 2025, "service_id": "cleaning"},
        {"month": 0, "year": 2025, "service_id": "cleaning"},
        {"month": "august", "year": 2025, "service_id": "cleaning"},
        {"month": 8, "year": 1999, "service_id": "cleaning"},
        {"month": 8, "year": 10000, "service_id": "cleaning"},
        {"month": 8, "service_id": "cleaning"},
        {"month": 8, "year": 2025},
    ],
)
def test_a_bad_month_year_or_missing_parameter_is_a_422(client, clinic, params):
    response = client.get(URL, params)

    assert response.status_code == 422
    assert response.json()["detail"] == "Some fields are missing or invalid."
    assert response.json()["errors"][0]["loc"][0] == "query"


def test_an_unknown_service_is_a_404(client, clinic):
    response = get(client, 8, service_id="root_canal")

    assert response.status_code == 404
    assert response.json() == {"detail": "Service not found."}


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_it_makes_one_query_per_kind_of_data(
    client, clinic, patient, django_assert_max_num_queries
):
    # More providers, time off and appointments must not mean more queries.
    providers = [clinic["dentist"], clinic["hygienist"]]
    for n in range(4):
        extra = make_user(f"extra{n}@clinic.example", f"Extra {n}", Role.HYGIENIST)
        ProviderSchedule.objects.create(
            provider=extra, weekday=n, start_time=dt.time(8), end_time=dt.time(18)
        )
        providers.append(extra)
    clinic["cleaning"].providers.set(providers)
    for n, provider in enumerate(providers):
        TimeOff.objects.create(
            provider=provider,
            start=local(f"2025-08-{n + 4:02} 12:00"),
            end=local(f"2025-08-{n + 4:02} 13:00"),
        )
        for day in range(4, 29):
            booked(patient, provider, clinic["cleaning"], local(f"2025-08-{day:02} 09:00"), 60)

    # service, providers, schedules, time off, appointments, closures
    with django_assert_max_num_queries(6):
        response = get(client, 8)

    assert response.status_code == 200
    # Extra 0 works Mondays from 08:00; everyone is booked 09:00-10:00.
    assert response.json()["2025-08-04"][:3] == ["08:00", "10:00", "10:30"]


@time_machine.travel(dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_the_month_and_the_booking_see_each_day_alike(clinic, patient):
    dentist = clinic["dentist"]
    booked(patient, dentist, clinic["whitening"], local("2025-08-06 10:00"), 90)
    TimeOff.objects.create(
        provider=clinic["hygienist"], start=local("2025-08-07 13:00"), end=local("2025-08-08")
    )
    tz = NEW_YORK

    for service in (clinic["cleaning"], clinic["whitening"]):
        month = month_availability(service, year=2025, month=8)
        for d in range(1, 32):
            day = dt.date(2025, 8, d)
            offered = [t.astimezone(tz).strftime("%H:%M") for t in day_offered(service, day=day)]
            assert month.get(day.isoformat(), []) == offered, (service, day)
