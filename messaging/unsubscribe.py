"""The signed unsubscribe link every email carries (SPEC §5, CAN-SPAM): made here, read by the
unsubscribe page. The token is a signed id (dentalai.signed) over the patient id, so it needs no
table and works without login.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from dentalai.signed import SignedIdError, signed_id, signed_id_read
from patients.models import Patient

UNSUBSCRIBE_SALT = "patients.unsubscribe"
# CAN-SPAM wants the link to work for at least 30 days after the email was sent; a patient who
# finds an old email should still be able to use it.
UNSUBSCRIBE_MAX_AGE = dt.timedelta(days=365)


def unsubscribe_token_make(patient: Patient) -> str:
    return signed_id(patient.pk, salt=UNSUBSCRIBE_SALT, field="p")


def unsubscribe_token_patient_id(
    token: str, *, max_age: dt.timedelta = UNSUBSCRIBE_MAX_AGE
) -> str | None:
    """The patient id the token was made for; None when it is forged, damaged or too old."""
    try:
        return signed_id_read(token, salt=UNSUBSCRIBE_SALT, field="p", max_age=max_age)
    except SignedIdError:
        return None


def unsubscribe_url(patient: Patient) -> str:
    """The absolute link for emails: SITE_URL + /unsubscribe/<token>/."""
    path = reverse("unsubscribe", args=[unsubscribe_token_make(patient)])
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url_prefix() -> str:
    """What every unsubscribe link starts with: how a body is recognised as already carrying
    one (the token differs on every call, so the link itself cannot be compared)."""
    return f"{settings.SITE_URL}{reverse('unsubscribe', args=['x']).removesuffix('x/')}"
