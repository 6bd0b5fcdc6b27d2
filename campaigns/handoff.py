"""A conversation handed to a person: the fields a handoff writes through the status door, for
the agent's decisions and for whatever could not be processed (messaging.events)."""

import datetime as dt

from campaigns.choices import CampaignStatus, HandoffReason
from campaigns.models import Campaign
from campaigns.status import campaign_move, can_transition


def handoff_fields(reason: str, summary: str, now: dt.datetime) -> dict:
    """The campaign fields a handoff writes (through the status door): the reason and time as
    columns, for the queue to sort and filter, and the staff summary for display."""
    return {
        "handoff_reason": reason,
        "handoff_requested_at": now,
        "handoff_details": {"summary": summary, "reason": reason, "requested_at": now.isoformat()},
    }


def campaign_hand_off(campaign: Campaign, *, reason: str, summary: str, now: dt.datetime) -> bool:
    """HANDOFF_REQUIRED with `reason` when the campaign's status allows it. True when moved."""
    if not can_transition(campaign.status, CampaignStatus.HANDOFF_REQUIRED):
        return False
    fields = handoff_fields(reason, summary, now)
    return campaign_move(campaign, CampaignStatus.HANDOFF_REQUIRED, now=now, **fields)


# The handoff queue's order: what cannot wait comes first, then the longest waiting.
URGENT = {
    HandoffReason.PAIN_OR_EMERGENCY: ("Emergency", 0),
    HandoffReason.COMPLAINT: ("Complaint", 1),
}


def handoff_urgency(reason: str) -> int:
    """0 for a possible emergency, 1 for a complaint, 2 for everything else."""
    return URGENT[reason][1] if reason in URGENT else len(URGENT)


def handoff_badge(reason: str) -> str:
    """The word the queue shows on an urgent handoff, "" on the others."""
    return URGENT[reason][0] if reason in URGENT else ""
