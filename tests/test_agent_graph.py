"""The reactive path of the agent graph: each action with its database effects and the message
it sends (through the outbox backend)."""

import datetime as dt

import pytest
import time_machine

from agent.choices import Action
from agent.services import agent_handle_reply
from campaigns.choices import BookingStatus, CampaignStatus, DeliveryStatus, HandoffReason
from campaigns.models import Campaign
from campaigns.status import campaign_move
from dentalai.choices import Channel
from messaging.models import OutboxMessage
from messaging.unsubscribe import unsubscribe_token_patient_id as unsubscribe_patient_id
from messaging.unsubscribe import unsubscribe_url
from patients.optout import CANCELLED_QUEUED
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    agent_environment,
    booking_links,
    incoming,
    kb,
    make_campaign,
    make_patient,
    outgoing,
    sent_messages,
)
from tests.concurrency import before_query, statement

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kb")]


def reply(campaign: Campaign, text: str, **kwargs):
    run = agent_handle_reply(campaign_id=campaign.pk, text=text, **kwargs)
    campaign.refresh_from_db()
    campaign.patient.refresh_from_db()
    return run


def only_message(campaign: Campaign) -> OutboxMessage:
    messages = sent_messages(campaign)
    assert len(messages) == 1, [m.body for m in messages]
    return messages[0]


def test_a_yes_marks_the_campaign_re_engaged_and_sends_the_signed_booking_link():
    campaign = make_campaign()

    run = reply(campaign, "yes please!")

    assert run.action == Action.SEND_BOOKING_LINK
    assert campaign.status == CampaignStatus.RE_ENGAGED
    assert campaign.booking_status == BookingStatus.FORM_SENT
    assert campaign.booking_link.startswith("https://clinic.example.com/book/?t=")
    message = only_message(campaign)
    assert campaign.booking_link in message.body
    assert message.to == campaign.patient.phone
    assert len(message.body) <= 320


def test_the_incoming_reply_is_recorded_with_its_analysis():
    campaign = make_campaign()

    reply(campaign, "yes please!", external_id="SM123")

    (received,) = incoming(campaign)
    assert received.content == "yes please!"
    assert received.delivery_status == DeliveryStatus.RECEIVED
    assert received.external_id == "SM123"
    analysis = received.ai_analysis
    assert analysis["action"] == Action.SEND_BOOKING_LINK
    assert analysis["sentiment"] == "positive"
    assert analysis["intent"]
    assert 0 <= analysis["confidence"] <= 1
    (sent,) = outgoing(campaign)
    assert sent.delivery_status == DeliveryStatus.SENT
    assert sent.kind == "booking_link"
    assert sent.author is None


def test_a_question_the_knowledge_base_answers_gets_the_answer_and_the_booking_link():
    campaign = make_campaign()

    run = reply(campaign, "does insurance cover whitening?")

    assert run.action == Action.ANSWER_QUESTION
    assert campaign.status == CampaignStatus.RE_ENGAGED
    body = only_message(campaign).body
    assert "not covered by insurance" in body
    assert campaign.booking_link in body
    assert campaign.booking_status == BookingStatus.FORM_SENT
    assert incoming(campaign)[0].ai_analysis["kb_article"] == "Teeth Whitening"


def test_an_answer_carries_no_link_from_the_article():
    campaign = make_campaign()

    reply(campaign, "can I book online?")

    body = only_message(campaign).body
    assert "brightsmile.example.com" not in body
    assert body.count("https://") == 1


def test_an_answer_states_only_the_prices_of_the_article():
    campaign = make_campaign()

    reply(campaign, "how much is a crown without insurance?")

    body = only_message(campaign).body
    assert "$1,150\u2013$1,450" in body
    assert len(body) <= 320


def test_a_question_the_knowledge_base_does_not_answer_is_handed_off():
    campaign = make_campaign()

    run = reply(campaign, "Do you do veneers? My front teeth are a bit uneven")

    assert run.action == Action.HANDOFF
    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    details = campaign.handoff_details
    assert set(details) == {"summary", "reason", "requested_at"}
    assert details["reason"] == HandoffReason.UNANSWERED_QUESTION
    assert "veneers" in details["summary"]
    assert "a staff member will get back to you" in only_message(campaign).body


def test_a_price_the_article_does_not_state_is_handed_off():
    campaign = make_campaign()

    reply(campaign, "how much is the bone graft if I need one?")

    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    assert "$" not in only_message(campaign).body


def test_pain_is_handed_off_and_the_patient_told_where_to_go_meanwhile():
    campaign = make_campaign()

    reply(campaign, "my tooth is killing me and my cheek is swollen")

    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    assert campaign.handoff_details["reason"] == HandoffReason.PAIN_OR_EMERGENCY
    assert "911" in only_message(campaign).body


def test_a_handoff_alerts_staff_by_email_without_the_patients_words(settings):
    settings.HANDOFF_NOTIFY_EMAIL = "frontdesk@clinic.example"
    campaign = make_campaign()

    reply(campaign, "can I talk to a real person please")

    alert = OutboxMessage.objects.get(to="frontdesk@clinic.example")
    assert alert.channel == Channel.EMAIL
    assert "Asked for a person" in alert.body
    assert f"/campaigns/{campaign.pk}/" in alert.body  # the dashboard page, not the admin
    assert "real person" not in alert.body


def test_no_staff_alert_is_sent_when_no_address_is_configured():
    campaign = make_campaign()

    reply(campaign, "can I talk to a real person please")

    assert OutboxMessage.objects.count() == 1  # the notice to the patient only


def test_a_decline_closes_the_campaign_politely():
    campaign = make_campaign()

    run = reply(campaign, "No thanks, I found another dentist closer to work.")

    assert run.action == Action.CLOSE_DECLINED
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED
    assert not campaign.is_active
    assert "thanks for letting us know" in only_message(campaign).body
    assert campaign.patient.opted_out_at is None


def test_stop_opts_the_patient_out_of_everything_with_one_confirmation():
    campaign = make_campaign(next_attempt_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    queued = campaign.interactions.create(
        direction="outgoing", content="queued", channel_type="sms", delivery_status="queued"
    )

    run = reply(campaign, "STOP")

    assert run.action == Action.OPT_OUT
    assert campaign.patient.opted_out_at is not None
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED
    assert campaign.next_attempt_at is None
    queued.refresh_from_db()
    assert (queued.delivery_status, queued.error) == (DeliveryStatus.FAILED, CANCELLED_QUEUED)
    body = only_message(campaign).body
    assert "unsubscribed" in body
    assert "START" in body


@pytest.mark.parametrize(
    "text",
    [
        "stop",
        "Stop.",
        "STOP thank you",
        "sToP",
        "UNSUBSCRIBE",
        "quit",
        "End",
        "STOPALL",
        "please don't text me anymore",
        "Remove me from your list",
        "STOP. I have a new dentist.",
    ],
)
def test_every_form_of_stop_opts_out(text):
    campaign = make_campaign()

    assert reply(campaign, text).action == Action.OPT_OUT
    assert campaign.patient.opted_out_at is not None


def test_no_reply_while_a_person_owns_the_conversation_but_the_message_is_kept():
    campaign = make_campaign(status=CampaignStatus.HANDOFF_REQUIRED)

    run = reply(campaign, "hello? any news on my question?")

    assert run.outcome == "recorded"
    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    assert [i.content for i in incoming(campaign)] == ["hello? any news on my question?"]
    assert incoming(campaign)[0].ai_analysis["intent"] == "awaiting_staff"
    assert sent_messages(campaign) == []


def test_stop_is_honoured_while_a_person_owns_the_conversation():
    campaign = make_campaign(status=CampaignStatus.HANDOFF_REQUIRED)

    reply(campaign, "stop texting me")

    assert campaign.patient.opted_out_at is not None
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED
    assert "unsubscribed" in only_message(campaign).body


def test_an_opted_out_patient_gets_no_reply_and_the_campaign_stays_closed():
    campaign = make_campaign()
    reply(campaign, "STOP")
    OutboxMessage.objects.all().delete()

    run = reply(campaign, "actually, how much is a crown?")

    assert run.outcome == "recorded"
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED
    assert OutboxMessage.objects.count() == 0
    assert len(incoming(campaign)) == 2


def test_start_resubscribes_an_opted_out_patient():
    campaign = make_campaign()
    reply(campaign, "STOP")
    OutboxMessage.objects.all().delete()

    reply(campaign, "START")

    assert campaign.patient.opted_out_at is None
    assert "subscribed" in only_message(campaign).body
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED


def test_a_reply_reopens_a_declined_campaign():
    campaign = make_campaign(status=CampaignStatus.RECOVERY_DECLINED)

    reply(campaign, "Sorry, I changed my plans. Yes, I'd like to book.")

    assert campaign.status == CampaignStatus.RE_ENGAGED
    assert campaign.booking_link in only_message(campaign).body


def test_a_reply_does_not_reopen_a_recovered_campaign():
    campaign = make_campaign(status=CampaignStatus.RECOVERED)

    run = reply(campaign, "thanks again!")

    assert run.outcome == "recorded"
    assert campaign.status == CampaignStatus.RECOVERED
    assert sent_messages(campaign) == []


def test_a_reply_does_not_reopen_a_campaign_when_another_is_active():
    patient = make_patient()
    old = make_campaign(patient, status=CampaignStatus.RECOVERY_FAILED)
    make_campaign(patient)

    run = reply(old, "yes")

    assert run.outcome == "recorded"
    assert old.status == CampaignStatus.RECOVERY_FAILED
    assert sent_messages(old) == []


def test_a_redelivered_message_is_handled_once():
    campaign = make_campaign()

    reply(campaign, "yes", external_id="SM-1")
    run = reply(campaign, "yes", external_id="SM-1")

    assert run.outcome == "duplicate"
    assert len(incoming(campaign)) == 1
    assert len(sent_messages(campaign)) == 1


def test_nothing_is_sent_when_staff_take_over_before_the_send():
    campaign = make_campaign()

    def staff_take_over():
        fresh = Campaign.objects.get(pk=campaign.pk)
        return campaign_move(fresh, CampaignStatus.HANDOFF_REQUIRED)

    # The agent has decided and is recording the booking link it is about to send.
    recording_the_link = statement("UPDATE", Campaign, mentioning="booking_link")
    with before_query(recording_the_link, staff_take_over) as takeover:
        run = reply(campaign, "yes")

    assert takeover.result is True  # staff took it over
    assert run.outcome == "not_sent_changed"
    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    assert sent_messages(campaign) == []
    assert outgoing(campaign) == []


def test_an_email_reply_carries_the_unsubscribe_link_and_postal_address(settings):
    patient = make_patient(preferred_channels=["email"])
    campaign = make_campaign(patient, channel=Channel.EMAIL)

    reply(campaign, "Hi,\n\nWhere do I park?\n\nThanks,\nMaria")

    message = only_message(campaign)
    assert message.to == "maria@example.com"
    assert settings.CLINIC_POSTAL_ADDRESS in message.body
    token = message.body.split("/unsubscribe/")[1].split("/")[0]
    assert unsubscribe_patient_id(token) == patient.pk
    assert "Free patient parking" in message.body


def test_an_unsubscribe_link_stays_valid_for_at_least_30_days_and_cannot_be_forged():
    patient = make_patient()
    with time_machine.travel(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), tick=False):
        token = unsubscribe_url(patient).rstrip("/").rsplit("/", 1)[1]
    with time_machine.travel(dt.datetime(2025, 2, 15, tzinfo=dt.UTC), tick=False):
        assert unsubscribe_patient_id(token) == patient.pk
        assert unsubscribe_patient_id(token[:-2] + "xx") is None


def test_a_crash_after_the_reply_is_stored_hands_the_conversation_to_staff(settings):
    # A deployment whose signing key has gone: the booking link cannot be made.
    settings.SECRET_KEY = ""
    campaign = make_campaign()

    run = reply(campaign, "yes please")

    assert run.outcome == "error_handed_off"
    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    assert campaign.handoff_details["reason"] == HandoffReason.AI_UNAVAILABLE
    assert incoming(campaign)[0].content == "yes please"
