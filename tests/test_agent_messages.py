"""What the agent says, and the guards on it: channel limits, only the booking link, figures
only from the article."""

import pytest

from agent.messages import COMPOSED_KINDS, SMS_LIMIT, MessageContext, compose
from agent.safety import grounded, links_in, strip_links
from campaigns.choices import CampaignType, MessageKind
from dentalai.choices import Channel
from tests.agent_fixtures import agent_environment  # noqa: F401 - fixture

LINK = "https://clinic.example.com/book/?t=abc"


def context(**fields) -> MessageContext:
    base = {
        "channel": Channel.SMS,
        "campaign_type": CampaignType.RECOVERY,
        "first_name": "Maria",
        "procedure": "Porcelain crown",
        "link": LINK,
    }
    return MessageContext(**{**base, **fields})


@pytest.mark.parametrize("kind", COMPOSED_KINDS)
@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
def test_every_text_message_fits_in_320_characters(kind, channel):
    long_answer = "Our crowns are made by a lab in Ohio. " * 30
    text = compose(kind, context(channel=channel, answer=long_answer, urgent=True))
    assert len(text) <= SMS_LIMIT


@pytest.mark.parametrize("kind", COMPOSED_KINDS)
def test_every_email_ends_with_the_postal_address_and_unsubscribe_link(kind, settings):
    url = "https://clinic.example.com/unsubscribe/token/"
    text = compose(kind, context(channel=Channel.EMAIL, unsubscribe_url=url, answer="Yes."))
    assert settings.CLINIC_POSTAL_ADDRESS in text
    assert text.rstrip().endswith(url)


def test_outreach_names_the_clinic_and_the_inquiry_and_follow_ups_differ(settings):
    first = compose(MessageKind.OUTREACH, context(attempt=0))
    second = compose(MessageKind.FOLLOW_UP, context(attempt=1))
    last = compose(MessageKind.FOLLOW_UP, context(attempt=2))
    for text in (first, second, last):
        assert settings.CLINIC_NAME in text
        assert "Porcelain crown" in text
        assert text.endswith("Reply STOP to opt out.")
    assert len({first, second, last}) == 3


def test_recall_outreach_names_the_visit_that_is_due():
    text = compose(
        MessageKind.OUTREACH,
        context(campaign_type=CampaignType.RECALL, procedure="6-month cleaning and checkup"),
    )
    assert "due for 6-month cleaning and checkup" in text


def test_an_answer_keeps_the_booking_link_and_drops_any_other():
    text = compose(
        MessageKind.ANSWER,
        context(answer="Book at brightsmile.example.com/book or see https://evil.example.com."),
    )
    assert links_in(text) == [LINK]


def test_strip_links_keeps_only_the_allowed_link():
    text = f"See www.other.com and {LINK}."
    assert strip_links(text, allowed=(LINK,)) == f"See and {LINK}."


def test_grounded_refuses_a_figure_the_article_does_not_state():
    article = "A porcelain crown costs $1,150\u2013$1,450 per tooth without insurance."
    assert grounded("A crown costs $1,150\u2013$1,450 without insurance.", article)
    assert not grounded("A crown costs $999.", article)
