"""The offline brain measured on the labelled development replies, the evaluation and
knowledge-base commands, and the eval replies driven through the whole graph: never an action
outside the five, never a link but the booking link."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from agent.brains import Conversation, get_brain
from agent.choices import Action
from agent.evaluation import FIVE_ACTIONS, evaluate, load_cases
from agent.knowledge import KnowledgeBase, parse_kb_markdown
from agent.models import KnowledgeArticle
from agent.safety import links_in
from agent.services import agent_handle_reply
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

# The levels measured when the brain was last trained (docs/AGENT.md), less a small margin.
DEV_ACCURACY = 0.9
# Over the regression sets pooled (n = 440); each set alone may move more — a set of 31
# replies moves three points a reply.
REGRESSION_ACCURACY = 0.9
REGRESSION_SET_ACCURACY = 0.8


@pytest.fixture(scope="module")
def outcomes():
    knowledge = KnowledgeBase.from_markdown(DEV_KB.read_text())
    return evaluate(load_cases(DEV_CASES), knowledge, get_brain("offline"))


def precision_recall(outcomes, action):
    predicted = [o for o in outcomes if o.predicted == action]
    actual = [o for o in outcomes if o.case.action == action]
    hits = [o for o in predicted if o.case.action == action]
    return len(hits) / max(1, len(predicted)), len(hits) / max(1, len(actual))


def test_the_offline_brain_holds_its_measured_level_on_the_development_replies(outcomes):
    # Nothing is trained on these replies: this measures, and fails when the brain gets worse.
    accuracy = sum(o.predicted == o.case.action for o in outcomes) / len(outcomes)
    assert accuracy >= DEV_ACCURACY
    assert precision_recall(outcomes, Action.OPT_OUT) == (1.0, 1.0)
    assert precision_recall(outcomes, Action.ANSWER_QUESTION)[0] >= 0.9


def test_answers_quote_the_article_that_answers_the_question(outcomes):
    answers = [o for o in outcomes if o.predicted == Action.ANSWER_QUESTION]
    assert sum(o.grounded for o in answers) >= 0.9 * len(answers)


@pytest.mark.django_db
def test_agent_eval_prints_the_report_and_touches_no_database(django_assert_num_queries):
    out = StringIO()

    with django_assert_num_queries(0):
        call_command("agent_eval", cases=str(DEV_CASES), kb=str(DEV_KB), stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert re.fullmatch(r"accuracy=\d\.\d{3} n=120", lines[-1])
    assert any(re.fullmatch(r"answer_grounded=\d+/\d+", line) for line in lines)
    assert lines[0].split() == ["action", "precision", "recall", "support"]
    assert any(line.startswith("confusion matrix") for line in lines)
    for action in FIVE_ACTIONS:  # the visit actions only when the cases have them
        assert any(line.startswith(action) for line in lines)
    assert not any(line.startswith("CONFIRM_VISIT") for line in lines)
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


REGRESSION_SETS = {
    "second-clinic": ("second_clinic_cases.jsonl", DATA / "second_clinic_kb.md"),
    "more-dev-clinic-replies": ("more_dev_clinic_cases.jsonl", DEV_KB),
    "pediatric-clinic": ("gen2_pediatric_cases.jsonl", DATA / "gen2_pediatric_kb.md"),
    "rural-clinic-first-half": ("gen2_rural_tune_cases.jsonl", DATA / "gen2_rural_kb.md"),
    "city-clinic": ("gen3_harbor_cases.jsonl", DATA / "gen3_harbor_kb.md"),
    "orthodontics-clinic": ("gen2_ortho_cases.jsonl", DATA / "gen2_ortho_kb.md"),
    "rural-clinic-second-half": ("gen2_rural_holdout_cases.jsonl", DATA / "gen2_rural_kb.md"),
}


@pytest.fixture(scope="module")
def regression_outcomes():
    brain = get_brain("offline")
    return {
        name: evaluate(
            load_cases(DATA / cases), KnowledgeBase.from_markdown(kb_file.read_text()), brain
        )
        for name, (cases, kb_file) in REGRESSION_SETS.items()
    }


@pytest.mark.parametrize("name", REGRESSION_SETS)
def test_the_offline_brain_holds_its_level_on_each_clinic_it_was_not_trained_on(
    regression_outcomes, name
):
    outcomes = regression_outcomes[name]
    accuracy = sum(o.predicted == o.case.action for o in outcomes) / len(outcomes)
    assert accuracy >= REGRESSION_SET_ACCURACY
    assert precision_recall(outcomes, Action.OPT_OUT) == (1.0, 1.0)
    # 6 to 29 answers a set: one wrong answer moves this by 3 to 15 points.
    assert precision_recall(outcomes, Action.ANSWER_QUESTION)[0] >= 0.85


def test_the_offline_brain_holds_its_level_over_all_those_clinics(regression_outcomes):
    pooled = [o for outcomes in regression_outcomes.values() for o in outcomes]
    accuracy = sum(o.predicted == o.case.action for o in pooled) / len(pooled)
    assert accuracy >= REGRESSION_ACCURACY
    assert precision_recall(pooled, Action.ANSWER_QUESTION)[0] >= 0.9


def test_the_offline_brain_reads_replies_to_a_visits_reminder_on_a_clinic_it_was_not_trained_on():
    # Replies to reminders written apart from the corpus, measured only (docs/AGENT.md): a wrong
    # "you're confirmed" or a wrong cancellation costs the most, so those must be right.
    knowledge = KnowledgeBase.from_markdown((DATA / "second_clinic_kb.md").read_text())
    cases = load_cases(DATA / "visit_replies_cases.jsonl")
    assert {c.context for c in cases} == {"reminder"}
    outcomes = evaluate(cases, knowledge, get_brain("offline"))
    accuracy = sum(o.predicted == o.case.action for o in outcomes) / len(outcomes)
    assert accuracy >= 0.78
    assert precision_recall(outcomes, Action.OPT_OUT) == (1.0, 1.0)
    assert precision_recall(outcomes, Action.CONFIRM_VISIT)[0] >= 0.95
    assert precision_recall(outcomes, Action.CANCEL_VISIT)[0] == 1.0


KB = """# Willow Creek Dental

## Implant-Supported Dentures
An implant-supported denture snaps onto four implants and costs $18,900 per arch.

## Office Hours
We are open Monday to Thursday from 8 AM to 5 PM. We are closed on Fridays and weekends.

## Cleaning Prices
An adult cleaning costs $120 without insurance. A child's cleaning costs $80.
"""


@pytest.mark.parametrize(
    ("text", "action", "article"),
    [
        ("how much is a cleaning for my son?", Action.ANSWER_QUESTION, "Cleaning Prices"),
        ("r u guys open on mondays", Action.ANSWER_QUESTION, "Office Hours"),
        ("how much is a single implant?", Action.HANDOFF, ""),
        ("are you open on thanksgiving?", Action.HANDOFF, ""),
        ("how long does a cleaning take?", Action.HANDOFF, ""),
        # What a question asks about is often in the sentence before it.
        (
            "I've been thinking about the implant-supported denture for a while now. How much"
            " is it?",
            Action.ANSWER_QUESTION,
            "Implant-Supported Dentures",
        ),
        ("I work Fridays. Are you open then?", Action.ANSWER_QUESTION, "Office Hours"),
        (
            "My son Diego is 8. How much is a cleaning for him?",
            Action.ANSWER_QUESTION,
            "Cleaning Prices",
        ),
        ("sounds good, send me the link", Action.SEND_BOOKING_LINK, ""),
        ("we moved out of state last spring, thanks anyway", Action.CLOSE_DECLINED, ""),
    ],
)
def test_a_question_is_answered_only_from_the_article_that_answers_it(text, action, article):
    knowledge = KnowledgeBase.from_markdown(KB)

    decision = get_brain("offline").decide(Conversation(reply=text), knowledge)

    assert decision.action == action
    assert decision.article_title == article
    if article:
        assert decision.answer in knowledge.article(article).body or all(
            sentence in knowledge.article(article).body for sentence in decision.answer.split(". ")
        )
