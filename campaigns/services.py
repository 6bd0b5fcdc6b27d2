"""Staff actions on campaigns (the writes). The API, the dashboard and the admin call these;
each writes one audit entry. (Staff messages to a patient are messaging.staff's.)

Status changes go through the status door (campaigns.status.campaign_move): a conditional
update that only applies while the campaign still has the status that was read (SPEC §3.5: no
row locks to rely on)."""

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign
from campaigns.status import campaign_move, check_transition, is_active_status
from dentalai.audit import audit_record
from dentalai.choices import Channel
from dentalai.errors import ApplicationError, Conflict
from dentalai.models import User
from patients.choices import PatientType
from patients.models import Patient
from patients.optout import OPTED_OUT
from patients.services import patient_get_or_create

logger = logging.getLogger(__name__)

ALREADY_ACTIVE = "This patient already has an active campaign."
CHANGED_MEANWHILE = "The campaign changed while this request was handled; reload it and retry."
REOPEN_REFUSED = f"{ALREADY_ACTIVE} Close it before re-opening this one."


def channel_thread_id(patient: Patient, channel: str) -> str:
    """Where a new campaign's conversation lives before its first message: the patient's
    number for SMS and WhatsApp; nothing for email, whose first message starts a Gmail thread."""
    if channel == Channel.SMS:
        return patient.phone
    if channel == Channel.WHATSAPP:
        return f"whatsapp:{patient.phone}"
    return ""


def _has_active_campaign(patient: Patient) -> bool:
    return Campaign.objects.filter(patient=patient, is_active=True).exists()


def campaign_create_recovery(
    *,
    actor: User | None,
    patient_name: str,
    patient_email: str | None = None,
    patient_phone: str | None = None,
    initial_inquiry: str = "",
    estimated_value: Decimal = Decimal(0),
    channel: str | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    """A RECOVERY campaign due now for the patient with this email or phone (a new COLD_LEAD
    when there is none; an existing record is reused unchanged).

    The channel defaults to email when an email is given, else SMS. Conflict when the patient
    has opted out, already has an active campaign, or has no address on the chosen channel.
    Once the campaign is stored, the agent's first outreach is queued (django-q2).
    """
    now = now or timezone.now()
    channel = channel or (Channel.EMAIL if patient_email else Channel.SMS)
    if channel not in Channel.values:
        raise ApplicationError(f"{channel!r} is not a channel.")
    patient, created = patient_get_or_create(
        name=patient_name,
        email=patient_email,
        phone=patient_phone,
        patient_type=PatientType.COLD_LEAD,
        preferred_channels=[channel],
        initial_inquiry=initial_inquiry,
    )
    if patient.is_opted_out:
        raise Conflict(f"{OPTED_OUT} No campaign can be started.")
    if not patient.has_address(channel):
        raise Conflict(
            f"The patient on file has no {Channel(channel).label} address; "
            "add it to the patient's record or choose another channel."
        )
    if _has_active_campaign(patient):
        raise Conflict(ALREADY_ACTIVE)
    campaign = Campaign(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        status=CampaignStatus.ATTEMPTING_RECOVERY,
        channel_type=channel,
        thread_id=channel_thread_id(patient, channel),
        attempts_made=0,
        next_attempt_at=now,
        estimated_value=estimated_value,
        created_at=now,
    )
    try:
        # A savepoint: a refused insert must leave any enclosing transaction usable.
        with transaction.atomic():
            campaign.save(force_insert=True)
    except IntegrityError as exc:
        # Another campaign became active between the check above and now.
        raise Conflict(ALREADY_ACTIVE) from exc
    audit_record(
        actor=actor,
        action="campaign_create_recovery",
        target=campaign,
        details={"patient_id": patient.pk, "patient_created": created, "channel": channel},
    )
    # A new lead is contacted at once (inside the send window), not at the next daily run:
    # the agent's proactive path, queued once the campaign is stored.
    campaign_id = campaign.pk
    transaction.on_commit(lambda: async_task("agent.tasks.task_contact_now", campaign_id))
    return campaign


def campaign_status_check(campaign: Campaign, target: str) -> None:
    """IllegalTransition when the status machine forbids the move; Conflict when it would
    re-open a closed campaign while the patient has another active one."""
    check_transition(campaign.status, target)
    reopening = is_active_status(target) and not campaign.is_active
    if (
        reopening
        and Campaign.objects.filter(patient_id=campaign.patient_id, is_active=True)
        .exclude(pk=campaign.pk)
        .exists()
    ):
        raise Conflict(REOPEN_REFUSED)


def _apply_status(campaign: Campaign, target: str, *, actor: User | None) -> None:
    """Move `campaign` to `target` through the status door, only if nobody changed its status
    meanwhile. IllegalTransition or Conflict otherwise; `campaign` is updated in place."""
    campaign_status_check(campaign, target)
    try:
        with transaction.atomic():
            moved = campaign_move(campaign, target, actor=actor)
    except IntegrityError as exc:
        raise Conflict(REOPEN_REFUSED) from exc
    if not moved:
        raise Conflict(CHANGED_MEANWHILE)


def campaign_set_status(*, actor: User | None, campaign: Campaign, status: str) -> Campaign:
    """Staff move a campaign to `status` (e.g. MANUAL_FOLLOWUP_COMPLETE to clear a handoff,
    RE_ENGAGED to hand it back to the AI). Asking for the status it already has changes
    nothing; a move the status machine forbids is an IllegalTransition (409)."""
    if status != campaign.status:
        _apply_status(campaign, status, actor=actor)
    return campaign
