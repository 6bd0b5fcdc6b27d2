"""Who on the staff owns a conversation waiting for a person. Assigning is audited and, when
someone assigns it to a colleague, `campaign_assigned` lets the messaging layer tell them
(messaging.staff_alerts)."""

from django.dispatch import Signal

from campaigns.models import Campaign
from dentalai.audit import audit_record
from dentalai.errors import ApplicationError
from dentalai.models import User

# Sent with campaign=, assignee=, actor= once the assignment is stored.
campaign_assigned = Signal()


def campaign_assign(*, campaign: Campaign, assignee: User | None, actor: User) -> bool:
    """Give the conversation to `assignee` (None: to nobody). False when it already was."""
    if assignee is not None and not assignee.is_active:
        raise ApplicationError("This staff account is deactivated: choose someone else.")
    previous = campaign.assigned_to_id
    new = assignee.pk if assignee else None
    if previous == new:
        return False
    Campaign.objects.filter(pk=campaign.pk).update(assigned_to=assignee)
    campaign.assigned_to = assignee
    audit_record(
        actor=actor,
        action="campaign_assign",
        target=campaign,
        details={"from": str(previous or ""), "to": str(new or "")},
    )
    campaign_assigned.send(sender=Campaign, campaign=campaign, assignee=assignee, actor=actor)
    return True
