"""/api/v1/admin/interactions: a campaign's messages, and recording one without sending it."""

import datetime as dt

import pytest
from django.test import Client

from campaigns.choices import CampaignStatus as S
from campaigns.choices import CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from dentalai.models import AuditEntry
from messaging.models import OutboxMessage
from patients.models import Patient
from tests.conftest import bearer

UTC = dt.UTC
NOW = dt.datetime(2025, 8, 20, 14, 0, tzinfo=UTC)
JSON = "application/json"
UNKNOWN_ID = "ffffffffffffffffffffffff"
# (A NUL in the path is refused at the door: tests/test_untrusted_input.py.)
MALFORMED_IDS = ["not-an-id", "FFFFFFFFFFFFFFFFFFFFFFFF", "1" * 25, "abc-def"]


@pytest.fixture
def staff(manager, time_machine):
    """The manager's client, with the clock stopped at NOW (tokens are issued after it)."""
    time_machine.move_to(NOW, tick=False)
    return Client(headers=bearer(manager))


@pytest.fixture
def item(db):
    patient = Patient.objects.create(name="John Doe", email="john@example.com")
    return Campaign.objects.create(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        status=S.HANDOFF_REQUIRED,
        channel_type=Channel.EMAIL,
        thread_id="18c2f0a1b2c3d4e5",
    )


def message(campaign, direction, content, when, **fields):
    fields.setdefault("channel_type", Channel.EMAIL)
    fields.setdefault(
        "delivery_status",
        DeliveryStatus.RECEIVED if direction == Direction.INCOMING else DeliveryStatus.SENT,
    )
    return Interaction.objects.create(
        campaign=campaign, direction=direction, content=content, timestamp=when, **fields
    )


# --- Authentication ---------------------------------------------------------------------------

ENDPOINTS = [
    ("get", f"/api/v1/admin/interactions/{UNKNOWN_ID}"),
    ("post", "/api/v1/admin/interactions"),
]


@pytest.mark.parametrize("method,url", ENDPOINTS)
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-a-token"}], ids=["anonymous", "forged"]
)
def test_it_refuses_requests_without_a_valid_token(db, method, url, headers):
    response = getattr(Client(headers=headers), method)(url, {}, content_type=JSON)
    assert response.status_code == 401
    assert response.json() == {"detail": "A valid, unexpired bearer token is required."}


@pytest.mark.parametrize("method,url", ENDPOINTS)
def test_it_refuses_a_deactivated_users_token(outsider, method, url):
    response = getattr(Client(headers=bearer(outsider)), method)(url, {}, content_type=JSON)
    assert response.status_code == 401


# --- List -------------------------------------------------------------------------------------


def test_it_lists_a_campaigns_interactions_oldest_first(staff, item, front_desk):
    # Created newest first: the order of the answer comes from the timestamps.
    staff_reply = message(
        item,
        Direction.OUTGOING,
        "Hi John, this is Bob.",
        NOW - dt.timedelta(hours=1),
        author=front_desk,
        delivery_status=DeliveryStatus.FAILED,
        error="Mailbox full.",
    )
    answer = message(
        item,
        Direction.INCOMING,
        "Yes, but my insurance is complicated.",
        NOW - dt.timedelta(hours=2),
        ai_analysis={"intent": "QUESTION", "sentiment": "NEUTRAL"},
    )
    greeting = message(
        item,
        Direction.OUTGOING,
        "Hi John, are you still interested in crowns?",
        NOW - dt.timedelta(days=1),
        ai_analysis={"intent": "GREETING", "sentiment": "NEUTRAL"},
    )
    other = Campaign.objects.create(
        patient=Patient.objects.create(name="Someone Else", email="else@example.com"),
        campaign_type=CampaignType.RECALL,
        channel_type=Channel.EMAIL,
    )
    message(other, Direction.INCOMING, "Not in this conversation", NOW)

    response = staff.get(f"/api/v1/admin/interactions/{item.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "interactions": [
            {
                "_id": greeting.pk,
                "interaction_id": greeting.pk,
                "campaign_id": item.pk,
                "direction": "outgoing",
                "content": "Hi John, are you still interested in crowns?",
                "ai_analysis": {"intent": "GREETING", "sentiment": "NEUTRAL"},
                "timestamp": "2025-08-19T14:00:00Z",
                "channel_type": "email",
                "delivery_status": "sent",
                "error": "",
                "sender": "ai",
                "author": None,
            },
            {
                "_id": answer.pk,
                "interaction_id": answer.pk,
                "campaign_id": item.pk,
                "direction": "incoming",
                "content": "Yes, but my insurance is complicated.",
                "ai_analysis": {"intent": "QUESTION", "sentiment": "NEUTRAL"},
                "timestamp": "2025-08-20T12:00:00Z",
                "channel_type": "email",
                "delivery_status": "received",
                "error": "",
                "sender": "patient",
                "author": None,
            },
            {
                "_id": staff_reply.pk,
                "interaction_id": staff_reply.pk,
                "campaign_id": item.pk,
                "direction": "outgoing",
                "content": "Hi John, this is Bob.",
                "ai_analysis": {},
                "timestamp": "2025-08-20T13:00:00Z",
                "channel_type": "email",
                "delivery_status": "failed",
                "error": "Mailbox full.",
                "sender": "staff",
                "author": {"user_id": front_desk.pk, "name": "Bob Desk"},
            },
        ]
    }


def test_it_lists_no_interactions_for_a_silent_campaign(staff, item):
    assert staff.get(f"/api/v1/admin/interactions/{item.pk}").json() == {"interactions": []}


@pytest.mark.parametrize("campaign_id", [UNKNOWN_ID, *MALFORMED_IDS])
def test_it_answers_404_for_an_unknown_or_malformed_campaign_id(staff, campaign_id):
    response = staff.get(f"/api/v1/admin/interactions/{campaign_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Campaign not found."}


# --- Record -----------------------------------------------------------------------------------


def record(client, body):
    return client.post("/api/v1/admin/interactions", body, content_type=JSON)


def test_it_records_an_outgoing_message_without_sending_it(staff, item, manager):
    response = record(
        staff,
        {
            "campaign_id": item.pk,
            "direction": "outgoing",
            "content": "This is a test message.",
            "ai_analysis": {"intent": "TEST", "sentiment": "NEUTRAL"},
        },
    )

    assert response.status_code == 201
    recorded = Interaction.objects.get()
    assert response.json() == {
        "message": "Interaction created successfully.",
        "interaction_id": recorded.pk,
    }
    assert (recorded.campaign, recorded.direction, recorded.content) == (
        item,
        Direction.OUTGOING,
        "This is a test message.",
    )
    assert recorded.ai_analysis == {"intent": "TEST", "sentiment": "NEUTRAL"}
    assert (recorded.channel_type, recorded.delivery_status, recorded.external_id) == (
        Channel.EMAIL,
        DeliveryStatus.SENT,
        "",
    )
    assert (recorded.author, recorded.timestamp) == (manager, NOW)
    assert not OutboxMessage.objects.exists()
    item.refresh_from_db()
    assert item.status == S.HANDOFF_REQUIRED
    assert list(AuditEntry.objects.values("actor_id", "action", "object_id", "details")) == [
        {
            "actor_id": manager.pk,
            "action": "interaction_record",
            "object_id": recorded.pk,
            "details": {"campaign_id": item.pk, "direction": "outgoing"},
        }
    ]


def test_it_records_an_incoming_message_as_received(staff, item):
    body = {"campaign_id": item.pk, "direction": "incoming", "content": "  Called to ask.  "}
    assert record(staff, body).status_code == 201
    recorded = Interaction.objects.get()
    assert (recorded.direction, recorded.delivery_status, recorded.content) == (
        Direction.INCOMING,
        DeliveryStatus.RECEIVED,
        "Called to ask.",
    )
    assert recorded.ai_analysis == {}
    listed = staff.get(f"/api/v1/admin/interactions/{item.pk}").json()["interactions"]
    assert [entry["sender"] for entry in listed] == ["patient"]


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"direction": "sideways"}, "direction"),
        ({"direction": None}, "direction"),
        ({"content": ""}, "content"),
        ({"content": "   "}, "content"),
        ({"content": "x" * 5001}, "content"),
        ({"campaign_id": None}, "campaign_id"),
        ({"ai_analysis": "positive"}, "ai_analysis"),
    ],
)
def test_it_refuses_bad_interactions(staff, item, changes, field):
    body = {"campaign_id": item.pk, "direction": "outgoing", "content": "Hello"} | changes
    response = record(staff, {key: value for key, value in body.items() if value is not None})
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["errors"]] == [field]
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("campaign_id", [UNKNOWN_ID, *MALFORMED_IDS, "nul\x00byte"])
def test_it_answers_404_when_recording_on_an_unknown_campaign(staff, campaign_id):
    body = {"campaign_id": campaign_id, "direction": "incoming", "content": "Hello"}
    response = record(staff, body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Campaign not found."}
    assert not Interaction.objects.exists()
