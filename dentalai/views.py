import sys

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.http import require_GET

from dentalai.middleware import database_unavailable, error_response


@require_GET
def healthz(request):
    """For load balancers and `make run`: the app is up and the database answers (503 when
    it does not, within the connection's timeout)."""
    try:
        connection.ensure_connection()
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an unreachable database is a 503 ("try again shortly"), wherever it was
    found (a middleware's session, not only a view); anything else Django's plain 500 page
    (the API's is made JSON by dentalai.middleware.RequestLimitsMiddleware)."""
    if database_unavailable(sys.exc_info()[1]):
        return error_response(request, 503)
    return defaults.server_error(request)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever a page links (the admin's pages, a PDF viewer).
    The static URL is read per request: the manifest of hashed names exists only once
    collectstatic has run."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
