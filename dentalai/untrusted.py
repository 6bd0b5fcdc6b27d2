"""The one boundary for untrusted text (SPEC §9.1): control characters.

PostgreSQL refuses NUL in text and in JSON; the other C0 controls (and DEL) have no place in a
name, a message or an address. Newline, carriage return and tab are text. What a person or a
program sends us is refused with a 4xx when it carries them (URLs, forms, API fields: nothing
legitimate does); what a provider forwards from a patient is kept without them (a webhook's
payload is cleaned before it is stored, so the SMS is kept, minus the NUL).
"""

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REFUSED = "The request contains control characters (such as NUL), which are not allowed."


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def without_control(value):
    """`value` (text, or lists and dicts of it, as a parsed payload) without control
    characters, in keys and values alike."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    if isinstance(value, dict):
        return {without_control(k): without_control(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_control(v) for v in value]
    return value
