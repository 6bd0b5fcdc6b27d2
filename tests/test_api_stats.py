"""GET /api/v1/admin/dashboard-stats: SPEC §4's definitions on a hand-built dataset."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment
from campaigns.choices import CampaignStatus as S
from campaigns.choices import CampaignType, DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from campaigns.stats import clinic_month_bounds, dashboard_stats
from dentalai.choices import Channel
from patients.models import Patient
from tests.conftest import bearer

URL = "/api/v1/admin/dashboard-stats"
UTC = dt.UTC
# Mid-March 2025 in New York (EDT since 9 March): the clinic month runs from
# 2025-03-01 05:00 UTC (midnight EST) to 2025-04-01 04:00 UTC (midnight EDT).
NOW = dt.datetime(2025, 3, 15, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def new_york(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"


def campaign(status, campaign_type=CampaignType.RECOVERY, value="0"):
    """A campaign for a patient of its own (a patient has at most one active campaign)."""
    number = Patient.objects.count() + 1
    patient = Patient.objects.create(name=f"Patient {number}", email=f"p{number}@example.com")
    return Campaign.objects.create(
        patient=patient,
        campaign_type=campaign_type,
        status=status,
        channel_type=Channel.EMAIL,
        estimated_value=Decimal(value),
    )


def appointment(clinic, created_at, status=AppointmentStatus.BOOKED):
    patient = Patient.objects.create(name="Booked Patient")
    return Appointment.objects.create(
        patient=patient,
        service=clinic["cleaning"],
        provider=clinic["dentist"],
        appointment_date=dt.datetime(2025, 5, 1, 14, tzinfo=UTC),
        duration_minutes=60,
        status=status,
        created_from=CreatedFrom.MANUAL_ADMIN,
        created_at=created_at,
    )


@pytest.fixture
def dataset(clinic):
    # RECOVERY: one of each status; two recovered (1,200 + 350.50), four active.
    for status in S:
        campaign(status, value="1200" if status == S.RECOVERED else "75")
    campaign(S.RECOVERED, value="350.50")
    # RECALL: one recovered (200) out of three; one more handoff.
    campaign(S.RECOVERED, CampaignType.RECALL, value="200")
    campaign(S.HANDOFF_REQUIRED, CampaignType.RECALL, value="90")
    campaign(S.ATTEMPTING_RECOVERY, CampaignType.RECALL)

    def at(*args):
        return dt.datetime(*args, tzinfo=UTC)

    # Appointments created around both ends of the clinic month.
    appointment(clinic, at(2025, 3, 1, 4, 59, 59))  # 23:59:59 on 28 Feb in New York: out
    appointment(clinic, at(2025, 3, 1, 5, 0))  # midnight on 1 March in New York: in
    appointment(clinic, at(2025, 3, 10, 12), AppointmentStatus.COMPLETED)  # in
    appointment(clinic, at(2025, 3, 12, 12), AppointmentStatus.CANCELLED)  # cancelled: out
    appointment(clinic, at(2025, 4, 1, 3, 59, 59))  # 23:59:59 on 31 March in New York: in
    appointment(clinic, at(2025, 4, 1, 4, 0))  # midnight on 1 April in New York: out


EXPECTED = {
    "kpis": {
        "appointments_booked_month": 3,
        "handoffs_requiring_action": 2,
        "active_recovery_campaigns": 4,
    },
    "conversion_rates": {
        # 2 RECOVERED of 10 RECOVERY campaigns; 1 of 3 RECALL campaigns.
        "recovery_rate_percent": 20.0,
        "recall_rate_percent": 33.3,
    },
    # Every RECOVERED campaign, of both types: 1,200 + 350.50 + 200.
    "pipeline_value_recovered": 1750.5,
    # RECOVERED campaigns of type RECOVERY only.
    "recoveries": 2,
    # The dataset's visits all start in May.
    "visits": {
        "confirmation_rate_percent": 0.0,
        "no_show_rate_percent": 0.0,
        "reminders_sent_month": 0,
        "slots_refilled_month": 0,
        "slots_refilled_value_month": 0.0,
    },
}


def test_it_computes_every_kpi_by_the_specs_definitions(dataset, manager, time_machine):
    time_machine.move_to(NOW, tick=False)
    response = Client(headers=bearer(manager)).get(URL)
    assert response.status_code == 200
    assert response.json() == EXPECTED


def test_it_counts_the_clinic_month_not_the_utc_month_near_midnight(dataset):
    # 23:30 on 31 March in New York is already April in UTC: still March for the clinic.
    late_evening = dt.datetime(2025, 4, 1, 3, 30, tzinfo=UTC)
    assert dashboard_stats(now=late_evening)["kpis"]["appointments_booked_month"] == 3
    # 00:30 on 1 April in New York: a new month, with one appointment so far.
    after_midnight = dt.datetime(2025, 4, 1, 4, 30, tzinfo=UTC)
    assert dashboard_stats(now=after_midnight)["kpis"]["appointments_booked_month"] == 1


def test_it_converts_the_month_boundaries_to_utc_across_daylight_saving():
    assert clinic_month_bounds(NOW) == (
        dt.datetime(2025, 3, 1, 5, 0, tzinfo=UTC),
        dt.datetime(2025, 4, 1, 4, 0, tzinfo=UTC),
    )
    december = dt.datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert clinic_month_bounds(december) == (
        dt.datetime(2025, 12, 1, 5, 0, tzinfo=UTC),
        dt.datetime(2026, 1, 1, 5, 0, tzinfo=UTC),
    )


def test_it_answers_zero_everywhere_without_data(db):
    assert dashboard_stats(now=NOW) == {
        "kpis": {
            "appointments_booked_month": 0,
            "handoffs_requiring_action": 0,
            "active_recovery_campaigns": 0,
        },
        "conversion_rates": {"recovery_rate_percent": 0.0, "recall_rate_percent": 0.0},
        "pipeline_value_recovered": 0.0,
        "recoveries": 0,
        "visits": {
            "confirmation_rate_percent": 0.0,
            "no_show_rate_percent": 0.0,
            "reminders_sent_month": 0,
            "slots_refilled_month": 0,
            "slots_refilled_value_month": 0.0,
        },
    }


def test_it_rates_the_visits_of_the_clinic_month(clinic):
    def visit(day, status, confirmed=False):
        made = appointment(clinic, NOW, status)
        start = dt.datetime(2025, *day, 14, tzinfo=UTC)
        Appointment.objects.filter(pk=made.pk).update(
            appointment_date=start, confirmed_at=start - dt.timedelta(days=1) if confirmed else None
        )
        return made

    visit((3, 5), AppointmentStatus.COMPLETED, confirmed=True)
    reminded = visit((3, 6), AppointmentStatus.NO_SHOW)
    visit((3, 20), AppointmentStatus.CONFIRMED, confirmed=True)  # upcoming
    visit((3, 21), AppointmentStatus.CANCELLED, confirmed=True)  # left out
    visit((4, 2), AppointmentStatus.BOOKED)  # next month
    for when, status in [
        (dt.datetime(2025, 3, 4, 15, tzinfo=UTC), DeliveryStatus.SENT),
        (dt.datetime(2025, 3, 4, 16, tzinfo=UTC), DeliveryStatus.FAILED),
        (dt.datetime(2025, 2, 27, 15, tzinfo=UTC), DeliveryStatus.SENT),  # last month
    ]:
        Interaction.objects.create(
            patient=reminded.patient,
            appointment=reminded,
            direction=Direction.OUTGOING,
            kind=MessageKind.REMINDER,
            channel_type=Channel.SMS,
            content="A reminder.",
            delivery_status=status,
            timestamp=when,
        )

    assert dashboard_stats(now=NOW)["visits"] == {
        "confirmation_rate_percent": 66.7,  # 2 of the 3 not cancelled
        "no_show_rate_percent": 50.0,  # 1 of the 2 that ended
        "reminders_sent_month": 1,
        "slots_refilled_month": 0,
        "slots_refilled_value_month": 0.0,
    }


def test_it_rounds_rates_half_up_to_one_decimal(db):
    # 1 of 8 = 12.5 exactly; 1 of 16 = 6.25 -> 6.3 (half up, not half even).
    for index in range(16):
        status = S.RECOVERED if index == 0 else S.RECOVERY_FAILED
        campaign(status, CampaignType.RECALL)
    for index in range(8):
        campaign(S.RECOVERED if index == 0 else S.RECOVERY_DECLINED)
    rates = dashboard_stats(now=NOW)["conversion_rates"]
    assert rates == {"recovery_rate_percent": 12.5, "recall_rate_percent": 6.3}


def test_it_takes_four_queries_whatever_the_data_size(dataset, clinic, django_assert_num_queries):
    with django_assert_num_queries(4):
        assert dashboard_stats(now=NOW) == EXPECTED
    for _ in range(5):
        campaign(S.RECOVERY_FAILED)
        appointment(clinic, dt.datetime(2025, 3, 20, tzinfo=UTC))
    with django_assert_num_queries(4):
        dashboard_stats(now=NOW)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}],
    ids=["anonymous", "forged", "not-bearer"],
)
def test_it_refuses_requests_without_a_valid_token(db, headers):
    response = Client(headers=headers).get(URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "A valid, unexpired bearer token is required."}


def test_it_refuses_a_deactivated_users_token(outsider):
    response = Client(headers=bearer(outsider)).get(URL)
    assert response.status_code == 401
