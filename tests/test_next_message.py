"""The campaign page says what the AI will send next and when, or why it will send nothing
(SPEC §8): the words shown are the words that then go out, the time is the one the send window
and the caps allow, and reading it changes nothing."""

import datetime as dt

import pytest
import time_machine

from agent.proactive import next_message
from agent.services import agent_run_proactive
from campaigns.choices import CampaignStatus, Direction, MessageKind
from campaigns.models import Interaction
from dentalai.choices import Channel
from messaging.models import OutboxMessage
from patients.optout import patient_opt_out
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    WORKDAY_MORNING,
    agent_environment,
    booking_links,
    make_campaign,
    make_patient,
    sent_messages,
)

pytestmark = pytest.mark.django_db

SATURDAY_NOON = dt.datetime(2025, 3, 15, 16, 0, tzinfo=dt.UTC)  # 12:00 in New York
MONDAY_9AM = dt.datetime(2025, 3, 17, 13, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def page(staff, campaign, when) -> str:
    with time_machine.travel(when, tick=False):
        response = staff.get(f"/campaigns/{campaign.pk}/")
    assert response.status_code == 200
    return response.text


def test_the_preview_is_what_goes_out_when_it_is_due(staff):
    campaign = make_campaign(next_attempt_at=WORKDAY_MORNING)

    text = page(staff, campaign, WORKDAY_MORNING)
    with time_machine.travel(WORKDAY_MORNING, tick=False):
        planned = next_message(campaign)
        agent_run_proactive(campaign_id=campaign.pk)

    assert "The first outreach by SMS, at the next run of the follow-ups" in text
    assert planned.kind == MessageKind.OUTREACH and planned.channel == Channel.SMS
    (sent,) = sent_messages(campaign)
    assert sent.body == planned.text
    assert "Maria" in planned.text and "Reply STOP to opt out." in planned.text


def test_reading_the_plan_writes_and_sends_nothing(staff):
    campaign = make_campaign(next_attempt_at=WORKDAY_MORNING)

    page(staff, campaign, WORKDAY_MORNING)

    campaign.refresh_from_db()
    assert (campaign.attempts_made, campaign.next_attempt_at) == (0, WORKDAY_MORNING)
    assert not Interaction.objects.exists() and not OutboxMessage.objects.exists()


def test_outside_the_send_window_it_says_when_and_why(staff):
    campaign = make_campaign(next_attempt_at=SATURDAY_NOON)

    text = page(staff, campaign, SATURDAY_NOON)

    assert "The first outreach by SMS, from Mon Mar 17, 09:00" in text
    assert "it waits for the clinic&#x27;s send window" in text
    with time_machine.travel(SATURDAY_NOON, tick=False):
        assert next_message(campaign).at == MONDAY_9AM


def test_a_patient_messaged_today_waits_for_the_daily_limit(staff):
    patient = make_patient()
    earlier = make_campaign(patient, status=CampaignStatus.RECOVERY_FAILED)
    Interaction.objects.create(
        patient=patient,
        campaign=earlier,
        direction=Direction.OUTGOING,
        kind=MessageKind.OUTREACH,
        content="Hello",
        channel_type=Channel.SMS,
        delivery_status="sent",
        timestamp=WORKDAY_MORNING - dt.timedelta(hours=1),
    )
    campaign = make_campaign(patient, attempts_made=1, next_attempt_at=WORKDAY_MORNING)

    text = page(staff, campaign, WORKDAY_MORNING)

    assert "The follow-up by SMS, from Wed Mar 12, 09:00" in text
    assert "it waits for the limit of 1 such message a day and 3 a week" in text


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (CampaignStatus.HANDOFF_REQUIRED, "With staff: the AI sends nothing until someone"),
        (CampaignStatus.RE_ENGAGED, "Maria answered: the AI replies to their messages"),
        (CampaignStatus.BOOKING_INITIATED, "A booking is in progress"),
        (CampaignStatus.RECOVERY_DECLINED, "The campaign is closed"),
    ],
)
def test_a_campaign_the_ai_does_not_follow_up_says_why(staff, status, words):
    campaign = make_campaign(status=status)

    assert words in page(staff, campaign, WORKDAY_MORNING)


def test_after_the_last_attempt_or_an_opt_out_nothing_more_goes(staff):
    exhausted = make_campaign(attempts_made=3, max_attempts=3, next_attempt_at=WORKDAY_MORNING)
    assert "All 3 messages have gone out" in page(staff, exhausted, WORKDAY_MORNING)

    opted_out = make_campaign(make_patient(name="Ann Lee", email="", phone="+15185550199"))
    patient_opt_out(patient=opted_out.patient)
    assert "Ann opted out: nothing goes out." in page(staff, opted_out, WORKDAY_MORNING)
