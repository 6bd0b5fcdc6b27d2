"""Request and response shapes of the availability, booking and appointment endpoints, with the
seed's examples."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, field_validator, model_validator

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment
from dentalai.choices import Channel
from dentalai.schemas import Day, Moment, Text
from patients.contact import email_input, phone_input

Name = Annotated[Text, StringConstraints(min_length=1, max_length=200)]
Id = Annotated[Text, StringConstraints(min_length=1, max_length=64)]
ServiceName = Annotated[Text, StringConstraints(min_length=1, max_length=120)]


EXAMPLE_ID = "68f100000000000000000001"


class _Contact(Schema):
    """Contact details as a form sends them: email checked and lower-cased, phone in E.164."""

    email: Annotated[Text, StringConstraints(max_length=254)] | None = None
    phone: Annotated[Text, StringConstraints(max_length=40)] | None = None

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        return email_input(value)

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        return phone_input(value)


class _NamesService(Schema):
    service_id: Id | None = Field(None, description="The service's slug, e.g. teeth_whitening.")
    service_name: ServiceName | None = Field(None, description="Or its name, e.g. Teeth Whitening.")

    @model_validator(mode="after")
    def _service_named(self):
        if not self.service_id and not self.service_name:
            raise ValueError("Name the service: service_id or service_name.")
        return self


# --- Availability -----------------------------------------------------------------------------


class AvailabilityIn(Schema):
    month: int = Field(..., ge=1, le=12, examples=[8])
    year: int = Field(..., ge=2000, le=2100, examples=[2025])
    service_id: Id = Field(..., examples=["teeth_whitening"])


AVAILABILITY_EXAMPLE = {"2025-08-20": ["09:00", "10:00", "14:00"], "2025-08-21": ["09:00", "11:00"]}


# --- Public booking ---------------------------------------------------------------------------


class BookingIn(_Contact, _NamesService):
    name: Name
    appointment_date: Moment = Field(
        ..., description="The start, ISO 8601 with Z or an offset; one of the offered times."
    )
    token: Annotated[Text, StringConstraints(max_length=1000)] | None = Field(
        None, description="The `t` parameter of the campaign's signed booking link."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Maria Garcia",
                    "email": "maria.garcia@email.com",
                    "phone": "+12125550123",
                    "appointment_date": "2025-08-20T14:00:00Z",
                    "service_name": "Teeth Whitening",
                }
            ]
        }
    }

    @model_validator(mode="after")
    def _someone(self) -> "BookingIn":
        if not self.token and not self.email and not self.phone:
            raise ValueError("An email address or a phone number is required.")
        return self


class BookingOut(Schema):
    message: str
    appointment_id: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"message": "Appointment booked successfully.", "appointment_id": EXAMPLE_ID}
            ]
        }
    }


# --- Staff: appointments ------------------------------------------------------------------


class AppointmentListIn(Schema):
    start_date: Day | None = Field(
        None, description="First clinic-local day, included.", examples=["2025-08-01"]
    )
    end_date: Day | None = Field(
        None, description="Last clinic-local day, included.", examples=["2025-08-31"]
    )
    provider_id: Id | None = None
    status: AppointmentStatus | None = None
    format: Literal["json", "csv"] = Field(
        "json", description="csv: the appointments as a CSV file (as `Accept: text/csv`)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> "AppointmentListIn":
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date.")
        return self


class AppointmentIn(_Contact, _NamesService):
    appointment_date: Moment = Field(
        ..., description="The start, ISO 8601 with Z or an offset, on a quarter hour."
    )
    duration_minutes: int | None = Field(
        None, ge=5, le=480, description="Default: the service's duration."
    )
    name: Name
    preferred_channel: Channel | None = None
    notes: Annotated[Text, StringConstraints(max_length=2000)] = ""
    provider_id: Id | None = Field(None, description="Default: the first free provider.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "appointment_date": "2025-09-05T11:00:00Z",
                    "duration_minutes": 45,
                    "name": "alice",
                    "email": "abc@gmail.com",
                    "preferred_channel": "whatsapp",
                    "service_name": "Annual Cleaning",
                    "notes": "Patient called to schedule.",
                }
            ]
        }
    }

    @model_validator(mode="after")
    def _reachable(self) -> "AppointmentIn":
        if not self.email and not self.phone:
            raise ValueError("An email address or a phone number is required.")
        return self


class AppointmentCompleteIn(Schema):
    next_follow_up_date: Day | None = Field(
        None, description="When the patient is due back: a recall campaign starts that day."
    )

    model_config = {"json_schema_extra": {"examples": [{"next_follow_up_date": "2026-02-20"}]}}


class AppointmentOut(Schema):
    appointment_id: str = Field(..., validation_alias="pk")
    patient_id: str
    patient_name: str = Field(..., validation_alias="patient.name")
    appointment_date: dt.datetime = Field(..., description="The start, in UTC.")
    duration_minutes: int
    service_id: str = Field(..., validation_alias="service.slug")
    service_name: str = Field(..., validation_alias="service.name")
    provider_id: str | None
    provider_name: str | None
    status: AppointmentStatus
    campaign_id: str | None
    created_from: CreatedFrom
    notes: str
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancelled_by: str = Field(..., description="patient, agent or staff; empty unless cancelled.")
    rescheduled_to: str | None = Field(
        ...,
        validation_alias="rescheduled_to_id",
        description="On a visit that was moved (status cancelled): the visit that replaced it.",
    )
    created_at: dt.datetime

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "appointment_id": EXAMPLE_ID,
                    "patient_id": "68f100000000000000000002",
                    "patient_name": "Maria Garcia",
                    "appointment_date": "2025-08-20T14:00:00Z",
                    "duration_minutes": 60,
                    "service_id": "annual_cleaning",
                    "service_name": "Annual Cleaning",
                    "provider_id": "68f100000000000000000003",
                    "provider_name": "Dr Dana Park",
                    "status": "booked",
                    "campaign_id": "68f100000000000000000004",
                    "created_from": "AI_AGENT_FORM",
                    "notes": "",
                    "confirmed_at": None,
                    "cancelled_at": None,
                    "cancelled_by": "",
                    "rescheduled_to": None,
                    "created_at": "2025-08-12T16:41:07.201Z",
                }
            ]
        }
    }

    @staticmethod
    def resolve_appointment_date(appointment: Appointment) -> dt.datetime:
        return appointment.appointment_date.astimezone(dt.UTC)

    @staticmethod
    def resolve_created_at(appointment: Appointment) -> dt.datetime:
        return appointment.created_at.astimezone(dt.UTC)

    @staticmethod
    def resolve_confirmed_at(appointment: Appointment) -> dt.datetime | None:
        return _utc(appointment.confirmed_at)

    @staticmethod
    def resolve_cancelled_at(appointment: Appointment) -> dt.datetime | None:
        return _utc(appointment.cancelled_at)

    @staticmethod
    def resolve_provider_name(appointment: Appointment) -> str | None:
        return appointment.provider.name if appointment.provider_id else None


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(dt.UTC) if moment else None


class AppointmentListOut(Schema):
    appointments: list[AppointmentOut]
