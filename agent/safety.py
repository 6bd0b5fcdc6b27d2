"""Guards on what the agent sends: no link but the booking link, a length cap, and only the five
actions. Patient text is never an instruction: it reaches a model only as quoted data
(agent.prompts), and whatever comes back passes through here."""

import re

from agent.choices import Action

# Anything that looks like a link: a scheme, "www.", or a bare domain with a path or a
# common top-level domain (brightsmile.example.com/book).
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>()\"']+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|co|us|info|biz|health|dental|dentist|care|app|"
    r"link|ly|me|example)(?:/[^\s<>()\"']*)?"
)
_TRAILING = ".,;:!?)]}'\""


def links_in(text: str) -> list[str]:
    return [m.group(0).rstrip(_TRAILING) for m in _LINK.finditer(text or "")]


def strip_links(text: str, *, allowed: tuple[str, ...] = ()) -> str:
    """Remove every link but the allowed ones (the campaign's booking link)."""

    def replace(match: re.Match) -> str:
        link = match.group(0)
        core = link.rstrip(_TRAILING)
        if core in allowed:
            return link
        return "our booking page" + link[len(core) :] if "book" in core.lower() else ""

    cleaned = _LINK.sub(replace, text or "")
    cleaned = re.sub(r"\(\s*\)", "", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return re.sub(r"\s+([.,;:!?])", r"\1", cleaned).strip()


def cap(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a sentence (or word) boundary."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0].rstrip(",;:") + "…"


def valid_action(action: str) -> str:
    """The decision is one of the five actions, or it is nothing the agent may act on."""
    if action not in Action.values:
        raise ValueError(f"{action!r} is not one of the five actions")
    return action


_NUMBER = re.compile(r"\$?\d[\d,]*(?:\.\d+)?%?")


def grounded(answer: str, source: str) -> bool:
    """Every price, number and percentage in `answer` appears in `source`: an answer never
    states a figure the knowledge-base article does not."""
    normalized = source.replace("\u2013", "-").replace("\u2014", "-")
    for figure in _NUMBER.findall(answer.replace("\u2013", "-")):
        bare = figure.lstrip("$").rstrip("%").rstrip(",.")
        if bare and bare not in normalized:
            return False
    return True
