"""The daily trigger (SPEC §7): who gets a recovery or a recall campaign, what it looks like,
that a second or overlapping run creates nothing twice, and that the first messages go out
through the agent's proactive path inside the send window (SPEC §5)."""

import datetime as dt
import itertools
import threading
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agent import tasks
from agent.services import daily_trigger_run
from appointments.choices import AppointmentStatus
from appointments.models import Appointment
from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from campaigns.services import campaign_create_recovery
from campaigns.triggers import due_campaigns_start
from dentalai.choices import Channel
from dentalai.models import JobRun
from messaging.models import OutboxMessage
from tests.agent_fixtures import agent_environment, booking_links  # noqa: F401 - fixtures
from tests.concurrency import after_query, statement
from tests.scheduler_fixtures import (  # noqa: F401 - fixtures
    make_appointment,
    make_campaign,
    make_existing,
    make_lead,
    make_patient,
    q_sync,
    scheduler_environment,
)

S = CampaignStatus

# Tuesday 2025-03-11, 10:00 in New York: inside the default send window (Mon-Fri 09:00-19:00).
NOW = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 3, 11)
# The same Tuesday at 07:00 New York: the default trigger time, before the window opens.
EARLY = dt.datetime(2025, 3, 11, 11, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock(db):
    with time_machine.travel(NOW, tick=False):
        yield


def run(**kwargs):
    """Campaign creation alone (the first messages are tested through daily_trigger_run)."""
    return due_campaigns_start(now=kwargs.pop("now", NOW), **kwargs)


def campaigns_of(patient) -> list[Campaign]:
    return list(Campaign.objects.filter(patient=patient).order_by("created_at"))


def days_ago(days: int, hour: int = 15) -> dt.datetime:
    return NOW.replace(hour=hour) - dt.timedelta(days=days)


# --- Recovery -----------------------------------------------------------------------------------


def test_a_cold_lead_never_contacted_gets_a_recovery_campaign_due_now():
    lead = make_lead(preferred_channels=["sms", "email"])

    result = run()

    (campaign,) = campaigns_of(lead)
    assert result.recovery_created == 1
    assert campaign.campaign_type == CampaignType.RECOVERY
    assert campaign.status == S.ATTEMPTING_RECOVERY and campaign.is_active
    assert campaign.next_attempt_at == NOW
    assert campaign.attempts_made == 0
    assert campaign.max_attempts == 3
    assert campaign.channel_type == Channel.SMS
    assert campaign.thread_id == lead.phone
    assert campaign.estimated_value == Decimal("300.00")
    assert campaign.recall_due_date is None


def test_the_estimated_values_come_from_the_settings(settings):
    settings.RECOVERY_ESTIMATED_VALUE = Decimal("450.00")
    settings.RECALL_ESTIMATED_VALUE = Decimal("180.50")
    lead, patient = make_lead(), make_existing(TODAY)

    run()

    assert campaigns_of(lead)[0].estimated_value == Decimal("450.00")
    assert campaigns_of(patient)[0].estimated_value == Decimal("180.50")


@pytest.mark.parametrize(
    "preferred,email,phone,channel,thread",
    [
        (
            ["whatsapp", "email"],
            "a@example.com",
            "+15185550101",
            "whatsapp",
            "whatsapp:+15185550101",
        ),
        (["sms", "email"], "a@example.com", "", "email", ""),
        ([], "a@example.com", "+15185550101", "email", ""),
        ([], "", "+15185550101", "sms", "+15185550101"),
        (["email"], "", "+15185550101", "sms", "+15185550101"),
    ],
)
def test_the_channel_is_the_first_preferred_one_with_an_address(
    preferred, email, phone, channel, thread
):
    lead = make_lead(preferred_channels=preferred, email=email, phone=phone)

    run()

    (campaign,) = campaigns_of(lead)
    assert (campaign.channel_type, campaign.thread_id) == (channel, thread)


def test_a_lead_with_nothing_to_write_to_is_skipped():
    lead = make_lead(email="", phone="")

    result = run()

    assert campaigns_of(lead) == []
    assert result.skipped_no_address == 1


def test_an_opted_out_lead_gets_nothing():
    lead = make_lead(opted_out_at=days_ago(3))

    result = run()

    assert campaigns_of(lead) == []
    assert result.created == 0


@pytest.mark.parametrize("status", [S.ATTEMPTING_RECOVERY, S.RE_ENGAGED, S.HANDOFF_REQUIRED])
def test_a_lead_with_an_active_campaign_gets_nothing(status):
    lead = make_lead()
    make_campaign(lead, status=status, ended_at=days_ago(400))

    result = run()

    assert len(campaigns_of(lead)) == 1
    assert result.created == 0


@pytest.mark.parametrize("days,again", [(179, False), (180, False), (181, True), (400, True)])
def test_a_failed_recovery_cools_down_for_recovery_cooldown_days(days, again):
    lead = make_lead()
    make_campaign(lead, status=S.RECOVERY_FAILED, ended_at=days_ago(days))

    result = run()

    assert result.recovery_created == int(again)
    assert len(campaigns_of(lead)) == 1 + int(again)


def test_the_cool_down_is_counted_in_clinic_days(settings):
    # Failed at 23:30 New York on 2024-09-12, which is already 09-13 in UTC: 180 clinic days
    # before 2025-03-11, so not yet.
    lead = make_lead()
    ended = dt.datetime(2024, 9, 13, 3, 30, tzinfo=dt.UTC)
    make_campaign(lead, status=S.RECOVERY_FAILED, ended_at=ended)

    assert run().recovery_created == 0
    assert run(today=TODAY + dt.timedelta(days=1)).recovery_created == 1


def test_the_cool_down_follows_the_setting(settings):
    settings.RECOVERY_COOLDOWN_DAYS = 30
    lead = make_lead()
    make_campaign(lead, status=S.RECOVERY_FAILED, ended_at=days_ago(31))

    assert run().recovery_created == 1


def test_a_lead_who_declined_is_never_contacted_again():
    declined = make_lead()
    make_campaign(declined, status=S.RECOVERY_DECLINED, ended_at=days_ago(900))
    # Declined once, then a later recovery failed long ago: still never.
    declined_then_failed = make_lead()
    make_campaign(declined_then_failed, status=S.RECOVERY_DECLINED, ended_at=days_ago(900))
    make_campaign(declined_then_failed, status=S.RECOVERY_FAILED, ended_at=days_ago(500))

    result = run()

    assert result.created == 0


def test_only_the_last_recovery_counts_for_the_cool_down():
    # An old failure long ago, then a recent one: the recent one is the last.
    lead = make_lead()
    make_campaign(lead, status=S.RECOVERY_FAILED, ended_at=days_ago(500))
    make_campaign(lead, status=S.RECOVERY_FAILED, ended_at=days_ago(20))

    assert run().created == 0


@pytest.mark.parametrize("status", [S.MANUAL_FOLLOWUP_COMPLETE, S.RECOVERED, S.BOOKING_COMPLETED])
def test_a_lead_whose_last_recovery_ended_otherwise_is_left_to_staff(status):
    lead = make_lead()
    make_campaign(lead, status=status, ended_at=days_ago(400))

    assert run().created == 0


def test_a_lead_with_an_upcoming_appointment_gets_nothing():
    lead = make_lead()
    make_appointment(lead, NOW + dt.timedelta(days=2))
    cancelled = make_lead()
    make_appointment(cancelled, NOW + dt.timedelta(days=2), AppointmentStatus.CANCELLED)

    result = run()

    assert campaigns_of(lead) == []
    assert len(campaigns_of(cancelled)) == 1
    assert result.skipped_appointment == 1


# --- Recall -------------------------------------------------------------------------------------


def test_an_existing_patient_due_today_gets_a_recall_for_that_due_date():
    patient = make_existing(TODAY, preferred_channels=["email"])

    result = run()

    (campaign,) = campaigns_of(patient)
    assert result.recall_created == 1
    assert campaign.campaign_type == CampaignType.RECALL
    assert campaign.status == S.ATTEMPTING_RECOVERY
    assert campaign.recall_due_date == TODAY
    assert campaign.next_attempt_at == NOW
    assert campaign.channel_type == Channel.EMAIL and campaign.thread_id == ""
    assert campaign.estimated_value == Decimal("200.00")


def test_a_due_date_three_days_past_is_caught_up():
    patient = make_existing(TODAY - dt.timedelta(days=3))

    run()

    (campaign,) = campaigns_of(patient)
    assert campaign.recall_due_date == TODAY - dt.timedelta(days=3)


def test_a_patient_due_tomorrow_waits():
    patient = make_existing(TODAY + dt.timedelta(days=1))

    run()

    assert campaigns_of(patient) == []


def test_today_is_the_clinics_date():
    patient = make_existing(TODAY + dt.timedelta(days=1))
    # 02:00 UTC on the 12th is still the 11th, 22:00, in New York.
    late_evening = dt.datetime(2025, 3, 12, 2, 0, tzinfo=dt.UTC)

    assert run(now=late_evening).today == TODAY
    assert campaigns_of(patient) == []


def test_a_recall_already_made_for_that_due_date_is_not_made_again():
    patient = make_existing(TODAY - dt.timedelta(days=3))
    make_campaign(
        patient,
        campaign_type=CampaignType.RECALL,
        status=S.RECOVERY_FAILED,
        recall_due_date=TODAY - dt.timedelta(days=3),
    )

    assert run().created == 0


def test_a_recall_for_an_earlier_due_date_does_not_block_the_new_one():
    patient = make_existing(TODAY)
    make_campaign(
        patient,
        campaign_type=CampaignType.RECALL,
        status=S.RECOVERED,
        recall_due_date=TODAY - dt.timedelta(days=182),
    )

    assert run().recall_created == 1


def test_an_opted_out_patient_gets_no_recall():
    patient = make_existing(TODAY, opted_out_at=days_ago(10))

    assert run().created == 0
    assert campaigns_of(patient) == []


def test_a_patient_with_an_active_campaign_gets_no_recall():
    patient = make_existing(TODAY)
    make_campaign(patient, status=S.HANDOFF_REQUIRED)

    assert run().created == 0


def test_a_patient_whose_due_visit_is_booked_or_done_gets_no_recall():
    booked = make_existing(TODAY - dt.timedelta(days=3))
    make_appointment(booked, NOW + dt.timedelta(days=5))
    done = make_existing(TODAY - dt.timedelta(days=3))
    make_appointment(done, NOW - dt.timedelta(days=1), AppointmentStatus.COMPLETED)
    # A visit before the due date is the previous one: the recall goes out.
    before = make_existing(TODAY - dt.timedelta(days=3))
    make_appointment(before, NOW - dt.timedelta(days=30), AppointmentStatus.COMPLETED)

    result = run()

    assert result.skipped_appointment == 2
    assert [p for p in (booked, done, before) if campaigns_of(p)] == [before]


def test_cold_leads_get_no_recall_and_existing_patients_no_recovery():
    lead = make_lead(next_follow_up_date=TODAY)
    patient = make_existing(None)

    run()

    assert [c.campaign_type for c in campaigns_of(lead)] == [CampaignType.RECOVERY]
    assert campaigns_of(patient) == []


# --- Safe to run twice, and beside itself -------------------------------------------------------


def test_a_second_run_the_same_day_creates_nothing():
    make_lead(), make_existing(TODAY), make_existing(TODAY - dt.timedelta(days=3))

    first = run()
    second = run()

    assert first.created == 3
    assert second.created == 0 and second.refused == 0
    assert Campaign.objects.count() == 3


# A run has read its candidates once it has read their appointments, the last read of each page
# before the page's campaigns are inserted: where a competing write is slipped in.
candidates_read = statement("SELECT", Appointment)


def test_a_run_that_loses_the_race_skips_the_refused_rows():
    """The second run read its candidates, then the first run (or the API) created their
    campaigns before the second inserted: the database refuses them, the loser moves on."""
    leads = [make_lead() for _ in range(3)]
    patients = [make_existing(TODAY) for _ in range(2)]

    # The other run, start to finish, between this one's read and its insert.
    with after_query(candidates_read, run) as other:
        loser = run()

    assert other.result.created == 5
    # Its recovery page was read before the other run and refused; its recall page was read
    # after, and found nothing left to do.
    assert (loser.created, loser.refused) == (0, 3)
    for patient in [*leads, *patients]:
        assert len(campaigns_of(patient)) == 1


def test_a_refused_row_does_not_stop_the_rest_of_its_batch():
    leads = [make_lead() for _ in range(4)]

    # The API starts one of them meanwhile.
    with after_query(candidates_read, lambda: make_campaign(leads[2])) as api:
        result = run()

    assert api.fired
    assert (result.recovery_created, result.refused) == (3, 1)
    assert all(len(campaigns_of(lead)) == 1 for lead in leads)


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_on_postgresql_create_each_campaign_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the interleaving test above covers it")
    leads = [make_lead() for _ in range(20)]
    patients = [make_existing(TODAY) for _ in range(20)]
    # On every page, both runs have read their candidates before either inserts.
    both_read = threading.Barrier(2, timeout=30)
    results, waits, errors = [], [], []

    def worker():
        try:
            with after_query(candidates_read, both_read.wait, once=False) as meeting:
                results.append(run(batch_size=100))
            waits.append(meeting.fired)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert waits == [2, 2]  # a recovery page and a recall page each
    assert sum(r.created for r in results) == 40
    assert sum(r.refused for r in results) == 40
    assert all(len(campaigns_of(p)) == 1 for p in [*leads, *patients])


# --- Scale: batches of constant cost ------------------------------------------------------------


def test_patients_are_read_in_pages_of_constant_query_cost():
    for _ in range(7):
        make_lead()
    for _ in range(7):
        make_existing(TODAY)
    per_page = []

    with CaptureQueriesContext(connection) as queries:

        def count(kind, patients):
            per_page.append((kind, patients, len(queries.captured_queries)))

        result = run(batch_size=3, progress=count)

    assert result.created == 14
    assert [(kind, n) for kind, n, _ in per_page] == [
        *[("recovery", 3), ("recovery", 3), ("recovery", 1)],
        *[("recall", 3), ("recall", 3), ("recall", 1)],
    ]
    marks = [0] + [total for *_, total in per_page]
    costs = [b - a for a, b in itertools.pairwise(marks)]
    # The page, its campaigns, its appointments, and a savepoint around one bulk insert:
    # the same on every page whatever it holds.
    assert len(set(costs)) == 1 and costs[0] <= 6


# --- The first messages, through the agent ------------------------------------------------------


def test_the_first_messages_go_out_at_once_inside_the_send_window():
    lead = make_lead()
    patient = make_existing(TODAY)

    result = daily_trigger_run(now=NOW)

    assert (result.created, result.sent, result.deferred) == (2, 2, 0)
    for someone in (lead, patient):
        (campaign,) = campaigns_of(someone)
        assert campaign.attempts_made == 1
        (message,) = OutboxMessage.objects.filter(interaction__campaign=campaign)
        assert message.to == someone.phone


def test_before_the_window_the_first_messages_wait_for_it():
    lead = make_lead()

    with time_machine.travel(EARLY, tick=False):
        result = daily_trigger_run(now=EARLY)

    (campaign,) = campaigns_of(lead)
    assert (result.created, result.sent, result.deferred) == (1, 0, 1)
    assert OutboxMessage.objects.count() == 0
    # Deferred to 09:00 New York (13:00 UTC in March after the DST change).
    assert campaign.next_attempt_at == dt.datetime(2025, 3, 11, 13, 0, tzinfo=dt.UTC)
    assert campaign.attempts_made == 0


def _proactive(campaign: Campaign, at: dt.datetime) -> Interaction:
    return Interaction.objects.create(
        campaign=campaign,
        direction=Direction.OUTGOING,
        content="Hello again",
        channel_type=campaign.channel_type,
        delivery_status=DeliveryStatus.SENT,
        kind=MessageKind.FOLLOW_UP,
        timestamp=at,
    )


def test_due_follow_ups_keep_the_daily_cap():
    lead = make_lead()
    campaign = make_campaign(lead, attempts_made=1, next_attempt_at=NOW - dt.timedelta(hours=1))
    _proactive(campaign, NOW - dt.timedelta(hours=1))  # 09:00 today, New York

    counts = tasks.run_due_followups()

    campaign.refresh_from_db()
    assert counts["sent"] == 0 and counts["deferred"] == 1
    assert OutboxMessage.objects.count() == 0
    assert campaign.attempts_made == 1
    # Tomorrow's window opening, 09:00 New York.
    assert campaign.next_attempt_at == dt.datetime(2025, 3, 12, 13, 0, tzinfo=dt.UTC)


def test_due_follow_ups_keep_the_weekly_cap():
    lead = make_lead()
    campaign = make_campaign(lead, attempts_made=2, next_attempt_at=NOW - dt.timedelta(hours=1))
    for days in (6, 4, 2):
        _proactive(campaign, NOW - dt.timedelta(days=days))

    counts = tasks.run_due_followups()

    campaign.refresh_from_db()
    assert counts["deferred"] == 1 and OutboxMessage.objects.count() == 0
    # A week after the oldest of the three: 14:00 UTC tomorrow, inside the window.
    assert campaign.next_attempt_at == NOW + dt.timedelta(days=1)


def test_due_follow_ups_wait_for_the_send_window():
    lead = make_lead()
    campaign = make_campaign(lead, next_attempt_at=EARLY - dt.timedelta(hours=1))

    with time_machine.travel(EARLY, tick=False):
        counts = tasks.run_due_followups()

    campaign.refresh_from_db()
    assert counts["deferred"] == 1 and OutboxMessage.objects.count() == 0
    assert campaign.next_attempt_at == dt.datetime(2025, 3, 11, 13, 0, tzinfo=dt.UTC)


def test_a_follow_up_at_max_attempts_fails_the_campaign_and_sends_nothing():
    lead = make_lead()
    campaign = make_campaign(lead, attempts_made=3, next_attempt_at=NOW - dt.timedelta(days=1))

    counts = tasks.run_due_followups()

    campaign.refresh_from_db()
    assert campaign.status == S.RECOVERY_FAILED and not campaign.is_active
    assert counts["marked_failed"] == 1 and counts["sent"] == 0
    assert OutboxMessage.objects.count() == 0
    assert not campaign.interactions.exists()


def test_due_follow_ups_record_their_run():
    lead = make_lead()
    make_campaign(lead, next_attempt_at=NOW - dt.timedelta(minutes=5))

    counts = tasks.run_due_followups()

    (job,) = JobRun.objects.filter(name="due_followups")
    assert job.status == JobRun.Status.OK
    assert job.counts == counts and counts["sent"] == 1
    assert job.finished_at == NOW


@pytest.mark.usefixtures("q_sync")
def test_a_new_lead_from_the_api_is_contacted_at_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_create_recovery(
            actor=None, patient_name="Lena Lead", patient_phone="+15185550188"
        )

    campaign.refresh_from_db()
    assert campaign.attempts_made == 1
    (message,) = OutboxMessage.objects.filter(interaction__campaign=campaign)
    assert message.to == "+15185550188"


# --- The task and the command ---------------------------------------------------------------------


def test_the_task_records_its_run_with_the_counts():
    make_lead(), make_existing(TODAY)

    counts = tasks.run_daily_trigger()

    (job,) = JobRun.objects.filter(name="daily_trigger")
    assert job.status == JobRun.Status.OK and job.error == ""
    assert (job.started_at, job.finished_at) == (NOW, NOW)
    assert job.counts == counts
    assert (counts["recovery_created"], counts["recall_created"], counts["sent"]) == (1, 1, 2)


def test_the_scheduled_run_works_only_at_the_clinic_time():
    make_lead()
    # In March after the DST change 07:00 New York is 11:00 UTC, not 12:00 UTC.
    skipped = tasks.run_daily_trigger(at="07:00", intended="2025-03-11T12:00:00+00:00")
    assert "skipped" in skipped
    assert not JobRun.objects.exists() and not Campaign.objects.exists()

    done = tasks.run_daily_trigger(at="07:00", intended="2025-03-11T11:00:00+00:00")

    assert done["date"] == "2025-03-11" and done["recovery_created"] == 1


def test_the_command_prints_its_counts():
    make_lead(), make_existing(TODAY - dt.timedelta(days=1))
    out = StringIO()

    call_command("run_daily_trigger", "--date", "2025-03-11", stdout=out)

    text = out.getvalue()
    assert "Daily trigger for 2025-03-11 (America/New_York):" in text
    assert "recovery campaigns created" in text and "recall campaigns created" in text
    lines = {
        line.rsplit(None, 1)[0].strip(): line.rsplit(None, 1)[1] for line in text.splitlines()[1:]
    }
    assert lines["recovery campaigns created"] == "1"
    assert lines["recall campaigns created"] == "1"
    assert lines["messages sent"] == "2"
    assert lines["deferred (outside the send window or over the caps)"] == "0"
    assert lines["failed"] == "0"


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="--date: '2025-13-01'"):
        call_command("run_daily_trigger", "--date", "2025-13-01")
