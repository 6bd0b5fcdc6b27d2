"""The dashboard speaks to staff in words (SPEC §8): one label per status, the buttons and the
reply box's "Then" choice named alike, the AI's reading of a reply in phrases — never an
internal name such as RE_ENGAGED or booking_request."""

import re

import pytest
from django.utils import timezone

from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from patients.models import Patient

pytestmark = pytest.mark.django_db

INTERNAL = re.compile(r"\b(?:[A-Z]+_[A-Z_]+|[a-z]+_[a-z_]+)\b")


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def conversation(status=CampaignStatus.RE_ENGAGED, campaign_type=CampaignType.RECOVERY):
    patient = Patient.objects.create(name="Rosa Diaz", email="rosa@example.com")
    campaign = Campaign.objects.create(
        patient=patient, campaign_type=campaign_type, channel_type=Channel.EMAIL, status=status
    )
    Interaction.objects.create(
        patient=patient,
        campaign=campaign,
        direction=Direction.INCOMING,
        content="Can I come in next week?",
        channel_type=Channel.EMAIL,
        delivery_status=DeliveryStatus.RECEIVED,
        ai_analysis={
            "intent": "booking_request",
            "sentiment": "positive",
            "confidence": 0.914,
            "action": "SEND_BOOKING_LINK",
        },
        timestamp=timezone.now(),
    )
    return campaign


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: no tags, attributes, scripts or styles."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_a_recall_campaign_that_has_just_started_reads_reaching_out(staff):
    campaign = conversation(CampaignStatus.ATTEMPTING_RECOVERY, CampaignType.RECALL)

    page = staff.get(f"/campaigns/{campaign.pk}/").text

    assert "Reaching out" in page
    assert "Attempting recovery" not in page


def test_the_status_buttons_and_the_then_choice_use_the_same_words(staff):
    campaign = conversation(CampaignStatus.HANDOFF_REQUIRED)

    response = staff.get(f"/campaigns/{campaign.pk}/")

    buttons = {a["status"]: a["label"] for a in response.context["actions"]}
    then = dict(response.context["reply_form"].fields["new_status"].choices)
    assert buttons["RE_ENGAGED"] == then["RE_ENGAGED"] == "Hand back to the AI"
    assert {s: then[s] for s in buttons} == buttons
    assert 'class="badge warn">With staff<' in response.text


def test_the_ai_reading_of_a_reply_is_in_words(staff):
    campaign = conversation()

    text = visible_text(staff.get(f"/campaigns/{campaign.pk}/").text)

    for words in ("Read as: wants to book", "Tone: positive", "91% sure"):
        assert words in text
    assert "Did: send the booking link" in text
    assert not INTERNAL.findall(text)


def test_the_queue_and_the_campaign_list_show_no_internal_name(staff):
    conversation(CampaignStatus.HANDOFF_REQUIRED)
    Campaign.objects.update(handoff_reason="pain_or_emergency", handoff_requested_at=timezone.now())

    for url in ("/handoffs/", "/campaigns/", "/"):
        text = visible_text(staff.get(url).text)
        assert not INTERNAL.findall(text), (url, INTERNAL.findall(text))
    assert "Pain or a possible emergency" in visible_text(staff.get("/handoffs/").text)
