"""Finding and creating patients: the one place contact details are matched."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q

from dentalai.errors import ApplicationError
from patients.choices import PatientType
from patients.contact import normalize_email, normalize_phone
from patients.models import Patient


def clean_contact(*, email: str | None, phone: str | None) -> tuple[str, str]:
    """Canonical (email, phone); ApplicationError (400) for a phone number that is not one."""
    try:
        return normalize_email(email), normalize_phone(phone)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from exc


def patient_find(*, email: str | None = None, phone: str | None = None) -> Patient | None:
    """The patient with this email OR this phone (email first), or None."""
    email, phone = clean_contact(email=email, phone=phone)
    lookups = [Q(email=email)] if email else []
    lookups += [Q(phone=phone)] if phone else []
    if not lookups:
        return None
    matches = list(Patient.objects.filter(lookups[0] | lookups[-1])[:2])
    by_email = [p for p in matches if email and p.email == email]
    return (by_email or matches or [None])[0]


def patient_get_or_create(
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    patient_type: str = PatientType.COLD_LEAD,
    preferred_channels: list[str] | None = None,
    initial_inquiry: str = "",
) -> tuple[Patient, bool]:
    """The patient with this email or phone, or a new one. An existing record is not changed
    (staff edit contact details deliberately, not as a side effect of a booking)."""
    email, phone = clean_contact(email=email, phone=phone)
    if not email and not phone:
        raise ApplicationError("An email address or a phone number is required.")
    existing = patient_find(email=email, phone=phone)
    if existing:
        return existing, False
    try:
        patient = Patient.objects.create(
            name=name.strip(),
            email=email,
            phone=phone,
            patient_type=patient_type,
            preferred_channels=preferred_channels or [],
            initial_inquiry=initial_inquiry,
        )
    except IntegrityError:
        # Created by a concurrent request between the lookup and now.
        existing = patient_find(email=email, phone=phone)
        if existing is None:
            raise
        return existing, False
    return patient, True
