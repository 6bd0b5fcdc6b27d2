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
from agent.text import everyday_weight, normalize, sentences, stems_with_words, terms, words

# What a kind of question looks for in an article, besides its own words. A price question
# wants an amount; "how long" a duration; "when" a time; "where" a place.
_PRICE_Q = re.compile(
    r"\b(how much|cost|costs|price|prices|pricing|fee|fees|charge|expensive|cheap|afford|"
    r"rate|rates)\b|\$"
)
_SHORTLIST = 3
NEAR_WEIGHT = 0.5
REST_WEIGHT = 0.15
RANK_BONUS = 0.15
SYNONYM_WEIGHT = 0.5
TITLE_BONUS = 0.1
_SPECIFIC_IDF = 0.5
_SPECIFIC_WORD = 0.35
# A word the articles use keeps at least this share of its weight, however everyday it is.
_KNOWN_FLOOR = 0.6
# "How long does X take": the answer is a duration.
_DURATION_Q = re.compile(r"\bhow long\b(?!\s+(ago|have you|has it been))")
_DURATION = re.compile(
    r"\b(\d+|one|two|three|four|five|six|ten|a few|several|an?|half an?)\s*(to|-|\u2013|or)?\s*"
    r"(\d+\s*)?(minutes?|mins?|hours?|days?|weeks?|months?|years?|visits?|appointments?)\b|"
    r"\b(same day|same-day|one visit|single visit|overnight)\b",
    re.I,
)
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
        "again",
    }
)
# What kind of answer is wanted rather than what about ("your cancellation *policy*"): an
# article that uses the word fits a little better, one that does not is no worse for it.
_META = frozenset({"polici", "rule", "option", "info", "inform", "detail", "choic"})
# Words that say little about what is asked ("can I still *come*?", "is that *ok*?"): they
# neither make an article fit nor stop it from fitting.
_LIGHT = frozenset(
    {
        "come",
        "go",
        "went",
        "gone",
        "get",
        "got",
        "do",
        "done",
        "make",
        "take",
        "work",
        "ok",
        "okay",
        "fine",
        "alright",
        "possibl",
        "abl",
        "sure",
        "help",
        "tri",
        "happen",
        "mean",
        "good",
        "way",
        "thing",
        "stuff",
        "guy",
        "time",
        "day",
        "lol",
        "pleas",
        "thank",
        "hi",
        "hey",
        "hello",
        "yes",
        "yeah",
        "also",
        "just",
        "realli",
        "actual",
        "still",
        "ever",
        "even",
        "like",
        "love",
        "glad",
        "happi",
        "quick",
        "quickli",
        "avail",
        "new",
        # when, said relative to now: for the booking page, not for an article
        "week",
        "date",
        "today",
        "tomorrow",
        "tonight",
        "next",
        "soon",
        "later",
        "sometim",
        "st",
        "nd",
        "rd",
        "th",
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
    "shortnotic": ("late", "notic"),
    "appoint": ("visit",),
    "visit": ("appoint",),
    "train": ("rail", "transit", "station"),
    "subway": ("rail", "transit", "station"),
    "metro": ("rail", "transit", "station"),
    "bus": ("bus", "transit"),
    "mom": ("parent",),
    "mum": ("parent",),
    "dad": ("parent",),
    "mother": ("parent",),
    "father": ("parent",),
    "grandson": ("child", "children"),
    "granddaught": ("child", "children"),
    "grandkid": ("child", "children"),
    "grandchild": ("child", "children"),
    "grandchildren": ("child", "children"),
    "teen": ("teenag", "child", "children"),
    "grandma": ("grandpar",),
    "grandpa": ("grandpar",),
    "grandmoth": ("grandpar",),
    "grandfath": ("grandpar",),
    "granni": ("grandpar",),
    "nanni": ("nanni",),
    "discount": ("save", "saving", "discount"),
    "paid": ("pay", "prepaid", "payment"),
    "hurt": ("pain", "discomfort"),
    "pain": ("pain", "discomfort"),
    "safe": ("safeti",),
    "cover": ("cover", "insur", "benefit"),
    "cheaper": ("discount", "save", "saving"),
}
# "do you do X", "how much is X", "can I bring X", "is X covered": X is what the question is
# about, and the article must name it.
_TOPIC = [
    r"\b(do|does|can|could|will|would)\s+(you|you guys|you all|y'all|your office|the office|"
    r"anyone|the dentist|your dentists?)\s+(do|offer|have|provide|perform|take|accept|treat|"
    r"see|fix|place|carry|sell|use|work with|handle|do any)\s+(?P<topic>[^?.,!;]+)",
    r"\bhow much (is|are|does|do|would|will|for)\s+(?P<topic>[^?.,!;]+)",
    r"\bcan (i|we)\s+(bring|use|get|have)\s+(?P<topic>[^?.,!;]+)",
    r"\bcan (i|we)\s+(?P<verb>pay)\s+(with|by|using|in)\s+(?P<topic>[^?.,!;]+)",
    # "can I finance the implant?", "can I pay monthly for braces?": asks how to pay; what for
    # only qualifies it
    r"\bcan (i|we)\s+(?P<verb>financ\w*|pay (monthly|over time|in installments|in instalments)|"
    r"split (the|my) (payments?|cost|bill)|spread (out )?(the|my) (payments?|cost))(?P<topic>)"
    r"(?P<qualifier>[^?.,!;]*)",
    r"\b(is|are)\s+(?P<topic>[^?.,!;]+?)\s+(?P<judged>covered|included|safe|unsafe|dangerous|"
    r"harmful|toxic|painful|normal|necessary|worth it|permanent|reversible|available|free)\b",
    # "does my insurance cover implants?": the article must name the plan's cover *and* the
    # treatment
    r"\b(does|do|will|would)\s+(?P<topic>[^?.,!;]+?)\s+(?P<judged>cover|pay for)\s+"
    r"(?P<object>[^?.,!;]+)",
    # "does whitening hurt?", "will the gas make me sick?", "how long does whitening last?"
    r"\b(does|do|will|would|can|could)\s+(?P<topic>[^?.,!;]+?)\s+(?P<judged>hurt|sting|damage|"
    r"weaken|harm|stain|ruin|affect|last|make (me|him|her|them) sick)\b",
    r"\b(do|will|would|should|must)\s+(i|we)\s+(need|have)\s+to\s+(?P<topic>[^?.,!;]+)",
    r"\b(price|cost|fee|charge|rate)s?\s+(of|for)\s+(?P<topic>[^?.,!;]+)",
    r"^\W*(what|who)('s| is| are| was)\s+(the|your)\s+(?P<topic>[^?.,!;]+)",
]
_QUALIFIER = re.compile(
    r"\b(for|during|with|while|at|on|in|after|before|since|because|like)\s+"
    r"((?!(or|and|but|if|so)\b)[\w'-]+\s*){1,4}"
)
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
_CONDITION_WHO = re.compile(
    r"\b(someone|somebody|people|patients?|anyone|kids|children|a child|adults?|a person)\s+"
    r"(who|that)\b(?P<condition>[^?.,;!]*)"
)
_TOPIC_RE = [re.compile(p) for p in _TOPIC]
# Two words that mean one thing only together, where one is too common to count on its own
# ("*walk-ins*", "*night guard*"): one term, for articles and questions alike.
_COMPOUNDS = [
    (re.compile(r"\bwalk[- ]ins?\b", re.I), "walkin"),
    (re.compile(r"\bnight[- ]guards?\b", re.I), "nightguard"),
    (re.compile(r"\btak(e|es|ing|en)\s+over\b", re.I), "takeover"),
    (
        re.compile(
            r"\b(up[- ]?front|in full|all at once|lump sum|full amount|whole amount)\b", re.I
        ),
        "infull",
    ),
]


def compounds(text: str) -> str:
    for rx, joined in _COMPOUNDS:
        text = rx.sub(joined, text)
    return text


# Everyday phrases for times, said the way an office-hours article says them.
_PHRASES = [
    (re.compile(r"\b(after work|after (5|6|7|8)( ?pm)?|at night|evenings?|nights?)\b"), "evening"),
    (re.compile(r"\b(on )?(the )?weekends?\b"), "saturday sunday"),
    # one word standing for the ways an article may say it (see SYNONYMS)
    (re.compile(r"\b(last[- ]minute|short notice|late notice)\b"), "shortnotice"),
    (
        re.compile(
            r"\b(put (me |him |her |them |us )?(to sleep|under)|knock(ed)? (me |him |her )?out|"
            r"be asleep|sleep through)\b"
        ),
        "sedation",
    ),
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
# "do you take *it*?", "how much is *that*?" — but not "a baby *that* young", "*this* time".
_PRONOUN_OBJECT = re.compile(
    r"\b(it|that|this|them|those|these|one)\W*$|\bit\b|\b(that|this)\s+(is|was|be|would|will|"
    r"does|do|cost|costs|take|takes|work|works|include|includes|mean|means|cover|covers|hurt|"
    r"hurts|require|requires|need|needs|come|comes)\b"
)
_TOPIC_END = re.compile(
    r"\s(to|for|on|at|in|with|all together|altogether|in total|overall|total|if|when|because|"
    r"since|so|instead|too|as well|before|after|"
    r"anymore|again|there|here|cost|costs|run|be|compared|vs|versus|or not|all in|right now|"
    r"these days|near|during|while|without|roughly|approximately|about|around|ballpark|or|"
    r"mostly|mainly|only|just)"
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
        self._docs = [terms(compounds(f"{a.title}. {a.title}. {a.body}")) for a in self.articles]
        # The words the articles use, as written: a reply's misspelling is put right to these
        # first, and they are never "corrected" (clinic and plan names).
        self.vocabulary = frozenset(
            w for a in self.articles for w in words(normalize(f"{a.title} {a.body}"))
        )
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
        self._kin_cache: dict[str, frozenset[str]] = {}
        self._titles = [set(terms(compounds(a.title))) for a in self.articles]
        self._hours: dict[int, list[tuple[int, int]]] | None = None
        self._hours_index = -1
        # Embeddings (OpenAI brain): article index -> vector, filled on demand.
        self.embeddings: dict[int, list[float]] = {}

    def _known(self, term: str) -> bool:
        """Whether the articles use the term, a synonym of it, or another form of it."""
        return (
            term in self._idf
            or any(x in self._idf for x in SYNONYMS.get(term, ()))
            or bool(self._kin(term))
        )

    def _kin(self, term: str) -> frozenset[str]:
        """Terms of the articles that are the same word in another form, which the stemmer
        keeps apart ("autistic" / "autism", "orthodontist" / "orthodontic"): a shared start of
        five letters or more that is most of both."""
        found = self._kin_cache.get(term)
        if found is None:
            found = frozenset(t for t in self._idf if t != term and _same_word(t, term))
            self._kin_cache[term] = found
        return found

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

    def hours_article(self) -> int:
        """The index of the article giving the opening times (-1: none does)."""
        self.opening_hours()
        return self._hours_index

    def opening_hours(self) -> dict[int, list[tuple[int, int]]]:
        """The clinic's opening times, from the article that states most of them ({} when no
        article does)."""
        if self._hours is None:
            best: tuple = (False, False, 0)
            self._hours = {}
            for index, article in enumerate(self.articles):
                parsed = parse_opening_hours(f"{article.title}. {article.body}")
                if not parsed:
                    continue
                # The article on hours, rather than, say, when street parking is metered.
                rank = (
                    bool(re.search(r"\b(hours|open|opening|schedule)\b", article.title, re.I)),
                    bool(re.search(r"\b(open|closed)\b", article.body, re.I)),
                    sum(map(len, parsed.values())),
                )
                if rank > best:
                    best, self._hours, self._hours_index = rank, parsed, index
        return self._hours

    def open_at(self, question: str) -> bool | None:
        """Whether the clinic is open at the time an availability question asks about
        ("anything Thursday evening?"): True or False from the opening times, None when the
        knowledge base does not say or the question names no time."""
        lowered = normalize(question)
        hours = self.opening_hours()
        days = _asked_days(lowered)
        part = _asked_part(lowered)
        if not hours or (not days and part is None):
            return None
        start, end = part or (None, None)

        def fits(interval: tuple[int, int]) -> bool:
            opens, closes = interval
            if start is not None and closes < start + 60:
                return False
            return end is None or opens <= end - 60

        for day in days or range(7):
            if day not in hours and days:
                return None  # a day the articles do not speak of
            if any(fits(i) for i in hours.get(day, [])):
                return True
        return False

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
        lowered = compounds(normalize(question))
        for rx, plain in _PHRASES:
            lowered = rx.sub(plain, lowered)
        # "what's your cancellation policy, my schedule is unpredictable": the part that asks
        # is the question; the rest of the sentence is context.
        parts = [p for p in re.split(r"[,:;]\s*|\s+-\s+|\s+but\s+|\s+and\s+", lowered) if terms(p)]
        asking = [p for p in parts if _ASKS.match(p) or p.endswith("?")] or parts or [lowered]
        core = [
            t
            for t in _unique(terms(" ".join(asking)))
            if t not in _QUESTION_WORDS and t not in _LIGHT
        ]
        # the rest of the question's own sentence says what it is about more surely than the
        # sentence before it ("my insurance changed to *Aetna*, can you check what's covered?")
        beside = set(terms(" ".join(p for p in parts if p not in asking)))
        before = " ".join([before, *[p for p in parts if p not in asking]])
        near = [t for t in _unique(terms(before)) if t not in core and t not in _LIGHT]
        rest = [
            t
            for t in _unique(terms(context))
            if t not in core and t not in near and t not in _LIGHT
        ]
        said = stems_with_words(" ".join(asking))
        # A lone everyday word the articles do not use ("can I still visit?") does not say
        # what the question is about.
        weak = not core or (
            len(core) == 1
            and not self._known(core[0])
            and everyday_weight(said.get(core[0], core[0])) < 0.5
        )
        # "do you take it?" — but not "do you treat adults or is it mostly teens?", which says
        # what it is about
        pronoun = bool(_PRONOUN_OBJECT.search(" ".join(asking)))
        merged = weak or (pronoun and not self.topic_terms(" ".join(asking)))
        if merged:
            # "do you take it?": what "it" is was said just before it, or around it.
            if near and not weak:
                core, near = _unique(core + near), []
            else:
                core, near, rest = _unique(core + near + rest), [], []
        expansion = [t for rx, ts in _EXPANSIONS if rx.search(lowered) for t in ts]
        if not self.articles or not (core or near):
            return None

        def with_synonyms(items):
            return _unique([x for t in items for x in (t, *SYNONYMS.get(t, ()))])

        def synonyms_only(items):
            return [x for x in with_synonyms(items) if x not in items]

        parts = [
            (core, 1.0),
            (synonyms_only(core), SYNONYM_WEIGHT),
            (near, 0.6),
            (synonyms_only(near), 0.6 * SYNONYM_WEIGHT),
            (rest, 0.25),
            (_unique(terms(history)), 0.15),
            (expansion, 0.5),
        ]
        scores = sum(w * self._bm25.get_scores(p) for p, w in parts if p)

        written = stems_with_words(f"{question} {before} {context}")
        weights: dict[str, float] = {}
        # How much of the question an article covers: what the question itself asks about;
        # the sentences around it only help rank.
        qualifier = set(self.qualifier_terms(lowered))
        for items, w in ((core, 1.0), (near, NEAR_WEIGHT), (rest, REST_WEIGHT)):
            for t in items:
                if w < 1.0 and t not in self._idf and t not in beside:
                    continue  # a name or aside around the question: no article could cover it
                share = NEAR_WEIGHT if t in qualifier and w == 1.0 else w
                weights.setdefault(t, share * self.weight(t, written.get(t, t)))
        meta = {t for t in weights if t in _META}
        total = sum(w for t, w in weights.items() if t not in meta)

        hours_article = self.hours_article()

        def present_in(index: int, term: str) -> bool:
            doc = self._doc_sets[index]
            return (
                term in doc
                or any(x in doc for x in SYNONYMS.get(term, ()))
                or bool(self._kin(term) & doc)
                # the article giving the opening times speaks to every time of day and week
                or (index == hours_article and term in _TIME_TERMS)
            )

        def coverage_of(index: int) -> float:
            covered = sum(w for t, w in weights.items() if present_in(index, t))
            bonus = sum(weights[t] for t in meta if present_in(index, t))
            whole = total + bonus
            return covered / whole if whole else 0.0

        # BM25 ranks; of its top few, the article covering most of the question wins.
        ranked = sorted(range(len(self.articles)), key=lambda i: scores[i], reverse=True)
        shortlist = [i for i in ranked[:_SHORTLIST] if scores[i] > 0] or ranked[:1]
        top = max(scores[shortlist[0]], 1e-9)
        topic = self.topic_terms(lowered)

        def fit(i: int) -> tuple:
            # An article naming what the question is about comes first ("can I *finance* the
            # implant?" is for the article on financing, not the one on implants).
            named = all(present_in(i, t) for t in topic)
            # what the question is about in the article's title: it is about that
            titled = sum(1 for t in (topic or core) if t in self._titles[i]) / max(
                1, len(topic or core)
            )
            fitness = coverage_of(i) + RANK_BONUS * scores[i] / top + TITLE_BONUS * titled
            return (named, round(fitness, 6), scores[i])

        best = max(shortlist, key=fit)
        coverage = coverage_of(best)

        def present(term: str) -> bool:
            return present_in(best, term)

        missing = [t for t in topic if not present(t)]
        condition = _CONDITION.search(lowered) or _CONDITION_WHO.search(lowered)
        stated = _ASKED_AFTER.split(condition.group("condition"))[0] if condition else ""
        # "... if I'm pregnant", "... for someone who has a bridge": the article must speak to
        # the condition too — most of its words, and every one the articles use elsewhere.
        said_terms = [
            t
            for t in _unique(terms(stated))
            if t not in _QUESTION_WORDS and t not in _LIGHT_VERBS and t not in _LIGHT
        ]
        absent = [t for t in said_terms if not present(t)]
        unmet = (
            absent
            if len(absent) * 2 > len(said_terms)
            or any(
                t in self._idf and everyday_weight(written.get(t, t)) >= _SPECIFIC_WORD
                for t in absent
            )
            else []
        )
        focus = _unique((topic or core or near) + [t for t in terms(stated) if present(t)])
        # A specific word the knowledge base uses elsewhere but this article does not ("refer"
        # in "do you do bone grafts in house or refer out?"): the article does not answer it.
        # Words in a phrase that only qualifies the question ("... *for adults*", "... *during
        # his cleaning*") are not what it is about, and do not rule an article out.
        qualifying = {t for m in _QUALIFIER.finditer(lowered) for t in terms(m.group(0))}
        qualifying |= qualifier
        elsewhere = [
            t
            for t in core
            if t not in qualifying
            and t in self._idf
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
    def qualifier_terms(lowered_question: str) -> list[str]:
        """What only qualifies the question in one of the common shapes ("can I finance *the
        implant*?")."""
        for rx in _TOPIC_RE:
            found = rx.search(lowered_question)
            if found:
                return terms(found.groupdict().get("qualifier") or "")
        return []

    @staticmethod
    def topic_terms(lowered_question: str) -> list[str]:
        """What the question is about when it has one of the common shapes, else []."""
        for rx in _TOPIC_RE:
            found = rx.search(lowered_question)
            if found:
                phrase = _TOPIC_END.sub("", " " + found.group("topic").strip()).strip()
                verb = found.groupdict().get("verb") or ""
                # "is fluoride *safe*?": the article must speak to what is judged too (an
                # article that prices fluoride does not say it is safe).
                judged = found.groupdict().get("judged") or ""
                judged = "" if judged in ("available", "free") else judged
                judged += " " + _TOPIC_END.sub("", " " + (found.groupdict().get("object") or ""))
                return [
                    t
                    for t in _unique(terms(f"{verb} {phrase} {judged}"))
                    if t not in _QUESTION_WORDS and t not in _META and t not in _LIGHT
                ]
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
        if _DURATION_Q.search(normalize(question)):
            timed = self._priced_sentences(match, amount=_DURATION)
            if not timed:
                # "how long does a reline take?": an article that prices relines does not say.
                return KBMatch(**{**match.__dict__, "answerable": False, "why_not": "no_duration"})
            return KBMatch(**{**match.__dict__, "sentences": timed})
        return match

    def _priced_sentences(
        self, match: KBMatch, amount: re.Pattern | None = None
    ) -> tuple[str, ...]:
        """The sentences stating a price (or another `amount`) for what the question is
        about: any such sentence when the article is about it (its title names it), else one
        that names it too."""
        amount = amount or _AMOUNT
        doc = self._doc_sets[match.index]
        focus = {t for t in match.focus if t in doc}
        about_it = focus <= set(terms(match.article.title))
        mass = sum(self.idf(t) for t in focus)

        def names_it(sentence: str) -> bool:
            return sum(self.idf(t) for t in focus & set(terms(sentence))) >= 0.5 * mass

        candidates = [
            pos
            for pos, sentence in enumerate(self._sentences[match.index])
            if amount.search(sentence) and (about_it or names_it(sentence))
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


# --- Opening times ----------------------------------------------------------------------------

_TIME_TERMS = frozenset(
    terms(
        "monday tuesday wednesday thursday friday saturday sunday weekend weekday morning "
        "afternoon evening night lunch early late"
    )
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAME = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
_CLOCK = r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?|\bnoon\b|\bmidnight\b"
_HOURS_EVENT = re.compile(
    rf"(?P<range>{_DAY_NAME}\s*(?:through|thru|to|until|-|\u2013)\s*{_DAY_NAME})"
    rf"|(?P<day>\b{_DAY_NAME}\b|\bweekends?\b|\bweekdays?\b)"
    rf"|(?P<times>(?:{_CLOCK})\s*(?:to|until|till|-|\u2013)\s*(?:{_CLOCK}))"
    r"|(?P<closed>\bclosed\b)"
    r"|(?P<stop>[.;]\s|\n)",
    re.I,
)


def _minutes(text: str) -> int | None:
    text = text.strip().lower()
    if text == "noon":
        return 12 * 60
    if text == "midnight":
        return 24 * 60
    found = re.match(r"(\d{1,2})(?::(\d{2}))?\s*([ap])", text)
    if not found:
        return None
    hour = int(found.group(1)) % 12 + (12 if found.group(3) == "p" else 0)
    return hour * 60 + int(found.group(2) or 0)


def _day_span(first: str, last: str) -> list[int]:
    a, b = _WEEKDAYS.index(first.rstrip("s")), _WEEKDAYS.index(last.rstrip("s"))
    return [(a + i) % 7 for i in range(((b - a) % 7) + 1)]


def parse_opening_hours(text: str) -> dict[int, list[tuple[int, int]]]:
    """Weekday (0 = Monday) -> opening intervals in minutes, read from how articles say it:
    "Monday through Thursday from 8:00 AM to 5:00 PM and Friday from 8:00 AM to 1:00 PM. We
    are closed on Saturdays." A day named as closed gets no interval."""
    hours: dict[int, list[tuple[int, int]]] = {}
    pending: list[int] = []
    loose: tuple[int, int] | None = None  # a time range said before its days
    closed = False
    for event in _HOURS_EVENT.finditer(text):
        kind = event.lastgroup
        if kind == "stop":
            pending, loose, closed = [], None, False
        elif kind == "closed":
            pending, loose, closed = [], None, True
        elif kind in ("range", "day"):
            said = event.group(0).lower()
            names = re.findall(_DAY_NAME, said)
            if said.startswith("weekend"):
                days = [5, 6]
            elif said.startswith("weekday"):
                days = [0, 1, 2, 3, 4]
            elif kind == "range":
                days = _day_span(names[0], names[-1])
            else:
                days = [_WEEKDAYS.index(names[0])]
            if closed:
                for d in days:
                    hours.setdefault(d, [])
            elif loose:
                for d in days:
                    hours.setdefault(d, []).append(loose)
            else:
                pending += days
        elif kind == "times":
            clocks = re.findall(_CLOCK, event.group(0), re.I)
            spans = re.finditer(_CLOCK, event.group(0), re.I)
            bounds = [_minutes(m.group(0)) for m in spans]
            if len(clocks) < 2 or None in bounds[:2]:
                continue
            interval = (bounds[0], bounds[1])
            if pending:
                for d in pending:
                    hours.setdefault(d, []).append(interval)
                pending, loose = [], None
            else:
                loose = interval
            closed = False
    return hours


# When in the day an availability question asks about: (earliest start, latest end) wanted.
_PART_OF_DAY = [
    (re.compile(r"\b(after|past)\s+(\d{1,2})(:\d\d)?\s*(pm|p\.m\.)?"), "after"),
    (re.compile(r"\b(before)\s+(\d{1,2})(:\d\d)?\s*(am|a\.m\.)?"), "before"),
    (
        re.compile(r"\b(evening|evenings|night|nights|after work|after school|late)\b"),
        (17 * 60, None),
    ),
    (
        re.compile(r"\b(early mornings?|before work|early (appointments?|slots?|times?))\b"),
        (None, 8 * 60),
    ),
    (re.compile(r"\b(morning|mornings)\b"), (None, 12 * 60)),
    (re.compile(r"\b(lunch|lunchtime|midday|noon)\b"), (12 * 60, 13 * 60)),
    (re.compile(r"\b(afternoon|afternoons)\b"), (12 * 60, 17 * 60)),
]


def _asked_days(lowered: str) -> list[int]:
    days = {_WEEKDAYS.index(m.group(1)) for m in re.finditer(_DAY_NAME, lowered)}
    if re.search(r"\b(weekend|weekends)\b", lowered):
        days |= {5, 6}
    if re.search(r"\b(weekday|weekdays)\b", lowered):
        days |= {0, 1, 2, 3, 4}
    return sorted(days)


def _asked_part(lowered: str) -> tuple[int | None, int | None] | None:
    for rx, part in _PART_OF_DAY:
        found = rx.search(lowered)
        if not found:
            continue
        if part in ("after", "before"):
            hour = int(found.group(2))
            if part == "after" and hour < 12 and not (found.group(4) or "").startswith("a"):
                hour += 12 if hour <= 9 else 0
            return (hour * 60, None) if part == "after" else (None, hour * 60)
        return part
    return None


def _same_word(a: str, b: str) -> bool:
    if a[:5] != b[:5] or not a[:5].isalpha():
        return False
    shorter = min(len(a), len(b))
    common = next((i for i in range(shorter) if a[i] != b[i]), shorter)
    return common >= 0.75 * max(len(a), len(b))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


_cache: dict[str, tuple] = {}
_cache_lock = threading.Lock()


def kb_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()
