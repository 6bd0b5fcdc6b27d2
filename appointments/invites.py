"""The calendar invite a visit's emails carry (RFC 5545, with the iTIP methods of RFC 5546): a
REQUEST when it is booked, a CANCEL with the same UID when it is cancelled or moved, so the
patient's calendar adds the visit once and removes it when it no longer holds. The UID is
stable per appointment; the sequence grows with each change so a calendar applies the latest."""

from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress

from appointments.models import Appointment

PRODUCT_ID = "-//DentalAI//Visit invites//EN"


def invite_uid(appointment: Appointment) -> str:
    return f"visit-{appointment.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def visit_invite(appointment: Appointment, *, cancel: bool = False) -> str:
    """The iCalendar text for the visit: METHOD:REQUEST, or METHOD:CANCEL when `cancel`."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", invite_uid(appointment))
    event.add("sequence", 1 if cancel else 0)
    event.add("dtstamp", appointment.updated_at or appointment.created_at)
    event.add("dtstart", appointment.appointment_date)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"{appointment.service.name} at {settings.CLINIC_NAME}")
    event.add("location", settings.CLINIC_POSTAL_ADDRESS)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{settings.GMAIL_ADDRESS or settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = settings.CLINIC_NAME
    event.add("organizer", organizer)
    if appointment.patient.email:
        attendee = vCalAddress(f"mailto:{appointment.patient.email}")
        attendee.params["cn"] = appointment.patient.first_name or "Patient"
        attendee.params["role"] = "REQ-PARTICIPANT"
        event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
