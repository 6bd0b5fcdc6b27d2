"""Store the demo clinic: create what is missing, never touch what is there.

Every demo object has a stable primary key (or, for staff, services, schedules and articles, a
natural key), so a second run creates nothing and a run interrupted half-way is completed, not
duplicated. Rows are written with `bulk_create` in batches; the checks use plain `pk__in` /
field lookups, so the same code runs on SQLite, PostgreSQL and MongoDB.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TextIO

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from agent.models import KnowledgeArticle
from appointments.choices import AppointmentStatus
from appointments.models import (
    Appointment,
    AppointmentSlot,
    ProviderSchedule,
    Service,
    TimeOff,
)
from appointments.slots import slot_starts
from campaigns.choices import CampaignType
from campaigns.models import Campaign, Interaction
from demo import content as C
from demo.plan import Planner, demo_id, knowledge_articles, provider_schedules
from dentalai.models import User
from patients.models import Patient, TreatmentRecord

DEMO_MANAGER_EMAIL = "manager@demo.clinic"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - the published demo login
BATCH = 500
SLOTS_LABEL = "appointment slots"

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
    ("appointments", Appointment),
]


def _models() -> list[tuple[str, type[models.Model]]]:
    return [*MODELS, (SLOTS_LABEL, AppointmentSlot)]


def demo_counts() -> dict[str, int]:
    """How many rows each demo model holds now (all rows, demo or not)."""
    return {label: model.objects.count() for label, model in _models()}


def demo_anchor() -> dt.datetime | None:
    """The clock of the run that first seeded the demo, when there was one.

    Completing an interrupted run with that clock makes the missing rows fit the stored ones
    (the same days, the same free slots); a fresh database is seeded relative to now.
    """
    # The seed creates its manager under a derived id; an account made by hand has another.
    manager = User.objects.filter(pk=demo_id("user", DEMO_MANAGER_EMAIL))
    return manager.values_list("date_joined", flat=True).first()


def demo_seed(
    *, now: dt.datetime | None = None, progress: bool = False, stream: TextIO | None = None
) -> dict[str, int]:
    """Create the missing parts of the demo clinic; return how many rows of each model were
    created. Dates are relative to `now` (default: the first run's clock, else the present)."""
    now = (now or demo_anchor() or timezone.now()).replace(microsecond=0)
    seeder = _Seeder(now)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("staff", seeder.staff),
        ("services", seeder.services),
        ("schedules", seeder.schedules),
        ("knowledge base", seeder.knowledge_base),
        ("planning", seeder.plan),
        ("patients", seeder.patients),
        ("campaigns", seeder.campaigns),
        ("interactions", seeder.interactions),
        ("appointments", seeder.appointments),
    ]
    with tqdm(
        total=len(steps), desc="Demo clinic", unit="step", file=stream, disable=not progress
    ) as bar:
        for label, step in steps:
            bar.set_postfix_str(label)
            # A transaction only speeds up SQL backends here; every step is idempotent anyway.
            with transaction.atomic():
                step()
            bar.update()
    return {label: seeder.created.get(label, 0) for label, _ in _models()}


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _present(model: type[models.Model], ids: Iterable[str]) -> set[str]:
    ids = list(ids)
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(model.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


class _Seeder:
    def __init__(self, now: dt.datetime):
        self.now = now
        self.created: dict[str, int] = defaultdict(int)
        self.staff_by_key: dict[str, User] = {}
        self.services_by_slug: dict[str, Service] = {}
        self.planner: Planner | None = None
        self.patient_ids: set[str] = set()
        self.campaign_ids: set[str] = set()

    def _missing(self, model: type[models.Model], objs: list) -> list:
        there = _present(model, (o.pk for o in objs))
        return [o for o in objs if o.pk not in there]

    def _insert(self, label: str, model: type[models.Model], objs: list) -> None:
        if objs:
            model.objects.bulk_create(objs, batch_size=BATCH)
        self.created[label] += len(objs)

    def staff(self) -> None:
        emails = [email for _, email, _, _ in C.STAFF]
        existing = {u.email: u for u in User.objects.filter(email__in=emails)}
        for key, email, name, role in C.STAFF:
            user = existing.get(email)
            if user is None:
                user = User(
                    id=demo_id("user", email),
                    email=email,
                    name=name,
                    role=role,
                    date_joined=self.now,
                )
                user.set_password(DEMO_PASSWORD)
                user.save(force_insert=True)
                self.created["staff"] += 1
            self.staff_by_key[key] = user

    def services(self) -> None:
        slugs = [slug for slug, *_ in C.SERVICES]
        existing = {s.slug: s for s in Service.objects.filter(slug__in=slugs)}
        for slug, name, minutes, providers in C.SERVICES:
            service = existing.get(slug)
            if service is None:
                service = Service(
                    id=demo_id("service", slug), slug=slug, name=name, duration_minutes=minutes
                )
                service.save(force_insert=True)
                self.created["services"] += 1
            # add() skips the links that exist.
            service.providers.add(*(self.staff_by_key[key] for key in providers))
            self.services_by_slug[slug] = service

    def schedules(self) -> None:
        planned = provider_schedules(self.staff_by_key)
        taken = set(
            ProviderSchedule.objects.filter(
                provider__in=[s.provider_id for s in planned]
            ).values_list("provider_id", "weekday", "start_time")
        )
        missing = [s for s in planned if (s.provider_id, s.weekday, s.start_time) not in taken]
        self._insert("provider schedules", ProviderSchedule, missing)

    def knowledge_base(self) -> None:
        planned = knowledge_articles()
        titles = set(
            KnowledgeArticle.objects.filter(title__in=[a.title for a in planned]).values_list(
                "title", flat=True
            )
        )
        self._insert(
            "knowledge articles", KnowledgeArticle, [a for a in planned if a.title not in titles]
        )

    def plan(self) -> None:
        self.planner = Planner(
            now=self.now, staff=self.staff_by_key, services=self.services_by_slug
        ).plan()
        self._insert("time off", TimeOff, self._missing(TimeOff, self.planner.time_off))

    def patients(self) -> None:
        planner = self.planner
        missing = self._missing(Patient, planner.patients)
        # A patient added by hand may already use one of the demo's addresses or numbers.
        emails = [p.email for p in missing if p.email]
        phones = [p.phone for p in missing if p.phone]
        used_emails, used_phones = set(), set()
        for chunk in _chunks(emails):
            used_emails.update(
                Patient.objects.filter(email__in=chunk).values_list("email", flat=True)
            )
        for chunk in _chunks(phones):
            used_phones.update(
                Patient.objects.filter(phone__in=chunk).values_list("phone", flat=True)
            )
        missing = [p for p in missing if p.email not in used_emails and p.phone not in used_phones]
        self._insert("patients", Patient, missing)
        self.patient_ids = _present(Patient, (p.pk for p in planner.patients))

        treatments = [t for t in planner.treatments if t.patient_id in self.patient_ids]
        self._insert(
            "treatment records", TreatmentRecord, self._missing(TreatmentRecord, treatments)
        )

    def campaigns(self) -> None:
        planner = self.planner
        planned = [c for c in planner.campaigns if c.patient_id in self.patient_ids]
        missing = self._missing(Campaign, planned)
        # The database allows one active campaign per patient and one recall per due date:
        # leave out a demo campaign that a campaign created since the last run now blocks.
        patients = list({c.patient_id for c in missing})
        active, recalls = set(), set()
        for chunk in _chunks(patients):
            rows = Campaign.objects.filter(patient_id__in=chunk).filter(
                Q(is_active=True) | Q(campaign_type=CampaignType.RECALL)
            )
            for patient_id, is_active, ctype, due in rows.values_list(
                "patient_id", "is_active", "campaign_type", "recall_due_date"
            ):
                if is_active:
                    active.add(patient_id)
                if ctype == CampaignType.RECALL:
                    recalls.add((patient_id, due))
        missing = [
            c
            for c in missing
            if not (c.is_active and c.patient_id in active)
            and not (
                c.campaign_type == CampaignType.RECALL
                and (c.patient_id, c.recall_due_date) in recalls
            )
        ]
        self._insert("campaigns", Campaign, missing)
        # bulk_create stamps updated_at with the present; the list orders by last activity.
        for campaign in missing:
            Campaign.objects.filter(pk=campaign.pk).update(
                updated_at=planner.campaign_updated_at[campaign.pk]
            )
        self.campaign_ids = _present(Campaign, (c.pk for c in planner.campaigns))

    def interactions(self) -> None:
        planned = [i for i in self.planner.interactions if i.campaign_id in self.campaign_ids]
        self._insert("interactions", Interaction, self._missing(Interaction, planned))

    def appointments(self) -> None:
        planned = [a for a in self.planner.appointments if a.patient_id in self.patient_ids]
        missing = self._missing(Appointment, planned)
        for appointment in missing:
            if appointment.campaign_id not in self.campaign_ids:
                appointment.campaign = None
        # Leave out a demo visit that would overlap one booked since the last run.
        if missing:
            mine = {a.pk for a in planned}
            starts = [a.appointment_date for a in missing]
            booked = defaultdict(list)
            rows = Appointment.objects.filter(
                provider__in=list({a.provider_id for a in missing}),
                appointment_date__gte=min(starts) - dt.timedelta(days=1),
                appointment_date__lte=max(starts) + dt.timedelta(days=1),
            ).exclude(status=AppointmentStatus.CANCELLED)
            for pk, provider_id, start, minutes in rows.values_list(
                "pk", "provider_id", "appointment_date", "duration_minutes"
            ):
                if pk not in mine:
                    booked[provider_id].append((start, start + dt.timedelta(minutes=minutes)))
            missing = [
                a
                for a in missing
                if a.status == AppointmentStatus.CANCELLED
                or all(a.ends_at <= s or a.appointment_date >= e for s, e in booked[a.provider_id])
            ]
        self._insert("appointments", Appointment, missing)
        self.hold_slots({a.pk for a in planned})

    def hold_slots(self, appointment_ids: set[str]) -> None:
        """The grid units that keep the time of a stored, not cancelled demo visit taken
        (SPEC §3.4)."""
        slots = []
        for chunk in _chunks(sorted(appointment_ids)):
            rows = (
                Appointment.objects.filter(pk__in=chunk)
                .exclude(status=AppointmentStatus.CANCELLED)
                .exclude(provider=None)
                .values_list("pk", "provider_id", "appointment_date", "duration_minutes")
            )
            for pk, provider_id, start, minutes in rows:
                slots += [
                    AppointmentSlot(
                        id=demo_id("slot", f"{pk}:{k}"),
                        appointment_id=pk,
                        provider_id=provider_id,
                        start=unit_start,
                    )
                    for k, unit_start in enumerate(slot_starts(start, minutes))
                ]
        missing = self._missing(AppointmentSlot, slots)
        if missing:
            # A unit held under another id (a visit moved since the last run) stays as it is.
            taken = set(
                AppointmentSlot.objects.filter(
                    provider__in=list({s.provider_id for s in missing}),
                    start__gte=min(s.start for s in missing),
                    start__lte=max(s.start for s in missing),
                ).values_list("provider_id", "start")
            )
            missing = [s for s in missing if (s.provider_id, s.start) not in taken]
        self._insert(SLOTS_LABEL, AppointmentSlot, missing)
