"""Seed the demo clinic: its set-up, then every story acted through the product's services.

Safe to run again: a story whose patient exists is skipped, and each story runs in one
transaction, so an interrupted run leaves whole stories and the next run adds the missing ones
on the first run's clock (the manager's `date_joined`), where they fit the stored ones.
"""

import datetime as dt
from typing import TextIO

from django.db import models, transaction
from django.utils import timezone
from tqdm import tqdm

from agent.models import KnowledgeArticle
from appointments.models import (
    Appointment,
    AppointmentSlot,
    AsapRequest,
    ProviderSchedule,
    Service,
    TimeOff,
)
from campaigns.models import Campaign, Interaction
from demo.clinic import DEMO_MANAGER_EMAIL, DEMO_PASSWORD, clinic_set_up, demo_id
from demo.stories import Story, demo_plans
from dentalai.clinic_time import clinic_today
from dentalai.models import User
from messaging.models import OutboxMessage
from patients.models import Patient, TreatmentRecord

__all__ = ["DEMO_MANAGER_EMAIL", "DEMO_PASSWORD", "demo_counts", "demo_seed"]

MODELS: list[tuple[str, type[models.Model]]] = [
    ("staff", User),
    ("services", Service),
    ("provider schedules", ProviderSchedule),
    ("time off", TimeOff),
    ("knowledge articles", KnowledgeArticle),
    ("patients", Patient),
    ("treatment records", TreatmentRecord),
    ("campaigns", Campaign),
    ("interactions", Interaction),
    ("outbox messages", OutboxMessage),
    ("appointments", Appointment),
    ("appointment slots", AppointmentSlot),
    ("ASAP list entries", AsapRequest),
]


def demo_counts() -> dict[str, int]:
    """How many rows each demo model holds now (all rows, demo or not)."""
    return {label: model.objects.count() for label, model in MODELS}


def demo_anchor() -> dt.datetime | None:
    """The clock of the run that first seeded the demo, when there was one."""
    # The seed creates its manager under a derived id; an account made by hand has another.
    manager = User.objects.filter(pk=demo_id("user", DEMO_MANAGER_EMAIL))
    return manager.values_list("date_joined", flat=True).first()


def demo_seed(
    *, now: dt.datetime | None = None, progress: bool = False, stream: TextIO | None = None
) -> dict[str, int]:
    """Create the missing parts of the demo clinic; return how many rows of each model were
    created. Dates are relative to `now` (default: the first run's clock, else the present)."""
    now = (now or demo_anchor() or timezone.now()).replace(microsecond=0)
    before = demo_counts()
    with transaction.atomic():
        clinic = clinic_set_up(now=now, today=clinic_today(now))
    plans = demo_plans()
    told = set(
        Patient.objects.filter(phone__in=[p.person.phone for p in plans]).values_list(
            "phone", flat=True
        )
    )
    for plan in tqdm(plans, desc="Demo clinic", unit="patient", file=stream, disable=not progress):
        if plan.person.phone in told:
            continue
        # A transaction only makes a story whole on SQL databases; skipping by patient
        # keeps a second run from repeating one anyway.
        with transaction.atomic():
            Story(plan, clinic, now).act()
    after = demo_counts()
    return {label: after[label] - before[label] for label in after}
