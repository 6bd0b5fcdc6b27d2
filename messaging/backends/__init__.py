"""Outbound channel backends, chosen per channel in settings.MESSAGING_BACKENDS (like Django's
email backends). Each takes an OutgoingMessage and returns the provider's message id."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str  # email address, E.164 number, or "whatsapp:+…"
    body: str
    subject: str = ""
    thread_id: str = ""  # the conversation to continue, when there is one
    interaction_id: str = ""


@dataclass(frozen=True)
class SendResult:
    message_id: str
    thread_id: str = ""  # set when the provider started a new thread (Gmail)


class SendError(Exception):
    """A send that failed. `permanent` ones (invalid address, opted out) are never retried."""

    def __init__(self, reason: str, *, permanent: bool):
        self.reason, self.permanent = reason, permanent
        super().__init__(reason)


class Backend:
    def send(self, message: OutgoingMessage) -> SendResult:
        raise NotImplementedError


def backend_for(channel: str) -> Backend:
    return import_string(settings.MESSAGING_BACKENDS[channel])()
