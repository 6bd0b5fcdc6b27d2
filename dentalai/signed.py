"""Signed ids for links that work without a login — a booking link, an unsubscribe link, a
visit's self-service link: Django's `signing` (HMAC with SECRET_KEY, a salt per kind of link,
a timestamp unless the link never expires) over one record's id, so no patient data travels
in a link and none needs a table."""

import datetime as dt

from django.core import signing


class SignedIdError(Exception):
    """A token that is damaged, forged, not of this kind (another salt) or too old."""

    def __init__(self, *, expired: bool):
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def signed_id(value: str, *, salt: str, field: str) -> str:
    return signing.dumps({field: str(value)}, salt=salt, compress=True)


def lasting_signed_id(value: str, *, salt: str, field: str) -> str:
    """A token that never expires (a calendar feed's address: the record it names is revoked
    instead) and so carries no timestamp: the same id gives the same token, whenever made."""
    return signing.Signer(salt=salt).sign_object({field: str(value)}, compress=True)


def signed_id_read(token: str, *, salt: str, field: str, max_age: dt.timedelta | None) -> str:
    """The id a token carries; SignedIdError when it cannot be trusted. `max_age` None: the
    token does not expire (a record the id names can still be revoked), whether lasting or
    timestamped (as such addresses were first made)."""
    # A timestamped token is "data:time:signature", a lasting one "data:signature"; both are
    # signed with the same key, so the shape says which to read it as.
    lasting = max_age is None and token.count(":") == 1
    try:
        if lasting:
            data = signing.Signer(salt=salt).unsign_object(token)
        else:
            data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise SignedIdError(expired=True) from exc
    except (signing.BadSignature, ValueError) as exc:  # ValueError: a token of the other shape
        raise SignedIdError(expired=False) from exc
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise SignedIdError(expired=False)
    return value
