"""The columns of the campaign list's and a conversation's CSV exports (dentalai.exports)."""

from campaigns.schemas import sender

CAMPAIGN_COLUMNS = [
    ("Campaign id", lambda c: c.pk),
    ("Patient", lambda c: c.patient.name),
    ("Email", lambda c: c.patient.email),
    ("Phone", lambda c: c.patient.phone),
    ("Type", lambda c: c.get_campaign_type_display()),
    ("Status", lambda c: c.get_status_display()),
    ("Channel", lambda c: c.get_channel_type_display()),
    ("Attempts", lambda c: c.attempts_made),
    ("Next attempt", lambda c: c.next_attempt_at),
    ("Handoff reason", lambda c: c.get_handoff_reason_display()),
    ("Recall due", lambda c: c.recall_due_date),
    ("Started", lambda c: c.created_at),
    ("Last activity", lambda c: c.updated_at),
]

CONVERSATION_COLUMNS = [
    ("Time", lambda i: i.timestamp),
    ("From", sender),
    ("Staff member", lambda i: i.author.name if i.author else ""),
    ("Channel", lambda i: i.get_channel_type_display()),
    ("Delivery", lambda i: i.delivery_status),
    ("Message", lambda i: i.content),
]
