"""Messages about a patient's visit (SPEC §10): the confirmation when it is booked, on any
path, the reminders before it (`visit_reminders_send`, scheduled), the notice when it is
moved or cancelled, and a kind word after a missed visit — each through the sending door,
once per visit (an idempotency key), with the visit's calendar invite on email. Queued as
django-q2 jobs by the receivers below once the change is stored, so a booking never waits on a
provider."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from appointments.booking_links import booking_link_url
from appointments.choices import AppointmentStatus
from appointments.models import Appointment
from appointments.notices import (
    cancellation_text,
    confirmation_text,
    missed_visit_text,
    moved_text,
    reminder_text,
)
from appointments.reminders import reminder_key, reminders_due
from appointments.signals import (
    appointment_booked,
    appointment_moved,
    appointment_no_showed,
    appointment_unbooked,
)
from appointments.status import LIVE_STATUSES
from campaigns.choices import MessageKind
from campaigns.models import Interaction
from messaging.conversation import NotNow, PatientOptedOut, message_send

logger = logging.getLogger(__name__)

CONFIRM_TASK = "messaging.tasks.send_visit_confirmation"
CANCELLED_TASK = "messaging.tasks.send_visit_cancellation"
MOVED_TASK = "messaging.tasks.send_visit_moved"
MISSED_TASK = "messaging.tasks.send_missed_visit"


@receiver(appointment_booked)
def confirm_on_booking(sender, *, appointment, **kwargs) -> None:
    pk = appointment.pk
    transaction.on_commit(lambda: async_task(CONFIRM_TASK, pk))


@receiver(appointment_unbooked)
def notify_on_cancellation(sender, *, appointment, **kwargs) -> None:
    pk = appointment.pk
    transaction.on_commit(lambda: async_task(CANCELLED_TASK, pk))


@receiver(appointment_moved)
def notify_on_move(sender, *, appointment, **kwargs) -> None:
    pk = appointment.pk
    transaction.on_commit(lambda: async_task(MOVED_TASK, pk))


@receiver(appointment_no_showed)
def notify_on_no_show(sender, *, appointment, **kwargs) -> None:
    pk = appointment.pk
    transaction.on_commit(lambda: async_task(MISSED_TASK, pk))


def _upcoming(appointment_id: str) -> Appointment | None:
    return (
        Appointment.objects.select_related("patient", "service", "provider", "campaign")
        .filter(pk=appointment_id, appointment_date__gt=timezone.now())
        .first()
    )


def _send(appointment: Appointment, kind: str, text: str, key: str = "") -> Interaction | None:
    try:
        return message_send(
            appointment.patient,
            kind,
            text,
            campaign=appointment.campaign,
            appointment=appointment,
            idempotency_key=key or f"{kind}:{appointment.pk}",
        )
    except PatientOptedOut:
        logger.info("visit message not sent (opted out): appointment %s", appointment.pk)
    except NotNow:
        logger.info("visit message not sent (outside legal hours): appointment %s", appointment.pk)
    return None


def visit_confirmation_send(appointment_id: str) -> Interaction | None:
    """The booking's confirmation: date, time in clinic time, provider, address (and the
    invite on email). Nothing for a visit that is no longer upcoming or already cancelled."""
    appointment = _upcoming(appointment_id)
    if appointment is None or appointment.status not in LIVE_STATUSES:
        return None
    return _send(appointment, MessageKind.BOOKING_CONFIRMATION, confirmation_text(appointment))


def visit_cancellation_send(appointment_id: str) -> Interaction | None:
    """The patient is told an upcoming visit is cancelled (and their calendar removes it),
    with staff's note if any: when staff chose to tell them, or, when nobody chose, only if
    they were told it was booked — a visit they never heard of needs no notice."""
    appointment = _upcoming(appointment_id)
    if appointment is None or appointment.status != AppointmentStatus.CANCELLED:
        return None
    if appointment.cancellation_notify is False:
        return None
    if appointment.cancellation_notify is None:
        confirmed = Interaction.objects.filter(
            appointment=appointment, kind=MessageKind.BOOKING_CONFIRMATION
        ).exists()
        if not confirmed:
            return None
    text = cancellation_text(appointment)
    if appointment.cancellation_note:
        text = f"{text}\n\n{appointment.cancellation_note}"
    return _send(appointment, MessageKind.VISIT_CANCELLED, text)


def visit_moved_send(appointment_id: str) -> Interaction | None:
    """The patient is told their visit moved: the new time, the old one, the link (and on
    email the new visit's invite with the old one's CANCEL). Nothing once the new visit is no
    longer upcoming."""
    appointment = _upcoming(appointment_id)
    previous = appointment.moved_from.first() if appointment else None
    if previous is None or appointment.status not in LIVE_STATUSES:
        return None
    return _send(appointment, MessageKind.VISIT_MOVED, moved_text(appointment, previous))


def visit_missed_send(appointment_id: str) -> Interaction | None:
    """Once, kindly, after a no-show: how to book again — the campaign's booking link (the
    visit's campaign follows up after it, campaigns.receivers), else the service's booking
    page. Inside the legal hours: a no-show marked in the evening is told the next morning (the
    job queues itself again for then)."""
    appointment = (
        Appointment.objects.select_related("patient", "service", "provider", "campaign")
        .filter(pk=appointment_id, status=AppointmentStatus.NO_SHOW)
        .first()
    )
    if appointment is None:
        return None
    if appointment.campaign_id:
        rebook = booking_link_url(appointment.campaign)
    else:
        rebook = f"{settings.SITE_URL}{reverse('booking:month', args=[appointment.service.slug])}"
    try:
        return message_send(
            appointment.patient,
            MessageKind.MISSED_VISIT,
            missed_visit_text(appointment, rebook),
            campaign=appointment.campaign,
            appointment=appointment,
            idempotency_key=f"{MessageKind.MISSED_VISIT}:{appointment.pk}",
        )
    except PatientOptedOut:
        logger.info("missed-visit message not sent (opted out): appointment %s", appointment.pk)
    except NotNow as later:
        schedule(
            MISSED_TASK,
            appointment.pk,
            name=f"missed visit {appointment.pk}",
            schedule_type=Schedule.ONCE,
            next_run=later.until,
        )
    return None


def visit_reminders_send(now: dt.datetime | None = None) -> dict[str, int]:
    """Send every reminder due at `now` (appointments.reminders). Safe to run twice or beside
    another run: each reminder's key lets one message through. Returns counts."""
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0}
    for appointment, offset in reminders_due(now):
        key = reminder_key(appointment, offset)
        earlier = Interaction.objects.filter(idempotency_key=key).exists()
        # Through the door even when sent before: it resumes a send a crash cut short.
        sent = _send(appointment, MessageKind.REMINDER, reminder_text(appointment), key)
        if not earlier:
            counts["sent" if sent else "skipped"] += 1
    return counts
