"""Sending (messaging.services.interaction_send): the outbox, Gmail (real client over
HttpMockSequence), Twilio SMS/WhatsApp (real SDK against a local server), the unsubscribe
footer, the WhatsApp 24-hour rule, opt-out, and bounded retries with backoff through django-q2."""

import base64
import datetime as dt
import email
import email.policy
import json
from base64 import b64decode

import pytest
import time_machine
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler

from campaigns.choices import DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from messaging.backends import OutgoingMessage, SendError
from messaging.backends.gmail import GmailBackend, reply_subject
from messaging.models import OutboxMessage
from messaging.services import interaction_send, interaction_send_retry
from messaging.unsubscribe import unsubscribe_token_patient_id, unsubscribe_url
from patients.optout import CANCELLED_QUEUED, patient_opt_out
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    agent_environment,
    booking_links,
    make_campaign,
    make_patient,
)
from tests.messaging_fixtures import (  # noqa: F401 - fixtures
    ACCOUNT_SID,
    FROM_NUMBER,
    MAILBOX,
    WHATSAPP_FROM,
    gmail_mock,
    http_error,
    messaging_environment,
    ok,
    q_sync_fixture,
    twilio_error,
    twilio_message,
    twilio_server_fixture,
)

pytestmark = pytest.mark.django_db

TEMPLATE_SID = "HX" + "0123456789abcdef" * 2


def queued(campaign: Campaign, content: str = "Hello from the clinic.", **fields) -> Interaction:
    return Interaction.objects.create(
        campaign=campaign,
        direction=Direction.OUTGOING,
        content=content,
        channel_type=campaign.channel_type,
        delivery_status=DeliveryStatus.QUEUED,
        **fields,
    )


def patient_says(campaign: Campaign, when: dt.datetime) -> Interaction:
    return Interaction.objects.create(
        campaign=campaign,
        direction=Direction.INCOMING,
        content="hi",
        channel_type=campaign.channel_type,
        delivery_status=DeliveryStatus.RECEIVED,
        timestamp=when,
    )


def mime_of(body: bytes) -> email.message.EmailMessage:
    raw = json.loads(body)["raw"]
    return email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=email.policy.default)


# --- The outbox (default) ---------------------------------------------------------------------


def test_the_outbox_keeps_the_message_and_records_it_sent():
    campaign = make_campaign()
    interaction = queued(campaign)

    interaction_send(interaction)

    interaction.refresh_from_db()
    stored = OutboxMessage.objects.get()
    assert (stored.channel, stored.to, stored.body) == ("sms", "+15185550123", interaction.content)
    assert interaction.delivery_status == DeliveryStatus.SENT
    assert interaction.external_id == f"outbox-{stored.pk}"
    assert interaction.error == ""


def test_a_first_email_starts_a_thread_that_becomes_the_campaigns_thread_id():
    campaign = make_campaign(channel=Channel.EMAIL)

    interaction_send(queued(campaign))

    campaign.refresh_from_db()
    assert campaign.thread_id == f"outbox-thread-{OutboxMessage.objects.get().pk}"


# --- The unsubscribe footer -----------------------------------------------------------------------


def test_a_staff_email_gets_the_postal_address_and_a_working_unsubscribe_link(settings):
    settings.SITE_URL = "https://clinic.example.com"
    campaign = make_campaign(channel=Channel.EMAIL)

    interaction_send(queued(campaign, "We have a cancellation on Friday at 3pm."))

    body = OutboxMessage.objects.get().body
    assert body.startswith("We have a cancellation on Friday at 3pm.\n\n--\n")
    assert settings.CLINIC_POSTAL_ADDRESS in body
    link = body.rsplit(" ", 1)[-1]
    assert link.startswith("https://clinic.example.com/unsubscribe/")
    token = link.removeprefix("https://clinic.example.com/unsubscribe/").rstrip("/")
    assert unsubscribe_token_patient_id(token) == campaign.patient_id
    # What staff wrote stays as written in the conversation.
    assert Interaction.objects.get().content == "We have a cancellation on Friday at 3pm."


def test_an_email_that_already_carries_the_footer_does_not_get_a_second_one(settings):
    settings.SITE_URL = "https://clinic.example.com"
    campaign = make_campaign(channel=Channel.EMAIL)
    body = f"Hi Maria,\n\n--\nClinic, address\nunsubscribe: {unsubscribe_url(campaign.patient)}"

    interaction_send(queued(campaign, body))

    assert OutboxMessage.objects.get().body == body


def test_texts_get_no_email_footer():
    campaign = make_campaign(channel=Channel.SMS)

    interaction_send(queued(campaign, "See you soon."))

    assert OutboxMessage.objects.get().body == "See you soon."


# --- Opt-out --------------------------------------------------------------------------------------


def test_nothing_is_sent_to_a_patient_who_opted_out():
    campaign = make_campaign()
    patient_opt_out(patient=campaign.patient)
    interaction = queued(campaign)

    interaction_send(interaction)

    interaction.refresh_from_db()
    assert (interaction.delivery_status, interaction.error) == (
        DeliveryStatus.FAILED,
        CANCELLED_QUEUED,
    )
    assert not OutboxMessage.objects.exists()


def test_the_opt_out_confirmation_goes_out_once_and_only_once():
    campaign = make_campaign()
    patient_opt_out(patient=campaign.patient)
    kind = MessageKind.OPT_OUT_CONFIRMATION

    first = interaction_send(queued(campaign, "You're unsubscribed.", kind=kind))
    second = interaction_send(queued(campaign, "You're unsubscribed.", kind=kind))

    assert first.delivery_status == DeliveryStatus.SENT
    assert (second.delivery_status, second.error) == (DeliveryStatus.FAILED, CANCELLED_QUEUED)
    assert OutboxMessage.objects.count() == 1


def test_a_message_kind_is_no_way_around_the_opt_out():
    campaign = make_campaign()
    patient_opt_out(patient=campaign.patient)

    sent = interaction_send(queued(campaign, kind=MessageKind.FOLLOW_UP))

    assert sent.delivery_status == DeliveryStatus.FAILED
    assert not OutboxMessage.objects.exists()


# --- WhatsApp's 24-hour window --------------------------------------------------------------------


def test_whatsapp_inside_24_hours_of_the_patients_message_is_free_form():
    campaign = make_campaign(channel=Channel.WHATSAPP)
    patient_says(campaign, timezone.now() - dt.timedelta(hours=23))

    sent = interaction_send(queued(campaign, "Here is your link."))

    assert sent.delivery_status == DeliveryStatus.SENT
    stored = OutboxMessage.objects.get()
    assert (stored.to, stored.body, stored.subject) == (
        "whatsapp:+15185550123",
        "Here is your link.",
        "",
    )


def test_whatsapp_outside_the_window_without_a_template_fails_and_says_why():
    campaign = make_campaign(channel=Channel.WHATSAPP)
    patient_says(campaign, timezone.now() - dt.timedelta(hours=25))

    sent = interaction_send(queued(campaign, kind=MessageKind.FOLLOW_UP))

    assert sent.delivery_status == DeliveryStatus.FAILED
    assert "no approved template is configured for 'follow_up' messages" in sent.error
    assert "24 hours" in sent.error
    assert "TWILIO_WHATSAPP_TEMPLATE_SIDS" in sent.error
    assert not OutboxMessage.objects.exists()
    assert not Schedule.objects.exists()  # permanent: never retried


def test_a_first_whatsapp_outreach_uses_the_approved_template_through_twilio(
    settings, twilio_server
):
    settings.TWILIO_WHATSAPP_TEMPLATE_SIDS = {"outreach": TEMPLATE_SID}
    campaign = make_campaign(channel=Channel.WHATSAPP)
    twilio_server.answer(twilio_message("SM" + "11" * 16))

    sent = interaction_send(queued(campaign, kind=MessageKind.OUTREACH))

    assert (sent.delivery_status, sent.external_id) == (DeliveryStatus.SENT, "SM" + "11" * 16)
    (request,) = twilio_server.requests
    assert request["form"]["ContentSid"] == TEMPLATE_SID
    assert json.loads(request["form"]["ContentVariables"]) == {
        "1": "Maria",
        "2": "Bright Smile Dental",
    }
    assert "Body" not in request["form"]
    assert (request["form"]["From"], request["form"]["To"]) == (
        WHATSAPP_FROM,
        "whatsapp:+15185550123",
    )


def test_a_default_template_covers_kinds_without_their_own(settings):
    settings.TWILIO_WHATSAPP_TEMPLATE_SIDS = {"default": TEMPLATE_SID}
    campaign = make_campaign(channel=Channel.WHATSAPP)

    sent = interaction_send(queued(campaign))  # a staff-style message with no kind

    assert sent.delivery_status == DeliveryStatus.SENT
    assert OutboxMessage.objects.get().subject == f"WhatsApp template {TEMPLATE_SID}"


# --- Twilio SMS through the real SDK --------------------------------------------------------------


def test_an_sms_goes_through_twilio_and_records_the_message_sid(twilio_server):
    campaign = make_campaign()
    twilio_server.answer(twilio_message("SM" + "cd" * 16))

    sent = interaction_send(queued(campaign, "Your visit is confirmed."))

    assert (sent.delivery_status, sent.external_id) == (DeliveryStatus.SENT, "SM" + "cd" * 16)
    (request,) = twilio_server.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["form"] == {
        "To": "+15185550123",
        "From": FROM_NUMBER,
        "Body": "Your visit is confirmed.",
    }
    user, _, password = b64decode(request["auth"].removeprefix("Basic ")).decode().partition(":")
    assert (user, password) == (ACCOUNT_SID, "twilio-auth-token-for-tests")


def test_a_messaging_service_sends_instead_of_a_number_when_configured(settings, twilio_server):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "ab" * 16

    interaction_send(queued(make_campaign()))

    form = twilio_server.requests[0]["form"]
    assert form["MessagingServiceSid"] == "MG" + "ab" * 16
    assert "From" not in form


def test_a_refusal_because_the_patient_replied_stop_is_permanent_and_opts_them_out(
    twilio_server,
):
    campaign = make_campaign()
    twilio_server.answer(
        twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"),
    )

    sent = interaction_send(queued(campaign))

    assert sent.delivery_status == DeliveryStatus.FAILED
    assert "Twilio error 21610" in sent.error
    assert len(twilio_server.requests) == 1
    assert not Schedule.objects.exists()
    campaign.patient.refresh_from_db()
    assert campaign.patient.is_opted_out


def test_an_invalid_number_is_a_permanent_failure_with_the_reason(twilio_server):
    twilio_server.answer(twilio_error(400, 21211, "The 'To' number is not a valid phone number."))

    sent = interaction_send(queued(make_campaign()))

    assert sent.delivery_status == DeliveryStatus.FAILED
    assert sent.error == "The phone number is not valid. (Twilio error 21211)"
    assert not Schedule.objects.exists()


def test_a_patient_without_a_number_is_a_permanent_failure():
    campaign = make_campaign(make_patient(phone=""))

    sent = interaction_send(queued(campaign))

    assert (sent.delivery_status, sent.error) == (
        DeliveryStatus.FAILED,
        "The patient has no SMS address.",
    )


# --- Bounded retries with backoff -----------------------------------------------------------------


def run_due_schedules(at: dt.datetime) -> None:
    """What the qcluster's scheduler does at `at`: start every schedule that is due."""
    with time_machine.travel(at, tick=False):
        scheduler()


def test_a_failing_provider_is_retried_with_backoff_a_bounded_number_of_times(
    settings, twilio_server, q_sync
):
    settings.SEND_RETRY_MAX = 2
    settings.SEND_RETRY_BASE_SECONDS = 60
    twilio_server.answer(twilio_error(503, 20500, "Service unavailable"))
    start = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)
    campaign = make_campaign()

    with time_machine.travel(start, tick=False):
        interaction = interaction_send(queued(campaign))
    assert interaction.delivery_status == DeliveryStatus.QUEUED
    assert interaction.error.endswith("[attempt 1 of 3 failed; retrying]")
    assert Schedule.objects.get().next_run == start + dt.timedelta(seconds=60)

    run_due_schedules(start + dt.timedelta(seconds=59))  # not yet
    assert len(twilio_server.requests) == 1

    run_due_schedules(start + dt.timedelta(seconds=61))
    interaction.refresh_from_db()
    assert len(twilio_server.requests) == 2
    assert interaction.error.endswith("[attempt 2 of 3 failed; retrying]")
    # Backoff doubles: the third attempt is 120 s after the second.
    assert Schedule.objects.get().next_run == start + dt.timedelta(seconds=61 + 120)

    run_due_schedules(start + dt.timedelta(seconds=61 + 121))
    interaction.refresh_from_db()
    assert len(twilio_server.requests) == 3
    assert interaction.delivery_status == DeliveryStatus.FAILED
    assert interaction.error == (
        "Twilio is unavailable (HTTP 503); will retry. [gave up after 3 attempts]"
    )
    assert not Schedule.objects.exists()

    run_due_schedules(start + dt.timedelta(days=1))
    assert len(twilio_server.requests) == 3


def test_a_retry_that_succeeds_records_the_message_sent(monkeypatch, twilio_server, q_sync):
    twilio_server.answer(
        twilio_error(500, 20500, "Internal error"), twilio_message("SM" + "ee" * 16)
    )
    start = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        interaction = interaction_send(queued(make_campaign()))

    run_due_schedules(start + dt.timedelta(minutes=2))

    interaction.refresh_from_db()
    assert (interaction.delivery_status, interaction.external_id, interaction.error) == (
        DeliveryStatus.SENT,
        "SM" + "ee" * 16,
        "",
    )


def test_a_retry_run_twice_sends_once(twilio_server):
    twilio_server.answer(twilio_error(503, 20500, "Service unavailable"), twilio_message())
    interaction = interaction_send(queued(make_campaign()))

    first = interaction_send_retry(interaction_id=interaction.pk, attempt=2)
    second = interaction_send_retry(interaction_id=interaction.pk, attempt=2)

    assert (first, second) == (DeliveryStatus.SENT, "not_queued")
    assert len(twilio_server.requests) == 2


def test_a_stale_retry_does_nothing(twilio_server):
    twilio_server.answer(twilio_error(503, 20500, "Service unavailable"))
    interaction = interaction_send(queued(make_campaign()))

    assert interaction_send_retry(interaction_id=interaction.pk, attempt=3) == "not_due"
    assert len(twilio_server.requests) == 1


def test_a_message_waiting_for_its_retry_is_cancelled_by_an_opt_out(twilio_server, q_sync):
    twilio_server.answer(twilio_error(503, 20500, "Service unavailable"))
    start = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)
    campaign = make_campaign()
    with time_machine.travel(start, tick=False):
        interaction = interaction_send(queued(campaign))

    patient_opt_out(patient=campaign.patient)
    run_due_schedules(start + dt.timedelta(hours=2))

    interaction.refresh_from_db()
    assert (interaction.delivery_status, interaction.error) == (
        DeliveryStatus.FAILED,
        CANCELLED_QUEUED,
    )
    assert len(twilio_server.requests) == 1


# --- Gmail through the real client library --------------------------------------------------------


def test_gmail_starts_a_thread_for_the_first_message():
    service, http = gmail_mock(ok({"id": "18f0a1", "threadId": "18f0a1", "labelIds": ["SENT"]}))

    result = GmailBackend(service=service).send(
        OutgoingMessage(
            channel=Channel.EMAIL,
            to="maria@example.com",
            body="Hi Maria,\n\nAre you still interested?",
            subject="A message from Bright Smile Dental",
            unsubscribe_url="https://clinic.example.com/unsubscribe/abc/",
        )
    )

    assert (result.message_id, result.thread_id) == ("18f0a1", "18f0a1")
    ((uri, method, body, _),) = http.request_sequence
    assert method == "POST"
    assert uri.startswith("https://gmail.googleapis.com/gmail/v1/users/me/messages/send")
    assert "threadId" not in json.loads(body)
    mime = mime_of(body)
    assert mime["To"] == "maria@example.com"
    assert mime["From"] == f"Bright Smile Dental <{MAILBOX}>"
    assert mime["Subject"] == "A message from Bright Smile Dental"
    assert mime["In-Reply-To"] is None
    assert mime.get_content_type() == "text/plain"  # no HTML
    assert mime.get_content().strip() == "Hi Maria,\n\nAre you still interested?"
    assert mime["List-Unsubscribe"] == "<https://clinic.example.com/unsubscribe/abc/>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def thread(*messages: dict) -> tuple[dict, str]:
    return ok(
        {
            "id": "18f0a1",
            "messages": [{"id": m["id"], "payload": {"headers": m["headers"]}} for m in messages],
        }
    )


def test_gmail_replies_in_the_thread_with_the_headers_a_mail_client_uses():
    first = {
        "id": "18f0a1",
        "headers": [
            {"name": "Subject", "value": "A message from Bright Smile Dental"},
            {"name": "Message-ID", "value": "<first@brightsmile.example>"},
        ],
    }
    reply = {
        "id": "18f0b2",
        "headers": [
            {"name": "Subject", "value": "Re: A message from Bright Smile Dental"},
            {"name": "Message-ID", "value": "<CAF-reply@mail.gmail.com>"},
            {"name": "In-Reply-To", "value": "<first@brightsmile.example>"},
            {"name": "References", "value": "<first@brightsmile.example>"},
        ],
    }
    service, http = gmail_mock(
        thread(first, reply), ok({"id": "18f0c3", "threadId": "18f0a1", "labelIds": ["SENT"]})
    )

    result = GmailBackend(service=service).send(
        OutgoingMessage(
            channel=Channel.EMAIL,
            to="maria@example.com",
            body="Here is your booking link.",
            subject="A message from Bright Smile Dental",
            thread_id="18f0a1",
        )
    )

    assert (result.message_id, result.thread_id) == ("18f0c3", "18f0a1")
    (thread_uri, _, _, _), (_, _, body, _) = http.request_sequence
    assert "/threads/18f0a1?" in thread_uri and "format=metadata" in thread_uri
    assert json.loads(body)["threadId"] == "18f0a1"
    mime = mime_of(body)
    assert mime["Subject"] == "Re: A message from Bright Smile Dental"
    assert mime["In-Reply-To"] == "<CAF-reply@mail.gmail.com>"
    assert mime["References"] == "<first@brightsmile.example> <CAF-reply@mail.gmail.com>"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("A message", "Re: A message"),
        ("Re: A message", "Re: A message"),
        ("RE: Fwd: A message", "Re: A message"),
        ("", "Re:"),
    ],
)
def test_reply_subjects_get_one_re(subject, expected):
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("status", "permanent"), [(500, False), (503, False), (429, False), (400, True), (403, True)]
)
def test_gmail_failures_are_permanent_or_worth_a_retry(status, permanent):
    service, _ = gmail_mock(http_error(status))

    with pytest.raises(SendError) as raised:
        GmailBackend(service=service).send(
            OutgoingMessage(channel=Channel.EMAIL, to="maria@example.com", body="Hi")
        )

    assert raised.value.permanent is permanent


GMAIL_FOR_TEST = {}


class ScriptedGmailBackend(GmailBackend):
    """The Gmail backend over a scripted transport (set by the test)."""

    def __init__(self):
        super().__init__(service=GMAIL_FOR_TEST["service"])


def test_the_first_gmail_outreach_sets_the_campaigns_thread_id_and_the_next_reply_uses_it(
    settings,
):
    settings.MESSAGING_BACKENDS = {
        **settings.MESSAGING_BACKENDS,
        "email": "tests.test_messaging_send.ScriptedGmailBackend",
    }
    GMAIL_FOR_TEST["service"], http = gmail_mock(
        ok({"id": "18f0a1", "threadId": "18f0a1"}),
        thread({"id": "18f0a1", "headers": [{"name": "Subject", "value": "Hello"}]}),
        ok({"id": "18f0d4", "threadId": "18f0a1"}),
    )
    campaign = make_campaign(channel=Channel.EMAIL)

    first = interaction_send(queued(campaign, "Hi Maria"))
    campaign.refresh_from_db()
    second = interaction_send(queued(campaign, "Following up"))

    assert campaign.thread_id == "18f0a1"
    assert (first.external_id, second.external_id) == ("18f0a1", "18f0d4")
    assert json.loads(http.request_sequence[2][2])["threadId"] == "18f0a1"


def test_a_channel_that_is_not_set_up_fails_the_message_in_words_the_log_names_the_setting(
    settings, twilio_server, caplog
):
    settings.TWILIO_AUTH_TOKEN = ""

    sent = interaction_send(queued(make_campaign()))

    assert sent.delivery_status == DeliveryStatus.FAILED
    assert sent.error == (
        "Not sent: SMS is not set up on this server yet; whoever runs it finds the missing "
        "setting in its log."
    )
    assert "TWILIO_AUTH_TOKEN must be set" in caplog.text
    assert not twilio_server.requests


class BrokenBackend:
    def send(self, message):
        raise KeyError("a bug")


def test_a_backend_bug_leaves_the_message_failed_not_queued(settings):
    settings.MESSAGING_BACKENDS = {
        **settings.MESSAGING_BACKENDS,
        "sms": "tests.test_messaging_send.BrokenBackend",
    }

    sent = interaction_send(queued(make_campaign()))

    sent.refresh_from_db()
    assert (sent.delivery_status, sent.error) == (
        DeliveryStatus.FAILED,
        "Unexpected error while sending.",
    )
