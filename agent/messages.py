"""What the agent says: first outreach and follow-ups (recovery and recall), booking link,
answer + booking link, handoff notice, polite close, opt-out and re-subscribe confirmations.

SMS and WhatsApp messages stay within 320 characters (two SMS segments); emails end with the
clinic's postal address and a signed unsubscribe link (CAN-SPAM). Only the booking link and
that unsubscribe link ever appear.
"""

from dataclasses import dataclass

from django.conf import settings

from agent.safety import cap, strip_links
from campaigns.choices import VISIT_KINDS, CampaignType, MessageKind
from dentalai.choices import Channel

# The kinds the agent writes (a staff reply and a patient's message are written by people).
COMPOSED_KINDS = tuple(
    k for k in MessageKind if k not in {MessageKind.STAFF, MessageKind.REPLY, *VISIT_KINDS}
)
SMS_LIMIT = 320
EMAIL_LIMIT = 2000
_INQUIRY_LIMIT = 80


@dataclass(frozen=True)
class MessageContext:
    channel: str
    campaign_type: str
    first_name: str
    procedure: str = ""  # what the campaign is about, as it may be named to the patient
    link: str = ""  # the campaign's signed booking link
    answer: str = ""  # knowledge-base answer (ANSWER_QUESTION)
    attempt: int = 0  # 0 = first outreach
    max_attempts: int = 3
    unsubscribe_url: str = ""
    urgent: bool = False  # pain or swelling: add where to go meanwhile
    visit_when: str = ""  # the visit a reply to its reminder is about ("Tuesday, March 4 at…")
    visit_confirmed: bool = False  # VISIT_REPLY: the reply confirmed it (else: the link to move)


def procedure_for(campaign) -> str:
    """How to name what the campaign is about: the lead's inquiry (recovery), or the visit
    that is due (recall)."""
    patient = campaign.patient
    if campaign.campaign_type == CampaignType.RECOVERY:
        inquiry = " ".join((patient.initial_inquiry or "").split()).rstrip(".")
        if len(inquiry) > _INQUIRY_LIMIT:
            inquiry = inquiry[: _INQUIRY_LIMIT - 1].rsplit(" ", 1)[0] + "…"
        return inquiry
    due = patient.next_recommended_follow_up
    if not due:
        latest = patient.treatments.exclude(next_recommended_follow_up="").first()
        due = latest.next_recommended_follow_up if latest else ""
    return due or "your next checkup"


def _hello(ctx: MessageContext) -> str:
    return f"Hi {ctx.first_name}," if ctx.first_name else "Hi,"


def _outreach(ctx: MessageContext, clinic: str) -> str:
    last = ctx.attempt + 1 >= ctx.max_attempts
    hello = _hello(ctx)
    if ctx.campaign_type == CampaignType.RECALL:
        due = ctx.procedure or "your next checkup"
        if ctx.attempt == 0:
            return (
                f"{hello} this is {clinic}. Our records show you're due for {due}. "
                "Reply YES and we'll send you a link to pick a time that suits you."
            )
        if last:
            return (
                f"{hello} one last reminder from {clinic} that you're due for {due}. Reply "
                "whenever you're ready and we'll help you book."
            )
        return (
            f"{hello} a friendly reminder from {clinic}: it's time for {due}. Reply here and "
            "we'll send you a booking link."
        )
    about = f"your inquiry (\u201c{ctx.procedure}\u201d)" if ctx.procedure else "your inquiry"
    if ctx.attempt == 0:
        return (
            f"{hello} this is {clinic}, following up on {about}. Are you still interested? "
            "We're happy to answer questions or send you a link to book."
        )
    if last:
        return (
            f"{hello} a last check-in from {clinic} about {about}. If you're still thinking "
            "about it, reply any time and we'll pick it up from there."
        )
    return (
        f"{hello} {clinic} again about {about}. Happy to answer questions about cost, "
        "insurance or timing, or to send you a link with our open times."
    )


def compose(kind: str, ctx: MessageContext) -> str:
    """The message text for `kind`, fitted to the channel."""
    clinic = settings.CLINIC_NAME
    hello = _hello(ctx)
    link = ctx.link
    body: str
    if kind in (MessageKind.OUTREACH, MessageKind.FOLLOW_UP):
        body = _outreach(ctx, clinic)
        if ctx.channel != Channel.EMAIL:
            body += " Reply STOP to opt out."
    elif kind == MessageKind.BOOKING_LINK:
        body = (
            f"Great, {ctx.first_name}! Here's your link to pick a time: {link} It shows our "
            "open times."
            if ctx.first_name
            else f"Great! Here's your link to pick a time: {link} It shows our open times."
        )
    elif kind == MessageKind.ANSWER:
        tail = f" Whenever you're ready, you can pick a time here: {link}"
        answer = strip_links(ctx.answer)
        limit = (SMS_LIMIT if ctx.channel != Channel.EMAIL else EMAIL_LIMIT) - len(tail)
        body = cap(answer, limit) + tail
    elif kind == MessageKind.HANDOFF_NOTICE:
        body = (
            f"Thanks, {ctx.first_name}. I've passed your message to our team at {clinic}, and a "
            "staff member will get back to you shortly."
            if ctx.first_name
            else f"Thanks. I've passed your message to our team at {clinic}, and a staff member "
            "will get back to you shortly."
        )
        if ctx.urgent:
            body += (
                " If you have severe pain or swelling, or trouble breathing or swallowing, call "
                "911 or go to the nearest emergency room."
            )
    elif kind == MessageKind.CLOSE:
        name = f", {ctx.first_name}" if ctx.first_name else ""
        body = (
            f"Understood{name}, and thanks for letting us know. If you ever need us, {clinic} "
            "is here to help."
        )
    elif kind == MessageKind.OPT_OUT_CONFIRMATION:
        if ctx.channel == Channel.EMAIL:
            body = (
                f"You've been unsubscribed from {clinic} messages. We won't contact you again "
                "unless you ask us to."
            )
        else:
            body = (
                f"You're unsubscribed from {clinic} messages and won't receive any more. "
                "Reply START to resubscribe."
            )
    elif kind == MessageKind.VISIT_REPLY:
        name = f", {ctx.first_name}" if ctx.first_name else ""
        when = ctx.visit_when or "your visit"
        if ctx.visit_confirmed:
            body = f"Thanks{name}, you're confirmed for {when}. See you then!"
        else:
            body = (
                f"No problem{name}. Pick another time here: {link} Your current time ({when}) "
                "stays yours until you choose a new one."
            )
    elif kind == MessageKind.OPT_IN_CONFIRMATION:
        body = f"You're subscribed to {clinic} messages again. Reply STOP at any time to opt out."
    else:
        raise ValueError(f"unknown message kind {kind!r}")

    allowed = (link,) if link else ()
    body = strip_links(body, allowed=allowed)
    if ctx.channel == Channel.EMAIL:
        return _email(body, ctx, hello if kind in _GREETED else "")
    return cap(body, SMS_LIMIT)


_GREETED = frozenset({MessageKind.ANSWER})


def _email(body: str, ctx: MessageContext, greeting: str) -> str:
    text = cap(body, EMAIL_LIMIT)
    if greeting:
        text = f"{greeting}\n\n{text}"
    signature = f"The {settings.CLINIC_NAME} team"
    footer = [f"{settings.CLINIC_NAME}, {settings.CLINIC_POSTAL_ADDRESS}"]
    if ctx.unsubscribe_url:
        footer.append(f"To stop receiving these emails, unsubscribe: {ctx.unsubscribe_url}")
    return f"{text}\n\n{signature}\n\n--\n" + "\n".join(footer)
