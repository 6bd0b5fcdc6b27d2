"""The times the staff booking form offers: the free quarter-hours of the chosen service,
provider and day (appointments.availability.staff_starts), refreshed by the page as the choices
change (static/js/app.js, data-times-url)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from appointments.availability import staff_starts
from appointments.closures import closed_message
from appointments.models import Service
from dentalai.clinic_time import clinic_today, clinic_zone, computable
from dentalai.models import is_object_id
from dentalai.roles import requires


def offered_times(params) -> tuple[list[str], str]:
    """("HH:MM" starts, a note when there are none) for the form's current choices; `params`
    is the form's data or initial values."""
    service = _service(params.get("service"))
    day = _day(params.get("date"))
    if service is None:
        return [], "Choose a service."
    if day is None:
        return [], "Choose a day."
    if day < clinic_today():
        return [], "That day has passed."
    if closed := closed_message(day):
        return [], closed
    provider = params.get("provider") or None
    provider = provider if provider and is_object_id(str(provider)) else None
    minutes = _minutes(params.get("duration_minutes"))
    starts = staff_starts(service, day=day, provider_id=provider, minutes=minutes)
    zone = clinic_zone()
    times = [t.astimezone(zone).strftime("%H:%M") for t in starts]
    if not times:
        who = "the chosen provider" if provider else "anyone who provides it"
        return [], f"No free time that day for {service.name} with {who}."
    return times, ""


def _service(value) -> Service | None:
    value = str(value or "")
    if value and is_object_id(value):
        return Service.objects.filter(pk=value).first()
    return Service.objects.order_by("name").first() if not value else None


def _day(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value or ""))
    except ValueError:
        return None
    return day if computable(day) else None


def _minutes(value) -> int | None:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        return None
    return minutes if 5 <= minutes <= 480 else None


@login_required
@requires("appointments.add_appointment")
@require_GET
def appointment_times(request):
    times, note = offered_times(request.GET)
    return JsonResponse({"times": times, "note": note})
