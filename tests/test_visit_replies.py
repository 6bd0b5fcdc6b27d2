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
from dentalai.choices import Channel
from messaging.choices import WebhookStatus
from messaging.inbound import InboundMessage
from messaging.replies import inbound_handle
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


# --- A patient with no campaign (booked at the front desk or on the booking page) -------------


@pytest.fixture
def reminded_walk_in(manager, clinic, paula, q_sync, django_capture_on_commit_callbacks):
    """Paula, who has no campaign, booked at the front desk and reminded 48 hours before."""
    with django_capture_on_commit_callbacks(execute=True):
        visit = book(manager, clinic, paula, "2025-08-20 09:00")
    with time_machine.travel(local("2025-08-18 09:00"), tick=False):
        assert visit_reminders_send()["sent"] == 1
    assert not Campaign.objects.exists()
    return visit


def email_in(text: str, callbacks, message_id: str = "gmail-1"):
    """Paula's email, as the Gmail sync hands it over: a new thread, matched by her address."""
    inbound = InboundMessage(
        channel=Channel.EMAIL,
        thread_id="thread-from-paula",
        text=text,
        external_id=message_id,
        sender="Paula@Example.com",
    )
    with time_machine.travel(local("2025-08-18 10:00"), tick=False), callbacks(execute=True):
        return inbound_handle(inbound)


def test_a_patient_without_a_campaign_confirms_by_reply(
    reminded_walk_in, django_capture_on_commit_callbacks
):
    status, _ = email_in("Yes, see you Wednesday!", django_capture_on_commit_callbacks)

    assert status == WebhookStatus.PROCESSED
    reminded_walk_in.refresh_from_db()
    assert reminded_walk_in.status == "confirmed"
    (reply,) = Interaction.objects.filter(patient=reminded_walk_in.patient, direction="incoming")
    assert reply.campaign is None and reply.handled_at is not None
    assert reply.ai_analysis["action"] == "CONFIRM_VISIT"
    message = last_reply(reminded_walk_in)
    assert message.kind == MessageKind.VISIT_REPLY
    assert "you're confirmed for Wednesday, August 20 at 9:00 AM" in message.content
    # The same email delivered again changes nothing and sends nothing more.
    assert email_in("Yes, see you Wednesday!", django_capture_on_commit_callbacks)[0] == (
        WebhookStatus.PROCESSED
    )
    assert Interaction.objects.filter(kind=MessageKind.VISIT_REPLY).count() == 1


def test_a_patient_without_a_campaign_gets_the_visit_link_to_move_it(
    reminded_walk_in, django_capture_on_commit_callbacks
):
    status, _ = email_in("can we do Thursday instead?", django_capture_on_commit_callbacks)

    assert status == WebhookStatus.PROCESSED
    reminded_walk_in.refresh_from_db()
    assert reminded_walk_in.status == "booked"
    token = re.search(r"/book/visit/([^/\s]+)/", last_reply(reminded_walk_in).content)[1]
    assert visit_token_appointment_id(token) == reminded_walk_in.pk


def test_a_patient_without_a_campaign_cancels_by_reply(
    reminded_walk_in, django_capture_on_commit_callbacks
):
    status, _ = email_in("cancel please", django_capture_on_commit_callbacks)

    assert status == WebhookStatus.PROCESSED
    reminded_walk_in.refresh_from_db()
    assert (reminded_walk_in.status, reminded_walk_in.cancelled_by) == ("cancelled", "agent")
    assert last_reply(reminded_walk_in).kind == MessageKind.VISIT_CANCELLED


def test_anything_else_from_a_patient_without_a_campaign_is_kept_for_staff(
    reminded_walk_in, client, manager, django_capture_on_commit_callbacks
):
    status, note = email_in(
        "My husband wants to know whether his X-rays came through from his old dentist.",
        django_capture_on_commit_callbacks,
    )

    assert status == WebhookStatus.UNMATCHED and "kept for staff" in note
    reminded_walk_in.refresh_from_db()
    assert reminded_walk_in.status == "booked"
    (reply,) = Interaction.objects.filter(patient=reminded_walk_in.patient, direction="incoming")
    assert reply.campaign is None  # recorded on the patient, where staff find it
    assert last_reply(reminded_walk_in).kind == MessageKind.REMINDER  # nothing sent
    client.force_login(manager)
    page = client.get(f"/patients/{reminded_walk_in.patient_id}/").content.decode()
    assert "Messages outside campaigns" in page
    assert "whether his X-rays came through" in page and "Clinic · Visit reminder" in page


def test_a_message_that_answers_no_visit_message_is_unmatched_and_not_recorded(
    paula, django_capture_on_commit_callbacks
):
    status, _ = email_in("yes", django_capture_on_commit_callbacks)

    assert status == WebhookStatus.UNMATCHED
    assert not Interaction.objects.exists()


def test_a_bare_cancel_from_a_patient_without_a_campaign_is_still_a_stop(
    reminded_walk_in, django_capture_on_commit_callbacks
):
    status, note = email_in("CANCEL", django_capture_on_commit_callbacks)

    assert status == WebhookStatus.UNMATCHED and "opt-out was applied" in note
    reminded_walk_in.patient.refresh_from_db()
    assert reminded_walk_in.patient.is_opted_out
