"""The django-q2 schedules of the product, installed idempotently by `manage.py
setup_schedules`: each is keyed by its name, written only when its definition differs from the
stored row, so running the command twice changes nothing.

Time zones: django-q2 evaluates a cron expression in Q_CLUSTER["time_zone"], by default
settings.TIME_ZONE, which is UTC here. The daily trigger must run at DAILY_TRIGGER_TIME on the
clinic's wall clock, whose UTC time moves with daylight saving time. So its cron lists every
UTC time that wall-clock time takes in the coming year (for 07:00 America/New_York:
"0 11,12 * * *", 11:00 UTC in summer and 12:00 UTC in winter), and the task is given the
intended run time: only the run that is DAILY_TRIGGER_TIME on the clinic's clock that day does
the work, the other returns at once. On the spring-forward day a time inside the skipped hour
runs an hour later on the clock (02:30 → 03:30); on the fall-back day a time inside the
repeated hour runs once, at its first occurrence. Re-run `setup_schedules` after changing
DAILY_TRIGGER_TIME or CLINIC_TIME_ZONE (`make run` and a deploy do).
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.tasks import async_task

from dentalai.clinic_time import clinic_today, clinic_zone, local_datetime, start_of_clinic_day
from dentalai.models import JobRun

DAILY_TRIGGER = "daily-trigger"
DUE_FOLLOWUPS = "due-followups"
GMAIL_POLL = "gmail-history-poll"
GMAIL_WATCH = "gmail-watch-renewal"
WEBHOOK_DRAIN = "webhook-drain"
OUTGOING_WEBHOOKS = "outgoing-webhooks"
THROTTLE_PRUNE = "throttle-prune"
IMPORT_CLEANUP = "import-cleanup"
VISIT_REMINDERS = "visit-reminders"
SLOT_OFFERS = "asap-offers"
# Often enough that a reminder moved to the evening before still goes by the legal hours' end.
REMINDER_MINUTES = 10
# Once a day at a quiet UTC time; a Gmail watch lapses after 7 days, so any daily time will do.
GMAIL_WATCH_CRON = "40 6 * * *"
THROTTLE_PRUNE_CRON = "50 6 * * *"
IMPORT_CLEANUP_CRON = "55 6 * * *"

FIELDS = (
    "func",
    "args",
    "kwargs",
    "schedule_type",
    "minutes",
    "cron",
    "repeats",
    "intended_date_kwarg",
    "hook",
    "cluster",
)


@dataclass(frozen=True)
class Planned:
    """One schedule as it should be stored. `fields` are Schedule model fields."""

    name: str
    fields: dict
    description: str


def cron_zone() -> ZoneInfo:
    """The zone django-q2 evaluates cron expressions in."""
    return ZoneInfo(Conf.TIME_ZONE or settings.TIME_ZONE)


def daily_trigger_cron(at: dt.time, *, start: dt.date, days: int = 400) -> str:
    """A cron expression (in `cron_zone()`) firing at every time that clinic-local `at` falls
    on over `days` days from `start`: one time a day, or two when DST moves it."""
    clinic, target = clinic_zone(), cron_zone()
    moments = {
        dt.datetime.combine(start + dt.timedelta(days=n), at, tzinfo=clinic).astimezone(target)
        for n in range(days)
    }
    minutes = sorted({m.minute for m in moments})
    hours = sorted({m.hour for m in moments})
    return f"{','.join(map(str, minutes))} {','.join(map(str, hours))} * * *"


def is_daily_trigger_moment(moment: dt.datetime, at: dt.time) -> bool:
    """Whether `moment` is `at` on the clinic's clock that day (the first such moment on a
    fall-back day; the shifted one when DST skips `at`)."""
    local_day = clinic_today(moment)
    return _minute(local_datetime(local_day, at)) == _minute(moment)


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


def parse_intended(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)


def planned_schedules(*, today: dt.date) -> list[Planned]:
    """The schedules this installation should have: every app's scheduled jobs, by dotted
    path (a test imports each, so a renamed job fails the suite, not the worker)."""
    at = settings.DAILY_TRIGGER_TIME.strftime("%H:%M")
    cron = daily_trigger_cron(settings.DAILY_TRIGGER_TIME, start=today)
    poll, followups = settings.GMAIL_POLL_MINUTES, settings.FOLLOWUP_INTERVAL_MINUTES
    return [
        Planned(
            DAILY_TRIGGER,
            {
                "func": "agent.tasks.run_daily_trigger",
                "kwargs": repr({"at": at}),
                "schedule_type": Schedule.CRON,
                "cron": cron,
                "intended_date_kwarg": "intended",
            },
            f"cron '{cron}' {cron_zone().key} = {at} {settings.CLINIC_TIME_ZONE}",
        ),
        Planned(
            DUE_FOLLOWUPS,
            {
                "func": "agent.tasks.run_due_followups",
                "schedule_type": Schedule.MINUTES,
                "minutes": followups,
            },
            f"every {followups} min",
        ),
        # Gmail may drop push notifications, so its history is read anyway (each Gmail job
        # returns at once while Gmail is not set up).
        Planned(
            GMAIL_POLL,
            {
                "func": "dentalai.jobs.run_recorded",
                "args": repr(("gmail_poll", "messaging.tasks.gmail_poll")),
                "schedule_type": Schedule.MINUTES,
                "minutes": poll,
            },
            f"every {poll} min",
        ),
        # The webhooks queue their own drains; this one catches what a lost job left.
        Planned(
            WEBHOOK_DRAIN,
            {
                "func": "messaging.tasks.drain_webhook_events",
                "schedule_type": Schedule.MINUTES,
                "minutes": 1,
            },
            "every minute",
        ),
        # Outgoing webhooks whose retry is due (messaging.outgoing); first attempts are queued
        # by the event itself.
        Planned(
            OUTGOING_WEBHOOKS,
            {
                "func": "messaging.outgoing.webhook_deliveries_retry",
                "schedule_type": Schedule.MINUTES,
                "minutes": 1,
            },
            "every minute",
        ),
        Planned(
            GMAIL_WATCH,
            {
                "func": "dentalai.jobs.run_recorded",
                "args": repr(("gmail_watch", "messaging.tasks.gmail_watch_renew")),
                "schedule_type": Schedule.CRON,
                "cron": GMAIL_WATCH_CRON,
            },
            f"cron '{GMAIL_WATCH_CRON}' {cron_zone().key}",
        ),
        Planned(
            VISIT_REMINDERS,
            {
                "func": "messaging.tasks.send_reminders",
                "schedule_type": Schedule.MINUTES,
                "minutes": REMINDER_MINUTES,
            },
            f"every {REMINDER_MINUTES} min",
        ),
        # The ASAP list's next batches, and freed times booked another way (messaging.asap).
        Planned(
            SLOT_OFFERS,
            {
                "func": "messaging.tasks.send_slot_offers",
                "schedule_type": Schedule.MINUTES,
                "minutes": 5,
            },
            "every 5 min",
        ),
        # Throttle counters of ended windows (dentalai.throttles).
        Planned(
            THROTTLE_PRUNE,
            {
                "func": "dentalai.jobs.run_recorded",
                "args": repr(("throttle_prune", "dentalai.throttles.counters_prune")),
                "schedule_type": Schedule.CRON,
                "cron": THROTTLE_PRUNE_CRON,
            },
            f"cron '{THROTTLE_PRUNE_CRON}' {cron_zone().key}",
        ),
        # Uploaded exports nobody imported (patients.imports.jobs): they hold patient data.
        Planned(
            IMPORT_CLEANUP,
            {
                "func": "dentalai.jobs.run_recorded",
                "args": repr(
                    ("import_cleanup", "patients.imports.jobs.imports_unfinished_cleanup")
                ),
                "schedule_type": Schedule.CRON,
                "cron": IMPORT_CLEANUP_CRON,
            },
            f"cron '{IMPORT_CLEANUP_CRON}' {cron_zone().key}",
        ),
    ]


def _desired(fields: dict) -> dict:
    """Every compared field, unset ones at the model's defaults."""
    defaults = {name: None for name in FIELDS} | {"repeats": -1}
    return defaults | fields


def schedules_install(*, now: dt.datetime | None = None) -> list[tuple[str, str, str]]:
    """Create, update or leave each planned schedule. Returns (name, "created" | "updated" |
    "unchanged", description)."""
    now = now or timezone.now()
    report = []
    plans = planned_schedules(today=clinic_today(now))
    for plan in plans:
        desired = _desired(plan.fields)
        rows = list(Schedule.objects.filter(name=plan.name).order_by("pk"))
        for extra in rows[1:]:  # a copy made by hand in the admin would run the job twice
            extra.delete()
        current = rows[0] if rows else None
        if current is not None and all(getattr(current, k) == v for k, v in desired.items()):
            report.append((plan.name, "unchanged", plan.description))
            continue
        probe = Schedule(**desired)
        first_run = probe.calculate_next_run() if probe.schedule_type == Schedule.CRON else now
        Schedule.objects.update_or_create(
            name=plan.name, defaults={**desired, "next_run": first_run}
        )
        report.append((plan.name, "updated" if current else "created", plan.description))
    return report


def daily_trigger_catch_up(*, now: dt.datetime | None = None) -> bool:
    """Queue the daily trigger now when today's run is due (DAILY_TRIGGER_TIME has passed on
    the clinic's clock) but none has succeeded today: after downtime over the trigger time, or
    on a fresh installation, today's campaigns start at once instead of tomorrow. Returns
    whether it queued one (the trigger is idempotent, so a duplicate does no harm)."""
    now = now or timezone.now()
    at = settings.DAILY_TRIGGER_TIME
    local = now.astimezone(clinic_zone())
    if local.time() < at:
        return False
    start_of_day = start_of_clinic_day(local.date())
    if JobRun.objects.filter(
        name="daily_trigger", status=JobRun.Status.OK, started_at__gte=start_of_day
    ).exists():
        return False
    async_task("agent.tasks.run_daily_trigger")
    return True
