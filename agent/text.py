"""Plain-text handling shared by the brains and the knowledge base: the reply without quoted
mail and signatures, texting shorthand spelled out, sentences, and stemmed terms."""

import functools
import math
import re
import unicodedata
from collections.abc import Collection

from mailparser_reply import EmailReplyParser
from snowballstemmer import stemmer as snowball

# Greeting and sign-off lines of an email; the line after a sign-off is the sender's name.
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|to whom it may concern)\b[^.?!]{0,40}$",
    re.I,
)
_SIGN_OFF = re.compile(
    r"^(many thanks|thanks|thank you|thx|ty|best|best regards|best wishes|regards|kind regards|"
    r"warm regards|warmly|cheers|sincerely|yours|yours truly|all the best|take care|respectfully|"
    r"with thanks|talk soon|xo|xoxo|-+)( so much| again| in advance| a lot| very much|"
    r" all)?[ ,.!]*$",
    re.I,
)
# A signature line: a name, an address, a phone number — no sentence in it.
_SIGNATURE_LINE = re.compile(
    r"^(-{2,}\s*)?((([A-Z][\w.'&-]*|[A-Z]\.|\d[\w-]*|&|and|of|[(+][\d()+ .-]{6,}),?\s*){1,6}|"
    r"[\w.+-]+@[\w-]+\.[\w.]+|[(+\d][\d()+ .-]{6,})$"
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
    "txt": "text",
    "txts": "texts",
    "txting": "texting",
    "msg": "message",
    "msgs": "messages",
    "lets": "let's",
    "yall": "y'all",
    "tho": "though",
    "thru": "through",
    "cuz": "because",
    "bc": "because",
    "rn": "right now",
    "abt": "about",
    "ppl": "people",
    "nvm": "never mind",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "hrs": "hours",
    "mins": "minutes",
    "wk": "week",
    "wks": "weeks",
    "b/c": "because",
    "hw": "how",
}
_SHORTHAND_RE = re.compile(
    r"(?<![\w/'])("
    + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True))
    + r")(?![\w/'])",
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
        "someone",
        "somebody",
        "anybody",
        "something",
        "everyone",
        "everybody",
        "everything",
        "guy",
        "folks",
        "y'all",
        "ya'll",
        "again",
        "anyway",
        "anyways",
        "though",
        "maybe",
        "probably",
        "plz",
        "already",
        "mostly",
    ]
)

_stemmer = snowball("english")


_QUOTE_HEADER = re.compile(
    r"^\s*(on\b.{5,200}\bwrote:|-{2,}\s*original message\s*-{2,}|from:\s.+|"
    r"_{5,}|sent from my\b.*|get outlook for\b.*)\s*$",
    re.I | re.M,
)


def strip_quoted(text: str) -> str:
    """The reply without the earlier messages it quotes (`On … wrote:` and `>` lines, an
    Outlook "Original Message" block): mail-parser-reply finds them, and a quote header or a
    run of `>` lines ends the reply even where it does not."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not ("\n>" in text or _QUOTE_HEADER.search(text) or text.startswith(">")):
        return text
    try:
        parsed = EmailReplyParser(languages=["en"]).parse_reply(text=text) or text
    except Exception:  # a parser hiccup must not lose the reply
        parsed = text
    header = _QUOTE_HEADER.search(parsed)
    if header and parsed[: header.start()].strip():
        parsed = parsed[: header.start()]
    own = [line for line in parsed.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(own).strip() or text


def clean_reply(text: str) -> str:
    """The patient's own words: quoted earlier messages, greetings, sign-offs and signatures
    removed (mail-parser-reply finds the quoted part)."""
    text = strip_quoted(text)
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
    # A closing block of name / address / phone lines after a blank line is a signature.
    while len(kept) > 2 and kept[-1] and _SIGNATURE_LINE.match(kept[-1]) and "" in kept:
        tail = len(kept) - 1 - kept[::-1].index("")
        block = kept[tail + 1 :]
        if len(block) > 4 or not all(_SIGNATURE_LINE.match(x) for x in block):
            break
        kept = kept[:tail]
    cleaned = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", cleaned) or (text or "").strip()


def normalize(text: str) -> str:
    """Lower case, typographic quotes made plain, texting shorthand spelled out."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", "-")
    text = text.lower()
    return _SHORTHAND_RE.sub(lambda m: SHORTHAND[m.group(1).lower()], text)


_ABBREVIATION = re.compile(
    r"(^|\W)(dr|drs|mr|mrs|ms|st|jr|sr|vs|etc|approx|appt|no|e\.g|i\.e|a\.m|p\.m)\.$", re.I
)


def sentences(text: str) -> list[str]:
    """Split into sentences (keeping their end punctuation); "Dr. Patel" is not two."""
    merged: list[str] = []
    for line in re.split(r"\n+", text.strip()):
        glue = False
        for part in re.split(r"(?<=[.!?])\s+", line):
            part = part.strip()
            if not part:
                continue
            if glue and merged:
                merged[-1] = f"{merged[-1]} {part}"
            else:
                merged.append(part)
            glue = bool(_ABBREVIATION.search(part))
    return merged


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


# Words the patterns and answers turn on, preferred when a misspelling could be several words
# ("texing" is "texting" here, not "taxing").
DOMAIN_WORDS = frozenset(
    [
        "stop",
        "stopping",
        "texting",
        "texts",
        "text",
        "texted",
        "message",
        "messages",
        "messaging",
        "email",
        "emails",
        "emailing",
        "mail",
        "mailing",
        "unsubscribe",
        "subscribe",
        "remove",
        "removed",
        "contact",
        "contacting",
        "list",
        "reminders",
        "reminder",
        "calling",
        "appointment",
        "appointments",
        "schedule",
        "reschedule",
        "scheduled",
        "booking",
        "book",
        "cancel",
        "cancelled",
        "dentist",
        "dentists",
        "cleaning",
        "cleanings",
        "checkup",
        "interested",
        "insurance",
        "covered",
        "cover",
        "price",
        "prices",
        "cost",
        "costs",
        "teeth",
        "tooth",
        "filling",
        "fillings",
        "crown",
        "crowns",
        "braces",
        "retainer",
        "implant",
        "implants",
        "denture",
        "dentures",
        "whitening",
        "extraction",
        "emergency",
        "swollen",
        "swelling",
        "pain",
        "hurts",
        "bleeding",
        "broken",
        "chipped",
        "thanks",
        "please",
        "address",
        "parking",
        "hours",
        "open",
        "closed",
        "accept",
        "accepted",
        "available",
        "availability",
        "morning",
        "afternoon",
        "evening",
        "weekend",
        "tomorrow",
        "anymore",
        "another",
        "different",
        "moved",
        "moving",
        "number",
        "wrong",
        "payment",
        "financing",
        "discount",
        "consultation",
        "orthodontist",
        "sedation",
        "anxious",
    ]
)
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_START = re.compile(r"(^|[.!?\n]\s*|^\W*)$")


def correct_typos(text: str, vocabulary: Collection[str] = ()) -> str:
    """Misspelled words put right, so that patterns and retrieval see them ("unsubscibe",
    "insurence", "adress"). A word that is neither English (pyspellchecker's list) nor in
    `vocabulary` (the knowledge base's own words) becomes a known word one edit away (two for
    long words): the knowledge base's or a word the patterns turn on first, else the most
    frequent. Short words, shorthand and names (capitalised inside a sentence) stay as they are.
    """
    english = english_words()
    vocab = {w.lower() for w in vocabulary}

    def known(word: str) -> bool:
        return word in vocab or word in DOMAIN_WORDS or bool(english.known([word]))

    def fix(match: re.Match) -> str:
        token = match.group(0)
        low = token.lower()
        if len(low) < 4 or low in SHORTHAND or "'" in low or known(low):
            return token
        if token[0].isupper() and not _SENTENCE_START.search(text[: match.start()]):
            return token  # a name, most likely
        # Letters held down: "yesss", "pleasee", "soooo".
        for squeezed in (re.sub(r"(.)\1+", r"\1\1", low), re.sub(r"(.)\1+", r"\1", low)):
            if squeezed != low and known(squeezed):
                return squeezed
        best = _closest(low, vocab)
        if best:
            return best
        candidates = english.known(english.edit_distance_1(low))
        if not candidates:
            return token
        preferred = [c for c in candidates if c in DOMAIN_WORDS]
        pool = preferred or candidates
        return max(sorted(pool), key=lambda c: english.word_frequency[c])

    return _WORD.sub(fix, text or "")


def _closest(word: str, vocabulary: Collection[str]) -> str:
    """The vocabulary word (or pattern word) within one edit (two for long words), if just one
    is nearest."""
    from rapidfuzz.distance import DamerauLevenshtein
    from rapidfuzz.process import extract

    limit = 2 if len(word) >= 8 else 1
    found = []
    for pool in (vocabulary, DOMAIN_WORDS):
        found = extract(word, pool, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=3)
        if found:
            break
    if not found:
        return ""
    found.sort(key=lambda f: (f[1], f[0]))
    if len(found) > 1 and found[1][1] == found[0][1]:
        return ""  # two words as near: no guess
    return found[0][0]


def has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text or "")
