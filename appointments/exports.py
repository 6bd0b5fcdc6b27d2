"""The columns of the appointment list's CSV export (dentalai.exports)."""

APPOINTMENT_COLUMNS = [
    ("Appointment id", lambda a: a.pk),
    ("Start", lambda a: a.appointment_date),
    ("Minutes", lambda a: a.duration_minutes),
    ("Service", lambda a: a.service.name),
    ("Provider", lambda a: a.provider.name if a.provider else ""),
    ("Patient", lambda a: a.patient.name),
    ("PMS id", lambda a: a.patient.external_id),
    ("Email", lambda a: a.patient.email),
    ("Phone", lambda a: a.patient.phone),
    ("Status", lambda a: a.get_status_display()),
    ("Booked by", lambda a: a.get_created_from_display()),
    ("Confirmed at", lambda a: a.confirmed_at),
    ("Cancelled at", lambda a: a.cancelled_at),
    ("Cancellation reason", lambda a: a.cancellation_reason),
    ("Notes", lambda a: a.notes),
]
