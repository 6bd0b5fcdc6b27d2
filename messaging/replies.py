"""A patient's message, once parsed from its webhook or Gmail: the campaign it belongs to, the
compliance that does not wait for one (a STOP from a known number), then the reply handler
(settings.INBOUND_REPLY_HANDLER: the agent, which records it through the receiving door). A
patient with no campaign may be answering a visit's reminder: INBOUND_VISIT_REPLY_HANDLER."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from campaigns.models import Campaign
from dentalai.choices import Channel
from messaging.choices import WebhookStatus
from messaging.inbound import InboundMessage
from patients.consent import is_opt_out
from patients.contact import normalize_phone
from patients.models import Patient
from patients.optout import patient_opt_in, patient_opt_out

logger = logging.getLogger(__name__)


def thread_id_canonical(channel: str, thread_id: str) -> str:
    """SMS/WhatsApp threads are E.164 numbers (whatsapp:+… for WhatsApp), written the way
    campaigns store them whatever way the caller wrote the number."""
    thread_id = (thread_id or "").strip()
    if channel == Channel.EMAIL:
        return thread_id
    try:
        phone = normalize_phone(thread_id)
    except Exception:  # not a number: matched as given (and most likely unmatched)
        return thread_id
    return f"whatsapp:{phone}" if channel == Channel.WHATSAPP else phone


def campaign_for_thread(*, channel: str, thread_id: str) -> Campaign | None:
    """The campaign a message on this thread belongs to: the active one, else the most recent
    (an SMS/WhatsApp number is shared by all of a patient's campaigns on that channel)."""
    if not thread_id:
        return None
    return (
        Campaign.objects.filter(thread_id=thread_id, channel_type=channel)
        .order_by("-is_active", "-created_at")
        .first()
    )


def patient_for_sender(inbound: InboundMessage) -> Patient | None:
    if inbound.channel == Channel.EMAIL:
        address = inbound.sender.strip().lower()
        return Patient.objects.filter(email=address).first() if address else None
    phone = inbound.thread_id.removeprefix("whatsapp:")
    return Patient.objects.filter(phone=phone).first() if phone.startswith("+") else None


def _without_campaign(patient: Patient | None, inbound: InboundMessage) -> tuple[str, str]:
    """A message no campaign carries. Compliance does not wait for one: a STOP from a known
    patient is honoured. A reply to a visit's confirmation or reminder is read in that context
    (where "cancel please" cancels the visit, and a bare "CANCEL" is still a STOP); anything
    else is kept for staff."""
    note = "No campaign has this thread or number; kept for staff."
    opted_out = note + " The patient's opt-out was applied."
    if patient is None:
        return WebhookStatus.UNMATCHED, note
    if inbound.opt_out_type == "STOP":
        patient_opt_out(patient=patient)
        return WebhookStatus.UNMATCHED, opted_out
    if inbound.opt_out_type == "START":
        if patient.is_opted_out:
            patient_opt_in(patient=patient)
            note += " The patient re-subscribed (START)."
        return WebhookStatus.UNMATCHED, note
    outcome = _visit_reply(patient, inbound)
    if not outcome and is_opt_out(inbound.text):
        patient_opt_out(patient=patient)
        outcome = "opted_out"
    if outcome == "opted_out":
        return WebhookStatus.UNMATCHED, opted_out
    if outcome in ("", "for_staff"):
        return WebhookStatus.UNMATCHED, note
    return WebhookStatus.PROCESSED, ""


def _visit_reply(patient: Patient, inbound: InboundMessage) -> str:
    """A patient with no campaign may be answering a visit's confirmation or reminder: the
    visit reply handler (settings.INBOUND_VISIT_REPLY_HANDLER) reads it and says what came of
    it ("" when it answers no visit message)."""
    handle = import_string(settings.INBOUND_VISIT_REPLY_HANDLER)
    return handle(
        patient_id=patient.pk,
        text=inbound.text,
        external_id=inbound.external_id,
        channel=inbound.channel,
    )


def inbound_handle(inbound: InboundMessage) -> tuple[str, str]:
    """A patient's message → its campaign → the agent's reactive path (which records it once
    per provider id and answers through the sending door). Returns (status, note)."""
    campaign = campaign_for_thread(channel=inbound.channel, thread_id=inbound.thread_id)
    patient = None if campaign else patient_for_sender(inbound)
    if campaign is None and patient is not None:
        # A reply on another channel than its campaign's (the sending door fell back to it):
        # the sender's active campaign carries the conversation.
        campaign = Campaign.objects.filter(patient=patient, is_active=True).first()
    if campaign is None:
        return _without_campaign(patient, inbound)
    patient = campaign.patient
    if inbound.opt_out_type == "STOP":
        # Twilio has already opted the number out and confirmed it to the patient; the agent
        # then records the message without sending a second confirmation.
        patient_opt_out(patient=patient)
    handle_reply = import_string(settings.INBOUND_REPLY_HANDLER)
    run = handle_reply(
        campaign_id=campaign.pk,
        text=inbound.text,
        external_id=inbound.external_id,
        channel=inbound.channel,
    )
    if inbound.opt_out_type == "START":
        patient.refresh_from_db(fields=["opted_out_at"])
        if patient.is_opted_out:
            patient_opt_in(patient=patient)
    logger.info("inbound on campaign %s: %s", campaign.pk, run.outcome)
    return WebhookStatus.PROCESSED, ""
