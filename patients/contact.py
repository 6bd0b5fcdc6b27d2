"""Canonical forms of patient contact details, so that uniqueness and matching hold."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def normalize_phone(phone: str | None) -> str:
    """Return the number in E.164 ("+15551234567"), "" for none; ValidationError if invalid.

    A number without a country code is read in the clinic's region (PHONE_REGION).
    """
    raw = (phone or "").strip()
    if raw.startswith("whatsapp:"):
        raw = raw.removeprefix("whatsapp:")
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, settings.PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"Not a phone number: {exc}", code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Not a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
