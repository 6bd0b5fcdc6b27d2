"""Finding a patient the way the front desk types a name: any case, without the accents
("jose" finds José), and through a typo ("wiliam" finds William, not Liam). Every word typed
must start a word of the name or be one typo from it (rapidfuzz's edit distance). On
PostgreSQL only the names sharing trigrams with the words are scored (pg_trgm on the
unaccented name); other databases (SQLite, MongoDB) score every name. Email and phone match
as typed."""

import re
import unicodedata

from django.db import connection
from django.db.models import Q, QuerySet
from rapidfuzz.distance import OSA

# Names sharing fewer trigrams than this with what was typed are not worth scoring
# (pg_trgm's default threshold for word_similarity, 0 to 1).
TRIGRAM_MIN = 0.3
# A typo is one letter wrong, missing, extra or swapped with the next; two in a long word.
# Shorter words must match their start: "al" is not a typo of "ali" or "eli".
TYPO_MIN_LETTERS = 4
LONG_WORD = 8
# More names than this one typo away from a query are more than anyone reads.
CLOSE_MAX = 500


def fold(text: str) -> str:
    """Lower case without accents: "José Núñez" → "jose nunez"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def patients_matching(patients: QuerySet, q: str) -> QuerySet:
    """`patients` whose name, email or phone matches `q`, a name also without its accents or
    through a typo."""
    q = q.strip()
    match = Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__contains=q)
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3:
        match |= Q(phone__contains=digits)
    words = fold(q).split()
    if any(c.isalpha() for c in q) and "@" not in q:
        # SQLite's icontains folds ASCII only: a name the query matches that way is found already.
        already = q.casefold() if q.isascii() else None
        close = _names_close_to(_candidates(patients, words), words, already=already)
        match |= Q(pk__in=close)
    return patients.filter(match)


def _candidates(patients: QuerySet, words: list[str]) -> QuerySet:
    """Every patient, narrowed on PostgreSQL to names that share trigrams with the words."""
    if connection.vendor != "postgresql":
        return patients
    from django.contrib.postgres.lookups import Unaccent
    from django.contrib.postgres.search import TrigramWordSimilarity
    from django.db.models.functions import Lower

    closeness = TrigramWordSimilarity(" ".join(words), Unaccent(Lower("name")))
    return patients.annotate(closeness=closeness).filter(closeness__gte=TRIGRAM_MIN)


def _names_close_to(patients: QuerySet, words: list[str], *, already: str | None) -> list:
    """The patients whose name has, for every word typed, a word that starts with it or is
    within a typo of it — leaving out the names containing `already` (the query's own match)
    and stopping at CLOSE_MAX, so the list stays a short IN (…) whatever the clinic's size."""
    ids = []
    for pk, name in patients.values_list("pk", "name").iterator(chunk_size=2000):
        if already is not None and already in name.casefold():
            continue
        name_words = fold(name).split()
        if all(_word_close(word, name_words) for word in words):
            ids.append(pk)
            if len(ids) >= CLOSE_MAX:
                break
    return ids


def _word_close(word: str, name_words: list[str]) -> bool:
    typos = 0 if len(word) < TYPO_MIN_LETTERS else 2 if len(word) >= LONG_WORD else 1
    return any(
        w.startswith(word) or (typos and OSA.distance(word, w, score_cutoff=typos) <= typos)
        for w in name_words
    )
