"""Requests refused at the door: control characters in the URL, or in a form a page posts
(dentalai.untrusted). JSON bodies are the API schemas' to judge (the `Text` type), and the
webhooks' payloads are cleaned, not refused, where they are stored."""

from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from dentalai.untrusted import REFUSED, has_control

API_PREFIX = "/api/"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._refused(request):
            if request.path.startswith(API_PREFIX):
                return JsonResponse({"detail": REFUSED}, status=400)
            return HttpResponseBadRequest(REFUSED, content_type="text/plain; charset=utf-8")
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
