from django.core.management.base import BaseCommand, CommandError

from agent.brains import get_brain
from agent.evaluation import evaluate, load_cases, report
from agent.knowledge import KnowledgeBase


class Command(BaseCommand):
    help = (
        "Run the reactive decision on labelled replies (JSON lines) against a knowledge base "
        "file, entirely in memory: no database reads or writes, no messages sent. Prints "
        "per-action precision and recall, the confusion matrix and 'accuracy=… n=…'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", required=True, help="Labelled replies (.jsonl).")
        parser.add_argument("--kb", required=True, help="Knowledge base (.md, as for import_kb).")
        parser.add_argument(
            "--brain",
            choices=("offline", "openai"),
            help="Which brain to measure (default: AGENT_LLM).",
        )
        parser.add_argument(
            "--show-errors", action="store_true", help="List the cases decided differently."
        )

    def handle(self, *args, **options):
        try:
            cases = load_cases(options["cases"])
            with open(options["kb"], encoding="utf-8") as handle:
                kb = KnowledgeBase.from_markdown(handle.read())
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        outcomes = evaluate(cases, kb, get_brain(options["brain"]))
        if options["show_errors"]:
            for o in outcomes:
                if o.predicted != o.case.action:
                    reason = f" ({o.reason})" if o.reason else ""
                    self.stdout.write(f"{o.case.id}: {o.case.action} -> {o.predicted}{reason}")
            self.stdout.write("")
        for line in report(outcomes):
            self.stdout.write(line)
