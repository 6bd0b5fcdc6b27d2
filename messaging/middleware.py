"""The Gmail push, served ahead of the middleware stack.

Pub/Sub's pushes are the one request this app takes under load (SPEC §9: at least 1,000 a
second, side by side with a bare FastAPI endpoint). Their view needs none of the middleware
after this one — no session, user, CSRF token (it is exempt), flash messages, static files or
htmx — yet walking that stack and resolving the URL was a third of each push's cost. So this
middleware, first in MIDDLEWARE, hands a push straight to its view. The view is also in the
URLconf, so without this middleware the endpoint answers the same, only slower.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from messaging.api import gmail_push


class GmailPushShortcutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._path = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._path is None:
            self._path = reverse("webhook_gmail")
        if request.path_info != self._path:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS still applies (CommonMiddleware would check it)
        return gmail_push(request)
