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

from agent.brains.offline import OfflineBrain
from agent.choices import REMINDER_CONTEXT, Action
from agent.embeddings import embed_queries
from agent.evaluation import Case, evaluate
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
from agent.retrieval import question_clauses, retrieve
from agent.text import clean_reply, sentences, terms
from campaigns.choices import HandoffReason

CORPUS_DIR = Path(__file__).parent / "corpus"
SEED = 7
INTENT_C = 0.05
WORDS_C = 3.0
ANSWER_C = 0.01
TARGET_ANSWER_PRECISION = 0.85
# How often the words alone must be right on held-out clinics before they decide alone.
WORDS_ALONE_PRECISION = 0.995
SMOOTHING = 0.5
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


def _fit_linear(x: np.ndarray, y: list[str], c: float, *, scale: bool = True) -> Linear:
    """Fit (standardised first when `scale`) and fold the scaling into the weights (deciding
    needs numpy only)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    mean, std, scaled = 0.0, 1.0, x
    if scale:
        scaler = StandardScaler().fit(x)
        mean, std, scaled = scaler.mean_, scaler.scale_, scaler.transform(x)
    fit = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", random_state=SEED)
    fit.fit(scaled, y)
    coef = fit.coef_ / std
    bias = fit.intercept_ - (coef * mean).sum(axis=1)
    return Linear(
        coef.astype(np.float32), bias.astype(np.float32), tuple(str(c) for c in fit.classes_)
    )


def fit_lexical(texts: list[str]) -> Lexical:
    """The words and word pairs of `texts` seen at least twice, with their IDF."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    fit = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
    vocabulary = {str(g): int(i) for g, i in fit.vocabulary_.items()}
    return Lexical(vocabulary, fit.idf_.astype(np.float32))


def _lexical_matrix(lexical: Lexical, texts: list[str]) -> np.ndarray:
    return np.stack([lexical.vector(t) for t in texts])


def _out_of_fold(y, groups, fit_fold) -> tuple[np.ndarray, tuple[str, ...]]:
    """Logits of each example from a fit that never saw its clinic. `fit_fold(held)` fits on
    the examples not `held` (a mask) and returns that fit and the held examples' features."""
    classes = tuple(sorted(set(y)))
    logits = np.zeros((len(y), len(classes) if len(classes) > 2 else 1))
    for clinic in sorted(set(groups)):
        held = np.array([g == clinic for g in groups])
        part, features = fit_fold(held)
        raw = features @ part.coef.T + part.bias
        if part.classes != classes:  # a class missing from the other clinics
            full = np.full((held.sum(), logits.shape[1]), -20.0)
            for k, name in enumerate(part.classes):
                full[:, classes.index(name)] = raw[:, k]
            raw = full
        logits[held] = raw
    return logits, classes


def _linear_out_of_fold(x, y, groups, c) -> tuple[np.ndarray, tuple[str, ...]]:
    """Out-of-fold logits of a regression on fixed features `x`."""
    return _out_of_fold(
        y, groups, lambda held: (_fit_linear(x[~held], _kept(y, ~held), c), x[held])
    )


def _lexical_out_of_fold(texts, y, groups) -> np.ndarray:
    """The words model's out-of-fold logits: vocabulary and weights from the other clinics."""

    def fit_fold(held):
        rest = _kept(texts, ~held)
        lexical = fit_lexical(rest)
        part = _fit_linear(_lexical_matrix(lexical, rest), _kept(y, ~held), WORDS_C, scale=False)
        return part, _lexical_matrix(lexical, _kept(texts, held))

    return _out_of_fold(y, groups, fit_fold)[0]


def _kept(values: list, mask: np.ndarray) -> list:
    return [v for v, keep in zip(values, mask, strict=True) if keep]


def _temperature(logits: np.ndarray, y: list[str], classes: tuple[str, ...]) -> float:
    """The temperature that makes held-out probabilities honest (least log loss)."""
    target = np.array([classes.index(v) for v in y])
    best, best_loss = 1.0, np.inf
    for t in np.arange(0.3, 5.01, 0.05):
        scaled = logits / t
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        logp = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        loss = -logp[np.arange(len(target)), target].mean()
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


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


def _answer_evidence(
    examples, kbs, embed, weights
) -> tuple[np.ndarray, list[str], list[str], list[bool], list[str]]:
    """One row per question that the knowledge base does or does not answer: the retrieval's
    evidence, the label, the clinic, whether the candidate can answer at all
    (`Retrieved.eligible`), and which clause of which reply it is."""
    rows, labels, groups, kinds, clause_ids = [], [], [], [], []
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
                rows.append(hit.features())
                labels.append(label)
                groups.append(ex.clinic)
                kinds.append(hit.eligible)
                clause_ids.append(f"{ex.case.id}/{clause}")
    return np.array(rows, dtype=np.float32), labels, groups, kinds, clause_ids


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

    logits, classes = _linear_out_of_fold(x, y, groups, INTENT_C)
    temperature = _temperature(logits, y, classes)
    words, lexical, words_confidence, word_probs = _train_words(texts, y, groups, WORDS_ALONE)
    probs = (softmax(logits / temperature) + word_probs) / 2
    opt_out_p = probs[:, classes.index(OPT_OUT)]
    false = [p for p, v in zip(opt_out_p, y, strict=True) if v != OPT_OUT]
    # Only as sure as no held-out non-opt-out ever was: the model must not invent opt-outs.
    opt_out_confidence = float(min(0.99, max(0.8, max(false, default=0) + 0.02)))
    min_confidence = _min_confidence(probs, y, classes)
    intent = _fit_linear(x, y, INTENT_C)
    intent = Linear(intent.coef, intent.bias, intent.classes, temperature)

    handoffs = [i for i, ex in enumerate(examples) if ex.intent == HANDOFF]
    reason = _fit_linear(x[handoffs], [examples[i].reason or "unclear" for i in handoffs], INTENT_C)

    weights = term_weights(texts, [kb_text(kb) for kb in kbs.values()])
    ev, labels, ev_groups, kinds, clause_ids = _answer_evidence(examples, kbs, embed, weights)
    ev_logits, ev_classes = _linear_out_of_fold(ev, labels, ev_groups, ANSWER_C)
    yes_p = 1 / (1 + np.exp(-ev_logits[:, 0])) if ev_classes == ("no", "yes") else ev_logits[:, 0]
    answer = _fit_linear(ev, labels, ANSWER_C)
    return Model(
        intent=intent,
        words=words,
        lexical=lexical,
        reason=reason,
        answer=answer,
        min_confidence=min_confidence,
        opt_out_confidence=round(opt_out_confidence, 3),
        answer_threshold=_answer_threshold(yes_p, labels, kinds, clause_ids),
        corpus_hash=corpus,
        term_weights=weights,
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
    temperature = _temperature(logits, y, classes)
    probs = softmax(logits / temperature)
    lexical = fit_lexical(texts)
    fit = _fit_linear(_lexical_matrix(lexical, texts), y, WORDS_C, scale=False)
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
    logits, classes = _linear_out_of_fold(x, y, groups, INTENT_C)
    temperature = _temperature(logits, y, classes)
    probs = softmax(logits / temperature)
    floor = _visit_floor(probs, y, classes)
    cancel_p = probs[:, classes.index(CANCEL)]
    false = [p for p, v in zip(cancel_p, y, strict=True) if v != CANCEL]
    cancel_floor = float(min(0.99, max(floor, max(false, default=0) + 0.02)))
    fit = _fit_linear(x, y, INTENT_C)
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


def kb_text(kb: KnowledgeBase) -> str:
    return "\n".join(f"{a.title}. {a.body}" for a in kb.articles)


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
