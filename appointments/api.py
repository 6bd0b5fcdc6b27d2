"""Availability and booking (public), and the staff's appointment endpoints (/admin, bearer
token). Thin: each endpoint validates its input with a schema and calls one service."""

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import Throttled

from appointments import services
from appointments.availability import month_availability
from appointments.booking_links import LINK_EXPIRED
from appointments.exports import APPOINTMENT_COLUMNS
from appointments.schemas import (
    AVAILABILITY_EXAMPLE,
    EXAMPLE_ID,
    AppointmentCompleteIn,
    AppointmentIn,
    AppointmentListIn,
    AppointmentListOut,
    AppointmentOut,
    AvailabilityIn,
    BookingIn,
    BookingOut,
)
from dentalai.auth import JWTAuth
from dentalai.exports import csv_response, wants_csv
from dentalai.schemas import ErrorOut, ValidationErrorOut
from dentalai.throttles import THROTTLED, booking_try

public_router = Router(tags=["Booking"])
admin_router = Router(tags=["Appointments"], auth=JWTAuth())

UNAUTHENTICATED = "A valid, unexpired bearer token is required."


def examples(**named: object) -> dict:
    """An OpenAPI `content` with named JSON examples, for `openapi_extra`."""
    return {"application/json": {"examples": {n: {"value": v} for n, v in named.items()}}}


def error(detail: str) -> dict:
    return {"content": examples(error={"detail": detail})}


ADMIN_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
ADMIN_401 = {401: error(UNAUTHENTICATED)}


# --- Public -----------------------------------------------------------------------------------


@public_router.get(
    "/availability",
    response={200: dict[str, list[str]], 404: ErrorOut, 422: ValidationErrorOut},
    summary="Free appointment times of a month",
    description=(
        "The start times, in the clinic's time zone (`CLINIC_TIME_ZONE`), at which the service "
        'can be booked in that month, by day: `{"YYYY-MM-DD": ["HH:MM", …]}`, days and times '
        "in order, days without a free time left out.\n\n"
        "A time is listed when at least one active provider of the service is free for the "
        "service's whole duration from then: inside the provider's weekly working hours (clinic "
        "local time, so 09:00 stays 09:00 across daylight-saving changes), outside their time "
        "off and outside every appointment that is not cancelled. Times are every "
        "`BOOKING_SLOT_STEP_MINUTES` (default 30) from the start of a working block, and no "
        "sooner than `BOOKING_MIN_LEAD_MINUTES` (default 120) from now. In the hour repeated "
        "when clocks go back, only the first occurrence of a time is listed.\n\n"
        "`POST /appointments/book` accepts exactly these times. A month outside 1 to 12 or a year "
        "outside 2000 to 2100 is a 422; an unknown `service_id` (the service's slug) is a 404."
    ),
    openapi_extra={
        "responses": {
            200: {"content": examples(month=AVAILABILITY_EXAMPLE)},
            404: error(services.SERVICE_NOT_FOUND),
        }
    },
)
def availability(request: HttpRequest, query: Query[AvailabilityIn]):
    service = services.service_resolve(service_id=query.service_id)
    return month_availability(service, year=query.year, month=query.month)


@public_router.post(
    "/appointments/book",
    response={
        200: BookingOut,
        201: BookingOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
    },
    summary="Book an appointment from the booking page",
    description=(
        "The booking page's submission (the final step of a recovery or recall).\n\n"
        "- **Who**: with `token` (the `t` of the campaign's signed booking link, valid "
        "`BOOKING_LINK_MAX_AGE_DAYS`, default 30), the patient of that exact campaign; "
        "otherwise the patient whose email **or** phone matches — 404 when none (this form is "
        "for patients the clinic is in touch with), unless `BOOKING_NEW_PATIENTS=all`: then a "
        "new patient (`name` and the contact given) is created with the visit. An expired or "
        "altered token is a 400.\n"
        "- **When**: `appointment_date` (ISO 8601, `Z` or an offset) must be one of the times "
        "`GET /availability` lists for the service (`service_id`, its slug, or `service_name`); "
        "otherwise 409. The provider is one of those free then. The database holds each "
        "provider's time once: of concurrent requests for the same time, one wins, the others "
        "get 409. A taken or unlisted time is a 409 before the contact is looked at, so the "
        "answer does not tell who is a patient.\n"
        "- **One visit**: a link whose campaign already has an upcoming booked visit is a 409 "
        "naming it (cancelling the visit frees the link); a patient with a booked visit "
        "overlapping the time is a 409.\n"
        "- **Campaign**: the link's campaign, else the patient's most recent RE_ENGAGED (or "
        "other active) campaign, is linked and set to BOOKING_INITIATED with booking status "
        "FORM_SUBMITTED (a closed campaign named by a link keeps its status).\n"
        "- **Retries**: repeating an identical request returns the same appointment with 200 "
        "instead of 201.\n\n"
        "Limited per client address (`BOOKING_RATE_PER_IP`, default 20 an hour): 429 with "
        "`Retry-After`."
    ),
    openapi_extra={
        "responses": {
            201: {
                "content": examples(
                    booked={"message": services.BOOKED, "appointment_id": EXAMPLE_ID}
                )
            },
            400: error(LINK_EXPIRED),
            404: error(services.PATIENT_NOT_FOUND),
            409: error(services.SLOT_TAKEN),
            429: error(THROTTLED),
        }
    },
)
def book(request: HttpRequest, payload: BookingIn):
    if (wait := booking_try(request)) is not None:
        raise Throttled(wait=int(wait))
    service = services.service_resolve(
        service_id=payload.service_id, service_name=payload.service_name
    )
    result = services.appointment_book(
        service=service,
        appointment_date=payload.appointment_date,
        email=payload.email,
        phone=payload.phone,
        token=payload.token,
        name=payload.name,
        new_patients=settings.BOOKING_NEW_PATIENTS == "all",
    )
    body = BookingOut(message=services.BOOKED, appointment_id=result.appointment.pk)
    return Status(201 if result.created else 200, body)


# --- Staff ------------------------------------------------------------------------------------


@admin_router.get(
    "/appointments",
    auth=JWTAuth("appointments.view_appointment"),
    response={200: AppointmentListOut, **ADMIN_ERRORS},
    summary="Appointments of a date range",
    description=(
        "Appointments starting on the clinic-local days `start_date` to `end_date` (both "
        "included; either may be left out for an open range), optionally of one provider and "
        "one status (`booked`, `confirmed`, `completed`, `cancelled`, `no_show`), in start "
        "order. `appointment_date` is in UTC. `end_date` before `start_date` is a 422.\n\n"
        "With `format=csv` or `Accept: text/csv`: the same appointments as a CSV file (times in "
        "clinic time; see CSV in the API guide)."
    ),
    openapi_extra={"responses": ADMIN_401},
)
def appointment_list(request: HttpRequest, query: Query[AppointmentListIn]):
    appointments = services.appointment_list(
        start_date=query.start_date,
        end_date=query.end_date,
        provider_id=query.provider_id,
        status=query.status,
    )
    if wants_csv(request, query.format):
        visits = appointments.iterator(chunk_size=1000)
        return csv_response("appointments.csv", APPOINTMENT_COLUMNS, visits)
    return {"appointments": list(appointments)}


@admin_router.post(
    "/appointments",
    auth=JWTAuth("appointments.add_appointment"),
    response={201: AppointmentOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ADMIN_ERRORS},
    summary="Book an appointment for a patient (staff)",
    description=(
        "For a patient who called or came in: `created_from` is MANUAL_ADMIN.\n\n"
        "- The patient with this email or phone is used as on file; when there is none, a new "
        "one is created as an EXISTING patient (they called to book; they are not a lead to "
        "recover), with `preferred_channel` as their channel.\n"
        "- Any start on a quarter hour that has not passed (no lead time, no booking-page "
        "step; otherwise 400) at which the provider — `provider_id`, or else the first free "
        "provider of the service — is free for the whole `duration_minutes` (default: the "
        "service's) inside working hours; otherwise 409. A provider who does not offer the "
        "service is a 400, an unknown one a 404, an unknown service a 404.\n"
        "- The patient's active campaign is linked and set to BOOKING_INITIATED when the status "
        "machine allows.\n\n"
        "Returns the appointment (201)."
    ),
    openapi_extra={"responses": {**ADMIN_401, 409: error(services.NO_PROVIDER_FREE)}},
)
def appointment_create(request: HttpRequest, payload: AppointmentIn):
    service = services.service_resolve(
        service_id=payload.service_id, service_name=payload.service_name
    )
    appointment = services.appointment_create_manual(
        actor=request.user,
        service=service,
        appointment_date=payload.appointment_date,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        preferred_channel=payload.preferred_channel,
        duration_minutes=payload.duration_minutes,
        notes=payload.notes,
        provider_id=payload.provider_id,
    )
    return Status(201, appointment)


NOT_FOUND_ERROR = error(services.APPOINTMENT_NOT_FOUND)


@admin_router.post(
    "/appointments/{appointment_id}/complete",
    auth=JWTAuth("appointments.change_appointment"),
    response={200: AppointmentOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ADMIN_ERRORS},
    summary="Mark an appointment completed (the conversion)",
    description=(
        "The visit took place: a booked or confirmed appointment (or one marked a no-show by "
        "mistake) becomes `completed` (any other status is a 409) and its service joins the "
        "patient's treatment history. Its campaign becomes RECOVERED when the status machine "
        "allows. The patient "
        "becomes an EXISTING patient, and an optional `next_follow_up_date` (not in the past; "
        "otherwise 400) sets when they are due back, which starts a recall campaign that day. "
        "The body may be left out. An unknown id is a 404."
    ),
    openapi_extra={
        "responses": {
            **ADMIN_401,
            404: NOT_FOUND_ERROR,
            409: error("This appointment is cancelled; it cannot be completed."),
        }
    },
)
def appointment_complete(
    request: HttpRequest, appointment_id: str, payload: AppointmentCompleteIn | None = None
):
    return services.appointment_complete(
        actor=request.user,
        appointment_id=appointment_id,
        next_follow_up_date=payload.next_follow_up_date if payload else None,
    )


@admin_router.post(
    "/appointments/{appointment_id}/cancel",
    auth=JWTAuth("appointments.change_appointment"),
    response={200: AppointmentOut, 404: ErrorOut, 409: ErrorOut, **ADMIN_ERRORS},
    summary="Cancel an appointment",
    description=(
        "A booked or confirmed appointment becomes `cancelled` (any other status is a 409), "
        "who cancelled and when are kept on it, and its time is "
        "free again at once. When its campaign was BOOKING_INITIATED on this booking alone, the "
        "campaign goes back to RE_ENGAGED — the conversation goes on — with its booking status "
        "back to FORM_SENT when a booking link was sent (else cleared). An unknown id is a 404."
    ),
    openapi_extra={
        "responses": {
            **ADMIN_401,
            404: NOT_FOUND_ERROR,
            409: error("This appointment is completed; it cannot be cancelled."),
        }
    },
)
def appointment_cancel(request: HttpRequest, appointment_id: str):
    return services.appointment_cancel(actor=request.user, appointment_id=appointment_id)


@admin_router.post(
    "/appointments/{appointment_id}/confirm",
    auth=JWTAuth("appointments.change_appointment"),
    response={200: AppointmentOut, 404: ErrorOut, 409: ErrorOut, **ADMIN_ERRORS},
    summary="Mark an appointment confirmed",
    description=(
        "The patient said they are coming: a booked appointment becomes `confirmed` "
        "(`confirmed_at` is set; confirming a confirmed one changes nothing; any other status "
        "is a 409). An unknown id is a 404."
    ),
    openapi_extra={
        "responses": {
            **ADMIN_401,
            404: NOT_FOUND_ERROR,
            409: error("This appointment is cancelled; it cannot be confirmed."),
        }
    },
)
def appointment_confirm(request: HttpRequest, appointment_id: str):
    return services.appointment_confirm(actor=request.user, appointment_id=appointment_id)


@admin_router.post(
    "/appointments/{appointment_id}/no-show",
    auth=JWTAuth("appointments.change_appointment"),
    response={200: AppointmentOut, 404: ErrorOut, 409: ErrorOut, **ADMIN_ERRORS},
    summary="Mark an appointment a no-show",
    description=(
        "The patient did not come: a booked or confirmed appointment whose start has passed "
        "becomes `no_show` (before its start, or in any other status, a 409). What is left of "
        "its time is free again, and the patient is sent one kind message with a link to book "
        "again. An unknown id is a 404."
    ),
    openapi_extra={
        "responses": {
            **ADMIN_401,
            404: NOT_FOUND_ERROR,
            409: error("This visit has not started yet; it cannot be marked a no-show."),
        }
    },
)
def appointment_no_show(request: HttpRequest, appointment_id: str):
    return services.appointment_no_show(actor=request.user, appointment_id=appointment_id)


@admin_router.delete(
    "/appointments/{appointment_id}",
    auth=JWTAuth("appointments.delete_appointment"),
    response={204: None, 404: ErrorOut, **ADMIN_ERRORS},
    summary="Delete an appointment",
    description=(
        "Removes the appointment, whatever its status, and frees its time. Deleting a booked "
        "appointment affects its campaign as cancelling does. Prefer cancel to keep the record. "
        "An unknown id is a 404."
    ),
    openapi_extra={"responses": {**ADMIN_401, 404: NOT_FOUND_ERROR}},
)
def appointment_delete(request: HttpRequest, appointment_id: str):
    services.appointment_delete(actor=request.user, appointment_id=appointment_id)
    return Status(204, None)
