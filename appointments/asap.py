"""The ASAP list (SPEC §10): patients who would take a freed time sooner, and the freed times
offered to them. A visit cancelled or moved away ahead of its time becomes a FreedTime when
someone waits for its service; it is offered to the matching patients in batches (ASAP_BATCH,
the longest-waiting first), the next batch ASAP_WAIT_MINUTES later while nobody has booked it.
The first to book wins — the slot rows' unique constraint decides, as for any booking — and the
others are told it was just taken and stay on the list. Sending the offers is messaging's
(messaging.asap); this module keeps the list and the bookkeeping."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments.availability import day_offered, earliest_bookable
from appointments.choices import AsapStatus, OfferOutcome
from appointments.models import Appointment, AsapRequest, FreedTime, Service, SlotOffer
from appointments.services import appointment_book, appointment_reschedule
from appointments.status import LIVE_STATUSES
from dentalai.clinic_time import clinic_today, clinic_zone
from dentalai.errors import Conflict
from dentalai.signed import SignedIdError, signed_id, signed_id_read
from patients.models import Patient

OFFER_SALT = "dentalai.appointments.slot-offer"
OFFER_MAX_AGE = dt.timedelta(days=30)
NO_LONGER_OFFERED = "Sorry, that time was just taken. You are still on our list."


def asap_join(
    *,
    patient: Patient,
    service: Service,
    source: str,
    weekdays: list[int] | None = None,
    earliest: dt.time | None = None,
    latest: dt.time | None = None,
    appointment: Appointment | None = None,
) -> AsapRequest:
    """Put the patient on the list for `service` (joining again updates what suits them)."""
    fields = {
        "weekdays": sorted(set(weekdays or [])),
        "earliest": earliest,
        "latest": latest,
        "appointment": appointment,
    }
    waiting = AsapRequest.objects.filter(
        patient=patient, service=service, status=AsapStatus.WAITING
    )
    if waiting.update(**fields, updated_at=timezone.now()):
        return waiting.get()
    try:
        with transaction.atomic():
            return AsapRequest.objects.create(
                patient=patient, service=service, source=source, **fields
            )
    except IntegrityError:  # joined twice at once: the one that got in is updated
        waiting.update(**fields)
        return waiting.get()


def asap_leave(request: AsapRequest) -> None:
    AsapRequest.objects.filter(pk=request.pk, status=AsapStatus.WAITING).update(
        status=AsapStatus.WITHDRAWN, updated_at=timezone.now()
    )


# --- Freed times --------------------------------------------------------------------------


def is_bookable(service: Service, start: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Whether the booking page offers `start` for `service` now."""
    return bool(day_offered(service, day=clinic_today(start), now=now).get(start))


def freed_time_record(appointment: Appointment, now: dt.datetime | None = None):
    """The FreedTime a visit leaves when someone waits for its service and the booking page
    offers its start again; None otherwise. Once per visit."""
    now = now or timezone.now()
    if appointment.appointment_date < earliest_bookable(now):
        return None
    waiting = AsapRequest.objects.filter(
        service_id=appointment.service_id, status=AsapStatus.WAITING
    )
    if not waiting.exists() or not is_bookable(appointment.service, appointment.appointment_date):
        return None
    try:
        with transaction.atomic():
            return FreedTime.objects.create(
                freed_from=appointment,
                service_id=appointment.service_id,
                start=appointment.appointment_date,
                next_batch_at=now,
            )
    except IntegrityError:
        return FreedTime.objects.get(freed_from=appointment)


def suits(request: AsapRequest, start: dt.datetime, now: dt.datetime) -> bool:
    """The freed time is one the patient said suits them; for a visit to bring forward, it is
    earlier than that visit, which is still upcoming."""
    local = start.astimezone(clinic_zone())
    if request.weekdays and local.weekday() not in request.weekdays:
        return False
    if request.earliest and local.time() < request.earliest:
        return False
    if request.latest and local.time() > request.latest:
        return False
    visit = request.appointment
    if visit is not None:
        return visit.status in LIVE_STATUSES and now < start < visit.appointment_date
    return True


def next_batch(freed: FreedTime, now: dt.datetime) -> list[AsapRequest]:
    """The next ASAP_BATCH patients to offer the freed time: waiting the longest, not offered
    it yet, not its own patient, not opted out, and suited by it."""
    offered = list(freed.offers.values_list("request_id", flat=True))
    candidates = (
        AsapRequest.objects.filter(service_id=freed.service_id, status=AsapStatus.WAITING)
        .exclude(pk__in=offered)
        .exclude(patient_id=freed.freed_from.patient_id)
        .select_related("patient", "appointment", "service")
        .order_by("created_at", "id")
    )
    batch = []
    for request in candidates.iterator():
        if not request.patient.is_opted_out and suits(request, freed.start, now):
            batch.append(request)
            if len(batch) == settings.ASAP_BATCH:
                break
    return batch


def freed_claim_batch(freed: FreedTime, now: dt.datetime) -> int | None:
    """Claim the next batch of a freed time (a conditional update: two jobs never send the
    same batch); its number, or None when another job claimed it."""
    claimed = FreedTime.objects.filter(
        pk=freed.pk, is_open=True, batches_sent=freed.batches_sent
    ).update(
        batches_sent=freed.batches_sent + 1,
        next_batch_at=now + dt.timedelta(minutes=settings.ASAP_WAIT_MINUTES),
    )
    return freed.batches_sent + 1 if claimed else None


def offer_make(freed: FreedTime, request: AsapRequest, batch: int) -> SlotOffer | None:
    try:
        with transaction.atomic():
            return SlotOffer.objects.create(freed=freed, request=request, batch=batch)
    except IntegrityError:
        return None  # offered already


def freed_close(freed: FreedTime, now: dt.datetime | None = None) -> list[SlotOffer]:
    """The freed time is gone (booked, or no longer bookable): closed once, and the offers still
    standing become TAKEN — they are returned so their patients can be told."""
    if not FreedTime.objects.filter(pk=freed.pk, is_open=True).update(is_open=False):
        return []
    standing = SlotOffer.objects.filter(freed=freed, outcome=OfferOutcome.OFFERED)
    offers = list(standing.select_related("request__patient", "freed__service"))
    standing.update(outcome=OfferOutcome.TAKEN, answered_at=now or timezone.now())
    return offers


# --- Offers -------------------------------------------------------------------------------


def offer_token(offer: SlotOffer) -> str:
    return signed_id(offer.pk, salt=OFFER_SALT, field="o")


def offer_from_token(token: str) -> SlotOffer | None:
    try:
        offer_id = signed_id_read(token, salt=OFFER_SALT, field="o", max_age=OFFER_MAX_AGE)
    except SignedIdError:
        return None
    return (
        SlotOffer.objects.select_related(
            "freed__service", "request__patient", "request__appointment", "freed__freed_from"
        )
        .filter(pk=offer_id)
        .first()
    )


def offer_open(offer: SlotOffer, now: dt.datetime | None = None) -> bool:
    """The patient can still book it: offered to them, still free, and not too late."""
    return (
        offer.outcome == OfferOutcome.OFFERED
        and offer.request.status == AsapStatus.WAITING
        and offer.freed.is_open
        and is_bookable(offer.freed.service, offer.freed.start, now)
    )


def offer_accept(offer: SlotOffer, now: dt.datetime | None = None) -> Appointment:
    """Book the freed time for the offer's patient — moving their visit to it when they joined
    from that visit's page. Conflict (NO_LONGER_OFFERED) when someone was quicker: the patient
    stays on the list. On success the patient leaves the list and the freed time closes (the
    others' offers become TAKEN: the caller tells them)."""
    now = now or timezone.now()
    if not offer_open(offer, now):
        raise Conflict(NO_LONGER_OFFERED)
    request, freed = offer.request, offer.freed
    patient = request.patient
    visit = request.appointment
    try:
        if visit is not None and visit.status in LIVE_STATUSES:
            booked = appointment_reschedule(
                actor=None, appointment_id=visit.pk, appointment_date=freed.start, now=now
            )
        else:
            booked = appointment_book(
                service=freed.service,
                appointment_date=freed.start,
                email=patient.email or None,
                phone=patient.phone or None,
                now=now,
            ).appointment
    except Conflict as exc:
        raise Conflict(NO_LONGER_OFFERED) from exc
    SlotOffer.objects.filter(pk=offer.pk).update(
        outcome=OfferOutcome.BOOKED, appointment=booked, answered_at=now
    )
    AsapRequest.objects.filter(pk=request.pk).update(status=AsapStatus.BOOKED, updated_at=now)
    return booked
