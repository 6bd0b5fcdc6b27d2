"""Fixtures for the messaging tests (imported by tests/test_messaging_*.py): the environment,
django-q2 run inline, a local Twilio-compatible HTTP server for the real twilio SDK, Google's
signing keys for Pub/Sub push tokens, and Gmail API responses for HttpMockSequence."""

import base64
import datetime as dt
import functools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import google.auth.crypt
import google.auth.jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django_q.conf import Conf
from googleapiclient.http import HttpMockSequence

from messaging import pubsub
from messaging.gmail import gmail_service

DATA = Path(__file__).parent / "data" / "messaging"
MAILBOX = "frontdesk@brightsmile.example"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-for-tests"
FROM_NUMBER = "+15005550006"
WHATSAPP_FROM = "whatsapp:+14155238886"
PUSH_TOKEN = "a-long-random-push-secret"
WEBHOOK_SECRET = "generic-webhook-secret"
AUDIENCE = "https://clinic.example.com/api/v1/webhooks/gmail"
PUSH_SERVICE_ACCOUNT = "gmail-push@clinic-project.iam.gserviceaccount.com"
CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"

# Every messaging setting unset (as a fresh clinic has it), then the test clinic's below.
MESSAGING_DEFAULTS = {
    "GMAIL_ADDRESS": "",
    "GMAIL_CREDENTIALS_FILE": "",
    "GMAIL_TOKEN_FILE": "",
    "GMAIL_SERVICE_ACCOUNT_FILE": "",
    "GMAIL_TOPIC": "",
    "GMAIL_RESYNC_MAX": 50,
    "PUBSUB_VERIFICATION_TOKEN": "",
    "PUBSUB_AUDIENCE": "",
    "PUBSUB_SERVICE_ACCOUNT_EMAIL": "",
    "INCOMING_WEBHOOK_SECRET": "",
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "TWILIO_FROM_NUMBER": "",
    "TWILIO_MESSAGING_SERVICE_SID": "",
    "TWILIO_WHATSAPP_FROM": "",
    "TWILIO_WHATSAPP_TEMPLATE_SIDS": {},
    "TWILIO_API_BASE_URL": "",
    "WEBHOOK_PUBLIC_URL": "",
    "SEND_RETRY_MAX": 4,
    "SEND_RETRY_BASE_SECONDS": 60,
    "SEND_TIMEOUT_SECONDS": 15.0,
}


@pytest.fixture(autouse=True)
def messaging_environment(settings, tmp_path):
    """A clinic with every channel configured, whatever the developer's shell says; messages
    go to the outbox unless a test picks a real backend."""
    clinic = {
        "GMAIL_ADDRESS": MAILBOX,
        "GMAIL_TOKEN_FILE": str(tmp_path / "gmail-token.json"),
        "GMAIL_TOPIC": "projects/clinic-project/topics/gmail",
        "PUBSUB_VERIFICATION_TOKEN": PUSH_TOKEN,
        "PUBSUB_AUDIENCE": AUDIENCE,
        "PUBSUB_SERVICE_ACCOUNT_EMAIL": PUSH_SERVICE_ACCOUNT,
        "INCOMING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
    }
    for name, value in {**MESSAGING_DEFAULTS, **clinic}.items():
        setattr(settings, name, value)
    settings.MESSAGING_BACKENDS = {
        "email": "messaging.backends.outbox.OutboxBackend",
        "sms": "messaging.backends.outbox.OutboxBackend",
        "whatsapp": "messaging.backends.outbox.OutboxBackend",
    }


@pytest.fixture(name="q_sync")
def q_sync_fixture(settings, monkeypatch):
    """django-q2 runs each queued task inline (Q_CLUSTER["sync"]). django-q2 reads its
    settings once, at import, so its Conf follows the setting here."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture(name="q_async")
def q_async_fixture(settings, monkeypatch):
    """Tasks are only queued (the ORM broker's table), never run."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    monkeypatch.setattr(Conf, "SYNC", False)


# --- A Twilio-compatible HTTP server for the real SDK ------------------------------------------


@dataclass
class TwilioServer:
    """Answers the Messages API like Twilio: each POST gets the next scripted answer (the last
    one repeats). Every request is kept, decoded."""

    url: str
    answers: list[tuple[int, dict]] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def answer(self, *answers: tuple[int, dict]) -> None:
        self.answers[:] = list(answers)

    @property
    def sent(self) -> list[dict]:
        return self.requests


def twilio_message(sid: str = "SM" + "ab" * 16, status: str = "queued") -> tuple[int, dict]:
    return 201, {"sid": sid, "status": status, "account_sid": ACCOUNT_SID}


def twilio_error(status: int, code: int, message: str) -> tuple[int, dict]:
    return status, {"code": code, "message": message, "more_info": "", "status": status}


@pytest.fixture(name="twilio_server")
def twilio_server_fixture(monkeypatch, settings):
    """A local server the real twilio SDK talks to (TWILIO_API_BASE_URL), and SMS/WhatsApp
    sent through messaging.backends.twilio.TwilioBackend."""
    state = TwilioServer(url="")
    state.answer(twilio_message())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            state.requests.append(
                {
                    "path": self.path,
                    "auth": self.headers.get("Authorization", ""),
                    "form": {k: v[0] for k, v in form.items()},
                }
            )
            status, body = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TWILIO_API_BASE_URL = state.url
    settings.MESSAGING_BACKENDS = {
        **settings.MESSAGING_BACKENDS,
        "sms": "messaging.backends.twilio.TwilioBackend",
        "whatsapp": "messaging.backends.twilio.TwilioBackend",
    }
    yield state
    server.shutdown()
    server.server_close()


# --- Google's signing keys for Pub/Sub OIDC push tokens -------------------------------------------


@dataclass
class GoogleKeys:
    signer: google.auth.crypt.RSASigner
    certs: dict[str, str]
    fetches: list[str] = field(default_factory=list)

    def token(self, **claims) -> str:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": AUDIENCE,
            "azp": "1234567890",
            "sub": "1234567890",
            "email": PUSH_SERVICE_ACCOUNT,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        return google.auth.jwt.encode(self.signer, payload).decode()


def _rsa_key_and_cert() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-google-signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@functools.cache
def signing_material() -> tuple[bytes, str]:
    """One key pair per test run: generating RSA keys is slow."""
    return _rsa_key_and_cert()


class CertsAdapter(requests.adapters.BaseAdapter):
    """A requests transport adapter serving Google's certificate document."""

    def __init__(self, keys: GoogleKeys):
        super().__init__()
        self.keys = keys

    def send(self, request, **kwargs):
        self.keys.fetches.append(request.url)
        response = requests.Response()
        response.status_code = 200 if request.url == CERTS_URL else 404
        response.headers["Content-Type"] = "application/json"
        response.headers["Cache-Control"] = "public, max-age=19800, must-revalidate"
        response._content = json.dumps(self.keys.certs).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


@pytest.fixture(name="google_keys")
def google_keys_fixture():
    """Google's certificate endpoint, served through google-auth's own requests transport (an
    adapter mounted on its session) with a locally generated RSA key."""
    private_pem, cert_pem = signing_material()
    keys = GoogleKeys(
        signer=google.auth.crypt.RSASigner.from_string(private_pem, key_id="test-key-1"),
        certs={"test-key-1": cert_pem},
    )
    pubsub.CERTS_REQUEST.clear()
    pubsub.CERTS_SESSION.mount("https://www.googleapis.com/", CertsAdapter(keys))
    yield keys
    pubsub.CERTS_SESSION.adapters.pop("https://www.googleapis.com/", None)
    pubsub.CERTS_REQUEST.clear()


def push_body(message_id: str = "2070443601311540", history_id: int = 1234567, **extra) -> dict:
    data = {"emailAddress": MAILBOX, "historyId": history_id}
    return {
        "message": {
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "messageId": message_id,
            "message_id": message_id,
            "publishTime": "2025-03-11T14:00:00.000Z",
            **extra,
        },
        "subscription": "projects/clinic-project/subscriptions/gmail-push",
    }


# --- Gmail API responses for HttpMockSequence ---------------------------------------------------


def ok(body: dict) -> tuple[dict, str]:
    return {"status": "200"}, json.dumps(body)


def http_error(status: int, message: str = "error") -> tuple[dict, str]:
    body = {"error": {"code": status, "message": message, "errors": [{"message": message}]}}
    return {"status": str(status)}, json.dumps(body)


def gmail_mock(*responses: tuple[dict, str]) -> tuple[object, HttpMockSequence]:
    """A Gmail API resource built by the product's own `gmail_service`, over a scripted
    transport; the transport keeps every request it was given."""
    http = HttpMockSequence(list(responses))
    return gmail_service(http=http), http


def raw_message(
    gmail_id: str,
    thread_id: str,
    eml: bytes,
    labels: tuple[str, ...] = ("INBOX", "UNREAD"),
) -> tuple[dict, str]:
    return ok(
        {
            "id": gmail_id,
            "threadId": thread_id,
            "labelIds": list(labels),
            "raw": base64.urlsafe_b64encode(eml).decode(),
        }
    )


def eml(name: str) -> bytes:
    return (DATA / f"{name}.eml").read_bytes()


def simple_email(sender: str, text: str, subject: str = "Re: A message") -> bytes:
    return (
        f"From: {sender}\r\nTo: {MAILBOX}\r\nSubject: {subject}\r\n"
        "Message-ID: <simple-1@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
        f"{text}\r\n"
    ).encode()
