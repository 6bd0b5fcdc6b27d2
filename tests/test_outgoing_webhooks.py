"""Outgoing webhooks (SPEC §11): each event reaches a receiver on a local port once, signed with
the endpoint's secret; a receiver answering 500 gets the same delivery again after the backoff;
one that hangs or is down never slows a booking; every delivery is recorded and can be sent
again from the admin."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appointments.services import (
    appointment_cancel,
    appointment_complete,
    appointment_no_show,
    appointment_reschedule,
)
from campaigns.choices import HandoffReason
from campaigns.handoff import campaign_hand_off
from campaigns.models import Campaign
from messaging.choices import DeliveryState, OutgoingEvent
from messaging.models import WebhookDelivery, WebhookEndpoint
from messaging.outgoing import (
    ATTEMPTS_MAX,
    RETRY_DELAYS,
    webhook_deliveries_retry,
    webhook_delivery_attempt,
    webhook_delivery_claim,
)
from messaging.signatures import signature_valid
from patients.optout import patient_opt_out
from tests.scheduler_fixtures import q_sync
from tests.test_api_appointments import NOW, book, frozen, paula
from tests.webhook_receiver import Receiver

__all__ = ["frozen", "paula", "q_sync"]  # fixtures, used by name

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(
        name="PMS bridge", url=receiver.url, events=list(OutgoingEvent.values)
    )


def bodies(receiver) -> list[dict]:
    return [json.loads(body) for _, body in receiver.requests]


@pytest.fixture
def booked(manager, clinic, paula, endpoint, q_sync, django_capture_on_commit_callbacks):
    paula.external_id = "OD-1001"
    paula.save()
    with django_capture_on_commit_callbacks(execute=True):
        return book(manager, clinic, paula, "2025-08-20 09:00")


def test_a_booking_reaches_the_receiver_once_signed_with_the_endpoints_secret(
    booked, receiver, endpoint
):
    assert len(receiver.requests) == 1
    headers, raw = receiver.requests[0]
    assert signature_valid(raw, headers["X-Signature-256"], endpoint.secret)
    assert not signature_valid(raw, headers["X-Signature-256"], "another secret")
    body = json.loads(raw)
    assert body["event"] == "appointment.booked" == headers["X-Webhook-Event"]
    assert body["id"] == headers["X-Webhook-Id"]
    visit = body["data"]["appointment"]
    assert visit["id"] == booked.pk and visit["status"] == "booked"
    assert visit["start"] == "2025-08-20T13:00:00Z"  # 09:00 in New York, in UTC
    assert visit["service"] == {"slug": "cleaning", "name": "Cleaning"}
    assert visit["patient"]["external_id"] == "OD-1001"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        DeliveryState.DELIVERED,
        1,
        200,
    )


def test_a_receiver_answering_500_gets_the_same_delivery_again_after_the_backoff(
    manager, clinic, paula, receiver, endpoint, q_sync, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        book(manager, clinic, paula, "2025-08-20 09:00")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status, delivery.attempts) == ("pending", 500, 1)
    assert delivery.next_attempt_at == NOW + RETRY_DELAYS[0]
    assert webhook_deliveries_retry() == {"attempted": 0}  # not due yet

    with time_machine.travel(NOW + RETRY_DELAYS[0], tick=False):
        assert webhook_deliveries_retry() == {"attempted": 1, "delivered": 1}

    first, second = receiver.requests
    assert first[1] == second[1] and first[0]["X-Webhook-Id"] == second[0]["X-Webhook-Id"]
    assert second[0]["X-Webhook-Attempt"] == "2"
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


def test_retries_are_bounded_then_staff_send_it_again_from_the_admin(
    booked, receiver, endpoint, client, manager, django_capture_on_commit_callbacks
):
    WebhookDelivery.objects.update(state="pending", attempts=0, next_attempt_at=NOW)
    receiver.answers = [503] * ATTEMPTS_MAX
    moment = NOW
    for _ in range(ATTEMPTS_MAX + 2):
        with time_machine.travel(moment, tick=False):
            webhook_deliveries_retry()
        moment += max(RETRY_DELAYS)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, ATTEMPTS_MAX)
    assert len(receiver.requests) == 1 + ATTEMPTS_MAX  # the booking's own, then the bounded run

    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:messaging_webhookdelivery_changelist"),
            {"action": "send_again", "_selected_action": [delivery.pk]},
        )

    assert response.status_code == 302
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


def test_a_receiver_that_hangs_never_slows_the_booking(
    manager, clinic, paula, receiver, endpoint, settings, django_capture_on_commit_callbacks
):
    settings.OUTGOING_WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.answers = [None]
    # The booking commits with its delivery recorded; the HTTP call is the worker's.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        book(manager, clinic, paula, "2025-08-20 09:00")
    assert queued and not receiver.requests
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0

    assert webhook_delivery_attempt(delivery.pk) == DeliveryState.PENDING

    delivery.refresh_from_db()
    assert delivery.last_error == "No answer within the timeout." and delivery.attempts == 1


def test_a_receiver_that_is_down_is_retried_without_an_error_raised(
    manager, clinic, paula, endpoint, receiver, q_sync, django_capture_on_commit_callbacks
):
    receiver.stop()
    with django_capture_on_commit_callbacks(execute=True):
        book(manager, clinic, paula, "2025-08-20 09:00")

    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_error == "Could not connect (ConnectionError)."


def test_two_workers_never_send_one_delivery_twice(booked):
    WebhookDelivery.objects.update(state="pending", attempts=0)
    delivery = WebhookDelivery.objects.get()

    assert webhook_delivery_claim(delivery.pk, now=timezone.now()) is not None
    assert webhook_delivery_claim(delivery.pk, now=timezone.now()) is None
    assert webhook_delivery_attempt(delivery.pk) == "not taken"


def test_every_event_is_sent_with_its_name(
    booked, manager, clinic, paula, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moved = appointment_reschedule(
            actor=manager,
            appointment_id=booked.pk,
            appointment_date=dt.datetime(2025, 8, 21, 14, tzinfo=dt.UTC),
        )
        appointment_cancel(actor=manager, appointment_id=moved.pk, reason="Sick")
        other = book(manager, clinic, paula, "2025-08-22 10:00")
    later = time_machine.travel(dt.datetime(2025, 8, 23, tzinfo=dt.UTC), tick=False)
    with later, django_capture_on_commit_callbacks(execute=True):
        appointment_complete(actor=manager, appointment_id=other.pk)
        missed = book(manager, clinic, paula, "2025-08-25 10:00")
    later = time_machine.travel(dt.datetime(2025, 8, 26, tzinfo=dt.UTC), tick=False)
    with later, django_capture_on_commit_callbacks(execute=True):
        appointment_no_show(actor=manager, appointment_id=missed.pk)
        campaign = Campaign.objects.get(patient=paula)  # the booking's, back to outreach
        campaign_hand_off(
            campaign, reason=HandoffReason.COMPLAINT, summary="Upset", now=timezone.now()
        )
        patient_opt_out(patient=paula)

    sent = [b["event"] for b in bodies(receiver)]
    assert sent == [
        "appointment.booked",
        "appointment.moved",
        "appointment.cancelled",
        "appointment.booked",
        "appointment.completed",
        "appointment.booked",
        "appointment.no_show",
        "campaign.handoff",
        "patient.opted_out",
    ]
    by_event = {b["event"]: b["data"] for b in bodies(receiver)}
    assert by_event["appointment.moved"]["previous"]["id"] == booked.pk
    assert by_event["appointment.cancelled"]["appointment"]["cancellation_reason"] == "Sick"
    assert by_event["campaign.handoff"]["campaign"]["handoff_reason"] == "complaint"
    assert "Upset" not in json.dumps(bodies(receiver))  # the conversation stays here
    assert by_event["patient.opted_out"]["patient"]["external_id"] == "OD-1001"
    assert WebhookDelivery.objects.exclude(state=DeliveryState.DELIVERED).count() == 0


def test_an_endpoint_gets_only_the_events_it_asked_for_and_an_inactive_one_none(
    manager, clinic, paula, receiver, q_sync, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(name="Opt-outs", url=receiver.url, events=["patient.opted_out"])
    WebhookEndpoint.objects.create(
        name="Old", url=receiver.url, events=list(OutgoingEvent.values), is_active=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        book(manager, clinic, paula, "2025-08-20 09:00")
        patient_opt_out(patient=paula)

    assert [b["event"] for b in bodies(receiver)] == ["patient.opted_out"]


def test_a_booking_rolled_back_tells_nobody(manager, clinic, paula, endpoint, receiver):
    with pytest.raises(RuntimeError), transaction.atomic():
        book(manager, clinic, paula, "2025-08-20 09:00")
        raise RuntimeError("the request failed after the booking")

    assert not WebhookDelivery.objects.exists() and not receiver.requests


def test_an_endpoint_must_name_known_events_and_use_https_in_production(settings):
    endpoint = WebhookEndpoint(name="Bridge", url="http://pms.example/hook", events=["nope"])
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    assert "Unknown events: nope." in str(refused.value)

    settings.DEBUG = False
    endpoint.events = ["appointment.booked"]
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    assert "must start with https://" in str(refused.value)
    endpoint.url = "https://pms.example/hook"
    endpoint.full_clean()
