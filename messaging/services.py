"""Messaging (SPEC §5, §6): delivery of what the sending door (messaging.conversation.
message_send) recorded — `interaction_send` — and the way in — `webhook_event_receive`
(messaging.ingest), then `webhook_events_drain` → `webhook_event_process` (messaging.events) →
`inbound_handle` → the agent, which records the message through messaging.conversation.
message_receive.

Sending: an outgoing Interaction, recorded QUEUED by the sending door, is sent through the
backend configured for its channel. It ends SENT with the provider's id; FAILED with the
reason when no retry can help (invalid address, opted out, no consent to texts on SMS or
WhatsApp, no WhatsApp template); or stays QUEUED with the reason while a bounded number of
retries with backoff run in the background (django-q2). Nothing is ever sent to an opted-out
patient but the one opt-out confirmation.

Receiving: each webhook stores a WebhookEvent keyed by the provider's id (a redelivery is
refused by the unique constraint) and answers at once; a drain job claims and processes the
stored events (messaging.ingest says when it is queued, messaging.events how each event reaches
an outcome whatever crashes). Processing matches the thread to a campaign
and runs the agent's reactive path, which records the message once per provider id. An
unknown thread is kept as an UNMATCHED event for staff.
"""

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import schedule

from appointments.invites import visit_invite
from campaigns.choices import DeliveryStatus, Direction, MessageKind
from campaigns.models import Interaction
from dentalai.choices import Channel
from messaging.backends import CalendarInvite, OutgoingMessage, SendError, backend_for
from messaging.conf import TEMPLATE_DEFAULT, messaging_settings
from messaging.unsubscribe import unsubscribe_url, unsubscribe_url_prefix
from patients.models import Patient
from patients.optout import CANCELLED_QUEUED, patient_opt_out

logger = logging.getLogger(__name__)

WHATSAPP_WINDOW = dt.timedelta(hours=24)
RETRY_DELAY_CAP = dt.timedelta(hours=1)
UNEXPECTED_SEND_ERROR = "Unexpected error while sending."
NO_TEXTS = "Not sent: the patient has not agreed to text messages."
NOT_SET_UP = (
    "Not sent: {channel} is not set up on this server yet; whoever runs it finds the missing "
    "setting in its log."
)
_RETRYING = re.compile(r"\[attempt (\d+) of (\d+) failed; retrying\]$")


# --- Sending -------------------------------------------------------------------------------------


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


def email_subject() -> str:
    return f"A message from {settings.CLINIC_NAME}"


def email_body_with_footer(body: str, link: str) -> str:
    """Every email carries the clinic's postal address and an unsubscribe link (CAN-SPAM). The
    agent writes that footer itself; anything else (a staff reply) gets it here, once."""
    if unsubscribe_url_prefix() in body:
        return body
    footer = (
        f"{settings.CLINIC_NAME}, {settings.CLINIC_POSTAL_ADDRESS}\n"
        f"To stop receiving these emails, unsubscribe: {link}"
    )
    return f"{body.rstrip()}\n\n--\n{footer}"


def whatsapp_last_message(patient: Patient) -> dt.datetime | None:
    """When the patient last wrote on WhatsApp."""
    return (
        Interaction.objects.filter(
            patient=patient,
            channel_type=Channel.WHATSAPP,
            direction=Direction.INCOMING,
        )
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )


def whatsapp_window_open(patient: Patient, now: dt.datetime) -> bool:
    """WhatsApp allows free-form messages within 24 hours of the patient's last message."""
    last = whatsapp_last_message(patient)
    return last is not None and now - last < WHATSAPP_WINDOW


def whatsapp_template_sid(kind: str) -> str:
    """The approved template (Content SID) configured for `kind`, else the default one, else
    "" (none configured)."""
    templates = messaging_settings().twilio_whatsapp_template_sids
    return templates.get(kind) or templates.get(TEMPLATE_DEFAULT, "")


def whatsapp_template(interaction: Interaction) -> str:
    """The approved template (Content SID) for a message outside the 24-hour window; a
    permanent SendError saying so when none is configured — never a silent failure."""
    kind = str(interaction.kind or TEMPLATE_DEFAULT)
    sid = whatsapp_template_sid(kind)
    if not sid:
        raise SendError(
            "Not sent: the patient's last WhatsApp message is more than 24 hours old, so "
            "WhatsApp needs an approved template, and no approved template is configured for "
            f"{kind!r} messages (TWILIO_WHATSAPP_TEMPLATE_SIDS).",
            permanent=True,
        )
    return sid


def _campaign_thread_owner(interaction: Interaction):
    """The campaign whose conversation thread the message continues: its own, when sent on the
    campaign's channel (a message sent on another channel starts a thread of its own)."""
    campaign = interaction.campaign
    if campaign is None or campaign.channel_type != interaction.channel_type:
        return None
    return campaign


def outgoing_message_for(
    interaction: Interaction, patient: Patient, now: dt.datetime
) -> OutgoingMessage:
    channel = interaction.channel_type
    to = recipient_for(patient, channel)
    owner = _campaign_thread_owner(interaction)
    body, subject, link, invites = interaction.content, "", "", ()
    template_sid, variables = "", {}
    if channel == Channel.EMAIL:
        link = unsubscribe_url(patient)
        body = email_body_with_footer(body, link)
        subject = email_subject()
        invites = _visit_invites(interaction)
    elif channel == Channel.WHATSAPP and not whatsapp_window_open(patient, now):
        template_sid = whatsapp_template(interaction)
        # Template variables: {{1}} the patient's first name, {{2}} the clinic's name.
        variables = {"1": patient.first_name or "there", "2": settings.CLINIC_NAME}
    return OutgoingMessage(
        channel=channel,
        to=to,
        body=body,
        subject=subject,
        thread_id=owner.thread_id if owner else "",
        interaction_id=interaction.pk,
        unsubscribe_url=link,
        template_sid=template_sid,
        template_variables=variables,
        invites=invites,
    )


def _visit_invites(interaction: Interaction) -> tuple[CalendarInvite, ...]:
    """A visit's confirmation carries its invite; its cancellation notice, the invite's CANCEL;
    the notice of a move, the new visit's invite and the old one's CANCEL."""
    visit = interaction.appointment if interaction.appointment_id else None
    if visit is None:
        return ()
    if interaction.kind == MessageKind.BOOKING_CONFIRMATION:
        return (CalendarInvite("REQUEST", visit_invite(visit)),)
    if interaction.kind == MessageKind.VISIT_CANCELLED:
        return (CalendarInvite("CANCEL", visit_invite(visit, cancel=True)),)
    if interaction.kind == MessageKind.VISIT_MOVED:
        invites = [CalendarInvite("REQUEST", visit_invite(visit))]
        invites += [
            CalendarInvite("CANCEL", visit_invite(previous, cancel=True))
            for previous in visit.moved_from.select_related("patient", "service")
        ]
        return tuple(invites)
    return ()


def _is_the_opt_out_confirmation(interaction: Interaction, patient: Patient) -> bool:
    """The one message an opted-out patient may still get: the confirmation of their opt-out,
    once (none sent since they opted out)."""
    if interaction.kind != MessageKind.OPT_OUT_CONFIRMATION:
        return False
    return not (
        Interaction.objects.filter(
            patient=patient,
            direction=Direction.OUTGOING,
            delivery_status=DeliveryStatus.SENT,
            timestamp__gte=patient.opted_out_at,
            kind=MessageKind.OPT_OUT_CONFIRMATION,
        )
        .exclude(pk=interaction.pk)
        .exists()
    )


def _save(interaction: Interaction, status: str, error: str, external_id: str = "") -> None:
    interaction.delivery_status = status
    interaction.error = error
    if external_id:
        interaction.external_id = external_id
    interaction.save(update_fields=["delivery_status", "external_id", "error"])


def interaction_send(interaction: Interaction, *, attempt: int = 1) -> Interaction:
    """Send a recorded outgoing message and record what happened on it (see the module's
    docstring). `attempt` > 1 only for the background retries."""
    patient = Patient.objects.get(pk=interaction.patient_id)  # fresh: an opt-out may be new
    if patient.is_opted_out and not _is_the_opt_out_confirmation(interaction, patient):
        _save(interaction, DeliveryStatus.FAILED, CANCELLED_QUEUED)
        logger.info("not sent (opted out): interaction %s", interaction.pk)
        return interaction
    if interaction.channel_type != Channel.EMAIL and not patient.texts_allowed:
        _save(interaction, DeliveryStatus.FAILED, NO_TEXTS)
        logger.info("not sent (no consent to texts): interaction %s", interaction.pk)
        return interaction
    conf = messaging_settings()
    total = _attempts_total(interaction, conf.send_retry_max)
    try:
        message = outgoing_message_for(interaction, patient, timezone.now())
        result = backend_for(interaction.channel_type).send(message)
    except SendError as exc:
        if exc.opted_out and not patient.is_opted_out:
            # The carrier has the patient's STOP (Twilio 21610): honour it everywhere.
            patient_opt_out(patient=patient)
        if exc.permanent:
            _save(interaction, DeliveryStatus.FAILED, exc.reason)
        elif attempt >= total:
            _save(
                interaction, DeliveryStatus.FAILED, f"{exc.reason} [gave up after {total} attempts]"
            )
        else:
            _save(
                interaction,
                DeliveryStatus.QUEUED,
                f"{exc.reason} [attempt {attempt} of {total} failed; retrying]",
            )
            _retry_later(interaction, attempt + 1, conf.send_retry_base_seconds)
        logger.warning(
            "send failed: interaction %s attempt %s status %s",
            interaction.pk,
            attempt,
            interaction.delivery_status,
        )
        return interaction
    except ImproperlyConfigured as exc:
        # A channel that is not set up: no retry helps. Staff read it in words; the missing
        # setting's name is for whoever runs the server, in the log.
        label = Channel(interaction.channel_type).label
        _save(interaction, DeliveryStatus.FAILED, NOT_SET_UP.format(channel=label))
        logger.error(
            "send not configured: interaction %s channel %s: %s",
            interaction.pk,
            interaction.channel_type,
            exc,
        )
        return interaction
    except Exception:
        # A backend bug must not leave the message QUEUED for ever or lose it: it stays on
        # record, FAILED, and the error is in the log.
        logger.exception("send crashed: interaction %s", interaction.pk)
        _save(interaction, DeliveryStatus.FAILED, UNEXPECTED_SEND_ERROR)
        return interaction
    _save(interaction, DeliveryStatus.SENT, "", result.message_id)
    owner = _campaign_thread_owner(interaction)
    if result.thread_id and owner is not None and not owner.thread_id:  # its first email
        owner.thread_id = result.thread_id
        owner.save(update_fields=["thread_id", "updated_at"])
    logger.info("sent: interaction %s", interaction.pk)
    return interaction


def _attempts_total(interaction: Interaction, retry_max: int) -> int:
    """All attempts a message gets: fixed when the first one failed (kept in its error), so a
    change of SEND_RETRY_MAX meanwhile does not stretch or cut a running series."""
    match = re.search(r"\[attempt \d+ of (\d+)\]$", interaction.error or "")
    return int(match[1]) if match else 1 + retry_max


def _retry_later(interaction: Interaction, attempt: int, base_seconds: int) -> None:
    delay = min(dt.timedelta(seconds=base_seconds * 2 ** (attempt - 2)), RETRY_DELAY_CAP)
    schedule(
        "messaging.tasks.retry_send",
        interaction.pk,
        attempt,
        name=f"retry send {interaction.pk} #{attempt}",
        schedule_type=Schedule.ONCE,
        next_run=timezone.now() + delay,
    )


def interaction_send_retry(*, interaction_id: str, attempt: int) -> str:
    """One background retry of a message whose previous attempt failed transiently. Safe to
    run twice or beside a duplicate: it goes ahead only if the message still says that attempt
    `attempt - 1` failed, and claims it with a conditional update of exactly that state."""
    interaction = Interaction.objects.select_related("campaign").filter(pk=interaction_id).first()
    if interaction is None or interaction.delivery_status != DeliveryStatus.QUEUED:
        return "not_queued"
    match = _RETRYING.search(interaction.error or "")
    if not match or int(match[1]) != attempt - 1:
        return "not_due"
    claim = f"Sending again [attempt {attempt} of {match[2]}]"
    claimed = Interaction.objects.filter(
        pk=interaction.pk, delivery_status=DeliveryStatus.QUEUED, error=interaction.error
    ).update(error=claim)
    if not claimed:
        return "claimed_elsewhere"
    interaction.error = claim
    interaction_send(interaction, attempt=attempt)
    return interaction.delivery_status
