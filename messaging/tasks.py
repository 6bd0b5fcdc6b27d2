"""django-q2 tasks: each takes ids, loads fresh state and calls a service; safe to run twice."""

import logging

from messaging.conf import messaging_settings

logger = logging.getLogger(__name__)


def process_webhook_event(event_id: str) -> str:
    """Queued by every webhook once its event is stored."""
    from messaging.services import webhook_event_process

    return webhook_event_process(event_id=event_id)


def requeue_stale_webhook_events() -> int:
    """Scheduled every few minutes (optional): events stored but never processed, because their
    job was lost, are queued again."""
    from messaging.services import webhook_event_requeue

    return webhook_event_requeue()


def retry_send(interaction_id: str, attempt: int) -> str:
    """Scheduled (with backoff) after a transient send failure."""
    from messaging.services import interaction_send_retry

    return interaction_send_retry(interaction_id=interaction_id, attempt=attempt)


def gmail_poll() -> str:
    """Scheduled every few minutes: Gmail may drop push notifications, so read the history
    anyway. Does nothing while Gmail is not set up (GMAIL_ADDRESS empty)."""
    if not messaging_settings().gmail_address:
        return "gmail not configured"
    from messaging.gmail import gmail_sync

    report = gmail_sync()
    return f"handled={report.handled} unmatched={report.unmatched} resynced={report.resynced}"


def gmail_watch_renew() -> str:
    """Scheduled daily: a Gmail watch lapses after 7 days unless renewed."""
    if not messaging_settings().gmail_address:
        return "gmail not configured"
    from messaging.gmail import gmail_watch_start

    mailbox = gmail_watch_start()
    return f"watching until {mailbox.watch_expiration.isoformat()}"
