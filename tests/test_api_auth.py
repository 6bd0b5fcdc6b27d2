"""Staff auth on /api/v1: POST /auth/login, GET /users/me, and the bearer tokens they use."""

import base64
import datetime as dt
import json
import logging
import warnings

import jwt
import pytest
import time_machine
from django.utils import timezone

from dentalai.auth import token_issue
from dentalai.models import new_object_id
from tests.conftest import PASSWORD, bearer

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"
LOGIN_FAILED = {"detail": "Incorrect email or password."}
UNAUTHENTICATED = {"detail": "A valid, unexpired bearer token is required."}
THROTTLED = {"detail": "Too many attempts. Please wait a moment and try again."}


def login(client, email, password=PASSWORD, **extra):
    body = json.dumps({"email": email, "password": password})
    return client.post(LOGIN, body, content_type="application/json", **extra)


def signed(claims: dict, *, key=None, algorithm="HS256") -> str:
    from django.conf import settings

    with warnings.catch_warnings():
        # The development key is shorter than HS512 wants: irrelevant to a token we refuse.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, key or settings.JWT_SIGNING_KEY, algorithm=algorithm)


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(user, **changes) -> dict:
    now = int(timezone.now().timestamp())
    claims = {"sub": user.pk, "iat": now, "exp": now + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


# --- logging in -------------------------------------------------------------------------------


def test_it_logs_in_with_email_and_password(client, manager):
    response = login(client, "alice@clinic.example")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["token_type"] == "bearer"

    me = client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "user_id": manager.pk,
        "name": "Alice Manager",
        "email": "alice@clinic.example",
        "role": "Office Manager",
    }


def test_it_issues_an_hs256_token_with_sub_iat_exp_for_15_minutes(client, manager, settings):
    token = login(client, manager.email).json()["access_token"]

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, settings.JWT_SIGNING_KEY, algorithms=["HS256"])
    assert set(claims) == {"sub", "iat", "exp", "pwd"}
    assert PASSWORD not in str(claims) and manager.password not in str(claims)
    assert claims["sub"] == manager.pk
    assert claims["exp"] - claims["iat"] == 15 * 60


def test_the_token_lifetime_follows_the_setting(client, manager, settings):
    settings.JWT_LIFETIME_MINUTES = 5
    token = login(client, manager.email).json()["access_token"]

    claims = jwt.decode(token, settings.JWT_SIGNING_KEY, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 5 * 60


def test_the_email_is_not_case_sensitive(client, manager):
    response = login(client, "  Alice@CLINIC.example ")

    assert response.status_code == 200


def test_it_records_the_last_login(client, manager):
    assert manager.last_login is None

    login(client, manager.email)

    manager.refresh_from_db()
    assert manager.last_login is not None


def test_it_logs_the_user_id_and_never_the_email(client, manager, caplog):
    with caplog.at_level(logging.INFO, logger="dentalai"):
        login(client, manager.email)
        login(client, manager.email, "wrong")

    assert f"user {manager.pk}" in caplog.text
    assert "alice" not in caplog.text.lower()


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@clinic.example", "not the password"),
        ("nobody@clinic.example", PASSWORD),
        ("charlie@clinic.example", PASSWORD),
    ],
    ids=["wrong password", "unknown email", "deactivated account"],
)
def test_it_refuses_bad_credentials_with_one_message(client, manager, outsider, email, password):
    response = login(client, email, password)

    assert response.status_code == 401
    assert response.json() == LOGIN_FAILED


@pytest.mark.parametrize(
    "body",
    [
        {"email": "alice@clinic.example"},
        {"password": PASSWORD},
        {},
        {"email": ["alice@clinic.example"], "password": PASSWORD},
        {"email": "", "password": PASSWORD},
        {"email": "alice@clinic.example\x00", "password": PASSWORD},
        {"email": "alice@clinic.example", "password": "\ud800"},
    ],
    ids=["no password", "no email", "empty", "email a list", "blank email", "NUL", "surrogate"],
)
def test_it_answers_a_422_with_field_errors_for_an_invalid_body(client, manager, body):
    response = client.post(LOGIN, json.dumps(body), content_type="application/json")

    assert response.status_code == 422
    payload = response.json()
    assert payload["detail"] == "Some fields are missing or invalid."
    assert payload["errors"]
    for error in payload["errors"]:
        assert set(error) == {"loc", "msg", "type"}
        assert error["loc"][0] == "body"


def test_it_answers_a_422_for_no_body_at_all(client, db):
    response = client.generic("POST", LOGIN, b"", content_type="application/json")

    assert response.status_code == 422
    fields = {tuple(error["loc"]) for error in response.json()["errors"]}
    assert fields == {("body", "payload")}


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe{}", 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'"alice@clinic.example"', 422),
    ],
    ids=["broken JSON", "not UTF-8", "nested too deep", "a bare string"],
)
def test_it_answers_a_body_that_is_not_a_json_object_with_an_error_not_a_500(
    client, db, raw, status
):
    response = client.post(LOGIN, raw, content_type="application/json")

    assert response.status_code == status
    assert response.json()["detail"]


# --- throttles --------------------------------------------------------------------------------


def test_it_throttles_logins_per_client_address(client, manager, settings):
    settings.LOGIN_RATE_PER_IP = "3/m"
    for n in range(3):
        assert login(client, f"guess{n}@clinic.example").status_code == 401

    response = login(client, manager.email)

    assert response.status_code == 429
    assert response.json() == THROTTLED
    assert 0 < int(response["Retry-After"]) <= 60
    # Another client address is not held back.
    assert login(client, manager.email, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_it_throttles_failures_per_account_from_addresses_it_never_logged_in_from(
    client, manager, settings
):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/15m"
    for n, (email, address) in enumerate(
        [("alice@clinic.example", "10.0.0.1"), ("ALICE@clinic.example", "10.0.0.2")]
    ):
        assert login(client, email, f"guess {n}", REMOTE_ADDR=address).status_code == 401

    response = login(client, "Alice@Clinic.Example", REMOTE_ADDR="10.0.0.3")

    assert response.status_code == 429
    assert response.json() == THROTTLED
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    # Other accounts can still log in from the same address.
    assert login(client, "bob@clinic.example", REMOTE_ADDR="10.0.0.3").status_code == 401


def test_guessing_elsewhere_never_locks_a_staff_member_out_of_her_usual_address(
    client, manager, settings
):
    assert login(client, manager.email, REMOTE_ADDR="10.0.0.1").status_code == 200  # her desk
    attacker = [
        login(client, manager.email, f"guess {n}", REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(30)
    ]

    assert attacker.count(401) == 10 and attacker.count(429) == 20  # LOGIN_RATE_PER_ACCOUNT
    assert login(client, manager.email, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert login(client, manager.email, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_only_failures_count_against_an_account(client, manager, settings):
    settings.LOGIN_RATE_PER_EMAIL = "2/15m"
    for _ in range(5):
        assert login(client, manager.email).status_code == 200


def test_the_throttle_lets_logins_through_again_once_the_period_is_over(client, manager, settings):
    settings.LOGIN_RATE_PER_EMAIL = "1/m"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert login(client, manager.email, "wrong").status_code == 401
        assert login(client, manager.email).status_code == 429  # not even the right one

        clock.shift(dt.timedelta(seconds=61))

        assert login(client, manager.email).status_code == 200


def test_the_throttle_reads_the_client_from_x_forwarded_for_behind_a_proxy(
    client, manager, settings
):
    settings.NINJA_NUM_PROXIES = 1
    settings.LOGIN_RATE_PER_IP = "1/m"
    assert login(client, "x@clinic.example", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 401

    same_client = login(client, manager.email, HTTP_X_FORWARDED_FOR="203.0.113.7")
    other_client = login(client, manager.email, HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert same_client.status_code == 429
    assert other_client.status_code == 200


def test_a_body_the_endpoint_cannot_read_checks_no_password_and_takes_no_try(
    client, manager, settings
):
    settings.LOGIN_RATE_PER_IP = "2/m"
    for _ in range(3):
        assert client.post(LOGIN, b"[]", content_type="application/json").status_code == 422

    assert login(client, manager.email).status_code == 200


def test_a_rate_of_zero_closes_logins(client, manager, settings):
    settings.LOGIN_RATE_PER_IP = "0/h"

    response = login(client, manager.email)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3601  # the end of the hour's window


# --- GET /users/me ----------------------------------------------------------------------------


def test_users_me_answers_for_the_token_owner(client, front_desk):
    response = client.get(ME, headers=bearer(front_desk))

    assert response.status_code == 200
    assert response.json() == {
        "user_id": front_desk.pk,
        "name": "Bob Desk",
        "email": "bob@clinic.example",
        "role": "Front Desk",
    }


def test_a_token_still_works_just_before_it_expires(client, manager):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=14, seconds=50), tick=False):
        headers = bearer(manager)

    assert client.get(ME, headers=headers).status_code == 200


def test_it_refuses_an_expired_token(client, manager):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=16), tick=False):
        headers = bearer(manager)

    response = client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_it_refuses_the_token_of_a_deactivated_account(client, outsider):
    response = client.get(ME, headers=bearer(outsider))

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_it_refuses_a_token_once_its_account_is_deactivated(client, manager):
    headers = bearer(manager)
    manager.is_active = False
    manager.save()

    assert client.get(ME, headers=headers).status_code == 401


def test_it_refuses_a_token_once_its_password_changes(client, manager):
    token = login(client, manager.email).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(ME, headers=headers).status_code == 200

    manager.set_password("a new password, after a leak")
    manager.save()

    response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    fresh = login(client, manager.email, "a new password, after a leak").json()["access_token"]
    assert client.get(ME, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_it_refuses_a_token_without_the_password_claim(client, manager, settings):
    now = int(timezone.now().timestamp())
    claims = {"sub": manager.pk, "iat": now, "exp": now + 600}
    token = jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS256")

    assert client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def hs256_header_with_alg(alg: str, manager) -> str:
    """A token whose header names `alg` but carries an HMAC-SHA256 signature."""
    good = token_issue(manager)
    _, payload, signature = good.split(".")
    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{payload}.{signature}"


REFUSED_HEADERS = {
    "no header": lambda user: None,
    "empty header": lambda user: "",
    "another scheme": lambda user: f"Basic {base64.b64encode(b'alice:pw').decode()}",
    "bearer without a token": lambda user: "Bearer ",
    "not a JWT": lambda user: "Bearer not-a-token",
    "the token without its scheme": lambda user: token_issue(user),
    "a forged signature": lambda user: (
        "Bearer " + signed(claims_for(user), key="not the clinic's signing key at all, 32+ bytes")
    ),
    "alg none": lambda user: "Bearer " + jwt.encode(claims_for(user), None, algorithm="none"),
    "alg none, hand-made": lambda user: (
        "Bearer " + f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_for(user))}."
    ),
    "alg NONE with the real signature": lambda user: (
        "Bearer " + hs256_header_with_alg("NONE", user)
    ),
    "HS512 with the right key": lambda user: (
        "Bearer " + signed(claims_for(user), algorithm="HS512")
    ),
    "RS256 header": lambda user: "Bearer " + hs256_header_with_alg("RS256", user),
    "no exp": lambda user: "Bearer " + signed(claims_for(user, exp=None)),
    "no iat": lambda user: "Bearer " + signed(claims_for(user, iat=None)),
    "no sub": lambda user: "Bearer " + signed(claims_for(user, sub=None)),
    "a numeric sub": lambda user: "Bearer " + signed(claims_for(user, sub=1)),
    "an unknown user": lambda user: "Bearer " + signed(claims_for(user, sub=new_object_id())),
    "a malformed sub": lambda user: "Bearer " + signed(claims_for(user, sub="x" * 300)),
    "issued in the future": lambda user: (
        "Bearer " + signed(claims_for(user, iat=int(timezone.now().timestamp()) + 3600))
    ),
}


@pytest.mark.parametrize("make_header", REFUSED_HEADERS.values(), ids=REFUSED_HEADERS.keys())
def test_users_me_refuses_anything_but_a_valid_token(client, manager, make_header):
    header = make_header(manager)
    headers = {} if header is None else {"Authorization": header}

    response = client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
