"""Start or renew Gmail push notifications (users.watch on the INBOX → GMAIL_TOPIC).

A watch lapses after 7 days: the schedule renews it daily (messaging.tasks.gmail_watch_renew);
run this once by hand after setting up, and with --stop to end push notifications.
"""

from django.core.management.base import BaseCommand

from messaging.gmail import gmail_watch_start, gmail_watch_stop


class Command(BaseCommand):
    help = "Start or renew the Gmail push watch and store its history id and expiry."

    def add_arguments(self, parser):
        parser.add_argument("--stop", action="store_true", help="Stop push notifications.")

    def handle(self, *args, **options):
        if options["stop"]:
            gmail_watch_stop()
            self.stdout.write("Gmail push notifications stopped.")
            return
        mailbox = gmail_watch_start()
        self.stdout.write(
            self.style.SUCCESS(
                f"Watching {mailbox.email_address} until "
                f"{mailbox.watch_expiration:%Y-%m-%d %H:%M} UTC "
                f"(history id {mailbox.last_history_id})."
            )
        )
