"""The clinic's knowledge base: importing it from Markdown, and finding the article that answers
a question.

Offline retrieval is lexical (BM25 over stemmed terms, rank-bm25). An article counts as "info
found" only when it covers enough of what the question asks (KB_MATCH_THRESHOLD, idf-weighted,
everyday words counting less), names what the question is about ("do you do *veneers*?") and
any condition it sets ("... *if I'm pregnant*"), and — for a price question — states a price for
it: a handoff is better than an answer the article does not support.
"""

import hashlib
import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Max
from rank_bm25 import BM25Okapi

from agent.models import KnowledgeArticle
from agent.text import everyday_weight, normalize, sentences, stems_with_words, terms

# What a kind of question looks for in an article, besides its own words. A price question
# wants an amount; "how long" a duration; "when" a time; "where" a place.
_PRICE_Q = re.compile(
    r"\b(how much|cost|costs|price|prices|pricing|fee|fees|charge|expensive|cheap|afford|"
    r"rate|rates)\b|\$"
)
_SHORTLIST = 3
_SPECIFIC_IDF = 0.6
_SPECIFIC_WORD = 0.35
# A word the articles use keeps at least this share of its weight, however everyday it is.
_KNOWN_FLOOR = 0.6
_AMOUNT = re.compile(r"\$\s?\d|\b\d+(\.\d+)?\s?(dollars|usd)\b", re.I)
_EXPANSIONS: list[tuple[re.Pattern, tuple[str, ...]]] = [
    (re.compile(r"\bhow long\b"), ("take", "minut", "hour", "week", "month")),
    (re.compile(r"\b(when|what time|hours|open|close)\b"), ("open", "close", "hour", "am", "pm")),
    (
        re.compile(r"\b(after work|evening|night|late|weekend|before work)\b"),
        ("even", "hour", "open", "close"),
    ),
    (re.compile(r"\b(where|address|located|location|get there|park)\b"), ("locat", "park")),
    (re.compile(r"\b(take|accept)\b.{0,30}\b(insurance|plan|card|ppo)\b"), ("accept", "network")),
    (_PRICE_Q, ("cost", "price", "fee")),
]
# Words that only say what kind of question it is; the expansions above stand for them.
_QUESTION_WORDS = frozenset(
    {
        "long",
        "much",
        "cost",
        "price",
        "time",
        "usual",
        "typic",
        "normal",
        "general",
        "tell",
        "know",
        "wonder",
        "question",
        "ask",
        "kind",
        "type",
        "sort",
        "extra",
        "exact",
        "total",
        "fee",
        "charg",
        "rough",
        "approxim",
        "ballpark",
        "estim",
        "around",
        "about",
        "text",
        "send",
        "give",
        "show",
        "email",
    }
)
# Everyday words for things a dental knowledge base names otherwise (stems).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "white": ("composit", "color"),
    "silver": ("amalgam",),
    "kit": ("tray",),
    "bike": ("bicycl",),
    "pay": ("payment", "accept"),
    "address": ("locat",),
    "laugh": ("nitrous",),
    "gas": ("nitrous",),
    "kid": ("child", "children"),
    "son": ("child", "children"),
    "daughter": ("child", "children"),
    "toddler": ("child", "children"),
    "babi": ("child", "children"),
    "checkup": ("exam", "cleaning"),
    "brace": ("orthodont",),
    "align": ("orthodont",),
    "monthli": ("month", "financ", "payment"),
    "instal": ("month", "financ", "payment"),
    "sick": ("ill", "illness"),
    "cold": ("ill", "illness"),
    "flu": ("ill", "illness"),
    "cough": ("ill", "illness"),
    "pregnant": ("pregnanc",),
    "anxious": ("sedat", "nitrous", "anxieti"),
    "nervous": ("sedat", "nitrous", "anxieti"),
    "scare": ("sedat", "nitrous", "anxieti"),
    "spanish": ("languag", "speak"),
    "wheelchair": ("access",),
    "park": ("park",),
    "cancel": ("cancel",),
    "late": ("even",),
}
# "do you do X", "how much is X", "can I bring X", "is X covered": X is what the question is
# about, and the article must name it.
_TOPIC = [
    r"\b(do|does|can|could|will|would)\s+(you|you guys|you all|y'all|your office|the office|"
    r"anyone|the dentist|your dentists?)\s+(do|offer|have|provide|perform|take|accept|treat|"
    r"see|fix|place|carry|sell|use|work with|handle|do any)\s+(?P<topic>[^?.,!;]+)",
    r"\bhow much (is|are|does|do|would|will|for)\s+(?P<topic>[^?.,!;]+)",
    r"\bcan (i|we)\s+(bring|use|get|have)\s+(?P<topic>[^?.,!;]+)",
    r"\bcan (i|we)\s+(?P<verb>pay)\s+(with|by|for|using|in)\s+(?P<topic>[^?.,!;]+)",
    r"\b(is|are)\s+(?P<topic>[^?.,!;]+?)\s+(covered|included|safe|available|painful|free)\b",
    r"\b(do|will|would|should|must)\s+(i|we)\s+(need|have)\s+to\s+(?P<topic>[^?.,!;]+)",
    r"\b(price|cost|fee|charge|rate)s?\s+(of|for)\s+(?P<topic>[^?.,!;]+)",
    r"^\W*(what|who)('s| is| are| was)\s+(the|your)\s+(?P<topic>[^?.,!;]+)",
]
# "... if I'm pregnant": a condition the article must speak to as well.
_ASKED_AFTER = re.compile(
    r"\b(do|does|did|can|could|should|would|will|is|are|am)\s+(i|you|we|it|they|he|she)\b"
)
_LIGHT_VERBS = frozenset(
    {"take", "get", "go", "come", "have", "do", "make", "use", "see", "put", "plan", "tri"}
)
_CONDITION = re.compile(
    r"\b(if|when|while|since|as)\s+(i'm|i am|i have|i've|i was|i'll|i|my|we|we're|we have|"
    r"she's|he's|she|he|they|they're)\b(?P<condition>[^?.,;!]*)"
)
_TOPIC_RE = [re.compile(p) for p in _TOPIC]
# Everyday phrases for times, said the way an office-hours article says them.
_PHRASES = [
    (re.compile(r"\b(after work|after (5|6|7|8)( ?pm)?|at night|evenings?|nights?)\b"), "evening"),
    (re.compile(r"\b(on )?(the )?weekends?\b"), "saturday sunday"),
    (re.compile(r"\b(last[- ]minute|short notice)\b"), "late"),
    (
        re.compile(
            r"\b(christmas|thanksgiving|new year'?s?|july 4th|4th of july|independence day|"
            r"labor day|memorial day|easter)\b"
        ),
        r"\g<0> holiday",
    ),
    (re.compile(r"\b\d+\s*(yr|year|y/o|yo)s?[- ]?olds?\b"), "child"),
]
_ASKS = re.compile(
    r"^\W*(and |but |so |also )?(how|what|what's|when|where|which|who|why|is|are|do|does|did|can|"
    r"could|will|would|should|any|wondering|is there|are there)\b(?!')"
)
_PRONOUN_OBJECT = re.compile(r"\b(it|that|this|them|those|these|one)\W*$|\b(it|that|this)\b")
_TOPIC_END = re.compile(
    r"\s(to|for|on|at|in|with|all together|altogether|in total|overall|total|if|when|because|"
    r"since|so|instead|too|as well|before|after|"
    r"anymore|again|there|here|cost|costs|run|be|compared|vs|versus|or not|all in|right now|"
    r"these days|near|during|while|without|roughly|approximately|about|around|ballpark)"
    r"(?=\s|$).*$"
)


@dataclass(frozen=True)
class Article:
    title: str
    body: str

    @property
    def source_hash(self) -> str:
        return article_hash(self.title, self.body)


@dataclass(frozen=True)
class KBMatch:
    """The article found for a question, how much of the question it covers (0-1), and the
    sentences of it that answer the question best."""

    article: Article
    score: float
    coverage: float
    sentences: tuple[str, ...]
    answerable: bool
    why_not: str = ""
    index: int = -1  # of the article in the knowledge base
    focus: tuple[str, ...] = ()  # the terms saying what the question is about
    expansion: tuple[str, ...] = ()


def article_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


# --- Import ----------------------------------------------------------------------------------


def parse_kb_markdown(text: str) -> tuple[str, list[Article]]:
    """`# Clinic name`, then one `## Title` per article, its body the text until the next
    `##`. Returns (clinic name, articles); ValueError when there is no article."""
    clinic = ""
    articles: list[Article] = []
    title: str | None = None
    body: list[str] = []

    def flush():
        if title is not None:
            text_body = "\n".join(body).strip()
            if text_body:
                articles.append(Article(title=title, body=text_body))

    for line in text.splitlines():
        if line.startswith("## "):
            flush()
            title, body = line[3:].strip(), []
        elif line.startswith("# ") and title is None and not clinic:
            clinic = line[2:].strip()
        elif title is not None:
            body.append(line.rstrip())
    flush()
    if not articles:
        raise ValueError("No '## Title' sections found: not a knowledge-base file.")
    titles = [a.title for a in articles]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    if duplicates:
        raise ValueError(f"Duplicate article titles: {', '.join(duplicates)}")
    return clinic, articles


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    titles: list[str] = field(default_factory=list)


def kb_import(*, articles: Iterable[Article]) -> ImportResult:
    """Create or update articles by title. Re-importing the same file changes nothing; an
    edited body updates the article in place (its embedding is refreshed when next needed)."""
    result = ImportResult()
    for article in articles:
        existing = KnowledgeArticle.objects.filter(title=article.title).first()
        result.titles.append(article.title)
        if existing is None:
            KnowledgeArticle.objects.create(title=article.title, body=article.body)
            result.created += 1
        elif existing.body != article.body:
            existing.body = article.body
            existing.save(update_fields=["body", "updated_at"])
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def kb_import_file(path: str | Path) -> tuple[str, ImportResult]:
    clinic, articles = parse_kb_markdown(Path(path).read_text(encoding="utf-8"))
    return clinic, kb_import(articles=articles)


# --- Retrieval -------------------------------------------------------------------------------


class KnowledgeBase:
    """An in-memory index of articles. Built from the database (`from_db`) or from a file
    (`agent_eval` decides without touching the database)."""

    def __init__(self, articles: Iterable[Article], *, clinic_name: str = "", stored: bool = False):
        self.articles = list(articles)
        self.clinic_name = clinic_name
        self.stored = stored  # from the database: new embeddings are saved there
        self._docs = [terms(f"{a.title}. {a.title}. {a.body}") for a in self.articles]
        self._doc_sets = [set(d) for d in self._docs]
        self._bm25 = BM25Okapi(self._docs) if self.articles else None
        n = len(self.articles)
        df: dict[str, int] = {}
        for doc in self._doc_sets:
            for term in doc:
                df[term] = df.get(term, 0) + 1
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        # A word no article uses weighs as much as the rarest one, plus a margin.
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0
        self._sentences = [sentences(a.body) for a in self.articles]
        # Embeddings (OpenAI brain): article index -> vector, filled on demand.
        self.embeddings: dict[int, list[float]] = {}

    def __len__(self) -> int:
        return len(self.articles)

    @classmethod
    def from_db(cls) -> "KnowledgeBase":
        """The articles as stored now; the index is rebuilt only when an article changed."""
        stamp = KnowledgeArticle.objects.aggregate(latest=Max("updated_at"))["latest"]
        key = (stamp, KnowledgeArticle.objects.count())
        with _cache_lock:
            cached = _cache.get("kb")
            if cached and cached[0] == key:
                return cached[1]
        rows = list(
            KnowledgeArticle.objects.only("title", "body", "embedding", "embedding_source_hash")
        )
        kb = cls((Article(title=r.title, body=r.body) for r in rows), stored=True)
        for i, row in enumerate(rows):
            # An embedding of older text is stale: the OpenAI brain makes a new one.
            if row.embedding and row.embedding_source_hash == article_hash(row.title, row.body):
                kb.embeddings[i] = row.embedding
        with _cache_lock:
            _cache["kb"] = (key, kb)
        return kb

    @classmethod
    def from_markdown(cls, text: str) -> "KnowledgeBase":
        clinic, articles = parse_kb_markdown(text)
        return cls(articles, clinic_name=clinic)

    def article(self, title: str) -> Article | None:
        return next((a for a in self.articles if a.title == title), None)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def weight(self, term: str, word: str) -> float:
        """A question word's weight: its idf in the knowledge base (the top idf for a word no
        article uses), scaled down when it is everyday English rather than a subject: "come"
        says less about what is asked than "Humana"."""
        idf = self._idf.get(term, self._unknown_idf)
        floor = _KNOWN_FLOOR if term in self._idf else 0.0
        return idf * max(floor, everyday_weight(word))

    def search(
        self, question: str, *, context: str = "", before: str = "", history: str = ""
    ) -> KBMatch | None:
        """The best article for `question` (one question clause of the reply). `before` is the
        sentence just before it (it often names what "it" is), `context` the rest of the reply
        and `history` the clinic's last message: they help rank, and count less. None for an
        empty knowledge base or a question with no content words."""
        lowered = normalize(question)
        for rx, plain in _PHRASES:
            lowered = rx.sub(plain, lowered)
        # "what's your cancellation policy, my schedule is unpredictable": the part that asks
        # is the question; the rest of the sentence is context.
        parts = [p for p in re.split(r",\s*|\s+but\s+|\s+and\s+", lowered) if terms(p)]
        asking = [p for p in parts if _ASKS.match(p) or p.endswith("?")] or parts or [lowered]
        core = [t for t in _unique(terms(" ".join(asking))) if t not in _QUESTION_WORDS]
        before = " ".join([before, *[p for p in parts if p not in asking]])
        near = [t for t in _unique(terms(before)) if t not in core]
        rest = [t for t in _unique(terms(context)) if t not in core and t not in near]
        said = stems_with_words(" ".join(asking))
        # A lone everyday word ("can I still come?") does not say what the question is about.
        weak = not core or (
            len(core) == 1
            and (core[0] not in self._idf or everyday_weight(said.get(core[0], core[0])) < 0.5)
        )
        if weak or _PRONOUN_OBJECT.search(" ".join(asking)):
            # "do you take it?": what "it" is was said around it.
            core, near, rest = _unique(core + near + rest), [], []
        expansion = [t for rx, ts in _EXPANSIONS if rx.search(lowered) for t in ts]
        if not self.articles or not (core or near):
            return None

        def with_synonyms(items):
            return _unique([x for t in items for x in (t, *SYNONYMS.get(t, ()))])

        parts = [
            (with_synonyms(core), 1.0),
            (with_synonyms(near), 0.6),
            (rest, 0.25),
            (_unique(terms(history)), 0.15),
            (expansion, 0.5),
        ]
        scores = sum(w * self._bm25.get_scores(p) for p, w in parts if p)

        written = stems_with_words(f"{question} {before} {context}")
        weights: dict[str, float] = {}
        for items, w in ((core, 1.0), (near, 0.5), (rest, 0.15)):
            for t in items:
                weights.setdefault(t, w * self.weight(t, written.get(t, t)))
        total = sum(weights.values())

        def present_in(index: int, term: str) -> bool:
            doc = self._doc_sets[index]
            return term in doc or any(x in doc for x in SYNONYMS.get(term, ()))

        def coverage_of(index: int) -> float:
            covered = sum(w for t, w in weights.items() if present_in(index, t))
            return covered / total if total else 0.0

        # BM25 ranks; of its top few, the article covering most of the question wins.
        ranked = sorted(range(len(self.articles)), key=lambda i: scores[i], reverse=True)
        shortlist = [i for i in ranked[:_SHORTLIST] if scores[i] > 0] or ranked[:1]
        best = max(shortlist, key=lambda i: (round(coverage_of(i), 6), scores[i]))
        coverage = coverage_of(best)

        def present(term: str) -> bool:
            return present_in(best, term)

        topic = self.topic_terms(lowered)
        missing = [t for t in topic if not present(t)]
        condition = _CONDITION.search(lowered)
        stated = _ASKED_AFTER.split(condition.group("condition"))[0] if condition else ""
        unmet = [
            t
            for t in terms(stated)
            if t not in _QUESTION_WORDS and t not in _LIGHT_VERBS and not present(t)
        ]
        focus = _unique((topic or core or near) + [t for t in terms(stated) if present(t)])
        # A specific word the knowledge base uses elsewhere but this article does not ("refer"
        # in "do you do bone grafts in house or refer out?"): the article does not answer it.
        elsewhere = [
            t
            for t in core
            if t in self._idf
            and self._idf[t] >= _SPECIFIC_IDF * self._unknown_idf
            and everyday_weight(written.get(t, t)) >= _SPECIFIC_WORD
            and not present(t)
        ]
        missing = missing + elsewhere
        why_not = "topic_not_in_article" if missing else ""
        why_not = why_not or ("condition_not_in_article" if unmet else "")
        return KBMatch(
            article=self.articles[best],
            score=float(scores[best]),
            coverage=coverage,
            sentences=self._best_sentences(best, with_synonyms(focus), expansion),
            answerable=not missing and not unmet,
            why_not=why_not,
            index=best,
            focus=tuple(with_synonyms(focus)),
            expansion=tuple(expansion),
        )

    @staticmethod
    def topic_terms(lowered_question: str) -> list[str]:
        """What the question is about when it has one of the common shapes, else []."""
        for rx in _TOPIC_RE:
            found = rx.search(lowered_question)
            if found:
                phrase = _TOPIC_END.sub("", " " + found.group("topic").strip()).strip()
                verb = found.groupdict().get("verb") or ""
                return [t for t in _unique(terms(f"{verb} {phrase}")) if t not in _QUESTION_WORDS]
        return []

    def answer(
        self,
        question: str,
        *,
        threshold: float,
        context: str = "",
        before: str = "",
        history: str = "",
    ) -> KBMatch | None:
        """The match, `answerable` only when the article answers the question: it covers
        enough of it, names what it is about, and states a price when one is asked for."""
        match = self.search(question, context=context, before=before, history=history)
        if match is None or not match.answerable:
            return match
        if match.coverage < threshold:
            return KBMatch(**{**match.__dict__, "answerable": False, "why_not": "low_coverage"})
        if _PRICE_Q.search(normalize(question)):
            priced = self._priced_sentences(match)
            if not priced:
                # Asked for a price the article does not state: never guess one.
                return KBMatch(**{**match.__dict__, "answerable": False, "why_not": "no_price"})
            return KBMatch(**{**match.__dict__, "sentences": priced})
        return match

    def _priced_sentences(self, match: KBMatch) -> tuple[str, ...]:
        """The sentences stating a price for what the question is about: any priced sentence
        when the article is about it (its title names it), else one that names it too."""
        doc = self._doc_sets[match.index]
        focus = {t for t in match.focus if t in doc}
        about_it = focus <= set(terms(match.article.title))
        mass = sum(self.idf(t) for t in focus)

        def names_it(sentence: str) -> bool:
            return sum(self.idf(t) for t in focus & set(terms(sentence))) >= 0.5 * mass

        candidates = [
            pos
            for pos, sentence in enumerate(self._sentences[match.index])
            if _AMOUNT.search(sentence) and (about_it or names_it(sentence))
        ]
        if not candidates:
            return ()
        return self._best_sentences(
            match.index, list(match.focus), list(match.expansion), only=candidates
        )

    def _best_sentences(
        self, index: int, focus: list[str], expansion: list[str], only: list[int] | None = None
    ) -> tuple[str, ...]:
        """The one or two sentences of the article that share most (idf-weighted) with what
        the question is about: the extractive answer."""
        ranked = []
        focus_set, expansion_set = set(focus), set(expansion)
        for pos, sentence in enumerate(self._sentences[index]):
            if only is not None and pos not in only:
                continue
            sterms = set(terms(sentence))
            weight = sum(self.idf(t) for t in focus_set & sterms)
            weight += 0.3 * sum(self.idf(t) for t in expansion_set & sterms)
            ranked.append((weight, -pos, sentence))
        ranked.sort(reverse=True)
        if not ranked:
            return ()
        if ranked[0][0] <= 0:
            return (ranked[0][2],) if only is not None else tuple(self._sentences[index][:1])
        chosen = [ranked[0]]
        if len(ranked) > 1 and ranked[1][0] >= 0.6 * ranked[0][0]:
            chosen.append(ranked[1])
        chosen.sort(key=lambda r: -r[1])  # back in the article's order
        return tuple(s for _, _, s in chosen)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


_cache: dict[str, tuple] = {}
_cache_lock = threading.Lock()


def kb_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()
