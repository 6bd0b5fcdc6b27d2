"""A message that could not be sent is never lost from sight (SPEC §8): the home page lists
the last two weeks' failed sends with their reason in words, and staff send one again on the
channel that can carry it now."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction, MessageKind
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from dentalai.models import AuditEntry
from messaging.models import OutboxMessage
from patients.models import Patient
from patients.optout import patient_opt_out

pytestmark = pytest.mark.django_db

NOT_SET_UP = "Not sent: WhatsApp is not set up on this server yet"


@pytest.fixture
def staff(client, front_desk):
    client.force_login(front_desk)
    return client


def failed(name="William Bell", channel=Channel.WHATSAPP, **fields) -> Interaction:
    patient = Patient.objects.create(
        name=name, email=f"{name.split()[0].lower()}@example.com", phone="+12125550123"
    )
    campaign = Campaign.objects.create(
        patient=patient,
        campaign_type=CampaignType.RECALL,
        channel_type=channel,
        status=CampaignStatus.HANDOFF_REQUIRED,
    )
    return Interaction.objects.create(
        patient=patient,
        campaign=campaign,
        direction=Direction.OUTGOING,
        kind=fields.pop("kind", MessageKind.STAFF),
        channel_type=channel,
        content="Hi William, your cleaning is due: shall we book you in?",
        delivery_status=DeliveryStatus.FAILED,
        error=f"{NOT_SET_UP}; whoever runs it finds the missing setting in its log.",
        **fields,
    )


def test_the_home_page_lists_failed_sends_and_one_goes_again_on_a_channel_that_can_carry_it(
    staff, front_desk
):
    message = failed()

    home = staff.get(reverse("home")).content.decode()
    assert "1 message could not be sent" in home and "William Bell" in home
    assert NOT_SET_UP in home

    response = staff.post(
        reverse("dashboard:message_retry", args=[message.pk]), {"next": reverse("home")}
    )

    assert response.status_code == 302 and response.url == reverse("home")
    message.refresh_from_db()
    # WhatsApp cannot carry it (he has not written there for 24 hours): it went by SMS.
    assert (message.delivery_status, message.channel_type) == (DeliveryStatus.SENT, Channel.SMS)
    assert OutboxMessage.objects.get().body == message.content
    entry = AuditEntry.objects.get(action="interaction_retry")
    assert entry.actor == front_desk and entry.details["channel"] == Channel.SMS
    assert "could not be sent" not in staff.get(reverse("home")).content.decode()


def test_a_message_sent_already_is_not_sent_twice(staff):
    message = failed()
    staff.post(reverse("dashboard:message_retry", args=[message.pk]))

    again = staff.post(reverse("dashboard:message_retry", args=[message.pk]), follow=True)

    assert "This message is not a failed one" in again.content.decode()
    assert OutboxMessage.objects.count() == 1


def test_a_patient_who_opted_out_since_is_not_listed_nor_written_to(staff):
    message = failed()
    patient_opt_out(patient=message.patient)

    assert "could not be sent" not in staff.get(reverse("home")).content.decode()
    response = staff.post(reverse("dashboard:message_retry", args=[message.pk]), follow=True)

    assert "This patient has opted out of messages. Nothing was sent." in response.content.decode()
    assert not OutboxMessage.objects.exists()
    assert Interaction.objects.get(pk=message.pk).delivery_status == DeliveryStatus.FAILED


def test_failed_sends_older_than_two_weeks_leave_the_home_page(staff):
    message = failed()
    Interaction.objects.filter(pk=message.pk).update(
        timestamp=timezone.now() - dt.timedelta(days=15)
    )

    assert "could not be sent" not in staff.get(reverse("home")).content.decode()
