"""The private calendar feeds (SPEC §11): the schedule as an iCalendar document a calendar app
subscribes to (Google Calendar, Outlook, Apple Calendar re-read it every few hours; we ask for
15 minutes). The URL is the feed's signed id (dentalai.signed); a revoked feed, or a damaged or
forged URL, reads as no feed at all. A cancelled or moved visit leaves the feed, so it leaves
the subscribed calendar at its next refresh. Patient data in events is kept to the service and
the first name unless the feed has `patient_details` on."""

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from appointments.choices import AppointmentStatus
from appointments.models import Appointment, CalendarFeed
from dentalai.audit import audit_record
from dentalai.clinic_time import clinic_zone
from dentalai.signed import SignedIdError, lasting_signed_id, signed_id_read

PRODUCT_ID = "-//DentalAI//Calendar feed//EN"
SALT = "appointments.calendar-feed"
# What a subscribed calendar holds: a month back (what happened), a year ahead.
SHOWN_BEFORE = dt.timedelta(days=31)
SHOWN_AHEAD = dt.timedelta(days=366)
REFRESH = dt.timedelta(minutes=15)
# A feed's last read is written at most this often: calendar apps poll.
READ_RECORDED_EVERY = dt.timedelta(minutes=10)
STATUS = {
    AppointmentStatus.BOOKED: "TENTATIVE",  # not yet confirmed by the patient
    AppointmentStatus.CONFIRMED: "CONFIRMED",
    AppointmentStatus.COMPLETED: "CONFIRMED",
    AppointmentStatus.NO_SHOW: "CONFIRMED",
}


def feed_url(feed: CalendarFeed) -> str:
    token = lasting_signed_id(feed.pk, salt=SALT, field="feed")
    return settings.SITE_URL + reverse("dashboard:calendar_feed", args=[token])


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed a URL's token names; None for a revoked, unknown or forged one."""
    try:
        pk = signed_id_read(token, salt=SALT, field="feed", max_age=None)
    except SignedIdError:
        return None
    feed = CalendarFeed.objects.select_related("provider").filter(pk=pk).first()
    if feed is None or feed.revoked_at is not None:
        return None
    return feed


def feed_read_record(feed: CalendarFeed, *, now: dt.datetime) -> None:
    """When the feed was last read (staff see a feed nobody uses), written once in a while."""
    if feed.last_read_at is None or feed.last_read_at < now - READ_RECORDED_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)


def feed_name(feed: CalendarFeed) -> str:
    who = feed.provider.name if feed.provider else "Schedule"
    return f"{settings.CLINIC_NAME} — {who}"


def feed_appointments(feed: CalendarFeed, *, now: dt.datetime) -> QuerySet[Appointment]:
    visits = Appointment.objects.filter(
        appointment_date__gte=now - SHOWN_BEFORE, appointment_date__lt=now + SHOWN_AHEAD
    ).exclude(status=AppointmentStatus.CANCELLED)
    if feed.provider_id:
        visits = visits.filter(provider_id=feed.provider_id)
    return visits.select_related("patient", "service", "provider").order_by("appointment_date")


def feed_calendar(feed: CalendarFeed, *, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", feed_name(feed))
    calendar.add("x-wr-calname", feed_name(feed))
    calendar.add("x-wr-timezone", clinic_zone().key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    for visit in feed_appointments(feed, now=now).iterator(chunk_size=500):
        calendar.add_component(_event(visit, feed, host=host, now=now))
    return calendar.to_ical()


def _event(visit: Appointment, feed: CalendarFeed, *, host: str, now: dt.datetime) -> Event:
    patient = visit.patient
    who = patient.name if feed.patient_details else patient.first_name or "Patient"
    summary = f"{visit.service.name} · {who}"
    if visit.status == AppointmentStatus.NO_SHOW:
        summary = f"No-show: {summary}"
    event = Event()
    event.add("uid", f"appointment-{visit.pk}@{host}")
    event.add("dtstamp", now)
    event.add("created", visit.created_at)
    event.add("last-modified", visit.updated_at)
    event.add("dtstart", visit.appointment_date)
    event.add("dtend", visit.ends_at)
    event.add("summary", summary)
    event.add("status", STATUS[visit.status])
    event.add("transp", "OPAQUE")
    lines = [f"{visit.get_status_display()}."]
    if visit.provider and not feed.provider_id:
        lines.append(f"With {visit.provider.name}.")
    if feed.patient_details:
        lines += [line for line in (patient.phone, patient.email) if line]
    event.add("description", "\n".join(lines))
    return event


def feed_create(*, provider, patient_details: bool, actor) -> CalendarFeed:
    feed = CalendarFeed.objects.create(
        provider=provider, patient_details=patient_details, created_by=actor
    )
    audit_record(
        actor=actor,
        action="calendar_feed_create",
        target=feed,
        details={"provider": str(feed.provider_id or ""), "patient_details": patient_details},
    )
    return feed


def feed_revoke(feed: CalendarFeed, *, actor) -> bool:
    """End the feed: its URL reads as unknown from now on. False when it already was."""
    revoked = CalendarFeed.objects.filter(pk=feed.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(actor=actor, action="calendar_feed_revoke", target=feed)
    return bool(revoked)
