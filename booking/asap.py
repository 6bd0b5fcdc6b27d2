"""The ASAP list on the public pages (SPEC §10): a patient joins it from their visit's page
(`?v=`: a freed time then brings that visit forward), from the booking page when no time suits
(`?t=` from a campaign's link, or with their contact details), and books a freed time from the
signed link of its offer — first come, first served (appointments.asap)."""

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django_q.tasks import async_task

from appointments.asap import (
    NO_LONGER_OFFERED,
    asap_join,
    offer_accept,
    offer_from_token,
    offer_open,
)
from appointments.booking_links import BookingLinkError, booking_token_campaign_id
from appointments.choices import AsapSource, OfferOutcome
from appointments.services import PATIENT_NOT_FOUND, new_patient_get_or_create
from appointments.visit_links import VISIT_LINK_INVALID, visit_token_make
from booking.forms import AsapForm, ContactForm
from booking.views import Link, link_from_request, service_or_404
from dentalai.clinic_time import clinic_zone
from dentalai.errors import ApplicationError, Conflict
from dentalai.throttles import THROTTLED, booking_try
from patients.models import Patient
from patients.services import patient_find

JOINED = "You're on the list. We'll write as soon as a time that suits you frees up."
TAKEN_TASK = "messaging.tasks.send_slot_taken"


def _listed_patient(link: Link, contact: dict) -> Patient | None:
    """Who joins: the visit's patient, the link's campaign patient, or the one with these
    contact details — created when new patients may book."""
    if link.moving:
        return link.moving.patient
    if link.token:
        try:
            campaign_id = booking_token_campaign_id(link.token)
        except BookingLinkError:
            return None
        return Patient.objects.filter(campaigns__pk=campaign_id).first()
    email, phone = contact.get("email") or None, contact.get("phone") or None
    if settings.BOOKING_NEW_PATIENTS not in ("on", "all"):
        return patient_find(email=email, phone=phone)
    return new_patient_get_or_create(contact["name"], email=email, phone=phone)[0]


def join(request, service: str):
    link = link_from_request(request)
    svc = service_or_404(service, link)
    form = AsapForm(request.POST or None)
    contact_form = ContactForm(request.POST or None) if not link.token else None
    context = {
        "link": link,
        "service": svc,
        "form": form,
        "contact_form": contact_form,
        "clinic_zone": clinic_zone(),
        "error": "",
        "joined": "",
    }
    if request.method != "POST":
        return render(request, "booking/asap.html", context)
    if booking_try(request) is not None:
        return render(request, "booking/asap.html", {**context, "error": THROTTLED}, status=429)
    if not form.is_valid() or (contact_form is not None and not contact_form.is_valid()):
        return render(request, "booking/asap.html", context, status=400)
    try:
        patient = _listed_patient(link, contact_form.cleaned_data if contact_form else {})
    except ApplicationError as exc:
        return render(request, "booking/asap.html", {**context, "error": exc.message}, status=400)
    if patient is None:
        error = link.problem or PATIENT_NOT_FOUND
        return render(request, "booking/asap.html", {**context, "error": error}, status=404)
    asap_join(
        patient=patient,
        service=svc,
        source=AsapSource.VISIT_PAGE if link.moving else AsapSource.BOOKING_PAGE,
        appointment=link.moving,
        **form.cleaned_data,
    )
    return render(request, "booking/asap.html", {**context, "joined": JOINED})


def offer(request, token: str):
    found = offer_from_token(token[:1000])
    if found is None:
        context = {"offer": None, "error": VISIT_LINK_INVALID}
        return render(request, "booking/offer.html", context, status=404)
    context = {
        "offer": found,
        "start_at": found.freed.start.astimezone(clinic_zone()),
        "moves_visit": found.request.appointment_id is not None,
        "open": offer_open(found),
        "booked": found.outcome == OfferOutcome.BOOKED,
        "error": "",
    }
    if request.method != "POST":
        return render(request, "booking/offer.html", context)
    if booking_try(request) is not None:
        return render(request, "booking/offer.html", {**context, "error": THROTTLED}, status=429)
    try:
        booked = offer_accept(found)
    except Conflict:
        context.update(open=False, error=NO_LONGER_OFFERED)
        return render(request, "booking/offer.html", context, status=409)
    freed_id = found.freed_id
    transaction.on_commit(lambda: async_task(TAKEN_TASK, freed_id))
    return redirect(reverse("booking:visit", args=[visit_token_make(booked)]))
