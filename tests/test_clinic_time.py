"""Clinic time (dentalai.clinic_time): the one place every app reads the clinic's day from."""

import datetime as dt

from dentalai.clinic_time import clinic_today, local_day_bounds, start_of_clinic_day

UTC = dt.UTC


def test_the_clinic_day_is_the_clinic_s_not_utc_s(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    late_evening = dt.datetime(2026, 3, 3, 2, 30, tzinfo=UTC)  # 21:30 on the 2nd in New York

    assert clinic_today(late_evening) == dt.date(2026, 3, 2)
    assert start_of_clinic_day(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 2, 5, tzinfo=UTC)


def test_a_daylight_saving_day_has_23_or_25_hours(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    spring_start, spring_end = local_day_bounds(dt.date(2026, 3, 8))
    fall_start, fall_end = local_day_bounds(dt.date(2026, 11, 1))

    assert spring_end - spring_start == dt.timedelta(hours=23)
    assert fall_end - fall_start == dt.timedelta(hours=25)


def test_another_zone_moves_the_day(settings):
    settings.CLINIC_TIME_ZONE = "Pacific/Honolulu"
    moment = dt.datetime(2026, 7, 1, 8, tzinfo=UTC)  # 22:00 on June 30 in Honolulu

    assert clinic_today(moment) == dt.date(2026, 6, 30)
    assert start_of_clinic_day(dt.date(2026, 7, 1)) == dt.datetime(2026, 7, 1, 10, tzinfo=UTC)
