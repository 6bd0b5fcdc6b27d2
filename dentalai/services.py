"""Staff accounts: the writes (HackSoft style: typed, keyword-only, `<entity>_<action>`)."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from dentalai.audit import audit_record
from dentalai.choices import Role
from dentalai.errors import ApplicationError, Conflict
from dentalai.models import User, UserManager

DUPLICATE_EMAIL = "A staff member with this email already exists."


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            message if field == "__all__" else f"{field}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        )
    return " ".join(error.messages)


def user_create(*, email: str, name: str, role: str, password: str) -> User:
    """Create an active staff account.

    The email is stored lower-case and must not belong to another account in any case
    (Conflict); the role must be a `Role`, and the password must pass Django's password
    validators, settings.AUTH_PASSWORD_VALIDATORS (ApplicationError, saying what is wrong).
    """
    if role not in Role.values:
        raise ApplicationError(f"{role!r} is not a role. Valid roles: {', '.join(Role.values)}.")
    user = User(email=UserManager.normalize_email(email), name=name.strip(), role=role)
    if User.objects.filter(email=user.email).exists():
        raise Conflict(DUPLICATE_EMAIL)
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(_messages(exc)) from exc
    user.set_password(password)
    try:
        user.save(force_insert=True)
    except IntegrityError as exc:
        # Someone took the address between the check above and now.
        raise Conflict(DUPLICATE_EMAIL) from exc
    audit_record(actor=None, action="user_create", target=user, details={"role": role})
    return user
