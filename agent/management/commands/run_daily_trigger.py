import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agent.tasks import run_daily_trigger

LINES = (
    ("recovery_created", "recovery campaigns created"),
    ("recall_created", "recall campaigns created"),
    ("refused", "refused (created meanwhile elsewhere)"),
    ("skipped_appointment", "skipped (appointment booked or visit done)"),
    ("skipped_no_address", "skipped (no email or phone)"),
    ("sent", "messages sent"),
    ("deferred", "deferred (outside the send window or over the caps)"),
    ("failed", "failed"),
    ("marked_failed", "marked RECOVERY_FAILED (max attempts)"),
)


class Command(BaseCommand):
    help = (
        "Run the daily trigger now: start today's recovery and recall campaigns (SPEC §7), "
        "then send the first messages through the agent inside the send window. Safe to run "
        "again, and beside the scheduled run: nothing is created twice. Recorded as a job run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="Clinic-local date to run for, YYYY-MM-DD (default: today in CLINIC_TIME_ZONE).",
        )

    def handle(self, *args, **options):
        date = options["date"]
        if date:
            try:
                dt.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date: {date!r} is not a date like 2025-03-11") from exc
        counts = run_daily_trigger(date=date)
        self.stdout.write(f"Daily trigger for {counts['date']} ({settings.CLINIC_TIME_ZONE}):")
        width = max(len(label) for _, label in LINES)
        for key, label in LINES:
            self.stdout.write(f"  {label:<{width}}  {counts[key]:>6}")
