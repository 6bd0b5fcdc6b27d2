import io

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.test import override_settings

from dentalai import settings as project_settings
from dentalai.choices import Role
from dentalai.errors import ApplicationError, Conflict
from dentalai.models import AuditEntry, User
from dentalai.services import user_create
from tests.conftest import PASSWORD


def createstaff(*args, password: str | None = PASSWORD, **kwargs) -> str:
    """Run the command with the password on standard input; return what it printed."""
    out = io.StringIO()
    if password is not None:
        args = (*args, "--password-stdin")
        kwargs["stdin"] = io.StringIO(f"{password}\n")
    call_command("createstaff", *args, stdout=out, **kwargs)
    return out.getvalue()


def test_it_creates_a_staff_member_who_can_log_in_to_the_admin(client, db):
    output = createstaff("--email", "Dana@Clinic.example", "--name", "Dana", "--role", "dentist")

    dana = User.objects.get(email="dana@clinic.example")
    assert dana.role == Role.DENTIST
    assert dana.pk in output
    assert "dana@clinic.example" in output
    assert PASSWORD not in output

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "dana@clinic.example", "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_login_email_is_case_insensitive(client, db):
    createstaff("--email", "dana@clinic.example", "--name", "Dana", "--role", "DENTIST")

    response = client.post(
        "/admin/login/", {"username": "DANA@Clinic.Example", "password": PASSWORD}
    )

    assert response.status_code == 302


@pytest.mark.parametrize(
    ("given", "role"),
    [
        ("OFFICE_MANAGER", Role.OFFICE_MANAGER),
        ("office manager", Role.OFFICE_MANAGER),
        ("Office Manager", Role.OFFICE_MANAGER),
        ("front-desk", Role.FRONT_DESK),
        ("Hygienist", Role.HYGIENIST),
        ("admin", Role.ADMIN),
    ],
)
def test_it_accepts_a_role_by_value_or_label_in_any_case(db, given, role):
    createstaff("--email", "new@clinic.example", "--name", "New", "--role", given)

    assert User.objects.get(email="new@clinic.example").role == role


def test_it_refuses_a_duplicate_email(manager):
    with pytest.raises(CommandError, match="already exists"):
        createstaff("--email", "ALICE@clinic.example", "--name", "Alice 2", "--role", "Dentist")

    assert User.objects.count() == 1


def test_it_refuses_an_unknown_role_and_lists_the_valid_ones(db):
    with pytest.raises(CommandError) as error:
        createstaff("--email", "new@clinic.example", "--name", "New", "--role", "Janitor")

    message = str(error.value)
    assert "Janitor" in message
    assert all(role.value in message for role in Role)
    assert not User.objects.exists()


@pytest.mark.parametrize("weak", ["password", "12345678901", "short", "new@clinic.example"])
def test_it_refuses_a_weak_password(db, weak):
    with pytest.raises(CommandError):
        createstaff(
            "--email", "new@clinic.example", "--name", "New", "--role", "Dentist", password=weak
        )

    assert not User.objects.exists()


def test_it_refuses_an_empty_standard_input(db):
    with pytest.raises(CommandError, match="No password"):
        createstaff(
            "--email", "new@clinic.example", "--name", "New", "--role", "Dentist", password=""
        )

    assert not User.objects.exists()


def test_it_keeps_spaces_in_a_passphrase_from_standard_input(db):
    passphrase = "  spaced out passphrase  "
    createstaff(
        "--email", "new@clinic.example", "--name", "New", "--role", "Dentist", password=passphrase
    )

    assert User.objects.get(email="new@clinic.example").check_password(passphrase)


def test_it_asks_for_the_password_twice(db, monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    createstaff(
        "--email", "new@clinic.example", "--name", "New", "--role", "Dentist", password=None
    )

    assert User.objects.get(email="new@clinic.example").check_password(PASSWORD)


def test_it_refuses_two_different_passwords_at_the_prompt(db, monkeypatch):
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    with pytest.raises(CommandError, match="do not match"):
        createstaff(
            "--email", "new@clinic.example", "--name", "New", "--role", "Dentist", password=None
        )

    assert not User.objects.exists()


def test_user_create_stores_the_email_in_lower_case_and_audits_it(db):
    user = user_create(
        email=" Eve@Clinic.Example ", name="Eve", role=Role.FRONT_DESK, password=PASSWORD
    )

    assert user.email == "eve@clinic.example"
    assert user.is_active
    assert user.check_password(PASSWORD)
    entry = AuditEntry.objects.get(object_id=user.pk)
    assert entry.action == "user_create"
    assert entry.actor is None


def test_user_create_refuses_an_email_taken_in_another_case(manager):
    with pytest.raises(Conflict):
        user_create(
            email="Alice@Clinic.Example", name="Alice 2", role=Role.DENTIST, password=PASSWORD
        )


def test_user_create_says_which_password_rule_failed(db):
    with pytest.raises(ApplicationError, match="too short"):
        user_create(email="eve@clinic.example", name="Eve", role=Role.DENTIST, password="x1")

    assert not User.objects.exists()


def test_passwords_are_hashed_with_argon2_outside_the_tests():
    # The autouse fixture swaps in a fast hasher; the project's own setting is Argon2.
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        assert make_password("a long enough passphrase").startswith("argon2$")
