"""Training the offline brain's models from the team's corpus (`manage.py agent_train`).

The corpus (`agent/corpus/`) is one `<clinic>.jsonl` of labelled replies and one
`<clinic>_kb.md` knowledge base per fictional clinic, in the evaluation format plus a `reason`
for handoffs; `<clinic>_visits.jsonl` holds replies to a visit's confirmation or reminder
(`"context": "reminder"`), which train the visit reading (confirm, move, cancel or other).
Evaluation data is never read here. Everything is deterministic (fixed seeds, files in name
order), so the same corpus gives the same weights.

Thresholds are chosen on clinics held out from the fit (grouped folds), never on the fit itself,
and `cross_validate` estimates how the brain does on a clinic it has never seen by leaving each
clinic out in turn.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.answer_training import train_answering
from agent.brains.offline import OfflineBrain
from agent.choices import REMINDER_CONTEXT, Action
from agent.embeddings import embed_queries
from agent.evaluation import Case, evaluate
from agent.fitting import fit_linear, fit_temperature, kept, linear_out_of_fold, out_of_fold
from agent.intent import (
    BOOK,
    CANCEL,
    CONFIRM,
    DECLINE,
    HANDOFF,
    MOVE,
    OPT_OUT,
    OTHER,
    QUESTION,
    VISIT_WORDS_ALONE,
    WORDS_ALONE,
    Lexical,
    Linear,
    Model,
    reply_features,
    softmax,
)
from agent.knowledge import KnowledgeBase
from agent.text import clean_reply
from campaigns.choices import HandoffReason

CORPUS_DIR = Path(__file__).parent / "corpus"
INTENT_C = 0.05
WORDS_C = 3.0
# How often the words alone must be right on held-out clinics before they decide alone.
WORDS_ALONE_PRECISION = 0.995
# A reply the KB must answer, though a person would hand it off if it could not.
QUESTION_REASONS = frozenset({HandoffReason.UNANSWERED_QUESTION, HandoffReason.CLINICAL_QUESTION})


_VISIT_LABELS = {
    Action.CONFIRM_VISIT: CONFIRM,
    Action.MOVE_VISIT: MOVE,
    Action.CANCEL_VISIT: CANCEL,
}


@dataclass(frozen=True)
class Example:
    clinic: str
    case: Case
    reason: str

    @property
    def about_a_visit(self) -> bool:
        return self.case.context == REMINDER_CONTEXT

    @property
    def visit_label(self) -> str:
        return _VISIT_LABELS.get(self.case.action, OTHER)

    @property
    def intent(self) -> str:
        action = self.case.action
        if action == Action.HANDOFF:
            return QUESTION if self.reason in QUESTION_REASONS else HANDOFF
        return {
            Action.OPT_OUT: OPT_OUT,
            Action.CLOSE_DECLINED: DECLINE,
            Action.ANSWER_QUESTION: QUESTION,
            Action.SEND_BOOKING_LINK: BOOK,
        }[action]


def load_corpus(directory: Path = CORPUS_DIR) -> tuple[list[Example], dict[str, str]]:
    """The labelled replies (any `*.jsonl`, each row naming its clinic) and each clinic's
    knowledge base (`<clinic>_kb.md`, Markdown text)."""
    examples, kbs = [], {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            clinic = row["clinic"]
            if clinic not in kbs:
                kbs[clinic] = (directory / f"{clinic}_kb.md").read_text(encoding="utf-8")
            case = Case(
                id=row["id"],
                channel=row["channel"],
                campaign_type=row["campaign_type"],
                outreach=row["outreach"],
                reply=row["reply"],
                action=row["action"],
                kb_article=row.get("kb_article"),
                context=row.get("context") or "",
            )
            examples.append(Example(clinic, case, row.get("reason") or ""))
    return examples, kbs


def corpus_hash(directory: Path = CORPUS_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


class Embedder:
    """embed_queries with a memory: cross-validation embeds each text once."""

    def __init__(self):
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for text, vector in zip(todo, embed_queries(todo), strict=True):
            self.cache[text] = vector
        return np.stack([self.cache[t] for t in texts])


def fit_lexical(texts: list[str]) -> Lexical:
    """The words and word pairs of `texts` seen at least twice, with their IDF."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    fit = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
    vocabulary = {str(g): int(i) for g, i in fit.vocabulary_.items()}
    return Lexical(vocabulary, fit.idf_.astype(np.float32))


def _lexical_matrix(lexical: Lexical, texts: list[str]) -> np.ndarray:
    return np.stack([lexical.vector(t) for t in texts])


def _lexical_out_of_fold(texts, y, groups) -> np.ndarray:
    """The words model's out-of-fold logits: vocabulary and weights from the other clinics."""

    def fit_fold(held):
        rest = kept(texts, ~held)
        lexical = fit_lexical(rest)
        part = fit_linear(_lexical_matrix(lexical, rest), kept(y, ~held), WORDS_C, scale=False)
        return part, _lexical_matrix(lexical, kept(texts, held))

    return out_of_fold(y, groups, fit_fold)[0]


def train(examples: list[Example], kbs: dict[str, KnowledgeBase], embed=None, corpus="") -> Model:
    """The models and thresholds for `examples` (each clinic's knowledge base in `kbs`): the
    replies to outreach train what a reply wants, the replies to a visit's reminder the visit
    reading."""
    embed = embed or Embedder()
    visit_examples = [ex for ex in examples if ex.about_a_visit]
    visit, visit_confidence, cancel_confidence = train_visit_reading(visit_examples, embed)
    visit_words, visit_lexical, visit_words_confidence, _ = _train_words(
        [clean_reply(ex.case.reply) for ex in visit_examples],
        [ex.visit_label for ex in visit_examples],
        [ex.clinic for ex in visit_examples],
        VISIT_WORDS_ALONE,
    )
    examples = [ex for ex in examples if not ex.about_a_visit]
    texts = [clean_reply(ex.case.reply) for ex in examples]
    vectors = embed(texts)
    x = np.stack([reply_features(t, v) for t, v in zip(texts, vectors, strict=True)])
    y = [ex.intent for ex in examples]
    groups = [ex.clinic for ex in examples]

    logits, classes = linear_out_of_fold(x, y, groups, INTENT_C)
    temperature = fit_temperature(logits, y, classes)
    words, lexical, words_confidence, word_probs = _train_words(texts, y, groups, WORDS_ALONE)
    probs = (softmax(logits / temperature) + word_probs) / 2
    opt_out_p = probs[:, classes.index(OPT_OUT)]
    false = [p for p, v in zip(opt_out_p, y, strict=True) if v != OPT_OUT]
    # Only as sure as no held-out non-opt-out ever was: the model must not invent opt-outs.
    opt_out_confidence = float(min(0.99, max(0.8, max(false, default=0) + 0.02)))
    min_confidence = _min_confidence(probs, y, classes)
    intent = fit_linear(x, y, INTENT_C)
    intent = Linear(intent.coef, intent.bias, intent.classes, temperature)

    handoffs = [i for i, ex in enumerate(examples) if ex.intent == HANDOFF]
    reason = fit_linear(x[handoffs], [examples[i].reason or "unclear" for i in handoffs], INTENT_C)

    answering = train_answering(examples, texts, kbs, embed)
    return Model(
        intent=intent,
        words=words,
        lexical=lexical,
        reason=reason,
        answer=answering.check,
        answer_memory=answering.memory,
        min_confidence=min_confidence,
        opt_out_confidence=round(opt_out_confidence, 3),
        answer_threshold=answering.threshold,
        corpus_hash=corpus,
        term_weights=answering.term_weights,
        visit=visit,
        visit_confidence=visit_confidence,
        cancel_confidence=cancel_confidence,
        words_confidence=words_confidence,
        visit_words=visit_words,
        visit_lexical=visit_lexical,
        visit_words_confidence=visit_words_confidence,
    )


def _train_words(texts, y, groups, alone) -> tuple[Linear, Lexical, float, np.ndarray]:
    """The words model (temperature fitted on held-out clinics), the floor at which it decides
    `alone` labels by itself, and its held-out probabilities."""
    logits = _lexical_out_of_fold(texts, y, groups)
    classes = tuple(sorted(set(y)))
    temperature = fit_temperature(logits, y, classes)
    probs = softmax(logits / temperature)
    lexical = fit_lexical(texts)
    fit = fit_linear(_lexical_matrix(lexical, texts), y, WORDS_C, scale=False)
    words = Linear(fit.coef, fit.bias, fit.classes, temperature)
    return words, lexical, _words_confidence(probs, y, classes, alone), probs


def train_visit_reading(examples: list[Example], embed) -> tuple[Linear, float, float]:
    """The visit reading (confirm, move, cancel or other) of replies to a reminder, its
    confidence floor, and the higher floor for a cancellation — both chosen on held-out
    clinics: a wrong "you're confirmed" or a wrong cancellation costs more than a reply read as
    any other (the usual rules still answer it)."""
    texts = [clean_reply(ex.case.reply) for ex in examples]
    vectors = embed(texts)
    x = np.stack([reply_features(t, v) for t, v in zip(texts, vectors, strict=True)])
    y = [ex.visit_label for ex in examples]
    groups = [ex.clinic for ex in examples]
    logits, classes = linear_out_of_fold(x, y, groups, INTENT_C)
    temperature = fit_temperature(logits, y, classes)
    probs = softmax(logits / temperature)
    floor = _visit_floor(probs, y, classes)
    cancel_p = probs[:, classes.index(CANCEL)]
    false = [p for p, v in zip(cancel_p, y, strict=True) if v != CANCEL]
    cancel_floor = float(min(0.99, max(floor, max(false, default=0) + 0.02)))
    fit = fit_linear(x, y, INTENT_C)
    return Linear(fit.coef, fit.bias, fit.classes, temperature), floor, round(cancel_floor, 3)


def _visit_floor(probs: np.ndarray, y: list[str], classes: tuple[str, ...]) -> float:
    """The floor that does best on held-out clinics when a reading below it counts as "other":
    a right reading scores 1, a visit action taken wrongly costs 2."""
    predicted = [classes[i] for i in probs.argmax(axis=1)]
    top = probs.max(axis=1)
    best, best_score = 0.5, -np.inf
    for floor in np.arange(0.4, 0.96, 0.05):
        score = 0
        for p, truth, guess in zip(top, y, predicted, strict=True):
            guess = guess if p >= floor else OTHER
            score += 1 if guess == truth else (-2 if guess != OTHER else 0)
        if score > best_score:
            best, best_score = round(float(floor), 2), score
    return best


def _words_confidence(probs, y: list[str], classes: tuple[str, ...], alone) -> float:
    """The lowest confidence at which the words' held-out readings of the `alone` labels are
    right WORDS_ALONE_PRECISION of the time (1.0, never, when none is)."""
    predicted = np.array([classes[i] for i in probs.argmax(axis=1)])
    top = probs.max(axis=1)
    right = predicted == np.array(y)
    eligible = np.isin(predicted, alone)
    for floor in np.arange(0.8, 1.0, 0.01):
        sure = eligible & (top >= floor)
        if sure.sum() and right[sure].mean() >= WORDS_ALONE_PRECISION:
            return round(float(floor), 2)
    return 1.0


def _min_confidence(probs: np.ndarray, y: list[str], classes: tuple[str, ...]) -> float:
    """The confidence floor that does best on held-out clinics when everything below it goes to
    a person (counted right only for handoffs)."""
    predicted = [classes[i] for i in probs.argmax(axis=1)]
    top = probs.max(axis=1)
    best, best_score = 0.3, -1.0
    for floor in np.arange(0.3, 0.71, 0.05):
        score = sum(
            (v == HANDOFF) if p < floor else (v == guess)
            for p, v, guess in zip(top, y, predicted, strict=True)
        )
        if score > best_score:
            best, best_score = round(float(floor), 2), score
    return best


def knowledge_bases(kb_texts: dict[str, str]) -> dict[str, KnowledgeBase]:
    return {clinic: KnowledgeBase.from_markdown(text) for clinic, text in kb_texts.items()}


def cross_validate(examples, kbs: dict[str, KnowledgeBase], embed=None) -> dict[str, list]:
    """Leave one clinic out: train on the others, run the whole brain on it (with its own
    knowledge base). Returns {clinic: outcomes}."""
    embed = embed or Embedder()
    results = {}
    for clinic in sorted(kbs):
        rest = [ex for ex in examples if ex.clinic != clinic]
        model = train(rest, {c: kb for c, kb in kbs.items() if c != clinic}, embed)
        brain = OfflineBrain(model=model, embed=embed)
        held = [ex.case for ex in examples if ex.clinic == clinic]
        results[clinic] = evaluate(held, kbs[clinic], brain)
    return results


def label_counts(examples: list[Example]) -> Counter:
    return Counter(
        f"reminder:{ex.visit_label}" if ex.about_a_visit else ex.intent for ex in examples
    )
