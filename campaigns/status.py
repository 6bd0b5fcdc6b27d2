"""The campaign status machine (SPEC §3.2): the allowed transitions as data, and the one door
every status change goes through, `campaign_move` — the API, the dashboard, the admin, the
agent, opt-out and bookings all call it; tests/test_one_door.py keeps it the only writer."""

from django.dispatch import Signal
from django.utils import timezone

from campaigns.choices import CampaignStatus as S
from dentalai.audit import audit_record
from dentalai.errors import Conflict
from dentalai.models import User

# Sent with campaign= once a move to HANDOFF_REQUIRED is stored (messaging.outgoing tells the
# clinic's systems).
campaign_handed_off = Signal()

ACTIVE_STATUSES = frozenset(
    {S.ATTEMPTING_RECOVERY, S.RE_ENGAGED, S.HANDOFF_REQUIRED, S.BOOKING_INITIATED}
)
CLOSED_STATUSES = frozenset(S) - ACTIVE_STATUSES

# Every active status may be closed by staff (MANUAL_FOLLOWUP_COMPLETE), by the patient
# (RECOVERY_DECLINED, which opt-out also leads to) or by a completed appointment (RECOVERED).
_CLOSE = {S.RECOVERED, S.RECOVERY_DECLINED, S.MANUAL_FOLLOWUP_COMPLETE}

TRANSITIONS: dict[S, frozenset[S]] = {
    # Outreach in progress: the patient replies, staff take over or book, or it runs out.
    S.ATTEMPTING_RECOVERY: frozenset(
        {S.RE_ENGAGED, S.HANDOFF_REQUIRED, S.BOOKING_INITIATED, S.RECOVERY_FAILED, *_CLOSE}
    ),
    S.RE_ENGAGED: frozenset({S.HANDOFF_REQUIRED, S.BOOKING_INITIATED, *_CLOSE}),
    # A person owns it; "hand back to AI" returns it to RE_ENGAGED.
    S.HANDOFF_REQUIRED: frozenset({S.RE_ENGAGED, S.BOOKING_INITIATED, *_CLOSE}),
    # Booked: completed, confirmed by staff, or the conversation goes on (a new reply, a cancel).
    # A missed visit (no-show) sends it back to outreach, under the usual caps.
    S.BOOKING_INITIATED: frozenset(
        {S.RE_ENGAGED, S.HANDOFF_REQUIRED, S.BOOKING_COMPLETED, S.ATTEMPTING_RECOVERY, *_CLOSE}
    ),
    # Closed: a patient reply re-opens any of these as RE_ENGAGED, except RECOVERED.
    S.RECOVERED: frozenset(),
    S.RECOVERY_FAILED: frozenset({S.RE_ENGAGED}),
    S.RECOVERY_DECLINED: frozenset({S.RE_ENGAGED}),
    S.MANUAL_FOLLOWUP_COMPLETE: frozenset({S.RE_ENGAGED}),
    S.BOOKING_COMPLETED: frozenset({S.RE_ENGAGED, S.RECOVERED}),
}


class IllegalTransition(Conflict):
    """A status change the machine does not allow; the API answers it with 409."""

    def __init__(self, current: str, target: str):
        self.current, self.target = current, target
        super().__init__(f"A campaign cannot go from {current} to {target}.")


def is_active_status(status: str) -> bool:
    return status in ACTIVE_STATUSES


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)


def campaign_move(campaign, target: str, *, actor: User | None = None, now=None, **fields) -> bool:
    """Move `campaign` to `target`, with `fields` written in the same update.

    IllegalTransition when the machine forbids the move. The update is conditional on the
    status the campaign was read with (no row lock can be relied on, SPEC §3.5): True when this
    call moved it, False when someone changed it first. `campaign` is updated in place. A
    person's move (`actor`) is audited as campaign_set_status. A handoff records when it was
    asked for (the queue waits from then) unless the caller says."""
    check_transition(campaign.status, target)
    previous = campaign.status
    if target == S.HANDOFF_REQUIRED:
        fields.setdefault("handoff_requested_at", now or timezone.now())
    moved = _update_if_status(
        campaign, {**fields, "status": target, "is_active": is_active_status(target)}, now=now
    )
    if moved and target == S.HANDOFF_REQUIRED:
        campaign_handed_off.send(sender=type(campaign), campaign=campaign)
    if moved and actor is not None:
        audit_record(
            actor=actor,
            action="campaign_set_status",
            target=campaign,
            details={"from": previous, "to": target},
        )
    return moved


def campaign_update_if_status(campaign, fields: dict, *, now=None) -> bool:
    """Write `fields` (never the status: that is `campaign_move`) only while the campaign still
    has the status it was read with. Returns whether this call made the change."""
    if {"status", "is_active"} & fields.keys():
        raise ValueError("campaign status changes go through campaign_move")
    return _update_if_status(campaign, fields, now=now)


def _update_if_status(campaign, fields: dict, *, now=None) -> bool:
    fields = {**fields, "updated_at": now or timezone.now()}
    changed = type(campaign).objects.filter(pk=campaign.pk, status=campaign.status).update(**fields)
    if changed:
        for name, value in fields.items():
            setattr(campaign, name, value)
    return bool(changed)
