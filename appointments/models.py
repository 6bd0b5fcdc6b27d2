from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from appointments.choices import (
    AppointmentStatus,
    AsapSource,
    AsapStatus,
    ChangedBy,
    CreatedFrom,
    OfferOutcome,
    Weekday,
)
from dentalai.models import ObjectIdModel
from patients.models import Patient


class Service(ObjectIdModel):
    """Something a patient can book, how long it takes, and who can do it."""

    slug = models.SlugField(
        max_length=64, unique=True, help_text="The API's service_id, e.g. teeth_whitening."
    )
    name = models.CharField(max_length=120, unique=True)
    duration_minutes = models.PositiveSmallIntegerField()
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text="The usual fee: what a freed time refilled from the ASAP list is worth (KPIs).",
    )
    providers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="services", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.duration_minutes is not None and not 5 <= self.duration_minutes <= 480:
            raise ValidationError({"duration_minutes": "Between 5 and 480 minutes."})


class ProviderSchedule(ObjectIdModel):
    """A provider's working hours on one weekday, in the clinic's local time."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedules"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["provider", "weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "weekday", "start_time"], name="schedule_unique_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "Ends after it starts."})


class TimeOff(ObjectIdModel):
    """A stretch when a provider is away (holiday, training, sick)."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["start"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["provider", "start", "end"], name="timeoff_provider_idx")]

    def __str__(self):
        return f"{self.provider} away {self.start:%Y-%m-%d}-{self.end:%Y-%m-%d}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "Ends after it starts."})


class Appointment(ObjectIdModel):
    """A visit on the calendar: booked by the patient from the AI's link, or by staff."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    # Which outreach brought the visit, if any (named, not imported: campaigns sit above).
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    appointment_date = models.DateTimeField(help_text="Start, stored in UTC.")
    duration_minutes = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    notes = models.TextField(blank=True, default="")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=16, choices=ChangedBy.choices, blank=True)
    cancellation_reason = models.CharField(max_length=500, blank=True, default="")
    # Whether the patient is told of the cancellation: None, when they had been told of the
    # booking; staff who cancel choose. Their note, if any, ends the notice.
    cancellation_notify = models.BooleanField(null=True, blank=True)
    cancellation_note = models.CharField(max_length=500, blank=True, default="")
    # Set on a visit that was moved: the visit that took its place (cancelled_* say who, when).
    rescheduled_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="moved_from"
    )
    created_from = models.CharField(max_length=16, choices=CreatedFrom.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["appointment_date"]
        indexes = [
            models.Index(fields=["appointment_date", "status"], name="appointment_date_idx"),
            models.Index(fields=["provider", "appointment_date"], name="appointment_provider_idx"),
            models.Index(fields=["created_at", "status"], name="appointment_created_idx"),
        ]

    def __str__(self):
        return f"{self.service} for {self.patient} at {self.appointment_date:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self):
        return self.appointment_date + timedelta(minutes=self.duration_minutes)


class AppointmentSlot(ObjectIdModel):
    """One grid unit (appointments.availability.GRID_MINUTES) of a provider's time held by an
    appointment. Unique per provider and start: the database, not a check in Python, refuses
    a second booking of overlapping time, on every backend and under concurrency (SPEC §3.4)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="slots")
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "start"], name="one_booking_per_slot"),
        ]

    def __str__(self):
        return f"{self.provider_id} at {self.start:%Y-%m-%d %H:%M}"


class AsapRequest(ObjectIdModel):
    """A patient on the ASAP list (SPEC §10): they would take a freed time of this service, on
    these weekdays (none: any) between these clock times (clinic time; none: any). Joined from
    their visit's page (a freed time then moves that visit earlier), the booking page or by
    staff. One waiting request per patient and service."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="asap_requests")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="asap_requests")
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="asap_requests",
        help_text="The visit to bring forward, when joined from its page.",
    )
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday; empty: any day.")
    earliest = models.TimeField(null=True, blank=True)
    latest = models.TimeField(null=True, blank=True, help_text="The latest start that suits.")
    source = models.CharField(max_length=16, choices=AsapSource.choices)
    status = models.CharField(max_length=16, choices=AsapStatus.choices, default=AsapStatus.WAITING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "ASAP list entry"
        verbose_name_plural = "ASAP list"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "service"],
                condition=models.Q(status="waiting"),
                name="one_waiting_asap_per_service",
            ),
        ]
        indexes = [models.Index(fields=["service", "status"], name="asap_service_idx")]

    def __str__(self):
        return f"{self.patient} for {self.service} ({self.status})"


class FreedTime(ObjectIdModel):
    """A visit's time freed ahead (cancelled or moved away), offered to the ASAP list in
    batches until someone books it or it is too late. One per freed visit."""

    freed_from = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="freed_time"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    is_open = models.BooleanField(default=True)
    batches_sent = models.PositiveSmallIntegerField(default=0)
    next_batch_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["is_open", "next_batch_at"], name="freed_due_idx")]

    def __str__(self):
        return f"{self.service} at {self.start:%Y-%m-%d %H:%M}"


class SlotOffer(ObjectIdModel):
    """A freed time offered to one patient on the ASAP list, and what came of it."""

    freed = models.ForeignKey(FreedTime, on_delete=models.CASCADE, related_name="offers")
    request = models.ForeignKey(AsapRequest, on_delete=models.CASCADE, related_name="offers")
    batch = models.PositiveSmallIntegerField()
    outcome = models.CharField(
        max_length=16, choices=OfferOutcome.choices, default=OfferOutcome.OFFERED
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offered_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["offered_at"]
        constraints = [
            models.UniqueConstraint(fields=["freed", "request"], name="one_offer_per_request"),
        ]

    def __str__(self):
        return f"{self.freed} offered to {self.request.patient} ({self.outcome})"


class CalendarFeed(ObjectIdModel):
    """A private iCalendar URL for the team's calendar app (SPEC §11): one provider's visits,
    or the whole clinic's when `provider` is empty. The URL carries a signed id; revoking the
    feed ends it. Events say the service and the patient's first name only, unless
    `patient_details` is on."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    patient_details = models.BooleanField(
        default=False, help_text="Full name and phone in the events, not only the first name."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Calendar feed of {self.provider or 'the whole clinic'}"


class ClinicClosure(ObjectIdModel):
    """A day the clinic is closed for everyone (a holiday, a staff day): nothing is offered or
    booked on it, by the booking page or by staff. A closure of several days is a row a day."""

    day = models.DateField(unique=True)
    reason = models.CharField(max_length=120, help_text="Shown to staff, e.g. Christmas Day.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["day"]

    def __str__(self):
        return f"Closed {self.day:%Y-%m-%d}: {self.reason}"
