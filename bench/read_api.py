# ruff: noqa: E402  (Django is set up before the project imports)
"""Benchmark of the two read endpoints with SPEC §9 targets, at SPEC §9's data sizes.

    GET /api/v1/availability         10 providers, 20,000 booked appointments   p50 < 50 ms
    GET /api/v1/admin/dashboard-stats 100,000 campaigns, 1,000,000 interactions  p50 < 250 ms

Usage (a separate database: it is filled with generated data):

    DATABASE_URL=sqlite:///var/bench.sqlite3 .venv/bin/python bench/read_api.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/read_api.py

The first run migrates and generates the data (bulk inserts, a few minutes); later runs reuse
it. Requests go through the whole Django stack in-process (URL routing, auth, serialisation)
with Django's test client; the numbers are server time without the network.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentalai.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, AppointmentSlot, ProviderSchedule, Service
from appointments.slots import slot_starts
from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from campaigns.status import is_active_status
from dentalai.auth import token_issue
from dentalai.choices import Channel, Role
from dentalai.models import User, new_object_id
from patients.choices import PatientType
from patients.models import Patient

PROVIDERS = 10
APPOINTMENTS = 20_000
CAMPAIGNS = 100_000
INTERACTIONS_PER_CAMPAIGN = 10
BATCH = 5_000
SERVICE_SLUG = "bench_cleaning"


def batched(rows, size=BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate_clinic(rng: random.Random, now: dt.datetime) -> None:
    """10 providers working Mon-Sat 08:00-18:00, one 60-minute service, 20,000 appointments
    spread over the year around now: the measured month is about as full as a busy clinic."""
    if Service.objects.filter(slug=SERVICE_SLUG).exists():
        return
    providers = [
        User(email=f"provider{i}@bench.example", name=f"Provider {i}", role=Role.DENTIST)
        for i in range(PROVIDERS)
    ]
    for provider in providers:
        provider.set_unusable_password()
    User.objects.bulk_create(providers)
    ProviderSchedule.objects.bulk_create(
        ProviderSchedule(provider=p, weekday=d, start_time=dt.time(8), end_time=dt.time(18))
        for p in providers
        for d in range(6)
    )
    service = Service.objects.create(slug=SERVICE_SLUG, name="Bench cleaning", duration_minutes=60)
    service.providers.set(providers)

    zone = ZoneInfo(settings.CLINIC_TIME_ZONE)
    patients = [
        Patient(id=new_object_id(), name=f"Booked Patient {i}", email=f"booked{i}@bench.example")
        for i in range(APPOINTMENTS)
    ]
    Patient.objects.bulk_create(patients, batch_size=BATCH)
    taken: set[tuple[str, dt.datetime]] = set()
    appointments, slots = [], []
    start_day = (now - dt.timedelta(days=182)).date()
    while len(appointments) < APPOINTMENTS:
        day = start_day + dt.timedelta(days=rng.randrange(365))
        if day.weekday() == 6:
            continue
        provider = rng.choice(providers)
        local = dt.datetime.combine(day, dt.time(8 + rng.randrange(10)), tzinfo=zone)
        start = local.astimezone(dt.UTC)
        if (provider.pk, start) in taken:
            continue
        taken.add((provider.pk, start))
        appointment = Appointment(
            id=new_object_id(),
            patient=patients[len(appointments)],
            provider=provider,
            service=service,
            appointment_date=start,
            duration_minutes=60,
            status=AppointmentStatus.BOOKED,
            created_from=CreatedFrom.MANUAL_ADMIN,
        )
        appointments.append(appointment)
        slots += [
            AppointmentSlot(appointment=appointment, provider=provider, start=s)
            for s in slot_starts(start, 60)
        ]
    Appointment.objects.bulk_create(appointments, batch_size=BATCH)
    AppointmentSlot.objects.bulk_create(slots, batch_size=BATCH)


def generate_campaigns(rng: random.Random, now: dt.datetime) -> None:
    """100,000 campaigns (one patient each) in every status, 10 messages each."""
    already = Campaign.objects.count()
    if already >= CAMPAIGNS:
        return
    statuses = list(CampaignStatus)
    for batch in batched(range(already, CAMPAIGNS)):
        patients = [
            Patient(
                id=new_object_id(),
                name=f"Lead {i}",
                email=f"lead{i}@bench.example",
                patient_type=PatientType.COLD_LEAD,
            )
            for i in batch
        ]
        Patient.objects.bulk_create(patients)
        campaigns = []
        for patient in patients:
            status = rng.choice(statuses)
            campaigns.append(
                Campaign(
                    id=new_object_id(),
                    patient=patient,
                    campaign_type=rng.choice(list(CampaignType)),
                    status=status,
                    is_active=is_active_status(status),
                    channel_type=rng.choice(list(Channel)),
                    estimated_value=rng.randrange(100, 5000),
                )
            )
        Campaign.objects.bulk_create(campaigns)
        interactions = []
        for campaign in campaigns:
            at = now - dt.timedelta(days=rng.randrange(1, 300))
            for k in range(INTERACTIONS_PER_CAMPAIGN):
                incoming = k % 2 == 1
                interactions.append(
                    Interaction(
                        id=new_object_id(),
                        patient_id=campaign.patient_id,
                        campaign=campaign,
                        direction=Direction.INCOMING if incoming else Direction.OUTGOING,
                        content="Benchmark message body of a realistic length for a reply.",
                        channel_type=campaign.channel_type,
                        delivery_status=DeliveryStatus.RECEIVED
                        if incoming
                        else DeliveryStatus.SENT,
                        timestamp=at + dt.timedelta(hours=k),
                    )
                )
        Interaction.objects.bulk_create(interactions, batch_size=BATCH)
        print(f"  campaigns {batch[-1] + 1:,}/{CAMPAIGNS:,}", flush=True)


def measure(client: Client, url: str, runs: int, **headers) -> list[float]:
    client.get(url, headers=headers)  # warm-up: caches, connections
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return times


def report(name: str, times: list[float], target_ms: float) -> bool:
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    verdict = "PASS" if p50 < target_ms else "FAIL"
    print(
        f"{name:<28} runs={len(times):<4} p50={p50:7.1f} ms  p95={p95:7.1f} ms  "
        f"target p50 < {target_ms:.0f} ms  {verdict}"
    )
    return p50 < target_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    rng = random.Random(20261127)
    now = timezone.now()
    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    generate_clinic(rng, now)
    generate_campaigns(rng, now)
    print(
        f"data ready in {time.perf_counter() - started:.1f} s: "
        f"{Appointment.objects.count():,} appointments, {Campaign.objects.count():,} campaigns, "
        f"{Interaction.objects.count():,} interactions"
    )

    manager, _ = User.objects.get_or_create(
        email="bench-manager@bench.example",
        defaults={"name": "Bench Manager", "role": Role.OFFICE_MANAGER},
    )
    client = Client()
    month = now.astimezone(ZoneInfo(settings.CLINIC_TIME_ZONE)).replace(day=1) + dt.timedelta(
        days=32
    )
    availability = (
        f"/api/v1/availability?month={month.month}&year={month.year}&service_id={SERVICE_SLUG}"
    )
    ok = report("GET /availability", measure(client, availability, args.runs), 50)
    ok &= report(
        "GET /admin/dashboard-stats",
        measure(
            client,
            "/api/v1/admin/dashboard-stats",
            args.runs,
            Authorization=f"Bearer {token_issue(manager)}",
        ),
        250,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
