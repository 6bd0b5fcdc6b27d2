"""The clinic's Gmail mailbox through the Gmail API (google-api-python-client).

- Credentials: a service account with domain-wide delegation acting as GMAIL_ADDRESS
  (GMAIL_SERVICE_ACCOUNT_FILE), or the installed-app OAuth token that `manage.py
  gmail_authorize` writes (GMAIL_TOKEN_FILE).
- Receiving (SPEC §6): a push notification or the scheduled poll runs `gmail_sync`: the history
  since the mailbox's last history id (too old → a bounded re-sync of recent INBOX messages),
  new messages the clinic did not send itself, each fetched, parsed and handed to the agent
  through `messaging.replies.inbound_handle`.
- `gmail_watch_start` starts or renews users.watch (it lapses after 7 days).

Every function takes an optional `service` (a built Gmail API resource), so tests drive the real
client library over `HttpMockSequence`.
"""

import base64
import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from dentalai.choices import Channel
from messaging.choices import WebhookSource, WebhookStatus
from messaging.conf import messaging_settings
from messaging.conversation import message_handled_before
from messaging.inbound import InboundMessage, ParsedEmail, email_parse
from messaging.models import GmailMailbox, WebhookEvent
from messaging.replies import inbound_handle

logger = logging.getLogger(__name__)

# Read, send and watch the mailbox (gmail.modify covers all three; nothing is ever deleted).
SCOPES = ["https://www.googleapis.com/auth/gmail.modify"]
# Labels of messages that are not patient replies: our own, drafts, junk.
SKIP_LABELS = frozenset({"SENT", "DRAFT", "SPAM", "TRASH", "CHAT"})
HISTORY_MAX_PAGES = 20
UNMATCHED_PREFIX = "message:"
POLL_TASK = "messaging.tasks.gmail_poll"


# --- The client ----------------------------------------------------------------------------------


def gmail_credentials():
    """Credentials for GMAIL_ADDRESS: the service account (domain-wide delegation) when
    GMAIL_SERVICE_ACCOUNT_FILE is set, else the OAuth token of `manage.py gmail_authorize`,
    refreshed (and saved back) when it has expired."""
    conf = messaging_settings()
    address = conf.required("gmail_address", "to use Gmail")
    if conf.gmail_service_account_file:
        from google.oauth2 import service_account

        return service_account.Credentials.from_service_account_file(
            conf.gmail_service_account_file, scopes=SCOPES, subject=address
        )
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    token_file = Path(conf.gmail_token_file)
    if not token_file.exists():
        raise ImproperlyConfigured(
            f"GMAIL_TOKEN_FILE: {token_file} does not exist; run `manage.py gmail_authorize` "
            "(or set GMAIL_SERVICE_ACCOUNT_FILE)."
        )
    credentials = Credentials.from_authorized_user_file(str(token_file), SCOPES)
    if not credentials.valid and credentials.refresh_token:
        credentials.refresh(Request())
        gmail_token_save(credentials, token_file)
    return credentials


def gmail_token_save(credentials, token_file: Path) -> None:
    """Write the OAuth token readable by this user only: it grants access to the mailbox."""
    token_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(credentials.to_json())


def gmail_service(http=None):
    """The Gmail API resource. `http` replaces the authorised transport (tests)."""
    if http is None:
        import google_auth_httplib2
        import httplib2

        timeout = messaging_settings().send_timeout_seconds
        http = google_auth_httplib2.AuthorizedHttp(
            gmail_credentials(), http=httplib2.Http(timeout=timeout)
        )
    # The discovery document ships with the library: no network round trip to build it.
    return build("gmail", "v1", http=http, static_discovery=True, cache_discovery=False)


def http_status(exc: HttpError) -> int:
    return int(getattr(exc.resp, "status", 0) or 0)


# --- The mailbox state --------------------------------------------------------------------------


def mailbox_get() -> GmailMailbox:
    address = messaging_settings().required("gmail_address", "to use Gmail")
    mailbox = GmailMailbox.objects.filter(email_address=address).first()
    if mailbox is not None:
        return mailbox
    try:
        with transaction.atomic():
            return GmailMailbox.objects.create(email_address=address)
    except IntegrityError:  # created by a concurrent worker
        return GmailMailbox.objects.get(email_address=address)


def mailbox_advance(mailbox: GmailMailbox, history_id: str, *, force: bool = False) -> None:
    """Move the mailbox's last history id forward to `history_id` (never back, unless `force`:
    after a re-sync the old id is invalid). A conditional update, so two workers syncing at
    once cannot move it backwards."""
    if not history_id:
        return
    for _ in range(5):
        current = mailbox.last_history_id
        if not force and current and int(current) >= int(history_id):
            return
        moved = GmailMailbox.objects.filter(pk=mailbox.pk, last_history_id=current).update(
            last_history_id=str(history_id), updated_at=timezone.now()
        )
        if moved:
            mailbox.last_history_id = str(history_id)
            return
        mailbox.refresh_from_db(fields=["last_history_id"])
        force = False  # someone else moved it: only go further forward


# --- Receiving -----------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What one sync did (counts and ids only: it is logged)."""

    handled: int = 0
    unmatched: int = 0
    own: int = 0
    seen_before: int = 0
    resynced: bool = False
    stopped_short: bool = False
    history_id: str = ""
    outcomes: list[str] = field(default_factory=list)


def gmail_sync(
    *, service=None, notified_history_id: str = "", deadline: float | None = None
) -> SyncReport:
    """Handle every new inbound message since the last sync. Safe to run twice or beside
    another worker: a message already handled (its Gmail id is on an interaction or an
    unmatched event) is skipped, and the agent records each Gmail id once. `deadline`
    (time.monotonic()): no message is started that could not be handled by then — the sync
    stops short, leaves the mailbox's history id where it was and queues the next sync."""
    if deadline is None:
        deadline = time.monotonic() + settings.Q_JOB_TIMEOUT_SECONDS
    mailbox = mailbox_get()
    report = SyncReport()
    if (
        notified_history_id
        and mailbox.last_history_id
        and int(mailbox.last_history_id) >= int(notified_history_id)
    ):
        return report  # an earlier sync already went past this notification
    service = service or gmail_service()
    if not mailbox.last_history_id:
        _resync(service, mailbox, report)
        return report
    try:
        refs, history_id = _history(service, mailbox.last_history_id)
    except HttpError as exc:
        if http_status(exc) != 404:
            raise
        # The id is older than Gmail keeps history for (about a week): look at recent mail.
        logger.warning("gmail history id too old: mailbox %s, re-syncing", mailbox.pk)
        _resync(service, mailbox, report)
        return report
    for ref in refs:
        if time.monotonic() + settings.MESSAGE_HANDLING_SECONDS_MAX > deadline:
            # The rest next time (the handled ones are skipped then): a job cut off by its
            # timeout in the middle of a message would leave it to the lease's expiry.
            report.stopped_short = True
            async_task(POLL_TASK)
            logger.info("gmail sync stopped short: %s", _summary(report))
            return report
        _handle_ref(service, mailbox, ref, report)
    mailbox_advance(mailbox, history_id)
    report.history_id = history_id
    logger.info("gmail sync: %s", _summary(report))
    return report


def _history(service, start: str) -> tuple[list[dict], str]:
    """Messages added since `start`, oldest first, and the history id to resume from."""
    refs: list[dict] = []
    seen: set[str] = set()
    page_token = None
    history_id = start
    for _ in range(HISTORY_MAX_PAGES):
        response = (
            service.users()
            .history()
            .list(
                userId="me",
                startHistoryId=start,
                historyTypes=["messageAdded"],
                pageToken=page_token,
            )
            .execute()
        )
        for record in response.get("history", []):
            for added in record.get("messagesAdded", []):
                message = added.get("message", {})
                if message.get("id") and message["id"] not in seen:
                    seen.add(message["id"])
                    refs.append(message)
            history_id = record.get("id", history_id)
        page_token = response.get("nextPageToken")
        if not page_token:
            # The whole range is read: resume from the mailbox's current id.
            return refs, response.get("historyId", history_id)
    # Bounded: the next sync continues after the last record read.
    return refs, history_id


def _resync(service, mailbox: GmailMailbox, report: SyncReport) -> None:
    """The bounded fallback: the newest GMAIL_RESYNC_MAX INBOX messages, then history from the
    mailbox's current id. (The current id is read first, so nothing arriving meanwhile is
    missed.)"""
    report.resynced = True
    profile = service.users().getProfile(userId="me").execute()
    limit = messaging_settings().gmail_resync_max
    response = (
        service.users().messages().list(userId="me", labelIds=["INBOX"], maxResults=limit).execute()
    )
    refs = list(reversed(response.get("messages", [])[:limit]))  # oldest first
    for ref in refs:
        _handle_ref(service, mailbox, ref, report)
    report.history_id = str(profile.get("historyId", ""))
    mailbox_advance(mailbox, report.history_id, force=True)
    logger.info("gmail re-sync: %s", _summary(report))


def _seen_before(message_id: str) -> bool:
    """Handled before: on an interaction that reached its outcome (one whose handling a crash
    cut short is read again and resumed), or kept for staff."""
    return (
        message_handled_before(Channel.EMAIL, message_id)
        or WebhookEvent.objects.filter(
            source=WebhookSource.GMAIL, event_id=UNMATCHED_PREFIX + message_id
        ).exists()
    )


def _handle_ref(service, mailbox: GmailMailbox, ref: dict, report: SyncReport) -> None:
    message_id = ref["id"]
    if SKIP_LABELS & set(ref.get("labelIds", [])):
        report.own += 1
        return
    if _seen_before(message_id):
        report.seen_before += 1
        return
    try:
        message = service.users().messages().get(userId="me", id=message_id, format="raw").execute()
    except HttpError as exc:
        if http_status(exc) == 404:  # deleted before we got to it
            return
        raise
    if SKIP_LABELS & set(message.get("labelIds", [])):
        report.own += 1
        return
    parsed = email_parse(base64.urlsafe_b64decode(message["raw"].encode("ascii")))
    if parsed.from_address == mailbox.email_address.lower():
        report.own += 1
        return
    try:
        gmail_message_handle(message, parsed, report)
    except Exception as exc:
        # One message that cannot be handled must not block the mailbox: it is kept for staff
        # as a failed event (and counts as seen), the others go on.
        logger.exception("gmail message failed: %s", message_id)
        _keep_for_staff(message, parsed, WebhookStatus.FAILED, type(exc).__name__)


def gmail_message_handle(message: dict, parsed: ParsedEmail, report: SyncReport) -> None:
    inbound = InboundMessage(
        channel=Channel.EMAIL,
        thread_id=message.get("threadId", ""),
        text=parsed.text or parsed.full_text,
        external_id=message["id"],
        sender=parsed.from_address,
    )
    status, note = inbound_handle(inbound)
    report.handled += 1
    report.outcomes.append(status)
    if status != WebhookStatus.UNMATCHED:
        return
    report.unmatched += 1
    _keep_for_staff(message, parsed, WebhookStatus.UNMATCHED, note)


def _keep_for_staff(message: dict, parsed: ParsedEmail, status: str, note: str) -> None:
    """A message no campaign takes (or that failed) as a WebhookEvent staff see in the admin;
    its Gmail id makes it unique, so overlapping syncs keep it once."""
    payload = {
        "gmail_message_id": message["id"],
        "thread_id": message.get("threadId", ""),
        "from": parsed.from_address,
        "subject": parsed.subject,
        "text": parsed.text or parsed.full_text,
    }
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                source=WebhookSource.GMAIL,
                event_id=UNMATCHED_PREFIX + message["id"],
                payload=payload,
                status=status,
                error=note,
                processed_at=timezone.now(),
            )
    except IntegrityError:
        pass  # kept already by an overlapping sync


def _summary(report: SyncReport) -> str:
    return (
        f"handled={report.handled} unmatched={report.unmatched} own={report.own} "
        f"seen_before={report.seen_before} resynced={report.resynced}"
    )


def gmail_push_data(payload: dict) -> dict[str, Any]:
    """The notification inside a stored Pub/Sub push: {"emailAddress", "historyId"}."""
    data = payload["message"]["data"]
    return json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))


def gmail_push_process(
    event: WebhookEvent, *, service=None, deadline: float | None = None
) -> tuple[str, str]:
    """A stored push notification → a sync. Returns the event's new (status, note)."""
    notice = gmail_push_data(event.payload)
    address = messaging_settings().required("gmail_address", "to use Gmail")
    if str(notice.get("emailAddress", "")).lower() != address:
        return WebhookStatus.FAILED, "The notification is for another mailbox."
    report = gmail_sync(
        service=service, notified_history_id=str(notice.get("historyId", "")), deadline=deadline
    )
    note = f"{report.handled} message(s) handled, {report.unmatched} unmatched"
    return WebhookStatus.PROCESSED, note + (" (re-synced)" if report.resynced else "")


# --- Watching ------------------------------------------------------------------------------------


def gmail_watch_start(*, service=None) -> GmailMailbox:
    """Start or renew the push watch on the INBOX (Gmail publishes to GMAIL_TOPIC) and store its
    expiry. The mailbox keeps its last history id if it has one, so nothing between the old
    watch and this one is skipped; a new mailbox starts from the id the watch returns."""
    conf = messaging_settings()
    topic = conf.required("gmail_topic", "to watch the mailbox (projects/…/topics/…)")
    service = service or gmail_service()
    response = (
        service.users()
        .watch(
            userId="me",
            body={"topicName": topic, "labelIds": ["INBOX"], "labelFilterBehavior": "include"},
        )
        .execute()
    )
    mailbox = mailbox_get()
    expiration = dt.datetime.fromtimestamp(int(response["expiration"]) / 1000, tz=dt.UTC)
    GmailMailbox.objects.filter(pk=mailbox.pk).update(
        watch_expiration=expiration, updated_at=timezone.now()
    )
    if not mailbox.last_history_id:
        mailbox_advance(mailbox, str(response["historyId"]))
    mailbox.refresh_from_db()
    logger.info("gmail watch renewed: mailbox %s until %s", mailbox.pk, expiration.isoformat())
    return mailbox


def gmail_watch_stop(*, service=None) -> None:
    service = service or gmail_service()
    service.users().stop(userId="me").execute()
    mailbox = mailbox_get()
    GmailMailbox.objects.filter(pk=mailbox.pk).update(
        watch_expiration=None, updated_at=timezone.now()
    )
