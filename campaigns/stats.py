"""The dashboard's numbers (SPEC §4, §10), computed by the database: one aggregate over
campaigns, one over appointments and one count of messages, however many rows there are. The API
and the dashboard both call `dashboard_stats`; the definitions below are the ones the API
documentation states."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from appointments.choices import AppointmentStatus, OfferOutcome
from appointments.models import Appointment, SlotOffer
from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, MessageKind
from campaigns.models import Campaign, Interaction

DEFINITIONS = """\
- `kpis.appointments_booked_month`: appointments *created* (not scheduled) since the first day
  of the current month at 00:00 in the clinic's time zone (`CLINIC_TIME_ZONE`) and before the
  first day of the next, whatever their status except `cancelled`; a visit the patient moved
  counts once, when it was first booked.
- `kpis.handoffs_requiring_action`: campaigns in `HANDOFF_REQUIRED`.
- `kpis.active_recovery_campaigns`: `RECOVERY` campaigns in an active status
  (`ATTEMPTING_RECOVERY`, `RE_ENGAGED`, `HANDOFF_REQUIRED`, `BOOKING_INITIATED`).
- `conversion_rates.recovery_rate_percent` / `recall_rate_percent`: 100 * (campaigns of that
  type in `RECOVERED`) / (all campaigns of that type, every status, open or closed), rounded
  half up to one decimal; 0.0 when there are none.
- `pipeline_value_recovered`: the sum of `estimated_value` over all `RECOVERED` campaigns, of
  both types (a number, two decimals at most; 0 when none).
- `recoveries`: the number of `RECOVERY` campaigns in `RECOVERED` (won-back leads; recalls that
  ended in a visit count towards `recall_rate_percent` instead).
- `visits.confirmation_rate_percent`: of the visits *starting* this clinic month, cancelled ones
  left out, the share the patient confirmed (whatever became of them after), rounded as above.
- `visits.no_show_rate_percent`: of the visits started this month that ended `completed` or
  `no_show`, the share of no-shows.
- `visits.reminders_sent_month`: visit reminders delivered to the channel this month.
- `visits.slots_refilled_month` / `slots_refilled_value_month`: freed times booked this month
  from an ASAP-list offer, and the sum of their services' `price`."""


CENTS = Decimal("0.01")


def clinic_month_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the clinic-local calendar month containing `now`, in UTC."""
    zone = ZoneInfo(settings.CLINIC_TIME_ZONE)
    local = now.astimezone(zone)
    start = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    end = dt.datetime(year, month, 1, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _percent(part: int, whole: int) -> float:
    if not whole:
        return 0.0
    ratio = Decimal(100 * part) / Decimal(whole)
    return float(ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


Period = tuple[dt.datetime | None, dt.datetime | None]  # [start, end); None: unbounded


def _within(field: str, period: Period) -> Q:
    start, end = period
    bounds = {}
    if start is not None:
        bounds[f"{field}__gte"] = start
    if end is not None:
        bounds[f"{field}__lt"] = end
    return Q(**bounds)


def dashboard_stats(*, now: dt.datetime | None = None, period: Period | None = None) -> dict:
    """The KPIs of the dashboard (definitions: DEFINITIONS). Exactly three queries.

    `period` (the dashboard's selector) bounds every number but the two that are about now
    (handoffs waiting, recovery campaigns open): the rates and the value count the campaigns
    started in it, the visits' numbers what happened in it. Without one, as the API states,
    the rates count every campaign and the visits' numbers this clinic month."""
    now = now or timezone.now()
    started = _within("created_at", period) if period else Q()
    visits_period = period or clinic_month_bounds(now)
    recovery = Q(campaign_type=CampaignType.RECOVERY)
    recall = Q(campaign_type=CampaignType.RECALL)
    recovered = Q(status=CampaignStatus.RECOVERED)
    totals = Campaign.objects.aggregate(
        handoffs=Count("pk", filter=Q(status=CampaignStatus.HANDOFF_REQUIRED)),
        active_recovery=Count("pk", filter=recovery & Q(is_active=True)),
        recovery_all=Count("pk", filter=recovery & started),
        recovery_won=Count("pk", filter=recovery & recovered & started),
        recall_all=Count("pk", filter=recall & started),
        recall_won=Count("pk", filter=recall & recovered & started),
        value_recovered=Sum("estimated_value", filter=recovered & started, default=Decimal(0)),
    )
    kept = ~Q(status=AppointmentStatus.CANCELLED)
    # A move cancels the visit and books its replacement: a booking moved in the period is
    # counted once, by the first of the two (each move taken off once).
    moved = Q(rescheduled_to__isnull=False)
    starting = _within("appointment_date", visits_period) & kept
    ended = starting & Q(status__in=[AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW])
    visits = Appointment.objects.aggregate(
        booked_month=Count("pk", filter=_within("created_at", visits_period) & (kept | moved)),
        moves_month=Count("pk", filter=moved & _within("cancelled_at", visits_period)),
        starting=Count("pk", filter=starting),
        confirmed=Count("pk", filter=starting & Q(confirmed_at__isnull=False)),
        ended=Count("pk", filter=ended),
        no_shows=Count("pk", filter=ended & Q(status=AppointmentStatus.NO_SHOW)),
    )
    reminders = Interaction.objects.filter(
        _within("timestamp", visits_period),
        kind=MessageKind.REMINDER,
        delivery_status=DeliveryStatus.SENT,
    ).count()
    refilled = SlotOffer.objects.filter(
        _within("answered_at", visits_period), outcome=OfferOutcome.BOOKED
    ).aggregate(count=Count("pk"), value=Sum("freed__service__price", default=Decimal(0)))
    return {
        "kpis": {
            "appointments_booked_month": visits["booked_month"] - visits["moves_month"],
            "handoffs_requiring_action": totals["handoffs"],
            "active_recovery_campaigns": totals["active_recovery"],
        },
        "conversion_rates": {
            "recovery_rate_percent": _percent(totals["recovery_won"], totals["recovery_all"]),
            "recall_rate_percent": _percent(totals["recall_won"], totals["recall_all"]),
        },
        "pipeline_value_recovered": float(
            Decimal(totals["value_recovered"]).quantize(Decimal("0.01"))
        ),
        "recoveries": totals["recovery_won"],
        "visits": {
            "confirmation_rate_percent": _percent(visits["confirmed"], visits["starting"]),
            "no_show_rate_percent": _percent(visits["no_shows"], visits["ended"]),
            "reminders_sent_month": reminders,
            "slots_refilled_month": refilled["count"],
            "slots_refilled_value_month": float(
                Decimal(refilled["value"]).quantize(Decimal("0.01"))
            ),
        },
    }
