"""Sending an outgoing interaction through its channel's backend (SPEC §6)."""

import logging

from django.conf import settings

from campaigns.choices import DeliveryStatus
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from messaging.backends import OutgoingMessage, SendError, backend_for
from patients.models import Patient

logger = logging.getLogger(__name__)


def recipient_for(patient: Patient, channel: str) -> str:
    """The patient's address on a channel; a permanent SendError when there is none."""
    if channel == Channel.EMAIL:
        address = patient.email
    elif channel == Channel.WHATSAPP:
        address = f"whatsapp:{patient.phone}" if patient.phone else ""
    else:
        address = patient.phone
    if not address:
        raise SendError(f"The patient has no {Channel(channel).label} address.", permanent=True)
    return address


def email_subject(campaign: Campaign) -> str:
    return f"A message from {settings.CLINIC_NAME}"


def interaction_send(interaction: Interaction) -> Interaction:
    """Send a recorded outgoing message and record what happened on it: the provider's id and
    SENT, or FAILED with the reason. The message itself is never lost."""
    campaign = interaction.campaign
    is_email = interaction.channel_type == Channel.EMAIL
    try:
        result = backend_for(interaction.channel_type).send(
            OutgoingMessage(
                channel=interaction.channel_type,
                to=recipient_for(campaign.patient, interaction.channel_type),
                body=interaction.content,
                subject=email_subject(campaign) if is_email else "",
                thread_id=campaign.thread_id,
                interaction_id=interaction.pk,
            )
        )
    except SendError as exc:
        interaction.delivery_status = DeliveryStatus.FAILED
        interaction.error = exc.reason
        logger.warning("send failed: interaction %s campaign %s", interaction.pk, campaign.pk)
    else:
        interaction.delivery_status = DeliveryStatus.SENT
        interaction.external_id = result.message_id
        interaction.error = ""
        if result.thread_id and not campaign.thread_id:
            campaign.thread_id = result.thread_id
            campaign.save(update_fields=["thread_id", "updated_at"])
        logger.info("sent: interaction %s campaign %s", interaction.pk, campaign.pk)
    interaction.save(update_fields=["delivery_status", "external_id", "error"])
    return interaction
