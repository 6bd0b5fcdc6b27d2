"""The daily trigger's first half (SPEC §7): start the recovery and recall campaigns that are due
today. The agent's daily job (agent.tasks.run_daily_trigger) then sends their first messages
through its proactive path inside the send window.

Recovery: COLD_LEAD patients, not opted out, with no active campaign, who never had a RECOVERY
campaign, or whose last one ended RECOVERY_FAILED more than RECOVERY_COOLDOWN_DAYS ago; never
after a RECOVERY_DECLINED one. Recall: EXISTING patients, not opted out, with no active
campaign, whose next_follow_up_date is today or earlier and who have no RECALL campaign for
that due date (a missed day catches up; a second run the same day creates nothing).

Also left alone: a patient with an upcoming booked appointment (a message asking them to book
would be wrong; the booking's own campaign or staff own the conversation), for a recall also a
booked or completed visit on or after the due date (the visit happened; only the record is
behind), and a patient with no email or phone to write to.

Scale (SPEC §9): patients are read in keyset pages of `batch_size`, as plain values; each page
costs the same few queries whatever the population (the page, its campaigns, its appointments,
one bulk insert). Nothing is locked and nothing relies on a transaction (SPEC §3.5): the
database refuses a second active campaign per patient and a second RECALL per due date, so of
two overlapping runs (or a run and the API) the loser's refused rows are skipped one by one.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from appointments.models import Appointment
from appointments.status import HOLDING_STATUSES, LIVE_STATUSES
from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign
from campaigns.services import channel_thread_id
from dentalai.choices import Channel
from dentalai.clinic_time import clinic_today, start_of_clinic_day
from patients.choices import PatientType
from patients.models import Patient

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
PATIENT_FIELDS = (
    "id",
    "email",
    "phone",
    "texts_allowed",
    "preferred_channels",
    "next_follow_up_date",
)

Progress = Callable[[str, int], None]


@dataclass
class TriggerResult:
    """What one run did: campaigns created per type, rows skipped and why, and the outcomes
    of the proactive pass that followed (agent outcome words: sent, deferred, …)."""

    today: dt.date
    recovery_created: int = 0
    recall_created: int = 0
    refused: int = 0
    skipped_no_address: int = 0
    skipped_appointment: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def created(self) -> int:
        return self.recovery_created + self.recall_created

    @property
    def sent(self) -> int:
        return self.outcomes.get("sent", 0)

    @property
    def deferred(self) -> int:
        return self.outcomes.get("deferred", 0)

    @property
    def failed(self) -> int:
        return self.outcomes.get("send_failed", 0) + self.outcomes.get("error", 0)

    @property
    def marked_failed(self) -> int:
        """Campaigns the pass closed as RECOVERY_FAILED (max attempts reached; nothing sent)."""
        return self.outcomes.get("max_attempts", 0)

    def as_counts(self) -> dict:
        return {
            "date": self.today.isoformat(),
            "recovery_created": self.recovery_created,
            "recall_created": self.recall_created,
            "refused": self.refused,
            "skipped_no_address": self.skipped_no_address,
            "skipped_appointment": self.skipped_appointment,
            "sent": self.sent,
            "deferred": self.deferred,
            "failed": self.failed,
            "marked_failed": self.marked_failed,
            "outcomes": dict(sorted(self.outcomes.items())),
        }


def campaign_channel(row: dict) -> str | None:
    """The patient's first preferred channel it has an address for; else email when it has
    one, else SMS when it has a phone and agreed to texts; None when there is nothing to write
    to."""
    preferred = row["preferred_channels"]
    for channel in preferred if isinstance(preferred, list) else []:
        if channel in Channel.values and _address(row, channel):
            return channel
    if row["email"]:
        return Channel.EMAIL
    if _address(row, Channel.SMS):
        return Channel.SMS
    return None


def patient_row(patient: Patient) -> dict:
    """A patient as the trigger reads patients: the PATIENT_FIELDS."""
    return {name: getattr(patient, name) for name in PATIENT_FIELDS}


def _address(row: dict, channel: str) -> str:
    if channel == Channel.EMAIL:
        return row["email"]
    return row["phone"] if row["texts_allowed"] else ""


def _pages(queryset: QuerySet, batch_size: int) -> Iterator[list[dict]]:
    """The queryset's patients as lists of plain values, `batch_size` at a time, by primary
    key (keyset paging: every page is one indexed range query, however deep)."""
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(page.order_by("pk").values(*PATIENT_FIELDS)[:batch_size])
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1]["id"]


def _new_campaign(
    row: dict,
    result: "TriggerResult",
    *,
    campaign_type: str,
    value: Decimal,
    now: dt.datetime,
    due: dt.date | None = None,
) -> Campaign | None:
    """The campaign to start for this patient row, or None (counted) when they have no
    address on any channel they accept."""
    channel = campaign_channel(row)
    if channel is None:
        result.skipped_no_address += 1
        return None
    return Campaign(
        patient_id=row["id"],
        campaign_type=campaign_type,
        status=CampaignStatus.ATTEMPTING_RECOVERY,
        is_active=True,
        channel_type=channel,
        thread_id=channel_thread_id(SimpleNamespace(phone=row["phone"]), channel),
        attempts_made=0,
        next_attempt_at=now,  # due at once: the proactive path sends it inside the window
        estimated_value=value,
        recall_due_date=due,
        created_at=now,
        updated_at=now,
    )


def campaigns_insert(campaigns: list[Campaign]) -> tuple[int, int]:
    """Insert the batch; return (created, refused). One bulk insert when nothing conflicts;
    when the database refuses a row (another run or the API created that patient's campaign
    meanwhile), the batch is inserted again row by row and the refused rows are skipped."""
    if not campaigns:
        return 0, 0
    try:
        # A savepoint: a refused batch leaves any enclosing transaction usable.
        with transaction.atomic():
            Campaign.objects.bulk_create(campaigns)
        return len(campaigns), 0
    except IntegrityError:
        logger.info("daily trigger: a batch of %d conflicted; inserting one by one", len(campaigns))
    created = refused = 0
    for campaign in campaigns:
        try:
            with transaction.atomic():
                campaign.save(force_insert=True)
            created += 1
        except IntegrityError:
            # Without transactions (MongoDB) the failed bulk insert may have stored this very
            # row before it stopped: then it is ours, not a refusal.
            if Campaign.objects.filter(pk=campaign.pk).exists():
                created += 1
            else:
                refused += 1
    return created, refused


def campaign_start(
    patient: Patient,
    campaign_type: str,
    *,
    now: dt.datetime,
    value: Decimal | None = None,
    due: dt.date | None = None,
) -> Campaign | None:
    """One campaign started for this patient as the daily trigger starts it (the caller has
    decided the patient is due); None when they have no address or the database refused it (an
    active campaign, or a recall for that due date, exists)."""
    if value is None:
        value = (
            settings.RECALL_ESTIMATED_VALUE
            if campaign_type == CampaignType.RECALL
            else settings.RECOVERY_ESTIMATED_VALUE
        )
    row = patient_row(patient)
    result = TriggerResult(today=clinic_today(now))
    campaign = _new_campaign(
        row, result, campaign_type=campaign_type, value=value, now=now, due=due
    )
    if campaign is None or campaigns_insert([campaign])[0] == 0:
        return None
    return campaign


def _recovery_batch(
    rows: list[dict], *, today: dt.date, now: dt.datetime, value: Decimal, result: TriggerResult
) -> list[Campaign]:
    ids = [row["id"] for row in rows]
    cooldown = settings.RECOVERY_COOLDOWN_DAYS
    blocked: set[str] = set()
    declined: set[str] = set()
    last: dict[str, tuple] = {}  # patient → (created_at, updated_at, status) of its last RECOVERY
    for patient_id, ctype, status, active, created, updated in (
        Campaign.objects.filter(patient_id__in=ids)
        .filter(Q(is_active=True) | Q(campaign_type=CampaignType.RECOVERY))
        .values_list(
            "patient_id", "campaign_type", "status", "is_active", "created_at", "updated_at"
        )
    ):
        if active:
            blocked.add(patient_id)
        if ctype != CampaignType.RECOVERY:
            continue
        if status == CampaignStatus.RECOVERY_DECLINED:
            declined.add(patient_id)
        if patient_id not in last or (created, updated) > last[patient_id][:2]:
            last[patient_id] = (created, updated, status)
    booked = set(
        Appointment.objects.filter(
            patient_id__in=ids, status__in=LIVE_STATUSES, appointment_date__gte=now
        ).values_list("patient_id", flat=True)
    )

    def eligible(patient_id: str) -> bool:
        if patient_id in blocked or patient_id in declined:
            return False
        if patient_id not in last:
            return True
        _, ended_at, status = last[patient_id]
        # A closed campaign's last change is its closing. Counted in clinic days, so the
        # morning run decides the same way whatever hour the campaign failed at.
        return (
            status == CampaignStatus.RECOVERY_FAILED
            and (today - clinic_today(ended_at)).days > cooldown
        )

    new = []
    for row in rows:
        if not eligible(row["id"]):
            continue
        if row["id"] in booked:
            result.skipped_appointment += 1
            continue
        campaign = _new_campaign(
            row, result, campaign_type=CampaignType.RECOVERY, value=value, now=now
        )
        if campaign is not None:
            new.append(campaign)
    return new


def _recall_batch(
    rows: list[dict], *, now: dt.datetime, value: Decimal, result: TriggerResult
) -> list[Campaign]:
    ids = [row["id"] for row in rows]
    earliest_due = min(row["next_follow_up_date"] for row in rows)
    blocked: set[str] = set()
    recalled: set[tuple[str, dt.date]] = set()
    for patient_id, active, ctype, due in (
        Campaign.objects.filter(patient_id__in=ids)
        .filter(
            Q(is_active=True)
            | Q(campaign_type=CampaignType.RECALL, recall_due_date__gte=earliest_due)
        )
        .values_list("patient_id", "is_active", "campaign_type", "recall_due_date")
    ):
        if active:
            blocked.add(patient_id)
        if ctype == CampaignType.RECALL:
            recalled.add((patient_id, due))
    # Visits from the earliest due day on: an upcoming booking, or the due visit itself.
    visits: dict[str, dt.datetime] = {}
    for patient_id, start in Appointment.objects.filter(
        patient_id__in=ids,
        status__in=HOLDING_STATUSES,
        appointment_date__gte=start_of_clinic_day(earliest_due),
    ).values_list("patient_id", "appointment_date"):
        visits[patient_id] = max(start, visits.get(patient_id, start))

    new = []
    for row in rows:
        patient_id, due = row["id"], row["next_follow_up_date"]
        if patient_id in blocked or (patient_id, due) in recalled:
            continue
        if patient_id in visits and visits[patient_id] >= start_of_clinic_day(due):
            result.skipped_appointment += 1
            continue
        campaign = _new_campaign(
            row, result, campaign_type=CampaignType.RECALL, value=value, now=now, due=due
        )
        if campaign is not None:
            new.append(campaign)
    return new


def due_campaigns_start(
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> TriggerResult:
    """Create today's recovery and recall campaigns, each due at once. `today` is the
    clinic-local date (default: today at `now`). `progress(kind, patients)` is called after
    each page."""
    now = now or timezone.now()
    today = today or clinic_today(now)
    result = TriggerResult(today=today)
    not_opted_out = Patient.objects.filter(opted_out_at__isnull=True)

    leads = not_opted_out.filter(patient_type=PatientType.COLD_LEAD)
    for rows in _pages(leads, batch_size):
        new = _recovery_batch(
            rows, today=today, now=now, value=settings.RECOVERY_ESTIMATED_VALUE, result=result
        )
        created, refused = campaigns_insert(new)
        result.recovery_created += created
        result.refused += refused
        if progress:
            progress("recovery", len(rows))

    due = not_opted_out.filter(patient_type=PatientType.EXISTING, next_follow_up_date__lte=today)
    for rows in _pages(due, batch_size):
        new = _recall_batch(rows, now=now, value=settings.RECALL_ESTIMATED_VALUE, result=result)
        created, refused = campaigns_insert(new)
        result.recall_created += created
        result.refused += refused
        if progress:
            progress("recall", len(rows))
    return result
