"""/api/v1/admin/campaigns: list, create a recovery campaign, details, respond, change status."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.choices import CampaignStatus as S
from campaigns.choices import CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from dentalai.errors import Conflict
from dentalai.models import AuditEntry
from messaging.backends import Backend, SendError
from messaging.models import OutboxMessage
from patients.choices import PatientType
from patients.models import Patient
from tests.concurrency import after_query, statement
from tests.conftest import bearer

UTC = dt.UTC
NOW = dt.datetime(2025, 8, 20, 14, 0, tzinfo=UTC)
JSON = "application/json"
UNKNOWN_ID = "ffffffffffffffffffffffff"
# (A NUL in the path is refused at the door: tests/test_untrusted_input.py.)
MALFORMED_IDS = ["not-an-id", "FFFFFFFFFFFFFFFFFFFFFFFF", "1" * 25, "abc-def"]


class FailingBackend(Backend):
    """A channel that refuses every message for good (e.g. the address does not exist)."""

    def send(self, message):
        raise SendError("The mail server refused the connection.", permanent=True)


class FlakyBackend(Backend):
    """A channel that is down for now: the send is retried later."""

    def send(self, message):
        raise SendError("The mail server timed out.", permanent=False)


class CrashingBackend(Backend):
    """A channel backend with a bug."""

    def send(self, message):
        raise RuntimeError("boom")


@pytest.fixture
def staff(manager, time_machine):
    """The manager's client, with the clock stopped at NOW (tokens are issued after it)."""
    time_machine.move_to(NOW, tick=False)
    return Client(headers=bearer(manager))


def patient(name="John Doe", email="john@example.com", phone="+12125550123", **fields):
    return Patient.objects.create(name=name, email=email, phone=phone, **fields)


def campaign(owner=None, status=S.HANDOFF_REQUIRED, **fields):
    fields.setdefault("campaign_type", CampaignType.RECOVERY)
    fields.setdefault("channel_type", Channel.EMAIL)
    return Campaign.objects.create(patient=owner or patient(), status=status, **fields)


def audits(action):
    return list(AuditEntry.objects.filter(action=action).values("actor_id", "object_id", "details"))


# --- Authentication ---------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/admin/campaigns"),
    ("post", "/api/v1/admin/campaigns/recovery"),
    ("get", f"/api/v1/admin/campaigns/{UNKNOWN_ID}"),
    ("post", f"/api/v1/admin/campaigns/{UNKNOWN_ID}/respond"),
    ("patch", f"/api/v1/admin/campaigns/{UNKNOWN_ID}/status"),
]


@pytest.mark.parametrize("method,url", ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}],
    ids=["anonymous", "forged"],
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


def test_it_lists_campaigns_newest_activity_first(staff):
    older = campaign(
        patient("Maria Garcia", "maria@example.com", "+12125550188"),
        S.ATTEMPTING_RECOVERY,
        channel_type=Channel.SMS,
        attempts_made=2,
    )
    newer = campaign(
        handoff_reason="billing", handoff_details={"summary": "Insurance", "reason": "billing"}
    )
    Campaign.objects.filter(pk=older.pk).update(updated_at=NOW - dt.timedelta(hours=1))

    response = staff.get("/api/v1/admin/campaigns")

    assert response.status_code == 200
    assert response.json() == {
        "pagination": {"total_items": 2, "total_pages": 1, "current_page": 1},
        "campaigns": [
            {
                "campaign_id": newer.pk,
                "patient_id": newer.patient_id,
                "patient_name": "John Doe",
                "campaign_type": "RECOVERY",
                "status": "HANDOFF_REQUIRED",
                "channel_type": "email",
                "attempts_made": 0,
                "handoff_reason": "billing",
                "last_updated": "2025-08-20T14:00:00Z",
            },
            {
                "campaign_id": older.pk,
                "patient_id": older.patient_id,
                "patient_name": "Maria Garcia",
                "campaign_type": "RECOVERY",
                "status": "ATTEMPTING_RECOVERY",
                "channel_type": "sms",
                "attempts_made": 2,
                "handoff_reason": None,
                "last_updated": "2025-08-20T13:00:00Z",
            },
        ],
    }


@pytest.fixture
def three(db):
    """Three campaigns of three patients, newest activity first: john, maria, lee."""
    john = campaign(status=S.HANDOFF_REQUIRED)
    maria = campaign(
        patient("Maria Garcia", "Maria.G@Example.com", "+12125550188"),
        S.HANDOFF_REQUIRED,
        campaign_type=CampaignType.RECALL,
    )
    lee = campaign(patient("Lee Wong", "", "+13125550199"), S.RECOVERED)
    for hours, item in enumerate([john, maria, lee]):
        Campaign.objects.filter(pk=item.pk).update(updated_at=NOW - dt.timedelta(hours=hours))
    return {"john": john.pk, "maria": maria.pk, "lee": lee.pk}


def listed(client, query):
    response = client.get("/api/v1/admin/campaigns", query)
    assert response.status_code == 200, response.json()
    return [item["campaign_id"] for item in response.json()["campaigns"]]


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"status": "HANDOFF_REQUIRED"}, ["john", "maria"]),
        ({"campaign_type": "RECALL"}, ["maria"]),
        ({"status": "HANDOFF_REQUIRED", "campaign_type": "RECOVERY"}, ["john"]),
        ({"status": "BOOKING_COMPLETED"}, []),
        ({"q": "mARIA"}, ["maria"]),
        ({"q": "example.COM"}, ["john", "maria"]),
        ({"q": "+1312"}, ["lee"]),
        ({"q": "(312) 555-0199"}, ["lee"]),
        ({"q": "wong", "status": "RECOVERED"}, ["lee"]),
        ({"q": "nobody"}, []),
    ],
)
def test_it_filters_and_searches_campaigns(staff, three, query, expected):
    assert listed(staff, query) == [three[name] for name in expected]


def test_it_paginates_campaigns(staff, three):
    response = staff.get("/api/v1/admin/campaigns", {"limit": 2, "page": 2})
    assert response.json()["pagination"] == {
        "total_items": 3,
        "total_pages": 2,
        "current_page": 2,
    }
    assert [item["campaign_id"] for item in response.json()["campaigns"]] == [three["lee"]]
    assert listed(staff, {"limit": 2}) == [three["john"], three["maria"]]
    past_the_end = staff.get("/api/v1/admin/campaigns", {"limit": 2, "page": 9}).json()
    assert past_the_end["campaigns"] == []
    assert past_the_end["pagination"]["total_pages"] == 2


def test_it_reports_one_empty_page_when_there_are_no_campaigns(staff):
    assert staff.get("/api/v1/admin/campaigns").json() == {
        "pagination": {"total_items": 0, "total_pages": 1, "current_page": 1},
        "campaigns": [],
    }


@pytest.mark.parametrize(
    "query,field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"page": 0}, "page"),
        ({"status": "DONE"}, "status"),
        ({"campaign_type": "recovery"}, "campaign_type"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_it_refuses_bad_list_parameters(staff, query, field):
    response = staff.get("/api/v1/admin/campaigns", query)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Some fields are missing or invalid."
    assert [error["loc"] for error in body["errors"]] == [["query", field]]


def test_it_lists_with_a_fixed_number_of_queries(staff, three):
    def queries():
        with CaptureQueriesContext(connection) as context:
            assert staff.get("/api/v1/admin/campaigns").status_code == 200
        return len(context.captured_queries)

    few = queries()
    for index in range(5):
        campaign(patient(f"Extra {index}", f"extra{index}@example.com", ""))
    assert queries() == few


# --- Create a recovery campaign ---------------------------------------------------------------

SEED_BODY = {
    "patient_name": "New Lead",
    "patient_email": "new.lead@email.com",
    "initial_inquiry": "Was interested in crowns.",
    "estimated_value": 1200,
}


def create(client, body):
    return client.post("/api/v1/admin/campaigns/recovery", body, content_type=JSON)


def test_it_creates_a_cold_lead_and_a_recovery_campaign_due_now(staff, manager):
    response = create(staff, SEED_BODY)

    assert response.status_code == 201
    created = Campaign.objects.get()
    assert response.json() == {
        "message": "Recovery campaign created successfully.",
        "campaign_id": created.pk,
    }
    lead = created.patient
    assert (lead.name, lead.email, lead.phone) == ("New Lead", "new.lead@email.com", "")
    assert lead.patient_type == PatientType.COLD_LEAD
    assert lead.initial_inquiry == "Was interested in crowns."
    assert lead.preferred_channels == ["email"]
    assert created.campaign_type == CampaignType.RECOVERY
    assert created.status == S.ATTEMPTING_RECOVERY
    assert created.is_active
    assert created.channel_type == Channel.EMAIL
    assert created.thread_id == ""
    assert (created.attempts_made, created.max_attempts) == (0, 3)
    assert created.next_attempt_at == NOW
    assert created.estimated_value == Decimal("1200.00")
    assert not Interaction.objects.exists()
    assert audits("campaign_create_recovery") == [
        {
            "actor_id": manager.pk,
            "object_id": created.pk,
            "details": {"patient_id": lead.pk, "patient_created": True, "channel": "email"},
        }
    ]


def test_it_takes_the_max_attempts_from_settings(staff, settings):
    settings.CAMPAIGN_MAX_ATTEMPTS = 5
    assert create(staff, SEED_BODY).status_code == 201
    assert Campaign.objects.get().max_attempts == 5


@pytest.mark.parametrize(
    "extra,channel,thread_id",
    [
        ({"patient_phone": "(212) 555-0123", "patient_email": None}, "sms", "+12125550123"),
        ({"patient_phone": "+12125550123", "channel": "sms"}, "sms", "+12125550123"),
        (
            {"patient_phone": "212-555-0123", "channel": "whatsapp"},
            "whatsapp",
            "whatsapp:+12125550123",
        ),
        ({"patient_phone": "212-555-0123"}, "email", ""),
    ],
    ids=["sms-by-default-without-email", "sms", "whatsapp", "email-when-given"],
)
def test_it_threads_each_channel_as_the_spec_says(staff, extra, channel, thread_id):
    assert create(staff, SEED_BODY | extra).status_code == 201
    created = Campaign.objects.get()
    assert (created.channel_type, created.thread_id) == (channel, thread_id)
    assert created.patient.phone == "+12125550123"


def test_it_reuses_an_existing_patient_unchanged(staff, manager):
    known = patient("Johnny D", "new.lead@email.com", "", patient_type=PatientType.EXISTING)
    campaign(known, S.RECOVERY_FAILED)

    assert create(staff, SEED_BODY).status_code == 201

    assert Patient.objects.count() == 1
    known.refresh_from_db()
    assert (known.name, known.patient_type, known.initial_inquiry) == (
        "Johnny D",
        PatientType.EXISTING,
        "",
    )
    created = Campaign.objects.get(is_active=True)
    assert created.patient == known
    assert audits("campaign_create_recovery")[0]["details"]["patient_created"] is False


def test_it_refuses_a_second_active_campaign(staff):
    campaign(patient(email="new.lead@email.com"), S.RE_ENGAGED)
    response = create(staff, SEED_BODY)
    assert response.status_code == 409
    assert response.json() == {"detail": "This patient already has an active campaign."}
    assert Campaign.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_it_turns_the_databases_refusal_of_a_second_campaign_into_a_conflict(staff):
    # Another request creates the active campaign right after this one checked there was none.
    known = patient(email="new.lead@email.com")
    checked_for_an_active_one = statement("SELECT", Campaign, mentioning="is_active")
    with after_query(checked_for_an_active_one, lambda: campaign(known, S.RE_ENGAGED)) as other:
        response = create(staff, SEED_BODY)
    assert other.fired
    assert response.status_code == 409
    assert response.json() == {"detail": "This patient already has an active campaign."}
    assert list(Campaign.objects.all()) == [other.result]
    assert not audits("campaign_create_recovery")


def test_it_refuses_a_patient_who_opted_out(staff):
    patient(email="new.lead@email.com", opted_out_at=NOW - dt.timedelta(days=3))
    response = create(staff, SEED_BODY)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This patient has opted out of messages. No campaign can be started."
    }
    assert not Campaign.objects.exists()


def test_it_refuses_a_channel_the_patient_on_file_has_no_address_for(staff):
    patient(email="new.lead@email.com", phone="")
    response = create(staff, SEED_BODY | {"patient_phone": "+12125550123", "channel": "sms"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The patient on file has no SMS address; add it to the patient's record or "
        "choose another channel."
    }
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"patient_email": None},
        {"patient_email": ""},
        {"patient_email": "not-an-email"},
        {"patient_phone": "12"},
        {"channel": "sms"},
        {"channel": "whatsapp"},
        {"channel": "email", "patient_email": None, "patient_phone": "+12125550123"},
        {"channel": "pigeon"},
        {"patient_name": "   "},
        {"patient_name": None},
        {"estimated_value": -1},
        {"estimated_value": "12.345"},
        {"estimated_value": "lots"},
    ],
)
def test_it_refuses_bad_recovery_input(staff, changes):
    body = {key: value for key, value in (SEED_BODY | changes).items() if value is not None}
    response = create(staff, body)
    assert response.status_code == 422
    assert response.json()["detail"] == "Some fields are missing or invalid."
    assert response.json()["errors"]
    assert not Campaign.objects.exists()
    assert not Patient.objects.exists()


# --- Details ----------------------------------------------------------------------------------


@pytest.fixture
def conversation(front_desk):
    """A handed-off email campaign: the AI wrote, the patient answered, Bob replied."""
    item = campaign(
        patient(),
        S.HANDOFF_REQUIRED,
        thread_id="18c2f0a1b2c3d4e5",
        engagement_summary="Patient asking complex insurance questions.",
        attempts_made=1,
        booking_status="FORM_SENT",
        booking_link="https://clinic.example/book/?token=abc",
        handoff_details={"summary": "PPO coverage", "reason": "Insurance"},
        estimated_value=Decimal("1200.00"),
        created_at=NOW - dt.timedelta(days=2),
    )
    messages = [
        ("outgoing", "Hi John...", None, {}, DeliveryStatus.SENT, NOW - dt.timedelta(days=2)),
        (
            "incoming",
            "Actually, my insurance is complicated...",
            None,
            {"intent": "QUESTION", "sentiment": "NEUTRAL"},
            DeliveryStatus.RECEIVED,
            NOW - dt.timedelta(hours=3),
        ),
        (
            "outgoing",
            "Hi John, this is Bob.",
            front_desk,
            {},
            DeliveryStatus.FAILED,
            NOW - dt.timedelta(hours=1),
        ),
    ]
    # Stored newest first, so the order of the answer comes from the timestamps.
    ids = []
    for direction, content, author, analysis, delivery, when in reversed(messages):
        ids.append(
            Interaction.objects.create(
                campaign=item,
                direction=direction,
                content=content,
                author=author,
                ai_analysis=analysis,
                channel_type=Channel.EMAIL,
                delivery_status=delivery,
                error="Mailbox full." if delivery == DeliveryStatus.FAILED else "",
                timestamp=when,
            ).pk
        )
    return item, list(reversed(ids))


def test_it_shows_a_campaign_with_its_whole_conversation(staff, conversation):
    item, (first, second, third) = conversation

    response = staff.get(f"/api/v1/admin/campaigns/{item.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "campaign_details": {
            "campaign_id": item.pk,
            "patient_id": item.patient_id,
            "patient_name": "John Doe",
            "patient_first_name": "John",
            "campaign_type": "RECOVERY",
            "status": "HANDOFF_REQUIRED",
            "is_active": True,
            "channel": {"type": "email", "thread_id": "18c2f0a1b2c3d4e5"},
            "engagement_summary": "Patient asking complex insurance questions.",
            "follow_up_details": {"attempts_made": 1, "max_attempts": 3, "next_attempt_at": None},
            "booking_funnel": {
                "status": "FORM_SENT",
                "link_url": "https://clinic.example/book/?token=abc",
                "submitted_at": None,
            },
            "handoff_details": {"summary": "PPO coverage", "reason": "Insurance"},
            "estimated_value": 1200.0,
            "recall_due_date": None,
            "patient_opted_out": False,
            "allowed_transitions": [
                "RE_ENGAGED",
                "BOOKING_INITIATED",
                "RECOVERED",
                "RECOVERY_DECLINED",
                "MANUAL_FOLLOWUP_COMPLETE",
            ],
            "created_at": "2025-08-18T14:00:00Z",
            "updated_at": "2025-08-20T14:00:00Z",
        },
        "conversation_history": [
            {
                "interaction_id": first,
                "direction": "outgoing",
                "content": "Hi John...",
                "timestamp": "2025-08-18T14:00:00Z",
                "sender": "ai",
                "author_name": None,
                "delivery_status": "sent",
                "error": "",
                "ai_analysis": {},
            },
            {
                "interaction_id": second,
                "direction": "incoming",
                "content": "Actually, my insurance is complicated...",
                "timestamp": "2025-08-20T11:00:00Z",
                "sender": "patient",
                "author_name": None,
                "delivery_status": "received",
                "error": "",
                "ai_analysis": {"intent": "QUESTION", "sentiment": "NEUTRAL"},
            },
            {
                "interaction_id": third,
                "direction": "outgoing",
                "content": "Hi John, this is Bob.",
                "timestamp": "2025-08-20T13:00:00Z",
                "sender": "staff",
                "author_name": "Bob Desk",
                "delivery_status": "failed",
                "error": "Mailbox full.",
                "ai_analysis": {},
            },
        ],
    }


def test_it_shows_a_recall_and_an_opt_out(staff):
    item = campaign(
        patient(opted_out_at=NOW),
        S.RECOVERED,
        campaign_type=CampaignType.RECALL,
        recall_due_date=dt.date(2025, 9, 1),
    )
    details = staff.get(f"/api/v1/admin/campaigns/{item.pk}").json()["campaign_details"]
    assert (details["campaign_type"], details["recall_due_date"]) == ("RECALL", "2025-09-01")
    assert (details["is_active"], details["patient_opted_out"]) == (False, True)
    assert details["allowed_transitions"] == []


def test_it_reads_a_campaign_in_a_fixed_number_of_queries(staff, conversation, front_desk):
    item, _ = conversation
    with CaptureQueriesContext(connection) as before:
        staff.get(f"/api/v1/admin/campaigns/{item.pk}")
    for index in range(4):
        Interaction.objects.create(
            campaign=item,
            direction=Direction.OUTGOING,
            content=f"Note {index}",
            author=front_desk,
            channel_type=Channel.EMAIL,
            delivery_status=DeliveryStatus.SENT,
        )
    with CaptureQueriesContext(connection) as after:
        staff.get(f"/api/v1/admin/campaigns/{item.pk}")
    assert len(after.captured_queries) == len(before.captured_queries)


@pytest.mark.parametrize("campaign_id", [UNKNOWN_ID, *MALFORMED_IDS])
def test_it_answers_404_for_an_unknown_or_malformed_campaign_id(staff, campaign_id):
    response = staff.get(f"/api/v1/admin/campaigns/{campaign_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Campaign not found."}


# --- Respond ----------------------------------------------------------------------------------


def respond(client, item, body):
    return client.post(f"/api/v1/admin/campaigns/{item.pk}/respond", body, content_type=JSON)


REPLY = "Hi John, this is Sarah from the front desk. I can help with your insurance question..."


def test_it_sends_a_staff_reply_and_applies_the_new_status(staff, manager):
    item = campaign(status=S.HANDOFF_REQUIRED, channel_type=Channel.SMS, thread_id="+12125550123")

    response = respond(staff, item, {"message": REPLY, "new_status": "RE_ENGAGED"})

    assert response.status_code == 200
    reply = Interaction.objects.get()
    assert response.json() == {
        "message": "Response sent successfully.",
        "interaction_id": reply.pk,
        "delivery_status": "sent",
        "campaign_status": "RE_ENGAGED",
    }
    sent = OutboxMessage.objects.get()
    assert (sent.channel, sent.to, sent.body, sent.thread_id) == (
        "sms",
        "+12125550123",
        REPLY,
        "+12125550123",
    )
    assert sent.interaction_id == reply.pk
    assert (reply.direction, reply.content, reply.author, reply.channel_type) == (
        Direction.OUTGOING,
        REPLY,
        manager,
        Channel.SMS,
    )
    assert (reply.delivery_status, reply.external_id, reply.error) == (
        DeliveryStatus.SENT,
        f"outbox-{sent.pk}",
        "",
    )
    item.refresh_from_db()
    assert (item.status, item.is_active) == (S.RE_ENGAGED, True)
    assert audits("campaign_respond") == [
        {
            "actor_id": manager.pk,
            "object_id": item.pk,
            "details": {
                "interaction_id": reply.pk,
                "delivery_status": "sent",
                "from": "HANDOFF_REQUIRED",
                "to": "RE_ENGAGED",
            },
        }
    ]


def test_a_first_email_reply_starts_the_campaigns_thread(staff):
    item = campaign(status=S.HANDOFF_REQUIRED, thread_id="")
    response = respond(staff, item, {"message": REPLY})
    assert response.json()["campaign_status"] == "HANDOFF_REQUIRED"
    sent = OutboxMessage.objects.get()
    assert (sent.to, sent.subject) == ("john@example.com", "A message from Bright Smile Dental")
    item.refresh_from_db()
    assert item.thread_id == f"outbox-thread-{sent.pk}"
    assert item.status == S.HANDOFF_REQUIRED


def test_a_reply_is_activity_that_moves_the_campaign_up_the_list(staff, time_machine):
    item = campaign(status=S.HANDOFF_REQUIRED)
    time_machine.move_to(NOW + dt.timedelta(minutes=5), tick=False)
    respond(staff, item, {"message": REPLY})
    item.refresh_from_db()
    assert item.updated_at == NOW + dt.timedelta(minutes=5)


def test_asking_for_the_current_status_changes_nothing(staff):
    item = campaign(status=S.HANDOFF_REQUIRED)
    response = respond(staff, item, {"message": REPLY, "new_status": "HANDOFF_REQUIRED"})
    assert response.status_code == 200
    assert response.json()["campaign_status"] == "HANDOFF_REQUIRED"


def test_it_refuses_an_illegal_new_status_before_sending_anything(staff):
    item = campaign(status=S.RECOVERED)
    response = respond(staff, item, {"message": REPLY, "new_status": "RE_ENGAGED"})
    assert response.status_code == 409
    assert response.json() == {"detail": "A campaign cannot go from RECOVERED to RE_ENGAGED."}
    assert not Interaction.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_to_reopen_by_reply_while_another_campaign_is_active(staff):
    owner = patient()
    closed = campaign(owner, S.RECOVERY_FAILED)
    campaign(owner, S.ATTEMPTING_RECOVERY, campaign_type=CampaignType.RECALL)
    response = respond(staff, closed, {"message": REPLY, "new_status": "RE_ENGAGED"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This patient already has an active campaign. Close it before re-opening "
        "this one."
    }
    assert not Interaction.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_it_refuses_to_message_a_patient_who_opted_out(staff):
    item = campaign(patient(opted_out_at=NOW - dt.timedelta(days=1)), S.RECOVERY_DECLINED)
    response = respond(staff, item, {"message": REPLY})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This patient has opted out of messages. Nothing was sent."
    }
    assert not Interaction.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_it_records_the_reply_when_the_send_fails_and_keeps_the_status(staff, settings, manager):
    settings.MESSAGING_BACKENDS = {
        "email": "tests.test_api_campaigns.FailingBackend",
        "sms": "tests.test_api_campaigns.FailingBackend",
        "whatsapp": "tests.test_api_campaigns.FailingBackend",
    }
    item = campaign(status=S.HANDOFF_REQUIRED)

    response = respond(staff, item, {"message": REPLY, "new_status": "RE_ENGAGED"})

    assert response.status_code == 200
    reply = Interaction.objects.get()
    assert response.json() == {
        "message": "The response was recorded but could not be sent: The mail server refused "
        "the connection. The status was left at HANDOFF_REQUIRED.",
        "interaction_id": reply.pk,
        "delivery_status": "failed",
        "campaign_status": "HANDOFF_REQUIRED",
    }
    assert (reply.content, reply.author, reply.delivery_status, reply.error) == (
        REPLY,
        manager,
        DeliveryStatus.FAILED,
        "The mail server refused the connection.",
    )
    assert not OutboxMessage.objects.exists()
    item.refresh_from_db()
    assert item.status == S.HANDOFF_REQUIRED
    assert audits("campaign_respond")[0]["details"]["delivery_status"] == "failed"


def test_a_reply_that_cannot_go_out_yet_is_queued_for_a_retry_and_keeps_the_status(staff, settings):
    settings.MESSAGING_BACKENDS = {"email": "tests.test_api_campaigns.FlakyBackend"}
    item = campaign(status=S.HANDOFF_REQUIRED)

    response = respond(staff, item, {"message": REPLY, "new_status": "RE_ENGAGED"})

    assert response.status_code == 200
    assert response.json()["delivery_status"] == "queued"
    assert response.json()["message"].startswith(
        "The response was recorded but could not be sent yet; it will be retried: "
        "The mail server timed out."
    )
    assert response.json()["campaign_status"] == "HANDOFF_REQUIRED"
    reply = Interaction.objects.get()
    assert reply.delivery_status == DeliveryStatus.QUEUED
    assert reply.error.startswith("The mail server timed out.")
    item.refresh_from_db()
    assert item.status == S.HANDOFF_REQUIRED


def test_it_records_the_reply_when_the_backend_crashes(staff, settings):
    settings.MESSAGING_BACKENDS = {"email": "tests.test_api_campaigns.CrashingBackend"}
    item = campaign(status=S.HANDOFF_REQUIRED)
    response = respond(staff, item, {"message": REPLY})
    assert response.status_code == 200
    assert response.json()["message"] == (
        "The response was recorded but could not be sent: Unexpected error while sending."
    )
    reply = Interaction.objects.get()
    assert (reply.delivery_status, reply.error) == (
        DeliveryStatus.FAILED,
        "Unexpected error while sending.",
    )


def test_a_whatsapp_reply_the_patient_cannot_get_there_goes_by_email(staff):
    item = campaign(patient(phone=""), S.HANDOFF_REQUIRED, channel_type=Channel.WHATSAPP)

    response = respond(staff, item, {"message": REPLY})

    assert response.json()["delivery_status"] == "sent"
    recorded = Interaction.objects.get()
    assert recorded.channel_type == Channel.EMAIL and recorded.campaign == item
    assert OutboxMessage.objects.get().to == "john@example.com"


def test_a_reply_no_channel_can_carry_is_refused_with_the_reason(staff):
    item = campaign(patient(email="", phone=""), S.HANDOFF_REQUIRED, channel_type=Channel.WHATSAPP)
    response = respond(staff, item, {"message": REPLY})
    assert response.status_code == 409
    assert response.json()["detail"] == "Nothing was sent: No mobile phone on file."
    assert not Interaction.objects.exists()


def test_a_reply_longer_than_its_channel_takes_is_refused_never_cut(staff):
    item = campaign(status=S.HANDOFF_REQUIRED, channel_type=Channel.SMS)
    response = respond(staff, item, {"message": "x" * 1601})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The message is 1,601 characters; SMS takes at most 1,600. Shorten it or send it by "
        "email: nothing was sent."
    )
    assert not Interaction.objects.exists()
    # The same words go by email when the reply asks for it.
    email = respond(staff, item, {"message": "x" * 1601, "channel": "email"})
    assert email.status_code == 200 and Interaction.objects.get().channel_type == Channel.EMAIL


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": ""},
        {"message": "   "},
        {"message": "x" * 20001},
        {"message": "\u0000"},
        {"message": REPLY, "new_status": "DONE"},
    ],
)
def test_it_refuses_bad_replies(staff, body):
    item = campaign(status=S.HANDOFF_REQUIRED)
    response = respond(staff, item, body)
    assert response.status_code == 422
    assert not Interaction.objects.exists()


def test_it_accepts_a_reply_of_exactly_1600_characters(staff):
    item = campaign(status=S.HANDOFF_REQUIRED)
    assert respond(staff, item, {"message": "x" * 1600}).status_code == 200


@pytest.mark.parametrize("campaign_id", [UNKNOWN_ID, *MALFORMED_IDS])
def test_it_answers_404_when_responding_to_an_unknown_campaign(staff, campaign_id):
    response = staff.post(
        f"/api/v1/admin/campaigns/{campaign_id}/respond", {"message": REPLY}, content_type=JSON
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Campaign not found."}


# --- Status -----------------------------------------------------------------------------------


def set_status(client, item, status):
    return client.patch(
        f"/api/v1/admin/campaigns/{item.pk}/status", {"status": status}, content_type=JSON
    )


def test_it_clears_a_handoff_and_returns_the_campaign(staff, manager, conversation):
    item, ids = conversation

    response = set_status(staff, item, "MANUAL_FOLLOWUP_COMPLETE")

    assert response.status_code == 200
    body = response.json()
    assert body["campaign_details"]["campaign_id"] == item.pk
    assert body["campaign_details"]["status"] == "MANUAL_FOLLOWUP_COMPLETE"
    assert body["campaign_details"]["is_active"] is False
    assert body["campaign_details"]["allowed_transitions"] == ["RE_ENGAGED"]
    assert [m["interaction_id"] for m in body["conversation_history"]] == ids
    item.refresh_from_db()
    assert (item.status, item.is_active) == (S.MANUAL_FOLLOWUP_COMPLETE, False)
    assert audits("campaign_set_status") == [
        {
            "actor_id": manager.pk,
            "object_id": item.pk,
            "details": {"from": "HANDOFF_REQUIRED", "to": "MANUAL_FOLLOWUP_COMPLETE"},
        }
    ]
    # Out of the handoff queue.
    assert listed(staff, {"status": "HANDOFF_REQUIRED"}) == []


def test_it_hands_a_campaign_back_to_the_ai(staff):
    item = campaign(status=S.HANDOFF_REQUIRED)
    assert set_status(staff, item, "RE_ENGAGED").status_code == 200
    item.refresh_from_db()
    assert (item.status, item.is_active) == (S.RE_ENGAGED, True)


def test_it_refuses_an_illegal_status_change(staff):
    item = campaign(status=S.RECOVERED)
    response = set_status(staff, item, "HANDOFF_REQUIRED")
    assert response.status_code == 409
    assert response.json() == {"detail": "A campaign cannot go from RECOVERED to HANDOFF_REQUIRED."}
    item.refresh_from_db()
    assert item.status == S.RECOVERED
    assert not AuditEntry.objects.exists()


def test_it_refuses_to_reopen_a_campaign_while_another_is_active(staff):
    owner = patient()
    closed = campaign(owner, S.RECOVERY_FAILED)
    campaign(owner, S.ATTEMPTING_RECOVERY, campaign_type=CampaignType.RECALL)
    response = set_status(staff, closed, "RE_ENGAGED")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This patient already has an active campaign. Close it before re-opening "
        "this one."
    }
    closed.refresh_from_db()
    assert closed.status == S.RECOVERY_FAILED


def test_it_refuses_a_change_when_the_status_moved_meanwhile(db, manager):
    item = campaign(status=S.HANDOFF_REQUIRED)
    stale = Campaign.objects.get(pk=item.pk)
    Campaign.objects.filter(pk=item.pk).update(status=S.RECOVERED, is_active=False)
    with pytest.raises(Conflict, match="changed while this request"):
        services.campaign_set_status(actor=manager, campaign=stale, status=S.RE_ENGAGED)
    assert Campaign.objects.filter(pk=item.pk, status=S.RECOVERED).exists()


def test_setting_the_current_status_changes_nothing(staff):
    item = campaign(status=S.HANDOFF_REQUIRED)
    before = Campaign.objects.values("updated_at").get(pk=item.pk)
    assert set_status(staff, item, "HANDOFF_REQUIRED").status_code == 200
    assert Campaign.objects.values("updated_at").get(pk=item.pk) == before


@pytest.mark.parametrize("body", [{}, {"status": "DONE"}, {"status": None}])
def test_it_refuses_an_unknown_status(staff, body):
    item = campaign(status=S.HANDOFF_REQUIRED)
    response = staff.patch(f"/api/v1/admin/campaigns/{item.pk}/status", body, content_type=JSON)
    assert response.status_code == 422


@pytest.mark.parametrize("campaign_id", [UNKNOWN_ID, *MALFORMED_IDS])
def test_it_answers_404_when_changing_an_unknown_campaign(staff, campaign_id):
    response = staff.patch(
        f"/api/v1/admin/campaigns/{campaign_id}/status", {"status": "RE_ENGAGED"}, content_type=JSON
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Campaign not found."}


# --- Documentation ----------------------------------------------------------------------------

OPERATIONS = {
    ("/api/v1/admin/dashboard-stats", "get"): {"200", "401", "403"},
    ("/api/v1/admin/campaigns", "get"): {"200", "401", "403", "422"},
    ("/api/v1/admin/campaigns/recovery", "post"): {"201", "401", "403", "409", "422"},
    ("/api/v1/admin/campaigns/{campaign_id}", "get"): {"200", "401", "403", "404"},
    ("/api/v1/admin/campaigns/{campaign_id}/respond", "post"): {
        "200",
        "401",
        "403",
        "404",
        "409",
        "422",
    },
    ("/api/v1/admin/campaigns/{campaign_id}/status", "patch"): {
        "200",
        "401",
        "403",
        "404",
        "409",
        "422",
    },
    ("/api/v1/admin/interactions/{campaign_id}", "get"): {"200", "401", "403", "404"},
    ("/api/v1/admin/interactions", "post"): {"201", "401", "403", "404", "422"},
}


def test_the_openapi_docs_describe_every_operation_its_auth_and_its_errors(db):
    schema = Client().get("/api/v1/openapi.json").json()
    for (path, method), statuses in OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert operation["summary"], path
        assert len(operation["description"]) > 80, path
        assert set(operation["responses"]) == statuses, path
        assert operation["security"] == [{"JWTAuth": []}], path
    components = schema["components"]["schemas"]
    assert components["CampaignRecoveryIn"]["examples"][0] == SEED_BODY
    assert components["DashboardStatsOut"]["examples"][0]["kpis"] == {
        "appointments_booked_month": 12,
        "handoffs_requiring_action": 3,
        "active_recovery_campaigns": 45,
    }
