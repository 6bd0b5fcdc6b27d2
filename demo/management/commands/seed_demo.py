import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.seed import DEMO_MANAGER_EMAIL, DEMO_PASSWORD, demo_counts, demo_seed


class _ProgressStream:
    """tqdm redraws its bar with bare carriage returns; Django's OutputWrapper would add a
    newline to every write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = (
        "Fill the database with a demo clinic (staff, patients, campaigns, conversations, "
        "appointments, knowledge base), acted out through the product's own services over the "
        "past months. Safe to run again: it only adds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bar."
        )

    def handle(self, *args, **options):
        show_progress = options["verbosity"] > 0 and not options["no_progress"]
        # The product logs each message and decision; for a few hundred made-up ones that is
        # noise. Warnings and errors still show.
        logging.disable(logging.INFO)
        try:
            created = demo_seed(progress=show_progress, stream=_ProgressStream(self.stderr))
        finally:
            logging.disable(logging.NOTSET)
        if options["verbosity"] == 0:
            return
        totals = demo_counts()
        width = max(map(len, totals))
        for label, total in totals.items():
            self.stdout.write(f"{label:<{width}}  {total:>5}  ({created[label]} new)")
        if not any(created.values()):
            self.stdout.write("The demo clinic was already complete: nothing added.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {DEMO_MANAGER_EMAIL} / {DEMO_PASSWORD} "
                f"at {settings.SITE_URL}/ (Django admin: /admin/)"
            )
        )
