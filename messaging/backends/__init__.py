"""Outbound channel backends, chosen per channel in settings.MESSAGING_BACKENDS (like Django's
email backends): `outbox.OutboxBackend` (default), `gmail.GmailBackend`,
`twilio.TwilioBackend`. Each takes an OutgoingMessage and returns the provider's message id, or
raises SendError saying whether trying again could help."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class CalendarInvite:
    """One iCalendar object (RFC 5545) and its iTIP method (RFC 5546): REQUEST adds or updates
    the visit in the patient's calendar, CANCEL removes it."""

    method: str
    ical: str

    @property
    def filename(self) -> str:
        return "cancelled.ics" if self.method == "CANCEL" else "invite.ics"


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str  # email address, E.164 number, or "whatsapp:+…"
    body: str
    subject: str = ""
    thread_id: str = ""  # the conversation to continue, when there is one
    interaction_id: str = ""
    # Email: the patient's unsubscribe link, for the List-Unsubscribe header.
    unsubscribe_url: str = ""
    # WhatsApp outside the 24-hour window: an approved template (Twilio Content SID) and its
    # variables instead of the free-form body.
    template_sid: str = ""
    template_variables: dict[str, str] = field(default_factory=dict)
    # Email about a visit: its calendar invites — one, or for a moved visit the new visit's
    # REQUEST and the old one's CANCEL (RFC 6047 §2.4: one body part per method).
    invites: tuple[CalendarInvite, ...] = ()


@dataclass(frozen=True)
class SendResult:
    message_id: str
    thread_id: str = ""  # set when the provider started a new thread (Gmail)


class SendError(Exception):
    """A send that failed. `permanent` ones (invalid address, opted out, no template) are never
    retried; `opted_out` marks a refusal because the recipient opted out with the provider
    (Twilio error 21610)."""

    def __init__(self, reason: str, *, permanent: bool, opted_out: bool = False):
        self.reason, self.permanent, self.opted_out = reason, permanent, opted_out
        super().__init__(reason)


class Backend:
    def send(self, message: OutgoingMessage) -> SendResult:
        raise NotImplementedError


def backend_for(channel: str) -> Backend:
    return import_string(settings.MESSAGING_BACKENDS[channel])()
