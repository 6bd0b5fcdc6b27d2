from django.core.management.base import BaseCommand

from dentalai.schedules import daily_trigger_catch_up, schedules_install


class Command(BaseCommand):
    help = (
        "Install the background schedules (daily trigger at DAILY_TRIGGER_TIME clinic time, due "
        "follow-ups every FOLLOWUP_INTERVAL_MINUTES, and the Gmail jobs once the messaging app "
        "provides them). Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--catch-up",
            action="store_true",
            help="Also queue the daily trigger now if today's run time has passed and it has "
            "not succeeded today (e.g. after downtime, or on a fresh installation).",
        )

    def handle(self, *args, **options):
        for name, action, description in schedules_install():
            self.stdout.write(f"{name}: {action} ({description})")
        if options["catch_up"] and daily_trigger_catch_up():
            self.stdout.write("daily-trigger: today's run queued (catch-up)")
