"""The handoff queue as staff work it (SPEC §8): urgent first with a badge, then the longest
waiting; a conversation assigned to someone ("Mine"), who is told by email when a colleague
assigns it; internal notes the patient never sees."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.choices import CampaignStatus, CampaignType, HandoffReason
from campaigns.models import Campaign, CampaignNote, Interaction
from dentalai.choices import Channel, Role
from dentalai.models import AuditEntry
from messaging.models import OutboxMessage
from patients.models import Patient
from tests.conftest import make_user
from tests.scheduler_fixtures import q_sync

__all__ = ["q_sync"]  # fixture, used by name

pytestmark = pytest.mark.django_db

QUEUE = reverse("dashboard:handoffs")


def waiting(name: str, reason: str, minutes: int, **fields) -> Campaign:
    patient = Patient.objects.create(name=name, email=f"{name.split()[0].lower()}@example.com")
    return Campaign.objects.create(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.HANDOFF_REQUIRED,
        handoff_reason=reason,
        handoff_requested_at=timezone.now() - dt.timedelta(minutes=minutes),
        handoff_details={"summary": f"{name} needs a person."},
        **fields,
    )


@pytest.fixture
def staff(client, front_desk):
    client.force_login(front_desk)
    return client


def names_in_order(body: str, names: list[str]) -> list[str]:
    return sorted(names, key=body.index)


def test_an_emergency_comes_first_then_a_complaint_then_the_longest_waiting(staff):
    waiting("Priya Price", HandoffReason.BILLING, minutes=180)
    waiting("Carl Complaint", HandoffReason.COMPLAINT, minutes=60)
    waiting("Sam Swelling", HandoffReason.PAIN_OR_EMERGENCY, minutes=5)
    waiting("Hana Human", HandoffReason.HUMAN_REQUESTED, minutes=240)

    body = staff.get(QUEUE).content.decode()

    order = names_in_order(body, ["Priya Price", "Carl Complaint", "Sam Swelling", "Hana Human"])
    assert order == ["Sam Swelling", "Carl Complaint", "Hana Human", "Priya Price"]
    assert 'class="badge bad urgency">Emergency</span>' in body
    assert 'class="badge warn urgency">Complaint</span>' in body
    # Reasons in words, never the stored code.
    assert "Pain or a possible emergency" in body and "pain_or_emergency" not in body
    home = staff.get(reverse("home")).content.decode()
    assert names_in_order(home, ["Sam Swelling", "Priya Price"])[0] == "Sam Swelling"


def test_taking_a_conversation_from_the_queue_makes_it_mine(staff, front_desk):
    mine = waiting("Ada Lee", HandoffReason.HUMAN_REQUESTED, minutes=10)
    waiting("Ben Ode", HandoffReason.BILLING, minutes=20)

    response = staff.post(
        reverse("dashboard:campaign_assign", args=[mine.pk]),
        {"assignee": front_desk.pk, "next": QUEUE},
    )

    assert response.status_code == 302 and response.url == QUEUE
    assert Campaign.objects.get(pk=mine.pk).assigned_to == front_desk
    page = staff.get(QUEUE + "?mine=1").content.decode()
    assert "Ada Lee" in page and "Ben Ode" not in page and "Mine (1)" in page
    assert "Assigned to you" in page
    entry = AuditEntry.objects.get(action="campaign_assign")
    assert entry.actor == front_desk and entry.object_id == mine.pk
    assert not OutboxMessage.objects.exists()  # nobody to tell: I took it myself


@pytest.mark.usefixtures("q_sync")
def test_a_colleague_assigned_a_conversation_is_told_by_email(
    staff, front_desk, django_capture_on_commit_callbacks
):
    dana = make_user("dana@clinic.example", "Dr Dana Park", Role.DENTIST)
    campaign = waiting("Sam Swelling", HandoffReason.PAIN_OR_EMERGENCY, minutes=5)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("dashboard:campaign_assign", args=[campaign.pk]), {"assignee": dana.pk}
        )

    assert response.status_code == 302
    alert = OutboxMessage.objects.get()
    assert alert.to == "dana@clinic.example"
    assert alert.subject.endswith("Bob Desk assigned you a conversation")
    assert "Sam (Pain or a possible emergency)" in alert.body
    assert reverse("dashboard:campaign", args=[campaign.pk]) in alert.body
    assert "needs a person" not in alert.body  # the summary stays in the app
    page = staff.get(reverse("dashboard:campaign", args=[campaign.pk])).content.decode()
    assert f'<option value="{dana.pk}" selected>Dr Dana Park</option>' in page


def test_a_deactivated_account_cannot_be_given_a_conversation(staff):
    gone = make_user("gone@clinic.example", "Former Colleague", Role.HYGIENIST, is_active=False)
    campaign = waiting("Ada Lee", HandoffReason.HUMAN_REQUESTED, minutes=10)

    response = staff.post(
        reverse("dashboard:campaign_assign", args=[campaign.pk]), {"assignee": gone.pk}, follow=True
    )

    assert "Choose someone on the staff, or nobody." in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).assigned_to is None


def test_an_internal_note_is_shown_to_staff_and_never_sent(staff, front_desk):
    campaign = waiting("Ada Lee", HandoffReason.BILLING, minutes=10)
    url = reverse("dashboard:campaign_note", args=[campaign.pk])

    response = staff.post(url, {"body": "Called her back, insurer is checking the claim."})

    assert response.status_code == 302
    page = staff.get(reverse("dashboard:campaign", args=[campaign.pk])).content.decode()
    assert "Called her back, insurer is checking the claim." in page
    note = CampaignNote.objects.get()
    assert note.author == front_desk and note.campaign == campaign
    assert not Interaction.objects.exists() and not OutboxMessage.objects.exists()
    assert AuditEntry.objects.filter(action="campaign_note_add").count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write the note first."),
        ("x" * 2001, "A note can be at most 2000 characters (it has 2001)."),
    ],
)
def test_an_empty_or_overlong_note_is_refused_with_a_sentence(staff, body, message):
    campaign = waiting("Ada Lee", HandoffReason.BILLING, minutes=10)

    response = staff.post(reverse("dashboard:campaign_note", args=[campaign.pk]), {"body": body})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CampaignNote.objects.exists()
