"""Messaging settings, read from the environment (each one is listed in .env.example).

Read on each call, like agent.conf, so a test or a management command sees the environment as
it is now. The app checks their form once at start-up (MessagingConfig.ready): a malformed value
stops the process with ImproperlyConfigured naming the variable. A value that only one feature
needs (the Gmail token file, the Twilio credentials) is asked for with `required()` when that
feature is used, and its absence is reported the same way.
"""

import functools
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from campaigns.choices import MessageKind
from dentalai.env import env, integer, read, text

# Allowed keys of TWILIO_WHATSAPP_TEMPLATE_SIDS: the message kinds, and "default" for any kind
# without its own template.
TEMPLATE_DEFAULT = "default"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class MessagingSettings:
    # Gmail
    gmail_address: str
    gmail_credentials_file: str
    gmail_token_file: str
    gmail_service_account_file: str
    gmail_topic: str
    gmail_resync_max: int
    # Gmail push (Pub/Sub)
    pubsub_verification_token: str
    pubsub_audience: str
    pubsub_service_account_email: str
    # Generic incoming-message webhook
    incoming_webhook_secret: str
    # Twilio
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from_number: str
    twilio_messaging_service_sid: str
    twilio_whatsapp_from: str
    twilio_whatsapp_template_sids: dict[str, str]
    twilio_api_base_url: str
    webhook_public_url: str
    # Sending
    send_retry_max: int
    send_retry_base_seconds: int
    send_timeout_seconds: float

    def required(self, field: str, purpose: str) -> str:
        """The value of `field`, or ImproperlyConfigured naming its variable and what needs it."""
        value = getattr(self, field)
        if not value:
            raise ImproperlyConfigured(f"{field.upper()} must be set {purpose}.")
        return value


def _url(name: str) -> str:
    value = text(name).rstrip("/")
    if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ImproperlyConfigured(f"{name}: {value!r} is not an http(s) URL")
    return value


def _email(name: str) -> str:
    value = text(name).lower()
    if value and not _EMAIL.fullmatch(value):
        raise ImproperlyConfigured(f"{name}: {value!r} is not an email address")
    return value


def _phone(name: str, *, prefix: str = "") -> str:
    value = text(name)
    if value and not re.fullmatch(re.escape(prefix) + r"\+[1-9]\d{6,14}", value):
        example = f"{prefix}+15551234567"
        raise ImproperlyConfigured(f"{name}: {value!r} is not a number like {example}")
    return value


def _templates(name: str) -> dict[str, str]:
    """ "outreach=HX…,follow_up=HX…,default=HX…" → {"outreach": "HX…", …}."""
    allowed = (*MessageKind.values, TEMPLATE_DEFAULT)
    raw = text(name)
    templates: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, sid = (s.strip() for s in part.partition("="))
        if not sep or key not in allowed or not re.fullmatch(r"HX[0-9a-fA-F]{32}", sid):
            raise ImproperlyConfigured(
                f"{name}: {part!r} is not kind=HX… (a Content SID); kinds: {', '.join(allowed)}"
            )
        templates[key] = sid
    return templates


def messaging_settings() -> MessagingSettings:
    """The settings as the environment has them now. Parsed once per distinct environment:
    the webhooks read them on every request."""
    return _parse(tuple(os.environ.get(name) for name in _NAMES))


@functools.lru_cache(maxsize=16)
def _parse(values: tuple[str | None, ...]) -> MessagingSettings:  # values: the cache key
    whatsapp_from = text("TWILIO_WHATSAPP_FROM")
    if whatsapp_from and not whatsapp_from.startswith("whatsapp:"):
        whatsapp_from = f"whatsapp:{whatsapp_from}"
    if whatsapp_from and not re.fullmatch(r"whatsapp:\+[1-9]\d{6,14}", whatsapp_from):
        raise ImproperlyConfigured(
            f"TWILIO_WHATSAPP_FROM: {whatsapp_from!r} is not a number like whatsapp:+15551234567"
        )
    account_sid = text("TWILIO_ACCOUNT_SID")
    if account_sid and not re.fullmatch(r"AC[0-9a-fA-F]{32}", account_sid):
        raise ImproperlyConfigured(f"TWILIO_ACCOUNT_SID: {account_sid!r} is not an AC… SID")
    service_sid = text("TWILIO_MESSAGING_SERVICE_SID")
    if service_sid and not re.fullmatch(r"MG[0-9a-fA-F]{32}", service_sid):
        raise ImproperlyConfigured(
            f"TWILIO_MESSAGING_SERVICE_SID: {service_sid!r} is not an MG… SID"
        )
    topic = text("GMAIL_TOPIC")
    if topic and not re.fullmatch(r"projects/[^/\s]+/topics/[^/\s]+", topic):
        raise ImproperlyConfigured(
            f"GMAIL_TOPIC: {topic!r} is not a topic name like projects/PROJECT/topics/TOPIC"
        )
    timeout = read("SEND_TIMEOUT_SECONDS", env.float, 15.0)
    if not 0 < timeout <= 120:
        raise ImproperlyConfigured("SEND_TIMEOUT_SECONDS must be between 0 and 120")
    default_token = Path(settings.BASE_DIR) / "var" / "gmail-token.json"
    return MessagingSettings(
        gmail_address=_email("GMAIL_ADDRESS"),
        gmail_credentials_file=text("GMAIL_CREDENTIALS_FILE"),
        gmail_token_file=text("GMAIL_TOKEN_FILE") or str(default_token),
        gmail_service_account_file=text("GMAIL_SERVICE_ACCOUNT_FILE"),
        gmail_topic=topic,
        gmail_resync_max=integer("GMAIL_RESYNC_MAX", 50, 1, 500),
        pubsub_verification_token=text("PUBSUB_VERIFICATION_TOKEN"),
        pubsub_audience=text("PUBSUB_AUDIENCE"),
        pubsub_service_account_email=_email("PUBSUB_SERVICE_ACCOUNT_EMAIL"),
        incoming_webhook_secret=text("INCOMING_WEBHOOK_SECRET"),
        twilio_account_sid=account_sid,
        twilio_auth_token=text("TWILIO_AUTH_TOKEN"),
        twilio_from_number=_phone("TWILIO_FROM_NUMBER"),
        twilio_messaging_service_sid=service_sid,
        twilio_whatsapp_from=whatsapp_from,
        twilio_whatsapp_template_sids=_templates("TWILIO_WHATSAPP_TEMPLATE_SIDS"),
        twilio_api_base_url=_url("TWILIO_API_BASE_URL"),
        webhook_public_url=_url("WEBHOOK_PUBLIC_URL"),
        send_retry_max=integer("SEND_RETRY_MAX", 4, 0, 10),
        send_retry_base_seconds=integer("SEND_RETRY_BASE_SECONDS", 60, 1, 3600),
        send_timeout_seconds=timeout,
    )


def pubsub_verification_token() -> str:
    """PUBSUB_VERIFICATION_TOKEN alone, for the Gmail push: it is read on every push, and
    parsing every other setting for it would be a good part of the push's cost."""
    return text("PUBSUB_VERIFICATION_TOKEN")


def setting_names() -> list[str]:
    """Every variable this module reads (for the .env.example check)."""
    return [f.name.upper() for f in fields(MessagingSettings)]


_NAMES = tuple(setting_names())
