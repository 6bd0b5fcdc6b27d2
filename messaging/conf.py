"""The messaging settings as one value. They are parsed and checked once, at start-up, in
dentalai/settings.py (a malformed value stops the process naming its variable); a value only
one feature needs (the Gmail token file, the Twilio credentials) is asked for with `required()`
when that feature is used, and its absence is reported the same way."""

from dataclasses import dataclass, fields

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from campaigns.choices import MessageKind

# Allowed keys of TWILIO_WHATSAPP_TEMPLATE_SIDS: the message kinds, and "default" for any kind
# without its own template.
TEMPLATE_DEFAULT = "default"


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


def messaging_settings() -> MessagingSettings:
    return MessagingSettings(
        **{f.name: getattr(settings, f.name.upper()) for f in fields(MessagingSettings)}
    )


def pubsub_verification_token() -> str:
    return settings.PUBSUB_VERIFICATION_TOKEN


def setting_names() -> list[str]:
    """Every setting this module bundles (for the .env.example check)."""
    return [f.name.upper() for f in fields(MessagingSettings)]


def template_kinds_check() -> None:
    """TWILIO_WHATSAPP_TEMPLATE_SIDS names only message kinds (checked at start-up)."""
    allowed = (*MessageKind.values, TEMPLATE_DEFAULT)
    unknown = sorted(set(settings.TWILIO_WHATSAPP_TEMPLATE_SIDS) - set(allowed))
    if unknown:
        raise ImproperlyConfigured(
            f"TWILIO_WHATSAPP_TEMPLATE_SIDS: {', '.join(unknown)} is not a message kind; "
            f"kinds: {', '.join(allowed)}"
        )
