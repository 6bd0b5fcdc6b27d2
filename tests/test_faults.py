"""Every patient reply reaches one outcome, whatever crashes or times out (SPEC §9.1): the
django-q2 cluster killed by PID in the middle of a decision and restarted; a model that hangs
while replies arrive together; two drains at once; an event that keeps failing. The first two
run the real processes (tests/faults_world.py) against the real openai SDK and a local server
that never answers; the others run in this process."""

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone

from campaigns.choices import CampaignStatus, DeliveryStatus, Direction, HandoffReason, MessageKind
from campaigns.models import Interaction
from dashboard.selectors import unprocessed_events_count
from messaging.choices import WebhookSource, WebhookStatus
from messaging.events import (
    EVENT_ATTEMPTS_MAX,
    NOT_TAKEN,
    webhook_event_claim,
    webhook_event_process,
    webhook_events_drain,
)
from messaging.ingest import webhook_event_store
from messaging.models import WebhookEvent
from tests.agent_fixtures import agent_environment, make_campaign, make_patient  # noqa: F401
from tests.concurrency import before_query, statement
from tests.faults_world import DRAIN, REPLIES, SETUP, World
from tests.messaging_fixtures import q_async_fixture  # noqa: F401 - fixture
from tests.openai_fake import FakeServer

NUMBERS = ["+15185550101", "+15185550102", "+15185550103"]
REPLIES_SQL = (
    "SELECT kind, delivery_status FROM campaigns_interaction "
    "WHERE direction = 'outgoing' ORDER BY timestamp"
)
EVENTS_SQL = "SELECT status, attempts FROM messaging_webhookevent ORDER BY received_at"


@pytest.fixture
def model():
    server = FakeServer().start()
    yield server
    server.stop()


def world_for(tmp_path, model: FakeServer, *, timeout: float) -> World:
    return World(
        tmp_path,
        {
            "AGENT_LLM": "openai",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": model.url(),
            "OPENAI_TIMEOUT_SECONDS": str(timeout),
            "OPENAI_MAX_RETRIES": "0",
            "SEND_TIMEOUT_SECONDS": "1",
            "WEBHOOK_DRAIN_COALESCE_SECONDS": "1",
        },
    )


def wait_for_model_call(model: FakeServer, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(model.chat_requests()) < count:
        assert time.monotonic() < deadline, "the model was never called"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_decision_is_taken_over_and_the_patient_gets_one_reply(tmp_path, model):
    # Lease: one message's longest handling, 4 s (model) + 2 x 1 s (sends) + 10 s = 16 s.
    world = world_for(tmp_path, model, timeout=4)
    try:
        world.run(SETUP.format(numbers=NUMBERS[:1]))
        model.mode = "hang"
        cluster = world.cluster_start()
        world.run(REPLIES.format(replies=[(NUMBERS[0], "SM1", "Can I book a cleaning?")]))
        wait_for_model_call(model, 1)

        world.cluster_kill(cluster)  # while the model is thinking

        assert world.rows(REPLIES_SQL) == []
        assert world.rows(EVENTS_SQL) == [("received", 1)]  # claimed once, not processed
        assert world.rows(
            "SELECT handled_at FROM campaigns_interaction WHERE direction = 'incoming'"
        ) == [(None,)]
        model.mode = "success"  # the provider is back; the decision is a booking link
        world.cluster_start()
        world.run(DRAIN)  # a drain before the lease runs out leaves the claim alone
        assert world.wait_for(EVENTS_SQL, [("received", 0)], timeout=3) == [("received", 1)]

        # Then the scheduled drain (every minute; here every few seconds) takes it over.
        replies = []
        for _ in range(15):
            world.run(DRAIN)
            want = [(MessageKind.BOOKING_LINK, DeliveryStatus.SENT)]
            if (replies := world.wait_for(REPLIES_SQL, want, timeout=2)) == want:
                break
        assert replies == [(MessageKind.BOOKING_LINK, DeliveryStatus.SENT)], world.cluster_log()
        assert world.wait_for(EVENTS_SQL, [("processed", 2)], timeout=10) == [("processed", 2)]
        ((analysis, handled),) = world.rows(
            "SELECT ai_analysis, handled_at FROM campaigns_interaction WHERE direction = 'incoming'"
        )
        assert "SEND_BOOKING_LINK" in str(analysis) and handled is not None
    finally:
        world.close()


@pytest.mark.django_db(transaction=True)
def test_three_replies_while_the_model_hangs_reach_three_outcomes(tmp_path, model):
    """Three patients reply within a second; each time the model hangs until its timeout
    (41 s, no retry). One drain job takes them in turn: 123 s, more than django-q2's default
    120 s job timeout, which the job timeout derived from the AI's never cuts short."""
    world = world_for(tmp_path, model, timeout=41)
    try:
        world.run(SETUP.format(numbers=NUMBERS))
        model.mode = "hang"
        world.cluster_start()
        replies = [(n, f"SM{i}", "Can I book a cleaning?") for i, n in enumerate(NUMBERS)]
        world.run(REPLIES.format(replies=replies))

        notices = [(MessageKind.HANDOFF_NOTICE, DeliveryStatus.SENT)] * 3
        assert world.wait_for(REPLIES_SQL, notices, timeout=200) == notices, world.cluster_log()
        assert (
            world.rows("SELECT status, handoff_reason FROM campaigns_campaign ORDER BY thread_id")
            == [(CampaignStatus.HANDOFF_REQUIRED, HandoffReason.AI_UNAVAILABLE)] * 3
        )
        # The event is marked processed just after its reply is sent: wait for it, as above.
        processed = [("processed", 1)] * 3
        assert world.wait_for(EVENTS_SQL, processed, timeout=10) == processed
    finally:
        world.close()


# --- In this process -----------------------------------------------------------------------


def reply_event(number: str, message_id: str, text: str = "Can I book a cleaning?") -> str:
    payload = {
        "channel": "sms",
        "thread_id": number,
        "message_id": message_id,
        "message_content": text,
    }
    webhook_event_store(source=WebhookSource.INCOMING_MESSAGE, event_id=message_id, payload=payload)
    return WebhookEvent.objects.get(event_id=message_id).pk


@pytest.mark.django_db
@pytest.mark.usefixtures("q_async")
def test_two_drains_at_once_process_each_event_once():
    campaigns = [make_campaign(make_patient(phone=n, email="")) for n in NUMBERS]
    for i, number in enumerate(NUMBERS):
        reply_event(number, f"SM{i}")
    counts = []

    def second_drain():
        if not counts:  # once: while the first drain decides, a second one runs
            counts.append(webhook_events_drain())

    # The first drain is in the middle of its first event (the decision is being stored).
    with before_query(statement("UPDATE", Interaction, mentioning="ai_analysis"), second_drain):
        counts.append(webhook_events_drain())

    assert sum(counts) == 3
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookStatus.PROCESSED}
    for campaign in campaigns:
        assert campaign.interactions.filter(direction=Direction.OUTGOING).count() == 1


@pytest.mark.django_db
def test_a_claim_runs_out_and_another_drain_takes_the_event_over(settings):
    event_id = reply_event(NUMBERS[0], "SM1")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert webhook_event_claim(event_id) is not None
        assert webhook_event_claim(event_id) is None  # held
        clock.shift(dt.timedelta(seconds=settings.MESSAGE_HANDLING_SECONDS_MAX + 1))
        taken = webhook_event_claim(event_id)

    assert taken is not None and taken.attempts == 2


@pytest.mark.django_db
def test_an_event_that_keeps_failing_is_failed_handed_off_and_shown(settings):
    campaign = make_campaign(make_patient(phone=NUMBERS[0], email=""))
    settings.INBOUND_REPLY_HANDLER = "tests.test_faults.handler_that_breaks"
    event_id = reply_event(NUMBERS[0], "SM1")
    statuses = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(EVENT_ATTEMPTS_MAX):
            statuses.append(webhook_event_process(event_id=event_id))
            clock.shift(dt.timedelta(minutes=10))

    assert statuses == [WebhookStatus.RECEIVED] * (EVENT_ATTEMPTS_MAX - 1) + [WebhookStatus.FAILED]
    event = WebhookEvent.objects.get()
    assert event.error == "ConnectionError while processing. Gave up after 3 attempts."
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    assert campaign.handoff_reason == HandoffReason.AI_UNAVAILABLE
    assert "could not be processed" in campaign.handoff_details["summary"]
    assert unprocessed_events_count() == 1
    assert webhook_event_process(event_id=event_id) == NOT_TAKEN


@pytest.mark.django_db
def test_an_event_whose_worker_died_each_time_is_failed_at_its_next_claim():
    make_campaign(make_patient(phone=NUMBERS[0], email=""))
    event_id = reply_event(NUMBERS[0], "SM1")
    WebhookEvent.objects.filter(pk=event_id).update(attempts=EVENT_ATTEMPTS_MAX)

    assert webhook_event_process(event_id=event_id) == WebhookStatus.FAILED
    assert "stopped each time" in WebhookEvent.objects.get().error
    assert not Interaction.objects.exists()  # nothing was tried a fourth time


def handler_that_breaks(**kwargs):
    raise ConnectionError("the database went away")
