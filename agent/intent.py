"""The learned part of the offline brain (SPEC §5.1, layer 2): what a reply wants, from its
sentence embedding and its words, and whether retrieved sentences answer a question.

All are logistic regressions trained by `manage.py agent_train` (`agent.training`, with
scikit-learn) on the corpus under `agent/corpus/`; their weights, already folded with the
feature scaling, live in `agent/model/brain.npz`, so deciding needs numpy only. Probabilities
are calibrated by a temperature fitted on held-out clinics. What a reply wants is the average
of two readings: the embedding's (meaning, in any wording or language) and the words' (the
cues an embedding smooths over: "no thanks" is not "thanks"). When the words alone are sure
that a reply books, declines or asks something — as sure as held-out clinics showed them right
WORDS_ALONE_PRECISION of the time — the reply's embedding is not computed: it is most of a
decision's time (a question's own sentences are still embedded to find its answer).
"""

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.text import sentences

MODEL_PATH = Path(__file__).parent / "model" / "brain.npz"

# What the classifier tells apart. A question is answered or handed off by the knowledge base.
OPT_OUT, DECLINE, HANDOFF, QUESTION, BOOK = "opt_out", "decline", "handoff", "question", "book"
# What a reply to a visit's confirmation or reminder says of the visit; "other": none of these,
# the reply is read as any other.
CONFIRM, MOVE, CANCEL, OTHER = "confirm", "move", "cancel", "other"
# What the words alone may decide; an opt-out or a handoff always waits for the embedding too,
# and so does a cancellation on a reply to a reminder.
WORDS_ALONE = (BOOK, DECLINE, QUESTION)
VISIT_WORDS_ALONE = (CONFIRM, MOVE)


def reply_features(text: str, vector: np.ndarray) -> np.ndarray:
    """The embedding, and what it does not carry well: is something asked, and how long is it."""
    asks = float("?" in text)
    length = min(len(sentences(text)), 8) / 8
    return np.concatenate([vector, [asks, length]]).astype(np.float32)


_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def ngrams(text: str) -> list[str]:
    """Words and word pairs, as scikit-learn's TfidfVectorizer(ngram_range=(1, 2)) reads them."""
    tokens = _TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True)
class Lexical:
    """TF-IDF over the training replies' words and word pairs (sublinear, unit length)."""

    vocabulary: dict[str, int]
    idf: np.ndarray

    def terms(self) -> np.ndarray:
        """The vocabulary in index order."""
        return np.array(sorted(self.vocabulary, key=self.vocabulary.get))

    @classmethod
    def from_arrays(cls, terms: np.ndarray, idf: np.ndarray) -> "Lexical":
        return cls({str(g): i for i, g in enumerate(terms)}, idf)

    def vector(self, text: str) -> np.ndarray:
        counts = Counter(self.vocabulary[g] for g in ngrams(text) if g in self.vocabulary)
        out = np.zeros(len(self.idf), dtype=np.float32)
        for index, n in counts.items():
            out[index] = (1 + np.log(n)) * self.idf[index]
        return unit(out)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Linear:
    """A logistic regression: weights (classes x features), bias, class names, temperature."""

    coef: np.ndarray
    bias: np.ndarray
    classes: tuple[str, ...]
    temperature: float = 1.0

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = (np.atleast_2d(features) @ self.coef.T + self.bias) / self.temperature
        if len(self.classes) == 2 and logits.shape[1] == 1:
            p = 1 / (1 + np.exp(-logits[:, 0]))
            return np.stack([1 - p, p], axis=1)
        return softmax(logits)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}_coef": self.coef,
            f"{prefix}_bias": self.bias,
            f"{prefix}_classes": np.array(self.classes),
            f"{prefix}_temperature": np.array(self.temperature),
        }

    @classmethod
    def from_arrays(cls, data, prefix: str) -> "Linear":
        return cls(
            coef=data[f"{prefix}_coef"],
            bias=data[f"{prefix}_bias"],
            classes=tuple(str(c) for c in data[f"{prefix}_classes"]),
            temperature=float(data[f"{prefix}_temperature"]),
        )


def unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def _as_kept(vectors) -> np.ndarray:
    return np.asarray(vectors, dtype=np.float16).astype(np.float32)


@dataclass(frozen=True)
class AnswerMemory:
    """The corpus's questions, the sentences their candidate articles offered, and whether those
    answered them. A question like one seen at another clinic is answered by sentences like the
    ones that answered it there, and not by sentences like that clinic's near-misses (the length
    of the whole treatment to "how long is the braces-off visit?")."""

    questions: np.ndarray  # a unit vector per question
    sentences: np.ndarray  # a unit vector per set of quoted sentences
    question_of: np.ndarray  # per pair: its question's row
    sentences_of: np.ndarray  # per pair: its sentences' row
    answered: np.ndarray  # per pair: did those sentences answer that question

    @classmethod
    def stored(cls, questions, sentences, question_of, sentences_of, answered) -> "AnswerMemory":
        """Vectors as they are kept in the weights file (float16), so training weighs what
        deciding will read."""
        return cls(
            _as_kept(questions),
            _as_kept(sentences),
            np.asarray(question_of, dtype=np.int32),
            np.asarray(sentences_of, dtype=np.int32),
            np.asarray(answered, dtype=bool),
        )

    def evidence(self, question, quoted, *, exclude: np.ndarray | None = None) -> list[float]:
        """How much (question, quoted) is like a pair that answered and like one that did not:
        the best product of the questions' and the sentences' cosines, each. `exclude` masks
        pairs out (in training, those of the question's own clinic)."""
        score = (self.questions @ unit(question))[self.question_of] * (
            self.sentences @ unit(quoted)
        )[self.sentences_of]
        if exclude is not None:
            score = np.where(exclude, -1.0, score)
        like_answer = float(score[self.answered].max(initial=-1.0))
        like_miss = float(score[~self.answered].max(initial=-1.0))
        return [like_answer, like_miss, like_answer - like_miss]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "memory_questions": self.questions.astype(np.float16),
            "memory_sentences": self.sentences.astype(np.float16),
            "memory_question_of": self.question_of,
            "memory_sentences_of": self.sentences_of,
            "memory_answered": self.answered,
        }

    @classmethod
    def from_arrays(cls, data) -> "AnswerMemory":
        fields = ("questions", "sentences", "question_of", "sentences_of", "answered")
        return cls.stored(*(data[f"memory_{name}"] for name in fields))


@dataclass(frozen=True)
class Model:
    intent: Linear  # reply features -> one of the five intents above
    words: Linear  # the reply's TF-IDF -> the same intents
    lexical: Lexical
    reason: Linear  # reply features -> handoff reason (for the staff summary)
    answer: Linear  # retrieval evidence and the memory's -> (no, yes)
    answer_memory: AnswerMemory
    min_confidence: float  # below it, a person decides
    opt_out_confidence: float  # the classifier alone opts out only above this
    answer_threshold: float
    corpus_hash: str
    # How much each term can be what a question is about: low for words patients use for
    # everything ("week", "daughter"), from the training replies; a term not listed counts 1.
    term_weights: dict[str, float]
    visit: Linear  # reply features -> confirm, move, cancel or other (a reply to a reminder)
    visit_confidence: float  # below it a reply to a reminder is read as any other
    cancel_confidence: float  # a visit is cancelled on a reply only above this (else: the link)
    words_confidence: float  # at or above it, the words alone decide WORDS_ALONE intents
    visit_words: Linear  # a reminder reply's TF-IDF (visit_lexical) -> the visit reading
    visit_lexical: Lexical
    visit_words_confidence: float  # ... which alone decides VISIT_WORDS_ALONE at or above it

    def visit_reading(self, features: np.ndarray) -> tuple[str, float]:
        """What a reply to a reminder says of the visit, and how likely."""
        probs = self.visit.probabilities(features)[0]
        best = int(np.argmax(probs))
        return self.visit.classes[best], float(probs[best])

    def sure_from_words(self, text: str) -> tuple[str, float] | None:
        """The intent when the words alone are sure enough of one of WORDS_ALONE, else None."""
        return _sure(self.words, self.lexical.vector(text), WORDS_ALONE, self.words_confidence)

    def visit_from_words(self, text: str) -> tuple[str, float] | None:
        """The visit reading when the words alone are sure of one of VISIT_WORDS_ALONE."""
        vector = self.visit_lexical.vector(text)
        return _sure(self.visit_words, vector, VISIT_WORDS_ALONE, self.visit_words_confidence)

    def intents(self, text: str, features: np.ndarray) -> dict[str, float]:
        """Each intent's probability for a reply (`features` from `reply_features`)."""
        probs = (
            self.intent.probabilities(features)[0]
            + self.words.probabilities(self.lexical.vector(text))[0]
        ) / 2
        return {c: float(p) for c, p in zip(self.intent.classes, probs, strict=True)}

    def handoff_reason(self, features: np.ndarray) -> str:
        probs = self.reason.probabilities(features)[0]
        return self.reason.classes[int(np.argmax(probs))]

    def answerable(self, hit) -> float:
        """How likely the sentences of `hit` (an `agent.retrieval.Retrieved`) answer its
        question."""
        evidence = answer_features(hit, self.answer_memory)
        return float(self.answer.probabilities(evidence)[0, 1])

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {
            **self.intent.to_arrays("intent"),
            **self.words.to_arrays("words"),
            "vocabulary": self.lexical.terms(),
            "idf": self.lexical.idf,
            **self.reason.to_arrays("reason"),
            **self.answer.to_arrays("answer"),
            **self.answer_memory.to_arrays(),
            "min_confidence": np.array(self.min_confidence),
            "opt_out_confidence": np.array(self.opt_out_confidence),
            "answer_threshold": np.array(self.answer_threshold),
            "corpus_hash": np.array(self.corpus_hash),
            "term_weight_terms": np.array(sorted(self.term_weights)),
            "term_weight_values": np.array(
                [self.term_weights[t] for t in sorted(self.term_weights)]
            ),
            **self.visit.to_arrays("visit"),
            "visit_confidence": np.array(self.visit_confidence),
            "cancel_confidence": np.array(self.cancel_confidence),
            "words_confidence": np.array(self.words_confidence),
            **self.visit_words.to_arrays("visit_words"),
            "visit_vocabulary": self.visit_lexical.terms(),
            "visit_idf": self.visit_lexical.idf,
            "visit_words_confidence": np.array(self.visit_words_confidence),
        }
        with path.open("wb") as handle:
            np.savez_compressed(handle, **{k: _f32(v) for k, v in arrays.items()})

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "Model":
        with np.load(path, allow_pickle=False) as data:
            return cls(
                intent=Linear.from_arrays(data, "intent"),
                words=Linear.from_arrays(data, "words"),
                lexical=Lexical.from_arrays(data["vocabulary"], data["idf"]),
                reason=Linear.from_arrays(data, "reason"),
                answer=Linear.from_arrays(data, "answer"),
                answer_memory=AnswerMemory.from_arrays(data),
                min_confidence=float(data["min_confidence"]),
                opt_out_confidence=float(data["opt_out_confidence"]),
                answer_threshold=float(data["answer_threshold"]),
                corpus_hash=str(data["corpus_hash"]),
                term_weights={
                    str(t): float(w)
                    for t, w in zip(
                        data["term_weight_terms"], data["term_weight_values"], strict=True
                    )
                },
                visit=Linear.from_arrays(data, "visit"),
                visit_confidence=float(data["visit_confidence"]),
                cancel_confidence=float(data["cancel_confidence"]),
                words_confidence=float(data["words_confidence"]),
                visit_words=Linear.from_arrays(data, "visit_words"),
                visit_lexical=Lexical.from_arrays(data["visit_vocabulary"], data["visit_idf"]),
                visit_words_confidence=float(data["visit_words_confidence"]),
            )


def _sure(
    words: Linear, vector: np.ndarray, allowed: tuple[str, ...], floor: float
) -> tuple[str, float] | None:
    probs = words.probabilities(vector)[0]
    best = int(np.argmax(probs))
    label, p = words.classes[best], float(probs[best])
    return (label, p) if label in allowed and p >= floor else None


def answer_features(hit, memory: AnswerMemory, exclude: np.ndarray | None = None) -> np.ndarray:
    """What the answerability check weighs: the knowledge base's evidence and the memory's."""
    remembered = memory.evidence(hit.question, hit.quoted, exclude=exclude)
    return np.concatenate([hit.features(), remembered]).astype(np.float32)


def _f32(value: np.ndarray) -> np.ndarray:
    """float64 kept as float32 (float16 vectors stay as they are)."""
    value = np.asarray(value)
    return value.astype(np.float32) if value.dtype == np.float64 else value


@functools.cache
def trained_model() -> Model:
    """The committed model, loaded once per process."""
    return Model.load()
