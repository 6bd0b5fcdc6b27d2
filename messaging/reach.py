"""Which channels can carry a message to a patient right now, and in plain words why the others
cannot — what the reply box shows staff before they send, and what the staff reply checks.
Also how long a message each channel takes: a reply is refused when it is longer, never cut."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format

from dentalai.choices import Channel
from dentalai.clinic_time import clinic_zone
from messaging.services import WHATSAPP_WINDOW, whatsapp_last_message, whatsapp_template_sid
from patients.models import Patient

# Twilio takes an SMS body of up to 1,600 characters (sent as up to 10 segments) and a WhatsApp
# one of up to 4,096; an email body has no such limit, this one keeps a paste sensible.
LIMITS = {Channel.SMS: 1600, Channel.WHATSAPP: 4096, Channel.EMAIL: 20000}
GSM_7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
GSM_7_DOUBLE = frozenset("^{}\\[~]|€")  # each takes two of a segment's characters


@dataclass(frozen=True)
class Reach:
    channel: str
    label: str
    usable: bool
    why_not: str
    limit: int


def channels_reach(patient: Patient, kind: str, *, now: dt.datetime | None = None) -> list[Reach]:
    """Each channel, in the order email, SMS, WhatsApp, with whether a message of `kind` can go
    to the patient on it now and, when not, why."""
    now = now or timezone.now()
    first = patient.first_name or "The patient"
    texts = ""
    if not patient.phone:
        texts = "No mobile phone on file."
    elif not patient.texts_allowed:
        texts = f"{first} has not agreed to text messages."
    reasons = {
        Channel.EMAIL: "" if patient.email else "No email address on file.",
        Channel.SMS: texts,
        Channel.WHATSAPP: texts or _whatsapp_closed(patient, kind, now),
    }
    return [
        Reach(channel, Channel(channel).label, not why, why, LIMITS[channel])
        for channel, why in reasons.items()
    ]


def _whatsapp_closed(patient: Patient, kind: str, now: dt.datetime) -> str:
    """Why WhatsApp cannot take free text now: the 24-hour window is closed and no approved
    template is set up for this kind of message. "" when it can."""
    last = whatsapp_last_message(patient)
    if (last is not None and now - last < WHATSAPP_WINDOW) or whatsapp_template_sid(kind):
        return ""
    when = (
        f"the last was {date_format(last.astimezone(clinic_zone()), 'M j, H:i')}"
        if last
        else "they have not written on WhatsApp yet"
    )
    return (
        "WhatsApp takes a message only within 24 hours of the patient's own WhatsApp message "
        f"({when}), unless an approved template is set up for it."
    )


def sms_segments(text: str) -> int:
    """How many SMS segments `text` is sent as: 160 characters in one (153 each when split) in
    the GSM alphabet, 70 (67) when any character is outside it (an emoji, most accents)."""
    if all(c in GSM_7 for c in text):
        size = sum(2 if c in GSM_7_DOUBLE else 1 for c in text)
        single, part = 160, 153
    else:
        size = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    if size <= single:
        return 1
    return -(-size // part)


def too_long(text: str, channel: str) -> str:
    """The sentence refusing `text` on `channel` when it is longer than the channel takes, ""
    when it fits."""
    limit = LIMITS[channel]
    if len(text) <= limit:
        return ""
    return (
        f"The message is {len(text):,} characters; {Channel(channel).label} takes at most "
        f"{limit:,}. Shorten it{' or send it by email' if channel != Channel.EMAIL else ''}: "
        "nothing was sent."
    )
