"""Authenticating and reading Gmail's push notifications (Google Cloud Pub/Sub push).

A push is authentic when it carries either
- an OIDC token (`Authorization: Bearer …`) signed by Google for the configured audience
  (PUBSUB_AUDIENCE) and the push subscription's service account (PUBSUB_SERVICE_ACCOUNT_EMAIL,
  with email_verified), checked by google-auth's `verify_oauth2_token`; or
- the secret `?token=` of the push endpoint URL, equal to PUBSUB_VERIFICATION_TOKEN (compared
  in constant time).
Google's signing certificates are fetched through google-auth's own transport and kept for
as long as Google's Cache-Control allows, so a push costs no outbound request in the common
case.
"""

import base64
import binascii
import hmac
import json
import logging
import re
import threading
import time
from dataclasses import dataclass

import google.auth.exceptions
import google.auth.transport
import google.auth.transport.requests
import requests
from google.oauth2 import id_token

from messaging.conf import messaging_settings, pubsub_verification_token

logger = logging.getLogger(__name__)

CERTS_TTL_DEFAULT = 3600
CERTS_TTL_MAX = 6 * 3600
# The session Google's certificates are fetched with (a transport adapter can be mounted on it).
CERTS_SESSION = requests.Session()


class CachedCertsRequest(google.auth.transport.Request):
    """google-auth's requests transport, with successful GETs (the certificate documents)
    cached for their Cache-Control max-age."""

    def __init__(self, inner: google.auth.transport.Request):
        self.inner = inner
        self._cache: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        if method != "GET":
            return self.inner(url, method=method, body=body, headers=headers, timeout=timeout)
        with self._lock:
            cached = self._cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        response = self.inner(url, method="GET", headers=headers, timeout=timeout or 10)
        if response.status == 200:
            with self._lock:
                self._cache[url] = (time.monotonic() + _max_age(response.headers), response)
        return response

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _max_age(headers) -> int:
    match = re.search(r"max-age=(\d+)", str(headers.get("cache-control", "")))
    return min(int(match[1]), CERTS_TTL_MAX) if match else CERTS_TTL_DEFAULT


CERTS_REQUEST = CachedCertsRequest(google.auth.transport.requests.Request(session=CERTS_SESSION))


def oidc_claims_verify(token: str, *, request: google.auth.transport.Request | None = None) -> bool:
    """Is this a Google-signed OIDC token for our audience and push service account?"""
    conf = messaging_settings()
    if not conf.pubsub_audience or not conf.pubsub_service_account_email:
        logger.warning("push with an OIDC token, but PUBSUB_AUDIENCE/…_EMAIL are not set")
        return False
    try:
        claims = id_token.verify_oauth2_token(
            token, request or CERTS_REQUEST, audience=conf.pubsub_audience
        )
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
        logger.info("push token refused: %s", type(exc).__name__)
        return False
    return (
        claims.get("email_verified") is True
        and str(claims.get("email", "")).lower() == conf.pubsub_service_account_email
    )


def push_authenticated(
    *, authorization: str, url_token: str, request: google.auth.transport.Request | None = None
) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return oidc_claims_verify(token.strip(), request=request)
    expected = pubsub_verification_token()
    if expected and url_token:
        return hmac.compare_digest(url_token.encode(), expected.encode())
    return False


@dataclass(frozen=True)
class PushEnvelope:
    message_id: str
    email_address: str
    history_id: str
    payload: dict  # the push body as received


class MalformedPush(ValueError):
    pass


def push_envelope_parse(body: bytes) -> PushEnvelope:
    """The Pub/Sub push body: {"message": {"data": base64 JSON {"emailAddress", "historyId"},
    "messageId": …}, "subscription": …}. MalformedPush says what is wrong."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPush("The body is not JSON.") from exc
    message = payload.get("message") if isinstance(payload, dict) else None
    if not isinstance(message, dict):
        raise MalformedPush("The body has no Pub/Sub message.")
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 200:
        raise MalformedPush("The Pub/Sub message has no messageId.")
    data = message.get("data")
    if not isinstance(data, str):
        raise MalformedPush("The Pub/Sub message has no data.")
    try:
        notice = json.loads(base64.b64decode(data + "=" * (-len(data) % 4), validate=True))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise MalformedPush("The Pub/Sub data is not base64-encoded JSON.") from exc
    if not isinstance(notice, dict):
        raise MalformedPush("The Pub/Sub data is not a Gmail notification.")
    address, history_id = notice.get("emailAddress"), notice.get("historyId")
    if not isinstance(address, str) or not address:
        raise MalformedPush("The Gmail notification has no emailAddress.")
    if not re.fullmatch(r"\d{1,20}", str(history_id)):
        raise MalformedPush("The Gmail notification has no valid historyId.")
    return PushEnvelope(
        message_id=message_id,
        email_address=address,
        history_id=str(history_id),
        payload=payload,
    )
