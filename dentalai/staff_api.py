"""Staff auth endpoints: log in for a token, and who the token belongs to."""

from django.http import HttpRequest
from ninja import Router
from ninja.errors import Throttled

from dentalai.auth import JWTAuth, staff_login
from dentalai.schemas import ErrorOut, LoginIn, TokenOut, UserOut, ValidationErrorOut
from dentalai.throttles import THROTTLED, login_succeeded, login_try

router = Router(tags=["Staff auth"])

EXAMPLE_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."  # noqa: S105 (truncated, for the docs)
UNAUTHENTICATED = "A valid, unexpired bearer token is required."


def json_examples(**examples: dict) -> dict:
    """An operation's `content`, with named examples, for `openapi_extra`."""
    return {"application/json": {"examples": {n: {"value": v} for n, v in examples.items()}}}


@router.post(
    "/auth/login",
    response={
        200: TokenOut,
        400: ErrorOut,
        401: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
    },
    summary="Log in for an API token",
    description=(
        "Checks a staff member's email (any case) and password and returns a short-lived JWT "
        "(15 minutes by default) to send as `Authorization: Bearer <token>` on `/admin/*` and "
        "`/users/me`. Unknown email, wrong password and deactivated account all get the same "
        "401. Attempts are limited per client address (`LOGIN_RATE_PER_IP`, default 20 per 15 "
        "minutes); failures per email from one address (`LOGIN_RATE_PER_EMAIL`, default 5 per "
        "15 minutes) and per email from addresses that have never logged in to it "
        "(`LOGIN_RATE_PER_ACCOUNT`, default 10 per 15 minutes): a staff member's usual address "
        "is never locked out by failures elsewhere. Over a limit, 429 with `Retry-After` in "
        "seconds, and no password is checked. A body that is not JSON is a 400."
    ),
    openapi_extra={
        "requestBody": {
            "content": json_examples(
                staff={"email": "sarah.chen@dentalclinic.com", "password": "a_strong_password"}
            )
        },
        "responses": {
            200: {
                "content": json_examples(
                    token={"access_token": EXAMPLE_TOKEN, "token_type": "bearer"}
                )
            },
            401: {"content": json_examples(refused={"detail": "Incorrect email or password."})},
            429: {"content": json_examples(throttled={"detail": THROTTLED})},
        },
    },
)
def login(request: HttpRequest, payload: LoginIn):
    attempt = login_try(request, payload.email)
    if attempt.wait is not None:
        raise Throttled(wait=int(attempt.wait))
    token = staff_login(request, email=payload.email, password=payload.password)
    login_succeeded(attempt)
    return TokenOut(access_token=token)


@router.get(
    "/users/me",
    response={200: UserOut, 401: ErrorOut},
    auth=JWTAuth(),
    summary="The logged-in staff member",
    description=(
        "The profile of the staff member the bearer token belongs to: id, name, email and the "
        "role's label (Office Manager, Front Desk, Dentist, Hygienist or Admin). A missing, "
        "expired or forged token, or one of a deactivated account, is a 401."
    ),
    openapi_extra={
        "responses": {
            200: {
                "content": json_examples(
                    profile={
                        "user_id": "67d400000000000000000001",
                        "name": "Sarah Chen",
                        "email": "sarah.chen@dentalclinic.com",
                        "role": "Office Manager",
                    }
                )
            },
            401: {"content": json_examples(refused={"detail": UNAUTHENTICATED})},
        },
    },
)
def users_me(request: HttpRequest):
    user = request.auth
    return UserOut(
        user_id=str(user.pk), name=user.name, email=user.email, role=user.get_role_display()
    )
