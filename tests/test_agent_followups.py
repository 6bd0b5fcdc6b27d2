"""The proactive path: first outreach and follow-ups, max attempts, the send window, the daily
and weekly caps, and claims that keep two workers from messaging twice."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from agent import nodes, proactive
from agent.services import agent_run_due_followups, agent_run_proactive
from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign
from dentalai.choices import Channel
from messaging.policy import next_window_start
from patients.choices import PatientType
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    WORKDAY_MORNING,
    agent_environment,
    booking_links,
    make_campaign,
    make_patient,
    outgoing,
    sent_messages,
)

pytestmark = pytest.mark.django_db

NY_10AM_TUESDAY = WORKDAY_MORNING  # 2025-03-11 10:00 America/New_York


def run(campaign: Campaign, when: dt.datetime):
    with time_machine.travel(when, tick=False):
        result = agent_run_proactive(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return result


def test_a_new_recovery_lead_gets_the_first_outreach_at_once():
    campaign = make_campaign(next_attempt_at=NY_10AM_TUESDAY)

    result = run(campaign, NY_10AM_TUESDAY)

    assert result.outcome == "sent"
    assert campaign.attempts_made == 1
    assert campaign.next_attempt_at == NY_10AM_TUESDAY + dt.timedelta(days=3)
    (message,) = sent_messages(campaign)
    assert "Bright Smile Dental" in message.body
    assert "Porcelain crown" in message.body
    assert "Reply STOP to opt out." in message.body
    assert len(message.body) <= 320
    assert outgoing(campaign)[0].kind == "outreach"


def test_a_recall_names_the_visit_that_is_due():
    patient = make_patient(
        patient_type=PatientType.EXISTING, next_recommended_follow_up="6-month cleaning"
    )
    campaign = make_campaign(patient, campaign_type=CampaignType.RECALL)

    run(campaign, NY_10AM_TUESDAY)

    (message,) = sent_messages(campaign)
    assert "due for 6-month cleaning" in message.body


def test_an_email_outreach_carries_the_unsubscribe_link_and_postal_address(settings):
    campaign = make_campaign(channel=Channel.EMAIL)

    run(campaign, NY_10AM_TUESDAY)

    (message,) = sent_messages(campaign)
    assert "/unsubscribe/" in message.body
    assert settings.CLINIC_POSTAL_ADDRESS in message.body
    campaign.refresh_from_db()
    assert campaign.thread_id  # the first email started the thread


def test_a_follow_up_is_sent_when_it_is_due_and_moves_the_next_attempt():
    campaign = make_campaign(attempts_made=1, next_attempt_at=NY_10AM_TUESDAY)

    run(campaign, NY_10AM_TUESDAY + dt.timedelta(minutes=5))

    assert campaign.attempts_made == 2
    assert campaign.next_attempt_at == NY_10AM_TUESDAY + dt.timedelta(days=3, minutes=5)
    (sent,) = outgoing(campaign)
    assert sent.kind == "follow_up"


def test_a_follow_up_that_is_not_due_yet_is_left_alone():
    campaign = make_campaign(attempts_made=1, next_attempt_at=NY_10AM_TUESDAY)

    result = run(campaign, NY_10AM_TUESDAY - dt.timedelta(hours=1))

    assert result.outcome == "not_due"
    assert sent_messages(campaign) == []


def test_max_attempts_marks_the_campaign_failed_and_sends_nothing():
    campaign = make_campaign(attempts_made=3, max_attempts=3, next_attempt_at=NY_10AM_TUESDAY)

    result = run(campaign, NY_10AM_TUESDAY)

    assert result.outcome == "max_attempts"
    assert campaign.status == CampaignStatus.RECOVERY_FAILED
    assert not campaign.is_active
    assert campaign.next_attempt_at is None
    assert sent_messages(campaign) == []
    assert outgoing(campaign) == []


def test_outside_the_send_window_the_follow_up_waits_for_the_next_window():
    late_evening = dt.datetime(2025, 3, 12, 0, 30, tzinfo=dt.UTC)  # Tue 20:30 in New York
    campaign = make_campaign(next_attempt_at=late_evening)

    result = run(campaign, late_evening)

    assert result.outcome == "deferred"
    assert campaign.attempts_made == 0
    assert campaign.next_attempt_at == dt.datetime(2025, 3, 12, 13, 0, tzinfo=dt.UTC)  # Wed 9:00
    assert sent_messages(campaign) == []


def test_on_a_weekend_the_follow_up_waits_for_monday():
    saturday_noon = dt.datetime(2025, 3, 15, 16, 0, tzinfo=dt.UTC)
    campaign = make_campaign(next_attempt_at=saturday_noon)

    run(campaign, saturday_noon)

    assert campaign.next_attempt_at == dt.datetime(2025, 3, 17, 13, 0, tzinfo=dt.UTC)


def test_the_send_window_is_configurable(settings):
    settings.SEND_WINDOW_START = dt.time(8, 0)
    settings.SEND_WINDOW_DAYS = frozenset(range(6))
    saturday_8_30 = dt.datetime(2025, 3, 15, 12, 30, tzinfo=dt.UTC)
    campaign = make_campaign(next_attempt_at=saturday_8_30)

    assert run(campaign, saturday_8_30).outcome == "sent"


def test_the_window_opens_at_nine_local_time_across_a_dst_change():
    # Sunday 2025-03-09 is the spring-forward day in New York.
    before = dt.datetime(2025, 3, 8, 2, 0, tzinfo=dt.UTC)  # Fri 21:00 EST
    assert next_window_start(before) == dt.datetime(2025, 3, 10, 13, 0, tzinfo=dt.UTC)


def test_only_one_proactive_message_a_day_per_patient():
    patient = make_patient()
    old = make_campaign(patient, status=CampaignStatus.RECOVERY_FAILED)
    old.interactions.create(
        direction="outgoing",
        content="earlier today",
        channel_type="sms",
        delivery_status="sent",
        kind="follow_up",
        timestamp=NY_10AM_TUESDAY - dt.timedelta(minutes=30),
    )
    campaign = make_campaign(patient, next_attempt_at=NY_10AM_TUESDAY)

    result = run(campaign, NY_10AM_TUESDAY)

    assert result.outcome == "deferred"
    assert campaign.next_attempt_at == dt.datetime(2025, 3, 12, 13, 0, tzinfo=dt.UTC)
    assert sent_messages(campaign) == []


def test_at_most_three_proactive_messages_a_week_per_patient():
    patient = make_patient()
    old = make_campaign(patient, status=CampaignStatus.RECOVERY_FAILED)
    for days in (6, 4, 2):
        old.interactions.create(
            direction="outgoing",
            content="earlier",
            channel_type="sms",
            delivery_status="sent",
            kind="follow_up",
            timestamp=NY_10AM_TUESDAY - dt.timedelta(days=days),
        )
    campaign = make_campaign(patient, next_attempt_at=NY_10AM_TUESDAY)

    result = run(campaign, NY_10AM_TUESDAY)

    assert result.outcome == "deferred"
    # The oldest of the three leaves the 7-day window a day later, at 10:00.
    assert campaign.next_attempt_at == NY_10AM_TUESDAY + dt.timedelta(days=1)


def test_replies_to_the_patient_do_not_count_towards_the_caps():
    campaign = make_campaign(next_attempt_at=NY_10AM_TUESDAY)
    campaign.interactions.create(
        direction="outgoing",
        content="answer",
        channel_type="sms",
        delivery_status="sent",
        kind="answer",
        timestamp=NY_10AM_TUESDAY - dt.timedelta(minutes=10),
    )

    assert run(campaign, NY_10AM_TUESDAY).outcome == "sent"


def test_two_workers_claiming_the_same_follow_up_send_it_once():
    campaign = make_campaign(next_attempt_at=NY_10AM_TUESDAY)
    with time_machine.travel(NY_10AM_TUESDAY, tick=False):
        first = nodes.load_state({"trigger": "proactive", "campaign_id": campaign.pk})
        second = nodes.load_state({"trigger": "proactive", "campaign_id": campaign.pk})
        won = proactive.generate_follow_up(first)
        lost = proactive.generate_follow_up(second)

    assert won["route"] == "send"
    assert lost == {"outcome": "claimed_elsewhere", "route": "end"}
    campaign.refresh_from_db()
    assert campaign.attempts_made == 1


def test_nothing_goes_to_a_patient_who_opted_out_or_a_campaign_a_person_owns():
    opted_out = make_campaign(make_patient(opted_out_at=NY_10AM_TUESDAY))
    handed_off = make_campaign(
        make_patient(email="b@example.com", phone="+15185550124"),
        status=CampaignStatus.HANDOFF_REQUIRED,
    )

    assert run(opted_out, NY_10AM_TUESDAY).outcome == "not_attempting"
    assert run(handed_off, NY_10AM_TUESDAY).outcome == "not_attempting"
    assert sent_messages(opted_out) == sent_messages(handed_off) == []


def test_the_due_run_handles_only_campaigns_whose_attempt_has_come():
    due = make_campaign(next_attempt_at=NY_10AM_TUESDAY - dt.timedelta(hours=1))
    later = make_campaign(
        make_patient(email="c@example.com", phone="+15185550125"),
        next_attempt_at=NY_10AM_TUESDAY + dt.timedelta(days=1),
    )

    with time_machine.travel(NY_10AM_TUESDAY, tick=False):
        counts = agent_run_due_followups()
        again = agent_run_due_followups()

    assert counts == {"sent": 1}
    assert again == {}
    assert len(sent_messages(due)) == 1
    assert sent_messages(later) == []


def test_the_agent_followups_command_reports_what_it_did():
    make_campaign(next_attempt_at=NY_10AM_TUESDAY)
    out = StringIO()

    with time_machine.travel(NY_10AM_TUESDAY, tick=False):
        call_command("agent_followups", stdout=out)

    assert out.getvalue().strip() == "sent: 1"


def test_a_follow_up_the_sending_door_refuses_gives_its_attempt_back():
    # Planned as if at 10:00 (inside the window) but sent at 07:00 New York: the door refuses.
    planned = dt.datetime(2025, 3, 11, 14, 0, tzinfo=dt.UTC)
    early = dt.datetime(2025, 3, 11, 11, 0, tzinfo=dt.UTC)
    campaign = make_campaign(attempts_made=1, next_attempt_at=planned - dt.timedelta(days=1))

    with time_machine.travel(early, tick=False):
        outcome = agent_run_proactive(campaign_id=campaign.pk, now=planned).outcome

    campaign.refresh_from_db()
    assert outcome == "deferred"
    assert campaign.attempts_made == 1
    assert campaign.next_attempt_at == dt.datetime(2025, 3, 11, 13, 0, tzinfo=dt.UTC)
    assert not campaign.interactions.filter(direction="outgoing").exists()
