"""The words staff read for a campaign's statuses and for the changes between them: one label
per status (the model's choices), and each button or choice that changes it named after the
status it leads to, so the button, the dropdown and the badge agree."""

from agent.choices import Action
from campaigns.choices import CampaignStatus as S
from campaigns.choices import HandoffReason

ACTION_LABELS = {
    S.RE_ENGAGED: "Hand back to the AI",
    S.HANDOFF_REQUIRED: "Take over from the AI",
    S.BOOKING_INITIATED: "Mark booking in progress",
    S.BOOKING_COMPLETED: "Mark booked",
    S.RECOVERED: "Mark visit completed",
    S.RECOVERY_FAILED: "Close: no reply",
    S.RECOVERY_DECLINED: "Close: declined",
    S.MANUAL_FOLLOWUP_COMPLETE: "Close: handled by staff",
}
REOPEN_LABEL = "Re-open and hand to the AI"


def action_label(target: str, *, campaign_open: bool = True) -> str:
    """What the change to `target` is called; handing a closed campaign back re-opens it."""
    if target == S.RE_ENGAGED and not campaign_open:
        return REOPEN_LABEL
    return ACTION_LABELS.get(target, S(target).label)


# What the AI read in a reply (Interaction.ai_analysis["intent"]), in words; a handoff's reason
# reads as its label, anything else (an OpenAI-compatible model's own word) as written.
INTENT_WORDS = {
    "booking_request": "wants to book",
    "question": "asks a question",
    "declined": "declines",
    "opt_out": "wants no more messages",
    "opt_in": "wants messages again",
    "confirm_visit": "confirms the visit",
    "move_visit": "wants to move the visit",
    "cancel_visit": "cancels the visit",
    "awaiting_staff": "waiting for staff: the AI did not reply",
    "no_reply": "needs no reply",
    "unknown": "unclear",
}


def analysis_words(analysis: dict) -> list[str]:
    """A reply's analysis as short phrases: what it says, its tone, how sure the AI was and
    what it did."""
    words = []
    if intent := analysis.get("intent"):
        try:
            read = HandoffReason(intent).label.lower()
        except ValueError:
            read = INTENT_WORDS.get(intent, str(intent).replace("_", " "))
        words.append(f"Read as: {read}")
    if sentiment := analysis.get("sentiment"):
        words.append(f"Tone: {str(sentiment).lower()}")
    confidence = analysis.get("confidence")
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        words.append(f"{round(100 * confidence)}% sure")
    if action := analysis.get("action"):
        try:
            words.append(f"Did: {Action(action).label.lower()}")
        except ValueError:
            words.append(f"Did: {str(action).replace('_', ' ').lower()}")
    return words
