"""Reading consent out of a patient's own words (SPEC §5, §5.1): is this an opt-out, or a START?

Compliance, not intent: these rules run first in every brain and no model can override them. They
are data — each rule a pattern with the one-line reason it exists — over text that has been
folded (lower case, accents and typographic quotes removed, shorthand spelled out), so one rule
covers "NO ME MANDEN MÁS" and "no me manden mas". The caller passes the patient's own words
(quoted earlier mail removed): a clinic footer's "reply STOP" is not the patient's.
"""

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

# Carrier keywords (CTIA; SPEC §5) and their Spanish counterparts, as the whole message.
OPT_OUT_KEYWORDS = frozenset(
    {"stop", "stopall", "stop all", "unsubscribe", "unsub", "end", "quit", "cancel", "revoke"}
    | {"optout", "opt out", "remove me", "stop it", "stop now", "stop texting", "stop messaging"}
    | {"baja", "alto", "parar", "para", "cancelar", "basta", "darme de baja", "no mas"}
)
# Keywords that stop on their own also inside a longer message ("Not interested, stop.").
CLAUSE_KEYWORDS = frozenset(
    {"stop", "stopall", "stop all", "unsubscribe", "optout", "opt out", "remove me", "stop it"}
    | {"stop now", "stop texting", "stop messaging", "baja", "no mas", "basta"}
)
# Long keywords are recognised through a typo or two ("unsubscibe").
TYPO_TOLERANT = ("unsubscribe",)
OPT_IN_KEYWORDS = frozenset(
    {"start", "unstop", "subscribe", "resubscribe", "start again", "opt in"}
)

# Words that may surround a keyword without changing it ("STOP please", "unsubscribe, thanks").
_FILLER = frozenset(
    """please pls plz thanks thank you thx ty now ok okay sorry asap already again por favor
    gracias ya""".split()
)

_SHORTHAND = {"u": "you", "ur": "your", "pls": "please", "plz": "please", "msgs": "messages"}
_SHORTHAND |= {"txt": "text", "txts": "texts", "txting": "texting", "msg": "message", "em": "them"}
_SHORTHAND |= {"dont": "don't", "wont": "won't", "cant": "can't", "im": "i'm", "n": "and"}

_CONTACT_VERB = (
    r"(text|txt|messag|email|e-mail|mail|contact|call|writ|send|spam|bother|reach|ping)\w*"
)
_MESSAGES = (
    r"(texts?|messages?|emails?|e-mails?|mails?|reminders?|notifications?|sms|these|this|them)"
)
_LIST = (
    r"(list|lists|mailing|mailings|database|system|records|contacts?|texts?|messages?|emails?"
    r"|communications?|correspondence|outreach)"
)


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern
    reason: str


def rules(*pairs: tuple[str, str]) -> tuple[Rule, ...]:
    """A rule table: (pattern, the one-line reason it exists) pairs, compiled."""
    return tuple(Rule(re.compile(p), reason) for p, reason in pairs)


OPT_OUT_RULES = rules(
    (rf"\b(stop|quit|cease|end)\s+(all\s+)?(the\s+)?{_CONTACT_VERB}", "stop + contacting me"),
    (
        rf"\b(stop|quit|end)\s+(all\s+)?(the|these|those|your|this|with the)\s+{_MESSAGES}",
        "stop these",
    ),
    (
        rf"\b(don't|do not|never|please don't)\s+(ever\s+)?{_CONTACT_VERB}\s+(me|us|this|my"
        rf"|again)\b",
        "don't text me",
    ),
    (
        rf"\b(remove|take|delete|erase|drop|unsubscribe|scratch)\s+((both|all|each) of\s+)?"
        rf"(me|us|my|our|this)\b.{{0,30}}"
        rf"\b(off|from|out of)\s+(of\s+)?(your|the|this|ur|all)?\s*(\w+\s+){{0,2}}{_LIST}",
        "take me off your list",
    ),
    (
        r"\b(off|out of)\s+(of\s+)?(your|the|this|ur|all|these|that|ya)\s+(\w+\s+)?(?<!wait )"
        r"(list|lists|mailing|database|system)\b",
        "off your list",
    ),
    (
        r"\b(lose|delete|erase|remove|forget)\s+(my|our|this)\s+(number|email|e-mail|address|info"
        r"|information|contact)",
        "lose my number",
    ),
    (rf"\bno (more|further)\s+(\w+\s+)?{_MESSAGES}", "no more texts"),
    (r"\b(unsubscribe|opt me out|opt out|opt-out|optout)\b", "unsubscribe / opt out"),
    (
        r"\b(never|didn't|did not)\s+(signed?|sign) up\b|\bnever (subscribed|opted in|agreed)\b",
        "never signed up",
    ),
    (rf"\b(refrain|desist|abstain)\s+from\s+{_CONTACT_VERB}", "refrain from contacting"),
    (r"\bleave (me|us) alone\b", "leave me alone"),
    (
        rf"\b(don't|do not|no longer|not)\s+(want|wish|need|like)\s+(to\s+(get"
        rf"|receive)\s+)?(any\s+more\s+|more\s+|(any\s+)?(more\s+)?(of\s+)?(these|your|the|any)\s+)"
        rf"{_MESSAGES}",
        "don't want these messages",
    ),
    (
        rf"\b(prefer|rather)\s+not\s+(to\s+)?(get|receive|be)\s+(\w+\s+){{0,2}}{_MESSAGES}",
        "prefer not to get texts",
    ),
    (
        r"\b(no longer|not)\s+(wish|want)\s+to\s+be\s+(contacted|texted|emailed|messaged)",
        "no longer wish to be contacted",
    ),
    (
        rf"\b(enough|sick|tired)\s+(of|with)\s+(the|these|your|all)\s+(\w+\s+)?{_MESSAGES}",
        "enough with the texts",
    ),
    (
        rf"\bhow (do|can) (i|we) (unsubscribe|opt out|get off (your|the|this) list"
        rf"|stop (getting|receiving"
        rf"|{_MESSAGES}|the {_MESSAGES}))",
        "how do I stop these",
    ),
    (r"^\W*(stop|unsubscribe|quit)\W*([.!,;\n-]|$)", "STOP opening the message"),
    (r"\bstop\W+stop\b", "STOP STOP"),
    (r"\btake (me|us) off\W*$", "take me off"),
    # Spanish (folded: no accents).
    (
        r"\bno (me|nos|le|les) (manden|mande|mandes|envien|envie|escriban|escriba|contacten"
        r"|contacte"
        r"|llamen|molesten|marquen|textee?n)\b",
        "no me manden",
    ),
    (
        r"\bya no (quiero|queremos|deseo|deseamos|necesito)\b.{0,25}\b(mensajes?|textos?|correos?"
        r"|recibir|informacion|llamadas?)",
        "ya no quiero recibir",
    ),
    (
        r"\b(dejen|deje|dejes|paren|pare) de (mandar|enviar|escribir|contactar|molestar|llamar"
        r"|textear)",
        "dejen de mandar",
    ),
    (
        r"\b(borren|borrenme|quitenme|saquenme|eliminenme|eliminen|quiten|saquen)\b.{0,20}"
        r"\b(lista|numero|correo|sistema|me)\b|\b(borrenme|quitenme|saquenme|eliminenme)\b",
        "borrenme de su lista",
    ),
    (r"\b(dar|darme|darnos|den) de baja\b", "darme de baja"),
    (
        r"\bno (quiero|queremos|deseo) (recibir )?(mas )?(mensajes|textos|correos|llamadas)",
        "no quiero mensajes",
    ),
    (r"\bno mas (mensajes|textos|correos|llamadas)\b", "no más mensajes"),
    (
        r"\bno (volver|vuelvan|vuelva) a (contactar|escribir|mandar|enviar|llamar|textear)\w*",
        "no vuelvan a contactarme",
    ),
    # Other languages US patients write in (folded): a STOP is a STOP in any of them.
    (
        r"\b(pare|parem|parar) de (me )?(mandar|enviar)\b|\bnao (me )?(mandem|envie|enviem)\b",
        "Portuguese: pare de me mandar",
    ),
    (r"\b(arretez|arrete|cessez) de (m'|me )?(envoyer|ecrire|contacter)", "French: arrêtez"),
    (
        r"\bđung (nhan tin|gui tin|lien lac)|\bkhong (muon )?nhan tin nua",
        "Vietnamese: đừng nhắn tin",
    ),
    (r"不要再?(给我)?发|别再?(给我)?发|停止发送|取消订阅", "Chinese: 不要再发"),
    (r"그만\s?(보내|연락)|수신\s?거부", "Korean: 그만 보내"),
    (
        r"\bhuwag (na )?(po )?(kayong |nyo )?(mag-?message|mag-?text|i-?text|magtext)",
        "Tagalog: huwag",
    ),
)

# Requests to keep (or not mind) the messages: cut out before the rules read the text, so "don't
# stop reminding me" and "no need to stop the texts" are not opt-outs.
KEEP_MESSAGING = rules(
    (
        r"\b(don't|do not|dont|never|no need to|not asking you to|didn't mean)\s+"
        r"((you|u|ya|ever|even|dare|please)\s+){0,3}"
        r"(stop|quit|unsubscribe|remove)\b[\w\s']{0,30}",
        "don't stop (\"don't you ever stop\": a pronoun or an intensifier between)",
    ),
    (r"\b(keep|continue)\s+(texting|messaging|emailing|sending|reminding)\b", "keep texting me"),
    (
        r"\b(the|my|it|this|pain|bleeding|swelling|ache|throbbing)\s+(won't|doesn't|will not"
        r"|does not|"
        r"didn't|can't|wont)\s+stop\b",
        "the pain won't stop",
    ),
    (r"\bstop (by|in|over|at)\b", "stop by the office"),
    (
        r"\b(it|that|the pain|pain|this)\s+(has\s+|finally\s+)?(quit|stopped)\b\s*\w*",
        "it quit hurting",
    ),
    (
        r"\b(cancel|remove|take)\s+(me\s+|us\s+)?((off|from|out of)\s+)?(my|our|the|his|her"
        r"|their)\s+"
        r"(\w+\s+){0,2}"
        r"(appointment|appt|visit|cleaning|booking|wait ?list|waiting list|slot)",
        "cancel my visit",
    ),
)

# The patient says they want the messages: a keyword in it is quoted, not meant ("unsubscribe?
# no way, I need these reminders"). Only the carrier keyword as the whole message outranks it.
# "I/we" then the verb, with nothing but an intensifier between: "I don't really like the
# texts" is no wish to keep them.
WANTS_MESSAGES = rules(
    (
        r"\b(i|we)\s+((really|actually|still|do|totally)\s+){0,2}(need|want|like|love|appreciate)"
        r"\s+(these|the|your|my|them|those)\s+(\w+\s+)?(texts?|messages?|emails?|reminders?)\b",
        "I need these reminders",
    ),
    (r"\bkeep\s+(them|these|those|the \w+)\s+coming\b", "keep them coming"),
)


def fold(text: str) -> str:
    """Lower case, no accents, plain quotes, shorthand spelled out, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text or "")
    # Accents off, then composed again (Hangul syllables decompose into letters under NFKD).
    text = unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    text = re.sub(r"\b[a-z](?:\s[a-z]){2,}\b", lambda m: m.group(0).replace(" ", ""), text)
    text = re.sub(r"[a-z']+", lambda m: _SHORTHAND.get(m.group(0), m.group(0)), text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _bare(folded: str) -> str:
    """The message as words, without filler: "STOP!!! thanks" → "stop"."""
    tokens = re.findall(r"[a-z]+(?:-[a-z]+)?", folded)
    kept = [t for t in tokens if t not in _FILLER and t != "you"]
    while len(kept) > 1 and kept[0] == kept[-1] and len(set(kept)) == 1:
        kept = kept[:1]  # "stop stop stop"
    return " ".join(kept).replace("-", " ")


# Keywords that, in a reply to a visit's reminder, ask to cancel the visit unless they are the
# whole message: "cancel please" cancels the visit; "CANCEL" alone is the carrier's opt-out.
VISIT_CANCEL_WORDS = frozenset({"cancel", "cancelar"})


def opt_out_reason(text: str, *, about_a_visit: bool = False) -> str:
    """Why the patient's words are an opt-out (a rule's reason), or "" when they are not.
    `about_a_visit`: they answer a visit's confirmation or reminder."""
    folded = fold(text)
    bare = _bare(folded)
    if about_a_visit and bare in VISIT_CANCEL_WORDS and re.findall(r"[a-z]+", folded) != [bare]:
        return ""
    if bare in OPT_OUT_KEYWORDS:
        return "carrier keyword"
    if any(rule.pattern.search(folded) for rule in WANTS_MESSAGES):
        return ""
    clauses = [_bare(c) for c in re.split(r"[.!?,;:\n()]+|\s-\s", folded)]
    if any(c in CLAUSE_KEYWORDS for c in clauses):
        return "a keyword as a clause of its own"
    if any(len(c.split()) <= 2 and any(map(_misspelt_keyword, c.split())) for c in clauses):
        return "a misspelt keyword"
    for rule in KEEP_MESSAGING:
        folded = rule.pattern.sub(" ", folded)
    for rule in OPT_OUT_RULES:
        if rule.pattern.search(folded):
            return rule.reason
    return ""


def _misspelt_keyword(word: str) -> bool:
    # The first two letters must match: "subscribe" is two edits from "unsubscribe" too.
    return any(
        word[:2] == k[:2] and Levenshtein.distance(word, k, score_cutoff=2) <= 2
        for k in TYPO_TOLERANT
    )


def is_opt_out(text: str, *, about_a_visit: bool = False) -> bool:
    return bool(opt_out_reason(text, about_a_visit=about_a_visit))


def is_opt_in(text: str) -> bool:
    """START and its siblings as the whole message."""
    return _bare(fold(text)) in OPT_IN_KEYWORDS
