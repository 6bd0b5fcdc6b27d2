"""The one NinjaAPI of /api/v1: mounts each app's routers and maps every error once, so that
every 4xx has the same shape: {"detail": "..."} (plus "errors" on 422)."""

from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, json_script
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger

from dentalai.errors import ApplicationError
from messaging.api import GMAIL_PUSH_OPENAPI, GMAIL_PUSH_PATH

# Swagger UI as django-ninja ships it, served by the API itself: the docs page needs no CDN
# (ninja's default page loads Swagger UI from one unless "ninja" is an installed app).
DOCS_ASSETS = Path(ninja.__file__).parent / "static" / "ninja"
DOCS_ASSET_NAMES = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"}
)
DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" href="{icon}" type="image/png">
</head>
<body>
{settings}
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


class OfflineSwagger(Swagger):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        def asset(name: str) -> str:
            return reverse(f"{api.urls_namespace}:docs-asset", kwargs={"name": name})

        swagger_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        page = format_html(
            DOCS_PAGE,
            title=api.title,
            css=asset("swagger-ui.css"),
            icon=asset("favicon.png"),
            settings=json_script(swagger_settings, "swagger-settings"),
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("swagger-ui-init.js"),
        )
        return HttpResponse(page)


class DentalAPI(NinjaAPI):
    """The API, whose OpenAPI document also describes the operations served by plain Django
    views under /api/v1 (the Gmail push, for speed)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["paths"][reverse(f"{self.urls_namespace}:api-root") + GMAIL_PUSH_PATH] = (
            GMAIL_PUSH_OPENAPI
        )
        return schema


api = DentalAPI(
    title="Dental AI API",
    version="1.0.0",
    urls_namespace="api",
    description=(
        "Patient engagement for dental clinics. Public endpoints serve the booking site; "
        "`/admin/*` endpoints need `Authorization: Bearer <token>` from `POST /auth/login` "
        "(tokens last 15 minutes by default). Every error has the shape "
        '`{"detail": "…"}`; 422 adds `errors`, one per invalid field. IDs are opaque strings.'
    ),
    # validatorUrl: Swagger UI would otherwise send the schema to validator.swagger.io.
    docs=OfflineSwagger(settings={"validatorUrl": None}),
)


@api.get("/docs/assets/{name}", include_in_schema=False, url_name="docs-asset")
def docs_asset(request: HttpRequest, name: str) -> HttpResponse:
    if name not in DOCS_ASSET_NAMES:
        raise Http404("Not found.")
    response = FileResponse((DOCS_ASSETS / name).open("rb"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


api.add_router("/", "dentalai.staff_api.router")
api.add_router("/", "appointments.api.public_router")
api.add_router("/admin", "appointments.api.admin_router")
api.add_router("/admin", "campaigns.api.router")
api.add_router("/admin", "messaging.staff_api.router")
api.add_router("/webhooks", "messaging.api.router")


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
