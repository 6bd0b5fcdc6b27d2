"""Staff writing to a patient from a campaign (the API's respond endpoint, the dashboard's reply
box) and logging messages exchanged outside the product. Both go through the conversation
doors (messaging.conversation) and write one audit entry."""

import logging
from dataclasses import dataclass

from campaigns.choices import DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from campaigns.services import campaign_set_status, campaign_status_check
from dentalai.audit import audit_record
from dentalai.errors import ApplicationError, Conflict
from dentalai.models import User
from messaging.conversation import PatientOptedOut, message_log_sent, message_receive, message_send

logger = logging.getLogger(__name__)

RESPONSE_SENT = "Response sent successfully."


@dataclass(frozen=True)
class RespondResult:
    interaction: Interaction
    campaign: Campaign
    message: str


def campaign_respond(
    *, actor: User, campaign: Campaign, message: str, new_status: str | None = None
) -> RespondResult:
    """A staff member's message to the patient, then `new_status`.

    Refused before anything is recorded or sent when `new_status` is not allowed from the
    current status (IllegalTransition) or the patient has opted out (Conflict). Otherwise the
    message is recorded (author = `actor`) and sent; it stays on record, SENT or FAILED with
    the reason, whatever the channel does. `new_status` is applied only when the message went
    out: a reply that never reached the patient must not, say, take the campaign out of the
    handoff queue.
    """
    target = new_status if new_status and new_status != campaign.status else None
    if target:
        campaign_status_check(campaign, target)
    try:
        interaction = message_send(
            campaign.patient, MessageKind.STAFF, message, campaign=campaign, author=actor
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
