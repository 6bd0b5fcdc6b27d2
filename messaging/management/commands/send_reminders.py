"""Send the visit reminders due now (REMINDER_OFFSETS; SPEC §10). The schedule runs it every
few minutes; safe to run beside it or twice: each reminder goes once."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from messaging.visits import visit_reminders_send


def moment(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: {value!r} is not an ISO date-time") from exc
    if parsed.tzinfo is None:
        raise CommandError("--now needs a time zone: Z or an offset like -05:00")
    return parsed


class Command(BaseCommand):
    help = "Send every visit reminder due now (or at --now), once each."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=moment, help="Act as if it were this moment (ISO).")

    def handle(self, *args, **options):
        counts = visit_reminders_send(options["now"])
        self.stdout.write(f"sent={counts['sent']} skipped={counts['skipped']}")
