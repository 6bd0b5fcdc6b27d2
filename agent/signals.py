"""What a patient reply says, read without a model: opt-out requests, declines, reasons a person
must take over, questions, and wanting to book.

Each pattern family follows the definitions of the five actions (SPEC §5, evaldata README), not
any particular reply. They work on `agent.text.normalize`d text (lower case, texting shorthand
spelled out). Opt-out detection is shared by both brains: compliance never depends on an LLM.
"""

import functools
import re
import unicodedata

from agent.text import english_words, normalize, sentences, words

# --- Opt-out ----------------------------------------------------------------------------------

# Carrier keywords (CTIA): the whole message, in any case, with or without punctuation, a
# "please" or a "thank you".
OPT_OUT_KEYWORDS = frozenset(
    {
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "end",
        "quit",
        "cancel",
        "revoke",
        "optout",
        "opt out",
        "opt-out",
        "remove",
        "remove me",
        "stop it",
        "stop now",
        "unsub",
    }
)
OPT_IN_KEYWORDS = frozenset({"start", "unstop", "subscribe", "resubscribe", "start again"})
_POLITE = re.compile(
    r"\b(please|pls|thank you|thanks|thx|ty|now|ok|okay|sorry|kindly)\b|[^\w\s'-]", re.I
)
_CONTACT_VERB = (
    r"(text|txt|messag|email|e-mail|mail|contact|call|ring|phon|send|sending|spam|bother|"
    r"writ|reach|remind|whatsapp|msg|ping|hassl|pester)\w*"
)
_OPT_OUT_PHRASES = [
    r"\bunsubscribe\b",
    r"\bopt(ing)?[- ]?(me )?out\b",
    r"\boptout\b",
    # "stop texting me", "quit sending these", "cease all contact"
    rf"\b(stop|quit|cease|end)\b\W+(\w+\W+){{0,2}}{_CONTACT_VERB}",
    # "don't text me again", "do not contact me anymore", "never email me again"
    rf"\b(don't|do not|never|no need to)\b\W+(\w+\W+){{0,2}}{_CONTACT_VERB}\W+(\w+\W+){{0,3}}"
    r"(again|anymore|any more|ever|further|in the future)\b",
    rf"\b(don't|do not)\s+(ever\s+)?{_CONTACT_VERB}\s+me\W*$",
    # "no more messages", "no further emails"
    r"\bno (more|further|additional)\b\W+(\w+\W+){0,1}"
    r"(messages|texts|emails|e-mails|mails|calls|contact|reminders|whatsapps?|communications|"
    r"notifications|marketing|spam)\b",
    # "remove me from your list", "take my number off your list", "delete my number"
    r"\b(remove|take|delete|erase|drop|scratch)\b\W+(me|my (\w+ ){0,2}(number|email|address|"
    r"name|info|information|details|contact))\b.{0,40}\b(list|lists|database|system|records|"
    r"mailing|contacts|texts|messages|emails)\b",
    r"\b(remove|delete|erase)\b\W+(me|my (number|email|contact details|info|information))\W*$",
    r"\b(take|get) me off\b",
    # "I no longer wish to receive any communications"
    r"\b(no longer|don't|do not|never)\s+(wish|want|like|care)\s+to\s+(receive|get|hear)\b",
    r"\b(leave me alone|lose my number|stop contacting)\b",
    r"\bstop all (contact|messages|communication)\b",
    r"\bstop\b\W*$",  # a message that ends with a bare "stop"
]
_OPT_OUT_RE = re.compile("|".join(f"(?:{p})" for p in _OPT_OUT_PHRASES), re.M)


def _bare(text: str) -> str:
    """The message without punctuation, emoji or politeness: what a keyword must equal."""
    return re.sub(r"\s+", " ", _POLITE.sub(" ", text)).strip()


def is_opt_out(text: str) -> bool:
    """STOP and its siblings as the whole message, a message that starts with STOP, or any
    free-text request to stop receiving messages."""
    norm = normalize(text)
    bare = _bare(norm)
    if bare in OPT_OUT_KEYWORDS:
        return True
    first = re.match(r"\W*(stop|stopall|unsubscribe|optout|quit)\b(\W|$)", norm)
    if first and (first.group(2) == "" or (first.group(2) in ".!,;:-\n " and _starts_clause(norm))):
        return True
    return bool(_OPT_OUT_RE.search(norm))


def _starts_clause(norm: str) -> bool:
    """ "STOP. I have a new dentist." is an opt-out; "stop by tomorrow?" is not."""
    return bool(re.match(r"\W*(stop|stopall|unsubscribe|optout|quit)\s*([.!,;:\n-]|$)", norm))


def is_opt_in(text: str) -> bool:
    return _bare(normalize(text)) in OPT_IN_KEYWORDS


# --- Declining --------------------------------------------------------------------------------

_FILLER = r"(lol|lmao|haha+|ha|um+|uh+|well|sorry|honestly|actually|ok|oh|ah|hmm+|thanks|thank you)"
_DECLINE_PHRASES = [
    # a sentence that is (or starts with) a plain no
    rf"^(\W*{_FILLER}\W+)*(no|nope|nah|no thanks|no thank you|no thx|not really|pass)\b"
    r"(?!\s+(problem|worries|rush|pain|longer (hurts|hurting)))",
    r"\b(not|no longer|not really|not that)\s+interested\b",
    r"\bnot for me\b",
    r"\b(i'll|i will|i'm going to|i'm gonna|gonna|going to|i think i'll|we'll|we will)\s+"
    r"(pass|skip|hold off|sit this one out|wait|stick with)\b",
    r"\b(i'll|i will|we'll)\s+(reach out|call|contact you|let you know|get in touch)\b.{0,30}"
    r"\b(ready|change|later|need|decide)",
    r"\bdecided (not to|against)\b",
    r"\b(not|won't be|will not be|no longer)\s+(going ahead|coming back|coming in|needing|"
    r"doing it|proceeding|moving forward)\b",
    r"\bchanged my mind\b",
    r"\b(found|have found|got|chose|picked|switched to|going with|go to|use|see|went to)\s+"
    r"(a |an )?(another|other|new|different|closer)\s+(\w+\s+)?(dentist|office|clinic|practice|"
    r"provider|place)\b",
    r"\b(switched|changed|moved|transferred)\s+(to|over to)\s+(a|an|another|the|our|my)\s+"
    r"(\w+\s+)?(dentist|office|clinic|practice|provider)\b",
    r"\b(somewhere|someplace|some place|someone) else\b",
    r"\b(with|to|at|found|have|got|chose|use|using|see|seeing)\s+(another|a different|a new|"
    r"different)\s+(\w+\s+)?(dentist|office|clinic|practice|provider|periodontist|orthodontist)\b",
    r"^\W*(not anymore|not any more|no longer)\b",
    r"\b(decided|going|gonna|want|prefer|i'd rather|rather|need)\s+to\s+(wait|hold off|postpone|"
    r"put (it|this|that) off|skip|pass)\b",
    r"\buntil next (year|month|summer|spring|fall|autumn|winter)\b",
    r"\bswitched (dentists|offices|practices|clinics|providers)\b",
    r"\b(stay|staying|stick|sticking|keep|keeping|remain)\s+(with\s+)?(my|our)\s+(current|regular|"
    r"own|usual|existing|other|family|old)?\s*(dentist|office|provider|clinic|practice)\b",
    r"\b(can't|cannot|can not|not able to)\s+(right now|at the moment|now|this year|this month)\b",
    r"\bmaybe\s+(in\s+)?(the\s+)?(spring|summer|fall|autumn|winter|new year|next|later|after)\b",
    r"\b(we'll|we will|i'll|i will|going to|gonna)\s+(be\s+)?(find|finding|look for|looking for|"
    r"get|getting|go to|going to|see|seeing)\s+(a|an)\s+(new |different |local |closer )?"
    r"(dentist|office|clinic|practice)\b",
    r"\b(just|already)\s+(had|got|did)\s+(one|it|that|mine|a cleaning|my cleaning)\b",
    r"\balready\s+(scheduled|booked|started|getting|having|doing|going)\b.{0,40}\b(with|at|to)\s+"
    r"(my|another|a different|a new|an?)\s+(\w+\s+)?(dentist|periodontist|orthodontist|surgeon|"
    r"specialist|endodontist|office|clinic|practice|provider)\b",
    r"\belsewhere\b",
    r"\b(done|did it|had it|got it|taken care of|fixed)\b.{0,30}\b(another|other|different)\s+"
    r"(office|dentist|clinic|place|practice)\b",
    r"\b(not now|not right now|not at the moment|not at this time|not this year|not yet|"
    r"maybe (next|later|another|some other)|some other time|another time)\b",
    r"\b(i'm|i am|we're|we are|all)\s+(good|all set|fine|set|ok|okay)\b\W*(for now|thanks|"
    r"thank you|though)?\W*$",
    r"\b(i'm|i am|we're|we are)\s+(all set|good for now|fine for now)\b",
    r"\b(too expensive|too pricey|can't afford|cannot afford|money's tight|money is tight|"
    r"out of (my|our) budget|not in (my|our|the) budget)\b",
    r"\bwon't be (needing|coming|back|booking|scheduling)\b",
    r"\b(moved|moving|relocated|relocating)\s+(away|out of (state|town|the area|the country)|"
    r"abroad)\b",
    r"\b(don't|do not|no longer)\s+need\b.{0,25}\b(it|this|that|anymore|any more|treatment|"
    r"appointment|cleaning|services?)\b",
    r"\b(too scared|too afraid|too nervous)\b.{0,40}\b(skip|pass|not|won't)\b",
]
_DECLINE_RE = re.compile("|".join(f"(?:{p})" for p in _DECLINE_PHRASES))


_NEGATIVE_EMOJI = re.compile("[\U0001f44e\u274c\U0001f645\U0001f6ab\u26d4]")


# Said with no question: a polite no ("thanks anyway", "I appreciate it, but ...").
_SOFT_DECLINE_RE = re.compile(
    r"\b(thanks|thank you|thx) (anyway|anyways|though)\b"
    r"|\b(appreciate (it|that|this|the \w+)|thanks for [^.?!]{0,40}),?\s+but\b"
)


def is_decline(text: str) -> bool:
    """Not interested, not now, found another dentist, moved away: a no without asking to stop
    all messages. A sentence that goes on to ask to book is not a decline."""
    norm = normalize(text)
    if _NEGATIVE_EMOJI.search(text) and not has_words(norm):
        return True
    if _SOFT_DECLINE_RE.search(norm) and "?" not in norm and not _BOOKING_INTENT_RE.search(norm):
        return True
    for sentence in sentences(norm):
        found = _DECLINE_RE.search(sentence)
        if not found:
            continue
        # "I don't need a cleaning": the words of the decline are not a wish to book.
        rest = sentence[: found.start()] + " " + sentence[found.end() :]
        if not _BOOKING_INTENT_RE.search(rest):
            return True
    return False


# --- Reasons a person must take over -----------------------------------------------------------

_HANDOFF_PATTERNS: dict[str, list[str]] = {
    "prompt_injection": [
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,30}\b(instructions?|prompts?|rules|"
        r"directions|guidelines|programming|context|system)\b",
        r"\b(system|developer|admin|administrator|debug|god|jailbreak|dan)\s+(message|mode|prompt|"
        r"override|access)\b",
        r"\byou are now\b",
        r"\b(act as|pretend (to be|you are|you're)|roleplay|role-play|from now on you)\b",
        r"\b(new|updated) (instructions|rules|persona)\b",
        r"\b(reveal|show|print|repeat|tell me)\b.{0,20}\b(system prompt|your prompt|your "
        r"instructions)\b",
        r"\bjailbreak\b",
        r"<\s*/?\s*(system|assistant|instructions?)\s*>",
    ],
    "pain_or_emergency": [
        r"\b(pain|painful|hurts?|hurting|ache|aches|aching|toothache|sore|throbbing|killing me|"
        r"agony|excruciating)\b",
        r"\b(swell|swelling|swollen|bleed|bleeding|blood|abscess|infection|infected|pus|fever)\b",
        r"\b(broke|broken|chipped|cracked|knocked out|fell out|came out|came off|fallen out|"
        r"lost a (tooth|filling|crown)|loose tooth|tooth is loose)\b",
        r"\b(emergency|urgent|urgently|asap|right away|immediately)\b",
        r"\b(can't|cannot|can not)\s+(eat|sleep|chew|open my mouth)\b",
    ],
    "billing": [
        r"\b(charged|overcharged|double charged|billed|refund|dispute|collections|invoice)\b",
        r"\b(a|the|my|your|this|that) (bill|statement|balance)\b",
        r"\b(annual max|annual maximum|deductible|remaining benefits|out of pocket|my claim|"
        r"claim (was )?denied|pre-?authori[sz]ation|eob)\b",
        r"\b(will|would) i (owe|have to pay)\b",
        r"\bcover\b.{0,40}\bin full\b",
        r"\b(insurance|plan|coverage)\b.{0,25}\b(pay|cover)\w*\b.{0,30}\b(whole|full|entire|"
        r"all of|everything|100|in full)\b",
        r"\bhow much (of|will|would|does) (my|the) (insurance|plan|coverage)\b",
    ],
    "human_requested": [
        r"\b(real|actual|live|human) (person|human|people|being|agent|staff)\b",
        r"\b(talk|speak|chat)\s+(to|with)\s+(a|an|the|someone|somebody|anyone|your|a real)\b",
        r"\b(call|ring|phone)\s+me\b",
        r"\bgive me a (call|ring)\b",
        r"\b(office manager|manager|supervisor|representative|receptionist|front desk staff)\b",
        r"\bare you (a )?(bot|robot|ai|human|real)\b",
        r"\b(is this|am i talking to) (a )?(bot|robot|ai|machine|computer)\b",
    ],
    "appointment_change": [
        r"\bre-?schedul\w*\b",
        r"\b(move|change|push|shift|cancel|switch|postpone|bump)\b\W+(my|the|our|this|that)\W+"
        r"(\w+\W+)?(appointment|visit|booking|cleaning|slot|time)\b",
        r"\b(already|existing)\s+(have|booked|got|scheduled)?\s*(an? )?(appointment|visit|"
        r"booking)\b",
        r"\b(have|got) an (appointment|visit)\b.{0,30}\b(on|next|this|tomorrow|monday|tuesday|"
        r"wednesday|thursday|friday|saturday|sunday)\b",
        r"\b(can't|cannot|won't be able to) make (it|my|the)\b",
        r"\brunning late\b",
    ],
    "complaint": [
        r"\b(rude|unprofessional|disrespectful|complain|complaint|terrible|awful|horrible|"
        r"worst|disappointed|disappointing|unhappy|upset|angry|furious|ridiculous|unacceptable|"
        r"incompetent|lawyer|sue|lawsuit|malpractice|scam|ripped off)\b",
        r"\bnot (happy|thrilled|pleased|satisfied|impressed)\b",
        r"\bwaited\b.{0,30}\b(minutes|hours|hour|forever)\b",
        r"\bnobody (apologized|called|answered|got back)\b",
    ],
    "clinical_question": [
        r"\bshould i be (worried|concerned|scared)\b",
        r"\bis (that|this|it) (bad|normal|serious|dangerous|something to worry)\b",
        r"\b(what should i do|is there something wrong|what does (it|that|this) mean)\b",
    ],
    "record_change": [
        r"\b(text|call|email|contact|message|reach)\s+(him|her|them|my (husband|wife|partner|mom|"
        r"mother|dad|father|son|daughter|spouse))\b.{0,15}\b(instead|directly)\b",
        r"\b(new|changed|updated?|different)\s+(phone|cell|mobile)?\s*(number|email|address)\b",
        r"\b(update|change)\s+my\s+(number|phone|email|address|name|contact|details)\b",
    ],
    "confused": [
        r"\bwho( is|'s) (this|that|it)\b",
        r"\bwho are (you|u)\b",
        r"\bwho'?s this\b",
        r"\bwrong (person|number|patient|name|email|guy|girl|address|text|message|office|"
        r"clinic|dentist)\b",
        r"\bis this\b.{0,30}\b(office|clinic|practice|dentist)('s)?\W*\?",
        r"\b(my name is not|my name isn't|that's not my name|not my name|i'm not)\s+\w+",
        r"\bnever (been|visited|gone|went)\b.{0,25}\b(office|clinic|there|you|your)\b",
        r"\b(don't|do not) know (you|who|what this)\b",
        r"\bhow did you get (my|this)\b",
        r"\bwhat( is|'s) this (about|regarding|for)\b",
        r"\b(did i|when did i) (sign up|ask|contact|inquire)\b",
        r"\bwhat are you talking about\b",
        r"\b(i'm|i am) (confused|not sure what)\b",
    ],
}
_HANDOFF_RES = {
    reason: re.compile("|".join(f"(?:{p})" for p in patterns))
    for reason, patterns in _HANDOFF_PATTERNS.items()
}


def handoff_reasons(text: str) -> list[str]:
    """Every reason in this reply that a person must take over (first = most important)."""
    norm = normalize(text)
    found = [reason for reason, rx in _HANDOFF_RES.items() if rx.search(norm)]
    if not_english(text):
        found.insert(0, "not_english")
    return found


# --- Language ----------------------------------------------------------------------------------


@functools.cache
def _spellers():
    from spellchecker import SpellChecker

    others = ("es", "fr", "pt", "de", "it", "nl")
    return english_words(), [SpellChecker(language=code) for code in others]


_ENGLISH_EXTRA = frozenset(
    [
        "ok",
        "okay",
        "lol",
        "lmk",
        "omg",
        "idk",
        "jk",
        "btw",
        "thx",
        "pls",
        "plz",
        "ur",
        "u",
        "r",
        "ya",
        "yea",
        "yeah",
        "yep",
        "nope",
        "nah",
        "hmm",
        "um",
        "uh",
        "appt",
        "appts",
        "xray",
        "xrays",
        "invisalign",
        "hsa",
        "fsa",
        "ppo",
        "hmo",
        "dhmo",
        "medicaid",
        "medicare",
        "metlife",
        "cigna",
        "aetna",
        "delta",
        "guardian",
        "humana",
        "zoom",
        "wifi",
        "covid",
    ]
)


def not_english(text: str) -> bool:
    """Written in another language: another script, or words an English dictionary mostly does
    not know while another language's does (pyspellchecker's word lists)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    if latin / len(letters) < 0.5 and len(letters) >= 2:
        return True
    tokens = [w for w in words(text) if w not in _ENGLISH_EXTRA]
    if len(tokens) < 2:
        return False
    english, others = _spellers()
    known_en = len(english.known(tokens)) and sum(1 for w in tokens if w in english) / len(tokens)
    if known_en >= 0.85:
        return False
    best_other = max(sum(1 for w in tokens if w in other) / len(tokens) for other in others)
    if known_en < 0.6 and len(tokens) >= 3:
        return True
    return best_other - known_en >= 0.3


# --- Questions and booking ----------------------------------------------------------------------

_DAY = (
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mondays|tuesdays|wednesdays|"
    r"thursdays|fridays|saturdays|sundays|today|tomorrow|tonight|weekend|weekday|weekdays|"
    r"morning|mornings|afternoon|afternoons|evening|evenings|next week|this week|next month|"
    r"this month|the \d{1,2}(st|nd|rd|th)?|\d{1,2}(:\d\d)?\s?(am|pm)|noon|lunch|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)"
)
_INTERROGATIVE = re.compile(
    r"^\W*(and |but |also |so |ok |yes |yeah |sure |then )?(how|what|what's|when|where|which|"
    r"who|why|is|are|do|does|did|can|could|will|would|should|shall|may|might|have|has|any|"
    r"anything|is there|are there)\b(?!')"
)
_WONDERING = re.compile(
    r"\b(wondering|wonder|curious|want to know|wanted to know|need to know|like to know|"
    r"not sure) (if|whether|what|how|when|where|about)\b|\bcan you tell me\b|\bdo you know\b"
)
# A question the booking page answers: open times, the earliest slot, a day that works.
_AVAILABILITY = [
    r"\b(what|which|any|anything|something|got any|have any|you have|you got)\b.{0,25}"
    r"\b(times?|slots?|openings?|availability|available|spots?|appointments?|open)\b",
    # "what do you have next tuesday afternoon?"
    rf"\b(what|anything|something)\b.{{0,20}}\b(have|got|free|open)\b.{{0,20}}\b{_DAY}",
    rf"\b(anything|something|any(thing)? (open|available)|availability|slots?|openings?|"
    rf"spots?|room)\b.{{0,30}}\b{_DAY}",
    rf"\b{_DAY}\b.{{0,15}}\b(work|works|ok|good|free|possible|available|open)\b",
    r"\b(earliest|soonest|next available|first available|next opening)\b",
    r"\b(can|could|may)\s+(i|we)\s+(come|get|pop|stop)\s+(in|by)\b",
    r"\bwhen can (i|we)\s+(come|get|be seen|book|schedule)\b",
    r"\b(fit|squeeze)\s+(me|us)\s+in\b",
    r"\bhow (do|can) (i|we) (book|schedule|make an appointment|sign up)\b",
    r"\b(next steps?|get (on|onto) (the|your) (schedule|calendar)|get scheduled|get started)\b",
    r"\b(send|text|email)\s+(me\s+)?(the|a|your)\s+(link|booking)\b",
    rf"\b(before|after|by|around|on)\s+{_DAY}\b",
    # a bare proposal: "tuesday?", "how about friday morning then?"
    rf"^\W*(how about|what about|maybe|or|and|then|ok|so)?\s*{_DAY}(\s+{_DAY})?\s*"
    r"(then|instead|maybe|please|works?|ok)?\W*$",
]
_AVAILABILITY_RE = re.compile("|".join(f"(?:{p})" for p in _AVAILABILITY))
# Times the clinic may simply not offer: an availability question about these is a question
# for the knowledge base (office hours), not the booking page.
_OFF_HOURS = re.compile(
    r"\b(evening|evenings|night|nights|late|after work|after (5|6|7|8)|weekend|weekends|"
    r"saturday|saturdays|sunday|sundays|holiday|holidays|early morning|before work|"
    r"before (7|8))\b"
)
_BOOKING_INTENT = [
    r"\b(yes|yeah|yep|yup|sure|ok|okay|definitely|absolutely|of course|sounds good|sounds great|"
    r"perfect|great|let's do it|let's do this|i'm in|count me in|why not|please do)\b",
    r"\b(book|booking|schedule|scheduling|set (something|it|one|me|us) up|sign (me|us) up|"
    r"get (me|us|it|something) (in|on|booked|scheduled)|make an appointment|come in|get in|"
    r"on the calendar|pencil me in)\b",
    r"\b(still|very|really|definitely|am|i'm|we're)\s+interested\b",
    r"\b(want|would like|'d like|wanna|ready|need)\s+(to|a|an|the)\b.{0,30}\b(book|schedule|"
    r"appointment|visit|come|get|cleaning|checkup|check-up|consult|consultation|done|started|"
    r"go ahead|proceed)\b",
    r"\b(want|ready) (it|to do it|to go|to get it done)\b",
    r"\b(let me know|lmk)\b",
    r"\b(send|text|email)\s+(me\s+)?(the|a|your)?\s*(link|times)\b",
    r"\bavailable times\b",
]
_BOOKING_INTENT_RE = re.compile("|".join(f"(?:{p})" for p in _BOOKING_INTENT))
_AFFIRMATIVE_ONLY = re.compile(
    r"^\W*(y|yes+|yeah+|yea+|yep|yup|ya|sure|ok+|okay|k|kk|alright|absolutely|definitely|"
    r"please|yes please|sounds good|ok sure|sure thing|of course|why not|deal|great|perfect|"
    r"let's go|do it)\W*$"
)
_POSITIVE_EMOJI = re.compile(
    "[\U0001f44d\U0001f44c\u2705\u2714\U0001f64c\U0001f600-\U0001f60f"
    "\U0001f642\U0001f917\u263a\U0001f929\U0001f389\U0001f64f]"
)


def question_clauses(text: str) -> list[str]:
    """The sentences of the reply that ask something."""
    found = []
    for sentence in sentences(normalize(text)):
        for part in re.split(r"(?<=\?)\s*", sentence):
            part = part.strip()
            if not part:
                continue
            if (
                part.endswith("?")
                or (_INTERROGATIVE.match(part) and _looks_like_question(part))
                or _WONDERING.search(part)
            ):
                found.append(part)
    return found


def _looks_like_question(part: str) -> bool:
    """An interrogative opening without a question mark ("do u take medicaid") is a question
    unless it is a statement that happens to start the same way ("any day after 10am")."""
    return bool(
        re.match(
            r"^\W*(and |but |also |so |ok |yes |yeah |sure |then )?(how|what|what's|when|where|"
            r"which|who|why|is|are|do|does|did|can|could|will|would|should)\b(?!')",
            part,
        )
    )


def asks_for_times(clause: str) -> bool:
    """Asks for open times at all, even at hours the clinic may not offer."""
    return bool(_AVAILABILITY_RE.search(normalize(clause)))


def is_availability_question(clause: str) -> bool:
    """Asks for open times, which the booking page shows, rather than for information."""
    norm = normalize(clause)
    if re.search(
        r"\b(are|r) (you|u) open\b|\bwhat time do (you|u) (open|close)\b|"
        r"\b(hours|open on|closed on)\b",
        norm,
    ):
        return False
    if _OFF_HOURS.search(norm) and not re.search(r"\b(know|knew)\b.{0,20}\bclosed\b", norm):
        return False
    return bool(_AVAILABILITY_RE.search(norm))


def wants_booking(text: str) -> bool:
    norm = normalize(text)
    if _AFFIRMATIVE_ONLY.match(norm) or _BOOKING_INTENT_RE.search(norm):
        return True
    stripped = re.sub(r"[\s\W]", "", norm)
    return bool(_POSITIVE_EMOJI.search(text)) and not has_words(stripped)


def has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
