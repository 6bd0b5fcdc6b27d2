"""The patient's own words out of a message (no quoted earlier mail, greeting, sign-off or
signature), split into sentences and into the stemmed terms of lexical retrieval."""

import functools
import re

from snowballstemmer import stemmer as snowball

from messaging.inbound import strip_quoted

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


# Function words: they say nothing about what a question is about.
STOPWORDS = frozenset(
    """a an the and or but if of at by for with about to from in on into onto off over under up
    down out is are was were be been being am do does did doing done have has had having can
    could will would shall should may might must i me my mine we us our ours you your yours
    he him his she her hers it its they them their theirs this that these those there here
    what which who whom whose when where why how any some all each every both either neither
    no not nor only own same so than too very just also again still even yet ever then now
    as such much many more most other another one lot lots thing things get got getting go
    going goes went come coming tell let know like want wanted need needed please pls thanks
    thank hi hello hey dear ok okay yes yeah yep sure well oh um really actually maybe also
    anyway im i'm i'd i'll i've you're you've we're we'd we'll it's that's there's what's
    don't doesn't didn't can't won't isn't aren't wasn't weren't whats hows wheres u ur r ya
    yall y'all gonna wanna""".split()
)


def clean_reply(text: str) -> str:
    """The patient's own words: quoted earlier messages, greetings, sign-offs and signatures
    removed (messaging.inbound.strip_quoted finds the quoted part)."""
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
    text = re.sub(r"(?<=\bx)-(?=ray)", "", text.lower().replace("\u2019", "'"))
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text)


_stemmer = snowball("english")


@functools.lru_cache(maxsize=20000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content words: the unit of lexical retrieval."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]
