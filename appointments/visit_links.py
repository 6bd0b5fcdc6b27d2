"""A visit's self-service link (SPEC §10): signed, bound to one appointment, no login; the page
it opens shows the visit with the patient's first name only and lets them cancel it. Sent in
the visit's confirmation and reminders."""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from appointments.models import Appointment
from dentalai.signed import SignedIdError, signed_id, signed_id_read

SALT = "dentalai.appointments.visit-link"
# Long enough for a visit booked months ahead; the page acts only on an upcoming visit anyway.
MAX_AGE = dt.timedelta(days=400)
VISIT_LINK_INVALID = "This link is not valid. Check that it was copied whole, or call the clinic."


def visit_token_make(appointment: Appointment) -> str:
    return signed_id(appointment.pk, salt=SALT, field="a")


def visit_token_appointment_id(token: str) -> str | None:
    """The appointment id a token names; None when it cannot be trusted."""
    try:
        return signed_id_read(token, salt=SALT, field="a", max_age=MAX_AGE)
    except SignedIdError:
        return None


def visit_link_url(appointment: Appointment) -> str:
    return f"{settings.SITE_URL}{reverse('booking:visit', args=[visit_token_make(appointment)])}"
