"""Staff writing to a patient from a campaign (the API's respond endpoint, the dashboard's reply
box) and logging messages exchanged outside the product. Both go through the conversation
doors (messaging.conversation) and write one audit entry."""

import logging
from dataclasses import dataclass

from django.utils import timezone

from appointments.notices import local_when
from campaigns.choices import DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from campaigns.services import campaign_set_status, campaign_status_check
from dentalai.audit import audit_record
from dentalai.errors import ApplicationError, Conflict, NotFound
from dentalai.models import User
from messaging.conversation import (
    PatientOptedOut,
    channel_for,
    message_log_sent,
    message_receive,
    message_send,
)
from messaging.policy import send_time
from messaging.reach import channels_reach, too_long
from messaging.services import interaction_send
from patients.optout import OPTED_OUT

logger = logging.getLogger(__name__)

RESPONSE_SENT = "Response sent successfully."


@dataclass(frozen=True)
class RespondResult:
    interaction: Interaction
    campaign: Campaign
    message: str


def campaign_respond(
    *,
    actor: User,
    campaign: Campaign,
    message: str,
    new_status: str | None = None,
    channel: str | None = None,
) -> RespondResult:
    """A staff member's message to the patient on `channel` (by default the one the
    conversation would use, messaging.conversation.channel_for), then `new_status`.

    Refused before anything is recorded or sent when `new_status` is not allowed from the
    current status (IllegalTransition), the patient has opted out (Conflict), the channel cannot
    carry it now (Conflict, saying why: messaging.reach) or the message is longer than the
    channel takes (ApplicationError: it is never cut). Otherwise the
    message is recorded (author = `actor`) and sent; it stays on record, SENT or FAILED with
    the reason, whatever the channel does. `new_status` is applied only when the message went
    out: a reply that never reached the patient must not, say, take the campaign out of the
    handoff queue.
    """
    target = new_status if new_status and new_status != campaign.status else None
    if target:
        campaign_status_check(campaign, target)
    patient = campaign.patient
    if not patient.is_opted_out:
        channel = channel or channel_for(
            patient, MessageKind.STAFF, campaign=campaign, now=timezone.now()
        )
        reach = {r.channel: r for r in channels_reach(patient, MessageKind.STAFF)}[channel]
        if not reach.usable:
            raise Conflict(f"Nothing was sent: {reach.why_not}")
        if refused := too_long(message, channel):
            raise ApplicationError(refused)
    try:
        interaction = message_send(
            patient, MessageKind.STAFF, message, campaign=campaign, author=actor, channel=channel
        )
    except PatientOptedOut as exc:
        raise Conflict(f"{exc.message} Nothing was sent.") from exc

    previous = campaign.status
    if interaction.delivery_status == DeliveryStatus.SENT:
        result_message = RESPONSE_SENT
        if target:
            try:
                campaign_set_status(actor=actor, campaign=campaign, status=target)
            except Conflict as exc:
                result_message = f"Response sent, but the status was not changed: {exc.message}"
    else:
        outcome = (
            "could not be sent yet; it will be retried"
            if interaction.delivery_status == DeliveryStatus.QUEUED
            else "could not be sent"
        )
        result_message = f"The response was recorded but {outcome}: {interaction.error}" + (
            f" The status was left at {previous}." if target else ""
        )
    audit_record(
        actor=actor,
        action="campaign_respond",
        target=campaign,
        details={
            "interaction_id": interaction.pk,
            "delivery_status": interaction.delivery_status,
            "from": previous,
            "to": campaign.status,
        },
    )
    return RespondResult(interaction=interaction, campaign=campaign, message=result_message)


def interaction_record(
    *,
    actor: User,
    campaign: Campaign,
    direction: str,
    content: str,
    ai_analysis: dict | None = None,
) -> Interaction:
    """Record a message in the campaign's conversation WITHOUT sending anything: a log of a
    message exchanged outside the product (a phone call, a staff member's own mailbox), or a
    test record. Incoming ones are RECEIVED, outgoing ones SENT (message_log_sent says why)."""
    if direction not in Direction.values:
        raise ApplicationError(f"{direction!r} is not a direction.")
    patient, channel = campaign.patient, campaign.channel_type
    if direction == Direction.INCOMING:
        interaction = message_receive(
            patient, channel, content, campaign=campaign, recorded_by=actor, ai_analysis=ai_analysis
        )
    else:
        interaction = message_log_sent(
            patient, channel, content, campaign=campaign, recorded_by=actor, ai_analysis=ai_analysis
        )
    audit_record(
        actor=actor,
        action="interaction_record",
        target=interaction,
        details={"campaign_id": campaign.pk, "direction": direction},
    )
    return interaction


def interaction_retry(*, actor: User, interaction_id: str) -> Interaction:
    """Send again a message that failed, on the channel that can carry it now (the one it
    failed on, or another the patient has: messaging.conversation.channel_for), words
    unchanged. Refused, with the reason, when the patient has opted out since, no channel can
    carry it, it is a proactive message outside the send window or over the caps, or someone
    is retrying it already (the claim is one conditional update)."""
    interaction = (
        Interaction.objects.select_related("patient", "campaign")
        .filter(pk=interaction_id, direction=Direction.OUTGOING)
        .first()
    )
    if interaction is None:
        raise NotFound("Message not found.")
    if interaction.delivery_status != DeliveryStatus.FAILED:
        raise Conflict("This message is not a failed one: it is sent, or being sent.")
    patient, now = interaction.patient, timezone.now()
    if patient.is_opted_out:
        raise PatientOptedOut(f"{OPTED_OUT} Nothing was sent.")
    channel = channel_for(patient, interaction.kind, campaign=interaction.campaign, now=now)
    reach = {r.channel: r for r in channels_reach(patient, interaction.kind, now=now)}[channel]
    if not reach.usable:
        raise Conflict(f"Nothing was sent: {reach.why_not}")
    if refused := too_long(interaction.content, channel):
        raise ApplicationError(refused)
    allowed_at = send_time(patient.pk, interaction.kind, now)
    if allowed_at > now:
        raise Conflict(
            "This message may go only inside the send window and under the daily and weekly "
            f"limits: from {local_when(allowed_at)}. Nothing was sent."
        )
    claimed = Interaction.objects.filter(
        pk=interaction.pk, delivery_status=DeliveryStatus.FAILED
    ).update(delivery_status=DeliveryStatus.QUEUED, error="", channel_type=channel)
    if not claimed:
        raise Conflict("Someone is sending this message again already.")
    interaction.delivery_status, interaction.error, interaction.channel_type = (
        DeliveryStatus.QUEUED,
        "",
        channel,
    )
    interaction_send(interaction)
    audit_record(
        actor=actor,
        action="interaction_retry",
        target=interaction,
        details={"channel": channel, "delivery_status": interaction.delivery_status},
    )
    return interaction
