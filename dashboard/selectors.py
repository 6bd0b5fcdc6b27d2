"""Reads the dashboard needs beyond campaigns.selectors / campaigns.stats: the funnels, the weekly
trends, the handoff queue, patient search, the calendar's providers and hours, the outbox.

Reads only. Counts are aggregations in the database (one query per chart or funnel, however many
rows), and every lookup stays inside what django-mongodb-backend supports (SPEC §3.5): no
prefetch_related, raw, extra or Now(); conditional Count/Sum; select_related; `pk__in`.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from appointments.choices import AppointmentStatus, AsapStatus
from appointments.models import Appointment, AsapRequest, ProviderSchedule, Service, SlotOffer
from campaigns.choices import CampaignStatus as S
from campaigns.choices import CampaignType, DeliveryStatus, Direction
from campaigns.handoff import handoff_badge, handoff_urgency
from campaigns.models import Campaign, Interaction
from dentalai.clinic_time import clinic_zone, local_datetime
from dentalai.errors import NotFound
from dentalai.models import User
from messaging.choices import WebhookStatus
from messaging.models import OutboxMessage, WebhookEvent
from patients.models import Patient
from patients.search import patients_matching

PATIENT_NOT_FOUND = "Patient not found."
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")

# --- Funnels ------------------------------------------------------------------------------------

# How far a campaign got, read from its status (the furthest stage it reached), so that every
# stage counts a subset of the one before it.
COMPLETED = frozenset({S.RECOVERED})
BOOKED = COMPLETED | {S.BOOKING_INITIATED, S.BOOKING_COMPLETED}
ENGAGED = BOOKED | {
    S.RE_ENGAGED,
    S.HANDOFF_REQUIRED,
    S.RECOVERY_DECLINED,
    S.MANUAL_FOLLOWUP_COMPLETE,
}
CONTACTED_CLOSED = ENGAGED | {S.RECOVERY_FAILED}

FUNNEL_STAGES = [
    ("due", "Due", "Campaigns started: a recall when a visit fell due, a recovery for a lead."),
    (
        "contacted",
        "Contacted",
        "At least one message went out: attempts made, or the campaign moved past its first "
        "status.",
    ),
    (
        "engaged",
        "Engaged",
        "The patient answered: with the AI or with staff, booked, declined, or closed by "
        "staff after a conversation.",
    ),
    (
        "booked",
        "Booked",
        "An appointment was booked (booking in progress, booked, or the visit completed).",
    ),
    ("completed", "Completed", "The visit took place (the campaign's status: visit completed)."),
]


@dataclass(frozen=True)
class FunnelStage:
    key: str
    label: str
    definition: str
    count: int
    percent_of_due: float  # 0-100, one decimal


@dataclass(frozen=True)
class Funnel:
    campaign_type: str
    label: str
    stages: list[FunnelStage]
    value_recovered: Decimal


def campaign_funnels(*, since: dt.datetime | None = None) -> list[Funnel]:
    """The recall and recovery funnels (due → contacted → engaged → booked → completed) over the
    campaigns started since `since` (all of them when None). One aggregate query."""
    campaigns = Campaign.objects.all()
    if since is not None:
        campaigns = campaigns.filter(created_at__gte=since)
    stage_filters = {
        "due": Q(),
        "contacted": Q(status__in=CONTACTED_CLOSED)
        | Q(status=S.ATTEMPTING_RECOVERY, attempts_made__gte=1),
        "engaged": Q(status__in=ENGAGED),
        "booked": Q(status__in=BOOKED),
        "completed": Q(status__in=COMPLETED),
    }
    aggregates = {}
    for ctype in CampaignType:
        of_type = Q(campaign_type=ctype)
        for key, stage in stage_filters.items():
            aggregates[f"{ctype}_{key}"] = Count("pk", filter=of_type & stage)
        aggregates[f"{ctype}_value"] = Sum(
            "estimated_value", filter=of_type & Q(status=S.RECOVERED), default=Decimal(0)
        )
    totals = campaigns.aggregate(**aggregates)
    funnels = []
    for ctype in (CampaignType.RECALL, CampaignType.RECOVERY):
        due = totals[f"{ctype}_due"]
        stages = [
            FunnelStage(
                key=key,
                label=label,
                definition=definition,
                count=totals[f"{ctype}_{key}"],
                percent_of_due=round(100 * totals[f"{ctype}_{key}"] / due, 1) if due else 0.0,
            )
            for key, label, definition in FUNNEL_STAGES
        ]
        funnels.append(
            Funnel(
                campaign_type=ctype,
                label=ctype.label,
                stages=stages,
                value_recovered=Decimal(totals[f"{ctype}_value"]).quantize(Decimal("0.01")),
            )
        )
    return funnels


# --- Weekly trends ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    start: dt.datetime  # UTC instant of Monday 00:00, clinic time
    end: dt.datetime
    monday: dt.date  # clinic-local

    @property
    def label(self) -> str:
        return f"{self.monday:%b} {self.monday.day}"


def clinic_weeks(*, count: int, now: dt.datetime | None = None) -> list[Week]:
    """The last `count` clinic-local weeks (Monday to Sunday), oldest first, the current one
    last (still running)."""
    zone = clinic_zone()
    today = (now or timezone.now()).astimezone(zone).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    weeks = []
    for back in range(count - 1, -1, -1):
        monday = this_monday - dt.timedelta(weeks=back)
        weeks.append(
            Week(
                start=local_datetime(monday, dt.time(0), zone),
                end=local_datetime(monday + dt.timedelta(weeks=1), dt.time(0), zone),
                monday=monday,
            )
        )
    return weeks


def _weekly(queryset: QuerySet, field: str, weeks: list[Week], series: dict[str, Q]):
    """{series name: [count per week]} in one aggregate query over `queryset`."""
    queryset = queryset.filter(**{f"{field}__gte": weeks[0].start, f"{field}__lt": weeks[-1].end})
    aggregates = {
        f"{name}_{i}": Count(
            "pk", filter=condition & Q(**{f"{field}__gte": w.start, f"{field}__lt": w.end})
        )
        for name, condition in series.items()
        for i, w in enumerate(weeks)
    }
    totals = queryset.aggregate(**aggregates)
    return {name: [totals[f"{name}_{i}"] for i in range(len(weeks))] for name in series}


def weekly_trends(*, weeks: list[Week]) -> dict[str, dict[str, list[int]]]:
    """Counts per clinic week, four aggregate queries of conditional counts:
    - appointments: booked (created that week, not cancelled) and completed (visits that week);
    - campaigns: started that week, recall and recovery;
    - messages: sent to patients (delivered to the channel) and replies from patients."""
    booked = _weekly(
        Appointment.objects.exclude(status=AppointmentStatus.CANCELLED),
        "created_at",
        weeks,
        {"booked": Q()},
    )
    completed = _weekly(
        Appointment.objects.filter(status=AppointmentStatus.COMPLETED),
        "appointment_date",
        weeks,
        {"completed": Q()},
    )
    campaigns = _weekly(
        Campaign.objects.all(),
        "created_at",
        weeks,
        {
            "recall": Q(campaign_type=CampaignType.RECALL),
            "recovery": Q(campaign_type=CampaignType.RECOVERY),
        },
    )
    messages = _weekly(
        Interaction.objects.all(),
        "timestamp",
        weeks,
        {
            "sent": Q(direction=Direction.OUTGOING, delivery_status=DeliveryStatus.SENT),
            "replies": Q(direction=Direction.INCOMING),
        },
    )
    return {"appointments": booked | completed, "campaigns": campaigns, "messages": messages}


# --- Handoff queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class Handoff:
    campaign: Campaign
    requested_at: dt.datetime
    waited: dt.timedelta
    summary: str
    reason: str
    badge: str  # "Emergency", "Complaint" or ""


def handoff_queue(*, now: dt.datetime | None = None, assignee: User | None = None) -> list[Handoff]:
    """Every campaign waiting for a person (HANDOFF_REQUIRED): possible emergencies first, then
    complaints, then the rest, each by the longest waiting. `assignee`: only theirs."""
    now = now or timezone.now()
    campaigns = Campaign.objects.filter(status=S.HANDOFF_REQUIRED).select_related(
        "patient", "assigned_to"
    )
    if assignee is not None:
        campaigns = campaigns.filter(assigned_to=assignee)
    items = []
    for campaign in campaigns:
        requested = campaign.handoff_requested_at or campaign.updated_at
        details = campaign.handoff_details or {}
        items.append(
            Handoff(
                campaign=campaign,
                requested_at=requested,
                waited=max(now - requested, dt.timedelta(0)),
                summary=str(details.get("summary") or campaign.engagement_summary or ""),
                reason=campaign.get_handoff_reason_display(),
                badge=handoff_badge(campaign.handoff_reason),
            )
        )
    items.sort(
        key=lambda h: (handoff_urgency(h.campaign.handoff_reason), h.requested_at, h.campaign.pk)
    )
    return items


FAILED_SHOWN_DAYS = 14


def failed_messages(*, now: dt.datetime | None = None) -> QuerySet[Interaction]:
    """Messages to patients that could not be sent in the last FAILED_SHOWN_DAYS, newest
    first, for staff to send again — not those stopped by the patient's own opt-out."""
    now = now or timezone.now()
    return (
        Interaction.objects.filter(
            direction=Direction.OUTGOING,
            delivery_status=DeliveryStatus.FAILED,
            timestamp__gte=now - dt.timedelta(days=FAILED_SHOWN_DAYS),
            patient__opted_out_at__isnull=True,
        )
        .select_related("patient", "campaign")
        .order_by("-timestamp")
    )


def handoff_count() -> int:
    return Campaign.objects.filter(status=S.HANDOFF_REQUIRED).count()


def unprocessed_events_count() -> int:
    """Patient messages that could not be processed after their retries (messaging.events):
    kept as FAILED webhook events for staff to read and answer."""
    return WebhookEvent.objects.filter(status=WebhookStatus.FAILED).count()


# --- Campaigns ------------------------------------------------------------------------------


def campaign_appointments(*, campaign: Campaign) -> list[Appointment]:
    return list(
        Appointment.objects.filter(campaign=campaign)
        .select_related("service", "provider")
        .order_by("-appointment_date")
    )


# --- Patients -------------------------------------------------------------------------------


def patient_search(*, q: str | None = None, patient_type: str | None = None) -> QuerySet[Patient]:
    """Patients by name (any case, accents or a typo), email or phone (also by its digits)."""
    patients = Patient.objects.order_by("name", "pk")
    if patient_type:
        patients = patients.filter(patient_type=patient_type)
    if (q or "").strip():
        patients = patients_matching(patients, q)
    return patients


def patient_get(*, patient_id: str) -> Patient:
    if not _OBJECT_ID.fullmatch(patient_id or ""):
        raise NotFound(PATIENT_NOT_FOUND)
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise NotFound(PATIENT_NOT_FOUND)
    return patient


@dataclass(frozen=True)
class PatientHistory:
    treatments: list
    campaigns: list[Campaign]
    appointments: list[Appointment]
    messages: list[Interaction]  # outside any campaign: visit messages and the replies to them


PATIENT_MESSAGES = 30


def patient_history(*, patient: Patient) -> PatientHistory:
    return PatientHistory(
        treatments=list(patient.treatments.order_by("-procedure_date")),
        campaigns=list(Campaign.objects.filter(patient=patient).order_by("-created_at")),
        appointments=list(
            Appointment.objects.filter(patient=patient)
            .select_related("service", "provider")
            .order_by("-appointment_date")
        ),
        messages=list(
            Interaction.objects.filter(patient=patient, campaign=None).order_by(
                "-timestamp", "-id"
            )[:PATIENT_MESSAGES]
        ),
    )


# --- Calendar -------------------------------------------------------------------------------


def active_staff() -> list[User]:
    """Everyone who can be given a conversation, by name."""
    return list(User.objects.filter(is_active=True).order_by("name"))


def providers() -> list[User]:
    """Staff with working hours, by name: the calendar's columns."""
    ids = set(ProviderSchedule.objects.values_list("provider_id", flat=True).distinct())
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("name"))


def working_hours(
    *, provider_ids: list[str], weekdays: set[int]
) -> dict[tuple[str, int], list[tuple[dt.time, dt.time]]]:
    """(provider, weekday) → working blocks, clinic local time."""
    hours: dict[tuple[str, int], list[tuple[dt.time, dt.time]]] = {}
    rows = ProviderSchedule.objects.filter(
        provider_id__in=provider_ids, weekday__in=sorted(weekdays)
    ).values_list("provider_id", "weekday", "start_time", "end_time")
    for provider_id, weekday, start, end in rows:
        hours.setdefault((provider_id, weekday), []).append((start, end))
    for blocks in hours.values():
        blocks.sort()
    return hours


def services() -> list[Service]:
    return list(Service.objects.order_by("name"))


# --- Outbox ---------------------------------------------------------------------------------


def outbox_messages(*, channel: str | None = None, q: str | None = None) -> QuerySet:
    """What the outbox backend holds, newest first, with the campaign each message belongs to."""
    messages = OutboxMessage.objects.select_related("interaction").order_by("-created_at", "-pk")
    if channel:
        messages = messages.filter(channel=channel)
    q = (q or "").strip()
    if q:
        messages = messages.filter(Q(to__icontains=q) | Q(body__icontains=q))
    return messages


def asap_waiting(limit: int = 200):
    """Patients waiting on the ASAP list, longest first."""
    return (
        AsapRequest.objects.filter(status=AsapStatus.WAITING)
        .select_related("patient", "service", "appointment")
        .order_by("created_at", "id")[:limit]
    )


def asap_recent_offers(limit: int = 100):
    """The latest ASAP offers, newest first."""
    return SlotOffer.objects.select_related("freed__service", "request__patient").order_by(
        "-offered_at", "-id"
    )[:limit]
