# ruff: noqa: E402  (Django is set up before the project imports)
"""Benchmark of the patient import (SPEC §11): 100,000 rows of an Open Dental-style export in
< 60 s and < 400 MB, with a number of queries per page that does not grow with the file.

Usage (a separate database: its patients are deleted before each measurement):

    DATABASE_URL=sqlite:///var/import_bench.sqlite3 .venv/bin/python bench/import_patients.py
    createdb -h 127.0.0.1 -U postgres import_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/import_bench \
        .venv/bin/python bench/import_patients.py [--xlsx]

The export is generated once under var/ (seeded: the same file every run), with the mess real
exports have: phones in several formats, 1% invalid numbers, 0.5% repeated patients, blank
lines. Each measurement runs `manage.py import_patients`'s door in a fresh child process:

1. first: into an empty patients table (every row a new patient and a treatment record);
2. again: the same file a second time (every row matched and unchanged: the no-op re-import).

Time is the import's wall time; memory the child's peak resident set size (ru_maxrss:
interpreter, Django and the import together); queries are counted per page of 1,000 rows.
`--xlsx` measures the same rows as an XLSX workbook instead (openpyxl, read-only).
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentalai.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from patients.imports.files import table_open
from patients.imports.mappings import OPEN_DENTAL
from patients.imports.service import PAGE_SIZE, patients_import
from patients.models import Patient, TreatmentRecord

ROWS = 100_000
HEADERS = (
    "PatNum,LName,FName,Birthdate,WirelessPhone,Email,TxtMsgOk,RecallType,DateDue,DatePrevious"
)
AREA_CODES = (212, 303, 415, 617, 718, 312, 213, 305, 404, 512, 206)
PHONE_FORMS = ("({a}) 555-{n:04d}", "{a}.555.{n:04d}", "+1 {a} 555 {n:04d}", "{a}555{n:04d}")


def export_rows(rows: int) -> list[list[str]]:
    rng = random.Random(11)
    out = []
    for i in range(rows):
        area = AREA_CODES[i // 10_000]
        n = i % 10_000
        phone = rng.choice(PHONE_FORMS).format(a=area, n=n)
        if rng.random() < 0.01:
            phone = f"(555) 01{n % 10}-000"  # not a number
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        row = [
            str(10_000 + i),
            f"Lastname{i}",
            rng.choice(["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo"]),
            f"19{rng.randint(40, 99)}-{month:02d}-{day:02d}",
            phone,
            f"patient{i}@example.com" if rng.random() < 0.8 else "",
            rng.choice(["Yes", "Yes", "Yes", "No", "Unknown"]),
            rng.choice(["Prophy", "Perio", "Child Prophy"]),
            f"2027-{month:02d}-{day:02d}",
            f"{month:02d}/{day:02d}/2026",
        ]
        out.append(row)
        if rng.random() < 0.005:
            out.append(list(row))  # the same patient twice
        if rng.random() < 0.002:
            out.append([""] * len(row))
    return out


def export_file(xlsx: bool) -> Path:
    path = ROOT / "var" / f"import_bench_{ROWS}.{'xlsx' if xlsx else 'csv'}"
    if path.exists():
        return path
    path.parent.mkdir(exist_ok=True)
    rows = export_rows(ROWS)
    if xlsx:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADERS.split(","))
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(HEADERS + "\r\n")
            for row in rows:
                handle.write(",".join(row) + "\r\n")
    return path


def measure(path: Path) -> dict:
    settings.DEBUG = False  # Django would keep every statement of the run in memory
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)  # counted, not kept: a page's bulk insert is a long statement
        return execute(sql, params, many, context)

    with path.open("rb") as handle, connection.execute_wrapper(count):
        started = time.perf_counter()
        report = patients_import(table_open(handle, path.name), OPEN_DENTAL)
        seconds = time.perf_counter() - started
    pages = -(-report.rows // PAGE_SIZE)
    return {
        "rows": report.rows,
        "summary": report.summary(),
        "seconds": round(seconds, 2),
        "rows_per_second": round(report.rows / seconds),
        "queries_per_page": round(len(queries) / pages, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def child(path: str) -> None:
    print(json.dumps(measure(Path(path))))


def in_child(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx", action="store_true", help="An XLSX workbook instead of CSV.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    call_command("migrate", verbosity=0)
    path = export_file(args.xlsx)
    TreatmentRecord.objects.all().delete()
    Patient.objects.all().delete()
    print(f"{connection.vendor}, {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    for label in ("first", "again"):
        print(label, json.dumps(in_child(path)))


if __name__ == "__main__":
    main()
