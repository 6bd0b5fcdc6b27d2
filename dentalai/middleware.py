"""Requests refused at the door, and the shape of every error: control characters in the URL,
or in a form a page posts (dentalai.untrusted; JSON bodies are the API schemas' to judge, the
`Text` type, and the webhooks' payloads are cleaned, not refused, where they are stored); bodies
over the limit; a database that cannot be reached."""

from urllib.parse import unquote

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from dentalai.untrusted import REFUSED, has_control

API_PREFIX = "/api/"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._refused(request):
            return error_response(request, 400, REFUSED)
        return self.get_response(request)

    @staticmethod
    def _refused(request: HttpRequest) -> bool:
        query = unquote(request.META.get("QUERY_STRING", ""), errors="replace")
        if has_control(request.path) or has_control(query):
            return True
        if request.method != "POST" or request.path.startswith(API_PREFIX):
            return False
        if request.content_type not in FORMS:
            return False
        return any(has_control(v) for values in request.POST.lists() for v in values[1])


class RequestLimitsMiddleware:
    """First in the stack, so the Gmail push's shortcut is guarded too. A body over
    REQUEST_BODY_MAX_BYTES (or the path's own, `body_limit`) is a 413 before anything reads
    it; a database that cannot be reached is a 503 (the connection gives up after a couple of
    seconds: dentalai.database); and on the API every error has the JSON shape
    `{"detail": …}` — what Django or the router answer themselves (404, 405, 400) included, and
    a 500 unless DEBUG shows its traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = body_limit(request.path)
        if not length.isdigit():
            response = error_response(request, 400)
        elif int(length) > limit:
            response = error_response(request, 413, ERRORS[413].format(limit=limit))
        else:
            response = self.get_response(request)
        if response.status_code >= 400 and request.path.startswith(API_PREFIX):
            return _as_json(response)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return error_response(request, 503) if database_unavailable(exc) else None


def body_limit(path: str) -> int:
    """The largest body `path` takes: REQUEST_BODY_MAX_BYTES, or more where a file is uploaded."""
    return settings.REQUEST_BODY_MAX_BYTES_BY_PATH.get(path, settings.REQUEST_BODY_MAX_BYTES)


ERRORS = {
    400: "The request could not be read.",
    403: "Not allowed.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request is too large: at most {limit} bytes.",
    500: "Something went wrong on our side. Please try again later.",
    503: "The service is unavailable for a moment. Please try again shortly.",
}


def _detail(status: int, default: str = "") -> str:
    return ERRORS.get(status, default).format(limit=settings.REQUEST_BODY_MAX_BYTES)


def error_response(request: HttpRequest, status: int, detail: str = "") -> HttpResponse:
    """The error in the shape the caller reads: JSON on the API, plain text elsewhere; `detail`
    says why, by default what ERRORS says for the status."""
    detail = detail or _detail(status)
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": detail}, status=status)
    else:
        response = HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    if status == 503:
        response["Retry-After"] = "10"
    return response


def _as_json(response: HttpResponse) -> HttpResponse:
    if response.get("Content-Type", "").startswith("application/json"):
        return response
    if response.status_code == 500 and settings.DEBUG:
        return response  # the developer's traceback page
    detail = _detail(response.status_code, response.reason_phrase)
    shaped = JsonResponse({"detail": detail}, status=response.status_code)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            shaped[header] = response[header]
    return shaped


def database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached or could not serve (not a query it refused)."""
    return isinstance(exc, OperationalError | InterfaceError)
