"""The one NinjaAPI of /api/v1: mounts each app's routers and maps every error once, so that
every 4xx has the same shape: {"detail": "..."} (plus "errors" on 422)."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from dentalai.errors import ApplicationError

api = NinjaAPI(
    title="Dental AI API",
    version="1.0.0",
    urls_namespace="api",
    description=(
        "Patient engagement for dental clinics. Public endpoints serve the booking site; "
        "`/admin/*` endpoints need `Authorization: Bearer <token>` from `POST /auth/login` "
        "(tokens last 15 minutes by default). Every error has the shape "
        '`{"detail": "…"}`; 422 adds `errors`, one per invalid field. IDs are opaque strings.'
    ),
)

api.add_router("/", "dentalai.staff_api.router")
api.add_router("/", "appointments.api.public_router")
api.add_router("/admin", "appointments.api.admin_router")
api.add_router("/admin", "campaigns.api.router")


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"loc": list(error.get("loc", [])), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors
    ]
    return api.create_response(
        request, {"detail": "Some fields are missing or invalid.", "errors": errors}, status=422
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "A valid, unexpired bearer token is required."}, status=401
    )


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Too many attempts. Please wait a moment and try again."}, status=429
    )
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response
