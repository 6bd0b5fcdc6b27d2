import itertools

import pytest

from campaigns.choices import CampaignStatus as S
from campaigns.choices import CampaignType
from campaigns.models import Campaign
from campaigns.status import (
    IllegalTransition,
    campaign_move,
    campaign_update_if_status,
    can_transition,
)
from dentalai.choices import Channel
from dentalai.models import AuditEntry
from patients.models import Patient

# SPEC §3.2, written out pair by pair so that a change to the machine has to change this too.
ALLOWED = {
    (S.ATTEMPTING_RECOVERY, S.RE_ENGAGED),
    (S.ATTEMPTING_RECOVERY, S.HANDOFF_REQUIRED),
    (S.ATTEMPTING_RECOVERY, S.BOOKING_INITIATED),
    (S.ATTEMPTING_RECOVERY, S.RECOVERY_FAILED),
    (S.ATTEMPTING_RECOVERY, S.RECOVERED),
    (S.ATTEMPTING_RECOVERY, S.RECOVERY_DECLINED),
    (S.ATTEMPTING_RECOVERY, S.MANUAL_FOLLOWUP_COMPLETE),
    (S.RE_ENGAGED, S.HANDOFF_REQUIRED),
    (S.RE_ENGAGED, S.BOOKING_INITIATED),
    (S.RE_ENGAGED, S.RECOVERED),
    (S.RE_ENGAGED, S.RECOVERY_DECLINED),
    (S.RE_ENGAGED, S.MANUAL_FOLLOWUP_COMPLETE),
    (S.HANDOFF_REQUIRED, S.RE_ENGAGED),
    (S.HANDOFF_REQUIRED, S.BOOKING_INITIATED),
    (S.HANDOFF_REQUIRED, S.RECOVERED),
    (S.HANDOFF_REQUIRED, S.RECOVERY_DECLINED),
    (S.HANDOFF_REQUIRED, S.MANUAL_FOLLOWUP_COMPLETE),
    (S.BOOKING_INITIATED, S.RE_ENGAGED),
    (S.BOOKING_INITIATED, S.HANDOFF_REQUIRED),
    (S.BOOKING_INITIATED, S.RECOVERED),
    (S.BOOKING_INITIATED, S.RECOVERY_DECLINED),
    (S.BOOKING_INITIATED, S.MANUAL_FOLLOWUP_COMPLETE),
    (S.BOOKING_INITIATED, S.BOOKING_COMPLETED),
    (S.BOOKING_INITIATED, S.ATTEMPTING_RECOVERY),  # the visit was missed: outreach resumes
    # A patient reply re-opens a closed campaign, except a RECOVERED one.
    (S.RECOVERY_FAILED, S.RE_ENGAGED),
    (S.RECOVERY_DECLINED, S.RE_ENGAGED),
    (S.MANUAL_FOLLOWUP_COMPLETE, S.RE_ENGAGED),
    (S.BOOKING_COMPLETED, S.RE_ENGAGED),
    (S.BOOKING_COMPLETED, S.RECOVERED),
}
ACTIVE = {S.ATTEMPTING_RECOVERY, S.RE_ENGAGED, S.HANDOFF_REQUIRED, S.BOOKING_INITIATED}


@pytest.mark.parametrize("current,target", list(itertools.product(S, S)))
def test_it_allows_exactly_the_specified_transitions(current, target):
    assert can_transition(current, target) == ((current, target) in ALLOWED)


def test_a_recovered_campaign_never_changes_again():
    assert not any(can_transition(S.RECOVERED, target) for target in S)


@pytest.fixture
def campaign(db):
    patient = Patient.objects.create(name="John Doe", email="john@example.com")
    return Campaign.objects.create(
        patient=patient, campaign_type=CampaignType.RECOVERY, channel_type=Channel.SMS
    )


def test_it_applies_a_legal_transition_and_derives_is_active(campaign):
    assert campaign_move(campaign, S.RECOVERY_DECLINED)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.is_active) == (S.RECOVERY_DECLINED, False)

    assert campaign_move(campaign, S.RE_ENGAGED)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.is_active) == (S.RE_ENGAGED, True)
    assert not AuditEntry.objects.exists()  # nobody did it: the agent, a receiver


def test_a_move_by_a_person_is_audited(campaign, manager):
    assert campaign_move(campaign, S.HANDOFF_REQUIRED, actor=manager)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (
        manager,
        "campaign_set_status",
        campaign.pk,
    )
    assert entry.details == {"from": "ATTEMPTING_RECOVERY", "to": "HANDOFF_REQUIRED"}


def test_a_plain_conditional_update_cannot_change_the_status(campaign):
    with pytest.raises(ValueError, match="campaign_move"):
        campaign_update_if_status(campaign, {"status": S.RECOVERED})
    assert campaign_update_if_status(campaign, {"engagement_summary": "called back"})
    campaign.refresh_from_db()
    assert (campaign.status, campaign.engagement_summary) == (S.ATTEMPTING_RECOVERY, "called back")


def test_it_refuses_an_illegal_transition_naming_both_statuses(campaign):
    with pytest.raises(IllegalTransition) as raised:
        campaign_move(campaign, S.BOOKING_COMPLETED)
    assert "ATTEMPTING_RECOVERY" in str(raised.value)
    assert "BOOKING_COMPLETED" in str(raised.value)
    campaign.refresh_from_db()
    assert campaign.status == S.ATTEMPTING_RECOVERY


def test_is_active_follows_the_status_on_every_save(campaign):
    for status in S:
        campaign.status = status
        campaign.save()
        campaign.refresh_from_db()
        assert campaign.is_active == (status in ACTIVE)


def test_a_conditional_move_applies_while_the_status_is_unchanged(campaign):
    assert campaign_move(campaign, S.HANDOFF_REQUIRED, engagement_summary="asked about pain")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.is_active, campaign.engagement_summary) == (
        S.HANDOFF_REQUIRED,
        True,
        "asked about pain",
    )


def test_a_conditional_move_loses_to_a_change_made_meanwhile(campaign):
    stale = Campaign.objects.get(pk=campaign.pk)
    campaign_move(campaign, S.RECOVERY_DECLINED)  # another worker got there first

    assert not campaign_move(stale, S.RE_ENGAGED)
    campaign.refresh_from_db()
    assert campaign.status == S.RECOVERY_DECLINED


def test_a_conditional_move_still_obeys_the_machine(campaign):
    with pytest.raises(IllegalTransition):
        campaign_move(campaign, S.BOOKING_COMPLETED)
