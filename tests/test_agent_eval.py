"""The offline brain measured on the labelled development replies, the evaluation and
knowledge-base commands, and the eval replies driven through the whole graph: never an action
outside the five, never a link but the booking link."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from agent import signals
from agent.brains import Conversation, get_brain
from agent.choices import Action
from agent.evaluation import evaluate, load_cases
from agent.knowledge import KnowledgeBase, parse_kb_markdown
from agent.models import KnowledgeArticle
from agent.safety import links_in
from agent.services import agent_handle_reply
from agent.text import correct_typos
from campaigns.models import Campaign
from dentalai.choices import Channel
from messaging.models import OutboxMessage
from tests.agent_fixtures import (  # noqa: F401 - fixtures
    DEV_CASES,
    DEV_KB,
    agent_environment,
    booking_links,
    kb,
    make_campaign,
    make_patient,
    sent_messages,
)


@pytest.fixture(scope="module")
def outcomes():
    knowledge = KnowledgeBase.from_markdown(DEV_KB.read_text())
    return evaluate(load_cases(DEV_CASES), knowledge, get_brain("offline"))


def precision_recall(outcomes, action):
    predicted = [o for o in outcomes if o.predicted == action]
    actual = [o for o in outcomes if o.case.action == action]
    hits = [o for o in predicted if o.case.action == action]
    return len(hits) / max(1, len(predicted)), len(hits) / max(1, len(actual))


def test_the_offline_brain_meets_the_quality_bar_on_the_development_replies(outcomes):
    accuracy = sum(o.predicted == o.case.action for o in outcomes) / len(outcomes)
    assert accuracy >= 0.85
    assert precision_recall(outcomes, Action.OPT_OUT)[1] == 1.0
    assert precision_recall(outcomes, Action.ANSWER_QUESTION)[0] >= 0.9


def test_answers_cite_the_article_that_answers_the_question(outcomes):
    answered = [o for o in outcomes if o.predicted == o.case.action == Action.ANSWER_QUESTION]
    right = [o for o in answered if o.article == o.case.kb_article]
    assert len(right) >= 0.85 * len(answered)


@pytest.mark.django_db
def test_agent_eval_prints_the_report_and_touches_no_database(django_assert_num_queries):
    out = StringIO()

    with django_assert_num_queries(0):
        call_command("agent_eval", cases=str(DEV_CASES), kb=str(DEV_KB), stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert re.fullmatch(r"accuracy=\d\.\d{3} n=120", lines[-1])
    assert lines[0].split() == ["action", "precision", "recall", "support"]
    assert any(line.startswith("confusion matrix") for line in lines)
    for action in Action.values:
        assert any(line.startswith(action) for line in lines)
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_import_kb_creates_then_updates_in_place(tmp_path):
    _, articles = parse_kb_markdown(DEV_KB.read_text())
    n = len(articles)
    out = StringIO()
    call_command("import_kb", str(DEV_KB), stdout=out)
    count = KnowledgeArticle.objects.count()
    assert count == n
    assert f"Bright Smile Dental: {n} created, 0 updated, 0 unchanged" in out.getvalue()

    out = StringIO()
    call_command("import_kb", str(DEV_KB), stdout=out)
    assert f"0 created, 0 updated, {n} unchanged" in out.getvalue()

    edited = tmp_path / "kb.md"
    edited.write_text(DEV_KB.read_text().replace("Free patient parking", "Paid parking"))
    out = StringIO()
    call_command("import_kb", str(edited), stdout=out)
    assert f"0 created, 1 updated, {n - 1} unchanged" in out.getvalue()
    assert KnowledgeArticle.objects.count() == count
    assert "Paid parking" in KnowledgeArticle.objects.get(title="Location and Parking").body


@pytest.mark.django_db
@pytest.mark.usefixtures("kb")
def test_agent_reply_drives_a_campaign_by_hand():
    campaign = make_campaign()
    out = StringIO()

    call_command("agent_reply", campaign=campaign.pk, text="yes please", stdout=out)

    assert "action: SEND_BOOKING_LINK" in out.getvalue()
    assert "campaign status: RE_ENGAGED" in out.getvalue()
    assert len(sent_messages(campaign)) == 1


def eval_cases(predicate=lambda case: True):
    rows = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()]
    return [row for row in rows if predicate(row)]


INJECTIONS = eval_cases(lambda row: "injection" in row["note"].lower())


@pytest.mark.django_db
@pytest.mark.parametrize("case", INJECTIONS, ids=[c["id"] for c in INJECTIONS])
@pytest.mark.usefixtures("kb")
def test_prompt_injection_replies_are_handed_off_without_links(case):
    campaign = make_campaign(channel=Channel.SMS)

    run = agent_handle_reply(campaign_id=campaign.pk, text=case["reply"])

    assert run.action == Action.HANDOFF
    (message,) = sent_messages(campaign)
    assert links_in(message.body) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("kb")
def test_every_eval_reply_ends_in_one_of_the_five_actions_with_no_foreign_link():
    for number, case in enumerate(eval_cases()):
        patient = make_patient(
            email=f"p{number}@example.com", phone=f"+1518555{number:04d}", name="Sam Lee"
        )
        campaign = make_campaign(patient, channel=case["channel"])

        run = agent_handle_reply(campaign_id=campaign.pk, text=case["reply"])

        assert run.action in Action.values, case["id"]
        campaign = Campaign.objects.get(pk=campaign.pk)
        for message in sent_messages(campaign):
            allowed = {campaign.booking_link}
            if message.channel == Channel.EMAIL:
                allowed |= {link for link in links_in(message.body) if "/unsubscribe/" in link}
            assert set(links_in(message.body)) <= allowed, case["id"]
            if message.channel != Channel.EMAIL:
                assert len(message.body) <= 320, case["id"]


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("cases", "kb_file"),
    [
        (DATA / "second_clinic_cases.jsonl", DATA / "second_clinic_kb.md"),
        (DATA / "more_dev_clinic_cases.jsonl", DEV_KB),
        (DATA / "gen2_pediatric_cases.jsonl", DATA / "gen2_pediatric_kb.md"),
        (DATA / "gen2_rural_tune_cases.jsonl", DATA / "gen2_rural_kb.md"),
        (DATA / "gen3_harbor_cases.jsonl", DATA / "gen3_harbor_kb.md"),
        (DATA / "gen2_ortho_cases.jsonl", DATA / "gen2_ortho_kb.md"),
        (DATA / "gen2_rural_holdout_cases.jsonl", DATA / "gen2_rural_kb.md"),
    ],
    ids=[
        "second-clinic",
        "more-dev-clinic-replies",
        "pediatric-clinic",
        "rural-clinic-tuning-half",
        "city-clinic",
        "orthodontics-clinic-held-out",
        "rural-clinic-held-out-half",
    ],
)
def test_the_offline_brain_holds_the_bar_on_replies_and_a_clinic_it_was_not_written_for(
    cases, kb_file
):
    knowledge = KnowledgeBase.from_markdown(kb_file.read_text())
    outcomes = evaluate(load_cases(cases), knowledge, get_brain("offline"))
    accuracy = sum(o.predicted == o.case.action for o in outcomes) / len(outcomes)
    assert accuracy >= 0.85
    assert precision_recall(outcomes, Action.OPT_OUT)[1] == 1.0
    assert precision_recall(outcomes, Action.ANSWER_QUESTION)[0] >= 0.9


@pytest.mark.parametrize(
    ("cases", "kb_file"),
    [
        (DATA / "gen2_pediatric_cases.jsonl", DATA / "gen2_pediatric_kb.md"),
        (DATA / "gen2_rural_tune_cases.jsonl", DATA / "gen2_rural_kb.md"),
        (DATA / "gen3_harbor_cases.jsonl", DATA / "gen3_harbor_kb.md"),
    ],
    ids=["pediatric-clinic", "rural-clinic-tuning-half", "city-clinic"],
)
def test_answers_on_the_new_clinics_cite_the_labelled_article(cases, kb_file):
    knowledge = KnowledgeBase.from_markdown(kb_file.read_text())
    outcomes = evaluate(load_cases(cases), knowledge, get_brain("offline"))
    answered = [o for o in outcomes if o.predicted == o.case.action == Action.ANSWER_QUESTION]
    assert all(o.article == o.case.kb_article for o in answered)


# --- The mechanisms behind the numbers --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "unsubscibe",
        "pls stop txting me",
        "can u take us off ur list, we switched to a dentist closer to home",
        "Please remove our family from your mailing list. We won't be returning.",
        "Dont want these txts",
        "Please delete my number, I don't live in Seattle anymore",
        "how do i stop getting these?",
        "I'd prefer not to get texts from your office going forward",
        "DO NOT TEXT THIS NUMBER",
        "enough with the texts",
        "S T O P",
        "Not interested, stop",
        "Kindly stop emailing me.\n\nOn Tue, Mar 4, 2025 at 9:12 AM Clinic <a@b.example> wrote:"
        "\n> Hi",
    ],
)
def test_opt_out_is_read_through_typos_shorthand_and_quoted_mail(text):
    assert signals.is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "The pain won't stop",
        "please take me off the wait list for friday",
        "cancel my appointment on friday",
        "Yes please!\n\nOn Mon, Apr 7, 2025 Clinic <a@b.example> wrote:\n"
        "> To unsubscribe, reply STOP",
    ],
)
def test_words_of_an_opt_out_in_another_sense_or_in_a_quote_are_not_one(text):
    assert not signals.is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "We moved to Boise last summer so we'll find someone there. Thanks tho!",
        "We decided to go with Dr. Patel's office since it's next to her school.",
        "we already got her teeth cleaned at the pediatrician's dental day",
        "We're moving to Wichita next month so no thanks",
        "i go to a dentist near my new job now",
        "I'm going to put this on hold for now - it's not the right time.",
        "Can't afford it",
    ],
)
def test_declines_are_recognised_in_their_many_forms(text):
    assert signals.is_decline(text)


@pytest.mark.parametrize(
    "text",
    [
        "do you do braces too or do we need to go somewhere else",
        "No, Thursday doesn't work, how about Friday?",
        "no insurance, how much is a cleaning?",
    ],
)
def test_a_no_inside_a_question_or_about_a_time_is_not_a_decline(text):
    assert not signals.is_decline(text)


def test_typos_are_put_right_but_the_clinics_own_words_and_names_are_kept():
    fixed = correct_typos("yes plz, do u guys acept Moda insurence? Zoe says hi", {"moda"})
    assert "accept" in fixed and "insurance" in fixed
    assert "Moda" in fixed and "Zoe" in fixed


def test_opening_hours_are_read_from_the_article_on_hours():
    pediatric = KnowledgeBase.from_markdown((DATA / "gen2_pediatric_kb.md").read_text())
    hours = pediatric.opening_hours()
    assert hours[1] == [(10 * 60, 19 * 60)]  # Tuesday until 7 PM
    assert hours[6] == []  # closed on Sundays
    assert pediatric.open_at("anything tuesday after 5?") is True
    assert pediatric.open_at("anything thursday evening?") is False
    assert pediatric.open_at("any openings?") is None


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("what times do you have on the first saturday of next month?", Action.SEND_BOOKING_LINK),
        ("Are you open any saturdays? we both work weekdays", Action.ANSWER_QUESTION),
        ("can you get me in next week", Action.SEND_BOOKING_LINK),
        ("Is fluoride actually safe? I've read mixed things online", Action.HANDOFF),
        ("how much is a space maintainer?", Action.HANDOFF),
        ("Whats ur adress again", Action.ANSWER_QUESTION),
    ],
)
def test_the_offline_brain_on_replies_to_a_clinic_it_was_not_written_for(text, action):
    pediatric = KnowledgeBase.from_markdown((DATA / "gen2_pediatric_kb.md").read_text())
    decision = get_brain("offline").decide(Conversation(reply=text), pediatric)
    assert decision.action == action
