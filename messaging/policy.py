"""When a message may go to a patient: a proactive one (first outreach, follow-ups) only inside
the clinic's send window (SEND_WINDOW_*), and at most 1 a day and 3 a week per patient (the
TCPA healthcare-message limits). Replies to a patient's own message and staff messages go out
at once. The sending door applies it; the agent asks it first to plan its follow-ups."""

import datetime as dt

from django.conf import settings

from campaigns.choices import PROACTIVE_KINDS, Direction, MessageKind
from campaigns.models import Interaction
from dentalai.clinic_time import clinic_today, clinic_zone, next_legal_start, start_of_clinic_day

DAILY_CAP = 1
WEEKLY_CAP = 3
WEEK = dt.timedelta(days=7)


def in_send_window(moment: dt.datetime) -> bool:
    local = moment.astimezone(clinic_zone())
    return (
        local.weekday() in settings.SEND_WINDOW_DAYS
        and settings.SEND_WINDOW_START <= local.time() < settings.SEND_WINDOW_END
    )


def next_window_start(moment: dt.datetime) -> dt.datetime:
    """`moment` itself when it is inside the window, else the next opening (in UTC)."""
    if in_send_window(moment):
        return moment
    zone = clinic_zone()
    local = moment.astimezone(zone)
    for days in range(8):
        day = local.date() + dt.timedelta(days=days)
        if day.weekday() not in settings.SEND_WINDOW_DAYS:
            continue
        # Built from the wall-clock time, so a DST change does not shift the window.
        opening = dt.datetime.combine(day, settings.SEND_WINDOW_START, tzinfo=zone)
        if opening > local:
            return opening.astimezone(dt.UTC)
    raise ValueError("the send window has no day")  # unreachable: settings require a day


def proactive_sent_since(patient_id: str, since: dt.datetime) -> list[dt.datetime]:
    """When proactive messages went to this patient (any campaign) after `since`, oldest first."""
    return list(
        Interaction.objects.filter(
            patient_id=patient_id,
            direction=Direction.OUTGOING,
            author__isnull=True,
            kind__in=list(PROACTIVE_KINDS),
            timestamp__gt=since,
        )
        .order_by("timestamp")
        .values_list("timestamp", flat=True)
    )


def cap_release(patient_id: str, moment: dt.datetime) -> dt.datetime | None:
    """None when a proactive message may go to this patient at `moment`; else the earliest
    time the daily and weekly caps allow another."""
    week = proactive_sent_since(patient_id, moment - WEEK)
    if len(week) >= WEEKLY_CAP:
        return week[len(week) - WEEKLY_CAP] + WEEK
    today = clinic_today(moment)
    today_start = start_of_clinic_day(today)
    if sum(1 for sent in week if sent >= today_start) >= DAILY_CAP:
        return start_of_clinic_day(today + dt.timedelta(days=1))
    return None


def proactive_send_time(patient_id: str, moment: dt.datetime) -> dt.datetime:
    """The earliest time from `moment` at which a proactive message may go to this patient:
    inside the window and under both caps. Equal to `moment` when it may go now."""
    when = moment
    for _ in range(16):  # each round moves forward; a few always suffice
        when = next_window_start(when)
        released = cap_release(patient_id, when)
        if released is None:
            return when
        when = max(released, when + dt.timedelta(seconds=1))
    return when


# What the clinic sends about a visit on its own initiative, not in answer to something the
# patient or staff just did: inside the legal hours, not capped.
LEGAL_HOURS_KINDS = frozenset(
    {MessageKind.REMINDER, MessageKind.MISSED_VISIT, MessageKind.SLOT_OFFER}
)


def send_time(patient_id: str, kind: str, moment: dt.datetime) -> dt.datetime:
    """When a message of `kind` may go to this patient: `moment`, unless it is proactive
    (window and caps) or a visit message of the clinic's own (the legal hours)."""
    if kind in PROACTIVE_KINDS:
        return proactive_send_time(patient_id, moment)
    if kind in LEGAL_HOURS_KINDS:
        return next_legal_start(moment)
    return moment
