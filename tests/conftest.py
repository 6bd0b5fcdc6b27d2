import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from appointments.models import ProviderSchedule, Service
from dentalai.choices import Role
from dentalai.models import User

PASSWORD = "correct horse battery staple"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests check passwords, not the hasher's cost."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def one_drain_per_webhook_event(settings):
    """Every stored webhook event queues its own drain: no coalescing window (the tests of the
    coalescing set one themselves)."""
    from messaging.ingest import webhook_drain_forget

    settings.WEBHOOK_DRAIN_COALESCE_SECONDS = 0
    webhook_drain_forget()
    yield
    webhook_drain_forget()


def make_user(email: str, name: str, role: str, **fields) -> User:
    return User.objects.create_user(email, PASSWORD, name=name, role=role, **fields)


@pytest.fixture
def manager(db):
    """Alice, the office manager."""
    return make_user("alice@clinic.example", "Alice Manager", Role.OFFICE_MANAGER)


@pytest.fixture
def front_desk(db):
    """Bob, at the front desk."""
    return make_user("bob@clinic.example", "Bob Desk", Role.FRONT_DESK)


@pytest.fixture
def outsider(db):
    """Charlie, whose account was deactivated."""
    return make_user("charlie@clinic.example", "Charlie Gone", Role.FRONT_DESK, is_active=False)


@pytest.fixture
def clinic(db):
    """Two providers working weekdays 09:00-17:00, and two services."""
    dentist = make_user("dana@clinic.example", "Dr Dana Park", Role.DENTIST)
    hygienist = make_user("hugo@clinic.example", "Hugo Hygienist", Role.HYGIENIST)
    for provider in (dentist, hygienist):
        ProviderSchedule.objects.bulk_create(
            ProviderSchedule(
                provider=provider, weekday=day, start_time=dt.time(9), end_time=dt.time(17)
            )
            for day in range(5)
        )
    cleaning = Service.objects.create(slug="cleaning", name="Cleaning", duration_minutes=60)
    cleaning.providers.set([dentist, hygienist])
    whitening = Service.objects.create(
        slug="teeth_whitening", name="Teeth Whitening", duration_minutes=90
    )
    whitening.providers.set([dentist])
    return {
        "dentist": dentist,
        "hygienist": hygienist,
        "cleaning": cleaning,
        "whitening": whitening,
    }


def bearer(user: User) -> dict:
    """Headers for the test client carrying a fresh staff API token for `user`."""
    from dentalai.auth import token_issue

    return {"Authorization": f"Bearer {token_issue(user)}"}


@pytest.fixture
def api(manager) -> Client:
    """A test client whose requests carry the manager's token."""
    return Client(headers=bearer(manager))


# --- The demo clinic ------------------------------------------------------------------------------

# What the demo seed writes (the django-q tables and sessions stay out).
DEMO_APPS = ("dentalai", "patients", "campaigns", "appointments", "agent", "messaging")


@pytest.fixture(scope="session")
def demo_fixture(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo clinic seeded once per session — it acts ~200 stories through the services,
    tens of seconds — and kept as a fixture file; the database is left as it was."""
    path = tmp_path_factory.mktemp("demo") / "demo.json"
    fast = override_settings(PASSWORD_HASHERS=FAST_HASHERS)  # as fast_password_hashing
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        call_command("seed_demo", "--no-progress", verbosity=0)
        call_command("dumpdata", *DEMO_APPS, output=str(path), verbosity=0)
        transaction.set_rollback(True)
    return path


@pytest.fixture
def demo_clinic(db, demo_fixture):
    """The seeded demo clinic in this test's database."""
    call_command("loaddata", str(demo_fixture), verbosity=0)


@pytest.fixture(scope="module")
def demo_clinic_for_module(django_db_blocker, demo_fixture):
    """The seeded demo clinic for every test of a module, each test rolled back to it (the
    tests take `db`); gone after the module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("loaddata", str(demo_fixture), verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
