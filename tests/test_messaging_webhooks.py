"""The webhooks: Gmail push (OIDC or URL token), the generic incoming message (HMAC), Twilio
(RequestValidator). Each refuses what is not authentic, stores an event once per provider id,
queues its processing and answers at once; processing ends in the right campaign with the
agent's answer sent through the configured backend."""

import hashlib
import hmac
import json
import time

import pytest
from django.db import connection
from django.test import Client
from django_q.models import OrmQ
from twilio.request_validator import RequestValidator

from agent.services import agent_run_proactive
from campaigns.choices import CampaignStatus, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from messaging.api import EMPTY_TWIML
from messaging.choices import WebhookSource, WebhookStatus
from messaging.events import NOT_TAKEN, webhook_event_process, webhook_events_drain
from messaging.ingest import webhook_event_store
from messaging.models import GmailMailbox, OutboxMessage, WebhookEvent
from messaging.tasks import drain_webhook_events
from patients.optout import CANCELLED_QUEUED
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    agent_environment,
    booking_links,
    incoming,
    make_campaign,
    make_patient,
    outgoing,
    sent_messages,
)
from tests.concurrency import after_query, statement
from tests.messaging_fixtures import (  # noqa: F401 - fixtures
    AUTH_TOKEN,
    PUSH_SERVICE_ACCOUNT,
    PUSH_TOKEN,
    WEBHOOK_SECRET,
    _rsa_key_and_cert,
    eml,
    gmail_mock,
    google_keys_fixture,
    messaging_environment,
    ok,
    push_body,
    q_async_fixture,
    q_sync_fixture,
    raw_message,
)

pytestmark = pytest.mark.django_db

GMAIL = "/api/v1/webhooks/gmail"
INCOMING = "/api/v1/webhooks/incoming-message"
TWILIO = "/api/v1/webhooks/twilio"
JSON = "application/json"
PHONE = "+15185550123"


def queued_tasks() -> int:
    return OrmQ.objects.count()


# --- Gmail push: authentication -------------------------------------------------------------------


def push(client: Client, body, *, token: str | None = None, bearer: str | None = None):
    url = GMAIL + (f"?token={token}" if token is not None else "")
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type=JSON, headers=headers)


def test_a_push_with_googles_oidc_token_is_stored_and_queued(client, google_keys, q_async):
    response = push(client, push_body("111"), bearer=google_keys.token())

    assert response.status_code == 204
    assert response.content == b""
    event = WebhookEvent.objects.get()
    assert (event.source, event.event_id, event.status) == (
        WebhookSource.GMAIL,
        "111",
        WebhookStatus.RECEIVED,
    )
    assert event.payload == push_body("111")
    assert queued_tasks() == 1


def test_a_push_with_the_secret_url_token_is_accepted(client, q_async):
    assert push(client, push_body("112"), token=PUSH_TOKEN).status_code == 204
    assert WebhookEvent.objects.filter(event_id="112").exists()


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://attacker.example/webhook"},
        {"email": "someone-else@clinic-project.iam.gserviceaccount.com"},
        {"email_verified": False},
        {"iat": 1_600_000_000, "exp": 1_600_003_600},
        {"iss": "https://evil.example.com"},
    ],
    ids=["wrong-audience", "wrong-service-account", "email-unverified", "expired", "issuer"],
)
def test_a_push_token_with_a_wrong_claim_is_refused(client, google_keys, q_async, claims):
    response = push(client, push_body(), bearer=google_keys.token(**claims))

    assert response.status_code == 401
    assert response.json() == {"detail": "The request is not authenticated."}
    assert not WebhookEvent.objects.exists()
    assert queued_tasks() == 0


def test_a_push_token_signed_by_another_key_is_refused(client, google_keys, q_async):
    # Google publishes a different certificate under the key id the token names.
    google_keys.certs["test-key-1"] = _rsa_key_and_cert()[1]

    assert push(client, push_body(), bearer=google_keys.token()).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_push_token_naming_an_unknown_key_is_refused(client, google_keys, q_async):
    google_keys.certs["another-key"] = google_keys.certs.pop("test-key-1")

    assert push(client, push_body(), bearer=google_keys.token()).status_code == 401


@pytest.mark.parametrize(
    ("token", "bearer"),
    [(None, None), ("wrong-secret", None), ("", None), (None, "not-a-jwt"), (None, "")],
    ids=["nothing", "wrong-url-token", "empty-url-token", "garbage-bearer", "empty-bearer"],
)
def test_a_push_without_valid_credentials_is_refused(client, google_keys, token, bearer):
    assert push(client, push_body(), token=token, bearer=bearer).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_oidc_is_refused_when_the_audience_is_not_configured(
    settings, client, google_keys, q_async
):
    settings.PUBSUB_AUDIENCE = ""

    assert push(client, push_body(), bearer=google_keys.token()).status_code == 401


def test_the_url_token_is_refused_when_none_is_configured(settings, client):
    settings.PUBSUB_VERIFICATION_TOKEN = ""

    assert push(client, push_body(), token="").status_code == 401


def test_googles_certificates_are_fetched_once_for_many_pushes(client, google_keys, q_async):
    for n in range(3):
        assert push(client, push_body(f"m{n}"), bearer=google_keys.token()).status_code == 204

    assert google_keys.fetches == ["https://www.googleapis.com/oauth2/v1/certs"]


# --- Gmail push: the body -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        {"subscription": "x"},
        {"message": {"data": "e30="}},
        {"message": {"messageId": "1", "data": "%%%not base64%%%"}},
        {"message": {"messageId": "1", "data": "bm90IGpzb24="}},
        {"message": {"messageId": "1", "data": "eyJlbWFpbEFkZHJlc3MiOiAiYUBiLmMifQ=="}},
    ],
    ids=[
        "not-json",
        "a-list",
        "no-message",
        "no-message-id",
        "data-not-base64",
        "data-not-json",
        "no-history-id",
    ],
)
def test_a_malformed_push_is_a_400_and_stores_nothing(client, body, q_async):
    response = push(client, body, token=PUSH_TOKEN)

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert not WebhookEvent.objects.exists()


def test_a_malformed_push_without_credentials_is_a_401(client):
    assert push(client, "not json").status_code == 401


def test_the_same_pubsub_message_delivered_five_times_is_processed_once(client, q_async):
    campaign = make_campaign(channel=Channel.EMAIL)
    Campaign.objects.filter(pk=campaign.pk).update(thread_id="18f0a1")
    GmailMailbox.objects.create(
        email_address="frontdesk@brightsmile.example", last_history_id="1000"
    )

    answers = [push(client, push_body("777", history_id=1010), token=PUSH_TOKEN) for _ in range(5)]

    assert [r.status_code for r in answers] == [204] * 5
    event = WebhookEvent.objects.get()
    assert queued_tasks() == 1
    service, http = gmail_mock(
        ok(
            {
                "history": [
                    {
                        "id": "1005",
                        "messagesAdded": [
                            {"message": {"id": "m1", "threadId": "18f0a1", "labelIds": ["INBOX"]}}
                        ],
                    }
                ],
                "historyId": "1010",
            }
        ),
        raw_message("m1", "18f0a1", eml("gmail_reply_multipart")),
    )
    assert webhook_event_process(event_id=event.pk, service=service) == WebhookStatus.PROCESSED
    assert webhook_event_process(event_id=event.pk, service=service) == NOT_TAKEN

    assert len(http.request_sequence) == 2
    (reply,) = incoming(campaign)
    assert reply.external_id == "m1"
    assert len(outgoing(campaign)) == 1
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED
    assert event.processed_at is not None


# --- Generic incoming message (HMAC) --------------------------------------------------------------


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def generic(client: Client, payload, *, signature: str | None = "auto"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature == "auto":
        headers["X-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Signature-256"] = signature
    return client.post(INCOMING, body, content_type=JSON, headers=headers)


def message(text: str = "yes please!", message_id: str = "ext-1", **fields) -> dict:
    return {
        "channel": "sms",
        "thread_id": PHONE,
        "message_content": text,
        "message_id": message_id,
        **fields,
    }


def test_a_signed_message_ends_in_its_campaign_with_the_agents_answer_sent(client, q_sync):
    campaign = make_campaign()

    response = generic(client, message("yes please!", "ext-1"))

    assert response.status_code == 204
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED
    (received,) = incoming(campaign)
    assert (received.content, received.external_id) == ("yes please!", "ext-1")
    (answer,) = sent_messages(campaign)
    assert answer.to == PHONE
    assert campaign.booking_link in answer.body
    assert WebhookEvent.objects.get().status == WebhookStatus.PROCESSED


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha256=" + "0" * 64, "sha1=abc", "auto-other-secret"],
    ids=["missing", "empty", "no-digest", "wrong-digest", "wrong-scheme", "other-secret"],
)
def test_a_message_without_the_right_signature_is_refused(client, q_sync, signature):
    campaign = make_campaign()
    body = json.dumps(message()).encode()
    if signature == "auto-other-secret":
        signature = sign(body, "not-the-secret")

    response = generic(client, body, signature=signature)

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert not incoming(campaign)


def test_a_signature_over_another_body_is_refused(client, q_sync):
    make_campaign()
    signature = sign(json.dumps(message("yes")).encode())

    response = generic(client, message("STOP"), signature=signature)

    assert response.status_code == 401


def test_every_message_is_refused_while_no_secret_is_configured(settings, client):
    settings.INCOMING_WEBHOOK_SECRET = ""

    assert generic(client, message(), signature=sign(b"{}", "")).status_code == 401


def test_a_signed_body_that_is_not_json_is_a_400(client):
    response = generic(client, b"channel=sms")

    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}


@pytest.mark.parametrize(
    "payload",
    [
        {"thread_id": PHONE, "message_content": "hi", "message_id": "1"},
        message(channel="fax"),
        message(message_id=""),
        message(text=""),
    ],
    ids=["no-channel", "unknown-channel", "empty-id", "empty-text"],
)
def test_a_signed_message_with_invalid_fields_is_a_422(client, payload):
    response = generic(client, payload)

    assert response.status_code == 422
    assert response.json()["detail"] == "Some fields are missing or invalid."
    assert response.json()["errors"][0]["loc"][0] == "body"
    assert not WebhookEvent.objects.exists()


def test_a_repeated_message_id_is_acknowledged_and_processed_once(client, q_sync):
    campaign = make_campaign()

    answers = [generic(client, message("yes please!", "dup-1")) for _ in range(3)]

    assert [r.status_code for r in answers] == [204] * 3
    assert WebhookEvent.objects.count() == 1
    assert len(incoming(campaign)) == 1
    assert len(sent_messages(campaign)) == 1


def test_the_number_may_be_written_any_way(client, q_sync):
    campaign = make_campaign()

    generic(client, message(thread_id="(518) 555-0123"))

    assert len(incoming(campaign)) == 1


def test_a_message_on_an_unknown_thread_is_kept_for_staff(client, q_sync):
    response = generic(client, message(thread_id="+12125550199"))

    assert response.status_code == 204
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.UNMATCHED
    assert event.payload["message_content"] == "yes please!"
    assert not Interaction.objects.exists()
    assert not OutboxMessage.objects.exists()


# --- Twilio ---------------------------------------------------------------------------------------


def twilio_form(body: str = "yes please!", sid: str = "SM" + "01" * 16, **extra) -> dict:
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "0123456789abcdef" * 2,
        "From": PHONE,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def twilio_post(client: Client, form: dict, *, signature: str | None = None, url: str = ""):
    url = url or f"http://testserver{TWILIO}"
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    return client.post(TWILIO, form, headers={"X-Twilio-Signature": signature} if signature else {})


def test_a_signed_twilio_post_is_answered_with_empty_twiml(client, q_async):
    response = twilio_post(client, twilio_form())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == EMPTY_TWIML
    assert EMPTY_TWIML.endswith("<Response />")
    assert WebhookEvent.objects.get().event_id == "SM" + "01" * 16
    assert queued_tasks() == 1


def test_a_twilio_post_without_a_signature_is_refused(client, q_async):
    assert twilio_post(client, twilio_form(), signature="").status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_twilio_post_with_a_forged_signature_is_refused(client, q_async):
    assert (
        twilio_post(client, twilio_form(), signature="bm90IHRoZSBzaWduYXR1cmU=").status_code == 401
    )


def test_a_twilio_post_with_a_tampered_body_is_refused(client, q_async):
    url = f"http://testserver{TWILIO}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, twilio_form("yes"))

    response = twilio_post(client, twilio_form("STOP"), signature=signature)

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_signature_made_with_another_auth_token_is_refused(client, q_async):
    url = f"http://testserver{TWILIO}"
    signature = RequestValidator("another-token").compute_signature(url, twilio_form())

    assert twilio_post(client, twilio_form(), signature=signature).status_code == 401


def test_behind_a_proxy_the_public_url_twilio_signed_is_rebuilt(settings, client, q_async):
    public = f"https://clinic.example.com{TWILIO}"
    form = twilio_form()

    assert twilio_post(client, form, url=public).status_code == 401
    settings.WEBHOOK_PUBLIC_URL = "https://clinic.example.com"
    assert twilio_post(client, form, url=public).status_code == 200


def test_a_signed_post_without_a_message_sid_is_a_400(client):
    form = twilio_form()
    del form["MessageSid"], form["SmsMessageSid"]

    assert twilio_post(client, form).status_code == 400


def test_an_sms_reply_reaches_the_agent_and_its_answer_goes_back_by_sms(client, q_sync):
    campaign = make_campaign()

    twilio_post(client, twilio_form("yes please!"))

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED
    (received,) = incoming(campaign)
    assert received.external_id == "SM" + "01" * 16
    (answer,) = sent_messages(campaign)
    assert (answer.channel, answer.to) == ("sms", PHONE)


def test_a_signed_sms_with_control_characters_is_kept_without_them(client, q_sync, caplog):
    campaign = make_campaign()

    response = twilio_post(client, twilio_form("yes\x00 please\x07!"))

    assert response.status_code == 200
    (received,) = incoming(campaign)
    assert received.content == "yes please!"
    assert WebhookEvent.objects.get().payload["Body"] == "yes please!"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED
    assert PHONE not in caplog.text and "please" not in caplog.text


def test_a_redelivered_twilio_message_is_processed_once(client, q_sync):
    campaign = make_campaign()

    for _ in range(3):
        assert twilio_post(client, twilio_form("yes please!")).status_code == 200

    assert len(incoming(campaign)) == 1
    assert len(sent_messages(campaign)) == 1


def test_a_whatsapp_reply_is_matched_by_its_whatsapp_number(client, q_sync):
    campaign = make_campaign(channel=Channel.WHATSAPP)
    Campaign.objects.filter(pk=campaign.pk).update(thread_id=f"whatsapp:{PHONE}")

    twilio_post(client, twilio_form("yes please!", From=f"whatsapp:{PHONE}"))

    (answer,) = sent_messages(campaign)
    assert (answer.channel, answer.to) == ("whatsapp", f"whatsapp:{PHONE}")


def test_a_reply_goes_to_the_patients_active_campaign_else_the_most_recent(client, q_sync):
    patient = make_patient()
    old = make_campaign(patient, status=CampaignStatus.RECOVERY_FAILED)
    active = make_campaign(patient)
    newer_closed = make_campaign(patient, status=CampaignStatus.RECOVERY_FAILED)

    twilio_post(client, twilio_form("yes please!", sid="SM" + "0a" * 16))
    assert [len(incoming(c)) for c in (old, active, newer_closed)] == [0, 1, 0]

    Campaign.objects.filter(pk=active.pk).update(
        status=CampaignStatus.MANUAL_FOLLOWUP_COMPLETE, is_active=False
    )
    twilio_post(client, twilio_form("one more question", sid="SM" + "0b" * 16))
    assert [len(incoming(c)) for c in (old, active, newer_closed)] == [0, 1, 1]


def test_a_text_from_an_unknown_number_is_kept_for_staff(client, q_sync):
    twilio_post(client, twilio_form("hello?", From="+12125550199"))

    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.UNMATCHED
    assert event.payload["Body"] == "hello?"
    assert not OutboxMessage.objects.exists()


# --- Opt-out by reply -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["stop", "Stop.", "STOP thank you", "unsubscribe"])
def test_stop_in_any_form_opts_out_cancels_what_is_queued_and_confirms_once(client, q_sync, text):
    campaign = make_campaign()
    pending = Interaction.objects.create(
        campaign=campaign,
        direction=Direction.OUTGOING,
        content="A follow-up waiting for its retry",
        channel_type=Channel.SMS,
        delivery_status=DeliveryStatus.QUEUED,
    )

    twilio_post(client, twilio_form(text, sid="SM" + "a1" * 16))

    campaign.refresh_from_db()
    campaign.patient.refresh_from_db()
    pending.refresh_from_db()
    assert campaign.patient.is_opted_out
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED
    assert (pending.delivery_status, pending.error) == (DeliveryStatus.FAILED, CANCELLED_QUEUED)
    (confirmation,) = sent_messages(campaign)
    assert "unsubscribed" in confirmation.body.lower()

    # Nothing further: not a reply to another message, not the next follow-up.
    twilio_post(client, twilio_form("why did you stop?", sid="SM" + "a2" * 16))
    agent_run_proactive(campaign_id=campaign.pk)
    assert len(sent_messages(campaign)) == 1
    assert len(incoming(campaign)) == 2  # still recorded


def test_twilios_own_opt_out_is_honoured_without_a_second_confirmation(client, q_sync):
    campaign = make_campaign()

    # Twilio's Advanced Opt-Out recognised a keyword of its own and confirmed it already.
    twilio_post(client, twilio_form("ARRET", OptOutType="STOP"))

    campaign.patient.refresh_from_db()
    assert campaign.patient.is_opted_out
    assert len(incoming(campaign)) == 1
    assert not sent_messages(campaign)


def test_start_re_subscribes(client, q_sync):
    campaign = make_campaign()
    twilio_post(client, twilio_form("STOP", sid="SM" + "b1" * 16))

    twilio_post(client, twilio_form("START", sid="SM" + "b2" * 16, OptOutType="START"))

    campaign.patient.refresh_from_db()
    assert not campaign.patient.is_opted_out


def test_stop_from_a_known_patient_without_a_campaign_on_that_thread_still_opts_out(client, q_sync):
    patient = make_patient()
    make_campaign(patient, channel=Channel.EMAIL, status=CampaignStatus.RECOVERY_FAILED)

    twilio_post(client, twilio_form("STOP"))

    patient.refresh_from_db()
    assert patient.is_opted_out
    event = WebhookEvent.objects.get()
    assert event.status == WebhookStatus.UNMATCHED
    assert "opt-out was applied" in event.error


def test_a_text_from_a_patient_whose_campaign_is_on_email_joins_that_conversation(client, q_sync):
    patient = make_patient()
    campaign = make_campaign(patient, channel=Channel.EMAIL)

    twilio_post(client, twilio_form("STOP"))

    patient.refresh_from_db()
    assert patient.is_opted_out
    assert WebhookEvent.objects.get().status == WebhookStatus.PROCESSED
    (stop,) = campaign.interactions.filter(direction="incoming")
    assert (stop.channel_type, stop.content) == (Channel.SMS, "STOP")


def test_the_push_service_account_is_compared_in_any_case(client, google_keys, q_async):
    token = google_keys.token(email=PUSH_SERVICE_ACCOUNT.upper())

    assert push(client, push_body("case"), bearer=token).status_code == 204


# --- Events for staff -----------------------------------------------------------------------------


def test_staff_can_have_a_failed_event_processed_again(manager, q_sync):
    campaign = make_campaign()
    event = WebhookEvent.objects.create(
        source=WebhookSource.INCOMING_MESSAGE,
        event_id="again-1",
        payload=message("yes please!", "again-1"),
        status=WebhookStatus.FAILED,
        error="OperationalError while processing.",
    )
    staff = Client()
    staff.force_login(manager)

    response = staff.post(
        "/admin/messaging/webhookevent/",
        {"action": "process_again", "_selected_action": [event.pk]},
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.error) == (WebhookStatus.PROCESSED, "")
    assert len(incoming(campaign)) == 1


def test_an_event_whose_job_was_lost_is_processed_by_the_scheduled_drain(q_sync):
    campaign = make_campaign()
    WebhookEvent.objects.create(
        source=WebhookSource.INCOMING_MESSAGE,
        event_id="lost-1",
        payload=message("yes please!", "lost-1"),
    )

    assert drain_webhook_events() == "processed=1"
    assert drain_webhook_events() == "processed=0"  # safe to run twice
    assert WebhookEvent.objects.get().status == WebhookStatus.PROCESSED
    assert len(incoming(campaign)) == 1


# --- Draining: one job for a burst of events ------------------------------------------------


def test_a_burst_of_events_queues_one_drain_per_window(client, q_async, settings):
    settings.WEBHOOK_DRAIN_COALESCE_SECONDS = 30
    for n in range(5):
        assert push(client, push_body(f"burst-{n}"), token=PUSH_TOKEN).status_code == 204

    assert WebhookEvent.objects.count() == 5
    assert queued_tasks() == 1


def test_a_burst_queues_a_new_drain_once_the_window_has_passed(client, q_async, settings):
    settings.WEBHOOK_DRAIN_COALESCE_SECONDS = 0.2
    push(client, push_body("window-1"), token=PUSH_TOKEN)
    push(client, push_body("window-2"), token=PUSH_TOKEN)
    time.sleep(0.25)
    push(client, push_body("window-3"), token=PUSH_TOKEN)

    assert queued_tasks() == 2


def test_the_drain_looks_again_for_events_stored_while_it_worked(q_sync):
    """An event stored while the drain processes another (its own drain request coalesced
    into this one) is taken by the drain's next look."""
    campaign = make_campaign()
    WebhookEvent.objects.create(
        source=WebhookSource.INCOMING_MESSAGE,
        event_id="first-1",
        payload=message("yes please!", "first-1"),
    )

    def another_arrives():
        WebhookEvent.objects.create(
            source=WebhookSource.INCOMING_MESSAGE,
            event_id="late-1",
            payload=message("and what time?", "late-1"),
        )

    # The late one is stored once the drain has started on the first (written its status).
    working = statement("UPDATE", WebhookEvent, mentioning="status")
    with after_query(working, another_arrives) as late:
        drained = webhook_events_drain()

    assert late.fired
    assert drained == 2
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookStatus.PROCESSED}
    assert len(incoming(campaign)) == 2


def test_a_drain_processes_a_bounded_number_and_queues_the_rest(q_async):
    for n in range(3):
        WebhookEvent.objects.create(
            source=WebhookSource.INCOMING_MESSAGE,
            event_id=f"many-{n}",
            payload=message("yes please!", f"many-{n}"),
        )

    assert webhook_events_drain(limit=2) == 2
    assert WebhookEvent.objects.filter(status=WebhookStatus.RECEIVED).count() == 1
    assert queued_tasks() == 1  # the rest, in a job of its own


def test_a_broker_outage_still_stores_the_event_and_answers(client, q_async, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("messaging.ingest.async_task", broker_down)

    assert push(client, push_body("outage-1"), token=PUSH_TOKEN).status_code == 204
    assert WebhookEvent.objects.filter(event_id="outage-1").exists()


# --- The push's shortcut past the middleware stack ---------------------------------------------


def test_a_push_is_answered_ahead_of_the_middleware_stack(client, q_async):
    response = push(client, push_body("short-1"), token=PUSH_TOKEN)

    assert response.status_code == 204
    assert "X-Frame-Options" not in response.headers  # no later middleware ran
    assert WebhookEvent.objects.filter(event_id="short-1").exists()


def test_a_push_to_a_host_not_allowed_is_refused(client, q_async):
    url = f"{GMAIL}?token={PUSH_TOKEN}"
    body = json.dumps(push_body("host-1"))

    response = client.post(url, body, content_type=JSON, headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_without_the_shortcut_the_push_is_served_the_same(client, q_async, settings):
    shortcut = "messaging.middleware.GmailPushShortcutMiddleware"
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != shortcut]

    response = push(client, push_body("slow-1"), token=PUSH_TOKEN)

    assert response.status_code == 204
    assert response.headers["X-Frame-Options"] == "DENY"
    assert WebhookEvent.objects.filter(event_id="slow-1").exists()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_a_push_url_answers_only_post(client, method):
    response = getattr(client, method)(f"{GMAIL}?token={PUSH_TOKEN}")

    assert response.status_code == 405
    assert not WebhookEvent.objects.exists()


# --- Storing an event once ---------------------------------------------------------------------


def test_an_event_is_stored_once_by_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert webhook_event_store(source=WebhookSource.TWILIO, event_id="SM1", payload={"a": 1})
    assert not webhook_event_store(source=WebhookSource.TWILIO, event_id="SM1", payload={"a": 2})

    event = WebhookEvent.objects.get()
    assert (event.payload, event.status, event.error) == ({"a": 1}, WebhookStatus.RECEIVED, "")
    assert event.processed_at is None


def test_where_the_database_has_no_insert_ignoring_conflicts_the_orm_stores_it_once(monkeypatch):
    """MongoDB's case: django-mongodb-backend has no such statement."""
    monkeypatch.setattr(connection.features, "supports_ignore_conflicts", False)

    assert webhook_event_store(source=WebhookSource.TWILIO, event_id="SM2", payload={"a": 1})
    assert not webhook_event_store(source=WebhookSource.TWILIO, event_id="SM2", payload={"a": 1})
    assert WebhookEvent.objects.filter(event_id="SM2").count() == 1
