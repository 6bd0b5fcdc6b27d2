"""Replies to a visit's reminder are read by the agent in that context (SPEC §10): a yes confirms
the visit, another time gets the visit's own link, an unambiguous cancel cancels it (its
cancellation notice is the answer), and an opt-out still wins — "CANCEL" alone is the carrier's
keyword. Anything else is read as any reply."""

import io
import json
import re

import pytest
import time_machine
from django.core.management import call_command

from agent.services import agent_handle_reply
from appointments.models import Appointment
from appointments.visit_links import visit_token_appointment_id
from campaigns.choices import CampaignStatus, MessageKind
from campaigns.models import Campaign, Interaction
from messaging.visits import visit_reminders_send
from tests.agent_fixtures import DEV_KB, agent_environment, booking_links, kb
from tests.scheduler_fixtures import q_sync
from tests.test_api_appointments import book, frozen, local, make_campaign, paula

__all__ = ["agent_environment", "booking_links", "frozen", "kb", "paula", "q_sync"]

pytestmark = pytest.mark.usefixtures("kb")


@pytest.fixture
def reminded(manager, clinic, paula, q_sync, django_capture_on_commit_callbacks):
    """Paula's cleaning on Wednesday Aug 20 at 9:00, booked and reminded 48 hours before."""
    make_campaign(paula)
    with django_capture_on_commit_callbacks(execute=True):
        visit = book(manager, clinic, paula, "2025-08-20 09:00")
    with time_machine.travel(local("2025-08-18 09:00"), tick=False):
        assert visit_reminders_send()["sent"] == 1
    return visit


def answer(visit, text: str, callbacks):
    campaign = Campaign.objects.get(pk=visit.campaign_id)
    with time_machine.travel(local("2025-08-18 10:00"), tick=False), callbacks(execute=True):
        run = agent_handle_reply(campaign_id=campaign.pk, text=text)
    visit.refresh_from_db()
    campaign.refresh_from_db()
    return run, campaign


def last_reply(visit) -> Interaction:
    return Interaction.objects.filter(patient=visit.patient, direction="outgoing").latest(
        "timestamp", "id"
    )


@pytest.mark.parametrize("text", ["C", "👍", "yes see you then", "sounds good"])
def test_a_yes_confirms_the_visit(reminded, text, django_capture_on_commit_callbacks):
    run, campaign = answer(reminded, text, django_capture_on_commit_callbacks)

    assert run.action == "CONFIRM_VISIT"
    assert reminded.status == "confirmed" and reminded.confirmed_at is not None
    message = last_reply(reminded)
    assert message.kind == MessageKind.VISIT_REPLY
    assert "you're confirmed for Wednesday, August 20 at 9:00 AM" in message.content
    assert campaign.status == CampaignStatus.BOOKING_INITIATED  # still booked, no booking link
    assert campaign.engagement_summary == "Confirmed the visit in a reply."


def test_another_time_gets_the_visits_own_link(reminded, django_capture_on_commit_callbacks):
    run, campaign = answer(
        reminded, "can we do Thursday instead?", django_capture_on_commit_callbacks
    )

    assert run.action == "MOVE_VISIT"
    assert reminded.status == "booked"  # kept until the patient picks a new time
    message = last_reply(reminded)
    token = re.search(r"/book/visit/([^/\s]+)/", message.content)[1]
    assert visit_token_appointment_id(token) == reminded.pk  # the visit's own page
    assert "Your current time (Wednesday, August 20 at 9:00 AM) stays yours" in message.content
    assert campaign.status == CampaignStatus.BOOKING_INITIATED


def test_cancel_please_cancels_the_visit_and_says_so(reminded, django_capture_on_commit_callbacks):
    run, campaign = answer(reminded, "cancel please", django_capture_on_commit_callbacks)

    assert run.action == "CANCEL_VISIT"
    assert (reminded.status, reminded.cancelled_by) == ("cancelled", "agent")
    notice = last_reply(reminded)
    assert notice.kind == MessageKind.VISIT_CANCELLED
    assert "is cancelled" in notice.content
    assert campaign.status == CampaignStatus.RE_ENGAGED  # the conversation goes on
    assert not reminded.patient.is_opted_out


@pytest.mark.parametrize("text", ["STOP", "CANCEL", "cancel it and stop texting me"])
def test_an_opt_out_still_wins(reminded, text, django_capture_on_commit_callbacks):
    run, _ = answer(reminded, text, django_capture_on_commit_callbacks)

    assert run.action == "OPT_OUT"
    reminded.patient.refresh_from_db()
    assert reminded.patient.is_opted_out
    assert last_reply(reminded).kind == MessageKind.OPT_OUT_CONFIRMATION
    with time_machine.travel(local("2025-08-20 07:30"), tick=False):  # 2 h before: no reminder
        visit_reminders_send()
    assert Interaction.objects.filter(kind=MessageKind.REMINDER).count() == 1


def test_a_question_is_answered_as_any_reply(reminded, django_capture_on_commit_callbacks):
    run, _ = answer(reminded, "running 15 minutes late, sorry!", django_capture_on_commit_callbacks)

    assert run.action == "HANDOFF"
    assert Appointment.objects.get(pk=reminded.pk).status == "booked"


def test_agent_eval_reads_cases_in_their_reminder_context(tmp_path):
    cases = tmp_path / "cases.jsonl"
    rows = [
        ("yep we'll be there", "CONFIRM_VISIT"),
        ("need a different day, something came up", "MOVE_VISIT"),
        ("STOP", "OPT_OUT"),
    ]
    cases.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": str(n),
                    "context": "reminder",
                    "outreach": "A reminder of your Cleaning: Tuesday at 9:00 AM. Reply C.",
                    "reply": reply,
                    "action": action,
                }
            )
            for n, (reply, action) in enumerate(rows)
        )
    )
    out = io.StringIO()

    call_command("agent_eval", cases=str(cases), kb=str(DEV_KB), stdout=out)

    report = out.getvalue()
    assert "CONFIRM_VISIT" in report and "MOVE_VISIT" in report
    assert report.strip().splitlines()[-1] == "accuracy=1.000 n=3"
