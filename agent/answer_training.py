"""Training the answerability check (`agent.retrieval`, `agent.intent.AnswerMemory`): each question
of the corpus against its clinic's candidate articles, labelled by whether that article answers
it; the regression over their evidence, its memory of those pairs, and its threshold.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from agent.choices import Action
from agent.fitting import fit_linear, linear_out_of_fold
from agent.intent import QUESTION, AnswerMemory, Linear, answer_features, unit
from agent.knowledge import KnowledgeBase
from agent.retrieval import Retrieved, question_clauses, retrieve
from agent.text import clean_reply, sentences, terms

ANSWER_C = 0.01
# The share of held-out answers that must be right, on a corpus where a quarter of the questions
# are near-misses of a covered topic (0.88 was measured too: fewer answers, no fewer wrong ones
# outside the corpus).
TARGET_ANSWER_PRECISION = 0.85
SMOOTHING = 0.5


@dataclass(frozen=True)
class Answering:
    check: Linear
    memory: AnswerMemory
    threshold: float
    term_weights: dict[str, float]


def train_answering(examples, texts: list[str], kbs: dict[str, KnowledgeBase], embed) -> Answering:
    """The answerability check for the question `examples` (replies to outreach, `texts` their
    own words) against their clinics' knowledge bases `kbs`."""
    weights = term_weights(texts, [kb_text(kb) for kb in kbs.values()])
    pairs = _answer_pairs(examples, kbs, embed, weights)
    memory = answer_memory(pairs)
    ev = _answer_evidence(pairs, memory)
    labels, groups = [p.label for p in pairs], [p.clinic for p in pairs]
    logits, classes = linear_out_of_fold(ev, labels, groups, ANSWER_C)
    yes_p = 1 / (1 + np.exp(-logits[:, 0])) if classes == ("no", "yes") else logits[:, 0]
    threshold = _answer_threshold(
        yes_p, labels, [p.hit.eligible for p in pairs], [p.clause for p in pairs]
    )
    return Answering(fit_linear(ev, labels, ANSWER_C), memory, threshold, weights)


def term_weights(replies: list[str], kb_texts: list[str]) -> dict[str, float]:
    """How much each term is the kind of word a knowledge base is written in (service, plan and
    policy words) rather than the kind patients chat with ("explain", "grandson", "easy"): the
    share of its relative frequency that comes from knowledge-base sentences. A term in neither
    gets UNSEEN_WEIGHT at run time."""
    kb_sentences = [s for text in kb_texts for s in sentences(text)]
    in_kb = Counter(t for s in kb_sentences for t in set(terms(s)))
    in_replies = Counter(t for text in replies for t in set(terms(text)))
    weights = {}
    for term in set(in_kb) | set(in_replies):
        kb_rate = (in_kb[term] + SMOOTHING) / (len(kb_sentences) + SMOOTHING)
        reply_rate = (in_replies[term] + SMOOTHING) / (len(replies) + SMOOTHING)
        weights[term] = round(kb_rate / (kb_rate + reply_rate), 3)
    return weights


@dataclass(frozen=True)
class _Pair:
    """A question of the corpus and one candidate article's sentences for it, labelled."""

    hit: Retrieved
    label: str  # "yes": they answer it
    clinic: str
    clause: str  # which clause of which reply
    sentences: tuple  # (clinic, the quoted passages): the same sentences, whatever the question


def _answer_pairs(examples, kbs, embed, weights) -> list[_Pair]:
    """Each question that the knowledge base does or does not answer, with each candidate."""
    pairs = []
    for ex in examples:
        if ex.intent != QUESTION:
            continue
        text = clean_reply(ex.case.reply)
        clauses = question_clauses(text)
        kb = kbs[ex.clinic]
        for clause, vector in zip(clauses, embed(clauses), strict=True):
            for hit in retrieve(kb, clause, vector, weights):
                title = kb.articles[hit.article].title
                if ex.case.action == Action.ANSWER_QUESTION and title == ex.case.kb_article:
                    label = "yes"
                elif len(clauses) == 1:
                    label = "no"  # no answer in the knowledge base, or another article's
                else:
                    continue  # which clause has no answer (or asks about another one) is unknown
                clause_id = f"{ex.case.id}/{clause}"
                pairs.append(_Pair(hit, label, ex.clinic, clause_id, (ex.clinic, hit.passages)))
    return pairs


def answer_memory(pairs: list[_Pair]) -> AnswerMemory:
    """The pairs as the brain remembers them: each question and each set of sentences once."""
    questions = {p.clause: p.hit.question for p in pairs}
    quoted = {p.sentences: p.hit.quoted for p in pairs}
    question_rows = {key: i for i, key in enumerate(questions)}
    sentence_rows = {key: i for i, key in enumerate(quoted)}
    return AnswerMemory.stored(
        np.stack([unit(v) for v in questions.values()]),
        np.stack([unit(v) for v in quoted.values()]),
        [question_rows[p.clause] for p in pairs],
        [sentence_rows[p.sentences] for p in pairs],
        [p.label == "yes" for p in pairs],
    )


def _answer_evidence(pairs: list[_Pair], memory: AnswerMemory) -> np.ndarray:
    """The answerability check's features of each pair; the memory's part never from the pair's
    own clinic, as a clinic the brain decides for is never in its memory."""
    clinics = np.array([p.clinic for p in pairs])
    return np.stack([answer_features(p.hit, memory, exclude=clinics == p.clinic) for p in pairs])


def _answer_threshold(probs, labels, kinds, clause_ids) -> float:
    """The lowest threshold at which the brain's held-out answers are right at least
    TARGET_ANSWER_PRECISION of the time. The brain answers each question from its likeliest
    candidate article, so precision is counted over those."""
    best: dict[str, tuple[float, bool]] = {}
    for p, label, kind, clause in zip(probs, labels, kinds, clause_ids, strict=True):
        if kind and p > best.get(clause, (-1.0, False))[0]:
            best[clause] = (float(p), label == "yes")
    chosen = np.array([p for p, _ in best.values()])
    right = np.array([ok for _, ok in best.values()])
    for t in np.arange(0.3, 0.96, 0.01):
        sent = chosen >= t
        if sent.sum() and right[sent].mean() >= TARGET_ANSWER_PRECISION:
            return round(float(t), 2)
    return 0.95


def kb_text(kb: KnowledgeBase) -> str:
    return "\n".join(f"{a.title}. {a.body}" for a in kb.articles)
