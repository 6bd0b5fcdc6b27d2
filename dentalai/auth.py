"""Staff authentication for /api/v1: short-lived JWTs (PyJWT, HS256)."""

import logging
from datetime import timedelta

import jwt
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from ninja.security import HttpBearer

from dentalai.errors import ApplicationError
from dentalai.models import User
from dentalai.roles import permission_check

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"  # pinned on decode: a token signed otherwise (or "none") is refused
# "pwd" binds a token to the password it was issued under (Django's session auth hash: an
# HMAC of the stored hash), so a password change, or a reset, ends every token issued before it.
REQUIRED_CLAIMS = ["sub", "iat", "exp", "pwd"]
LOGIN_FAILED = "Incorrect email or password."


class InvalidCredentials(ApplicationError):
    status_code = 401


def token_issue(user: User) -> str:
    now = timezone.now()
    claims = {
        "sub": str(user.pk),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.JWT_LIFETIME_MINUTES)).timestamp()),
        "pwd": user.get_session_auth_hash(),
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def token_user(token: str) -> User | None:
    """The active user a valid, unexpired token names, issued under their current password;
    None for anything else."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError:
        return None
    user = User.objects.filter(pk=str(claims["sub"]), is_active=True).first()
    if user is None or not constant_time_compare(str(claims["pwd"]), user.get_session_auth_hash()):
        return None
    return user


def staff_login(request: HttpRequest, *, email: str, password: str) -> str:
    """A token for the right email + password; the same error for every kind of failure
    (unknown email, wrong password, deactivated account) so none can be told apart."""
    user = authenticate(request, email=email, password=password)
    if user is None:
        logger.info("staff API login refused")
        raise InvalidCredentials(LOGIN_FAILED)
    update_last_login(None, user)
    logger.info("staff API login: user %s", user.pk)
    return token_issue(user)


class JWTAuth(HttpBearer):
    """`Authorization: Bearer <token>` from `POST /auth/login`."""

    openapi_bearerFormat = "JWT"
    openapi_description = (
        "A token from `POST /auth/login`, sent as `Authorization: Bearer <token>`. It expires "
        "after JWT_LIFETIME_MINUTES (15 by default), and at once when the account is "
        "deactivated or its password changes; log in again for a new one."
    )

    def __call__(self, request: HttpRequest) -> User | None:
        # Ninja's own parsing logs the whole header on a scheme mismatch in DEBUG, credentials
        # of another scheme included; this refuses the same headers without logging them.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def __init__(self, permission: str = ""):
        super().__init__()
        # What the operation needs, as Django's "app_label.codename" (dentalai.roles): "" for
        # any signed-in staff member.
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_user(token)
        if user is None:
            return None
        request.user = user
        if self.permission:
            permission_check(user, self.permission)
        return user
