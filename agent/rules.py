"""Safety rules that run before any model, in every brain (SPEC §5.1, layer 1): a reply about pain
or an emergency, an attempt to instruct the assistant, or one not written in English goes to a
person, whatever else it asks. Opt-out comes first and lives in `patients.consent`.

Rules are data: each a pattern over `patients.consent.fold`ed text with the one-line reason it
exists. They name situations, never particular replies.
"""

import functools

from agent.choices import Action
from agent.text import STOPWORDS, words
from campaigns.choices import HandoffReason
from patients.consent import fold, is_opt_out, rules

_BODY_PART = (
    r"(tooth|teeth|gum|gums|jaw|mouth|face|cheek|lip|tongue|molar|filling|crown|implant|bridge"
    r"|wisdom tooth|wisdom teeth|denture|dentures|brace|braces|wire|bracket|retainer)"
)
_HURT = (
    r"(hurts?|hurting|aches?|aching|killing|throbb\w*|swoll\w*|swell\w*|bleed\w*|broke|broken"
    r"|cracked|chipped|fell out|came out|knocked out|loose|infected|poking|stabbing)"
)

EMERGENCY_RULES = rules(
    (
        rf"\b{_BODY_PART}\b(\s+\w+){{0,4}}\s+(is\s+|are\s+|has\s+|got\s+)?{_HURT}",
        "a tooth, gum or jaw that hurts, bleeds, swells or broke",
    ),
    (
        rf"\b(broke|broken|cracked|chipped|knocked out|bleeding|swollen)\s+(\w+\s+){{0,3}}"
        rf"{_BODY_PART}\b",
        "a broken or bleeding tooth",
    ),
    (
        r"\b(i'm|i am|he's|she's|he is|she is|been|we're|in)\s+(\w+\s+){0,3}"
        r"(pain|agony)\b",
        "someone in pain now",
    ),
    (
        r"\b(toothache|abscess\w*|pus|swelling|swollen|infection|fever)\b",
        "signs of infection",
    ),
    (
        r"\b(trouble|difficulty|hard|can't|cannot|unable to)\s+(\w+\s+)?(breath\w*|"
        r"swallow\w*|open (my|his|her) mouth)",
        "breathing or swallowing",
    ),
    (
        r"\b(it's|it is|this is|i have|we have|having) an? (\w+\s+)?emergency\b",
        "an emergency, in the patient's words",
    ),
    (
        r"\b(excruciating|unbearable|can't sleep|cannot sleep|killing me)\b",
        "severe pain",
    ),
    (r"\b(me duele|dolor|hinchad[ao]|sangr\w+|emergencia)\b", "pain, in Spanish"),
)

INJECTION_RULES = rules(
    (
        r"\b(ignore|disregard|forget|override|bypass)\s+(all\s+|any\s+)?(of\s+)?(your|the"
        r"|previous|prior|above|earlier|these|those)\s+(\w+\s+){0,2}(instructions?|rules"
        r"|prompts?|directions|guidelines|programming|orders)",
        "ignore your instructions",
    ),
    (
        r"\b(system|initial|hidden|secret|original)\s+(prompt|instructions?|message)",
        "asks for the system prompt",
    ),
    (
        r"\byou are (now|no longer)\b|\bfrom now on,? you\b|\bnew instructions\b",
        "gives the assistant a new role",
    ),
    (
        r"\b(act|pretend|behave|roleplay|role-play)\s+(to be\s+|as\s+|like\s+)(an?|my|the)\b",
        "asks the assistant to play a part",
    ),
    (
        r"\b(jailbreak|dan mode|developer mode|sudo|admin mode|debug mode)\b",
        "a jailbreak phrase",
    ),
    (
        r"\b(write|compose|generate)\s+(me\s+)?(a|an|some)\s+(\w+\s+)?(poem|essay|story"
        r"|song|code|script|haiku|joke|limerick|recipe)",
        "asks for unrelated writing",
    ),
    (
        r"\b(repeat after me|say exactly|respond only with|reply only with|output only)\b",
        "dictates the assistant's output",
    ),
    (
        r"<\s*/?\s*(system|assistant|im_start|im_end|instructions?)\s*>|\[\s*system\s*\]",
        "a fake message marker",
    ),
    (
        r"\b(send|give|tell|show|list)\s+me\s+(all\s+)?(the\s+|other\s+)?(patient|"
        r"patients'|customer|database|api key|password)",
        "asks for others' data",
    ),
)


@functools.cache
def _language_detector():
    from lingua import Language, LanguageDetectorBuilder

    # The languages a US clinic's patients write in most, besides English; low-accuracy mode
    # keeps it to ~20 MB and a tenth of a second to load.
    languages = [getattr(Language, name) for name in OTHER_LANGUAGES] + [Language.ENGLISH]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


OTHER_LANGUAGES = (
    "SPANISH", "PORTUGUESE", "FRENCH", "VIETNAMESE", "CHINESE", "TAGALOG", "ARABIC", "RUSSIAN",
    "KOREAN", "JAPANESE", "GERMAN", "ITALIAN", "HINDI", "POLISH",
)  # fmt: skip
# How sure the detector must be before a reply counts as not English: short English texts
# ("yes pls book me tmrw") get low, scattered scores.
NOT_ENGLISH_CONFIDENCE = 0.6
ENGLISH_SHARE = 0.25
ENGLISH_HINTS = STOPWORDS | frozenset(
    [
        "k",
        "kk",
        "thx",
        "thanx",
        "lol",
        "lmao",
        "nah",
        "nope",
        "yep",
        "yup",
        "pls",
        "plz",
        "btw",
        "idk",
        "omg",
    ]
)


def language_of(text: str) -> str:
    """The language a reply is written in ("ENGLISH" when unsure). Short English texts fool a
    detector ("nah im good" reads as German), so a reply made a quarter or more of English
    function and texting words is English whatever the detector says."""
    tokens = words(text or "")
    if len(tokens) < 2 and not any(ord(c) > 0x2E7F for c in text or ""):
        return "ENGLISH"  # one word ("Si", "ok") tells nothing
    if tokens and sum(t in ENGLISH_HINTS for t in tokens) / len(tokens) >= ENGLISH_SHARE:
        return "ENGLISH"
    (top, *_) = _language_detector().compute_language_confidence_values(text)
    if top.language.name != "ENGLISH" and top.value >= NOT_ENGLISH_CONFIDENCE:
        return top.language.name
    return "ENGLISH"


def safety_reason(text: str) -> str:
    """The handoff reason a safety rule gives for the patient's words, or ""."""
    folded = fold(text)
    if any(rule.pattern.search(folded) for rule in EMERGENCY_RULES):
        return HandoffReason.PAIN_OR_EMERGENCY
    if any(rule.pattern.search(folded) for rule in INJECTION_RULES):
        return HandoffReason.PROMPT_INJECTION
    if language_of(text) != "ENGLISH":
        return HandoffReason.NOT_ENGLISH
    return ""


def screen(text: str, *, about_a_visit: bool = False) -> tuple[str, str] | None:
    """Layer 1 of every brain: (action, handoff reason) when a rule decides, else None. An
    opt-out first: no other rule, and no model, can override it. `about_a_visit`: the reply
    answers a visit's reminder, where "cancel please" cancels the visit (patients.consent)."""
    if is_opt_out(text, about_a_visit=about_a_visit):
        return Action.OPT_OUT, ""
    reason = safety_reason(text)
    return (Action.HANDOFF, reason) if reason else None
