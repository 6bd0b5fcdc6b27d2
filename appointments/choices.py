from django.db import models


class AppointmentStatus(models.TextChoices):
    """A visit's life (SPEC §10); appointments.status holds the machine."""

    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


class ChangedBy(models.TextChoices):
    """Who confirmed, moved or cancelled a visit."""

    PATIENT = "patient", "The patient (self-service link)"
    AGENT = "agent", "The AI, from the patient's reply"
    STAFF = "staff", "Staff"


class CreatedFrom(models.TextChoices):
    AI_AGENT_FORM = "AI_AGENT_FORM", "Booking page (from the AI's link)"
    MANUAL_ADMIN = "MANUAL_ADMIN", "Staff"
    BOOKING_PAGE = "BOOKING_PAGE", "Booking page (new patient)"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class AsapSource(models.TextChoices):
    VISIT_PAGE = "visit_page", "The patient, from their visit's page"
    BOOKING_PAGE = "booking_page", "The patient, from the booking page"
    STAFF = "staff", "Staff"


class AsapStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked a freed time"
    WITHDRAWN = "withdrawn", "Left the list"


class OfferOutcome(models.TextChoices):
    OFFERED = "offered", "Offered"
    BOOKED = "booked", "Booked it"
    TAKEN = "taken", "Taken by someone else"
