"""Signed ids for links that work without a login — a booking link, an unsubscribe link, a
visit's self-service link: Django's `signing` (HMAC with SECRET_KEY, a salt per kind of link,
a timestamp) over one record's id, so no patient data travels in a link and none needs a table."""

import datetime as dt

from django.core import signing


class SignedIdError(Exception):
    """A token that is damaged, forged, not of this kind (another salt) or too old."""

    def __init__(self, *, expired: bool):
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def signed_id(value: str, *, salt: str, field: str) -> str:
    return signing.dumps({field: str(value)}, salt=salt, compress=True)


def signed_id_read(token: str, *, salt: str, field: str, max_age: dt.timedelta | None) -> str:
    """The id a token carries; SignedIdError when it cannot be trusted. `max_age` None: the
    token does not expire (a record the id names can still be revoked)."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise SignedIdError(expired=True) from exc
    except signing.BadSignature as exc:
        raise SignedIdError(expired=False) from exc
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise SignedIdError(expired=False)
    return value
