import datetime as dt

import pytest
from django.test import Client

from appointments.models import ProviderSchedule, Service
from dentalai.choices import Role
from dentalai.models import User

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests check passwords, not the hasher's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
