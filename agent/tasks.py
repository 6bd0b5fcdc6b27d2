"""The agent's django-q2 jobs: the daily trigger, the due follow-ups and contacting a new lead.
They take plain values (dates as ISO strings), load fresh state through the services and are
safe to run twice: the trigger's inserts are refused by unique constraints when the campaigns
exist, and each send is claimed with a conditional update. Scheduled runs are recorded as
JobRuns for staff."""

import datetime as dt

from django.conf import settings

from agent.services import agent_run_due_followups, agent_run_proactive, daily_trigger_run
from dentalai.clinic_time import clinic_today
from dentalai.jobs import job_run
from dentalai.schedules import is_daily_trigger_moment, parse_intended

DAILY_TRIGGER = "daily_trigger"
DUE_FOLLOWUPS = "due_followups"


def run_daily_trigger(
    date: str | None = None, at: str | None = None, intended: str | None = None
) -> dict:
    """The daily trigger for clinic-local `date` (default: today). From the schedule it gets
    `at` (the configured clinic time) and `intended` (when django-q2 meant to run it): the
    schedule fires at every UTC time the clinic's `at` can fall on across DST, and only the
    one that is `at` on the clinic's wall clock that day does the work."""
    today = dt.date.fromisoformat(date) if date else None
    if intended and at:
        moment = parse_intended(intended)
        if not is_daily_trigger_moment(moment, dt.time.fromisoformat(at)):
            # The schedule's other UTC time: the one `at` takes in the other half of the year.
            return {"skipped": f"not {at} on the clinic's clock"}
        today = today or clinic_today(moment)
    with job_run(DAILY_TRIGGER) as run:
        run.counts = daily_trigger_run(today=today).as_counts()
    return run.counts


def run_due_followups(limit: int | None = None) -> dict:
    """One proactive pass over the campaigns whose next attempt is due (the same function as
    `manage.py agent_followups`): send, defer to the window, or close at max attempts."""
    limit = limit or settings.FOLLOWUP_BATCH_SIZE
    with job_run(DUE_FOLLOWUPS) as run:
        outcomes = agent_run_due_followups(limit=limit)
        run.counts = {
            "sent": outcomes.get("sent", 0),
            "deferred": outcomes.get("deferred", 0),
            "failed": outcomes.get("send_failed", 0) + outcomes.get("error", 0),
            "marked_failed": outcomes.get("max_attempts", 0),
            "outcomes": dict(sorted(outcomes.items())),
        }
    return run.counts


def task_contact_now(campaign_id: str) -> str:
    """A new recovery lead is contacted at once (inside the send window), not at the next
    daily run."""
    return agent_run_proactive(campaign_id=campaign_id).outcome
