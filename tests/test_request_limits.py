"""What a request may not do (SPEC §9.1): carry a body over the limit (413), find the API
answering anything but JSON (404, 405, 413, 500 under DEBUG=false), or hang on a database that
does not answer (a 503 within a couple of seconds; /healthz says so)."""

import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.http import HttpResponseServerError
from django.test import RequestFactory

from dentalai.middleware import RequestLimitsMiddleware

BIG = b"x" * (3 * 1024 * 1024)


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/login",
        "/api/v1/webhooks/twilio",
        "/api/v1/webhooks/incoming-message",
        "/api/v1/webhooks/gmail?token=x",
    ],
)
def test_an_oversize_body_on_the_api_or_a_webhook_is_a_413_in_the_json_shape(client, path):
    response = client.post(path, BIG, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request is too large: at most {settings.REQUEST_BODY_MAX_BYTES} bytes."
    }


@pytest.mark.django_db
def test_an_oversize_form_on_a_page_is_a_plain_413(client):
    response = client.post("/login/", BIG, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_a_body_within_the_limit_is_read_as_before(client):
    response = client.post(
        "/api/v1/auth/login",
        {"email": "a@b.c", "password": "x" * 1000},
        content_type="application/json",
    )

    assert response.status_code == 401


@pytest.mark.django_db
def test_the_api_answers_an_unknown_path_and_a_wrong_method_in_json(client):
    missing = client.get("/api/v1/no-such-thing")
    wrong = client.delete("/api/v1/auth/login")

    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "This method is not allowed here."}
    assert wrong["Allow"] == "POST"


def test_a_server_error_on_the_api_is_json_unless_debug_shows_the_traceback(settings):
    request = RequestFactory().get("/api/v1/admin/campaigns")
    middleware = RequestLimitsMiddleware(lambda request: HttpResponseServerError("<h1>500</h1>"))

    response = middleware(request)
    settings.DEBUG = True
    debugging = middleware(request)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert b"went wrong on our side" in response.content
    assert debugging.content == b"<h1>500</h1>"


# --- A database that does not answer -----------------------------------------------------------

# Run in a child process: settings (the database) are read once, at start-up.
PROBE = """
import time, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
for path in ("/healthz", "/api/v1/availability?service_id=cleaning&year=2026&month=12", "/book/"):
    started = time.monotonic()
    response = client.get(path)
    print(path, response.status_code, response["Content-Type"].split(";")[0],
          round(time.monotonic() - started, 1), flush=True)
"""


def silent_database() -> tuple[socket.socket, int]:
    """A TCP server that accepts connections and never says a word (a hung database host)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


def test_a_database_that_does_not_answer_is_a_503_within_seconds():
    server, port = silent_database()
    try:
        started = time.monotonic()
        probe = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "dentalai.settings",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/dentalai",
                "DEBUG": "false",
                "SECURE_SSL_REDIRECT": "false",
                "ALLOWED_HOSTS": "testserver",
                "SITE_URL": "https://clinic.example.com",
                "SECRET_KEY": "request-limits-test-secret-key-long-enough-0123456789abcdef",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.close()
    assert probe.returncode == 0, probe.stderr[-2000:]
    answers = [line.split() for line in probe.stdout.splitlines()]
    assert [(path, status, kind) for path, status, kind, _ in answers] == [
        ("/healthz", "503", "application/json"),
        ("/api/v1/availability?service_id=cleaning&year=2026&month=12", "503", "application/json"),
        ("/book/", "503", "text/plain"),
    ]
    assert all(float(seconds) < 5 for *_, seconds in answers), answers
    assert time.monotonic() - started < 60
