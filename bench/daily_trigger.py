# ruff: noqa: E402  (Django is set up before the project imports)
"""Benchmark of the daily trigger over 100,000 patients (SPEC §9): < 60 s, peak memory
< 400 MB, a number of queries per batch that does not grow with the population.

Usage (a separate database: it is filled with generated data):

    DATABASE_URL=sqlite:///var/trigger_bench.sqlite3 .venv/bin/python bench/daily_trigger.py
    createdb -h 127.0.0.1 -U postgres trigger_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trigger_bench \
        .venv/bin/python bench/daily_trigger.py

The first run migrates and generates the population with bulk inserts; later runs reuse it.
Each measurement runs in a fresh child process, after removing what the previous measurement
created, with the clock fixed on a Tuesday at 10:00 in New York (inside the send window):

1. timed: the whole `daily_trigger_run` (campaign creation, then the first proactive pass of
   FOLLOWUP_BATCH_SIZE sends through the agent to the outbox), with Django's
   CaptureQueriesContext counting the queries of every page of patients; memory is the
   child's peak resident set size (resource.getrusage ru_maxrss: interpreter, Django and the
   run together).
2. tracemalloc: the same run again, reporting the peak of Python allocations during the run
   (tracemalloc slows Python down, so its time is not the measured one).
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentalai.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agent.services import daily_trigger_run
from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, Service
from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from dentalai.models import new_object_id
from messaging.models import OutboxMessage
from patients.choices import PatientType
from patients.models import Patient

PATIENTS = 100_000
BATCH = 5_000
MARKER_EMAIL = "p0@bench.example"
# Tuesday 2025-03-11, 10:00 in New York: inside the send window.
NOW = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 3, 11)
S = CampaignStatus


def _days_ago(rng: random.Random, low: int, high: int) -> dt.datetime:
    return NOW - dt.timedelta(days=rng.randint(low, high), hours=rng.randint(0, 8))


def _campaign(patient: Patient, ctype: str, status: str, ended: dt.datetime, **fields) -> Campaign:
    active = status in (S.ATTEMPTING_RECOVERY, S.RE_ENGAGED, S.HANDOFF_REQUIRED)
    return Campaign(
        id=new_object_id(),
        patient=patient,
        campaign_type=ctype,
        status=status,
        is_active=active,
        channel_type=Channel.SMS,
        thread_id=patient.phone,
        attempts_made=1 if active else 3,
        # Campaigns already running are not due now: only the trigger's new ones are.
        next_attempt_at=NOW + dt.timedelta(days=2) if active else None,
        estimated_value=Decimal("250.00"),
        created_at=ended - dt.timedelta(days=10),
        updated_at=ended,
        **fields,
    )


def generate(rng: random.Random) -> dict[str, int]:
    """100,000 patients, half cold leads and half existing patients, with the histories the
    trigger has to read: failed, declined and running campaigns, past recalls, opt-outs,
    upcoming appointments, missing addresses."""
    service, _ = Service.objects.get_or_create(
        slug="bench_cleaning", defaults={"name": "Bench cleaning", "duration_minutes": 60}
    )
    # Generated history carries its own "last changed" times.
    Campaign._meta.get_field("updated_at").auto_now = False
    stats = {"campaigns": 0, "appointments": 0}
    for start in range(0, PATIENTS, BATCH):
        patients, campaigns, appointments = [], [], []
        for i in range(start, min(start + BATCH, PATIENTS)):
            lead = i % 2 == 0
            roll = rng.random()
            email = f"p{i}@bench.example" if roll > 0.1 or i == 0 else ""
            phone = f"+1202{i:07d}" if roll < 0.9 or rng.random() < 0.02 else ""
            if rng.random() < 0.002:
                email = phone = ""
            patient = Patient(
                id=new_object_id(),
                name=f"Bench Patient {i}",
                email=email,
                phone=phone,
                patient_type=PatientType.COLD_LEAD if lead else PatientType.EXISTING,
                preferred_channels=rng.choice([["sms"], ["email"], ["whatsapp", "sms"], []]),
                opted_out_at=_days_ago(rng, 1, 300) if rng.random() < 0.03 else None,
                next_follow_up_date=None if lead else TODAY + dt.timedelta(rng.randint(-30, 365)),
                created_at=_days_ago(rng, 30, 900),
            )
            patients.append(patient)
            story = rng.random()
            if lead:
                if story < 0.35:
                    pass  # never contacted
                elif story < 0.60:
                    campaigns.append(
                        _campaign(patient, CampaignType.RECOVERY, S.RECOVERY_FAILED,
                                  _days_ago(rng, 5, 175))
                    )  # fmt: skip
                elif story < 0.70:
                    campaigns.append(
                        _campaign(patient, CampaignType.RECOVERY, S.RECOVERY_FAILED,
                                  _days_ago(rng, 185, 600))
                    )  # fmt: skip
                elif story < 0.78:
                    campaigns.append(
                        _campaign(patient, CampaignType.RECOVERY, S.RECOVERY_DECLINED,
                                  _days_ago(rng, 200, 700))
                    )  # fmt: skip
                    if rng.random() < 0.5:
                        campaigns.append(
                            _campaign(patient, CampaignType.RECOVERY, S.RECOVERY_FAILED,
                                      _days_ago(rng, 185, 190))
                        )  # fmt: skip
                elif story < 0.90:
                    status = rng.choice([S.ATTEMPTING_RECOVERY, S.RE_ENGAGED, S.HANDOFF_REQUIRED])
                    campaigns.append(
                        _campaign(patient, CampaignType.RECOVERY, status, _days_ago(rng, 0, 20))
                    )
                else:
                    campaigns.append(
                        _campaign(patient, CampaignType.RECOVERY, S.MANUAL_FOLLOWUP_COMPLETE,
                                  _days_ago(rng, 10, 400))
                    )  # fmt: skip
            else:
                due = patient.next_follow_up_date
                if story < 0.15:
                    previous = due - dt.timedelta(days=182)
                    campaigns.append(
                        _campaign(patient, CampaignType.RECALL, S.RECOVERED,
                                  _days_ago(rng, 150, 200), recall_due_date=previous)
                    )  # fmt: skip
                if due <= TODAY and story > 0.8:
                    # Yesterday's run already made this due date's recall.
                    campaigns.append(
                        _campaign(patient, CampaignType.RECALL, S.RECOVERY_FAILED,
                                  _days_ago(rng, 0, 1), recall_due_date=due)
                    )  # fmt: skip
                elif 0.5 < story < 0.58:
                    campaigns.append(
                        _campaign(patient, CampaignType.RECOVERY, S.RE_ENGAGED,
                                  _days_ago(rng, 0, 20))
                    )  # fmt: skip
            if rng.random() < 0.03:
                appointments.append(
                    Appointment(
                        id=new_object_id(),
                        patient=patient,
                        service=service,
                        appointment_date=NOW + dt.timedelta(days=rng.randint(1, 60), hours=2),
                        duration_minutes=60,
                        status=AppointmentStatus.BOOKED,
                        created_from=CreatedFrom.MANUAL_ADMIN,
                    )
                )
        Patient.objects.bulk_create(patients, batch_size=1000)
        Campaign.objects.bulk_create(campaigns, batch_size=1000)
        Appointment.objects.bulk_create(appointments, batch_size=1000)
        stats["campaigns"] += len(campaigns)
        stats["appointments"] += len(appointments)
        print(f"  {start + len(patients):,} patients", end="\r", flush=True)
    Campaign._meta.get_field("updated_at").auto_now = True
    print()
    return stats


def reset() -> int:
    """Remove what an earlier measurement created (its campaigns, their messages)."""
    new = Campaign.objects.filter(created_at=NOW)
    sent = list(Interaction.objects.filter(campaign__in=new).values_list("pk", flat=True))
    for start in range(0, len(sent), 500):
        OutboxMessage.objects.filter(interaction_id__in=sent[start : start + 500]).delete()
    removed, _ = new.delete()
    return removed


def measure(mode: str) -> dict:
    """One measured run (in a fresh process, the database reset by the parent): see the
    module docstring."""
    per_page: list[tuple[str, int, int, int]] = []
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with time_machine.travel(NOW, tick=True):
        if mode == "tracemalloc":
            tracemalloc.start()
            started = time.perf_counter()
            result = daily_trigger_run(now=NOW)
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            return {"mode": mode, "seconds": elapsed, "tracemalloc_peak_mb": peak / 2**20}
        executed = [0]
        created_by = [0.0]

        def count(execute, sql, params, many, context):
            executed[0] += 1  # every query, beyond the 9,000 Django's query log keeps
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count), CaptureQueriesContext(connection) as queries:
            marks = [0]

            def page_done(kind: str, patients: int) -> None:
                page = queries.captured_queries[marks[-1] :]
                inserts = sum(1 for q in page if q["sql"].lstrip().upper().startswith("INSERT"))
                per_page.append((kind, patients, len(page) - inserts, inserts))
                created_by[0] = time.perf_counter()
                marks.append(len(queries.captured_queries))

            started = time.perf_counter()
            result = daily_trigger_run(now=NOW, progress=page_done)
            elapsed = time.perf_counter() - started
        total_queries = executed[0]
    return {
        "mode": mode,
        "seconds": elapsed,
        "creation_seconds": created_by[0] - started,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "baseline_rss_mb": baseline_rss / 1024,
        "pages": len(per_page),
        # Per page of 1,000 patients: the reads (and savepoint) are the same on every page;
        # the campaigns go in one INSERT on PostgreSQL, in INSERTs of 999 parameters on
        # SQLite (Django's limit there), so at most a fixed number per page either way.
        "other_queries_per_page": {
            kind: sorted({q for k, n, q, _ in per_page if k == kind and n == 1000})
            for kind in ("recovery", "recall")
        },
        "insert_statements_per_page": [min(i for *_, i in per_page), max(i for *_, i in per_page)],
        "queries_total": total_queries,
        "counts": result.as_counts(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", choices=("timed", "tracemalloc"), help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3, help="Timed runs (default 3).")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0

    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    call_command("migrate", verbosity=0)
    if not Patient.objects.filter(email=MARKER_EMAIL).exists():
        started = time.perf_counter()
        stats = generate(random.Random(20261127))
        print(
            f"generated {PATIENTS:,} patients, {stats['campaigns']:,} campaigns, "
            f"{stats['appointments']:,} appointments in {time.perf_counter() - started:.1f} s"
        )
    print(
        f"population: {Patient.objects.count():,} patients "
        f"({Patient.objects.filter(patient_type=PatientType.COLD_LEAD).count():,} cold leads), "
        f"{Campaign.objects.exclude(created_at=NOW).count():,} campaigns before the trigger"
    )

    def child(mode: str) -> dict:
        reset()
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    timed = [child("timed") for _ in range(args.runs)]
    traced = child("tracemalloc")
    best = min(timed, key=lambda r: r["seconds"])
    counts = best["counts"]
    print(
        f"created: {counts['recovery_created']:,} recovery + {counts['recall_created']:,} recall; "
        f"skipped: {counts['skipped_appointment']:,} with an appointment, "
        f"{counts['skipped_no_address']:,} without an address; first messages: "
        f"{counts['sent']} sent, {counts['deferred']} deferred, {counts['failed']} failed"
    )
    seconds = [round(r["seconds"], 2) for r in timed]
    print(
        f"wall time: {seconds} s (target < 60 s); fastest: campaigns created in "
        f"{best['creation_seconds']:.1f} s, then the first proactive pass"
    )
    print(
        f"peak memory: {max(r['maxrss_mb'] for r in timed):.0f} MB ru_maxrss of the child "
        f"(of which {best['baseline_rss_mb']:.0f} MB before the run), "
        f"{traced['tracemalloc_peak_mb']:.1f} MB tracemalloc peak during the run "
        f"(target < 400 MB)"
    )
    print(
        f"queries: {best['pages']} pages of up to 1,000 patients; per full page "
        f"{best['other_queries_per_page']} reads and writes + "
        f"{best['insert_statements_per_page'][0]}-{best['insert_statements_per_page'][1]} "
        f"INSERT statements; {best['queries_total']:,} in all "
        f"(including the {counts['sent'] + counts['deferred'] + counts['failed']} agent runs)"
    )
    ok = (
        max(r["seconds"] for r in timed) < 60
        and max(r["maxrss_mb"] for r in timed) < 400
        and all(len(v) == 1 for v in best["other_queries_per_page"].values())
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
