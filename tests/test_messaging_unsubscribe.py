"""The unsubscribe link of every email: signed, long-lived, no login. Opening it asks; the
page's button or a mail client's one-click POST opts the patient out of every campaign."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from campaigns.choices import CampaignStatus, DeliveryStatus, Direction
from campaigns.models import Interaction
from messaging.models import OutboxMessage
from messaging.services import interaction_send
from messaging.unsubscribe import (
    unsubscribe_token_make,
    unsubscribe_token_patient_id,
    unsubscribe_url,
)
from patients.optout import CANCELLED_QUEUED
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    agent_environment,
    booking_links,
    make_campaign,
    make_patient,
)
from tests.messaging_fixtures import messaging_environment  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("https://clinic.example.com")


def test_opening_the_link_asks_and_changes_nothing(client):
    # A mail scanner or a link preview opens every link it sees.
    patient = make_patient()

    response = client.get(path_of(unsubscribe_url(patient)))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Unsubscribe from Bright Smile Dental?" in page
    assert '<form method="post">' in page and ">Unsubscribe</button>" in page
    patient.refresh_from_db()
    assert not patient.is_opted_out


def test_the_button_unsubscribes_without_login_and_says_so(client):
    campaign = make_campaign()
    pending = Interaction.objects.create(
        campaign=campaign,
        direction=Direction.OUTGOING,
        content="queued",
        channel_type=campaign.channel_type,
        delivery_status=DeliveryStatus.QUEUED,
    )

    response = client.post(path_of(unsubscribe_url(campaign.patient)))

    assert response.status_code == 200
    page = response.content.decode()
    assert "You're unsubscribed" in page
    assert "Bright Smile Dental" in page
    assert "Maria" not in page and "maria@example.com" not in page  # no patient data
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    campaign.refresh_from_db()
    campaign.patient.refresh_from_db()
    pending.refresh_from_db()
    assert campaign.patient.is_opted_out
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED
    assert (pending.delivery_status, pending.error) == (DeliveryStatus.FAILED, CANCELLED_QUEUED)


def test_nothing_is_sent_after_unsubscribing(client):
    campaign = make_campaign()
    client.post(path_of(unsubscribe_url(campaign.patient)))
    message = Interaction.objects.create(
        campaign=campaign,
        direction=Direction.OUTGOING,
        content="One more thing",
        channel_type=campaign.channel_type,
        delivery_status=DeliveryStatus.QUEUED,
    )

    interaction_send(message)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert not OutboxMessage.objects.exists()


def test_a_second_visit_still_says_unsubscribed(client):
    patient = make_patient()
    url = path_of(unsubscribe_url(patient))

    assert client.post(url).status_code == 200
    again = client.get(url)
    assert again.status_code == 200
    assert "You're unsubscribed" in again.content.decode()
    assert "<form" not in again.content.decode()
    assert client.post(url).status_code == 200


def test_one_click_unsubscribe_posts_without_a_csrf_token():
    patient = make_patient()
    client = Client(enforce_csrf_checks=True)

    # RFC 8058: the body a mail client sends.
    response = client.post(
        path_of(unsubscribe_url(patient)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.is_opted_out


def test_a_head_request_of_a_link_scanner_changes_nothing(client):
    patient = make_patient()

    client.head(path_of(unsubscribe_url(patient)))

    patient.refresh_from_db()
    assert not patient.is_opted_out


@pytest.mark.parametrize("token", ["forged", "eyJwIjoiMTIzIn0:1tXyZ:abc", "a" * 300])
def test_a_forged_or_damaged_link_changes_nothing(client, token):
    patient = make_patient()

    response = client.post(f"/unsubscribe/{token}/")

    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    patient.refresh_from_db()
    assert not patient.is_opted_out


def test_the_link_works_for_a_year_and_no_longer():
    patient = make_patient()
    start = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        token = unsubscribe_token_make(patient)

    with time_machine.travel(start + dt.timedelta(days=364), tick=False):
        assert unsubscribe_token_patient_id(token) == patient.pk
    with time_machine.travel(start + dt.timedelta(days=366), tick=False):
        assert unsubscribe_token_patient_id(token) is None
