from django.core.management.base import BaseCommand

from agent.services import agent_run_due_followups


class Command(BaseCommand):
    help = (
        "Run the proactive path for every campaign whose next attempt is due: send the next "
        "message (inside the send window and caps), defer it, or mark the campaign "
        "RECOVERY_FAILED at max attempts. Safe to run beside the scheduled job."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="Campaigns per run.")

    def handle(self, *args, **options):
        counts = agent_run_due_followups(limit=options["limit"])
        if not counts:
            self.stdout.write("No campaign due.")
            return
        for outcome, count in sorted(counts.items()):
            self.stdout.write(f"{outcome}: {count}")
