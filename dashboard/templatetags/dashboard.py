"""Presentation helpers for the dashboard's templates: badges, durations, clinic time, links that
keep the current filters."""

import calendar
import datetime as dt

from django import template
from django.utils.html import format_html

from appointments.choices import AppointmentStatus
from campaigns.choices import CampaignStatus
from campaigns.status import ACTIVE_STATUSES
from dashboard import selectors
from dashboard.labels import analysis_words
from dentalai.clinic_time import clinic_zone

register = template.Library()

# The colour family of each status badge (app.css: .badge.warn, .ok, ...).
_STATUS_TONE = {
    CampaignStatus.HANDOFF_REQUIRED: "warn",
    CampaignStatus.RE_ENGAGED: "info",
    CampaignStatus.BOOKING_INITIATED: "ok",
    CampaignStatus.BOOKING_COMPLETED: "ok",
    CampaignStatus.RECOVERED: "ok",
    CampaignStatus.ATTEMPTING_RECOVERY: "muted",
    CampaignStatus.RECOVERY_FAILED: "muted",
    CampaignStatus.RECOVERY_DECLINED: "muted",
    CampaignStatus.MANUAL_FOLLOWUP_COMPLETE: "muted",
}
_DELIVERY_TONE = {"sent": "ok", "received": "info", "queued": "muted", "failed": "bad"}
_APPOINTMENT_TONE = {
    "booked": "info",
    "confirmed": "ok",
    "completed": "ok",
    "cancelled": "muted",
    "no_show": "bad",
}


@register.simple_tag
def status_badge(status: str) -> str:
    try:
        label = CampaignStatus(status).label
    except ValueError:
        label = status
    return format_html('<span class="badge {}">{}</span>', _STATUS_TONE.get(status, "muted"), label)


@register.simple_tag
def delivery_badge(status: str) -> str:
    return format_html(
        '<span class="badge {}">{}</span>', _DELIVERY_TONE.get(status, "muted"), status.title()
    )


@register.simple_tag
def appointment_badge(status: str) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        _APPOINTMENT_TONE.get(status, "muted"),
        AppointmentStatus(status).label if status in AppointmentStatus.values else status,
    )


@register.filter
def is_active_status(status: str) -> bool:
    return status in ACTIVE_STATUSES


@register.filter
def waited(delta: dt.timedelta) -> str:
    """A wait as staff say it: "12 min", "3 h 05 min", "2 days 4 h"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} day{'s' if days != 1 else ''} {hours} h"


@register.filter
def clinic_time(moment: dt.datetime | None) -> dt.datetime | None:
    """The instant on the clinic's clock (CLINIC_TIME_ZONE), for |date formatting."""
    if moment is None:
        return None
    return moment.astimezone(clinic_zone())


@register.simple_tag
def clinic_zone_name() -> str:
    """For base.html's {% timezone %}: every date on a page is shown on the clinic's clock."""
    return clinic_zone().key


@register.filter
def money(value) -> str:
    """Dollars, without cents when there are none: "$27,375", "$350.50"."""
    try:
        text = f"${value:,.2f}"
    except (TypeError, ValueError):
        return str(value)
    return text.removesuffix(".00")


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag
def handoff_count() -> int:
    return selectors.handoff_count()


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with `changes` applied (None or "" removes a key): pagination
    and filter links that keep the other filters."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def weekday_name(number) -> str:
    """0 → "Mon"."""
    try:
        return calendar.day_abbr[int(number)]
    except (TypeError, ValueError, IndexError):
        return ""


@register.filter
def analysis_chips(analysis) -> list[str]:
    """A reply's AI analysis in words (dashboard.labels.analysis_words)."""
    return analysis_words(analysis) if isinstance(analysis, dict) else []
