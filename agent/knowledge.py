"""The clinic's knowledge base: articles imported from Markdown or edited in the dashboard, and the
in-memory index the brains retrieve from (`agent.retrieval`).

The index is made of passages — one sentence of an article each, read with its title — embedded
once with the local model (`agent.embeddings`) and kept on the article row, so a process's first
decision does not embed the whole knowledge base again. A vector made from older text is
recomputed and saved back the first time it is needed.
"""

import base64
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.db.models import Max
from rank_bm25 import BM25Okapi

from agent.embeddings import DIMENSIONS, embed_passages
from agent.models import KnowledgeArticle
from agent.text import sentences, terms

# Which model made a stored vector: a vector of another model is stale.
EMBEDDING_MODEL = "multilingual-e5-small-q4"


@dataclass(frozen=True)
class Article:
    title: str
    body: str

    @property
    def source_hash(self) -> str:
        return article_hash(self.title, self.body)


@dataclass(frozen=True)
class Passage:
    article: int  # index in KnowledgeBase.articles
    text: str


def article_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{EMBEDDING_MODEL}\n{title}\n{body}".encode()).hexdigest()


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
    edited body updates the article in place. The passages' vectors are stored at once."""
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
    if result.created or result.updated:
        KnowledgeBase.from_db()  # embeds and stores what changed
    return result


def kb_import_file(path: str | Path) -> tuple[str, ImportResult]:
    clinic, articles = parse_kb_markdown(Path(path).read_text(encoding="utf-8"))
    return clinic, kb_import(articles=articles)


# --- The index -------------------------------------------------------------------------------


def passages_of(index: int, article: Article) -> list[Passage]:
    return [Passage(index, s) for s in sentences(article.body)]


def passage_text(title: str, sentence: str) -> str:
    """What is embedded and searched for a passage: the sentence, with its article's title for
    context ("Holidays: we are closed on …")."""
    return f"{title}: {sentence}"


class KnowledgeBase:
    """An in-memory index of articles. Built from the database (`from_db`) or from a file
    (`agent_eval` decides without touching the database)."""

    def __init__(
        self,
        articles: Iterable[Article],
        *,
        clinic_name: str = "",
        vectors: dict[int, np.ndarray] | None = None,
    ):
        self.articles = list(articles)
        self.clinic_name = clinic_name
        self.passages: list[Passage] = []
        spans: list[tuple[int, int]] = []
        for i, article in enumerate(self.articles):
            start = len(self.passages)
            self.passages.extend(passages_of(i, article))
            spans.append((start, len(self.passages)))
        self.spans = spans
        texts = [passage_text(self.articles[p.article].title, p.text) for p in self.passages]
        self.passage_terms = [terms(t) for t in texts]
        self.article_terms = [set(terms(f"{a.title} {a.body}")) for a in self.articles]
        self._bm25 = BM25Okapi(self.passage_terms) if self.passages else None
        vectors = {  # a vector per sentence, or the article is embedded again
            i: m for i, m in (vectors or {}).items() if len(m) == spans[i][1] - spans[i][0]
        }
        missing = [i for i in range(len(self.articles)) if i not in vectors]
        if missing:
            fresh = embed_passages([texts[j] for i in missing for j in range(*spans[i])])
            at = 0
            for i in missing:
                n = spans[i][1] - spans[i][0]
                vectors[i] = fresh[at : at + n]
                at += n
        self.new_vectors = {i: vectors[i] for i in missing}
        self.matrix = (
            np.vstack([vectors[i] for i in range(len(self.articles))])
            if self.passages
            else np.zeros((0, DIMENSIONS), dtype=np.float32)
        )

    def __len__(self) -> int:
        return len(self.articles)

    def article(self, title: str) -> Article | None:
        return next((a for a in self.articles if a.title == title), None)

    def bm25_scores(self, query_terms: list[str]) -> np.ndarray:
        if self._bm25 is None or not query_terms:
            return np.zeros(len(self.passages))
        return np.asarray(self._bm25.get_scores(query_terms))

    @classmethod
    def from_markdown(cls, text: str) -> "KnowledgeBase":
        clinic, articles = parse_kb_markdown(text)
        return cls(articles, clinic_name=clinic)

    @classmethod
    def from_db(cls) -> "KnowledgeBase":
        """The articles as stored now; the index is rebuilt only when an article changed, and
        only the changed articles are embedded (their vectors are saved on the row)."""
        stamp = KnowledgeArticle.objects.aggregate(latest=Max("updated_at"))["latest"]
        key = (stamp, KnowledgeArticle.objects.count())
        with _cache_lock:
            cached = _cache.get("kb")
            if cached and cached[0] == key:
                return cached[1]
        rows = list(
            KnowledgeArticle.objects.only("title", "body", "embedding", "embedding_source_hash")
        )
        articles = [Article(title=r.title, body=r.body) for r in rows]
        vectors = {
            i: _decode(row.embedding)
            for i, row in enumerate(rows)
            if row.embedding and row.embedding_source_hash == articles[i].source_hash
        }
        kb = cls(articles, vectors=vectors)
        for i, matrix in kb.new_vectors.items():
            # Conditional on the text: an article edited meanwhile keeps its own new vectors.
            KnowledgeArticle.objects.filter(pk=rows[i].pk, body=rows[i].body).update(
                embedding=_encode(matrix), embedding_source_hash=articles[i].source_hash
            )
        with _cache_lock:
            _cache["kb"] = (key, kb)
        return kb


def _encode(matrix: np.ndarray) -> dict:
    """Vectors as float16 in base64: a tenth of the size of a JSON list of floats."""
    data = np.asarray(matrix, dtype=np.float16)
    return {
        "model": EMBEDDING_MODEL,
        "rows": int(data.shape[0]),
        "f16": base64.b64encode(data.tobytes()).decode(),
    }


def _decode(stored: dict) -> np.ndarray:
    data = np.frombuffer(base64.b64decode(stored["f16"]), dtype=np.float16)
    return data.reshape(int(stored["rows"]), -1).astype(np.float32)


_cache: dict[str, tuple] = {}
_cache_lock = threading.Lock()


def kb_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()
