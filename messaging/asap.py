"""The ASAP list's messages (SPEC §10): when a visit's time is freed ahead (cancelled, or moved
away), the waiting patients it suits are offered it in batches (appointments.asap), each with a
signed link that books it; the first to book wins and the others hear it was just taken. The
offers go inside the legal hours; a batch whose offers could not go yet is tried again by the
scheduled job, which also closes a freed time someone booked by another way."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from appointments.asap import (
    freed_claim_batch,
    freed_close,
    freed_time_record,
    is_bookable,
    next_batch,
    offer_make,
    offer_token,
)
from appointments.models import FreedTime, SlotOffer
from appointments.notices import slot_offer_text, slot_taken_text
from appointments.signals import appointment_moved, appointment_unbooked
from campaigns.choices import MessageKind
from messaging.conversation import NotNow, PatientOptedOut, message_send

logger = logging.getLogger(__name__)

OFFERS_TASK = "messaging.tasks.send_slot_offers"
TAKEN_TASK = "messaging.tasks.send_slot_taken"


@receiver(appointment_unbooked)
def offer_on_cancellation(sender, *, appointment, **kwargs) -> None:
    _freed(appointment)


@receiver(appointment_moved)
def offer_on_move(sender, *, previous, **kwargs) -> None:
    _freed(previous)


def _freed(appointment) -> None:
    if freed_time_record(appointment) is not None:
        transaction.on_commit(lambda: async_task(OFFERS_TASK))


def offer_url(offer: SlotOffer) -> str:
    return f"{settings.SITE_URL}{reverse('booking:offer', args=[offer_token(offer)])}"


def _send(offer: SlotOffer, kind: str, text: str) -> bool:
    try:
        message_send(
            offer.request.patient,
            kind,
            text,
            idempotency_key=f"{kind}:{offer.pk}",
        )
    except PatientOptedOut:
        return False
    except NotNow:
        return False
    return True


def slot_offers_send(now: dt.datetime | None = None) -> dict[str, int]:
    """Every freed time whose next batch is due: closed when it is no longer free (its standing
    offers told it was taken), else offered to the next batch. Safe twice or concurrently: a
    batch is claimed by a conditional update, an offer is unique per patient and freed time,
    and each message has its idempotency key. Returns counts."""
    now = now or timezone.now()
    counts = {"offered": 0, "closed": 0}
    due = FreedTime.objects.filter(is_open=True, next_batch_at__lte=now).select_related(
        "service", "freed_from"
    )
    for freed in due:
        if not is_bookable(freed.service, freed.start, now):
            counts["closed"] += 1
            slot_taken_send(freed_close(freed, now))
            continue
        batch = next_batch(freed, now)
        number = freed_claim_batch(freed, now)
        if number is None:
            continue
        for request in batch:
            offer = offer_make(freed, request, number)
            if offer is None:
                continue
            text = slot_offer_text(
                request.patient,
                freed.service,
                freed.start,
                offer_url(offer),
                moves_visit=request.appointment_id is not None,
            )
            counts["offered"] += _send(offer, MessageKind.SLOT_OFFER, text)
    return counts


def slot_taken_send(offers: list[SlotOffer]) -> None:
    """Tell the patients of these (now TAKEN) offers that the time went; they stay listed."""
    for offer in offers:
        text = slot_taken_text(offer.request.patient, offer.freed.start)
        _send(offer, MessageKind.SLOT_TAKEN, text)


def freed_time_taken(freed_id: str) -> int:
    """The freed time was booked from an offer: close it and tell the others. Their count."""
    freed = FreedTime.objects.filter(pk=freed_id).first()
    if freed is None:
        return 0
    offers = freed_close(freed)
    slot_taken_send(offers)
    return len(offers)
