"""django-q2 tasks: they take ids, load fresh state and call a service; safe to run twice."""

from agent.services import agent_handle_reply, agent_run_due_followups, agent_run_proactive


def task_handle_reply(campaign_id: str, text: str, external_id: str = "") -> str:
    return agent_handle_reply(campaign_id=campaign_id, text=text, external_id=external_id).outcome


def task_contact_now(campaign_id: str) -> str:
    """A new recovery lead is contacted at once (inside the send window), not at the next
    daily run."""
    return agent_run_proactive(campaign_id=campaign_id).outcome


def task_due_followups() -> dict[str, int]:
    return agent_run_due_followups()
