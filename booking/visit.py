"""A visit's self-service page, /book/visit/<token>/ (SPEC §10): opened from the signed link in the
visit's confirmation and reminders, with no login. It shows the visit (the first name, never
more of the patient) and lets the patient move it — the booking page's steps with the visit's
token (booking.views) — or cancel it, with an optional reason; the cancellation goes through
`appointments.services.appointment_cancel`, recorded as the patient's. A link to a visit that
was moved opens the visit that took its place: every message sent about it stays useful."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from appointments.choices import ChangedBy
from appointments.services import appointment_cancel, appointment_get
from appointments.status import LIVE_STATUSES
from appointments.visit_links import (
    VISIT_LINK_INVALID,
    visit_token_appointment_id,
    visit_token_make,
)
from booking.forms import CancelVisitForm
from dentalai.clinic_time import clinic_zone
from dentalai.errors import ApplicationError, NotFound
from dentalai.throttles import THROTTLED, booking_try

MAX_MOVES_FOLLOWED = 20


def _visit(token: str):
    """The appointment the link names, or the one it was moved to; None for a link that cannot
    be trusted or a visit that was deleted."""
    appointment_id = visit_token_appointment_id(token[:1000])
    if not appointment_id:
        return None
    try:
        appointment = appointment_get(appointment_id=appointment_id)
        for _ in range(MAX_MOVES_FOLLOWED):
            if not appointment.rescheduled_to_id:
                break
            appointment = appointment_get(appointment_id=appointment.rescheduled_to_id)
    except NotFound:
        return None
    return appointment


def _page(request, appointment, form, *, error: str = "", status: int = 200):
    start_at = appointment.appointment_date.astimezone(clinic_zone())
    return render(
        request,
        "booking/visit.html",
        {
            "appointment": appointment,
            "first_name": appointment.patient.first_name,
            "start_at": start_at,
            "upcoming": appointment.status in LIVE_STATUSES
            and appointment.appointment_date > timezone.now(),
            "form": form,
            "move_url": reverse("booking:month", args=[appointment.service.slug])
            + "?"
            + urlencode({"v": visit_token_make(appointment)}),
            "asap_url": reverse("booking:asap_join", args=[appointment.service.slug])
            + "?"
            + urlencode({"v": visit_token_make(appointment)}),
            "moved_from": appointment.moved_from.order_by("-cancelled_at").first(),
            "error": error,
            "clinic_name": settings.CLINIC_NAME,
            "clinic_address": settings.CLINIC_POSTAL_ADDRESS,
        },
        status=status,
    )


def visit(request, token: str):
    appointment = _visit(token)
    if appointment is None:
        context = {"appointment": None, "error": VISIT_LINK_INVALID}
        return render(request, "booking/visit.html", context, status=404)
    if request.method != "POST":
        return _page(request, appointment, CancelVisitForm())
    form = CancelVisitForm(request.POST)
    if booking_try(request) is not None:
        return _page(request, appointment, form, error=THROTTLED, status=429)
    if not form.is_valid():
        return _page(request, appointment, form, status=400)
    try:
        appointment_cancel(
            actor=None,
            appointment_id=appointment.pk,
            by=ChangedBy.PATIENT,
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        return _page(
            request,
            appointment_get(appointment_id=appointment.pk),
            form,
            error=exc.message,
            status=409,
        )
    return redirect(reverse("booking:visit", args=[visit_token_make(appointment)]))
