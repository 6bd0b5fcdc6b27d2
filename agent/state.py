"""The state the agent graph passes from node to node."""

import datetime as dt
from typing import Any, Literal, TypedDict

Trigger = Literal["proactive", "reactive"]


class AgentState(TypedDict, total=False):
    # Input
    trigger: Trigger
    campaign_id: str
    text: str  # the patient's message (reactive)
    external_id: str  # the provider's message id, for de-duplication (reactive)
    channel: str  # the channel it came on, when not the campaign's own (reactive)
    now: dt.datetime
    # Loaded
    campaign: Any  # campaigns.models.Campaign
    patient: Any  # patients.models.Patient
    history: list  # earlier Interactions, oldest first
    incoming: Any  # the recorded incoming Interaction
    visit: Any  # the upcoming Appointment the reply answers (its confirmation or reminder)
    # Decided
    decision: Any  # agent.brains.Decision
    route: str  # the branch the last router chose
    defer_until: dt.datetime  # when a deferred follow-up becomes due
    # What to send, and what must still hold when it is sent
    message_kind: str
    message_text: str
    expected_status: str  # the campaign's status the send requires
    # Result
    outcome: str  # what happened, for the caller and the logs (no patient data)
    sent: Any  # the outgoing Interaction, when one was recorded
