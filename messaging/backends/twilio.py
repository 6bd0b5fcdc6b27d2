"""SMS and WhatsApp through Twilio's Messages API (the official `twilio` SDK).

WhatsApp's 24-hour rule is decided before a message reaches this backend
(messaging.services): outside the window the message carries an approved template's Content
SID, which is sent instead of the free-form body.
"""

import json
import logging

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from dentalai.choices import Channel
from messaging.backends import Backend, OutgoingMessage, SendError, SendResult
from messaging.conf import messaging_settings

logger = logging.getLogger(__name__)

# Twilio error codes that no retry will fix: the recipient (or the number) is the problem.
# https://www.twilio.com/docs/api/errors
OPTED_OUT = 21610  # the recipient replied STOP: Twilio blocks every message to them
PERMANENT_REASONS = {
    21211: "The phone number is not valid.",
    21408: "Sending to this country is not enabled on the Twilio account.",
    21610: "The patient opted out with the carrier (replied STOP): Twilio refuses to send.",
    21612: "Twilio cannot send to this number from the configured sender.",
    21614: "The number is not a mobile number and cannot receive text messages.",
    63016: "WhatsApp refused a free-form message outside the 24-hour window; an approved "
    "template is needed.",
    63024: "The recipient is not a valid WhatsApp user.",
}


def twilio_client() -> Client:
    """A Twilio client from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, with a timeout. With
    TWILIO_API_BASE_URL set, the Messages API is reached there instead of api.twilio.com (a
    Twilio-compatible mock or a test server)."""
    conf = messaging_settings()
    purpose = "to send SMS or WhatsApp messages through Twilio"
    client = Client(
        conf.required("twilio_account_sid", purpose),
        conf.required("twilio_auth_token", purpose),
        http_client=TwilioHttpClient(timeout=conf.send_timeout_seconds),
    )
    if conf.twilio_api_base_url:
        client.api.base_url = conf.twilio_api_base_url
    return client


def send_error_from(exc: Exception) -> SendError:
    """What a failed Twilio call means for the message: permanent, or worth retrying."""
    if isinstance(exc, TwilioRestException):
        code = exc.code
        if code in PERMANENT_REASONS:
            reason = f"{PERMANENT_REASONS[code]} (Twilio error {code})"
            return SendError(reason, permanent=True, opted_out=code == OPTED_OUT)
        if exc.status == 429 or exc.status >= 500:
            return SendError(
                f"Twilio is unavailable (HTTP {exc.status}); will retry.", permanent=False
            )
        if exc.status in (401, 403):
            return SendError(
                "Twilio refused the credentials (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN).",
                permanent=True,
            )
        suffix = f" (Twilio error {code})" if code else f" (HTTP {exc.status})"
        return SendError(f"Twilio refused the message{suffix}.", permanent=True)
    if isinstance(exc, requests.RequestException | TwilioException | OSError):
        return SendError("Twilio could not be reached; will retry.", permanent=False)
    raise exc


class TwilioBackend(Backend):
    """SMS from TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID), WhatsApp from
    TWILIO_WHATSAPP_FROM."""

    def __init__(self, client: Client | None = None):
        self._client = client

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = twilio_client()
        return self._client

    def send(self, message: OutgoingMessage) -> SendResult:
        conf = messaging_settings()
        params: dict[str, str] = {"to": message.to}
        if message.channel == Channel.WHATSAPP:
            params["from_"] = conf.required(
                "twilio_whatsapp_from", "to send WhatsApp messages through Twilio"
            )
        elif conf.twilio_messaging_service_sid:
            params["messaging_service_sid"] = conf.twilio_messaging_service_sid
        else:
            params["from_"] = conf.required(
                "twilio_from_number", "(or TWILIO_MESSAGING_SERVICE_SID) to send SMS"
            )
        if message.template_sid:
            params["content_sid"] = message.template_sid
            params["content_variables"] = json.dumps(message.template_variables)
        else:
            params["body"] = message.body
        try:
            sent = self.client.messages.create(**params)
        except Exception as exc:  # classified; anything unexpected is re-raised
            error = send_error_from(exc)
            logger.warning(
                "twilio send failed: interaction %s permanent=%s",
                message.interaction_id,
                error.permanent,
            )
            raise error from exc
        return SendResult(message_id=sent.sid)
