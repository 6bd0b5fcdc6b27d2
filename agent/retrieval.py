"""Grounded answers (SPEC §5.1, layer 3): find the knowledge-base sentences closest to a question —
hybrid retrieval, embeddings and BM25 — and decide whether they answer it.

An answer quotes the article's own sentences; it is sent only when the answerability check
passes: the sentences must give the kind of thing asked for (a price, a duration, an age, a day;
rules as data below) and the learned check (`agent.intent.Model.answerable`) must find the
question's subject covered by them. Otherwise the reply goes to a person: a question about a
topic the knowledge base does not cover is never answered from a neighbouring one.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from agent.knowledge import KnowledgeBase
from agent.text import sentences, stem, terms

# BM25 scores are unbounded; s / (s + LEXICAL_HALF) maps them to 0-1, half at this score.
LEXICAL_HALF = 2.0
LEXICAL_WEIGHT = 0.15
ANSWER_SENTENCES = 2
# Articles weighed as the answer to a question: the nearest is not always the one that answers.
CANDIDATES = 3
# A second sentence of the article is quoted only when it is about as close as the first.
SECOND_SENTENCE_MARGIN = 0.02

# The weight of a term neither the training knowledge bases nor the training replies use.
UNSEEN_WEIGHT = 0.5
# A term weighing this much names a thing (a service, a plan), not the chat around it.
SPECIFIC_WEIGHT = 0.4

# Words that ask but do not say about what ("do you offer …", "I was wondering …"): a question's
# subject is what remains.
GENERIC = frozenset(
    stem(w)
    for w in """offer offered provide wonder wondering question questions ask asking curious dentist
    dentists dental office clinic practice anyone someone something guys y'all book booking
    schedule appointment appointments come see make kind sort info information thing take""".split()
)

# An amount of time ("about 50 minutes", "4 to 6 months", "a few days"), not a frequency ("every
# 6 to 8 weeks") and not the second half of a range.
_AMOUNT = (
    r"(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|few|several|couple( of)?"
    r"|half an?)"
)
_DURATION = (
    rf"(?<!every )(?<!each )(?<!to )(?<!-)\b{_AMOUNT}(\s?(-|to|\u2013)\s?{_AMOUNT})?\s?"
    r"(minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|visits?|appointments?)\b"
    r"|\bsame[- ]day\b|\bsingle (visit|appointment)\b"
)

# What a question asks for, and what a sentence must contain to give it. Each: (kind, the
# question asks it, the sentence gives it).
ASKS = (
    (
        "price",
        r"\bhow much\b|\bcosts?\b|\bpric(e|es|ing|ed)\b|\bfees?\b|\bcharge\b|\bexpensive\b"
        r"|\bcheap\b|\$",
        r"\$\s?\d|\d+\s?(dollars|%)|\bfree\b|\bno (charge|cost)\b|\bat no\b"
        r"|\bcovered\b|\bincluded\b|\bdiscount|\bwaive",
    ),
    (
        "duration",
        r"\bhow long\b|\bhow many (minutes|hours|visits|appointments)\b|\btakes? long\b",
        _DURATION,
    ),
    (
        "age",
        r"\bhow old\b|\bwhat age\b|\bages?\b|\byears? old\b|\btoo (young|old)\b",
        r"\bages? \d|\b\d+\s?(years?|yrs|months?)\b|\b(under|over|from|after) (age )?\d"
        r"|\b\d+ (and|or) (up|older|over|under|younger)\b|\bbirthday\b|\bfirst tooth\b",
    ),
    (
        "holiday",
        r"\b(christmas|xmas|thanksgiving|easter|new year'?s?|memorial day|labor day"
        r"|independence day|fourth of july|4th of july|july 4(th)?|veterans day|presidents'? day"
        r"|martin luther king|mlk|juneteenth|halloween|black friday|good friday|christmas eve"
        r"|new year'?s eve|nochebuena|navidad|a[ñn]o nuevo|holidays?)\b",
        r"\bholidays?\b|\b(christmas|thanksgiving|easter|new year|memorial day|labor day"
        r"|independence day|july|veterans day|presidents|martin luther king|juneteenth)\b",
    ),
    (
        "day",
        r"\b(what|which) days?\b|\bwhen (are|is) (you|the office)\b|\b(open|closed)\b.*\b"
        r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)s?\b|\bhours\b",
        r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|weekdays?|daily"
        r"|every day)s?\b|\b\d{1,2}(:\d{2})?\s?(am|pm|a\.m\.|p\.m\.)",
    ),
)
_ASKS = tuple((kind, re.compile(asks, re.I), re.compile(gives, re.I)) for kind, asks, gives in ASKS)

# Capitalised words that name no thing the knowledge base must know.
_CALENDAR = re.compile(
    r"^(i|i'm|i'd|i've|i'll|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january"
    r"|february|march|april|may|june|july|august|september|october|november|december|dr|mr|mrs"
    r"|ms|ok|okay|hi|hello|hey|thanks|please)$"
)

_QUESTION_START = re.compile(
    r"^\W*(what|how|when|where|why|which|who|whats|do|does|did|is|are|can|could|will|would|should"
    r"|any|anything|wondering|i was wondering|i wonder|curious|tell me|let me know|is there)\b",
    re.I,
)


@dataclass(frozen=True)
class Retrieved:
    """The article closest to a question, the sentences of it that answer best, and the
    evidence the answerability check weighs."""

    article: int
    passages: tuple[int, ...]
    dense: float  # cosine of the best sentence
    standout: float  # how far above the knowledge base's average sentence it is (z-score)
    margin: float  # over the best sentence of any other article
    lexical: float  # BM25 of the best sentence, 0-1
    coverage: float  # of the question's subject terms, by the article
    passage_coverage: float  # … by the chosen sentences and the title
    lead_coverage: float  # … by the first sentence quoted, which gives what is asked
    kind_given: bool  # a sentence gives what is asked (price, duration, …)
    names_known: bool  # the article names every thing the question names ("Aetna", "French")
    title_overlap: bool
    missing: float  # the weight of the most specific subject term the article never uses
    question: np.ndarray  # the question's vector
    quoted: np.ndarray  # the quoted sentences' vector (their mean)

    @property
    def eligible(self) -> bool:
        """Can answer at all: gives what is asked, about what the question names."""
        return self.kind_given and self.names_known

    def features(self) -> np.ndarray:
        """What the answerability check weighs of this knowledge base alone: where question and
        sentences agree in meaning (per dimension), and the scalar evidence."""
        agreement = self.question * self.quoted
        return np.concatenate([agreement, self.scalars()]).astype(np.float32)

    def scalars(self) -> list[float]:
        return [
            self.dense,
            self.standout / 4,
            self.margin,
            self.lexical,
            self.coverage,
            self.passage_coverage,
            self.lead_coverage,
            float(self.kind_given),
            float(self.title_overlap),
            self.missing,
        ]


def question_clauses(text: str) -> list[str]:
    """The sentences of a reply that ask something, each after the sentence before it, which
    often says what it asks about ("My son is 2. Is he too young?", "I want the whitening. How
    long does it take?"); the whole reply when none looks like one. The question is always a
    clause's last sentence."""
    said = sentences(text)
    found = [
        " ".join(said[max(0, i - 1) : i + 1])
        for i, s in enumerate(said)
        if "?" in s or _QUESTION_START.match(s)
    ]
    return found or [text]


def asked_kinds(question: str) -> list[str]:
    return [kind for kind, asks, _ in _ASKS if asks.search(question)]


def subject_terms(question: str) -> list[str]:
    """The question's content words without the words that ask ("how long", "cost"); words
    asking about a day are kept, they are what it is about ("open on Saturdays")."""
    for kind, asks, _ in _ASKS:
        if kind in ("price", "duration", "age"):
            question = asks.sub(" ", question)
    return [t for t in dict.fromkeys(terms(question)) if t not in GENERIC]


def named_things(question: str) -> set[str]:
    """The terms of words capitalised inside a sentence — a plan, a language, a person ("do you
    take Aetna?", "anyone speak French?"): a knowledge base that never names one cannot answer
    about it. Days, months and holidays are when, not what."""
    named = set()
    for sentence in sentences(question):
        for word in re.findall(r"(?<=\s)[A-Z][\w'\u2019-]*", sentence):
            folded = re.sub(r"['\u2019]s?$", "", word.lower())
            if not _CALENDAR.match(folded) and "holiday" not in asked_kinds(folded):
                named.update(terms(word))
    return named


@dataclass
class _Scored:
    """One question read against the whole knowledge base: what it is about, what it asks
    for, and every sentence's scores."""

    vector: np.ndarray
    subject: list[str]
    weights: Mapping[str, float]
    gives: list[re.Pattern]  # what a sentence must contain to give what is asked
    specific: set[str]  # subject terms that name a thing
    named: set[str]  # things the patient capitalised (`named_things`)
    dense: np.ndarray
    lexical: np.ndarray
    score: np.ndarray

    def share(self, found) -> float:
        """The weighted share of the subject terms among `found`."""
        total = sum(self.weights.get(t, UNSEEN_WEIGHT) for t in self.subject)
        hit = sum(self.weights.get(t, UNSEEN_WEIGHT) for t in self.subject if t in found)
        return hit / total if total else 0.0


def retrieve(
    kb: KnowledgeBase, question: str, vector: np.ndarray, weights: Mapping[str, float] = {}
) -> list[Retrieved]:
    """The articles closest to one question (its embedding is `vector`, a query), best first,
    each with the evidence of whether it answers. `weights` say how much each term can be what
    a question is about (everyday words little; a term never seen UNSEEN_WEIGHT)."""
    if not kb.passages:
        return []
    subject = subject_terms(question)
    dense = kb.matrix @ vector
    bm25 = kb.bm25_scores(subject)
    lexical = bm25 / (bm25 + LEXICAL_HALF)
    q = _Scored(
        vector=vector,
        subject=subject,
        weights=weights,
        gives=[g for kind, _, g in _ASKS if kind in asked_kinds(question)],
        specific={t for t in subject if weights.get(t, UNSEEN_WEIGHT) >= SPECIFIC_WEIGHT},
        # What the question itself names: the sentence before it may name a child, a street.
        named=named_things((sentences(question) or [""])[-1]) - set(terms(kb.clinic_name)),
        dense=dense,
        lexical=lexical,
        score=dense + LEXICAL_WEIGHT * lexical,
    )
    by_article = [max(range(a, b), key=lambda j: q.score[j]) for a, b in kb.spans if b > a]
    by_article.sort(key=lambda j: -q.score[j])
    return [_evidence(kb, q, best) for best in by_article[:CANDIDATES]]


def _evidence(kb: KnowledgeBase, q: _Scored, best: int) -> Retrieved:
    """The evidence for the article of sentence `best`, the question's best sentence there."""
    article = kb.passages[best].article
    start, end = kb.spans[article]
    others = np.concatenate([q.dense[:start], q.dense[end:]])
    ranked = sorted(range(start, end), key=lambda j: -q.score[j])
    title = set(terms(kb.articles[article].title))

    # What is asked for (a price, a duration…) must be in the sentence quoted first, and that
    # sentence must name what it is about: a price of something else is no answer.
    def answers(j: int) -> bool:
        names = set(kb.passage_terms[j]) | title
        named = not q.gives or not q.specific or bool(q.specific & names)
        return named and all(g.search(kb.passages[j].text) for g in q.gives)

    lead = next((j for j in ranked if answers(j)), None)
    kind_given = lead is not None
    lead = ranked[0] if lead is None else lead
    chosen = [
        lead,
        *[
            j
            for j in ranked[:ANSWER_SENTENCES]
            if j != lead and q.score[j] >= q.score[lead] - SECOND_SENTENCE_MARGIN
        ][: ANSWER_SENTENCES - 1],
    ]
    chosen_terms = set(terms(" ".join(kb.passages[j].text for j in chosen))) | title
    known = kb.article_terms[article]
    spread = float(q.dense.std()) or 1.0
    return Retrieved(
        article=article,
        passages=tuple(sorted(chosen)),
        dense=float(q.dense[best]),
        standout=float((q.dense[best] - q.dense.mean()) / spread),
        margin=float(q.dense[best] - (others.max() if len(others) else 0.0)),
        lexical=float(q.lexical[best]),
        coverage=q.share(known),
        passage_coverage=q.share(chosen_terms),
        lead_coverage=q.share(set(kb.passage_terms[lead])),
        kind_given=kind_given,
        names_known=q.named <= known,
        title_overlap=bool(title & set(q.subject)),
        missing=max(
            (q.weights.get(t, UNSEEN_WEIGHT) for t in q.subject if t not in known), default=0.0
        ),
        question=q.vector,
        quoted=kb.matrix[chosen].mean(axis=0),
    )


def answer_text(kb: KnowledgeBase, found: Retrieved) -> str:
    """The answer: the article's own sentences, in the article's order."""
    return " ".join(kb.passages[j].text for j in found.passages)
