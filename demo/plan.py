"""The demo clinic's patients and their stories, planned in memory as unsaved model instances.

Planning touches no database: `demo.seed` decides what is missing and stores it. Every
object gets a primary key derived from a stable name (`demo_id`), so a second run recognises
what the first one stored. The stories come from one seeded `random.Random` and do not depend on
the date; the calendar has its own generator, because which slots are free does.

Times are planned as naive datetimes on the clinic's wall clock and converted to UTC when a
model instance is made.
"""

import datetime as dt
import hashlib
import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

from agent.models import KnowledgeArticle
from appointments.booking_links import booking_link_url
from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, ProviderSchedule, Service, TimeOff
from campaigns.choices import BookingStatus, CampaignType, DeliveryStatus, Direction, MessageKind
from campaigns.choices import CampaignStatus as S
from campaigns.models import Campaign, Interaction
from campaigns.status import is_active_status
from demo import content as C
from dentalai.choices import Channel
from dentalai.models import User
from patients.choices import PatientType
from patients.contact import normalize_phone
from patients.models import Patient, TreatmentRecord

SEED = 20250917
NAMESPACE = "dentalai-demo"
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)
FOLLOW_UP_INTERVAL = dt.timedelta(days=3)
SLOT = dt.timedelta(minutes=15)
UTC = dt.UTC

# How many campaigns of each status, per type. Every status appears in both types.
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
# Patients without a current campaign story.
OTHER_STORIES = {
    "regular": 40,  # existing patients, not due yet
    "due": 12,  # existing patients due today or overdue: the daily trigger's work
    "opted_out": 3,
    "new_lead": 14,  # leads not contacted yet
    "cooled_lead": 5,  # a recovery that failed long ago: eligible again
    "retry_lead": 4,  # ... and one being tried again now
}
OPT_OUTS = {CampaignType.RECALL: 1, CampaignType.RECOVERY: 2}
# What a visit often leads to, booked for the following weeks.
TREATMENTS = ("tooth_filling", "tooth_filling", "porcelain_crown", "teeth_whitening", "cleaning")

# When the first message of a campaign in each status went out: (min, max) days ago.
START_DAYS_AGO = {
    S.RE_ENGAGED: (2, 18),
    S.HANDOFF_REQUIRED: (0, 5),
    S.BOOKING_INITIATED: (3, 20),
    S.BOOKING_COMPLETED: (3, 15),
    S.RECOVERED: (35, 170),
    S.RECOVERY_FAILED: (12, 120),
    S.RECOVERY_DECLINED: (5, 120),
    S.MANUAL_FOLLOWUP_COMPLETE: (10, 90),
}


def demo_id(kind: str, key: object) -> str:
    """A stable 24-hex primary key for the demo object named `kind`/`key`."""
    return hashlib.sha256(f"{NAMESPACE}:{kind}:{key}".encode()).hexdigest()[:24]


def booking_link(campaign_id: str) -> str:
    # The real, signed link (valid BOOKING_LINK_MAX_AGE_DAYS from the seeding), so that the
    # demo's booking page opens from it.
    return booking_link_url(Campaign(pk=campaign_id))


def clinic_texts() -> dict[str, str]:
    return {
        "clinic": settings.CLINIC_NAME,
        "address": settings.CLINIC_POSTAL_ADDRESS,
        "phone": C.CLINIC_PHONE,
        "emergency_phone": C.CLINIC_EMERGENCY_PHONE,
    }


def knowledge_articles() -> list[KnowledgeArticle]:
    texts = clinic_texts()
    return [
        KnowledgeArticle(id=demo_id("article", title), title=title, body=body.format(**texts))
        for title, body in C.KNOWLEDGE_BASE
    ]


def provider_schedules(staff: dict[str, User]) -> list[ProviderSchedule]:
    return [
        ProviderSchedule(
            id=demo_id("schedule", f"{key}:{day}:{start}"),
            provider=staff[key],
            weekday=day,
            start_time=start,
            end_time=end,
        )
        for key in C.PROVIDERS
        for day, blocks in C.SCHEDULES[key].items()
        for start, end in blocks
    ]


@dataclass
class Event:
    """One step of a planned conversation."""

    at: dt.datetime  # clinic wall clock
    kind: str  # outreach | reply | ai | staff | submit (the booking form, not a message)
    text: str = ""
    analysis: dict = field(default_factory=dict)
    author: str | None = None
    failed: bool = False


@dataclass
class Story:
    """What happened in one campaign, beyond its messages."""

    events: list[Event] = field(default_factory=list)
    link_sent: bool = False
    submitted_at: dt.datetime | None = None
    handoff: tuple | None = None
    handoff_at: dt.datetime | None = None
    summary: str = ""
    booked_by: str | None = None  # staff key when staff booked it by phone
    opted_out_at: dt.datetime | None = None


class Calendar:
    """Who is busy when: places appointments on the providers' hours without overlaps."""

    def __init__(self, rng: random.Random, now: dt.datetime, time_off: dict[str, list]):
        self.rng, self.now, self.time_off = rng, now, time_off
        self.busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)

    def _free(self, key: str, start: dt.datetime, end: dt.datetime) -> bool:
        if start < self.now < end:  # never straddle "now": past visits end, future ones start
            return False
        return all(end <= s or start >= e for s, e in self.busy[key] + self.time_off[key])

    def book(
        self, providers, minutes: int, earliest: dt.datetime, latest: dt.datetime
    ) -> tuple[str, dt.datetime] | None:
        """A free (provider, start) between `earliest` and `latest`, on a random day of that
        range that has one; None when the range has none."""
        length = dt.timedelta(minutes=minutes)
        first = earliest.date()
        days = (latest.date() - first).days + 1
        if days <= 0:
            return None
        offset = self.rng.randrange(days)
        for i in range(days):
            day = first + dt.timedelta(days=(offset + i) % days)
            options = []
            for key in providers:
                for opens, closes in C.SCHEDULES[key].get(day.weekday(), ()):
                    start = dt.datetime.combine(day, opens)
                    block_end = dt.datetime.combine(day, closes)
                    while start + length <= block_end:
                        end = start + length
                        if earliest <= start and end <= latest and self._free(key, start, end):
                            options.append((key, start))
                        start += SLOT
            if options:
                key, start = self.rng.choice(options)
                self.busy[key].append((start, start + length))
                return key, start
        return None


def _when(moment: dt.datetime) -> str:
    return f"{moment:%a, %b} {moment.day} at {int(moment.strftime('%I'))}:{moment:%M %p}"


class Planner:
    """Builds the whole demo in memory; `plan()` fills the lists below."""

    def __init__(self, *, now: dt.datetime, staff: dict[str, User], services: dict[str, Service]):
        # Deterministic demo data, not security: a fixed seed is the point.
        self.rng = random.Random(SEED)  # noqa: S311
        self.staff, self.services = staff, services
        self.tz = ZoneInfo(settings.CLINIC_TIME_ZONE)
        self.now = now.astimezone(self.tz).replace(tzinfo=None, microsecond=0)
        self.today = self.now.date()
        self.max_attempts = settings.CAMPAIGN_MAX_ATTEMPTS
        self.texts = clinic_texts()

        self.time_off: list[TimeOff] = []
        self.patients: list[Patient] = []
        self.treatments: list[TreatmentRecord] = []
        self.campaigns: list[Campaign] = []
        self.interactions: list[Interaction] = []
        self.appointments: list[Appointment] = []
        self.campaign_updated_at: dict[str, dt.datetime] = {}

        self._names: set[tuple[str, str]] = set()
        self._emails: set[str] = set()
        self._phones: set[str] = set()
        self._external_ids: set[tuple[str, str]] = set()
        self._opt_outs_left = dict(OPT_OUTS)
        self._channel_turn: dict[object, int] = {}
        self._due_today_left = 3

        busy: dict[str, list] = defaultdict(list)
        for n, (key, first, last, start, end, reason) in enumerate(C.TIME_OFF):
            begin = dt.datetime.combine(self.today + dt.timedelta(days=first), start or dt.time())
            if end is None:
                finish = dt.datetime.combine(self.today + dt.timedelta(days=last + 1), dt.time())
            else:
                finish = dt.datetime.combine(self.today + dt.timedelta(days=last), end)
            busy[key].append((begin, finish))
            self.time_off.append(
                TimeOff(
                    id=demo_id("timeoff", n),
                    provider=self.staff[key],
                    start=self.aware(begin),
                    end=self.aware(finish),
                    reason=reason,
                )
            )
        self.calendar = Calendar(random.Random(SEED + 1), self.now, busy)  # noqa: S311

    # --- small helpers -----------------------------------------------------------------------

    def aware(self, local: dt.datetime) -> dt.datetime:
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def _day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def _clock(self, day: dt.date, lo: str = "09:05", hi: str = "11:40") -> dt.datetime:
        """A random time between `lo` and `hi` on `day`."""
        a, b = (dt.datetime.combine(day, dt.time.fromisoformat(x)) for x in (lo, hi))
        return a + dt.timedelta(minutes=self.rng.randint(0, int((b - a).total_seconds() // 60)))

    # The helpers below draw the same numbers whichever branch they take, so the stories
    # (who, which campaigns, what was said) do not depend on the weekday of "today".

    def _patient_reply_at(self, after: dt.datetime, lo: int = 4, hi: int = 600) -> dt.datetime:
        t = after + dt.timedelta(minutes=self.rng.randint(lo, hi), seconds=self.rng.randint(0, 59))
        morning = dt.timedelta(hours=7, minutes=30 + self.rng.randint(0, 120))
        if t.time() >= dt.time(21, 30):
            t = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time()) + morning
        elif t.time() < dt.time(7):
            t = dt.datetime.combine(t.date(), dt.time()) + morning
        return t

    def _ai_at(self, after: dt.datetime) -> dt.datetime:
        return after + dt.timedelta(seconds=self.rng.randint(12, 75))

    def _staff_at(self, after: dt.datetime) -> dt.datetime:
        """When the front office answers: weekdays 8:30-17:30, Saturdays until noon."""
        t = after + dt.timedelta(minutes=self.rng.randint(20, 240))
        opening = dt.timedelta(hours=9, minutes=self.rng.randint(0, 90))
        closes = dt.time(12) if t.weekday() == 5 else dt.time(17, 30)
        if t.weekday() == 6 or not dt.time(8, 30) <= t.time() <= closes:
            day = t.date() + dt.timedelta(days=t.time() > dt.time(8, 30))
            t = dt.datetime.combine(self._weekday(day), dt.time()) + opening
        return t

    @staticmethod
    def _weekday(day: dt.date) -> dt.date:
        """`day`, or the Monday after when it is a Sunday: no proactive messages on Sundays."""
        return day + dt.timedelta(days=1) if day.weekday() == 6 else day

    def _analysis(self, intent: str, sentiment: str, action: str) -> dict:
        confidence = round(self.rng.uniform(0.64, 0.98), 2)
        return {
            "intent": intent,
            "sentiment": sentiment,
            "action": action,
            "confidence": confidence,
        }

    def _money(self, lo: int, hi: int) -> Decimal:
        return Decimal(lo + 5 * self.rng.randint(0, (hi - lo) // 5))

    def _next_channel(self, group: object) -> str:
        """Channels in turn within a group of campaigns; each group starts at another one."""
        turn = self._channel_turn.setdefault(group, len(self._channel_turn))
        self._channel_turn[group] += 1
        return CHANNELS[turn % len(CHANNELS)]

    def _external_id(self, channel: str) -> str:
        while True:
            if channel == Channel.EMAIL:
                value = f"19{self.rng.getrandbits(56):014x}"
            else:
                value = f"SM{self.rng.getrandbits(128):032x}"
            if (channel, value) not in self._external_ids:
                self._external_ids.add((channel, value))
                return value

    def _follow_up(self) -> tuple:
        return self.rng.choices(C.FOLLOW_UPS, weights=[f[-1] for f in C.FOLLOW_UPS])[0]

    # --- people ------------------------------------------------------------------------------

    def _name(self) -> tuple[str, str]:
        while True:
            first, last = self.rng.choice(C.FIRST_NAMES), self.rng.choice(C.LAST_NAMES)
            if (first, last) not in self._names:
                self._names.add((first, last))
                return first, last

    def _email(self, first: str, last: str) -> str:
        first, last = (re.sub(r"[^a-z]", "", x.lower()) for x in (first, last))
        while True:
            local = self.rng.choice(
                [f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[0]}", f"{first}_{last}"]
            )
            if self.rng.random() < 0.3 or local in {e.split("@")[0] for e in self._emails}:
                local += str(self.rng.randint(2, 99))
            email = f"{local}@{self.rng.choice(C.EMAIL_DOMAINS)}"
            if email not in self._emails:
                self._emails.add(email)
                return email

    def _phone(self) -> str:
        while True:
            area = self.rng.choice(C.AREA_CODES)
            raw = f"+1{area}555{self.rng.randint(100, 199):04d}"
            try:
                phone = normalize_phone(raw)
            except ValidationError:
                continue
            if phone not in self._phones:
                self._phones.add(phone)
                return phone

    def _patient(
        self,
        idx: int,
        *,
        patient_type: str,
        channel: str | None = None,
        created: dt.datetime,
        inquiry: str = "",
    ) -> Patient:
        first, last = self._name()
        has_email = channel == Channel.EMAIL or self.rng.random() > 0.08
        email = self._email(first, last) if has_email else ""
        others = [c for c in CHANNELS if c != channel and (has_email or c != Channel.EMAIL)]
        self.rng.shuffle(others)
        if channel is None:
            channels = others[: self.rng.randint(1, len(others))]
        else:
            channels = [channel, *others[: self.rng.randint(0, len(others))]]
        patient = Patient(
            id=demo_id("patient", idx),
            name=f"{first} {last}",
            email=email,
            phone=self._phone(),
            patient_type=patient_type,
            preferred_channels=[str(c) for c in channels],
            initial_inquiry=inquiry,
            created_at=self.aware(created),
        )
        self.patients.append(patient)
        return patient

    def _history(
        self,
        idx: int,
        patient: Patient,
        *,
        last_visit: dt.date,
        follow_up: tuple,
        next_date: dt.date,
        earlier: int | None = None,
    ) -> None:
        """Past treatment records ending with `follow_up` on `last_visit`, due again on
        `next_date`; the patient's next follow-up is that one."""
        earlier = self.rng.randint(0, 3) if earlier is None else earlier
        records = [(last_visit, follow_up, next_date)]
        day = last_visit
        for _ in range(earlier):
            day -= dt.timedelta(days=self.rng.randint(150, 400))
            past = self._follow_up()
            records.append((day, past, day + dt.timedelta(days=past[2])))
        records.reverse()
        for n, (day, (procedure, recommended, *_), due) in enumerate(records):
            self.treatments.append(
                TreatmentRecord(
                    id=demo_id("treatment", f"{idx}:{n}"),
                    patient=patient,
                    procedure_name=procedure,
                    procedure_date=day,
                    next_recommended_follow_up=recommended,
                    next_follow_up_date=due,
                )
            )
        patient.next_follow_up_date = next_date
        patient.next_recommended_follow_up = follow_up[1]
        first_seen = dt.datetime.combine(records[0][0], dt.time(10))
        patient.created_at = self.aware(first_seen - dt.timedelta(days=self.rng.randint(0, 30)))

    def _visit(
        self,
        key: str,
        patient: Patient,
        slug: str,
        *,
        earliest: dt.datetime,
        latest: dt.datetime,
        status: str | None = None,
        created_from: str = CreatedFrom.MANUAL_ADMIN,
        campaign: Campaign | None = None,
        created_at: dt.datetime | None = None,
        notes: str | None = None,
    ) -> Appointment | None:
        service = self.services[slug]
        providers = next(p for s, _, _, p in C.SERVICES if s == slug)
        # Drawn from the calendar's generator: whether a slot was found depends on the date.
        manual_note = self.calendar.rng.choice(C.MANUAL_NOTES)
        lead = dt.timedelta(
            days=self.calendar.rng.randint(2, 40), hours=self.calendar.rng.randint(0, 8)
        )
        found = self.calendar.book(providers, service.duration_minutes, earliest, latest)
        if found is None:
            return None
        provider, start = found
        if status is None:
            status = AppointmentStatus.COMPLETED if start < self.now else AppointmentStatus.BOOKED
        if notes is None:
            notes = manual_note if created_from == CreatedFrom.MANUAL_ADMIN else ""
        if created_at is None:
            created_at = min(start - lead, self.now - dt.timedelta(hours=1))
        appointment = Appointment(
            id=demo_id("appointment", key),
            patient=patient,
            campaign=campaign,
            provider=self.staff[provider],
            service=service,
            appointment_date=self.aware(start),
            duration_minutes=service.duration_minutes,
            status=status,
            notes=notes,
            created_from=created_from,
            created_at=self.aware(created_at),
        )
        appointment.local_start = start
        self.appointments.append(appointment)
        return appointment

    # --- conversations -----------------------------------------------------------------------

    def _outreach(self, story: Story, start: dt.datetime, n: int, *, fail_rate: float) -> None:
        for k in range(n):
            day = self._weekday(start.date() + FOLLOW_UP_INTERVAL * k)
            at = start if k == 0 else self._clock(day, "09:10", "11:50")
            story.events.append(
                Event(at, "outreach", text=str(k), failed=self.rng.random() < fail_rate)
            )

    def _reply(self, story: Story, text: str, analysis: dict, lo: int = 4, hi: int = 600):
        at = self._patient_reply_at(story.events[-1].at, lo, hi)
        story.events.append(Event(at, "reply", text=text, analysis=analysis))
        return at

    def _ai(self, story: Story, text: str) -> None:
        story.events.append(Event(self._ai_at(story.events[-1].at), "ai", text=text))

    def _staff(self, story: Story, text: str, author: str) -> None:
        story.events.append(
            Event(self._staff_at(story.events[-1].at), "staff", text, author=author)
        )

    def _wants_to_book(self, story: Story) -> None:
        """The patient says yes (or asks a question first), the AI sends the link."""
        if self.rng.random() < 0.35:
            question, answer = self.rng.choice(C.QUESTIONS)
            self._reply(story, question, self._analysis("question", "neutral", "ANSWER_QUESTION"))
            self._ai(story, C.AI_ANSWER.replace("{answer}", answer))
            story.summary = f'Asked "{question}"; answered from the knowledge base, link sent.'
        else:
            text = self.rng.choice(C.BOOKING_REPLIES)
            self._reply(
                story, text, self._analysis("book_appointment", "positive", "SEND_BOOKING_LINK")
            )
            self._ai(story, C.AI_LINK)
            story.summary = "Replied ready to book; booking link sent."
        story.link_sent = True

    def _submits(self, story: Story) -> None:
        at = story.events[-1].at + dt.timedelta(minutes=self.rng.randint(3, 600))
        story.events.append(Event(at, "submit"))
        story.submitted_at = at
        self._ai(story, C.AI_BOOKED)

    def _hands_off(self, story: Story, *, urgent_ok: bool = True) -> None:
        topics = C.HANDOFFS if urgent_ok else [h for h in C.HANDOFFS if h[0] != "clinical_concern"]
        topic = self.rng.choice(topics)
        intent, sentiment, text, reason, summary, *_ = topic
        story.handoff_at = self._reply(story, text, self._analysis(intent, sentiment, "HANDOFF"))
        story.handoff = topic
        extra = C.AI_HANDOFF_URGENT if intent == "clinical_concern" else ""
        self._ai(story, C.AI_HANDOFF + extra)
        story.summary = f"Handed off ({reason.lower()}): {summary}"

    def _converse(
        self, ctype: str, status: str, channel: str, start: dt.datetime, n: int, variant: str
    ) -> Story:
        """The messages of one campaign: `n` proactive messages from `start`, then what the
        patient and the clinic said, as the status (and `variant`) requires."""
        story = Story()
        replies = status not in (S.ATTEMPTING_RECOVERY, S.RECOVERY_FAILED)
        fail_rate = 0.0 if replies else 0.12
        self._outreach(story, start, n, fail_rate=fail_rate)
        staff_name = self._staff_first

        if status == S.ATTEMPTING_RECOVERY:
            story.summary = f"{n} message(s) sent, no reply yet." if n else ""
        elif status == S.RECOVERY_FAILED:
            story.summary = f"No reply after {n} messages; closed as unresponsive."
        elif status == S.RE_ENGAGED:
            if variant == "book":
                self._wants_to_book(story)
            elif variant == "reopen":
                # Closed as unresponsive, then the patient wrote back: re-opened.
                text = self.rng.choice(C.REOPENS)
                analysis = self._analysis("book_appointment", "positive", "SEND_BOOKING_LINK")
                self._reply(story, text, analysis, lo=60 * 24 * 8, hi=60 * 24 * 20)
                self._ai(story, C.AI_LINK)
                story.link_sent = True
                story.summary = "Replied after the campaign had closed; re-opened, link sent."
            else:
                self._hands_off(story, urgent_ok=False)
                author = story.handoff[6]
                self._staff(story, f"{story.handoff[5]} {C.STAFF_HAND_BACK}", author)
                story.summary += f" Resolved by {staff_name(author)}, handed back to the AI."
        elif status == S.HANDOFF_REQUIRED:
            self._hands_off(story)
            if self.rng.random() < 0.35:
                self._staff(
                    story,
                    "I'm looking into this now and will get back to you today.",
                    story.handoff[6],
                )
        elif status in (S.BOOKING_INITIATED, S.BOOKING_COMPLETED):
            self._wants_to_book(story)
            self._submits(story)
            story.summary += " Booked {service} for {when}."
            if status == S.BOOKING_COMPLETED:
                self._staff(story, C.STAFF_CONFIRM, "front_desk")
                story.summary += f" Confirmed by {staff_name('front_desk')}."
        elif status == S.RECOVERED:
            if self.rng.random() < 0.75:
                self._wants_to_book(story)
                self._submits(story)
                story.summary += " Booked {service} and came in on {date}."
            else:
                self._hands_off(story, urgent_ok=False)
                author = story.handoff[6]
                self._staff(story, f"{story.handoff[5]} {C.STAFF_PHONE_BOOKED}", author)
                story.booked_by = author
                story.summary += f" {staff_name(author)} booked {{service}} by phone; came in on "
                story.summary += "{date}."
        elif status == S.RECOVERY_DECLINED:
            if self._opt_outs_left.get(ctype, 0) > 0:
                self._opt_outs_left[ctype] -= 1
                text = self.rng.choice(C.OPT_OUTS[channel])
                analysis = self._analysis("opt_out", "negative", "OPT_OUT")
                story.opted_out_at = self._reply(story, text, analysis)
                self._ai(story, C.AI_OPT_OUT[channel])
                story.summary = f'Opted out ("{text}"); all messaging stopped.'
            else:
                text = self.rng.choice(C.DECLINES)
                self._reply(story, text, self._analysis("decline", "neutral", "CLOSE_DECLINED"))
                self._ai(story, C.AI_DECLINE)
                story.summary = f'Declined: "{text}"'
        elif status == S.MANUAL_FOLLOWUP_COMPLETE:
            self._hands_off(story, urgent_ok=False)
            self._staff(story, story.handoff[5], story.handoff[6])
            story.summary += f" Resolved by {staff_name(story.handoff[6])}."
        return story

    def _staff_first(self, key: str) -> str:
        return self.staff[key].name.split()[0]

    def _shift_into_past(self, story: Story) -> None:
        """Move the whole conversation back by whole days until it ended a little while ago."""
        if not story.events:
            return
        limit = self.now - dt.timedelta(minutes=5)
        latest = max(e.at for e in story.events)
        if latest > limit:
            days = dt.timedelta(days=math.ceil((latest - limit) / dt.timedelta(days=1)))
            for event in story.events:
                event.at -= days
            for name in ("submitted_at", "handoff_at", "opted_out_at"):
                if getattr(story, name) is not None:
                    setattr(story, name, getattr(story, name) - days)

    def _start_for(self, status: str, n: int) -> dt.datetime:
        if status == S.ATTEMPTING_RECOVERY:
            days_ago = FOLLOW_UP_INTERVAL.days * max(n - 1, 0) + self.rng.randint(0, 2)
        else:
            days_ago = self.rng.randint(*START_DAYS_AGO[status])
        day = self._day(days_ago)
        if day.weekday() == 6:
            day -= dt.timedelta(days=1)
        return self._clock(day)

    def _attempts_for(self, status: str) -> int:
        most = self.max_attempts
        if status == S.ATTEMPTING_RECOVERY:
            return self.rng.choice([0, *range(1, most), *range(1, min(2, most))])
        if status == S.RECOVERY_FAILED:
            return most
        return self.rng.randint(1, min(2, most))

    def _campaign(
        self,
        key: str,
        patient: Patient,
        *,
        ctype: str,
        status: str,
        channel: str,
        procedure: str,
        slug: str,
        value: Decimal,
        start: dt.datetime | None = None,
        due: dt.date | None = None,
    ) -> tuple[Campaign, Appointment | None]:
        """Plan one campaign with its conversation and, when it led to one, its appointment.
        A RECALL without `due` is due on the day its outreach started (or up to 2 days
        before)."""
        variant = ""
        if status == S.RE_ENGAGED:
            variant = self.rng.choice(["book", "book", "reopen", "hand_back"])
        # A re-opened campaign had closed as unresponsive: it used every attempt.
        n = self.max_attempts if variant == "reopen" else self._attempts_for(status)
        if start is None:
            start = self._start_for(status, n)
        story = self._converse(ctype, status, channel, start, n, variant)
        self._shift_into_past(story)

        cid = demo_id("campaign", key)
        campaign = Campaign(
            id=cid,
            patient=patient,
            campaign_type=ctype,
            status=status,
            is_active=is_active_status(status),
            channel_type=channel,
            max_attempts=self.max_attempts,
            attempts_made=n,
            estimated_value=value,
        )
        events = story.events
        outreach = [e for e in events if e.kind == "outreach"]
        if events:
            created = events[0].at - dt.timedelta(minutes=self.rng.randint(2, 25))
        else:  # just created by the trigger; not contacted yet
            created = self.now - dt.timedelta(minutes=self.rng.randint(5, 240))
        campaign.created_at = self.aware(created)
        if ctype == CampaignType.RECALL:
            campaign.recall_due_date = due or created.date() - dt.timedelta(
                days=self.rng.randint(0, 2)
            )
        if status == S.ATTEMPTING_RECOVERY:
            if outreach:
                nxt = outreach[-1].at + FOLLOW_UP_INTERVAL
            elif dt.time(9) <= created.time() < dt.time(19):
                nxt = created
            else:  # created outside the send window: first message at the next opening
                day = created.date() + dt.timedelta(days=created.time() >= dt.time(19))
                nxt = dt.datetime.combine(day, dt.time(9))
            campaign.next_attempt_at = self.aware(nxt)

        if channel == Channel.SMS:
            campaign.thread_id = patient.phone
        elif channel == Channel.WHATSAPP:
            campaign.thread_id = f"whatsapp:{patient.phone}"
        if story.link_sent:
            campaign.booking_link = booking_link(cid)
            campaign.booking_status = BookingStatus.FORM_SENT
        if story.submitted_at:
            campaign.booking_status = BookingStatus.FORM_SUBMITTED
            campaign.booking_submitted_at = self.aware(story.submitted_at)
        if story.handoff:
            campaign.handoff_reason = story.handoff[3]
            campaign.handoff_requested_at = self.aware(story.handoff_at)
            campaign.handoff_details = {
                "summary": story.handoff[4],
                "reason": story.handoff[3],
                "requested_at": self.aware(story.handoff_at).isoformat(),
            }
        if story.opted_out_at:
            patient.opted_out_at = self.aware(story.opted_out_at)

        appointment = None
        service = self.services[slug]
        if status in (S.BOOKING_INITIATED, S.BOOKING_COMPLETED, S.RECOVERED):
            booked_at = story.submitted_at or events[-1].at
            if status == S.RECOVERED:
                windows = [
                    (booked_at + dt.timedelta(hours=20), booked_at + dt.timedelta(days=14)),
                    (booked_at + dt.timedelta(hours=20), self.now),
                ]
            else:
                earliest = max(booked_at + dt.timedelta(hours=20), self.now + dt.timedelta(hours=2))
                windows = [(earliest, earliest + dt.timedelta(days=21))]
            for earliest, latest in windows:
                appointment = self._visit(
                    f"{key}:campaign",
                    patient,
                    slug,
                    earliest=earliest,
                    latest=min(latest, self.now) if status == S.RECOVERED else latest,
                    created_from=CreatedFrom.MANUAL_ADMIN
                    if story.booked_by
                    else CreatedFrom.AI_AGENT_FORM,
                    campaign=campaign,
                    created_at=booked_at,
                    notes="" if not story.booked_by else "Booked by phone after a handoff.",
                )
                if appointment:
                    break

        values = {
            **self.texts,
            "first": patient.first_name,
            "procedure": procedure,
            "link": campaign.booking_link,
            "service": service.name,
            "when": "",
            "date": "",
            "provider": "",
        }
        if appointment:
            values["when"] = _when(appointment.local_start)
            values["date"] = f"{appointment.local_start:%b} {appointment.local_start.day}"
            values["provider"] = appointment.provider.name
        campaign.engagement_summary = story.summary.format(**values)

        self._record_messages(key, campaign, patient, ctype, channel, story, values)
        last = max((e.at for e in events), default=created)
        self.campaign_updated_at[cid] = self.aware(last)
        self.campaigns.append(campaign)
        return campaign, appointment

    def _record_messages(self, key, campaign, patient, ctype, channel, story, values) -> None:
        scripts = C.RECALL_OUTREACH if ctype == CampaignType.RECALL else C.RECOVERY_OUTREACH
        n = 0
        for event in story.events:
            if event.kind == "submit":
                continue
            incoming = event.kind == "reply"
            if event.kind == "outreach":
                body = scripts[min(int(event.text), len(scripts) - 1)].format(**values)
                text = self._greet(channel, values, body, first=event.text == "0")
            elif incoming:
                text = event.text
                if channel == Channel.EMAIL and len(text) > 12:
                    text = f"{text}\n\n{values['first']}"
            elif event.kind == "staff":
                intro = f"Hi {{first}}, this is {self._staff_first(event.author)} from {{clinic}}."
                text = f"{intro} {event.text}".format(**values)
            else:
                text = event.text.format(**values)
            external_id, error = "", ""
            if event.failed and channel == Channel.EMAIL:
                error = "Gmail API error 400: Invalid To header."
            else:
                if channel == Channel.EMAIL and not campaign.thread_id:
                    external_id = campaign.thread_id = self._external_id(channel)
                else:
                    external_id = self._external_id(channel)
                if event.failed:
                    error = {
                        Channel.SMS: "Twilio error 30006: landline or unreachable carrier.",
                        Channel.WHATSAPP: "Twilio error 63024: invalid message recipient.",
                    }[channel]
            if incoming:
                status = DeliveryStatus.RECEIVED
            else:
                status = DeliveryStatus.FAILED if event.failed else DeliveryStatus.SENT
            kind = {
                "outreach": MessageKind.OUTREACH if event.text == "0" else MessageKind.FOLLOW_UP,
                "reply": MessageKind.REPLY,
                "staff": MessageKind.STAFF,
            }.get(event.kind, MessageKind.ANSWER)
            self.interactions.append(
                Interaction(
                    id=demo_id("interaction", f"{key}:{n}"),
                    patient=campaign.patient,
                    campaign=campaign,
                    direction=Direction.INCOMING if incoming else Direction.OUTGOING,
                    kind=kind,
                    content=text,
                    ai_analysis=event.analysis,
                    channel_type=channel,
                    external_id=external_id,
                    delivery_status=status,
                    error=error,
                    author=self.staff[event.author] if event.author else None,
                    timestamp=self.aware(event.at),
                )
            )
            n += 1

    def _greet(self, channel: str, values: dict, body: str, *, first: bool) -> str:
        if channel == Channel.EMAIL:
            return (
                f"Hi {values['first']},\n\n{body[0].upper()}{body[1:]}\n\n"
                f"Best wishes,\nThe {values['clinic']} team\n{values['address']}"
            )
        text = f"Hi {values['first']}, {body}"
        return f"{text} Reply STOP to opt out." if first else text

    # --- stories -----------------------------------------------------------------------------

    def plan(self) -> "Planner":
        stories: list[tuple[str, str | None]] = []
        for ctype, mix in (
            (CampaignType.RECALL, RECALL_MIX),
            (CampaignType.RECOVERY, RECOVERY_MIX),
        ):
            for status, count in mix.items():
                stories += [(ctype, status)] * count
        for kind, count in OTHER_STORIES.items():
            stories += [(kind, None)] * count
        self.rng.shuffle(stories)
        for idx, (kind, status) in enumerate(stories):
            if kind == CampaignType.RECALL:
                self._recall_story(idx, status)
            elif kind == CampaignType.RECOVERY:
                self._recovery_story(idx, status)
            else:
                getattr(self, f"_{kind}_story")(idx)
        return self

    def _recall_story(self, idx: int, status: str) -> None:
        follow_up = self._follow_up()
        _, recommended, interval, slug, value_range, _ = follow_up
        channel = self._next_channel((CampaignType.RECALL, status))
        patient = self._patient(
            idx, patient_type=PatientType.EXISTING, channel=channel, created=self.now
        )
        value = self._money(*value_range)
        campaign, visit = self._campaign(
            f"{idx}:main",
            patient,
            ctype=CampaignType.RECALL,
            status=status,
            channel=channel,
            procedure=f"your {recommended.lower()}",
            slug=slug,
            value=value,
        )
        due = campaign.recall_due_date
        last_visit = due - dt.timedelta(days=interval + self.rng.randint(-4, 4))
        earlier = None
        if is_active_status(status) and self.rng.random() < 0.3:
            # This visit came from an earlier recall too: its campaign, booking and visit.
            prior_due = last_visit - dt.timedelta(days=self.rng.randint(10, 25))
            _, prior_visit = self._campaign(
                f"{idx}:prior",
                patient,
                ctype=CampaignType.RECALL,
                status=S.RECOVERED,
                channel=channel,
                procedure=f"your {recommended.lower()}",
                slug=slug,
                value=self._money(*value_range),
                start=self._clock(self._weekday(prior_due)),
                due=prior_due,
            )
            if prior_visit:
                last_visit = prior_visit.local_start.date()
            earlier = self.rng.randint(1, 3)  # a recall presumes a visit before that one
        self._history(
            idx, patient, last_visit=last_visit, follow_up=follow_up, next_date=due, earlier=earlier
        )
        treatment = self.rng.choice(TREATMENTS) if self.rng.random() < 0.35 else None
        if visit and status == S.RECOVERED:
            self._record_visit(idx, patient, visit, follow_up)
            if treatment:
                self._treatment_visit(f"{idx}:treatment", patient, treatment)

    def _treatment_visit(self, key: str, patient: Patient, slug: str) -> None:
        """Treatment the dentist found at a visit, booked by the front desk for the coming
        weeks."""
        soon = self.now + dt.timedelta(hours=3)
        self._visit(key, patient, slug, earliest=soon, latest=soon + dt.timedelta(days=24))

    def _record_visit(self, idx: int, patient: Patient, visit: Appointment, follow_up: tuple):
        day = visit.local_start.date()
        due = day + dt.timedelta(days=follow_up[2])
        self.treatments.append(
            TreatmentRecord(
                id=demo_id("treatment", f"{idx}:visit"),
                patient=patient,
                procedure_name=visit.service.name,
                procedure_date=day,
                next_recommended_follow_up=follow_up[1],
                next_follow_up_date=due,
            )
        )
        patient.next_follow_up_date = due
        patient.next_recommended_follow_up = follow_up[1]

    def _lead(self, idx: int, channel: str | None, created: dt.datetime) -> tuple[Patient, tuple]:
        inquiry = self.rng.choice(C.INQUIRIES)
        patient = self._patient(
            idx,
            patient_type=PatientType.COLD_LEAD,
            channel=channel,
            created=created,
            inquiry=inquiry[0],
        )
        return patient, inquiry

    def _recovery_story(self, idx: int, status: str, *, key: str = "main", start=None) -> None:
        channel = self._next_channel((CampaignType.RECOVERY, status))
        patient, inquiry = self._lead(idx, channel, self.now)
        self._recovery_campaign(idx, patient, inquiry, status, channel, key=key, start=start)

    def _recovery_campaign(self, idx, patient, inquiry, status, channel, *, key="main", start=None):
        _, procedure, slug, value_range = inquiry
        campaign, visit = self._campaign(
            f"{idx}:{key}",
            patient,
            ctype=CampaignType.RECOVERY,
            status=status,
            channel=channel,
            procedure=procedure,
            slug=slug,
            value=self._money(*value_range),
            start=start,
        )
        lead_in = dt.timedelta(hours=self.rng.randint(1, 40))
        if key == "main" and patient.created_at > campaign.created_at - lead_in:
            patient.created_at = campaign.created_at - lead_in
        treatment = self.rng.choice(TREATMENTS) if self.rng.random() < 0.4 else None
        if visit and status == S.RECOVERED:
            # Came in: now an existing patient with a record and a next visit.
            patient.patient_type = PatientType.EXISTING
            self._record_visit(idx, patient, visit, C.FOLLOW_UPS[0])
            if treatment:
                self._treatment_visit(f"{idx}:treatment", patient, treatment)

    def _regular_story(self, idx: int) -> None:
        follow_up = self._follow_up()
        interval, slug = follow_up[2], follow_up[3]
        patient = self._patient(idx, patient_type=PatientType.EXISTING, created=self.now)
        due = self.today + dt.timedelta(days=self.rng.randint(1, interval - 7))
        last_visit = due - dt.timedelta(days=interval)
        if last_visit >= self._day(150):
            # Recent enough to be on the clinic's calendar.
            target = dt.datetime.combine(last_visit, dt.time())
            visit = self._visit(
                f"{idx}:last",
                patient,
                follow_up[3] if self.rng.random() < 0.8 else "tooth_filling",
                earliest=target - dt.timedelta(days=4),
                latest=min(target + dt.timedelta(days=4), self.now),
                status=AppointmentStatus.COMPLETED,
            )
            if visit:
                last_visit = visit.local_start.date()
        self._history(idx, patient, last_visit=last_visit, follow_up=follow_up, next_date=due)
        roll = self.rng.random()
        if roll < 0.15:
            # Seen today, or about to be.
            start = dt.datetime.combine(self.today, dt.time(7))
            self._visit(
                f"{idx}:today", patient, slug, earliest=start, latest=start.replace(hour=20)
            )
        elif roll < 0.85 and (due - self.today).days <= 75:
            start = dt.datetime.combine(max(due - dt.timedelta(days=5), self.today), dt.time())
            self._visit(
                f"{idx}:next",
                patient,
                slug,
                earliest=max(start, self.now + dt.timedelta(hours=3)),
                latest=start + dt.timedelta(days=14),
            )
        elif roll >= 0.55:
            self._treatment_visit(f"{idx}:treatment", patient, self.rng.choice(TREATMENTS))
        if self.rng.random() < 0.25:
            # A cancelled visit: most in the past, a few ahead.
            future = self.rng.random() < 0.25
            base = self.now + dt.timedelta(days=1 if future else -60)
            self._visit(
                f"{idx}:cancelled",
                patient,
                slug,
                earliest=base,
                latest=base + dt.timedelta(days=30 if future else 58),
                status=AppointmentStatus.CANCELLED,
                notes=self.rng.choice(C.CANCEL_NOTES),
            )

    def _due_story(self, idx: int) -> None:
        follow_up = self._follow_up()
        patient = self._patient(idx, patient_type=PatientType.EXISTING, created=self.now)
        if self._due_today_left:
            self._due_today_left -= 1
            due = self.today
        else:
            due = self._day(self.rng.randint(1, 25))
        last_visit = due - dt.timedelta(days=follow_up[2])
        self._history(idx, patient, last_visit=last_visit, follow_up=follow_up, next_date=due)

    def _opted_out_story(self, idx: int) -> None:
        follow_up = self._follow_up()
        patient = self._patient(idx, patient_type=PatientType.EXISTING, created=self.now)
        due = self.today + dt.timedelta(days=self.rng.randint(-40, 60))
        last_visit = min(due - dt.timedelta(days=follow_up[2]), self._day(30))
        self._history(idx, patient, last_visit=last_visit, follow_up=follow_up, next_date=due)
        when = self._clock(self._day(self.rng.randint(20, 200)), "10:00", "17:00")
        patient.opted_out_at = self.aware(when)

    def _new_lead_story(self, idx: int) -> None:
        created = self.now - dt.timedelta(minutes=self.rng.randint(10, 60 * 48))
        self._lead(idx, None, created)

    def _cooled_lead_story(self, idx: int, *, retry: bool = False) -> None:
        channel = self._next_channel("cooled")
        first_contact = self._clock(self._weekday(self._day(self.rng.randint(220, 400))))
        patient, inquiry = self._lead(idx, channel, first_contact - dt.timedelta(hours=3))
        status = S.RECOVERY_FAILED
        self._recovery_campaign(
            idx, patient, inquiry, status, channel, key="old", start=first_contact
        )
        if retry:
            self._recovery_campaign(idx, patient, inquiry, S.ATTEMPTING_RECOVERY, channel)

    def _retry_lead_story(self, idx: int) -> None:
        self._cooled_lead_story(idx, retry=True)
