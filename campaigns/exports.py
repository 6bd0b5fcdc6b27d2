"""The columns of the campaign list's and a conversation's CSV exports (dentalai.exports)."""

from campaigns.choices import CampaignStatus, CampaignType, HandoffReason
from campaigns.schemas import sender
from dentalai.choices import Channel


def _label(choices, value: str) -> str:
    return choices(value).label if value in choices.values else value


CAMPAIGN_COLUMNS = [
    ("Campaign id", lambda c: c.pk),
    ("Patient", lambda c: c.patient.name),
    ("Email", lambda c: c.patient.email),
    ("Phone", lambda c: c.patient.phone),
    ("Type", lambda c: _label(CampaignType, c.campaign_type)),
    ("Status", lambda c: _label(CampaignStatus, c.status)),
    ("Channel", lambda c: _label(Channel, c.channel_type)),
    ("Attempts", lambda c: c.attempts_made),
    ("Next attempt", lambda c: c.next_attempt_at),
    ("Handoff reason", lambda c: _label(HandoffReason, c.handoff_reason)),
    ("Recall due", lambda c: c.recall_due_date),
    ("Started", lambda c: c.created_at),
    ("Last activity", lambda c: c.updated_at),
]

CONVERSATION_COLUMNS = [
    ("Time", lambda i: i.timestamp),
    ("From", sender),
    ("Staff member", lambda i: i.author.name if i.author else ""),
    ("Channel", lambda i: _label(Channel, i.channel_type)),
    ("Delivery", lambda i: i.delivery_status),
    ("Message", lambda i: i.content),
]
