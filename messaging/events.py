"""Processing the stored webhook events (messaging.ingest stores them): every event reaches one
outcome, whatever crashes or times out (SPEC §9.1).

- Claimed before any work: a conditional update sets a lease (`claimed_until`, one message's
  longest handling, settings.MESSAGE_HANDLING_SECONDS_MAX, ahead) and counts the attempt. A
  drain skips an event another holds; the lease of a worker that died runs out, and the next
  drain (one is scheduled every minute) takes the event over. The agent then resumes the
  message whose handling was cut short (messaging.conversation.message_receive).
- Paced: a drain takes no event it could not finish before its job's timeout, which is derived
  from the same bound; what is left goes to the next drain.
- Bounded: an event whose processing raised is tried again after a pause, EVENT_ATTEMPTS_MAX
  times in all (an event that kills its worker each time counts the same way). Then it is
  FAILED, the patient's campaign is handed to staff, and the dashboard's home shows it — never
  "processed".
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from campaigns.choices import HandoffReason
from campaigns.handoff import campaign_hand_off
from dentalai.choices import Channel
from messaging.choices import WebhookSource, WebhookStatus
from messaging.gmail import gmail_push_process
from messaging.inbound import TEXT_LIMIT, InboundMessage, inbound_from_twilio
from messaging.ingest import DRAIN_TASK
from messaging.models import WebhookEvent
from messaging.replies import (
    campaign_for_thread,
    inbound_handle,
    patient_for_sender,
    thread_id_canonical,
)

logger = logging.getLogger(__name__)

DRAIN_BATCH = 100
DRAIN_EVENTS_MAX = 500
EVENT_ATTEMPTS_MAX = 3
RETRY_PAUSE = dt.timedelta(seconds=30)  # times the attempt number
NOT_TAKEN = "not_taken"  # processed already, or claimed by another drain
GAVE_UP_SUMMARY = (
    "A message from the patient could not be processed after {attempts} tries. It is kept "
    "under Webhook events (failed): please read it there and answer the patient."
)


def webhook_events_drain(*, limit: int = DRAIN_EVENTS_MAX) -> int:
    """Process the events no drain holds, oldest first, looking again until a look finds none
    (the events whose drain request was coalesced into this one are mostly stored by then).
    At most `limit` events, and none it could not finish within its job's timeout; when there
    may be more, another drain is queued. Returns how many events it processed."""
    deadline = time.monotonic() + settings.Q_JOB_TIMEOUT_SECONDS
    budget = settings.MESSAGE_HANDLING_SECONDS_MAX
    looked: list[str] = []
    done = 0
    while done < limit:
        ids = list(
            _takeable(timezone.now())
            .exclude(pk__in=looked)
            .order_by("received_at", "pk")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        if not ids:
            return done
        for event_id in ids:
            if done >= limit or time.monotonic() + budget > deadline:
                async_task(DRAIN_TASK)  # the rest, in a job of its own
                return done
            looked.append(event_id)
            done += webhook_event_process(event_id=event_id, deadline=deadline) != NOT_TAKEN
    async_task(DRAIN_TASK)
    return done


def _takeable(now: dt.datetime):
    return WebhookEvent.objects.filter(status=WebhookStatus.RECEIVED).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def webhook_event_claim(event_id: str) -> WebhookEvent | None:
    """Take the event for one attempt, unless it is processed or another drain holds it. The
    update is conditional on the attempt count read: of two drains, one wins."""
    now = timezone.now()
    event = _takeable(now).filter(pk=event_id).first()
    if event is None:
        return None
    lease = now + dt.timedelta(seconds=settings.MESSAGE_HANDLING_SECONDS_MAX)
    claimed = (
        _takeable(now)
        .filter(pk=event.pk, attempts=event.attempts)
        .update(claimed_until=lease, attempts=event.attempts + 1)
    )
    if not claimed:
        return None
    event.claimed_until, event.attempts = lease, event.attempts + 1
    return event


def webhook_event_process(*, event_id: str, service=None, deadline: float | None = None) -> str:
    """Claim the event and process it: PROCESSED, UNMATCHED (kept for staff), FAILED (after
    its last attempt), or RECEIVED again while a retry waits. NOT_TAKEN when it is processed
    already or another drain holds it. `deadline`: the drain's (a Gmail sync stops short of
    it)."""
    event = webhook_event_claim(event_id)
    if event is None:
        return NOT_TAKEN
    if event.attempts > EVENT_ATTEMPTS_MAX:  # each earlier attempt died with its worker
        return _give_up(event, "The worker processing it stopped each time.")
    try:
        if event.source == WebhookSource.GMAIL:
            status, note = gmail_push_process(event, service=service, deadline=deadline)
        else:
            status, note = inbound_handle(inbound_from_event(event))
    except Exception as exc:
        logger.exception("webhook event %s (%s) failed", event.pk, event.source)
        return _after_failure(event, f"{type(exc).__name__} while processing.")
    _finish(event, status, note)
    return status


def _finish(event: WebhookEvent, status: str, note: str) -> None:
    WebhookEvent.objects.filter(pk=event.pk, status=WebhookStatus.RECEIVED).update(
        status=status, error=note, processed_at=timezone.now(), claimed_until=None
    )
    logger.info("webhook event %s (%s): %s", event.pk, event.source, status)


def _after_failure(event: WebhookEvent, reason: str) -> str:
    if event.attempts >= EVENT_ATTEMPTS_MAX:
        return _give_up(event, reason)
    # Tried again once the pause is over: the claim is pushed out to then.
    retry_at = timezone.now() + RETRY_PAUSE * event.attempts
    WebhookEvent.objects.filter(pk=event.pk, status=WebhookStatus.RECEIVED).update(
        error=f"{reason} Attempt {event.attempts} of {EVENT_ATTEMPTS_MAX}; trying again.",
        claimed_until=retry_at,
    )
    return WebhookStatus.RECEIVED


def _give_up(event: WebhookEvent, reason: str) -> str:
    """FAILED, and the patient's campaign (when the event names one) goes to a person."""
    _finish(event, WebhookStatus.FAILED, f"{reason} Gave up after {EVENT_ATTEMPTS_MAX} attempts.")
    campaign = _campaign_of(event)
    if campaign is not None:
        summary = GAVE_UP_SUMMARY.format(attempts=EVENT_ATTEMPTS_MAX)
        campaign_hand_off(
            campaign, reason=HandoffReason.AI_UNAVAILABLE, summary=summary, now=timezone.now()
        )
    logger.error("webhook event %s (%s) failed for good", event.pk, event.source)
    return WebhookStatus.FAILED


def _campaign_of(event: WebhookEvent):
    """The campaign the event's message belongs to; None for a Gmail push (it names only the
    mailbox: its messages are read again by the next sync) or an unreadable payload."""
    if event.source == WebhookSource.GMAIL:
        return None
    try:
        inbound = inbound_from_event(event)
    except (KeyError, TypeError, ValueError):
        return None
    campaign = campaign_for_thread(channel=inbound.channel, thread_id=inbound.thread_id)
    if campaign is None and (patient := patient_for_sender(inbound)) is not None:
        campaign = patient.campaigns.filter(is_active=True).first()
    return campaign


def webhook_events_retry(*, event_ids: list[str]) -> int:
    """Staff, from the admin: process FAILED events again. Back to RECEIVED with fresh
    attempts (a conditional update: only what is still FAILED), then drained. Processing is
    idempotent (the agent records a provider message once), so a spare run does no harm.
    Returns how many."""
    count = WebhookEvent.objects.filter(pk__in=event_ids, status=WebhookStatus.FAILED).update(
        status=WebhookStatus.RECEIVED, error="", processed_at=None, claimed_until=None, attempts=0
    )
    if count:
        async_task(DRAIN_TASK)
    return count


def inbound_from_event(event: WebhookEvent) -> InboundMessage:
    payload = event.payload
    if event.source == WebhookSource.TWILIO:
        return inbound_from_twilio(payload)
    channel = payload["channel"]
    thread_id = thread_id_canonical(channel, payload["thread_id"])
    return InboundMessage(
        channel=channel,
        thread_id=thread_id,
        text=str(payload["message_content"])[:TEXT_LIMIT],
        external_id=str(payload["message_id"]),
        sender=thread_id if channel != Channel.EMAIL else str(payload.get("sender", "")),
    )
