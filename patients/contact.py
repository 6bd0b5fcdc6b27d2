"""Canonical forms of patient contact details, so that uniqueness and matching hold."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


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


def email_input(value: str | None) -> str | None:
    """A request field's email in canonical form, None when empty; ValueError (the form and
    schema validators' signal) when it is not an email address."""
    value = normalize_email(value)
    if not value:
        return None
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError("Not a valid email address.") from exc
    return value


def phone_input(value: str | None) -> str | None:
    """A request field's phone in E.164, None when empty; ValueError when it is not one."""
    try:
        return normalize_phone(value) or None
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from exc
