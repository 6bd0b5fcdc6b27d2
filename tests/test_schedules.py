"""`manage.py setup_schedules`: idempotent, the daily trigger at the clinic's wall-clock time
across DST, due follow-ups every few minutes, the Gmail jobs; and the
django-q2 scheduler itself running them."""

import ast
import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.forms.models import model_to_dict
from django_q.models import Schedule, Task
from django_q.scheduler import scheduler

from campaigns.models import Campaign
from dentalai import schedules
from dentalai.models import JobRun
from dentalai.schedules import daily_trigger_cron, is_daily_trigger_moment
from tests.agent_fixtures import agent_environment, booking_links  # noqa: F401 - fixtures
from tests.scheduler_fixtures import (  # noqa: F401 - fixtures
    make_lead,
    q_sync,
    scheduler_environment,
)
from tests.startup import refused_naming

pytestmark = pytest.mark.django_db

SUMMER = dt.datetime(2025, 7, 1, 3, 0, tzinfo=dt.UTC)  # EDT, UTC-4
WINTER = dt.datetime(2025, 1, 7, 3, 0, tzinfo=dt.UTC)  # EST, UTC-5


def setup() -> str:
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    return out.getvalue()


def stored() -> dict[str, dict]:
    return {s.name: {**model_to_dict(s), "pk": s.pk} for s in Schedule.objects.all()}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SUMMER, tick=False):
        yield


def test_running_it_twice_gives_the_same_schedules():
    first_output = setup()
    first = stored()
    second_output = setup()

    assert stored() == first
    assert set(first) == {
        "asap-offers",
        "daily-trigger",
        "due-followups",
        "gmail-history-poll",
        "gmail-watch-renewal",
        "import-cleanup",
        "outgoing-webhooks",
        "throttle-prune",
        "visit-reminders",
        "webhook-drain",
    }
    assert "daily-trigger: created" in first_output
    assert second_output.count(": unchanged") == 10 and "created" not in second_output


def test_the_daily_trigger_runs_at_the_clinic_time_in_summer_and_in_winter():
    setup()

    trigger = Schedule.objects.get(name="daily-trigger")
    assert trigger.func == "agent.tasks.run_daily_trigger"
    assert trigger.schedule_type == Schedule.CRON
    # 07:00 New York is 11:00 UTC under EDT and 12:00 UTC under EST.
    assert trigger.cron == "0 11,12 * * *"
    assert trigger.kwargs == "{'at': '07:00'}"
    assert trigger.intended_date_kwarg == "intended"
    assert trigger.repeats == -1
    assert trigger.next_run == dt.datetime(2025, 7, 1, 11, 0, tzinfo=dt.UTC)


def test_due_follow_ups_run_every_few_minutes(settings):
    settings.FOLLOWUP_INTERVAL_MINUTES = 10
    setup()

    followups = Schedule.objects.get(name="due-followups")
    assert followups.func == "agent.tasks.run_due_followups"
    assert (followups.schedule_type, followups.minutes) == (Schedule.MINUTES, 10)


def test_a_changed_trigger_time_updates_the_schedule_in_place(settings):
    setup()
    before = Schedule.objects.get(name="daily-trigger")
    settings.DAILY_TRIGGER_TIME = dt.time(6, 30)

    output = setup()

    after = Schedule.objects.get(name="daily-trigger")
    assert "daily-trigger: updated" in output
    assert after.pk == before.pk
    assert after.cron == "30 10,11 * * *"
    assert after.kwargs == "{'at': '06:30'}"
    assert after.next_run == dt.datetime(2025, 7, 1, 10, 30, tzinfo=dt.UTC)


def test_a_schedule_edited_or_copied_in_the_admin_is_put_back():
    setup()
    Schedule.objects.filter(name="due-followups").update(minutes=60, repeats=0)
    Schedule.objects.create(name="due-followups", func="agent.tasks.run_due_followups")

    output = setup()

    (followups,) = Schedule.objects.filter(name="due-followups")
    assert (followups.minutes, followups.repeats) == (5, -1)
    assert "due-followups: updated" in output


def test_the_gmail_jobs_run_recorded_every_few_minutes_and_daily():
    setup()

    poll = Schedule.objects.get(name="gmail-history-poll")
    watch = Schedule.objects.get(name="gmail-watch-renewal")
    assert poll.func == watch.func == "dentalai.jobs.run_recorded"
    assert poll.args == "('gmail_poll', 'messaging.tasks.gmail_poll')"
    assert watch.args == "('gmail_watch', 'messaging.tasks.gmail_watch_renew')"
    assert (poll.schedule_type, poll.minutes) == (Schedule.MINUTES, 5)
    assert (watch.schedule_type, watch.cron) == (Schedule.CRON, "40 6 * * *")


def test_every_scheduled_job_names_a_function_that_exists():
    from django.utils.module_loading import import_string

    for plan in schedules.planned_schedules(today=dt.date(2025, 3, 11)):
        func = plan.fields["func"]
        assert callable(import_string(func)), plan.name
        if func == "dentalai.jobs.run_recorded":
            _, target = ast.literal_eval(plan.fields["args"])
            assert callable(import_string(target)), plan.name


def test_a_recorded_job_keeps_its_result_as_counts(settings):
    from dentalai.jobs import run_recorded

    settings.GMAIL_ADDRESS = ""
    run_recorded("gmail_poll", "messaging.tasks.gmail_poll")

    (run,) = JobRun.objects.filter(name="gmail_poll")
    assert run.status == JobRun.Status.OK
    assert run.counts == {"result": "gmail not configured"}


# --- DST ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone,at,cron",
    [
        ("America/New_York", "07:00", "0 11,12 * * *"),
        ("Europe/Berlin", "07:00", "0 5,6 * * *"),
        ("Asia/Kolkata", "07:00", "30 1 * * *"),  # no DST
        ("UTC", "07:00", "0 7 * * *"),
        ("Australia/Lord_Howe", "07:00", "0,30 20 * * *"),  # a 30-minute DST shift
    ],
)
def test_the_cron_covers_every_utc_time_of_the_clinic_time(settings, zone, at, cron):
    settings.CLINIC_TIME_ZONE = zone
    assert daily_trigger_cron(dt.time.fromisoformat(at), start=dt.date(2025, 1, 1)) == cron


@pytest.mark.parametrize(
    "utc,at,runs",
    [
        ("2025-07-01T11:00", "07:00", True),  # summer: 07:00 EDT
        ("2025-07-01T12:00", "07:00", False),  # summer: 08:00 EDT
        ("2025-01-07T12:00", "07:00", True),  # winter: 07:00 EST
        ("2025-01-07T11:00", "07:00", False),  # winter: 06:00 EST
        ("2025-03-09T11:00", "07:00", True),  # the spring-forward day, after the change
        ("2025-11-02T12:00", "07:00", True),  # the fall-back day, after the change
        ("2025-11-02T11:00", "07:00", False),
        # 02:30 does not exist on 2025-03-09: it runs once, at 03:30 EDT.
        ("2025-03-09T07:30", "02:30", True),
        ("2025-03-09T06:30", "02:30", False),
        # 01:30 happens twice on 2025-11-02: it runs at the first one only.
        ("2025-11-02T05:30", "01:30", True),
        ("2025-11-02T06:30", "01:30", False),
    ],
)
def test_exactly_one_of_the_utc_times_is_the_clinic_time_each_day(utc, at, runs):
    moment = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    assert is_daily_trigger_moment(moment, dt.time.fromisoformat(at)) is runs


# --- The django-q2 scheduler running them -----------------------------------------------------


@pytest.mark.usefixtures("q_sync")
def test_the_scheduler_runs_the_trigger_once_a_day_at_the_clinic_time():
    setup()
    make_lead()

    # 11:00 UTC: 07:00 in New York. django-q2 queues the task (inline here) and moves on.
    with time_machine.travel(dt.datetime(2025, 7, 1, 11, 0, 30, tzinfo=dt.UTC), tick=False):
        scheduler()
    trigger = Schedule.objects.get(name="daily-trigger")
    assert trigger.next_run == dt.datetime(2025, 7, 1, 12, 0, tzinfo=dt.UTC)
    (run,) = JobRun.objects.filter(name="daily_trigger")
    assert run.counts["date"] == "2025-07-01" and run.counts["recovery_created"] == 1

    # 12:00 UTC: 08:00 in New York, the winter time's slot. The task returns at once.
    with time_machine.travel(dt.datetime(2025, 7, 1, 12, 0, 30, tzinfo=dt.UTC), tick=False):
        scheduler()
    trigger.refresh_from_db()
    assert trigger.next_run == dt.datetime(2025, 7, 2, 11, 0, tzinfo=dt.UTC)
    assert JobRun.objects.filter(name="daily_trigger").count() == 1
    assert Campaign.objects.count() == 1
    assert Task.objects.filter(name__isnull=False, success=True).count() >= 2


@pytest.mark.usefixtures("q_sync")
def test_catch_up_queues_todays_trigger_once_when_its_time_has_passed():
    make_lead()
    out = StringIO()
    with time_machine.travel(dt.datetime(2025, 7, 1, 6, 0, tzinfo=dt.UTC), tick=False):
        call_command("setup_schedules", "--catch-up", stdout=out)  # 02:00 New York: too early
    assert "queued" not in out.getvalue() and not Campaign.objects.exists()

    with time_machine.travel(dt.datetime(2025, 7, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        call_command("setup_schedules", "--catch-up", stdout=out)
        assert "today's run queued (catch-up)" in out.getvalue()
        assert Campaign.objects.count() == 1

        again = StringIO()
        call_command("setup_schedules", "--catch-up", stdout=again)
    assert "queued" not in again.getvalue()
    assert JobRun.objects.filter(name="daily_trigger").count() == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DAILY_TRIGGER_TIME", "7am"),
        ("FOLLOWUP_INTERVAL_MINUTES", "0"),
        ("FOLLOWUP_BATCH_SIZE", "lots"),
        ("RECOVERY_ESTIMATED_VALUE", "-5"),
        ("RECALL_ESTIMATED_VALUE", "cheap"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(name, value):
    assert refused_naming({name: value}, name)


# --- Staff see the runs -----------------------------------------------------------------------


def test_staff_read_the_job_runs_in_the_admin_and_cannot_change_them(client, manager, front_desk):
    from dentalai.jobs import job_run

    with job_run("daily_trigger") as run:
        run.counts = {"recovery_created": 4, "recall_created": 2, "sent": 5, "outcomes": {}}
    with pytest.raises(RuntimeError), job_run("due_followups"):
        raise RuntimeError("broker unreachable")
    failed = JobRun.objects.get(name="due_followups")
    client.force_login(manager)

    listing = client.get("/admin/dentalai/jobrun/")
    page = client.get(f"/admin/dentalai/jobrun/{failed.pk}/change/")

    assert listing.status_code == 200
    text = listing.content.decode()
    assert "recovery_created: 4, recall_created: 2, sent: 5" in text
    assert "RuntimeError: broker unreachable" in text
    assert page.status_code == 200 and "Traceback" in page.content.decode()
    assert client.get("/admin/dentalai/jobrun/add/").status_code == 403
    assert client.post(f"/admin/dentalai/jobrun/{failed.pk}/delete/").status_code == 403
    client.force_login(front_desk)
    assert client.get("/admin/dentalai/jobrun/").status_code == 403


def test_the_env_example_lists_every_scheduler_variable():
    import re
    from pathlib import Path

    from django.conf import settings

    from tests.scheduler_fixtures import SCHEDULER_VARIABLES

    root = Path(settings.BASE_DIR)
    read = set(re.findall(r'\(\s*"([A-Z][A-Z0-9_]+)"', (root / "dentalai/settings.py").read_text()))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    assert set(SCHEDULER_VARIABLES) <= read
    assert set(SCHEDULER_VARIABLES) <= listed
