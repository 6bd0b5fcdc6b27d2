"""Opting out and back in (SPEC §5): compliance, not just an intent.

Opting out closes every active campaign of the patient as RECOVERY_DECLINED (through the status
machine), stops every scheduled follow-up and cancels anything still queued for them. Each write
is a conditional update, so running it twice, or beside a worker, changes nothing more.
START re-subscribes (campaigns stay closed: a new one starts only when the clinic starts it).
"""

import datetime as dt
import logging

from django.utils import timezone

from campaigns.choices import CampaignStatus, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from campaigns.status import ACTIVE_STATUSES, check_transition, status_fields
from patients.models import Patient

logger = logging.getLogger(__name__)

CANCELLED_QUEUED = "Not sent: the patient opted out."


def patient_opt_out(*, patient: Patient, now: dt.datetime | None = None) -> list[str]:
    """Opt the patient out of everything. Returns the ids of the campaigns it closed."""
    now = now or timezone.now()
    Patient.objects.filter(pk=patient.pk, opted_out_at__isnull=True).update(
        opted_out_at=now, updated_at=now
    )
    patient.refresh_from_db(fields=["opted_out_at", "updated_at"])

    closed = []
    for campaign in Campaign.objects.filter(patient=patient, status__in=ACTIVE_STATUSES):
        check_transition(campaign.status, CampaignStatus.RECOVERY_DECLINED)
        moved = Campaign.objects.filter(pk=campaign.pk, status=campaign.status).update(
            **status_fields(CampaignStatus.RECOVERY_DECLINED), next_attempt_at=None, updated_at=now
        )
        if moved:
            closed.append(campaign.pk)
    campaign_ids = list(Campaign.objects.filter(patient=patient).values_list("pk", flat=True))
    Campaign.objects.filter(pk__in=campaign_ids, next_attempt_at__isnull=False).update(
        next_attempt_at=None
    )
    Interaction.objects.filter(
        campaign_id__in=campaign_ids,
        direction=Direction.OUTGOING,
        delivery_status=DeliveryStatus.QUEUED,
    ).update(delivery_status=DeliveryStatus.FAILED, error=CANCELLED_QUEUED)
    logger.info("opted out: patient %s, campaigns closed %s", patient.pk, closed)
    return closed


def patient_opt_in(*, patient: Patient) -> bool:
    """START: the patient may be messaged again. True when they were opted out."""
    changed = Patient.objects.filter(pk=patient.pk, opted_out_at__isnull=False).update(
        opted_out_at=None, updated_at=timezone.now()
    )
    patient.refresh_from_db(fields=["opted_out_at", "updated_at"])
    if changed:
        logger.info("opted back in: patient %s", patient.pk)
    return bool(changed)
