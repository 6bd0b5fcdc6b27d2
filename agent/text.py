"""Plain-text handling shared by the brains and the knowledge base: the reply without quoted
mail and signatures, texting shorthand spelled out, sentences, and stemmed terms."""

import functools
import math
import re
import unicodedata

from mailparser_reply import EmailReplyParser
from snowballstemmer import stemmer as snowball

# Greeting and sign-off lines of an email; the line after a sign-off is the sender's name.
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^.?!]{0,40}$", re.I
)
_SIGN_OFF = re.compile(
    r"^(thanks|thank you|thx|best|best regards|regards|kind regards|warm regards|cheers|"
    r"sincerely|all the best|take care|respectfully)[ ,.!]*$",
    re.I,
)
_SENT_FROM = re.compile(r"^(sent from my|get outlook for)\b", re.I)

# Texting shorthand, spelled out so that patterns and retrieval see ordinary English.
SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "y": "yes",
    "k": "ok",
    "kk": "ok",
    "okay": "ok",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thanks",
    "appt": "appointment",
    "appts": "appointments",
    "w/o": "without",
    "w/": "with",
    "b4": "before",
    "2day": "today",
    "2morrow": "tomorrow",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "dont": "don't",
    "doesnt": "doesn't",
    "cant": "can't",
    "wont": "won't",
    "im": "i'm",
    "ive": "i've",
    "didnt": "didn't",
    "isnt": "isn't",
    "whats": "what's",
    "wheres": "where's",
    "lmk": "let me know",
    "idk": "i don't know",
    "yea": "yeah",
    "ya": "yeah",
    "yep": "yes",
    "yup": "yes",
    "sched": "schedule",
    "mon": "monday",
    "tues": "tuesday",
    "tue": "tuesday",
    "weds": "wednesday",
    "wed": "wednesday",
    "thurs": "thursday",
    "thur": "thursday",
    "thu": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
    "xray": "x-ray",
    "xrays": "x-rays",
}
_SHORTHAND_RE = re.compile(
    r"(?<![\w/])("
    + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True))
    + r")(?![\w/])",
    re.I,
)

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "anyone",
        "anything",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "know",
        "let",
        "let's",
        "like",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "please",
        "same",
        "she",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "thank",
        "thanks",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "ok",
        "yes",
        "yeah",
        "hi",
        "hello",
        "hey",
        "guys",
        "y'all",
        "also",
        "really",
        "actually",
        "still",
        "currently",
        "right",
        "now",
        "there's",
        "wondering",
        "wonder",
        "curious",
        "kind",
        "sort",
        "thing",
        "things",
        "lol",
        "haha",
        "omg",
        "btw",
        "etc",
        "one",
        "ones",
        "much",
        "many",
        "would'nt",
        "gonna",
        "wanna",
        "need",
        "want",
        "wants",
        "needed",
        "make",
        "makes",
        "whole",
    ]
)

_stemmer = snowball("english")


def clean_reply(text: str) -> str:
    """The patient's own words: quoted earlier messages, greetings, sign-offs and signatures
    removed (mail-parser-reply finds the quoted part)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if "\n>" in text or re.search(r"\n\s*On .{5,200}wrote:", text) or "-----Original" in text:
        try:
            text = EmailReplyParser(languages=["en"]).parse_reply(text=text) or text
        except Exception:  # a parser hiccup must not lose the reply
            text = text.split("\nOn ", 1)[0]
    lines = [line.strip() for line in text.split("\n")]
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _SENT_FROM.match(line):
            break
        if _SIGN_OFF.match(line) and kept:
            # The sign-off and the name below it end the message.
            rest = [x for x in lines[i + 1 :] if x]
            if len(rest) <= 2 and all(len(x) <= 40 for x in rest):
                break
        if not kept and _GREETING.match(line) and len(lines) > 1:
            continue
        kept.append(line)
    cleaned = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", cleaned) or (text or "").strip()


def normalize(text: str) -> str:
    """Lower case, typographic quotes made plain, texting shorthand spelled out."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", "-")
    text = text.lower()
    return _SHORTHAND_RE.sub(lambda m: SHORTHAND[m.group(1).lower()], text)


def sentences(text: str) -> list[str]:
    """Split into sentences (keeping their end punctuation)."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p and p.strip()]


def words(text: str) -> list[str]:
    """Alphabetic words (with apostrophes), lower case; x-ray style hyphens are joined."""
    text = re.sub(r"(?<=\bx)-(?=ray)", "", text.lower())
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text)


@functools.lru_cache(maxsize=20000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content words: the unit of lexical retrieval."""
    return [stem(w) for w in words(normalize(text)) if w not in STOPWORDS and len(w) > 1]


@functools.cache
def english_words():
    """pyspellchecker's English word list with frequencies (from subtitles): a background
    sample of everyday English."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en")


def everyday_weight(word: str) -> float:
    """How much an unknown word can be what a question is about: near 1 for rare words
    ("veneers", "medicaid"), down to 0.2 for everyday ones ("work", "better", "come")."""
    count = english_words().word_frequency[word]
    return min(1.0, max(0.2, (6.0 - math.log10(count + 1)) / 3.0))


def stems_with_words(text: str) -> dict[str, str]:
    """Stemmed content word -> the word as written (its first occurrence)."""
    found: dict[str, str] = {}
    for w in words(normalize(text)):
        if w not in STOPWORDS and len(w) > 1:
            found.setdefault(stem(w), w)
    return found


def has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text or "")
