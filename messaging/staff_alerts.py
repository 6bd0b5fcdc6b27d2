"""Emails to staff about their work (never to patients): a conversation assigned to them by a
colleague. Sent by a worker through the email backend (the outbox offline, Gmail live), so a
slow mail server never slows the page; the email links to the conversation and carries no
patient words."""

import logging

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django_q.tasks import async_task

from campaigns.assignment import campaign_assigned
from campaigns.models import Campaign
from dentalai.choices import Channel
from dentalai.models import User
from messaging.backends import OutgoingMessage, backend_for

logger = logging.getLogger(__name__)

ASSIGNED_TASK = "messaging.staff_alerts.assignment_alert_send"


@receiver(campaign_assigned)
def _assigned(sender, *, campaign, assignee, actor, **kwargs):
    if assignee is None or assignee.pk == actor.pk or not assignee.email:
        return
    ids = (campaign.pk, assignee.pk, actor.pk)
    transaction.on_commit(lambda: async_task(ASSIGNED_TASK, *ids))


def assignment_alert_send(campaign_id: str, assignee_id: str, actor_id: str) -> bool:
    """Tell the assignee, unless the conversation went to someone else meanwhile."""
    campaign = Campaign.objects.select_related("patient").filter(pk=campaign_id).first()
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if campaign is None or assignee is None or campaign.assigned_to_id != assignee.pk:
        return False
    actor = User.objects.filter(pk=actor_id).first()
    url = settings.SITE_URL + reverse("dashboard:campaign", args=[campaign.pk])
    by = actor.name if actor else "A colleague"
    patient = campaign.patient.first_name or "a patient"
    why = campaign.get_handoff_reason_display() or "waiting for a person"
    backend_for(Channel.EMAIL).send(
        OutgoingMessage(
            channel=Channel.EMAIL,
            to=assignee.email,
            subject=f"[{settings.CLINIC_NAME}] {by} assigned you a conversation",
            body=(
                f"{by} assigned you the conversation with {patient} ({why}).\n\nOpen it: {url}\n"
            ),
        )
    )
    logger.info("assignment alert sent: campaign %s", campaign.pk)
    return True
