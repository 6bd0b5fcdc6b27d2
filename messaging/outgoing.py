"""Outgoing webhooks (SPEC §11): what happens here — a visit booked, moved, cancelled,
completed or missed, a patient's opt-out, a conversation handed to staff — POSTed as JSON to
the clinic's endpoints, for a practice-management bridge to write back.

An event writes one WebhookDelivery per subscribed endpoint in the transaction of the change
(so a rolled-back booking tells nobody), and queues its first attempt once that commits; the
HTTP call happens in a worker, so a receiver that is down or slow never slows a booking. Each
attempt is claimed first (one conditional update), so two workers never send it at once and a
dead worker's claim runs out. A 2xx answer delivers it; anything else (or no answer within
OUTGOING_WEBHOOK_TIMEOUT_SECONDS) is retried after RETRY_DELAYS by the `outgoing-webhooks`
schedule, then failed; staff retry a failed one from the admin. Every attempt carries the same
event id and body, signed `X-Signature-256: sha256=<HMAC>` with the endpoint's secret.
"""

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django_q.tasks import async_task

from appointments.models import Appointment
from appointments.signals import (
    appointment_booked,
    appointment_completed,
    appointment_moved,
    appointment_no_showed,
    appointment_unbooked,
)
from campaigns.models import Campaign
from campaigns.status import campaign_handed_off
from messaging.choices import DeliveryState, OutgoingEvent
from messaging.models import WebhookDelivery, WebhookEndpoint
from messaging.signatures import HEADER, signature
from patients.models import Patient
from patients.optout import patient_opted_out

logger = logging.getLogger(__name__)

ATTEMPT_TASK = "messaging.outgoing.webhook_delivery_attempt"
# After the first attempt: a receiver restarting is back within minutes, one down for the
# night is caught the next morning; then the delivery fails and waits for staff.
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
ATTEMPTS_MAX = len(RETRY_DELAYS) + 1
USER_AGENT = "DentalAI-Webhooks/1"


# --- The events -----------------------------------------------------------------------------


def webhook_emit(event: str, data: Callable[[], dict], *, now: dt.datetime | None = None) -> int:
    """Record `event` for every active endpoint that asked for it and queue the first attempts
    after the current transaction commits. `data()` builds the body's data, only when some
    endpoint wants it. Returns how many deliveries were recorded."""
    now = now or timezone.now()
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if event in e.events]
    if not endpoints:
        return 0
    body = {"id": str(uuid.uuid4()), "event": event, "created_at": now.isoformat(), "data": data()}
    payload = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            event_id=body["id"],
            payload=payload,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: [async_task(ATTEMPT_TASK, pk) for pk in ids])
    return len(ids)


def patient_data(patient: Patient) -> dict:
    """How the bridge finds the patient in its own system: its PMS id first."""
    return {
        "id": str(patient.pk),
        "external_id": patient.external_id,
        "name": patient.name,
        "email": patient.email,
        "phone": patient.phone,
    }


def appointment_data(appointment: Appointment) -> dict:
    provider = appointment.provider
    return {
        "id": str(appointment.pk),
        "status": appointment.status,
        "start": appointment.appointment_date,
        "end": appointment.ends_at,
        "duration_minutes": appointment.duration_minutes,
        "service": {"slug": appointment.service.slug, "name": appointment.service.name},
        "provider": {"id": str(provider.pk), "name": provider.name} if provider else None,
        "patient": patient_data(appointment.patient),
        "confirmed_at": appointment.confirmed_at,
        "cancelled_at": appointment.cancelled_at,
        "cancelled_by": appointment.cancelled_by,
        "cancellation_reason": appointment.cancellation_reason,
    }


@receiver(appointment_booked)
def _booked(sender, *, appointment, **kwargs):
    webhook_emit(
        OutgoingEvent.APPOINTMENT_BOOKED, lambda: {"appointment": appointment_data(appointment)}
    )


@receiver(appointment_moved)
def _moved(sender, *, appointment, previous, **kwargs):
    webhook_emit(
        OutgoingEvent.APPOINTMENT_MOVED,
        lambda: {
            "appointment": appointment_data(appointment),
            "previous": appointment_data(previous),
        },
    )


@receiver(appointment_unbooked)
def _cancelled(sender, *, appointment, **kwargs):
    def data():
        # Also a deleted visit (its status still says it was live): the bridge removes it.
        deleted = not Appointment.objects.filter(pk=appointment.pk).exists()
        return {"appointment": appointment_data(appointment), "deleted": deleted}

    webhook_emit(OutgoingEvent.APPOINTMENT_CANCELLED, data)


@receiver(appointment_completed)
def _completed(sender, *, appointment, **kwargs):
    webhook_emit(
        OutgoingEvent.APPOINTMENT_COMPLETED, lambda: {"appointment": appointment_data(appointment)}
    )


@receiver(appointment_no_showed)
def _no_show(sender, *, appointment, **kwargs):
    webhook_emit(
        OutgoingEvent.APPOINTMENT_NO_SHOW, lambda: {"appointment": appointment_data(appointment)}
    )


@receiver(patient_opted_out)
def _opted_out(sender, *, patient, now, **kwargs):
    webhook_emit(
        OutgoingEvent.PATIENT_OPTED_OUT,
        lambda: {"patient": patient_data(patient), "opted_out_at": now},
        now=now,
    )


@receiver(campaign_handed_off)
def _handed_off(sender, *, campaign: Campaign, **kwargs):
    # The reason, never the conversation: message text stays here.
    def data():
        return {
            "campaign": {
                "id": str(campaign.pk),
                "type": campaign.campaign_type,
                "channel": campaign.channel_type,
                "handoff_reason": campaign.handoff_reason,
                "handoff_requested_at": campaign.handoff_requested_at,
            },
            "patient": patient_data(campaign.patient),
        }

    webhook_emit(OutgoingEvent.CAMPAIGN_HANDOFF, data)


# --- Delivering -----------------------------------------------------------------------------


def _claim_lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OUTGOING_WEBHOOK_TIMEOUT_SECONDS + 30)


def _due(now: dt.datetime):
    return WebhookDelivery.objects.filter(
        Q(claimed_until=None) | Q(claimed_until__lt=now),
        state=DeliveryState.PENDING,
        next_attempt_at__lte=now,
    )


def webhook_delivery_claim(delivery_id: str, *, now: dt.datetime) -> WebhookDelivery | None:
    """Take the delivery for one attempt, unless it is not due or another worker holds it."""
    delivery = _due(now).select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    claimed = (
        _due(now)
        .filter(pk=delivery.pk, attempts=delivery.attempts)
        .update(claimed_until=now + _claim_lease(), attempts=delivery.attempts + 1)
    )
    if not claimed:
        return None
    delivery.attempts += 1
    return delivery


def webhook_delivery_attempt(delivery_id: str) -> str:
    """One attempt at the delivery: its state afterwards, or "not taken"."""
    now = timezone.now()
    delivery = webhook_delivery_claim(delivery_id, now=now)
    if delivery is None:
        return "not taken"
    status, error = _post(delivery)
    fields = {"last_status": status, "last_error": error, "claimed_until": None}
    if status is not None and 200 <= status < 300:
        fields |= {"state": DeliveryState.DELIVERED, "delivered_at": timezone.now()}
    elif delivery.attempts >= ATTEMPTS_MAX:
        fields["state"] = DeliveryState.FAILED
    else:
        fields["next_attempt_at"] = timezone.now() + RETRY_DELAYS[delivery.attempts - 1]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    logger.info(
        "webhook delivery %s (%s) attempt %d: %s",
        delivery.pk,
        delivery.event,
        delivery.attempts,
        status or error,
    )
    return fields.get("state", DeliveryState.PENDING)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """(HTTP status, "") or (None, why there was no answer). The error names the failure's
    kind, never the body or the URL's query (which may carry a token)."""
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: signature(body, delivery.endpoint.secret),
        "X-Webhook-Event": delivery.event,
        "X-Webhook-Id": delivery.event_id,
        "X-Webhook-Attempt": str(delivery.attempts),
    }
    try:
        response = requests.post(
            delivery.endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.OUTGOING_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.Timeout:
        return None, "No answer within the timeout."
    except requests.RequestException as exc:
        return None, f"Could not connect ({type(exc).__name__})."
    return response.status_code, "" if response.ok else f"Answered {response.status_code}."


def webhook_deliveries_retry(*, now: dt.datetime | None = None) -> dict:
    """The schedule's sweep: attempt the deliveries whose retry is due (and any first attempt
    a dead worker left), oldest first, within half the job's time limit."""
    now = now or timezone.now()
    budget = time.monotonic() + settings.Q_JOB_TIMEOUT_SECONDS / 2
    counts = {"attempted": 0}
    due = _due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:200]
    for pk in due:
        if time.monotonic() + settings.OUTGOING_WEBHOOK_TIMEOUT_SECONDS > budget:
            break
        state = webhook_delivery_attempt(pk)
        if state != "not taken":
            counts["attempted"] += 1
            counts[state] = counts.get(state, 0) + 1
    return counts


def webhook_deliveries_requeue(deliveries) -> int:
    """Staff's retry (the admin): each chosen delivery not yet delivered gets a fresh set of
    attempts, the first at once."""
    ids = list(deliveries.exclude(state=DeliveryState.DELIVERED).values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_until=None
    )
    transaction.on_commit(lambda: [async_task(ATTEMPT_TASK, pk) for pk in ids])
    return len(ids)
