"""Reading what patients send: a raw email (RFC 822, as Gmail's `format=raw` gives it) down to
the sender, the thread headers and the patient's own words — the plain text without the quoted
earlier message or the signature (mail-parser-reply finds those)."""

import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import cast

from mailparser_reply import EmailReplyParser

from dentalai.choices import Channel
from dentalai.untrusted import without_control

# Longest patient text kept: a reply longer than this is cut (the rest is usually quoted mail).
TEXT_LIMIT = 10_000


@dataclass(frozen=True)
class InboundMessage:
    """A patient message from any channel, ready for matching and the agent."""

    channel: str
    thread_id: str  # Gmail thread id, or E.164 (whatsapp:+… for WhatsApp)
    text: str
    external_id: str  # the provider's message id: de-duplication
    sender: str = ""  # email address or E.164, for matching an unknown thread to a patient
    opt_out_type: str = ""  # Twilio's OptOutType: STOP, START or HELP

    def __post_init__(self):
        # Whatever the channel carried, what is stored has no control characters.
        for name in ("thread_id", "text", "external_id", "sender", "opt_out_type"):
            object.__setattr__(self, name, without_control(getattr(self, name)))


@dataclass(frozen=True)
class ParsedEmail:
    from_address: str
    from_name: str
    to_addresses: tuple[str, ...]
    subject: str
    message_id: str  # the Message-ID header
    in_reply_to: str
    references: str
    full_text: str  # the whole plain-text body
    text: str  # the patient's own words


def email_parse(raw: bytes) -> ParsedEmail:
    # The default policy makes an EmailMessage (get_body, get_content).
    message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
    name, address = parseaddr(str(message.get("From", "")))
    recipients = getaddresses([str(v) for v in message.get_all("To", [])])
    full_text = email_plain_text(message)
    return ParsedEmail(
        from_address=address.strip().lower(),
        from_name=name.strip(),
        to_addresses=tuple(a.strip().lower() for _, a in recipients if a),
        subject=str(message.get("Subject", "")).strip(),
        message_id=str(message.get("Message-ID", "")).strip(),
        in_reply_to=str(message.get("In-Reply-To", "")).strip(),
        references=" ".join(str(message.get("References", "")).split()),
        full_text=full_text,
        text=reply_text(full_text, sender_name=name),
    )


def email_plain_text(message: EmailMessage) -> str:
    """The text/plain body (the first that is not an attachment); failing that, the HTML body
    reduced to text."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return _content(part)
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(_content(part))
    return ""


def _content(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", errors="replace")
    return text if isinstance(text, str) else text.decode("utf-8", errors="replace")


_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote)\s*>|<br\s*/?>", re.I)
_QUOTE_BLOCK = re.compile(
    r"<blockquote[^>]*>.*?</blockquote>|<div[^>]*class=\"?gmail_quote[^>]*>.*", re.I | re.S
)
_TAG = re.compile(r"<[^>]+>")
_INVISIBLE = re.compile(r"<(script|style|head)[^>]*>.*?</\1\s*>", re.I | re.S)


def html_to_text(markup: str) -> str:
    """Good enough for a reply written in an HTML-only mail client: quoted blocks dropped,
    blocks become lines, tags removed, entities decoded."""
    markup = _INVISIBLE.sub("", markup)
    markup = _QUOTE_BLOCK.sub("", markup)
    markup = _BLOCK_END.sub("\n", markup)
    text = html.unescape(_TAG.sub("", markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def reply_text(text: str, *, sender_name: str = "") -> str:
    """The newest part of an email body: without the quoted earlier message (`strip_quoted`)
    and without the signature (the sign-offs mail-parser-reply knows, or a last short block
    that starts with the sender's name)."""
    return _without_name_block(_without_sign_off(strip_quoted(text)), sender_name)[:TEXT_LIMIT]


def _without_sign_off(text: str) -> str:
    try:
        replies = EmailReplyParser(languages=["en"]).read(text).replies
    except Exception:  # a parser failure must not lose the message
        return text
    return (replies[0].body if replies else "").strip() or text


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


def _without_name_block(text: str, sender_name: str) -> str:
    """Drop a closing signature block: after a blank line, at most five short lines, the first
    made of the sender's own name ("James Okafor" / "Okafor, James")."""
    names = {w for w in re.findall(r"\w+", sender_name.lower()) if len(w) > 1}
    head, sep, block = text.rpartition("\n\n")
    if not (sep and head.strip() and names):
        return text
    lines = [line for line in block.split("\n") if line.strip()]
    first = set(re.findall(r"\w+", lines[0].lower())) if lines else set()
    if len(lines) <= 5 and all(len(line) <= 60 for line in lines) and first and first <= names:
        return head.strip()
    return text


def inbound_from_twilio(params: dict[str, str]) -> InboundMessage:
    """Twilio's inbound-message form post (MessageSid, From, Body, OptOutType…)."""
    sender = params.get("From", "").strip()
    channel = Channel.WHATSAPP if sender.startswith("whatsapp:") else Channel.SMS
    return InboundMessage(
        channel=channel,
        thread_id=sender,
        text=params.get("Body", "")[:TEXT_LIMIT],
        external_id=params.get("MessageSid", "") or params.get("SmsMessageSid", ""),
        sender=sender,
        opt_out_type=params.get("OptOutType", "").strip().upper(),
    )
