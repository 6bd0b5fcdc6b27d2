"""Logs carry no patient data, even on errors: what the configured handler writes is read back
(dentalai.log_filters), after the database has had the patient's details in a failed statement
and in its DEBUG SQL log."""

import io
import logging

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from patients.models import Patient
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

EMAIL, PHONE = "maria.secret@example.com", "+12125550123"


@pytest.fixture
def console():
    """What the console handler of settings.LOGGING writes, from here on."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_database_error_is_logged_without_its_values(console):
    Patient.objects.create(name="Maria Secret", email=EMAIL, phone=PHONE)
    try:
        with transaction.atomic():
            Patient.objects.create(name="Maria Secret", email=EMAIL, phone=PHONE)
    except IntegrityError:
        logging.getLogger("django.request").exception("Internal Server Error: /api/v1/x")

    text = console.getvalue()
    assert "Internal Server Error: /api/v1/x" in text
    assert "IntegrityError (withheld: may contain patient data)" in text
    assert "Traceback" in text and "test_log_privacy.py" in text  # where it happened
    assert EMAIL not in text and PHONE not in text


def test_the_sql_debug_log_keeps_no_values(console, settings):
    sql = logging.getLogger("django.db.backends")
    level = sql.level
    sql.setLevel(logging.DEBUG)
    settings.DEBUG = True  # Django logs statements only then
    try:
        list(Patient.objects.filter(email=EMAIL, phone=PHONE))
    finally:
        sql.setLevel(level)

    text = console.getvalue()
    assert "SQL statement withheld" in text
    assert EMAIL not in text and PHONE not in text


def test_a_refused_request_logs_nothing_of_what_it_carried(console, manager):
    client = Client(raise_request_exception=False, headers=bearer(manager))

    client.get("/api/v1/admin/campaigns", {"q": f"{EMAIL}\x00"})
    client.post(
        "/api/v1/admin/campaigns/recovery",
        {"patient_name": "Maria\x00", "patient_email": EMAIL, "patient_phone": PHONE},
        content_type="application/json",
    )

    assert EMAIL not in console.getvalue() and PHONE not in console.getvalue()
