"""Measuring the reactive decision on labelled replies, purely in memory: no database, no sends
(`manage.py agent_eval`)."""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from agent.brains import Brain, Conversation, Turn
from agent.choices import PRECEDENCE, VISIT_ACTIONS
from agent.knowledge import KnowledgeBase

FIVE_ACTIONS = frozenset(PRECEDENCE) - VISIT_ACTIONS  # always in the report; visit ones if used


@dataclass(frozen=True)
class Case:
    id: str
    channel: str
    campaign_type: str
    outreach: str
    reply: str
    action: str
    kb_article: str | None
    context: str = ""  # "reminder": a reply to a visit's confirmation or reminder


@dataclass(frozen=True)
class Outcome:
    case: Case
    predicted: str
    article: str
    reason: str
    articles: tuple[str, ...] = ()  # every article an answer quotes

    @property
    def grounded(self) -> bool:
        """An answer quoting the article labelled as the one that answers."""
        return self.predicted == "ANSWER_QUESTION" and self.case.kb_article in (
            self.articles or (self.article,)
        )


def load_cases(path: str | Path) -> list[Case]:
    cases = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.append(
                Case(
                    id=str(row.get("id", number)),
                    channel=row.get("channel", "sms"),
                    campaign_type=row.get("campaign_type", "RECOVERY"),
                    outreach=row.get("outreach", ""),
                    reply=row["reply"],
                    action=row["action"],
                    kb_article=row.get("kb_article"),
                    context=row.get("context") or "",
                )
            )
        except (ValueError, KeyError) as exc:
            raise ValueError(f"line {number}: not a case ({exc})") from exc
    return cases


def evaluate(cases: list[Case], kb: KnowledgeBase, brain: Brain) -> list[Outcome]:
    outcomes = []
    for case in cases:
        conversation = Conversation(
            reply=case.reply,
            clinic_name=kb.clinic_name,
            campaign_type=case.campaign_type,
            channel=case.channel,
            history=(Turn("clinic", case.outreach),) if case.outreach else (),
            context=case.context,
        )
        decision = brain.decide(conversation, kb)
        articles = tuple(decision.extra.get("articles", ()))
        outcomes.append(
            Outcome(case, decision.action, decision.article_title, decision.reason, articles)
        )
    return outcomes


def report(outcomes: list[Outcome]) -> list[str]:
    """Per-action precision and recall, the confusion matrix, and last `accuracy=… n=…`."""
    seen = {o.case.action for o in outcomes} | {o.predicted for o in outcomes}
    labels = [a for a in PRECEDENCE if a in seen or a in FIVE_ACTIONS]
    labels += sorted(seen - set(labels))
    pairs = Counter((o.case.action, o.predicted) for o in outcomes)
    n = len(outcomes)
    correct = sum(pairs[(a, a)] for a in labels)
    lines = [f"{'action':<18} {'precision':>9} {'recall':>7} {'support':>7}"]
    for a in labels:
        predicted = sum(pairs[(t, a)] for t in labels)
        actual = sum(pairs[(a, p)] for p in labels)
        precision = pairs[(a, a)] / predicted if predicted else 0.0
        recall = pairs[(a, a)] / actual if actual else 0.0
        lines.append(f"{a:<18} {precision:>9.3f} {recall:>7.3f} {actual:>7}")
    answers = [o for o in outcomes if o.predicted == "ANSWER_QUESTION"]
    grounded = sum(o.grounded for o in answers)
    lines.append(f"answer_grounded={grounded}/{len(answers)}")
    short = {a: _short(a, labels) for a in labels}
    lines.append("")
    lines.append("confusion matrix (rows: labelled, columns: predicted)")
    lines.append(" " * 18 + "".join(f"{short[a]:>6}" for a in labels))
    for a in labels:
        lines.append(f"{a:<18}" + "".join(f"{pairs[(a, p)]:>6}" for p in labels))
    lines.append("")
    lines.append(f"accuracy={correct / n if n else 0.0:.3f} n={n}")
    return lines


def _short(action: str, labels: list[str]) -> str:
    """The column name: the words' initials ("OO"), longer where two actions share them."""
    initials = ["".join(w[0] for w in label.split("_")) for label in labels]
    words = action.split("_")
    mine = "".join(w[0] for w in words)
    return mine if initials.count(mine) == 1 else words[0][:2] + "".join(w[0] for w in words[1:])
