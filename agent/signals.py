"""What a patient reply says, read without a model: opt-out requests, declines, reasons a person
must take over, questions, and wanting to book.

Each pattern family follows the definitions of the five actions (SPEC §5, evaldata README), not
any particular reply. They work on `agent.text.normalize`d text (lower case, texting shorthand
spelled out). Opt-out detection is shared by both brains: compliance never depends on an LLM.
"""

import functools
import re
import unicodedata

from agent.text import correct_typos, english_words, normalize, sentences, strip_quoted, words

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
_NOT_WAITING = r"(?<!wait )(?<!waiting )(?<!wait-)"
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
    rf"name|info|information|details|contact))\b.{{0,40}}\b{_NOT_WAITING}(list|lists|database|"
    rf"system|records|"
    r"mailing|contacts|texts|messages|emails)\b",
    r"\b(remove|delete|erase)\b\W+(me|us|(my|this|our) (number|phone number|email|email address|"
    r"contact details|info|information|contact info))\W*$",
    r"\b(take|get) (me|us) off\W*$",
    # a removal from a list, whoever is named: "remove our family from your mailing list",
    # "take this number off your texts" (not a waiting list)
    rf"\b(remove|take|delete|erase|drop|scratch|cross|get)\b(\W+[\w']+){{0,4}}?\W+(off|from|out of)"
    rf"\W+(\w+\W+){{0,2}}{_NOT_WAITING}(list|lists|mailing|database|system|contacts|records|texts|"
    r"messages|emails|distribution|rotation|reminders)\b",
    # "enough with the texts", "I'm done with these messages"
    r"\b(enough|done|finished|sick|tired|fed up)\s+(with|of)\s+(all\s+)?(the|these|your|this|those|"
    r"all)?\s*(\w+\s+)?(texts|messages|emails|calls|reminders|spam|notifications)\b",
    # "do not text", "don't call or text", "DO NOT CONTACT"
    rf"^\W*(please\s+)?(don't|do not|never)\s+(ever\s+)?{_CONTACT_VERB}(\s+(or|and|nor)\s+"
    rf"{_CONTACT_VERB})?(\s+(me|us|this number|here|again))?\W*$",
    # "cancel texts", "cancel my subscription"
    r"\b(cancel|end|stop)\b\W+(\w+\W+)?(subscription|texts|messages|emails|reminders|notifications|"
    r"alerts|marketing)\b",
    # "I don't want these texts", "we no longer want any reminders"
    r"\b(don't|do not|no longer|never|didn't|did not)\s+(want|wish|need|like|ask for|asked for|"
    r"sign up for|signed up for)\s+(to (get|receive|have)\s+)?(any more\s+|anymore\s+|any\s+|"
    r"these\s+|your\s+|more\s+|the\s+|those\s+|such\s+)?(\w+\s+)?(texts|messages|emails|e-mails|"
    r"calls|reminders|notifications|contact|marketing|spam|mail|mails|whatsapps?)\b",
    # "I no longer wish to receive any communications"
    r"\b(no longer|don't|do not|never)\s+(wish|want|like|care)\s+to\s+(receive|get|hear)\b",
    r"\b(leave me alone|lose my number|stop contacting)\b",
    # "I want off this list", "get us off your texts"
    r"\b(want|wanna|need|like|get|be taken|be removed)\s+(to\s+(be|get)\s+)?(me\s+|us\s+)?(off|"
    r"out of)\s+"
    r"(of\s+)?(this|your|the|ur|that|all|these|those|all your|all of your)?\s*(\w+\s+)?(list|lists|"
    r"texts|messages|emails|mailing|reminders|contacts|system|database)\b",
    # "delete my number", "remove my email" — the patient's contact data taken out
    r"\b(remove|delete|erase|lose|drop)\s+(my|our|this)\s+(phone\s+|cell\s+|mobile\s+)?(number|"
    r"email|"
    r"email address|e-mail|contact info|contact information|contact details|info|details|data)\b",
    r"\b(stop|quit|cease|end)\s+(getting|receiving|sending)\b",
    r"\b(prefer|rather|like)\s+not\s+(to\s+)?(get|receive|be sent|be contacted|be texted|"
    r"be emailed|"
    r"hear)\b",
    r"\b(asked|told|want|need|wanted|begged|asking|telling)\s+(you|u|y'all|you guys|"
    r"them)\s+(\w+\s+)?"
    r"to stop\b",
    r"\bstop all (contact|messages|communication)\b",
    # a message that ends with a bare "stop" ("not interested, stop"; not "it won't stop")
    r"(?<!won't )(?<!wont )(?<!not )(?<!never )(?<!to )(?<!n't )(?<!will )(?<!would )(?<!does )"
    r"(?<!did )(?<!pain )(?<!bleeding )(?<!it )\bstop\W*$",
]
_OPT_OUT_RE = re.compile("|".join(f"(?:{p})" for p in _OPT_OUT_PHRASES), re.M)


def _bare(text: str) -> str:
    """The message without punctuation, emoji or politeness: what a keyword must equal
    ("S T O P" spelled out is STOP)."""
    bare = re.sub(r"\s+", " ", _POLITE.sub(" ", text)).strip()
    if re.fullmatch(r"(\w )+\w", bare):
        bare = bare.replace(" ", "")
    return bare


def is_opt_out(text: str) -> bool:
    """STOP and its siblings as the whole message, a message that starts with STOP, or any
    free-text request to stop receiving messages — in the patient's own words (a quoted earlier
    message with its "reply STOP" or unsubscribe footer is not theirs), misspelled or not."""
    own = strip_quoted(text)
    return _opt_out(own) or _opt_out(correct_typos(own))


def _opt_out(text: str) -> bool:
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

_PROVIDER = (
    r"(dentist|dentists|orthodontist|pediatric dentist|office|clinic|practice|provider|doctor|dr|"
    r"periodontist|surgeon|specialist|dental office|dental practice)\b"
)
_FILLER = r"(lol|lmao|haha+|ha|um+|uh+|well|sorry|honestly|actually|ok|oh|ah|hmm+|thanks|thank you)"
_DECLINE_PHRASES = [
    # a sentence that is (or starts with) a plain no
    # ("no insurance, how much ...?", "no, thursday doesn't work" are not; see is_decline)
    rf"^(\W*{_FILLER}\W+)*(no|nope|nah|no thanks|no thank you|no thx|not really|pass|"
    r"probably not|i'd rather not|rather not|not for now|not now)"
    r"(?=\W*$|\s*[,.!;:-]|\s+(thanks|thank you|thx|sorry|not|way|need|longer|more|interest))",
    r"\b(not|no longer|not really|not that)\s+interested\b(?!\s+in\s+(waiting|delaying|putting))",
    r"\b(we'll|i'll|we will|i will|we're|i'm|going to|gonna)\s+(be\s+)?(going|go|switching|heading|"
    r"taking (him|her|them|the kids))\s+(there|to them|to him|to her|elsewhere)\b",
    r"\b(not|isn't|aren't|is not|are not|wasn't)\s+(really\s+)?for (me|us)\b",
    r"\b(more than|beyond what)\s+(we|i)\s+(can|could)\s+(do|afford|pay|spend|swing|manage)\b",
    r"\b(keep|keeping|continue|continuing|stay|staying|still)\s+(going to|seeing|with|using|go to|"
    r"see)\s+(dr|doctor|my|our|the|[a-z]+'s)\b",
    r"\b(somewhere|someplace|some place|someone|elsewhere)\s+(else|cheaper|closer|nearer|local|"
    r"near)\b",
    r"\b(got|had|gotten)\s+(my|our|his|her|their|the|it|them)\b(\s+[\w']+){0,3}\s+(done|made|"
    r"fixed|pulled|cleaned|replaced|removed|taken care of|finished|started)\b.{0,40}\b(already|"
    r"elsewhere|somewhere else)\b",
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
    # another provider now: "we go to Dr. Smith now", "we have a dentist now"
    rf"\b(go|goes|going|see|sees|seeing|use|uses|using|have|has|got|found|chose|picked)\s+(to\s+)?"
    rf"(a|an|the)?\s*(\w+\s+)?{_PROVIDER}\.?(\s+[\w']+){{0,4}}\s+(now|already|instead|these days|"
    rf"nowadays|"
    r"elsewhere)\b",
    rf"\b(sees|see|seeing|goes to|go to|going to|use|using|with)\s+(an?\s+)?(another|other|"
    rf"different|"
    rf"new|local|closer)\s+(\w+\s+)?{_PROVIDER}",
    r"\b(went|going|gone|go|stick|sticking|stay|staying)\s+with\s+(them|that one|someone else|"
    r"the other (one|office|practice|place|dentist|orthodontist))\b",
    r"\b(happy|satisfied|content|fine|good)\s+(with|where)\s+(we are|i am|we're|i'm|our|my)\b",
    # moved away
    r"\b(out of state|out of town|out of the area|out of the country)\s*(now|anymore)?\W*$",
    r"\b(we're|we are|i'm|i am|now|we|i)\s+(\w+\s+)?(out of state|out of town|out of the area|"
    r"in another state|across the country)\b",
    r"\b(no longer|don't|do not|not)\s+(live|living|based|located)\s+(in|near|around)\b",
    r"\b(live|living|based|located)\s+in\s+[a-z]+(\s+[a-z]+)?\s+now\b",
    r"^\W*(just\s+)?(moved|relocated)\s+(to|away|out)\b",
    # cost
    r"\b(too much money|costs? too much|way too much|out of (my|our|the) (price range|budget|"
    r"range)|"
    r"can't (swing|justify|do) (it|that|the cost|the price)|(was|is|were) cheaper)\b",
    r"^\W*too much\W*$",
    # not now, not any more
    r"\b(not ready( yet)?|(let's|we'll|i'll|going to|gonna)\s+skip|skip (it|this|this one|"
    r"this time|"
    r"for now)|not looking to|don't want (it|to do it|to do that|that) (anymore|any more|now))\b",
    r"\b(don't|do not|no longer)\s+need\b.{0,25}\b(after all|anymore|any more)\b",
    r"\b(done with|finished with|finished)\s+(treatment|braces|it|that|the treatment|"
    r"my treatment)\b",
    r"\b(got|had|have|getting)\s+(it|that|them|this)\s+(done|taken care of|fixed)\s+(already|"
    r"elsewhere|somewhere else)\b",
    r"\b(all good|all set)(\s+(here|for now|thanks|thank you|over here))?\W*$",
    r"\b(put|putting|keep|keeping)\s+(this|it|that|things|everything|the \w+)\s+on hold\b|"
    r"\bon hold for now\b",
    r"\b(not|isn't|is not)\s+(the right|a good|a great)\s+time\b|\b(bad|wrong)\s+time (for (me|us)|"
    r"right now)\b",
    r"\b(had|got|have|getting)\s+(it|them|that|this|those|mine|it all)\s+(out|done|pulled|removed|"
    r"fixed|"
    r"taken care of|replaced)\s+(already|at|by|elsewhere|somewhere|with|in)\b",
    r"\balready\s+(had|got|have)\s+(it|them|that|this|those|mine)\s+(out|done|pulled|removed|fixed|"
    r"taken care of|replaced)\b",
    r"\b(won't|will not|wouldn't|no longer)\s+(be\s+)?need(ing)?\b",
    # "..., so no thanks", "thanks but no thanks"
    r"(^|[,;:-]|\b(so|but|and|then|thus))\s*(no thanks|no thank you|no thx)\b",
    # moved away: "we moved to Boise", "I'm relocating out of state"
    r"\b(i|we|i've|we've|i'm|we're|i have|we have|just|recently|family|since|had|have)\s+"
    r"(\w+\s+)?(moved|relocated|moving|relocating)\s+(to|away|out|across|abroad|back to|overseas)"
    r"\b(?!\s+(a |an |the )?(new |different )?(address|apartment|house|home|unit|place|street)\b)",
    # chose another provider by name: "we decided to go with Dr. Patel's office"
    r"\b(go|going|gone|went|stay|staying|stick|sticking|stayed|switched|"
    r"switching)\s+(over\s+)?with\s+"
    r"(dr|doctor|another|a different|a new|someone|somebody|one closer|[a-z]+'s\s+(office|practice|"
    r"clinic|dental|dentistry|orthodontics))\b",
    r"\b(find|found|finding|get|found us|have|got|see|seeing|chose|picked)\s+(someone|somebody|one|"
    r"a dentist|an orthodontist|a new one|a provider)\s+(there|closer|nearer|near|local|else|"
    r"up there|"
    r"down there|over there)\b",
    # the care already had elsewhere: "we already got her teeth cleaned", "already had it done"
    r"\balready\s+(got|had|have|did|done|gotten|finished)\b(\s+[\w']+){0,4}?\s+(done|cleaned|fixed|"
    r"taken care of|pulled|made|treated|filled|seen|checked|replaced|finished|started)\b",
    r"\balready\s+(started|starting|having|getting|doing|booked|scheduled|seeing|going|in)\b.{0,40}"
    r"\b(with|at|to)\s+(dr|doctor|another|a different|a new|[a-z]+'s|my|our|his|her|their)\b",
    # no longer coming: "we won't be able to keep coming"
    r"\b(won't|will not|can't|cannot|can no longer|won't be able to|will not be able to|"
    r"not able to)"
    r"\s+(be able to\s+)?(keep|continue|come back|return|make it back)\b(?!\s+(my|the|our) "
    r"(appointment|visit))",
]
_DECLINE_RE = re.compile("|".join(f"(?:{p})" for p in _DECLINE_PHRASES))
_PLAIN_NO_RE = re.compile(_DECLINE_PHRASES[0])


_NEGATIVE_EMOJI = re.compile("[\U0001f44e\u274c\U0001f645\U0001f6ab\u26d4]")


# Said with no question: a polite no ("thanks anyway", "I appreciate it, but ...").
_SOFT_DECLINE_RE = re.compile(
    r"\b(thanks|thank you|thx) (anyway|anyways|though)\b"
    r"|\b(appreciate (it|that|this|the \w+)|thanks for [^.?!]{0,40}),?\s+but\b"
)


def is_decline(text: str, here: frozenset[str] = frozenset()) -> bool:
    """Not interested, not now, found another dentist, moved away: a no without asking to stop
    all messages. A sentence that goes on to ask to book is not a decline, nor is a move to a
    place in `here` (the words of the clinic's articles: its town)."""
    norm = normalize(text)
    if _NEGATIVE_EMOJI.search(text) and not has_words(norm):
        return True
    if _SOFT_DECLINE_RE.search(norm) and "?" not in norm and not _books(norm):
        return True
    said = sentences(norm)
    for number, sentence in enumerate(said):
        for found in _DECLINE_RE.finditer(sentence):
            if here and _arriving(sentence[found.start() : found.end() + 40], here):
                # "we just moved to Millbrook": moved *here*, a new patient, not a goodbye
                continue
            if _inside_question(sentence, found.start()):
                # "do you do braces or do we need to go somewhere else?": asked, not said.
                continue
            # "I don't need a cleaning": the words of the decline are not a wish to book.
            # "I'd love to, but I can't afford it": what follows the "but" is the answer.
            turn = max((m.end() for m in _CONTRAST.finditer(sentence, 0, found.start())), default=0)
            if _books(sentence, skip=(0 if turn else found.start(), found.end())):
                continue
            after = " ".join([sentence[found.end() :], *said[number + 1 :]])
            if _PLAIN_NO_RE.match(found.group(0)) and _answers_logistics(after):
                # "No, Thursday doesn't work - how about Friday?": a no to a time, not to coming.
                continue
            return True
    return False


_CONTRAST = re.compile(r"\b(but|however|though|unfortunately|sadly|although)\b")


def _answers_logistics(after: str) -> bool:
    """A bare "no" that goes on to propose a time or to ask to book."""
    return bool(_AVAILABILITY_RE.search(after) or _books(after))


_MOVED_TO = re.compile(r"\b(moved|moving|relocated|relocating)\s+(back\s+)?(to|into)\s+([a-z' -]+)")


def _arriving(declined: str, here: frozenset[str]) -> bool:
    """A move whose destination is a place the clinic's own articles name (its town)."""
    found = _MOVED_TO.search(declined + " ")
    if not found:
        return False
    place = [w for w in found.group(4).split()[:3] if w not in ("the", "a", "an", "town", "area")]
    return bool(place) and place[0] in here


_CLAUSE_BREAK = re.compile(r"[,;:]\s*|\s+-\s+|\s+(?=(?:or|but|so|because)\s)")
_ASKING_START = re.compile(
    r"^\W*(or |and |but |so )?(do|does|did|can|could|should|would|will|is|are|am|shall|must|"
    r"what|which|where|when|how|who|why)\b(?!')"
)


def _inside_question(sentence: str, position: int) -> bool:
    """Whether the words at `position` belong to a clause that asks ("... or should we go
    somewhere else?") rather than says."""
    if not (sentence.rstrip().endswith("?") or _ASKING_START.match(sentence)):
        return False
    start = 0
    for brk in _CLAUSE_BREAK.finditer(sentence):
        if brk.end() > position:
            break
        start = brk.end()
    return bool(_ASKING_START.match(sentence[start:]))


# --- Reasons a person must take over -----------------------------------------------------------

_DAY = (
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mondays|tuesdays|wednesdays|"
    r"thursdays|fridays|saturdays|sundays|today|tomorrow|tonight|weekend|weekday|weekdays|"
    r"morning|mornings|afternoon|afternoons|evening|evenings|next week|this week|next month|"
    r"this month|the \d{1,2}(st|nd|rd|th)?|\d{1,2}(:\d\d)?\s?(am|pm)|noon|lunch|"
    r"in (a|one|two|three|a few|a couple( of)?|\d+) (days?|weeks?|months?)|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)"
)

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
        r"\byou are (chatgpt|gpt|an ai|a language model|an assistant|a bot)\b",
        r"(^|\n)\W*(system|admin|assistant|developer)\s*:",
        r"\b(write|compose|generate) (me )?(a|an) (poem|story|essay|song|code|script|joke)\b",
    ],
    "pain_or_emergency": [
        r"\b(pain|painful|hurts?|hurting|ache|aches|aching|toothache|sore|throbbing|killing me|"
        r"agony|excruciating)\b",
        r"\b(swell|swelling|swollen|bleed|bleeding|blood|abscess|infection|infected|pus|fever)\b",
        r"\b(broke|broken|chipped|cracked|knocked out|fell out|came out|came off|fallen out|"
        r"lost a (tooth|filling|crown)|loose tooth|tooth is loose)\b",
        r"\b(emergency|urgent|urgently|asap|right away|immediately)\b",
        r"\b(can't|cannot|can not)\s+(eat|sleep|chew|open my mouth)\b",
        r"\b(injur\w*|accident|hit (in|on) the (mouth|face|teeth|jaw)|fell on (my|his|her|their) "
        r"(face|mouth|chin)|knocked (out|loose))\b",
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
        r"\b(insurance|plan|coverage|they)\s+(should|was supposed to|were supposed to)\s+(have\s+)?"
        r"(paid|covered|cover|pay)\b",
        r"\bdisput\w*\b",
    ],
    "human_requested": [
        r"\b(real|actual|live|human) (person|human|people|being|agent|staff)\b",
        r"\b(talk|speak|chat)\s+(to|with)\s+(a|an|the|someone|somebody|anyone|your|a real|dr|"
        r"doctor|him|her)\b",
        r"\b(prefer|rather have|rather get|like)\s+a\s+(phone\s+)?call\b|\b(call|phone call|"
        r"a call)\s+"
        r"(would be|is|works)\s+(easier|better)\b|\b(rather|prefer to)\s+(talk|call|speak)\b",
        r"\b(call|ring|phone)\s+me\b",
        r"\bgive me a (call|ring)\b",
        r"\b(office manager|manager|supervisor|representative|receptionist|front desk staff)\b",
        r"\bare you (a )?(bot|robot|ai|human|real)\b",
        r"\b(is this|am i talking to) (a )?(bot|robot|ai|machine|computer)\b",
    ],
    "appointment_change": [
        r"\bre-?schedul\w*\b",
        r"\b(move|change|push|shift|cancel|switch|postpone|bump|reschedule)\b\W+(my|the|our|this|"
        r"that|his|her|their|[a-z]+'s)\W+(\w+\W+){0,2}(appointment|visit|booking|cleaning|slot|"
        r"time|adjustment|checkup|check-up|exam|consult|consultation)\b",
        r"\b(already|existing)\s+(have|booked|got|scheduled)?\s*(an? )?(appointment|visit|"
        r"booking)\b",
        r"\b(have|got) an (appointment|visit)\b.{0,30}\b(on|next|this|tomorrow|monday|tuesday|"
        r"wednesday|thursday|friday|saturday|sunday)\b",
        r"\b(can't|cannot|won't be able to|won't|will not|not going to|unable to) (make it|make my|"
        r"make the|be there|be able to make it)\b",
        rf"\b(can't|cannot|won't be able to) (come|make it|do) (in\s+)?(on\s+)?{_DAY}\s+(anymore|"
        rf"any more|"
        r"after all)\b",
        r"\brunning (\w+ )?(\w+ )?late\b",
        rf"(\b(i|we|they|i've|we've|still)\s+(have|got)|\b(he|she|[a-z]+)\s+(has|got))\s+(a|an|my|"
        rf"our|his|"
        rf"her|their)\s+"
        rf"(\w+\s+)?(appointment|visit|cleaning|checkup|check-up|exam|consult|consultation|"
        rf"adjustment)"
        rf"\s+(on|at|for|next|this|tomorrow|today|{_DAY})\b",
        rf"\b(we're|we are|i'm|i am|he's|she's|they're)\s+(booked|scheduled|down)\s+(for|on)\s+"
        rf"(the\s+)?{_DAY}\b",
    ],
    "complaint": [
        r"\b(rude|unprofessional|disrespectful|complain|complaint|terrible|awful|horrible|"
        r"worst|disappointed|disappointing|unhappy|upset|angry|furious|ridiculous|unacceptable|"
        r"incompetent|lawyer|attorney|lawsuit|malpractice|scam|ripped off)\b",
        r"\b(will|going to|gonna|i'll|we'll|could|should)\s+sue\b|\bsue (you|your|the|this)\b",
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
        r"\b(use|try|send (it|them|everything) to)\s+my\s+(work|personal|new|other|home|cell)\s+"
        r"(email|number|phone|address)\b",
    ],
    "confused": [
        r"\bwho( is|'s) (this|that|it)\b",
        r"\bwho are (you|u)\b",
        r"\bwho'?s this\b",
        r"\bwrong (person|number|patient|name|email|guy|girl|address|text|message|office|"
        r"clinic|dentist)\b",
        r"\bis this\b.{0,30}\b(office|clinic|practice|dentist)('s)?\W*\?",
        r"\b(my name is not|my name isn't|that's not my name|not my name)\b",
        r"\bnever (been|visited|gone|went)\b.{0,25}\b(office|clinic|there|you|your)\b",
        r"\b(don't|do not) know (you|who|what this)\b",
        r"\bhow did you get (my|this)\b",
        r"\bwhat( is|'s) this (about|regarding|for)\b",
        r"\b(did i|when did i) (sign up|ask|contact|inquire)\b",
        r"\bwhat are you talking about\b",
        r"\b(i'm|i am) (confused|not sure what)\b",
        r"\b(i|we)\s+(don't|do not)\s+have\s+(a|any)\s+(son|daughter|kid|kids|child|children|"
        r"appointment|braces|dentures)\b",
        r"\bnever heard of (you|this|your|them)\b",
        r"\b(i'm|i am|we're|we are)\s+not\s+(a\s+)?(patient|patients|your patient)\b",
        r"\b(you have|you've got|you got) (the wrong|me (confused|mixed up))\b",
    ],
}
_HANDOFF_RES = {
    reason: re.compile("|".join(f"(?:{p})" for p in patterns))
    for reason, patterns in _HANDOFF_PATTERNS.items()
}


# Said with a name, as written: "I'm not Dale", "Is this Prairie Creek?"
_NAMED_CONFUSION = re.compile(
    r"\b(I'm|I\u2019m|Im|I am|This is) not ([A-Z][a-z]+)\b(?! (sure|interested|ready|able))|"
    r"\b[Ii]s this ([A-Z][\w'\u2019&.-]*)(\s+[A-Z][\w'\u2019&.-]*){0,3}\s*\?"
)


def handoff_reasons(text: str, *, original: str | None = None) -> list[str]:
    """Every reason in this reply that a person must take over (first = most important).
    `original` is the reply as written when `text` has had its typos corrected: the language
    is told from what the patient wrote."""
    norm = normalize(text)
    found = [reason for reason, rx in _HANDOFF_RES.items() if rx.search(norm)]
    written = text if original is None else original
    if "confused" not in found and _NAMED_CONFUSION.search(written):
        found.append("confused")
    if not_english(written):
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
    tokens = [w for w in words(normalize(text)) if w not in _ENGLISH_EXTRA]
    if len(tokens) < 2:
        return False
    # Accented letters in many of the words: not English ("Tôi muốn đặt lịch").
    accented = sum(1 for w in tokens if any(ord(ch) > 127 for ch in w))
    if accented >= 2 and accented / len(tokens) >= 0.3:
        return True
    english, others = _spellers()
    known_en = len(english.known(tokens)) and sum(1 for w in tokens if w in english) / len(tokens)
    if known_en >= 0.85:
        return False
    best_other = max(sum(1 for w in tokens if w in other) / len(tokens) for other in others)
    if best_other - known_en >= 0.3:
        return True
    # Words another language knows and English does not, across the lists (each list alone
    # misses common words: "tienen citas el sabado").
    foreign = sum(1 for w in tokens if w not in english and any(w in o for o in others))
    if known_en < 0.6 and foreign / len(tokens) >= 0.5 and len(tokens) >= 3:
        return True
    # Words no list knows: English typed in a hurry ("acept", "insurence") is one slip from
    # English words; another language is not.
    near_en = sum(
        1 for w in tokens if w in english or english.known(english.edit_distance_1(w))
    ) / len(tokens)
    return near_en < 0.6 and len(tokens) >= 3


# --- Questions and booking ----------------------------------------------------------------------

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
    r"\b(what|which|any|anything|something|got any|have any|you have|you got)\b"
    r"((?!\b(my|our|his|her|their|first|bring|need|wear|expect|happens?|cost|costs|price|long)\b).)"
    r"{0,25}\b(times?|slots?|openings?|availability|available|spots?|appointments?|open)\b",
    # "what do you have next tuesday afternoon?"
    rf"\b(what|anything|something)\b.{{0,20}}\b(have|got|free|open)\b.{{0,20}}\b{_DAY}",
    rf"\b(anything|something|any(thing)? (open|available)|availability|slots?|openings?|"
    rf"spots?|room)\b.{{0,30}}\b{_DAY}",
    rf"\b{_DAY}\b.{{0,15}}\b(work|works|ok|good|free|possible|available|open)\b",
    r"\b(earliest|soonest|next available|first available|next opening)\b",
    r"\b(can|could|may)\s+(i|we)\s+(come|get|pop|stop)\s+(in|by)\b",
    r"\bwhen can (i|we)\s+(come|get|be seen|book|schedule)\b",
    rf"\b(can|could|may)\s+(i|we)\s+(come|do|make|get|be seen|book|schedule|"
    rf"have)\b.{{0,20}}\b{_DAY}",
    r"^\W*(so |ok |okay )?(what's|what is) next\W*$",
    r"\b(fit|squeeze|get|slot|pencil|work)\s+(me|us|him|her|them|the kids|my \w+)\s+in\b",
    r"\bhow (do|can) (i|we) (book|schedule|make an appointment|sign up)\b",
    r"\b(next steps?|get (on|onto) (the|your) (schedule|calendar)|get scheduled|get started)\b",
    r"\b(send|text|email)\s+(me\s+)?(the|a|your)\s+(link|booking)\b",
    rf"\b(before|after|by|around|on)\s+{_DAY}\b",
    # a bare proposal: "tuesday?", "how about friday morning then?"
    rf"^\W*(how about|what about|maybe|or|and|then|ok|so)?\s*((next|this|on|the|a)\s+)?{_DAY}"
    rf"(\s+{_DAY})?(\s+(at|around|@|about)\s+\d{{1,2}}(:\d\d)?\s*(am|pm)?)?\s*"
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
    r"perfect|great|let's do it|let's do this|i'm in|count me in|why not|please do|go ahead|"
    r"go for it|that works|works for me|i'd like that|we'd like that|i'd love that|"
    r"sounds like a plan|"
    r"(i'd|we'd|i would|we would) love to)\b",
    # "I can do any afternoon", "we can come Tuesdays"
    rf"\b(i|we)\s+(can|could)\s+(do|make|come|be there)\b|\bany\s+({_DAY}|day|time)\b",
    r"\b(book|booking|schedule|scheduling|set (something|it|one|me|us) up|sign (me|us) up|"
    r"get (me|us|it|something) (in|on|booked|scheduled)|make an appointment|come in|get in|"
    r"on the calendar|pencil me in)\b",
    r"\b(still|very|really|definitely|am|i'm|we're)\s+interested\b",
    r"\b(want|would like|'d like|wanna|ready|need)\s+(to|a|an|the)\b.{0,40}\b(book|schedule|"
    r"appointment|visit|come|get|cleaning|checkup|check-up|consult|consultation|done|started|"
    r"go ahead|proceed|move forward|go forward|start)\b",
    r"\b(ready|let's|let us|i'd like to|i want to|we'd like to|want to)\s+(move|go|moving|going)\s+"
    r"(forward|ahead)\b",
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


_ASKING_WORD = (
    r"(?:what|where|when|who|how|which|why|do you|does|did you|can you|could you|is it|"
    r"are you|will you|would you)\b"
)


def question_clauses(text: str) -> list[str]:
    """The sentences of the reply that ask something."""
    found = []
    for sentence in sentences(normalize(text)):
        # "who are the dentists and where did they train?" asks two things
        for part in re.split(
            r"(?<=\?)\s*|\s+(?:and|also|plus)\s+(?=" + _ASKING_WORD + r")", sentence
        ):
            part = part.strip()
            if not part:
                continue
            if (
                part.endswith("?")
                or (_INTERROGATIVE.match(part) and _looks_like_question(part))
                or _WONDERING.search(part)
            ):
                found.append(part)
                continue
            # "new patient here - what do I need to bring": a question after a dash or comma.
            for piece in _CLAUSE_BREAK.split(part)[1:]:
                if piece and _EMBEDDED_QUESTION.match(piece):
                    found.append(piece.strip())
                    break
    return found


_EMBEDDED_QUESTION = re.compile(
    r"^\W*(what|what's|when|where|which|how|who|why)\b(?!')\s+\w+|"
    r"^\W*(do|does|can|could|will|would|should|is|are)\s+(i|you|we|they|there|y'all|you guys)\b"
)


def _looks_like_question(part: str) -> bool:
    """An interrogative opening without a question mark ("do u take medicaid") is a question
    unless it is a statement that happens to start the same way ("any day after 10am")."""
    return bool(
        re.match(
            r"^\W*(and |but |also |so |ok |yes |yeah |sure |then )?((how|what|what's|when|where|"
            r"which|who|why)\b(?!')|(is|are|do|does|did|can|could|will|would|should)\s+(i|you|we|"
            r"they|"
            r"it|there|he|she|my|your|the|this|that|these|those|y'all|you guys|anyone|someone|a|an|"
            r"any|kids|children)\b)",
            part,
        )
    )


def asks_for_times(clause: str) -> bool:
    """Asks for open times at all, even at hours the clinic may not offer."""
    return bool(_AVAILABILITY_RE.search(normalize(clause)))


_HOURS_QUESTION = re.compile(
    r"\b(are|r) (you|u|y'all|you guys) (open|closed)\b|\bwhat time do (you|u) (open|close)\b|"
    r"\b(hours|open on|closed on)\b|\bdo (you|u) (open|close)\b"
)


def is_hours_question(clause: str) -> bool:
    """Asks when the clinic is open ("are you open Saturdays?"), which its article on hours
    answers, rather than for a free slot."""
    return bool(_HOURS_QUESTION.search(normalize(clause)))


def is_availability_question(clause: str) -> bool:
    """Asks for open times, which the booking page shows, rather than for information."""
    norm = normalize(clause)
    if _HOURS_QUESTION.search(norm):
        return False
    if _OFF_HOURS.search(norm) and not re.search(r"\b(know|knew)\b.{0,20}\bclosed\b", norm):
        return False
    return bool(_AVAILABILITY_RE.search(norm))


def wants_booking(text: str) -> bool:
    norm = normalize(text)
    if _AFFIRMATIVE_ONLY.match(norm) or _books(norm):
        return True
    stripped = re.sub(r"[\s\W]", "", norm)
    return bool(_POSITIVE_EMOJI.search(text)) and not has_words(stripped)


_NEGATED = re.compile(r"\b(not|never|no longer|nor|don't|didn't|won't|can't)\W+([\w']+\W+){0,2}$")


def _books(norm: str, skip: tuple[int, int] = (0, 0)) -> bool:
    """A wish to book said, not denied ("decided not to go ahead" is no wish to book), outside
    the span `skip` (the words of a decline)."""
    return any(
        not _NEGATED.search(norm[: m.start()]) and not (skip[0] <= m.start() < skip[1])
        for m in _BOOKING_INTENT_RE.finditer(norm)
    )


def has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
