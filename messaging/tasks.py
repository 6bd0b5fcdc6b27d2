"""django-q2 tasks: each takes ids, loads fresh state and calls a service; safe to run twice."""

import logging

from messaging.asap import freed_time_taken, slot_offers_send
from messaging.conf import messaging_settings
from messaging.events import webhook_events_drain
from messaging.gmail import gmail_sync, gmail_watch_start
from messaging.services import interaction_send_retry
from messaging.visits import (
    visit_cancellation_send,
    visit_confirmation_send,
    visit_missed_send,
    visit_moved_send,
    visit_reminders_send,
)

logger = logging.getLogger(__name__)


def drain_webhook_events() -> str:
    """Queued by the webhooks (messaging.ingest), and scheduled every minute to catch what a
    lost job left: process every stored event not yet processed."""
    return f"processed={webhook_events_drain()}"


def send_visit_confirmation(appointment_id: str) -> str:
    """Queued when a visit is booked (messaging.visits)."""
    sent = visit_confirmation_send(appointment_id)
    return f"interaction={sent.pk}" if sent else "nothing to send"


def send_visit_cancellation(appointment_id: str) -> str:
    """Queued when an upcoming visit is cancelled (messaging.visits)."""
    sent = visit_cancellation_send(appointment_id)
    return f"interaction={sent.pk}" if sent else "nothing to send"


def send_visit_moved(appointment_id: str) -> str:
    """Queued when the patient moved a visit (messaging.visits)."""
    sent = visit_moved_send(appointment_id)
    return f"interaction={sent.pk}" if sent else "nothing to send"


def send_missed_visit(appointment_id: str) -> str:
    """Queued when staff mark a no-show (messaging.visits); again at the next legal hour."""
    sent = visit_missed_send(appointment_id)
    return f"interaction={sent.pk}" if sent else "nothing to send"


def send_slot_offers() -> str:
    """Queued when a visit's time frees up, and scheduled: the ASAP list's due batches."""
    counts = slot_offers_send()
    return f"offered={counts['offered']} closed={counts['closed']}"


def send_slot_taken(freed_id: str) -> str:
    """Queued when a freed time was booked from an offer: the others are told."""
    return f"told={freed_time_taken(freed_id)}"


def send_reminders() -> str:
    """Scheduled every few minutes: the visit reminders due now."""
    counts = visit_reminders_send()
    return f"sent={counts['sent']} skipped={counts['skipped']}"


def retry_send(interaction_id: str, attempt: int) -> str:
    """Scheduled (with backoff) after a transient send failure."""
    return interaction_send_retry(interaction_id=interaction_id, attempt=attempt)


def gmail_poll() -> str:
    """Scheduled every few minutes: Gmail may drop push notifications, so read the history
    anyway. Does nothing while Gmail is not set up (GMAIL_ADDRESS empty)."""
    if not messaging_settings().gmail_address:
        return "gmail not configured"
    report = gmail_sync()
    return f"handled={report.handled} unmatched={report.unmatched} resynced={report.resynced}"


def gmail_watch_renew() -> str:
    """Scheduled daily: a Gmail watch lapses after 7 days unless renewed."""
    if not messaging_settings().gmail_address:
        return "gmail not configured"
    mailbox = gmail_watch_start()
    return f"watching until {mailbox.watch_expiration.isoformat()}"
