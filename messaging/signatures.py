"""The webhook signature, one scheme both ways: `X-Signature-256: sha256=<hex HMAC-SHA256 of
the raw body>`, keyed with a shared secret — checked on the generic incoming webhook, written
on every outgoing one (messaging.outgoing)."""

import hashlib
import hmac

HEADER = "X-Signature-256"


def signature(body: bytes, secret: str) -> str:
    """The header's value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    scheme, _, received = (header or "").strip().partition("=")
    if not secret or scheme.lower() != "sha256" or not received:
        return False
    expected = signature(body, secret).removeprefix("sha256=")
    return hmac.compare_digest(expected, received.strip().lower())
