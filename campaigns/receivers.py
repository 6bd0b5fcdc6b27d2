"""What campaigns do when something happens in the layers below them: a patient opts out, a
visit is booked, cancelled, missed or completed. Connected in CampaignsConfig.ready; every
status change goes through the status door (campaigns.status.campaign_move), conditional on
the status read, so a receiver run twice, or beside a worker, changes nothing more.
"""

import datetime as dt
import logging
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from appointments.models import Appointment
from appointments.signals import (
    appointment_booked,
    appointment_completed,
    appointment_no_showed,
    appointment_unbooked,
)
from appointments.status import LIVE_STATUSES
from campaigns.choices import (
    BookingStatus,
    CampaignStatus,
    CampaignType,
    DeliveryStatus,
    Direction,
)
from campaigns.models import Campaign, Interaction
from campaigns.services import channel_thread_id
from campaigns.status import (
    ACTIVE_STATUSES,
    campaign_move,
    campaign_update_if_status,
    can_transition,
)
from campaigns.triggers import campaign_channel, patient_row
from dentalai.audit import audit_record
from patients.optout import CANCELLED_QUEUED, patient_opted_out

logger = logging.getLogger(__name__)

RETRIES = 3  # re-reads when a worker changed the campaign between our read and our write


@receiver(patient_opted_out)
def close_campaigns_on_opt_out(sender, *, patient, now, **kwargs) -> None:
    """Every active campaign closes as RECOVERY_DECLINED, no follow-up stays scheduled and
    nothing still queued for the patient goes out."""
    for campaign in Campaign.objects.filter(patient=patient, status__in=ACTIVE_STATUSES):
        campaign_move(campaign, CampaignStatus.RECOVERY_DECLINED, now=now, next_attempt_at=None)
    campaigns = Campaign.objects.filter(patient=patient)
    campaigns.filter(next_attempt_at__isnull=False).update(next_attempt_at=None)
    Interaction.objects.filter(
        patient=patient,
        direction=Direction.OUTGOING,
        delivery_status=DeliveryStatus.QUEUED,
    ).update(delivery_status=DeliveryStatus.FAILED, error=CANCELLED_QUEUED)


def _booking_campaign(appointment: Appointment) -> Campaign | None:
    """The campaign a booking belongs to: the one its link named, else the patient's most
    recent RE_ENGAGED campaign, else their active one (there is at most one active campaign
    per patient and RE_ENGAGED is active; the order only states the seed's rule)."""
    if appointment.campaign_id:
        return Campaign.objects.filter(pk=appointment.campaign_id).first()
    active = Campaign.objects.filter(patient_id=appointment.patient_id, is_active=True)
    campaign = active.order_by("-created_at").first()
    if campaign is not None:
        Appointment.objects.filter(pk=appointment.pk).update(campaign=campaign)
        appointment.campaign = campaign
    return campaign


def _retrying(campaign: Campaign | None, change) -> None:
    """Apply `change(campaign)` (True when done or nothing to do, False when the campaign moved
    meanwhile), re-reading the campaign and retrying a few times when it lost a race."""
    for _ in range(RETRIES):
        if campaign is None or change(campaign):
            return
        campaign.refresh_from_db()
    logger.warning("campaign %s kept changing; booking effect not applied", campaign.pk)


@receiver(appointment_booked)
def campaign_on_booking(sender, *, appointment, submitted_at=None, **kwargs) -> None:
    """The booking's campaign becomes BOOKING_INITIATED when the machine allows (a closed one
    named by a link keeps its status) and plans no more follow-ups; a booking made on the form
    marks it FORM_SUBMITTED."""
    submitted = (
        {"booking_status": BookingStatus.FORM_SUBMITTED, "booking_submitted_at": submitted_at}
        if submitted_at is not None
        else {}
    )

    # Whatever the campaign's status, no follow-up of it goes out once the patient has booked.
    fields = {**submitted, "next_attempt_at": None}

    def change(campaign: Campaign) -> bool:
        if campaign.status == CampaignStatus.BOOKING_INITIATED:
            return campaign_update_if_status(campaign, fields)
        if not can_transition(campaign.status, CampaignStatus.BOOKING_INITIATED):
            return True  # closed: a link to it still books, but leaves its status alone
        return campaign_move(campaign, CampaignStatus.BOOKING_INITIATED, **fields)

    _retrying(_booking_campaign(appointment), change)


@receiver(appointment_unbooked)
def campaign_on_cancellation(sender, *, appointment, **kwargs) -> None:
    """A campaign waiting on this booking alone goes back to RE_ENGAGED — the conversation goes
    on and the agent may offer the link again — its booking status back to FORM_SENT when a
    link was sent (else cleared)."""
    if not appointment.campaign_id:
        return
    still_booked = Appointment.objects.filter(
        campaign_id=appointment.campaign_id, status__in=LIVE_STATUSES
    ).exists()
    if still_booked:
        return

    def change(campaign: Campaign) -> bool:
        if campaign.status != CampaignStatus.BOOKING_INITIATED:
            return True
        return campaign_move(
            campaign,
            CampaignStatus.RE_ENGAGED,
            booking_status=BookingStatus.FORM_SENT if campaign.booking_link else "",
            booking_submitted_at=None,
        )

    _retrying(Campaign.objects.filter(pk=appointment.campaign_id).first(), change)


@receiver(appointment_no_showed)
def campaign_on_no_show(sender, *, appointment, **kwargs) -> None:
    """The patient missed the visit (and has no other one booked): outreach resumes under the
    usual caps, its next follow-up one interval after the missed-visit message. The visit's
    campaign goes back to ATTEMPTING_RECOVERY when it was waiting on this booking (one where a
    conversation is under way is left to it); a patient with no active campaign gets a new
    RECOVERY one, which the missed-visit message then opens."""
    patient = appointment.patient
    booked = Appointment.objects.filter(patient_id=patient.pk, status__in=LIVE_STATUSES)
    if patient.is_opted_out or booked.exists():
        return
    now = timezone.now()
    follow_up = now + dt.timedelta(days=settings.FOLLOW_UP_INTERVAL_DAYS)
    campaign = _booking_campaign(appointment)
    if campaign is None or not campaign.is_active:
        _missed_visit_campaign(appointment, follow_up, now)
        return

    def change(campaign: Campaign) -> bool:
        if campaign.status != CampaignStatus.BOOKING_INITIATED:
            return True
        return campaign_move(
            campaign,
            CampaignStatus.ATTEMPTING_RECOVERY,
            now=now,
            next_attempt_at=follow_up,
            booking_status="",
            booking_submitted_at=None,
        )

    _retrying(campaign, change)


def _missed_visit_campaign(appointment: Appointment, follow_up: dt.datetime, now: dt.datetime):
    """A new RECOVERY campaign for the patient who missed the visit, the visit linked to it; its
    first contact is the missed-visit message (so one attempt is made). None when the patient
    has no address, or another campaign became active meanwhile."""
    patient = appointment.patient
    channel = campaign_channel(patient_row(patient))
    if channel is None:
        return None
    campaign = Campaign(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        status=CampaignStatus.ATTEMPTING_RECOVERY,
        channel_type=channel,
        thread_id=channel_thread_id(SimpleNamespace(phone=patient.phone), channel),
        attempts_made=1,
        next_attempt_at=follow_up,
        estimated_value=Decimal(0),
        created_at=now,
    )
    try:
        with transaction.atomic():  # a savepoint: a refused insert leaves the caller's usable
            campaign.save(force_insert=True)
    except IntegrityError:
        return None  # another campaign became active meanwhile: it follows up
    Appointment.objects.filter(pk=appointment.pk).update(campaign=campaign)
    appointment.campaign = campaign
    audit_record(
        actor=None,
        action="campaign_create_after_no_show",
        target=campaign,
        details={"patient_id": patient.pk, "appointment_id": appointment.pk},
    )
    return campaign


@receiver(appointment_completed)
def campaign_on_visit(sender, *, appointment, **kwargs) -> None:
    """The visit took place: its campaign is RECOVERED when the machine allows."""
    if not appointment.campaign_id:
        return

    def change(campaign: Campaign) -> bool:
        if not can_transition(campaign.status, CampaignStatus.RECOVERED):
            return True
        return campaign_move(campaign, CampaignStatus.RECOVERED)

    _retrying(Campaign.objects.filter(pk=appointment.campaign_id).first(), change)
