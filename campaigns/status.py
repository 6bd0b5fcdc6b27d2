"""The campaign status machine (SPEC §3.2): the allowed transitions as data, one function to
apply them. Every status change in the product goes through `campaign_transition` (or, for a
conditional bulk update, through `status_fields` after `check_transition`)."""

from django.utils import timezone

from campaigns.choices import CampaignStatus as S
from dentalai.errors import Conflict

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
    S.BOOKING_INITIATED: frozenset(
        {S.RE_ENGAGED, S.HANDOFF_REQUIRED, S.BOOKING_COMPLETED, *_CLOSE}
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


def status_fields(target: str) -> dict:
    """The fields a status change writes: `is_active` always follows the status."""
    return {"status": target, "is_active": is_active_status(target)}


def campaign_transition(campaign, target: str, *, save: bool = True):
    """Move `campaign` to `target` or raise IllegalTransition naming both statuses."""
    check_transition(campaign.status, target)
    for field, value in status_fields(target).items():
        setattr(campaign, field, value)
    if save:
        campaign.save(update_fields=["status", "is_active", "updated_at"])
    return campaign


def campaign_update_if_status(campaign, fields: dict, *, now=None) -> bool:
    """Write `fields` only while the campaign still has the status it was read with: a
    conditional update, since no row lock can be relied on (SPEC §3.5). `campaign` is updated
    in place; returns whether this call made the change."""
    fields = {**fields, "updated_at": now or timezone.now()}
    changed = type(campaign).objects.filter(pk=campaign.pk, status=campaign.status).update(**fields)
    if changed:
        for name, value in fields.items():
            setattr(campaign, name, value)
    return bool(changed)


def campaign_move(campaign, target: str, *, now=None, **fields) -> bool:
    """`campaign_transition` for concurrent writers: IllegalTransition when the machine forbids
    the move; otherwise True when this call moved it, False when someone changed it first."""
    check_transition(campaign.status, target)
    return campaign_update_if_status(campaign, {**status_fields(target), **fields}, now=now)
