"""What a patient is told about their visit, in words: the booking's confirmation, reminders, the
notices of a move and of a cancellation, the message after a missed visit, and the ASAP list's
offers (sent by messaging.visits and messaging.asap through the sending door)."""

from django.conf import settings

from appointments.models import Appointment
from appointments.visit_links import visit_link_url
from dentalai.clinic_time import clinic_zone


def local_when(start) -> str:
    """ "Wednesday, August 20 at 9:00 AM": a moment in clinic time, as patients read it."""
    local = start.astimezone(clinic_zone())
    return f"{local:%A, %B} {local.day} at {local:%-I:%M %p}"


def visit_when(appointment: Appointment) -> str:
    return local_when(appointment.appointment_date)


def _hello(patient) -> str:
    name = patient.first_name
    return f"Hi {name}," if name else "Hello,"


def _greeting(appointment: Appointment) -> str:
    return _hello(appointment.patient)


def _when_and_who(appointment: Appointment) -> str:
    """ "Wednesday, August 20 at 9:00 AM with Dr Dana Park"."""
    with_whom = f" with {appointment.provider.name}" if appointment.provider_id else ""
    return f"{visit_when(appointment)}{with_whom}"


def confirmation_text(appointment: Appointment) -> str:
    return (
        f"{_greeting(appointment)} your {appointment.service.name} at {settings.CLINIC_NAME} is "
        f"booked: {_when_and_who(appointment)}, {settings.CLINIC_POSTAL_ADDRESS}. "
        f"To see, move or cancel it: {visit_link_url(appointment)}"
    )


def reminder_text(appointment: Appointment) -> str:
    return (
        f"{_greeting(appointment)} a reminder of your {appointment.service.name} at "
        f"{settings.CLINIC_NAME}: {_when_and_who(appointment)}. Reply C to confirm. To move or "
        f"cancel it: {visit_link_url(appointment)}"
    )


def moved_text(appointment: Appointment, previous: Appointment) -> str:
    return (
        f"{_greeting(appointment)} your {appointment.service.name} at {settings.CLINIC_NAME} is "
        f"moved to {_when_and_who(appointment)} (it was {visit_when(previous)}). To see, move or "
        f"cancel it: {visit_link_url(appointment)}"
    )


def missed_visit_text(appointment: Appointment, rebook_url: str) -> str:
    return (
        f"{_greeting(appointment)} we missed you at your {appointment.service.name} at "
        f"{settings.CLINIC_NAME} on {visit_when(appointment)}. We hope all is well. Whenever "
        f"suits you, book another time here: {rebook_url}"
    )


def slot_offer_text(patient, service, start, url: str, *, moves_visit: bool) -> str:
    """A freed time offered to a patient on the ASAP list."""
    what = "your visit could move to" if moves_visit else f"a {service.name} is free"
    return (
        f"{_hello(patient)} good news from {settings.CLINIC_NAME}: {what} {local_when(start)}. "
        f"First to book gets it: {url}"
    )


def slot_taken_text(patient, start) -> str:
    return (
        f"{_hello(patient)} the {local_when(start)} time at {settings.CLINIC_NAME} has just been "
        "taken. You are still on our list: we will write when another time frees up."
    )


def cancellation_text(appointment: Appointment) -> str:
    return (
        f"{_greeting(appointment)} your {appointment.service.name} at {settings.CLINIC_NAME} on "
        f"{visit_when(appointment)} is cancelled. Reply to this message whenever you would like "
        "to book another time."
    )
