"""The signed unsubscribe link every email carries (SPEC §5, CAN-SPAM): made here, read by the
unsubscribe page. One signer for the whole product.

The token is `django.core.signing` over the patient id (salted, timestamped), so it needs no
table and works without login.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from patients.models import Patient

UNSUBSCRIBE_SALT = "patients.unsubscribe"
# CAN-SPAM wants the link to work for at least 30 days after the email was sent; a patient who
# finds an old email should still be able to use it.
UNSUBSCRIBE_MAX_AGE = dt.timedelta(days=365)


def unsubscribe_token_make(patient: Patient) -> str:
    return signing.dumps({"p": str(patient.pk)}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_patient_id(
    token: str, *, max_age: dt.timedelta = UNSUBSCRIBE_MAX_AGE
) -> str | None:
    """The patient id the token was made for; None when it is forged, damaged or too old."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    patient_id = data.get("p") if isinstance(data, dict) else None
    return patient_id if isinstance(patient_id, str) else None


def unsubscribe_url(patient: Patient) -> str:
    """The absolute link for emails: SITE_URL + /unsubscribe/<token>/."""
    path = reverse("unsubscribe", args=[unsubscribe_token_make(patient)])
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url_prefix() -> str:
    """What every unsubscribe link starts with: how a body is recognised as already carrying
    one (the token differs on every call, so the link itself cannot be compared)."""
    return f"{settings.SITE_URL}{reverse('unsubscribe', args=['x']).removesuffix('x/')}"
