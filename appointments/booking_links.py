"""Signed booking links: one per campaign, so the booking page knows whose visit it books
without showing or asking for anything but the first name (SPEC §4, §8).

The token is a signed id (dentalai.signed) over the campaign id only: no patient data travels in
the link. It is valid for
settings.BOOKING_LINK_MAX_AGE_DAYS days.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Model

from dentalai.errors import ApplicationError
from dentalai.signed import SignedIdError, signed_id, signed_id_read

SALT = "dentalai.appointments.booking-link"
LINK_EXPIRED = "This booking link has expired. Ask the clinic for a new one, or book without it."
LINK_INVALID = "This booking link is not valid. Check that it was copied whole."


class BookingLinkError(ApplicationError):
    """A token that is expired, tampered with or not ours (400)."""

    status_code = 400


def booking_token_make(campaign: Model) -> str:
    """A token for `campaign` (a campaigns.Campaign, which this lower layer does not import)."""
    return signed_id(campaign.pk, salt=SALT, field="c")


def booking_token_campaign_id(token: str) -> str:
    """The campaign id a token names; BookingLinkError when it is expired or not genuine."""
    max_age = timedelta(days=settings.BOOKING_LINK_MAX_AGE_DAYS)
    try:
        return signed_id_read(token, salt=SALT, field="c", max_age=max_age)
    except SignedIdError as exc:
        raise BookingLinkError(LINK_EXPIRED if exc.expired else LINK_INVALID) from exc


def booking_link_url(campaign: Model) -> str:
    return f"{settings.SITE_URL}/book/?t={booking_token_make(campaign)}"
