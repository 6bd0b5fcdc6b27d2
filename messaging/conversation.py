"""The doors for a patient's messages. Every message to a patient — the agent's, a staff reply,
a visit's confirmation or reminder — goes out through `message_send`; every message from one is
recorded by `message_receive`. Both keep the patient's conversation in one shape: the
`Interaction` names its patient and kind, and its campaign and visit when it has them.

`message_send` applies the sending policy before anything is stored: an opted-out patient gets
nothing but the confirmation of their opt-out (once: `interaction_send` checks that again just
before the provider is called), and the channel is chosen here — the campaign's, else the
patient's first preferred channel with an address; on WhatsApp outside the 24-hour window with
no approved template for the kind, or on a channel the patient cannot take (no address, no
consent to texts), another channel the patient has. The message is then
recorded (QUEUED) and handed to `interaction_send`, which ends it SENT or FAILED with the reason
(or QUEUED while bounded retries run).
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.choices import DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from dentalai.errors import Conflict
from dentalai.models import User
from messaging.conf import messaging_settings
from messaging.policy import send_time
from messaging.services import (
    UNEXPECTED_SEND_ERROR,
    interaction_send,
    whatsapp_template_sid,
    whatsapp_window_open,
)
from patients.models import Patient
from patients.optout import OPTED_OUT

logger = logging.getLogger(__name__)

# When WhatsApp cannot carry a message, the channels tried instead, in this order.
FALLBACK_ORDER = (Channel.SMS, Channel.EMAIL)


class PatientOptedOut(Conflict):
    """Nothing may be sent to this patient (409 in the API)."""

    def __init__(self, message: str = OPTED_OUT):
        super().__init__(message)


class NotNow(Conflict):
    """A proactive message outside the send window or over the caps: it may go at `until`."""

    def __init__(self, until: dt.datetime):
        super().__init__(f"This message may not go before {until.isoformat()}.")
        self.until = until


def _whatsapp_can_carry(patient: Patient, kind: str, now: dt.datetime) -> bool:
    return whatsapp_window_open(patient, now) or bool(whatsapp_template_sid(kind))


def channel_for(patient: Patient, kind: str, *, campaign: Campaign | None, now: dt.datetime) -> str:
    """The channel a message goes out on (see the module's docstring). When no channel can
    carry it, the first choice: sending then fails with the reason, on record."""
    preferred = [c for c in (patient.preferred_channels or []) if c in Channel.values]
    if campaign is not None:
        first = campaign.channel_type
    else:
        reachable = [c for c in preferred if patient.has_address(c)]
        first = (reachable or preferred or [Channel.EMAIL if patient.email else Channel.SMS])[0]
    usable = patient.has_address(first)
    if usable and (first != Channel.WHATSAPP or _whatsapp_can_carry(patient, kind, now)):
        return first
    others = sorted(
        (c for c in FALLBACK_ORDER if c != first),
        key=lambda c: preferred.index(c) if c in preferred else 9,
    )
    return next((c for c in others if patient.has_address(c)), first)


def _touch(campaign: Campaign | None, now: dt.datetime) -> None:
    """A new message is activity: its campaign moves to the top of "newest activity first"."""
    if campaign is not None:
        campaign.updated_at = now
        Campaign.objects.filter(pk=campaign.pk).update(updated_at=now)


def message_send(
    patient: Patient,
    kind: str,
    text: str,
    *,
    campaign: Campaign | None = None,
    appointment=None,
    author: User | None = None,
    ai_analysis: dict | None = None,
    idempotency_key: str = "",
    channel: str | None = None,
) -> Interaction:
    """Send `text` to `patient` as a message of `kind` — on `channel` when the caller chose one
    (a staff member, from what messaging.reach says can carry it), else on `channel_for`'s.
    Refused before anything is stored:
    PatientOptedOut when the patient may not be written to, NotNow for a proactive kind
    outside the send window or over the caps (messaging.policy). Else the recorded
    Interaction, SENT, FAILED with the reason, or QUEUED while retries run. A backend that
    crashes leaves it FAILED: the message is never lost. `idempotency_key`: what the message
    answers; a second call with the key sends nothing and returns the first message (one
    reply per decision, however often a cut-short decision is resumed)."""
    if idempotency_key and (earlier := _sent_before(idempotency_key)):
        return earlier
    patient = Patient.objects.get(pk=patient.pk)  # fresh: an opt-out may be seconds old
    if patient.is_opted_out and kind != MessageKind.OPT_OUT_CONFIRMATION:
        raise PatientOptedOut()
    now = timezone.now()
    allowed_at = send_time(patient.pk, kind, now)
    if allowed_at > now:
        raise NotNow(allowed_at)
    try:
        with transaction.atomic():
            interaction = Interaction.objects.create(
                patient=patient,
                campaign=campaign,
                appointment=appointment,
                direction=Direction.OUTGOING,
                kind=kind,
                content=text,
                ai_analysis=ai_analysis or {},
                channel_type=channel or channel_for(patient, kind, campaign=campaign, now=now),
                delivery_status=DeliveryStatus.QUEUED,
                idempotency_key=idempotency_key,
                author=author,
                timestamp=now,
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        return Interaction.objects.get(idempotency_key=idempotency_key)  # a concurrent twin's
    _touch(campaign, now)
    _send(interaction)
    return interaction


def _send(interaction: Interaction) -> None:
    try:
        interaction_send(interaction)
    except Exception:  # interaction_send records its own failures; this is a bug in it
        logger.exception("send crashed: interaction %s", interaction.pk)
        interaction.delivery_status = DeliveryStatus.FAILED
        interaction.error = UNEXPECTED_SEND_ERROR
        interaction.save(update_fields=["delivery_status", "error"])


def _sent_before(idempotency_key: str) -> Interaction | None:
    """The message recorded under this key, if any. One still QUEUED with no provider id and
    no error, older than a send can take, was cut short between its recording and the
    provider's answer (a crash): it is sent now rather than never."""
    earlier = Interaction.objects.filter(idempotency_key=idempotency_key).first()
    if earlier is None:
        return None
    stalled = timezone.now() - dt.timedelta(seconds=messaging_settings().send_timeout_seconds)
    if (
        earlier.delivery_status == DeliveryStatus.QUEUED
        and not (earlier.external_id or earlier.error)
        and earlier.timestamp < stalled
    ):
        logger.info("resuming a send cut short: interaction %s", earlier.pk)
        _send(earlier)
    return earlier


def message_receive(
    patient: Patient,
    channel: str,
    text: str,
    *,
    campaign: Campaign | None = None,
    external_id: str = "",
    at: dt.datetime | None = None,
    recorded_by: User | None = None,
    ai_analysis: dict | None = None,
) -> Interaction | None:
    """Record what the patient wrote, before anything acts on it. None when the provider's
    message id was recorded and handled before (a redelivery): nothing more to do. A message
    recorded before whose handling never reached an outcome (a crash cut it short) is returned
    again, to be handled now. `recorded_by`: the staff member who typed it in (a phone call,
    a letter)."""
    external_id = (external_id or "")[:255]
    if external_id:
        earlier = Interaction.objects.filter(channel_type=channel, external_id=external_id).first()
        if earlier is not None:
            return earlier if earlier.handled_at is None else None
    at = at or timezone.now()
    try:
        with transaction.atomic():
            interaction = Interaction.objects.create(
                patient=patient,
                campaign=campaign,
                direction=Direction.INCOMING,
                kind=MessageKind.REPLY,
                content=text,
                ai_analysis=ai_analysis or {},
                channel_type=channel,
                external_id=external_id,
                delivery_status=DeliveryStatus.RECEIVED,
                author=recorded_by,
                timestamp=at,
                handled_at=at if recorded_by else None,  # staff typed it in: nothing to do
            )
    except IntegrityError:  # the same redelivery, recorded a moment ago by another worker
        return None
    _touch(campaign, at)
    logger.info("message received: interaction %s", interaction.pk)
    return interaction


def message_handled_before(channel: str, external_id: str) -> bool:
    """The provider's message was recorded and reached its outcome: a redelivery of it is a
    duplicate (one recorded but cut short by a crash is not: message_receive resumes it)."""
    return bool(external_id) and (
        Interaction.objects.filter(
            channel_type=channel, external_id=external_id[:255], handled_at__isnull=False
        ).exists()
    )


def message_handled(interaction: Interaction, *, at: dt.datetime | None = None) -> None:
    """The patient's message reached its outcome (an answer sent, a handoff, kept for staff):
    a redelivery of it is now a duplicate, not a handling to resume."""
    Interaction.objects.filter(pk=interaction.pk, handled_at=None).update(
        handled_at=at or timezone.now()
    )


def message_log_sent(
    patient: Patient,
    channel: str,
    text: str,
    *,
    campaign: Campaign | None = None,
    recorded_by: User,
    ai_analysis: dict | None = None,
    at: dt.datetime | None = None,
) -> Interaction:
    """Record a message staff sent outside the product (from their own mailbox, by phone)
    WITHOUT sending it: SENT, since the patient got it by other means, and with no provider id,
    which marks that no backend sent it. (QUEUED would be untrue and would invite a retry job
    to send it for real.)"""
    now = at or timezone.now()
    interaction = Interaction.objects.create(
        patient=patient,
        campaign=campaign,
        direction=Direction.OUTGOING,
        kind=MessageKind.STAFF,
        content=text,
        ai_analysis=ai_analysis or {},
        channel_type=channel,
        delivery_status=DeliveryStatus.SENT,
        author=recorded_by,
        timestamp=now,
    )
    _touch(campaign, now)
    return interaction
