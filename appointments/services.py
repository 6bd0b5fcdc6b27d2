"""Appointments: the public booking, staff booking, confirming, completing, cancelling, no-shows
and deleting, and the Django admin's save. The API, the dashboard and the admin call these; none
re-implements them. Status changes go through the door in appointments.status.

No double booking (SPEC §3.4): an appointment holds one AppointmentSlot row per grid unit of its
provider's time, unique per (provider, unit start). The appointment and its rows are written in
`dentalai.database.atomic()`; when the database refuses a row (IntegrityError: someone else holds
that time), what this call wrote is deleted by id — MongoDB may have no transaction to roll it
back — and the next free provider is tried. The check against the calendar before that only
picks candidates and words the refusal; the guarantee is the unique constraint.

What a booking, a cancellation or a completion means for the campaign that led to it is the
campaigns' business: each is announced by a signal (appointments.signals) once stored."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone

from appointments.availability import (
    MAX_DURATION,
    ServiceCalendar,
    day_offered,
    held_span,
    service_calendar,
)
from appointments.booking_links import LINK_INVALID, BookingLinkError, booking_token_campaign_id
from appointments.choices import AppointmentStatus, ChangedBy, CreatedFrom
from appointments.closures import closed_message
from appointments.models import Appointment, AppointmentSlot, Service
from appointments.notices import local_when
from appointments.signals import (
    appointment_booked,
    appointment_completed,
    appointment_moved,
    appointment_no_showed,
    appointment_unbooked,
)
from appointments.slots import GRID, is_on_grid, slot_starts
from appointments.status import HOLDING_STATUSES, LIVE_STATUSES, appointment_move, is_movable
from dentalai.audit import audit_record
from dentalai.choices import Channel
from dentalai.clinic_time import clinic_today, clinic_zone, local_day_bounds
from dentalai.database import atomic
from dentalai.errors import ApplicationError, Conflict, NotFound
from dentalai.models import User, is_object_id, new_object_id
from patients.choices import PatientType
from patients.models import Patient, TreatmentRecord
from patients.services import patient_find, patient_get_or_create

BOOKED = "Appointment booked successfully."
SLOT_TAKEN = "That time is no longer available. Please choose another time."
NO_PROVIDER_FREE = "No provider of this service is free for that whole time within working hours."
APPOINTMENT_NOT_FOUND = "Appointment not found."
SERVICE_NOT_FOUND = "Service not found."
PROVIDER_NOT_FOUND = "Provider not found."
PATIENT_NOT_FOUND = (
    "No patient matches this email or phone number. Please contact the clinic to book."
)
PATIENT_BUSY = "The patient already has a visit at that time."
LINK_USED = (
    "This link has already booked a visit: {when}. To change it, reply to our last message or "
    "call the clinic."
)
NOT_MOVABLE = "This visit is no longer upcoming, so it cannot be moved."
OFF_GRID = "Appointments start on a quarter hour (:00, :15, :30 or :45)."
IN_THE_PAST = "That time has already passed."
NOTE_MAX = 500  # staff's words to the patient at the end of a cancellation notice
NOTES_MAX = 2000  # staff's notes on a visit
MIN_MINUTES, MAX_MINUTES = 5, 480


@dataclass(frozen=True)
class BookingResult:
    appointment: Appointment
    created: bool  # False: an identical earlier request already booked it


# --- Reads --------------------------------------------------------------------------------------


def service_resolve(*, service_id: str | None = None, service_name: str | None = None) -> Service:
    """The service named by its slug (the API's service_id) or its name, any case. NotFound
    for neither; ApplicationError when both are given and name different services."""
    by_id = by_name = None
    if service_id:
        by_id = Service.objects.filter(slug=service_id.strip()).first()
        if by_id is None:
            raise NotFound(SERVICE_NOT_FOUND)
    if service_name:
        by_name = Service.objects.filter(name__iexact=service_name.strip()).first()
        if by_name is None and by_id is None:
            raise NotFound(SERVICE_NOT_FOUND)
    if by_id and by_name and by_id.pk != by_name.pk:
        raise ApplicationError("service_id and service_name name different services.")
    service = by_id or by_name
    if service is None:
        raise ApplicationError("Name the service: service_id or service_name.")
    return service


def appointment_get(*, appointment_id: str) -> Appointment:
    """One appointment with what its API shape shows; NotFound for an unknown or malformed id."""
    if not is_object_id(appointment_id):
        raise NotFound(APPOINTMENT_NOT_FOUND)
    appointment = (
        Appointment.objects.select_related("patient", "service", "provider")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    return appointment


def appointment_list(
    *,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    provider_id: str | None = None,
    status: str | None = None,
) -> QuerySet[Appointment]:
    """Appointments starting on clinic-local days start_date..end_date (both included; either
    may be open), in start order, with patient, service and provider joined in (one query)."""
    if start_date and end_date and end_date < start_date:
        raise ApplicationError("end_date is before start_date.")
    zone = clinic_zone()
    appointments = Appointment.objects.select_related("patient", "service", "provider")
    if start_date:
        appointments = appointments.filter(
            appointment_date__gte=local_day_bounds(start_date, zone)[0]
        )
    if end_date:
        appointments = appointments.filter(appointment_date__lt=local_day_bounds(end_date, zone)[1])
    if provider_id:
        appointments = appointments.filter(provider_id=provider_id)
    if status:
        appointments = appointments.filter(status=status)
    return appointments.order_by("appointment_date", "id")


# --- Slot rows ------------------------------------------------------------------------------


def _slot_keys(appointment: Appointment) -> set[tuple[str, dt.datetime]]:
    """(provider, unit start) of every grid unit the appointment holds: `slot_starts` for an
    on-grid start; an off-grid one (only the Django admin allows it) holds each unit it touches.
    None for one that holds no time (cancelled, a no-show) or has no provider."""
    if appointment.status not in HOLDING_STATUSES or not appointment.provider_id:
        return set()
    first, end = held_span(appointment.appointment_date, appointment.duration_minutes)
    units = slot_starts(first, (end - first) // dt.timedelta(minutes=1))
    return {(appointment.provider_id, unit) for unit in units}


def _insert_holding_slots(appointment: Appointment) -> bool:
    """Insert a new appointment and its slot rows; False, with nothing left behind, when the
    database refuses a row because that time is held already."""
    rows = [
        AppointmentSlot(appointment=appointment, provider_id=provider_id, start=start)
        for provider_id, start in sorted(_slot_keys(appointment))
    ]
    try:
        with atomic():
            appointment.save(force_insert=True)
            AppointmentSlot.objects.bulk_create(rows)
    except IntegrityError:
        # Rolled back where there is a transaction; on MongoDB delete it (its rows cascade).
        Appointment.objects.filter(pk=appointment.pk).delete()
        return False
    return True


def _as_utc(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        raise ApplicationError("appointment_date needs a time zone: Z or an offset like -04:00.")
    return moment.astimezone(dt.UTC)


# --- Public booking -------------------------------------------------------------------------


def _identical(patient: Patient, service: Service, start: dt.datetime) -> Appointment | None:
    return (
        Appointment.objects.filter(
            patient=patient,
            service=service,
            appointment_date=start,
            status__in=LIVE_STATUSES,
        )
        .order_by("created_at", "id")
        .first()
    )


def patient_busy(
    patient: Patient, start: dt.datetime, minutes: int, *, besides: Appointment | None = None
) -> Appointment | None:
    """The patient's upcoming visit (any provider) overlapping [start, start + minutes), other
    than `besides` (the visit being moved)."""
    end = start + dt.timedelta(minutes=minutes)
    visits = Appointment.objects.filter(
        patient=patient,
        status__in=LIVE_STATUSES,
        appointment_date__lt=end,
        appointment_date__gt=start - MAX_DURATION,
    )
    if besides is not None:
        visits = visits.exclude(pk=besides.pk)
    for other in visits:
        if other.ends_at > start:
            return other
    return None


def link_booked_visit(campaign_id: str, *, now: dt.datetime | None = None) -> Appointment | None:
    """The upcoming visit a booking link's campaign already has: a link books one visit."""
    return (
        Appointment.objects.filter(
            campaign_id=campaign_id,
            status__in=LIVE_STATUSES,
            appointment_date__gte=now or timezone.now(),
        )
        .select_related("service", "provider")
        .order_by("appointment_date")
        .first()
    )


def _insert_first_free(candidate: Appointment, provider_ids: list[str]) -> Appointment | None:
    """The candidate stored with the first of the providers whose time the database lets it
    hold; None when every one was taken meanwhile."""
    for provider_id in provider_ids:
        candidate.provider_id = provider_id
        if _insert_holding_slots(candidate):
            return candidate
        candidate.pk = new_object_id()  # a fresh row for the next try
    return None


def appointment_book(
    *,
    service: Service,
    appointment_date: dt.datetime,
    email: str | None = None,
    phone: str | None = None,
    token: str | None = None,
    name: str = "",
    new_patients: bool = False,
    now: dt.datetime | None = None,
) -> BookingResult:
    """The booking page's submission (the seed's business logic, SPEC §4).

    The patient is the one a signed booking link names (its campaign's patient; the contact
    details typed on the form find no one else), or else the one with this email OR phone.
    When none has them: with `new_patients`, a NEW patient of that `name` and contact is
    created with the appointment (and removed again if the time went meanwhile); else
    NotFound — either way only once the time is judged, so the answer never tells who is a
    patient. The time must be
    one the availability lists for the service — on the step, after the lead time, with a
    provider free for the whole service — or it is a Conflict. The provider is the first free
    one (in id order, so that identical concurrent requests race for the same slot rows).

    An identical request repeated (same patient, service and time, still booked) gets the same
    appointment back, `created=False`, instead of a second one or a Conflict.
    """
    now = now or timezone.now()
    start = _as_utc(appointment_date)
    campaign_id = None
    if token:
        campaign_id = booking_token_campaign_id(token)
        patient = Patient.objects.filter(campaigns__pk=campaign_id).first()
        if patient is None:
            raise BookingLinkError(LINK_INVALID)
    else:
        patient = patient_find(email=email, phone=phone)

    # The calendar is read before looking for an earlier identical booking: a retry that finds
    # the time taken by its twin then also finds the twin.
    offered = day_offered(service, day=clinic_today(start), now=now)
    existing = _identical(patient, service, start) if patient else None
    if existing is not None:
        return BookingResult(existing, created=False)
    # The time is judged before the contact, so a refusal says nothing about who is a patient.
    if not offered.get(start):
        raise Conflict(SLOT_TAKEN)
    created_patient = False
    if patient is None:
        if not new_patients:
            raise NotFound(PATIENT_NOT_FOUND)
        patient, created_patient = new_patient_get_or_create(name, email=email, phone=phone)
    if campaign_id and (booked := link_booked_visit(campaign_id, now=now)):
        raise Conflict(LINK_USED.format(when=local_when(booked.appointment_date)))
    if patient_busy(patient, start, service.duration_minutes):
        raise Conflict(PATIENT_BUSY)

    candidate = Appointment(
        patient=patient,
        campaign_id=campaign_id,
        service=service,
        appointment_date=start,
        duration_minutes=service.duration_minutes,
        status=AppointmentStatus.BOOKED,
        created_from=CreatedFrom.BOOKING_PAGE if created_patient else CreatedFrom.AI_AGENT_FORM,
        created_at=now,
    )
    appointment = _insert_first_free(candidate, offered[start])
    if appointment is None:
        if created_patient:
            Patient.objects.filter(pk=patient.pk).delete()  # a refused booking leaves no one
            raise Conflict(SLOT_TAKEN)
        existing = _identical(patient, service, start)
        if existing is not None:
            return BookingResult(existing, created=False)
        raise Conflict(SLOT_TAKEN)

    appointment_booked.send(sender=Appointment, appointment=appointment, submitted_at=now)
    audit_record(
        actor=None,
        action="appointment_book",
        target=appointment,
        details={
            "campaign_id": appointment.campaign_id,
            "by_link": bool(token),
            "new_patient": created_patient,
        },
    )
    return BookingResult(appointment, created=True)


def new_patient_get_or_create(
    name: str, *, email: str | None, phone: str | None
) -> tuple[Patient, bool]:
    """The patient with this contact, or the NEW one the public pages create (written to where
    they gave, email first)."""
    if not name.strip():
        raise ApplicationError("Enter your name.")
    return patient_get_or_create(
        name=name,
        email=email,
        phone=phone,
        patient_type=PatientType.NEW,
        preferred_channels=[Channel.EMAIL if email else Channel.SMS],
    )


# --- Staff actions --------------------------------------------------------------------------


def appointment_create_manual(
    *,
    actor: User | None,
    service: Service,
    appointment_date: dt.datetime,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    preferred_channel: str | None = None,
    duration_minutes: int | None = None,
    notes: str = "",
    provider_id: str | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Staff book a visit (a patient called): MANUAL_ADMIN.

    Any quarter-hour start not in the past where the provider (the one named, else the first
    free one of the service) is free for the whole duration inside working hours: no lead time
    and no booking-page step. The duration defaults to the service's. The patient with this
    email or phone is reused unchanged; a new one is created as EXISTING — they called to book,
    they are not a lead to recover. The patient's active campaign is linked and moves to
    BOOKING_INITIATED when the status machine allows.
    """
    now = now or timezone.now()
    start = _as_utc(appointment_date)
    minutes = duration_minutes or service.duration_minutes
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ApplicationError(f"duration_minutes: between {MIN_MINUTES} and {MAX_MINUTES}.")
    cal, free = _staff_free_providers(service, start, minutes, now)
    if closed := closed_message(clinic_today(start)):
        raise Conflict(closed)
    if provider_id:
        if provider_id not in cal.provider_ids:
            provider = User.objects.filter(pk=str(provider_id), is_active=True).first()
            if provider is None:
                raise NotFound(PROVIDER_NOT_FOUND)
            raise ApplicationError(f"{provider} does not provide {service.name}.")
        if provider_id not in free:
            raise Conflict(f"{SLOT_TAKEN} The provider is not free for that whole time.")
        free = [provider_id]
    elif not free:
        raise Conflict(NO_PROVIDER_FREE)

    with atomic():
        patient, created = patient_get_or_create(
            name=name,
            email=email,
            phone=phone,
            patient_type=PatientType.EXISTING,
            preferred_channels=[preferred_channel] if preferred_channel else [],
        )
        clash = None if created else patient_busy(patient, start, minutes)
        candidate = Appointment(
            patient=patient,
            service=service,
            appointment_date=start,
            duration_minutes=minutes,
            status=AppointmentStatus.BOOKED,
            notes=notes.strip(),
            created_from=CreatedFrom.MANUAL_ADMIN,
            created_at=now,
        )
        appointment = None if clash else _insert_first_free(candidate, free)
        if appointment is None:
            if created:
                # A refused booking leaves no patient behind (the transaction undoes it where
                # there is one; on MongoDB without a replica set this does).
                Patient.objects.filter(pk=patient.pk).delete()
            if clash:
                raise Conflict(f"{PATIENT_BUSY} ({local_when(clash.appointment_date)})")
            raise Conflict(SLOT_TAKEN)

    appointment_booked.send(sender=Appointment, appointment=appointment, submitted_at=None)
    audit_record(
        actor=actor,
        action="appointment_create_manual",
        target=appointment,
        details={
            "patient_id": patient.pk,
            "patient_created": created,
            "provider_id": appointment.provider_id,
            "campaign_id": appointment.campaign_id,
        },
    )
    return appointment_get(appointment_id=appointment.pk)


def appointment_confirm(
    *, actor: User | None, appointment_id: str, by: str = ChangedBy.STAFF
) -> Appointment:
    """The patient said they are coming: booked → confirmed (a confirmed one stays so; anything
    else is a Conflict). `by` says who recorded it: staff, or the agent reading a reply."""
    appointment = appointment_get(appointment_id=appointment_id)
    if appointment.status == AppointmentStatus.CONFIRMED:
        return appointment
    appointment_move(appointment, AppointmentStatus.CONFIRMED, confirmed_at=timezone.now())
    audit_record(
        actor=actor,
        action="appointment_confirm",
        target=appointment,
        details={"by": by, "campaign_id": appointment.campaign_id},
    )
    return appointment


def appointment_notes_set(*, actor: User | None, appointment_id: str, notes: str) -> bool:
    """Staff's notes on a visit, for the team (never sent). False when they were the same."""
    notes = notes.strip()
    if len(notes) > NOTES_MAX:
        raise ApplicationError(f"Keep the notes under {NOTES_MAX} characters.")
    appointment = appointment_get(appointment_id=appointment_id)
    if notes == appointment.notes:
        return False
    Appointment.objects.filter(pk=appointment.pk).update(notes=notes, updated_at=timezone.now())
    audit_record(actor=actor, action="appointment_notes", target=appointment)
    return True


def appointment_complete(
    *,
    actor: User | None,
    appointment_id: str,
    next_follow_up_date: dt.date | None = None,
) -> Appointment:
    """The visit took place (the seed's conversion step): booked, confirmed or a no-show marked
    by mistake → completed, Conflict otherwise. The procedure joins the patient's treatment
    history; its campaign becomes RECOVERED when the status machine allows; the patient is now
    an EXISTING patient, and `next_follow_up_date`, when given, is when the recall is due."""
    appointment = appointment_get(appointment_id=appointment_id)
    today = clinic_today()
    if next_follow_up_date is not None and next_follow_up_date < today:
        raise ApplicationError("The next follow-up date has already passed.")
    with atomic():
        appointment_move(appointment, AppointmentStatus.COMPLETED)
        TreatmentRecord.objects.create(
            patient_id=appointment.patient_id,
            procedure_name=appointment.service.name,
            procedure_date=clinic_today(appointment.appointment_date),
            next_follow_up_date=next_follow_up_date,
        )
    appointment_completed.send(sender=Appointment, appointment=appointment)
    patient_fields: dict = {"patient_type": PatientType.EXISTING, "updated_at": timezone.now()}
    if next_follow_up_date is not None:
        patient_fields["next_follow_up_date"] = next_follow_up_date
    Patient.objects.filter(pk=appointment.patient_id).update(**patient_fields)
    audit_record(
        actor=actor,
        action="appointment_complete",
        target=appointment,
        details={
            "campaign_id": appointment.campaign_id,
            "next_follow_up_date": next_follow_up_date.isoformat() if next_follow_up_date else None,
        },
    )
    return appointment_get(appointment_id=appointment.pk)


def _free_time(appointment: Appointment, target: str, **fields) -> None:
    """Move an upcoming visit to a status that holds no time, and free its slot rows."""
    with atomic():
        appointment_move(appointment, target, **fields)
        AppointmentSlot.objects.filter(appointment_id=appointment.pk).delete()


def appointment_cancel(
    *,
    actor: User | None,
    appointment_id: str,
    by: str = ChangedBy.STAFF,
    reason: str = "",
    notify: bool | None = None,
    note: str = "",
) -> Appointment:
    """booked or confirmed → cancelled (Conflict otherwise); its slot rows go, so the time is
    free again; who cancelled, when and why are kept on the visit. Its campaign goes back to
    RE_ENGAGED when it was waiting on this booking (module doc). The patient is told
    (messaging.visits) when `notify`, or by default when they had been told of the booking;
    `note` ends the notice."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ApplicationError(f"Keep the note to the patient under {NOTE_MAX} characters.")
    appointment = appointment_get(appointment_id=appointment_id)
    _free_time(
        appointment,
        AppointmentStatus.CANCELLED,
        cancelled_at=timezone.now(),
        cancelled_by=by,
        cancellation_reason=reason.strip()[:500],
        cancellation_notify=notify,
        cancellation_note=note if notify is not False else "",
    )
    appointment_unbooked.send(sender=Appointment, appointment=appointment)
    audit_record(
        actor=actor,
        action="appointment_cancel",
        target=appointment,
        details={"by": by, "campaign_id": appointment.campaign_id},
    )
    return appointment_get(appointment_id=appointment.pk)


def appointment_reschedule(
    *,
    actor: User | None,
    appointment_id: str,
    appointment_date: dt.datetime,
    by: str = ChangedBy.PATIENT,
    provider_id: str | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move an upcoming visit to another time the booking page offers for its service — or,
    moved by staff, to any time the staff booking offers (appointments.availability.
    staff_starts), with the provider they name; the visit that takes its place is returned.

    The new time is claimed first — a new appointment holding its own slot rows — and only
    then is the old visit cancelled (recorded as moved: `rescheduled_to`, who and when), so a
    move that fails leaves the visit as it was: a Conflict when the new time was taken
    meanwhile, or when the old visit changed meanwhile (cancelled, or moved by a second
    request: the conditional status update lets one through; the loser's claim is undone).
    The same provider is kept when free. The campaign is unaffected: the patient still has a
    visit (appointment_moved, not appointment_unbooked)."""
    now = now or timezone.now()
    old = appointment_get(appointment_id=appointment_id)
    if not is_movable(old, now):
        raise Conflict(NOT_MOVABLE)
    start = _as_utc(appointment_date)
    if start == old.appointment_date:
        return old
    if closed := closed_message(clinic_today(start)):
        raise Conflict(closed)
    if by == ChangedBy.STAFF:
        _, providers = _staff_free_providers(old.service, start, old.duration_minutes, now)
        if provider_id:
            providers = [provider_id] if provider_id in providers else []
    else:
        offered = day_offered(old.service, day=clinic_today(start), now=now)
        providers = offered.get(start)
        if providers and old.duration_minutes != old.service.duration_minutes:
            day_start, day_end = local_day_bounds(clinic_today(start))
            cal = service_calendar(old.service, start=day_start, end=day_end)
            length = held_span(start, old.duration_minutes)[1] - start
            providers = cal.free_providers(start, length)
    if not providers:
        raise Conflict(SLOT_TAKEN)
    if clash := patient_busy(old.patient, start, old.duration_minutes, besides=old):
        raise Conflict(f"{PATIENT_BUSY} ({local_when(clash.appointment_date)})")
    providers = sorted(providers, key=lambda p: p != old.provider_id)  # the same one first
    candidate = Appointment(
        patient_id=old.patient_id,
        campaign_id=old.campaign_id,
        service=old.service,
        appointment_date=start,
        duration_minutes=old.duration_minutes,
        status=AppointmentStatus.BOOKED,
        notes=old.notes,
        created_from=old.created_from,
        created_at=now,
    )
    new = _insert_first_free(candidate, providers)
    if new is None:
        raise Conflict(SLOT_TAKEN)
    try:
        _free_time(
            old,
            AppointmentStatus.CANCELLED,
            cancelled_at=now,
            cancelled_by=by,
            cancellation_reason=f"Moved to {local_when(start)}.",
            rescheduled_to=new,
        )
    except Conflict:
        Appointment.objects.filter(pk=new.pk).delete()  # its slot rows cascade
        raise
    appointment_moved.send(sender=Appointment, appointment=new, previous=old)
    audit_record(
        actor=actor,
        action="appointment_reschedule",
        target=new,
        details={"by": by, "moved_from": old.pk, "campaign_id": new.campaign_id},
    )
    return appointment_get(appointment_id=new.pk)


def _staff_free_providers(
    service: Service, start: dt.datetime, minutes: int, now: dt.datetime
) -> tuple[ServiceCalendar, list[str]]:
    """Staff booking or moving a visit: any quarter-hour start not in the past (no lead time,
    no booking-page step); the day's calendar of the service and the providers free from
    `start` for `minutes` inside their working hours."""
    if not is_on_grid(start):
        raise ApplicationError(OFF_GRID)
    if start < now:
        raise ApplicationError(IN_THE_PAST)
    day_start, day_end = local_day_bounds(clinic_today(start))
    cal = service_calendar(service, start=day_start, end=day_end)
    return cal, cal.free_providers(start, held_span(start, minutes)[1] - start)


def appointment_no_show(*, actor: User | None, appointment_id: str) -> Appointment:
    """The patient did not come: booked or confirmed → no_show, once its start has passed (a
    Conflict before). What is left of its time is freed; the patient is told once, kindly, how
    to book again (the signal's receivers)."""
    appointment = appointment_get(appointment_id=appointment_id)
    if appointment.appointment_date > timezone.now():
        raise Conflict("This visit has not started yet; it cannot be marked a no-show.")
    _free_time(appointment, AppointmentStatus.NO_SHOW)
    appointment_no_showed.send(sender=Appointment, appointment=appointment)
    audit_record(
        actor=actor,
        action="appointment_no_show",
        target=appointment,
        details={"campaign_id": appointment.campaign_id},
    )
    return appointment_get(appointment_id=appointment.pk)


def appointment_delete(*, actor: User | None, appointment_id: str) -> None:
    """Remove the appointment and its slot rows, whatever its status. A booked one has the
    campaign effect of a cancellation."""
    appointment = appointment_get(appointment_id=appointment_id)
    with atomic():
        AppointmentSlot.objects.filter(appointment_id=appointment.pk).delete()
        Appointment.objects.filter(pk=appointment.pk).delete()
    if appointment.status in LIVE_STATUSES:
        appointment_unbooked.send(sender=Appointment, appointment=appointment)
    audit_record(
        actor=actor,
        action="appointment_delete",
        target=appointment,
        details={
            "patient_id": appointment.patient_id,
            "appointment_date": appointment.appointment_date.isoformat(),
            "status": appointment.status,
            "campaign_id": appointment.campaign_id,
        },
    )


# --- The Django admin -----------------------------------------------------------------------


def appointment_clash(*, appointment: Appointment) -> Appointment | None:
    """Another appointment (not cancelled) of the same provider overlapping this one's time: the
    admin form's early, friendly refusal. The database still has the last word (below)."""
    if not _slot_keys(appointment):
        return None
    first, end = held_span(appointment.appointment_date, appointment.duration_minutes)
    others = (
        Appointment.objects.filter(
            provider_id=appointment.provider_id,
            appointment_date__lt=end,
            appointment_date__gt=first - MAX_DURATION - GRID,
        )
        .filter(status__in=HOLDING_STATUSES)
        .exclude(pk=appointment.pk)
        .select_related("patient", "service")
        .order_by("appointment_date")
    )
    for other in others:
        other_first, other_end = held_span(other.appointment_date, other.duration_minutes)
        if other_first < end and first < other_end:
            return other
    return None


def appointment_save(*, actor: User | None, appointment: Appointment) -> Appointment:
    """Store an appointment as staff entered or edited it in the Django admin — any time, any
    provider, any status — with its slot rows following it: added for time it now holds before
    it is saved, removed for time it no longer holds after. Conflict, with nothing changed,
    when the database refuses a row because the provider's time is held by another."""
    adding = appointment._state.adding
    wanted = _slot_keys(appointment)
    held = (
        {}
        if adding
        else {
            (provider_id, start): pk
            for pk, provider_id, start in AppointmentSlot.objects.filter(
                appointment_id=appointment.pk
            ).values_list("pk", "provider_id", "start")
        }
    )
    rows = [
        AppointmentSlot(appointment=appointment, provider_id=provider_id, start=start)
        for provider_id, start in sorted(wanted - held.keys())
    ]
    try:
        with atomic():
            if adding:
                appointment.save(force_insert=True)
            AppointmentSlot.objects.bulk_create(rows)
            if not adding:
                appointment.save()
    except IntegrityError as exc:
        # Undo by id what was written, for MongoDB where nothing was rolled back.
        if adding:
            Appointment.objects.filter(pk=appointment.pk).delete()
        else:
            AppointmentSlot.objects.filter(pk__in=[row.pk for row in rows]).delete()
        raise Conflict(f"{appointment.provider} is already booked then.") from exc
    stale = [pk for key, pk in held.items() if key not in wanted]
    if stale:
        AppointmentSlot.objects.filter(pk__in=stale).delete()
    audit_record(
        actor=actor,
        action="appointment_create_admin" if adding else "appointment_change_admin",
        target=appointment,
        details={"status": appointment.status, "provider_id": appointment.provider_id},
    )
    return appointment
