"""Hostile input changes nothing and breaks nothing (SPEC §9.1): control characters refused at
the door with a 4xx (JSON on the API), dates the calendar cannot compute refused, never a 500
— on SQLite and PostgreSQL alike (PostgreSQL refuses NUL in text)."""

import pytest
from django.test import Client

from campaigns.models import Interaction
from dentalai.untrusted import REFUSED
from tests.agent_fixtures import make_campaign
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.fixture
def browser(manager) -> Client:
    """A signed-in staff member whose client returns 500s instead of raising them."""
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    return client


@pytest.mark.parametrize(
    "url, params",
    [
        ("/api/v1/admin/campaigns", {"q": NUL}),
        ("/api/v1/admin/campaigns", {"status": f"RE_ENGAGED{NUL}"}),
        (f"/api/v1/admin/campaigns/{NUL}", {}),
        ("/api/v1/availability", {"service_id": NUL, "month": "2030-01"}),
        ("/api/v1/admin/appointments", {"date": f"2030-01-01{NUL}"}),
    ],
)
def test_the_api_refuses_control_characters_in_the_url_with_json(manager, url, params):
    client = Client(raise_request_exception=False, headers=bearer(manager))

    response = client.get(url, params)

    assert response.status_code == 400
    assert response.json() == {"detail": REFUSED}


@pytest.mark.parametrize(
    "url, params",
    [
        ("/campaigns/", {"q": NUL}),
        ("/patients/", {"q": f"maria{NUL}"}),
        ("/handoffs/", {"reason": "\x1b"}),
        ("/outbox/", {"channel": NUL}),
        (f"/campaigns/{NUL}/", {}),
    ],
)
def test_the_pages_refuse_control_characters_in_the_url(browser, url, params):
    response = browser.get(url, params)

    assert response.status_code == 400
    assert REFUSED in response.text


def test_a_form_posted_with_control_characters_changes_nothing(browser):
    campaign = make_campaign()
    before = Interaction.objects.count()

    response = browser.post(f"/campaigns/{campaign.pk}/reply/", {"message": f"Hi{NUL} there"})

    assert response.status_code == 400
    assert Interaction.objects.count() == before


def test_api_text_with_control_characters_is_a_field_error(manager):
    campaign = make_campaign()
    client = Client(raise_request_exception=False, headers=bearer(manager))

    response = client.post(
        f"/api/v1/admin/campaigns/{campaign.pk}/respond",
        {"message": "On our way\x07"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "Control characters" in response.text


@pytest.mark.parametrize("when", ["9999-12-31T10:00:00Z", "0001-01-01T00:00:00Z"])
def test_a_booking_date_the_calendar_cannot_compute_is_a_422(clinic, when):
    client = Client(raise_request_exception=False)
    body = {"name": "Maria", "email": "m@example.com", "appointment_date": when}

    response = client.post(
        "/api/v1/appointments/book",
        body | {"service_id": "cleaning"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "Dates must lie between 1900 and 2999." in response.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_booking_page_answers_404_for_days_out_of_range(clinic, day):
    client = Client(raise_request_exception=False)

    assert client.get(f"/book/cleaning/{day}/").status_code == 404
    assert client.get(f"/book/cleaning/{day}/10:00/").status_code == 404


def test_the_calendar_falls_back_to_today_for_a_day_out_of_range(browser, clinic):
    response = browser.get("/appointments/", {"date": "9999-12-31"})

    assert response.status_code == 200
