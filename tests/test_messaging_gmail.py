"""Receiving email: the Gmail history sync through the real client library (HttpMockSequence
with static discovery), parsing of realistic raw messages, users.watch, and the poll."""

import datetime as dt
import time
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from campaigns.choices import CampaignStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from messaging.choices import WebhookSource, WebhookStatus
from messaging.events import EVENT_ATTEMPTS_MAX, NOT_TAKEN, webhook_event_process
from messaging.gmail import gmail_sync, gmail_watch_start
from messaging.inbound import email_parse, html_to_text, reply_text
from messaging.models import GmailMailbox, OutboxMessage, WebhookEvent
from messaging.tasks import gmail_poll
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    agent_environment,
    booking_links,
    incoming,
    make_campaign,
    make_patient,
    outgoing,
    sent_messages,
)
from tests.messaging_fixtures import (  # noqa: F401 - fixtures
    MAILBOX,
    PUSH_TOKEN,
    eml,
    gmail_mock,
    http_error,
    messaging_environment,
    ok,
    push_body,
    q_async_fixture,
    raw_message,
    simple_email,
)

pytestmark = pytest.mark.django_db

THREAD = "18f0a1"


@pytest.fixture
def mailbox():
    return GmailMailbox.objects.create(email_address=MAILBOX, last_history_id="1000")


@pytest.fixture
def email_campaign():
    campaign = make_campaign(make_patient(email="maria.lopez@example.com"), channel=Channel.EMAIL)
    Campaign.objects.filter(pk=campaign.pk).update(thread_id=THREAD)
    campaign.refresh_from_db()
    return campaign


def added(*messages: tuple[str, str, list[str]], record_id: str = "1005") -> dict:
    return {
        "id": record_id,
        "messagesAdded": [
            {"message": {"id": mid, "threadId": tid, "labelIds": labels}}
            for mid, tid, labels in messages
        ],
    }


def history(*records: dict, history_id: str = "1010", next_page: str = "") -> tuple[dict, str]:
    body = {"history": list(records), "historyId": history_id}
    if next_page:
        body["nextPageToken"] = next_page
    return ok(body)


def paths(http) -> list[str]:
    return [
        urlsplit(uri).path.removeprefix("/gmail/v1/users/me/") for uri, *_ in http.request_sequence
    ]


# --- History → message → campaign → agent --------------------------------------------------------


def test_a_reply_in_the_thread_reaches_the_agent_and_its_answer_is_sent(mailbox, email_campaign):
    service, http = gmail_mock(
        history(added(("m1", THREAD, ["INBOX", "UNREAD"]))),
        raw_message("m1", THREAD, eml("gmail_reply_multipart")),
    )

    report = gmail_sync(service=service)

    assert report.handled == 1
    assert paths(http) == ["history", "messages/m1"]
    query = parse_qs(urlsplit(http.request_sequence[0][0]).query)
    assert query["startHistoryId"] == ["1000"]
    assert query["historyTypes"] == ["messageAdded"]
    assert parse_qs(urlsplit(http.request_sequence[1][0]).query)["format"] == ["raw"]
    (received,) = incoming(email_campaign)
    assert received.external_id == "m1"
    assert received.content == (
        "Yes please, I\u2019d like to book a cleaning. Do you have anything next Tuesday afternoon?"
    )
    email_campaign.refresh_from_db()
    assert email_campaign.status == CampaignStatus.RE_ENGAGED
    (answer,) = sent_messages(email_campaign)
    assert (answer.channel, answer.to, answer.thread_id) == (
        "email",
        "maria.lopez@example.com",
        THREAD,
    )
    mailbox.refresh_from_db()
    assert mailbox.last_history_id == "1010"


def test_the_clinics_own_messages_are_skipped(mailbox, email_campaign):
    service, http = gmail_mock(
        history(
            added(("s1", THREAD, ["SENT"]), ("d1", THREAD, ["DRAFT"])),
            added(("m2", THREAD, ["INBOX"]), record_id="1006"),
        ),
        # Labelled INBOX, but written by the mailbox itself (a copy to self).
        raw_message("m2", THREAD, simple_email(f"Front desk <{MAILBOX}>", "note to self")),
    )

    report = gmail_sync(service=service)

    assert report.own == 3
    assert paths(http) == ["history", "messages/m2"]  # SENT and DRAFT never fetched
    assert not incoming(email_campaign)
    assert not OutboxMessage.objects.exists()


def test_a_message_seen_in_an_overlapping_history_range_is_not_fetched_again(
    mailbox, email_campaign
):
    first, _ = gmail_mock(
        history(added(("m1", THREAD, ["INBOX"]))),
        raw_message("m1", THREAD, eml("gmail_reply_multipart")),
    )
    gmail_sync(service=first)
    GmailMailbox.objects.filter(pk=mailbox.pk).update(last_history_id="1000")  # overlap
    second, http = gmail_mock(history(added(("m1", THREAD, ["INBOX"]))))

    report = gmail_sync(service=second)

    assert report.seen_before == 1
    assert paths(http) == ["history"]
    assert len(incoming(email_campaign)) == 1
    assert len(outgoing(email_campaign)) == 1


def test_a_message_whose_handling_a_crash_cut_short_is_read_again_and_answered_once(
    mailbox, email_campaign
):
    first, _ = gmail_mock(
        history(added(("m1", THREAD, ["INBOX"]))),
        raw_message("m1", THREAD, eml("gmail_reply_multipart")),
    )
    gmail_sync(service=first)
    # As if the worker had died after recording the reply: not handled, the cursor not moved.
    Interaction.objects.filter(external_id="m1").update(handled_at=None)
    GmailMailbox.objects.filter(pk=mailbox.pk).update(last_history_id="1000")
    Interaction.objects.filter(direction=Direction.OUTGOING).delete()
    second, http = gmail_mock(
        history(added(("m1", THREAD, ["INBOX"]))),
        raw_message("m1", THREAD, eml("gmail_reply_multipart")),
    )

    gmail_sync(service=second)

    assert paths(http) == ["history", "messages/m1"]
    (received,) = incoming(email_campaign)
    assert received.handled_at is not None
    assert len(outgoing(email_campaign)) == 1


def test_a_sync_starts_no_message_it_could_not_finish_in_time(mailbox, email_campaign, q_async):
    service, http = gmail_mock(history(added(("m1", THREAD, ["INBOX"]))))

    report = gmail_sync(service=service, deadline=time.monotonic())

    assert report.stopped_short and report.handled == 0
    assert paths(http) == ["history"]
    mailbox.refresh_from_db()
    assert mailbox.last_history_id == "1000"  # the next sync reads the range again
    assert OrmQ.objects.count() == 1  # and it is queued


def test_history_is_read_page_by_page(mailbox, email_campaign):
    service, http = gmail_mock(
        history(added(("s1", THREAD, ["SENT"])), next_page="p2"),
        history(added(("m1", THREAD, ["INBOX"]), record_id="1008"), history_id="1020"),
        raw_message("m1", THREAD, eml("gmail_reply_multipart")),
    )

    gmail_sync(service=service)

    assert parse_qs(urlsplit(http.request_sequence[1][0]).query)["pageToken"] == ["p2"]
    mailbox.refresh_from_db()
    assert mailbox.last_history_id == "1020"


def test_a_history_id_gmail_no_longer_has_falls_back_to_a_bounded_resync(
    settings, mailbox, email_campaign
):
    settings.GMAIL_RESYNC_MAX = 2
    service, http = gmail_mock(
        http_error(404, "Requested entity was not found."),
        ok({"emailAddress": MAILBOX, "historyId": "5000"}),
        ok({"messages": [{"id": "m9", "threadId": "other"}, {"id": "m1", "threadId": THREAD}]}),
        raw_message("m1", THREAD, eml("gmail_reply_multipart")),
        raw_message("m9", "other", eml("outlook_reply")),
    )

    report = gmail_sync(service=service)

    assert report.resynced
    assert paths(http) == ["history", "profile", "messages", "messages/m1", "messages/m9"]
    listing = parse_qs(urlsplit(http.request_sequence[2][0]).query)
    assert (listing["labelIds"], listing["maxResults"]) == (["INBOX"], ["2"])
    assert len(incoming(email_campaign)) == 1
    assert WebhookEvent.objects.get().status == WebhookStatus.UNMATCHED
    mailbox.refresh_from_db()
    assert mailbox.last_history_id == "5000"


def test_a_mailbox_never_synced_starts_with_a_resync(email_campaign):
    service, http = gmail_mock(
        ok({"emailAddress": MAILBOX, "historyId": "777"}),
        ok({"resultSizeEstimate": 0}),
    )

    gmail_sync(service=service)

    assert paths(http) == ["profile", "messages"]
    assert GmailMailbox.objects.get().last_history_id == "777"


def test_a_reply_on_an_unknown_thread_is_kept_for_staff(mailbox, manager):
    service, _ = gmail_mock(
        history(added(("m7", "unknown-thread", ["INBOX"]))),
        raw_message("m7", "unknown-thread", eml("outlook_reply")),
    )

    report = gmail_sync(service=service)

    assert report.unmatched == 1
    event = WebhookEvent.objects.get()
    assert (event.source, event.event_id, event.status) == (
        WebhookSource.GMAIL,
        "message:m7",
        WebhookStatus.UNMATCHED,
    )
    assert event.payload["from"] == "james.okafor@example.org"
    assert event.payload["text"] == "Do you take Delta Dental PPO? My plan changed in January."
    # Staff find it in the admin.
    staff = Client()
    staff.force_login(manager)
    page = staff.get("/admin/messaging/webhookevent/?status__exact=unmatched")
    assert page.status_code == 200
    assert "message:m7" in page.content.decode()


def test_an_unsubscribe_request_on_an_unknown_thread_still_opts_the_patient_out(mailbox):
    patient = make_patient(email="ana.silva@example.net")
    service, _ = gmail_mock(
        history(added(("m8", "old-thread", ["INBOX"]))),
        raw_message("m8", "old-thread", eml("iphone_html_only")),
    )

    gmail_sync(service=service)

    patient.refresh_from_db()
    assert patient.is_opted_out


def test_a_notification_an_earlier_sync_already_covered_reads_nothing(mailbox):
    service, http = gmail_mock()

    gmail_sync(service=service, notified_history_id="999")

    assert http.request_sequence == []


def test_a_stored_push_is_processed_into_a_sync(client, mailbox, email_campaign, q_async):
    client.post(
        f"/api/v1/webhooks/gmail?token={PUSH_TOKEN}",
        push_body("42", history_id=1010),
        content_type="application/json",
    )
    event = WebhookEvent.objects.get()
    service, _ = gmail_mock(
        history(added(("m1", THREAD, ["INBOX"]))),
        raw_message("m1", THREAD, eml("gmail_reply_multipart")),
    )

    assert webhook_event_process(event_id=event.pk, service=service) == WebhookStatus.PROCESSED

    event.refresh_from_db()
    assert event.error == "1 message(s) handled, 0 unmatched"
    assert len(incoming(email_campaign)) == 1


def test_a_push_for_another_mailbox_is_marked_failed(client, mailbox, q_async):
    body = push_body("43")
    body["message"]["data"] = (
        "eyJlbWFpbEFkZHJlc3MiOiAib3RoZXJAZXhhbXBsZS5jb20iLCAiaGlzdG9yeUlkIjogMX0="
    )
    client.post(f"/api/v1/webhooks/gmail?token={PUSH_TOKEN}", body, content_type="application/json")
    service, http = gmail_mock()

    status = webhook_event_process(event_id=WebhookEvent.objects.get().pk, service=service)

    assert status == WebhookStatus.FAILED
    assert http.request_sequence == []


def test_a_failing_sync_is_tried_again_then_marked_failed_and_keeps_the_history_id(
    client, mailbox, q_async
):
    client.post(
        f"/api/v1/webhooks/gmail?token={PUSH_TOKEN}",
        push_body("44", history_id=1010),
        content_type="application/json",
    )
    event_id = WebhookEvent.objects.get().pk
    statuses = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(EVENT_ATTEMPTS_MAX):
            service, _ = gmail_mock(http_error(500, "backend error"))
            statuses.append(webhook_event_process(event_id=event_id, service=service))
            if len(statuses) == 1:
                assert WebhookEvent.objects.get().error == (
                    "HttpError while processing. Attempt 1 of 3; trying again."
                )
                # Not again before the pause is over.
                assert webhook_event_process(event_id=event_id) == NOT_TAKEN
            clock.shift(dt.timedelta(minutes=5))

    assert statuses == [WebhookStatus.RECEIVED, WebhookStatus.RECEIVED, WebhookStatus.FAILED]
    assert WebhookEvent.objects.get().error == (
        "HttpError while processing. Gave up after 3 attempts."
    )
    mailbox.refresh_from_db()
    assert mailbox.last_history_id == "1000"  # the next push or poll reads the range again


# --- Parsing realistic messages -------------------------------------------------------------------


def test_a_gmail_multipart_reply_loses_its_quote_and_sign_off():
    parsed = email_parse(eml("gmail_reply_multipart"))

    assert parsed.from_address == "maria.lopez@example.com"
    assert parsed.subject == "Re: A message from Bright Smile Dental"
    assert parsed.in_reply_to == "<173962.1741698000@brightsmile.example>"
    assert parsed.text == (
        "Yes please, I\u2019d like to book a cleaning. Do you have anything next Tuesday afternoon?"
    )
    assert "wrote:" in parsed.full_text


def test_an_outlook_reply_loses_the_original_message_and_the_signature_block():
    parsed = email_parse(eml("outlook_reply"))

    assert parsed.from_address == "james.okafor@example.org"
    assert parsed.text == "Do you take Delta Dental PPO? My plan changed in January."


def test_an_html_only_reply_is_read_as_text_without_the_quote():
    parsed = email_parse(eml("iphone_html_only"))

    assert parsed.text == "Please stop emailing me & remove me from your list."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", "STOP"),
        ("Sounds good\n\n> On Monday you wrote:\n> hi", "Sounds good"),
        ("Yes\n\nSent from my iPhone", "Yes"),
        ("", ""),
    ],
)
def test_reply_text(text, expected):
    assert reply_text(text) == expected


def test_html_to_text_keeps_lines_and_decodes_entities():
    assert html_to_text("<p>Hi &amp; bye</p><div>next<br>line</div><script>x()</script>") == (
        "Hi & bye\nnext\nline"
    )


# --- users.watch and the poll ---------------------------------------------------------------------


def test_watch_starts_push_and_stores_its_history_id_and_expiry():
    service, http = gmail_mock(ok({"historyId": "4321", "expiration": "1742313600000"}))

    mailbox = gmail_watch_start(service=service)

    assert (mailbox.email_address, mailbox.last_history_id) == (MAILBOX, "4321")
    assert mailbox.watch_expiration == dt.datetime(2025, 3, 18, 16, 0, tzinfo=dt.UTC)
    ((uri, method, body, _),) = http.request_sequence
    assert (method, urlsplit(uri).path) == ("POST", "/gmail/v1/users/me/watch")
    assert '"topicName": "projects/clinic-project/topics/gmail"' in body
    assert '"labelIds": ["INBOX"]' in body


def test_renewing_the_watch_keeps_the_mailboxs_place_in_the_history(mailbox):
    service, _ = gmail_mock(ok({"historyId": "9999", "expiration": "1742313600000"}))

    renewed = gmail_watch_start(service=service)

    assert renewed.last_history_id == "1000"
    assert renewed.watch_expiration is not None


def test_the_watch_command_says_which_setting_is_missing(settings):
    settings.GMAIL_TOPIC = ""

    with pytest.raises(ImproperlyConfigured, match="GMAIL_TOPIC"):
        call_command("gmail_watch", stdout=StringIO())


def test_the_watch_command_asks_for_authorisation_first():
    with pytest.raises(ImproperlyConfigured, match=r"GMAIL_TOKEN_FILE.*gmail_authorize"):
        call_command("gmail_watch", stdout=StringIO())


def test_the_poll_does_nothing_while_gmail_is_not_set_up(settings):
    settings.GMAIL_ADDRESS = ""

    assert gmail_poll() == "gmail not configured"
    assert not GmailMailbox.objects.exists()
