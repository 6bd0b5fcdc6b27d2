"""Staff actions on campaigns and their conversations (the writes). The API, the dashboard and
the admin call these; each writes one audit entry.

Status changes go through the status door (campaigns.status.campaign_move): a conditional
update that only applies while the campaign still has the status that was read (SPEC §3.5: no
row locks to rely on)."""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from campaigns.status import campaign_move, check_transition, is_active_status
from dentalai.audit import audit_record
from dentalai.choices import Channel
from dentalai.errors import ApplicationError, Conflict
from dentalai.models import User
from messaging.services import interaction_send
from patients.choices import PatientType
from patients.models import Patient
from patients.services import patient_get_or_create

logger = logging.getLogger(__name__)

ALREADY_ACTIVE = "This patient already has an active campaign."
OPTED_OUT = "This patient has opted out of messages."
CHANGED_MEANWHILE = "The campaign changed while this request was handled; reload it and retry."
REOPEN_REFUSED = f"{ALREADY_ACTIVE} Close it before re-opening this one."
RESPONSE_SENT = "Response sent successfully."


@dataclass(frozen=True)
class RespondResult:
    interaction: Interaction
    campaign: Campaign
    message: str


def channel_thread_id(patient: Patient, channel: str) -> str:
    """Where a new campaign's conversation lives before its first message: the patient's
    number for SMS and WhatsApp; nothing for email, whose first message starts a Gmail thread."""
    if channel == Channel.SMS:
        return patient.phone
    if channel == Channel.WHATSAPP:
        return f"whatsapp:{patient.phone}"
    return ""


def _has_address(patient: Patient, channel: str) -> bool:
    return bool(patient.email if channel == Channel.EMAIL else patient.phone)


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
    if not _has_address(patient, channel):
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


def _check_status_change(campaign: Campaign, target: str) -> None:
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
    _check_status_change(campaign, target)
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


def _touch(campaign: Campaign) -> None:
    """A new message is activity: the campaign moves to the top of "newest activity first"."""
    campaign.updated_at = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=campaign.updated_at)


def campaign_respond(
    *, actor: User, campaign: Campaign, message: str, new_status: str | None = None
) -> RespondResult:
    """A staff member's message to the patient over the campaign's channel, then `new_status`.

    Refused before anything is recorded or sent when `new_status` is not allowed from the
    current status (IllegalTransition) or the patient has opted out (Conflict). Otherwise the
    message is recorded first (QUEUED, author = `actor`), then sent; it stays on record, SENT or
    FAILED with the reason, whatever the channel does. `new_status` is applied only when the
    message went out: a reply that never reached the patient must not, say, take the campaign
    out of the handoff queue.
    """
    target = new_status if new_status and new_status != campaign.status else None
    if target:
        _check_status_change(campaign, target)
    if campaign.patient.is_opted_out:
        raise Conflict(f"{OPTED_OUT} Nothing was sent.")
    interaction = Interaction.objects.create(
        patient=campaign.patient,
        campaign=campaign,
        direction=Direction.OUTGOING,
        kind=MessageKind.STAFF,
        content=message,
        channel_type=campaign.channel_type,
        delivery_status=DeliveryStatus.QUEUED,
        author=actor,
    )
    _touch(campaign)
    try:
        interaction_send(interaction)
    except Exception:
        # A backend bug must not lose the staff member's message: it stays recorded, FAILED.
        logger.exception("send crashed: interaction %s campaign %s", interaction.pk, campaign.pk)
        interaction.delivery_status = DeliveryStatus.FAILED
        interaction.error = "Unexpected error while sending."
        interaction.save(update_fields=["delivery_status", "error"])

    previous = campaign.status
    if interaction.delivery_status == DeliveryStatus.SENT:
        result_message = RESPONSE_SENT
        if target:
            try:
                _apply_status(campaign, target, actor=actor)
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
    test record. Incoming ones are RECEIVED. Outgoing ones are SENT: the patient got it by
    other means, and no provider id marks that it did not go through a backend. (QUEUED would
    be untrue and would invite a retry job to send it for real.)"""
    if direction not in Direction.values:
        raise ApplicationError(f"{direction!r} is not a direction.")
    interaction = Interaction.objects.create(
        patient=campaign.patient,
        campaign=campaign,
        direction=direction,
        kind=MessageKind.REPLY if direction == Direction.INCOMING else MessageKind.STAFF,
        content=content,
        ai_analysis=ai_analysis or {},
        channel_type=campaign.channel_type,
        delivery_status=(
            DeliveryStatus.RECEIVED if direction == Direction.INCOMING else DeliveryStatus.SENT
        ),
        author=actor,
    )
    _touch(campaign)
    audit_record(
        actor=actor,
        action="interaction_record",
        target=interaction,
        details={"campaign_id": campaign.pk, "direction": direction},
    )
    return interaction
