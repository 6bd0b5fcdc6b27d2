"""Import patients, their last visit and recall due dates from a practice-management export.

    manage.py import_patients FILE [--mapping NAME] [--dry-run]

FILE is CSV or XLSX. NAME is a built-in mapping (opendental, dentrix, plain) or one the clinic
saved; without it the built-in mapping that fits the headers best is used. Each skipped row is
listed with its line number and reason; the last line is the summary
`created=N updated=N unchanged=N skipped=N`. docs/OPERATIONS.md says how to export from Open
Dental and Dentrix.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from patients.imports.files import table_open
from patients.imports.service import mapping_for, patients_import


class Command(BaseCommand):
    help = "Import patients and recall due dates from an Open Dental, Dentrix or plain export."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The export, CSV or XLSX.")
        parser.add_argument(
            "--mapping",
            default="",
            help="opendental, dentrix, plain or a saved mapping's name (default: the built-in "
            "one that fits the headers).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        with path.open("rb") as handle:
            try:
                table = table_open(handle, path.name)
                name, mapping = mapping_for(table.headers, options["mapping"])
                self.stdout.write(f"Reading {path.name} with the {name} mapping.")
                with tqdm(total=table.lines, unit=" rows", disable=options["verbosity"] < 1) as bar:
                    report = patients_import(
                        table,
                        mapping,
                        dry_run=options["dry_run"],
                        progress=lambda rows, line: bar.update(rows),
                    )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        for line, reason in report.problems:
            self.stdout.write(f"line {line}: {reason}")
        if report.skipped > len(report.problems):
            self.stdout.write(f"… and {report.skipped - len(report.problems)} more skipped rows.")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        self.stdout.write(report.summary())
