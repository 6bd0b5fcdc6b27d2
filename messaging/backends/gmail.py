"""Email through the Gmail API, as the clinic's mailbox (GMAIL_ADDRESS).

A message without a thread starts one (its id becomes the campaign's thread_id); a message with
one continues it the way a mail client would: threadId, In-Reply-To and References to the last
message of the thread, and its subject with "Re:". Plain text only (no HTML), with the
List-Unsubscribe headers when the patient's unsubscribe link is known.
"""

import base64
import logging
import re
import socket
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import httplib2
from django.conf import settings
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from messaging.backends import Backend, CalendarInvite, OutgoingMessage, SendError, SendResult
from messaging.conf import messaging_settings
from messaging.gmail import gmail_service

logger = logging.getLogger(__name__)

_RE_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd)\s*:\s*)+", re.I)


def reply_subject(subject: str) -> str:
    """ "Re: " + the subject without any Re:/Fwd: prefixes it already has."""
    base = _RE_PREFIX.sub("", subject or "").strip()
    return f"Re: {base}" if base else "Re:"


def attach_invites(mime: EmailMessage, invites: tuple[CalendarInvite, ...]) -> None:
    """RFC 6047: the first invite as the text/calendar alternative with its iTIP method (what
    Gmail and Outlook act on), and each one as a text/calendar attachment with its own method —
    separate body parts of the multipart/mixed, as §2.4 asks when the methods differ (a move:
    the new visit's REQUEST, the old visit's CANCEL) — that every other mail client can open."""
    if not invites:
        return
    first = invites[0]
    mime.add_alternative(first.ical, subtype="calendar", params={"method": first.method})
    for invite in invites:
        mime.add_attachment(
            invite.ical,
            subtype="calendar",
            filename=invite.filename,
            params={"method": invite.method},
        )


def send_error_from(exc: Exception) -> SendError:
    """What a failed Gmail call means for the message: permanent, or worth retrying."""
    if isinstance(exc, HttpError):
        status = int(getattr(exc.resp, "status", 0) or 0)
        if status == 429 or status >= 500:
            return SendError(f"Gmail is unavailable (HTTP {status}); will retry.", permanent=False)
        if status in (401, 403):
            return SendError(
                "Gmail refused the mailbox's credentials or permissions; run `manage.py "
                "gmail_authorize` again (or check the service account's delegation).",
                permanent=True,
            )
        if status == 404:
            return SendError(
                "The Gmail thread of this conversation no longer exists.", permanent=True
            )
        return SendError(
            f"Gmail refused the message (HTTP {status}); check the recipient's address.",
            permanent=True,
        )
    if isinstance(exc, RefreshError):
        return SendError(
            "The Gmail authorization was revoked or has expired; run `manage.py "
            "gmail_authorize` again.",
            permanent=True,
        )
    if isinstance(exc, TransportError | httplib2.HttpLib2Error | socket.timeout | OSError):
        return SendError("Gmail could not be reached; will retry.", permanent=False)
    raise exc


class GmailBackend(Backend):
    def __init__(self, service=None):
        self._service = service

    @property
    def service(self):
        if self._service is None:
            self._service = gmail_service()
        return self._service

    def send(self, message: OutgoingMessage) -> SendResult:
        address = messaging_settings().required("gmail_address", "to send email through Gmail")
        try:
            mime, body = self._compose(message, address)
            body["raw"] = base64.urlsafe_b64encode(mime.as_bytes()).decode("ascii")
            sent = self.service.users().messages().send(userId="me", body=body).execute()
        except Exception as exc:  # classified; anything unexpected is re-raised
            error = send_error_from(exc)
            logger.warning(
                "gmail send failed: interaction %s permanent=%s",
                message.interaction_id,
                error.permanent,
            )
            raise error from exc
        return SendResult(message_id=sent["id"], thread_id=sent.get("threadId", ""))

    def _compose(self, message: OutgoingMessage, address: str) -> tuple[EmailMessage, dict]:
        mime = EmailMessage()
        mime["From"] = formataddr((settings.CLINIC_NAME, address))
        mime["To"] = message.to
        mime["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1])
        body: dict = {}
        subject = message.subject
        if message.thread_id:
            last, first_subject = self._thread_tail(message.thread_id)
            subject = reply_subject(first_subject or subject)
            if last.get("message-id"):
                references = last.get("references") or last.get("in-reply-to", "")
                mime["In-Reply-To"] = last["message-id"]
                mime["References"] = " ".join([*references.split(), last["message-id"]])
            body["threadId"] = message.thread_id
        mime["Subject"] = subject
        if message.unsubscribe_url:
            # RFC 2369 / RFC 8058: mail clients show an unsubscribe button that POSTs here.
            mime["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mime.set_content(message.body)
        attach_invites(mime, message.invites)
        return mime, body

    def _thread_tail(self, thread_id: str) -> tuple[dict[str, str], str]:
        """The headers of the thread's last message (lower-case names) and its first subject."""
        thread = (
            self.service.users()
            .threads()
            .get(
                userId="me",
                id=thread_id,
                format="metadata",
                metadataHeaders=["Message-ID", "References", "In-Reply-To", "Subject"],
            )
            .execute()
        )
        messages = thread.get("messages") or [{}]

        def headers(msg: dict) -> dict[str, str]:
            found = msg.get("payload", {}).get("headers", [])
            return {h["name"].lower(): h["value"] for h in found}

        return headers(messages[-1]), headers(messages[0]).get("subject", "")
