"""The demo's patients and what happened to them, acted out through the product itself.

Each story is one patient: it travels (time-machine) to the moments its script names and calls
the services a clinic's day calls — the daily trigger's campaign start, the agent's proactive
path, a reply arriving through the inbound door to the agent, the booking page, staff replies
and status changes, visits booked, completed and cancelled, opt-outs. So the demo shows what the
product really writes and does; nothing here writes a message or a status itself.

A story draws from its own generator (seeded by its number), so which patients exist and what
they say does not depend on the date or on the other stories; which slots are free does.
Imported treatment history is the one thing written directly: it comes from the practice-
management system, not from this product.
"""

import datetime as dt
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from agent.services import agent_run_proactive
from appointments.asap import asap_join
from appointments.availability import day_offered
from appointments.booking_links import booking_token_make
from appointments.choices import AsapSource
from appointments.models import Appointment
from appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_create_manual,
)
from campaigns.choices import CampaignStatus as S
from campaigns.choices import CampaignType
from campaigns.models import Campaign
from campaigns.triggers import campaign_start
from demo import content as C
from demo.clinic import Clinic
from dentalai.choices import Channel
from dentalai.clinic_time import clinic_zone, local_datetime
from messaging.inbound import InboundMessage
from messaging.policy import next_window_start
from messaging.replies import inbound_handle
from messaging.staff import campaign_respond
from patients.choices import PatientType
from patients.contact import normalize_phone
from patients.models import Patient, TreatmentRecord
from patients.optout import patient_opt_out
from patients.services import patient_get_or_create

SEED = 20250917
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)

# How many campaigns end in each status, per type. Every status appears in both types.
RECALL_MIX = {
    S.ATTEMPTING_RECOVERY: 14,
    S.RE_ENGAGED: 7,
    S.HANDOFF_REQUIRED: 4,
    S.BOOKING_INITIATED: 5,
    S.RECOVERED: 16,
    S.RECOVERY_FAILED: 6,
    S.RECOVERY_DECLINED: 4,
    S.MANUAL_FOLLOWUP_COMPLETE: 3,
    S.BOOKING_COMPLETED: 3,
}
RECOVERY_MIX = {
    S.ATTEMPTING_RECOVERY: 12,
    S.RE_ENGAGED: 8,
    S.HANDOFF_REQUIRED: 5,
    S.BOOKING_INITIATED: 6,
    S.RECOVERED: 10,
    S.RECOVERY_FAILED: 8,
    S.RECOVERY_DECLINED: 6,
    S.MANUAL_FOLLOWUP_COMPLETE: 3,
    S.BOOKING_COMPLETED: 2,
}
# Patients without a campaign of their own now.
OTHER_STORIES = {
    "regular": 40,  # existing patients, not due yet
    "due": 12,  # due today or overdue: the daily trigger's work
    "opted_out": 3,
    "new_lead": 14,  # leads not contacted yet
    "cooled_lead": 5,  # a recovery that failed long ago: eligible again
    "retry_lead": 4,  # ... and one being tried again now
}
# Of the declines, how many are an opt-out (every third one).
OPT_OUT_EVERY = 3
# Of the patients with a visit ahead, or due and not booked, which are on the ASAP list (every
# second one), and the hours that suit them (none: any).
ASAP_EVERY = 2
ASAP_HOURS = ((None, None), (dt.time(8), dt.time(12)), (dt.time(13), dt.time(17, 30)))
# What a visit often leads to, booked for the following weeks.
TREATMENTS = ("tooth_filling", "tooth_filling", "porcelain_crown", "teeth_whitening", "cleaning")
# When a campaign ending in each status started: (min, max) days ago.
START_DAYS_AGO = {
    S.RE_ENGAGED: (2, 18),
    S.HANDOFF_REQUIRED: (0, 5),
    S.BOOKING_INITIATED: (3, 20),
    S.BOOKING_COMPLETED: (3, 15),
    S.RECOVERED: (35, 170),
    S.RECOVERY_FAILED: (20, 120),
    S.RECOVERY_DECLINED: (5, 120),
    S.MANUAL_FOLLOWUP_COMPLETE: (10, 90),
}


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str
    channels: tuple[str, ...]  # the first is the one a campaign uses

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class Plan:
    number: int
    kind: str  # RECALL, RECOVERY or one of OTHER_STORIES
    status: str | None  # where a campaign story ends
    person: Person


def demo_plans() -> list[Plan]:
    """Every story and its patient, in a fixed order."""
    rng = random.Random(SEED)  # noqa: S311 - deterministic demo data, not security
    kinds = [
        (ctype, status)
        for ctype, mix in ((CampaignType.RECALL, RECALL_MIX), (CampaignType.RECOVERY, RECOVERY_MIX))
        for status, count in mix.items()
        for _ in range(count)
    ]
    kinds += [(kind, None) for kind, count in OTHER_STORIES.items() for _ in range(count)]
    rng.shuffle(kinds)
    cast = _Cast(rng)
    plans = []
    for number, (kind, status) in enumerate(kinds):
        # Channels in turn within each (type, status), so every status shows every channel.
        turns = status or kind in ("cooled_lead", "retry_lead")
        channel = cast.channel_turn((kind, status)) if turns else None
        plans.append(Plan(number, kind, status, cast.person(channel)))
    return plans


class _Cast:
    """Unique names, addresses and fictional numbers (555-0100..0199)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.turns: dict[object, int] = {}

    def channel_turn(self, group: object) -> str:
        turn = self.turns.setdefault(group, len(self.turns))
        self.turns[group] += 1
        return CHANNELS[turn % len(CHANNELS)]

    def person(self, channel: str | None) -> Person:
        rng = self.rng
        while (name := f"{rng.choice(C.FIRST_NAMES)} {rng.choice(C.LAST_NAMES)}") in self.names:
            pass
        self.names.add(name)
        has_email = channel == Channel.EMAIL or rng.random() > 0.08
        email = self._email(name) if has_email else ""
        phone = self._phone()
        others = [c for c in CHANNELS if c != channel and (has_email or c != Channel.EMAIL)]
        rng.shuffle(others)
        if channel is None:
            channels = others[: rng.randint(1, len(others))]
        else:
            channels = [channel, *others[: rng.randint(0, len(others))]]
        return Person(name, email, phone, tuple(str(c) for c in channels))

    def _phone(self) -> str:
        while True:
            raw = f"+1{self.rng.choice(C.AREA_CODES)}555{self.rng.randint(100, 199):04d}"
            try:
                phone = normalize_phone(raw)
            except ValidationError:
                continue
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _email(self, name: str) -> str:
        first, last = (re.sub(r"[^a-z]", "", part.lower()) for part in name.split(maxsplit=1))
        while True:
            local = self.rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}"])
            if self.rng.random() < 0.3:
                local += str(self.rng.randint(2, 99))
            email = f"{local}@{self.rng.choice(C.EMAIL_DOMAINS)}"
            if email not in self.emails:
                self.emails.add(email)
                return email


class Story:
    """One patient's story, acted at the moments it names. `self.t` is the story's clock."""

    def __init__(self, plan: Plan, clinic: Clinic, now: dt.datetime):
        self.plan, self.person, self.clinic = plan, plan.person, clinic
        self.rng = random.Random(f"{SEED}:{plan.number}")  # noqa: S311
        self.now = now
        self.zone = clinic_zone()
        self.today = now.astimezone(self.zone).date()
        self.t = now
        self.messages = 0
        self.patient: Patient | None = None

    def act(self) -> None:
        if self.plan.status:
            self.campaign_story(self.plan.kind, self.plan.status)
        else:
            getattr(self, f"{self.plan.kind}_story")()

    # --- the clock -------------------------------------------------------------------------

    @contextmanager
    def moment(self, at: dt.datetime | None = None) -> Iterator[None]:
        """Run what follows at `at` (default: the story's clock), which becomes the clock."""
        self.t = at or self.t
        # Ticking, so that a reply and the agent's answer keep their order.
        with time_machine.travel(self.t, tick=True):
            yield
        self.t += dt.timedelta(seconds=self.rng.randint(20, 90))

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)

    def clock(self, day: dt.date, lo: str = "09:05", hi: str = "11:40") -> dt.datetime:
        """A random time between `lo` and `hi` on clinic day `day`."""
        start, end = (local_datetime(day, dt.time.fromisoformat(x), self.zone) for x in (lo, hi))
        return start + dt.timedelta(minutes=self.rng.randint(0, int((end - start).seconds // 60)))

    def days_ago(self, lo: int, hi: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(lo, hi))

    def patient_writes_after(self, lo: int = 4, hi: int = 600) -> dt.datetime:
        """When the patient answers: minutes to hours later, never in the middle of the night."""
        t = self.local(self.t + dt.timedelta(minutes=self.rng.randint(lo, hi)))
        if not dt.time(7, 30) <= t.time() <= dt.time(21, 30):
            day = t.date() + dt.timedelta(days=t.time() > dt.time(21, 30))
            t = self.local(self.clock(day, "07:30", "09:30"))
        return min(t, self.local(self.now - dt.timedelta(minutes=1)))

    def staff_answer_after(self) -> dt.datetime:
        """When the front office gets to it: weekdays 8:30-17:30, Saturdays until noon."""
        t = self.local(self.t + dt.timedelta(minutes=self.rng.randint(20, 240)))
        closes = dt.time(12) if t.weekday() == 5 else dt.time(17, 30)
        if t.weekday() == 6 or not dt.time(8, 30) <= t.time() <= closes:
            day = t.date() + dt.timedelta(days=t.time() > dt.time(8, 30))
            day += dt.timedelta(days=day.weekday() == 6)
            t = self.local(self.clock(day, "09:00", "10:30"))
        return min(t, self.local(self.now - dt.timedelta(minutes=1)))

    def first_send(self, day: dt.date) -> dt.datetime:
        """A morning of `day`, or when the send window next opens, but not after now."""
        while (start := next_window_start(self.clock(day))) > self.now:
            day -= dt.timedelta(days=1)
        return start

    # --- people ----------------------------------------------------------------------------

    def enrol(self, patient_type: str, *, at: dt.datetime, inquiry: str = "") -> Patient:
        person = self.person
        with self.moment(at):
            self.patient, _ = patient_get_or_create(
                name=person.name,
                email=person.email,
                phone=person.phone,
                patient_type=patient_type,
                preferred_channels=list(person.channels),
                initial_inquiry=inquiry,
            )
        return self.patient

    def history(self, follow_up: tuple, *, last_visit: dt.date, due: dt.date) -> None:
        """Treatment records imported from the practice system, ending with `follow_up` on
        `last_visit`, due again on `due`."""
        records = [(last_visit, follow_up, due)]
        self.t = min(self.t, local_datetime(last_visit, dt.time(18), self.zone))
        day = last_visit
        for _ in range(self.rng.randint(0, 3)):
            day -= dt.timedelta(days=self.rng.randint(150, 400))
            past = self.follow_up()
            records.append((day, past, day + dt.timedelta(days=past[2])))
        with self.moment():
            for day, (procedure, recommended, *_), next_date in reversed(records):
                TreatmentRecord.objects.create(
                    patient=self.patient,
                    procedure_name=procedure,
                    procedure_date=day,
                    next_recommended_follow_up=recommended,
                    next_follow_up_date=next_date,
                )
            Patient.objects.filter(pk=self.patient.pk).update(
                next_follow_up_date=due, next_recommended_follow_up=follow_up[1]
            )
        self.patient.refresh_from_db()

    def follow_up(self) -> tuple:
        return self.rng.choices(C.FOLLOW_UPS, weights=[f[-1] for f in C.FOLLOW_UPS])[0]

    def money(self, lo: int, hi: int) -> Decimal:
        return Decimal(lo + 5 * self.rng.randint(0, (hi - lo) // 5))

    # --- conversations ---------------------------------------------------------------------

    def start_campaign(
        self, ctype: str, *, at: dt.datetime, value: Decimal, due: dt.date | None = None
    ) -> Campaign:
        """Started as the daily trigger starts it, and its first message sent."""
        with self.moment(at):
            campaign = campaign_start(self.patient, ctype, now=timezone.now(), value=value, due=due)
            agent_run_proactive(campaign_id=campaign.pk)
        return campaign

    def follow_ups(self, campaign: Campaign, *, until: dt.datetime, most: int = 99) -> None:
        """The follow-up job, as it finds this campaign due (it runs every few minutes)."""
        for _ in range(most):
            campaign.refresh_from_db()
            due = campaign.next_attempt_at
            if campaign.status != S.ATTEMPTING_RECOVERY or due is None or due > until:
                return
            with self.moment(due + dt.timedelta(minutes=self.rng.randint(1, 5))):
                agent_run_proactive(campaign_id=campaign.pk)

    def reply(self, campaign: Campaign, text: str, *, lo: int = 4, hi: int = 600) -> None:
        """The patient's message arrives (as the webhook drain hands it over)."""
        campaign.refresh_from_db()
        channel = campaign.channel_type
        if channel == Channel.EMAIL and len(text) > 12:
            text = f"{text}\n\n{self.person.first_name}"
        self.messages += 1
        inbound = InboundMessage(
            channel=channel,
            thread_id=campaign.thread_id,
            text=text,
            external_id=f"demo-{self.plan.number}-{self.messages}",
            sender=self.person.email if channel == Channel.EMAIL else self.person.phone,
        )
        with self.moment(self.patient_writes_after(lo, hi)):
            inbound_handle(inbound)
        campaign.refresh_from_db()

    def staff_reply(self, campaign: Campaign, text: str, who: str, status: str | None) -> None:
        campaign.refresh_from_db()
        author = self.clinic.staff[who]
        intro = f"Hi {self.person.first_name}, this is {author.name.split()[0]}."
        with self.moment(self.staff_answer_after()):
            campaign_respond(
                actor=author, campaign=campaign, message=f"{intro} {text}", new_status=status
            )
        campaign.refresh_from_db()

    def wants_to_book(self, campaign: Campaign) -> None:
        """A yes, or a question first; the agent answers and sends the link."""
        if self.rng.random() < 0.35:
            self.reply(campaign, self.rng.choice(C.QUESTIONS))
        else:
            self.reply(campaign, self.rng.choice(C.BOOKING_REPLIES))

    def hands_off(self, campaign: Campaign) -> tuple:
        handoff = self.rng.choice(C.HANDOFFS)
        self.reply(campaign, handoff[0])
        return handoff

    # --- visits ----------------------------------------------------------------------------

    def free_start(
        self, slug: str, earliest: dt.datetime, latest: dt.datetime
    ) -> dt.datetime | None:
        """A time the booking page offers for the service between the two, on a random day."""
        service = self.clinic.services[slug]
        length = dt.timedelta(minutes=service.duration_minutes)
        first = self.local(earliest).date()
        days = (self.local(latest).date() - first).days + 1
        offset = self.rng.randrange(max(days, 1))
        for i in range(max(days, 0)):
            day = first + dt.timedelta(days=(offset + i) % days)
            starts = [
                start
                for start in day_offered(service, day=day, now=self.t)
                if earliest <= start and start + length <= latest
            ]
            if starts:
                return self.rng.choice(sorted(starts))
        return None

    def books_online(
        self, campaign: Campaign, slug: str, *, latest: dt.datetime, before_now: bool = False
    ) -> Appointment | None:
        """The patient opens the link and books the first day that has a time."""
        with self.moment(self.patient_writes_after(3, 600)):
            earliest = self.t + dt.timedelta(days=1)
            if not before_now:
                earliest = max(earliest, self.now + dt.timedelta(hours=3))
            start = self.free_start(slug, earliest, latest)
            if start is None:
                return None
            return appointment_book(
                service=self.clinic.services[slug],
                appointment_date=start,
                token=booking_token_make(campaign),
            ).appointment

    def books_by_phone(
        self, slug: str, *, at: dt.datetime, earliest: dt.datetime, latest: dt.datetime
    ) -> Appointment | None:
        """The front desk books a visit the patient asked for at `at`."""
        with self.moment(at):
            start = self.free_start(slug, max(earliest, self.t), latest)
            if start is None:
                return None
            return appointment_create_manual(
                actor=self.clinic.staff["front_desk"],
                service=self.clinic.services[slug],
                appointment_date=start,
                name=self.person.name,
                email=self.person.email,
                phone=self.person.phone,
                notes=self.rng.choice(C.MANUAL_NOTES),
            )

    def visit_happens(self, visit: Appointment, follow_up: tuple) -> None:
        """Completed by the front desk after the visit, when that is in the past."""
        done = visit.ends_at + dt.timedelta(minutes=self.rng.randint(5, 90))
        if done >= self.now:
            return
        next_date = self.local(visit.appointment_date).date() + dt.timedelta(days=follow_up[2])
        with self.moment(done):
            appointment_complete(
                actor=self.clinic.staff["front_desk"],
                appointment_id=visit.pk,
                next_follow_up_date=next_date,
            )

    def treatment_visit(self) -> None:
        """Treatment the dentist found, booked by the front desk for the coming weeks."""
        soon = self.now + dt.timedelta(hours=3)
        at = self.now - dt.timedelta(days=self.rng.randint(1, 10))
        slug = self.rng.choice(TREATMENTS)
        self.books_by_phone(slug, at=at, earliest=soon, latest=soon + dt.timedelta(days=24))

    def joins_asap_list(self, visit: Appointment | None = None, service_slug: str = "") -> None:
        """On the ASAP list: to bring `visit` forward (asked at the front desk or from the
        visit's page), or, with no visit, from the booking page when no time suited."""
        if visit is not None:
            source = AsapSource.STAFF if self.plan.number % 4 == 0 else AsapSource.VISIT_PAGE
            service = visit.service
        else:
            source, service = AsapSource.BOOKING_PAGE, self.clinic.services[service_slug]
        days = sorted(self.rng.sample(range(5), self.rng.randint(2, 5)))
        earliest, latest = self.rng.choice(ASAP_HOURS)
        with self.moment(self.now - dt.timedelta(hours=self.rng.randint(2, 24 * 10))):
            asap_join(
                patient=self.patient,
                service=service,
                source=source,
                weekdays=days,
                earliest=earliest,
                latest=latest,
                appointment=visit,
            )

    # --- stories ---------------------------------------------------------------------------

    def campaign_story(self, ctype: str, status: str) -> None:
        if ctype == CampaignType.RECALL:
            follow_up = self.follow_up()
            slug, value = follow_up[3], self.money(*follow_up[4])
        else:
            inquiry, _, slug, value_range = self.rng.choice(C.INQUIRIES)
            value = self.money(*value_range)
            follow_up = C.FOLLOW_UPS[0]  # a new patient's first visit: a cleaning and checkup
        interval = settings.FOLLOW_UP_INTERVAL_DAYS
        if status == S.ATTEMPTING_RECOVERY:
            lo, hi = 0, int(interval * (settings.CAMPAIGN_MAX_ATTEMPTS - 1))
        else:
            lo, hi = START_DAYS_AGO[status]
        start = self.first_send(self.days_ago(lo, hi))
        due = None
        if ctype == CampaignType.RECALL:
            due = self.local(start).date() - dt.timedelta(days=self.rng.randint(0, 2))
            self.enrol(PatientType.EXISTING, at=start - dt.timedelta(days=400))
            last_visit = due - dt.timedelta(days=follow_up[2] + self.rng.randint(-4, 4))
            self.history(follow_up, last_visit=last_visit, due=due)
        else:
            lead_in = dt.timedelta(hours=self.rng.randint(1, 40))
            self.enrol(PatientType.COLD_LEAD, at=start - lead_in, inquiry=inquiry)
        campaign = self.start_campaign(ctype, at=start, value=value, due=due)
        if status in (S.ATTEMPTING_RECOVERY, S.RECOVERY_FAILED):
            self.follow_ups(campaign, until=self.now)
            return
        # Some answer the first message, some a follow-up.
        self.follow_ups(campaign, until=self.now, most=self.rng.choice([0, 0, 1]))
        self.conversation(campaign, status, slug, follow_up)

    def conversation(self, campaign: Campaign, status: str, slug: str, follow_up: tuple) -> None:
        if status == S.RECOVERY_DECLINED:
            self.reply(campaign, self._decline())
        elif status in (S.HANDOFF_REQUIRED, S.MANUAL_FOLLOWUP_COMPLETE):
            _, answer, who = self.hands_off(campaign)
            if status == S.MANUAL_FOLLOWUP_COMPLETE:
                self.staff_reply(campaign, answer, who, S.MANUAL_FOLLOWUP_COMPLETE)
        elif status == S.RECOVERED and self.rng.random() < 0.25:
            # Taken over by staff, who book by phone.
            _, answer, who = self.hands_off(campaign)
            self.staff_reply(campaign, answer, who, None)
            latest = self.t + dt.timedelta(days=21)
            visit = self.books_by_phone(
                slug, at=self.t, earliest=self.t, latest=min(latest, self.now)
            )
            if visit:
                self.visit_happens(visit, follow_up)
        else:
            self.wants_to_book(campaign)
            if status == S.RE_ENGAGED:
                return
            past = status == S.RECOVERED
            latest = self.t + dt.timedelta(days=21) if past else self.now + dt.timedelta(days=30)
            visit = self.books_online(
                campaign, slug, latest=min(latest, self.now) if past else latest, before_now=past
            )
            if visit and status == S.BOOKING_COMPLETED:
                when = f"{self.local(visit.appointment_date):%A, %B %-d at %-I:%M %p}"
                self.staff_reply(campaign, C.STAFF_CONFIRM.format(when=when), "front_desk", status)
            elif visit and past:
                self.visit_happens(visit, follow_up)
                if self.rng.random() < 0.35:
                    self.treatment_visit()

    def _decline(self) -> str:
        if self.plan.number % OPT_OUT_EVERY == 0:
            return self.rng.choice(C.OPT_OUTS)
        return self.rng.choice(C.DECLINES)

    def regular_story(self) -> None:
        """An existing patient, not due yet: past visits, maybe one today or soon."""
        follow_up = self.follow_up()
        interval, slug = follow_up[2], follow_up[3]
        due = self.today + dt.timedelta(days=self.rng.randint(1, interval - 7))
        last_visit = due - dt.timedelta(days=interval)
        self.enrol(PatientType.EXISTING, at=self.now - dt.timedelta(days=interval + 400))
        if last_visit >= self.today - dt.timedelta(days=150):
            # Recent enough to be on the clinic's calendar.
            target = local_datetime(last_visit, dt.time(0), self.zone)
            visit = self.books_by_phone(
                slug,
                at=target - dt.timedelta(days=self.rng.randint(5, 40)),
                earliest=target - dt.timedelta(days=4),
                latest=min(target + dt.timedelta(days=4), self.now),
            )
            if visit:
                self.visit_happens(visit, follow_up)
                last_visit = self.local(visit.appointment_date).date()
        self.history(follow_up, last_visit=last_visit, due=due)
        roll = self.rng.random()
        if roll < 0.15:
            # Seen today, or about to be.
            opening = local_datetime(self.today, dt.time(7), self.zone)
            visit = self.books_by_phone(
                slug,
                at=opening - dt.timedelta(days=self.rng.randint(3, 30)),
                earliest=opening,
                latest=opening + dt.timedelta(hours=13),
            )
            if visit:
                self.visit_happens(visit, follow_up)
        elif roll < 0.85 and (due - self.today).days <= 75:
            start = local_datetime(max(due - dt.timedelta(days=5), self.today), dt.time(0))
            visit = self.books_by_phone(
                slug,
                at=self.now - dt.timedelta(days=self.rng.randint(1, 30)),
                earliest=max(start, self.now + dt.timedelta(hours=3)),
                latest=start + dt.timedelta(days=14),
            )
            if visit and self.plan.number % ASAP_EVERY == 0:
                self.joins_asap_list(visit)
        elif roll >= 0.55:
            self.treatment_visit()
        if self.rng.random() < 0.25:
            # A visit booked and then cancelled.
            booked_at = self.now - dt.timedelta(days=self.rng.randint(20, 70))
            visit = self.books_by_phone(
                slug,
                at=booked_at,
                earliest=booked_at + dt.timedelta(days=2),
                latest=booked_at + dt.timedelta(days=60),
            )
            if visit:
                cancelled = min(visit.appointment_date, self.now) - dt.timedelta(days=1)
                with self.moment(max(cancelled, booked_at + dt.timedelta(hours=1))):
                    appointment_cancel(
                        actor=self.clinic.staff["front_desk"], appointment_id=visit.pk
                    )

    def due_story(self) -> None:
        follow_up = self.follow_up()
        due = self.today if self.plan.number % 4 == 0 else self.days_ago(1, 25)
        self.enrol(PatientType.EXISTING, at=self.now - dt.timedelta(days=follow_up[2] + 400))
        self.history(follow_up, last_visit=due - dt.timedelta(days=follow_up[2]), due=due)
        if self.plan.number % ASAP_EVERY == 0:
            self.joins_asap_list(service_slug=follow_up[3])

    def opted_out_story(self) -> None:
        follow_up = self.follow_up()
        due = self.today + dt.timedelta(days=self.rng.randint(-40, 60))
        last_visit = min(due - dt.timedelta(days=follow_up[2]), self.today - dt.timedelta(days=30))
        self.enrol(PatientType.EXISTING, at=self.now - dt.timedelta(days=follow_up[2] + 400))
        self.history(follow_up, last_visit=last_visit, due=due)
        with self.moment(self.clock(self.days_ago(20, 200), "10:00", "17:00")):
            patient_opt_out(patient=self.patient)

    def new_lead_story(self) -> None:
        inquiry = self.rng.choice(C.INQUIRIES)[0]
        at = self.now - dt.timedelta(minutes=self.rng.randint(10, 60 * 48))
        self.enrol(PatientType.COLD_LEAD, at=at, inquiry=inquiry)

    def cooled_lead_story(self, *, retry: bool = False) -> None:
        inquiry, _, _, value_range = self.rng.choice(C.INQUIRIES)
        start = self.first_send(self.days_ago(220, 400))
        self.enrol(PatientType.COLD_LEAD, at=start - dt.timedelta(hours=3), inquiry=inquiry)
        old = self.start_campaign(CampaignType.RECOVERY, at=start, value=self.money(*value_range))
        self.follow_ups(old, until=self.now)
        if retry:
            again = self.first_send(self.days_ago(0, 2))
            campaign = self.start_campaign(
                CampaignType.RECOVERY, at=again, value=self.money(*value_range)
            )
            self.follow_ups(campaign, until=self.now)

    def retry_lead_story(self) -> None:
        self.cooled_lead_story(retry=True)
