"""Patients on the dashboard (SPEC §8): the front desk adds and edits a patient, the model's
checks shown by field in sentences; opts one out of every message or back in with a reason;
every change audited and listed on the patient's page."""

import pytest
from django.urls import reverse

from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign
from dentalai.choices import Channel
from dentalai.models import AuditEntry
from patients.models import Patient

pytestmark = pytest.mark.django_db

NEW = reverse("dashboard:patient_new")


@pytest.fixture
def staff(client, front_desk):
    client.force_login(front_desk)
    return client


def form(**fields) -> dict:
    base = {
        "name": "Ada Okafor",
        "email": "Ada.Okafor@Example.com",
        "phone": "(212) 555-0143",
        "texts_allowed": "on",
        "preferred_channel": "sms",
        "patient_type": "EXISTING",
        "next_follow_up_date": "2027-01-15",
        "next_recommended_follow_up": "Cleaning",
        "external_id": "",
    }
    return {**base, **fields}


def test_the_front_desk_adds_a_patient_and_sees_the_change_recorded(staff, front_desk):
    response = staff.post(NEW, form())

    ada = Patient.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "dashboard:patient", args=[ada.pk]
    )
    assert (ada.email, ada.phone, ada.preferred_channels) == (
        "ada.okafor@example.com",
        "+12125550143",
        ["sms"],
    )
    assert str(ada.next_follow_up_date) == "2027-01-15" and ada.texts_allowed
    entry = AuditEntry.objects.get(action="patient_create")
    assert entry.actor == front_desk and entry.object_id == ada.pk
    page = staff.get(response.url).content.decode()
    assert "Bob Desk: added the patient" in page


def test_editing_a_patient_records_which_fields_changed_not_their_values(staff):
    staff.post(NEW, form())
    ada = Patient.objects.get()

    response = staff.post(
        reverse("dashboard:patient_edit", args=[ada.pk]),
        form(phone="+44 20 7946 0958", texts_allowed=""),
    )

    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.phone == "+442079460958" and not ada.texts_allowed
    entry = AuditEntry.objects.get(action="patient_change")
    assert entry.details == {"fields": ["phone", "texts_allowed"], "texts_allowed": False}
    assert "+44" not in str(entry.details)
    page = staff.get(response.url).content.decode()
    assert "changed the phone, consent to text messages" in page
    assert "not agreed" in page
    # Saving the same values again changes nothing and records nothing.
    staff.post(
        reverse("dashboard:patient_edit", args=[ada.pk]),
        form(phone="+442079460958", texts_allowed=""),
    )
    assert AuditEntry.objects.filter(action="patient_change").count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " "}, "Enter the patient&#x27;s name."),
        ({"email": "", "phone": ""}, "Enter the patient&#x27;s email or mobile phone (or both)."),
        ({"phone": "12"}, "Not a valid phone number."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
    ],
)
def test_a_bad_field_is_refused_with_a_sentence_and_nothing_is_stored(staff, fields, message):
    response = staff.post(NEW, form(**fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_a_contact_another_patient_has_is_refused_in_words(staff):
    Patient.objects.create(name="Someone Else", email="ada.okafor@example.com")

    response = staff.post(NEW, form())

    assert response.status_code == 400
    body = response.content.decode()
    assert "Another patient on file has this email address." in body
    assert "patient_email_unique" not in body
    assert Patient.objects.count() == 1


def test_staff_opt_a_patient_out_with_a_reason_and_back_in(staff, front_desk):
    ada = Patient.objects.create(name="Ada Okafor", email="ada@example.com")
    campaign = Campaign.objects.create(
        patient=ada,
        campaign_type=CampaignType.RECALL,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.ATTEMPTING_RECOVERY,
    )
    url = reverse("dashboard:patient_messages", args=[ada.pk])

    refused = staff.post(url, {"allowed": "0", "reason": ""})
    assert refused.status_code == 400
    assert "Say why (for example: asked on the phone)." in refused.content.decode()
    assert not Patient.objects.get().opted_out_at

    staff.post(url, {"allowed": "0", "reason": "Asked on the phone to stop all messages"})

    ada.refresh_from_db()
    assert ada.opted_out_at is not None
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.RECOVERY_DECLINED
    entry = AuditEntry.objects.get(action="patient_opt_out")
    assert entry.actor == front_desk
    assert entry.details == {"reason": "Asked on the phone to stop all messages"}

    staff.post(url, {"allowed": "1", "reason": "Wrote in to say she wants reminders again"})

    assert Patient.objects.get().opted_out_at is None
    page = staff.get(reverse("dashboard:patient", args=[ada.pk])).content.decode()
    assert "opted them out of messages: “Asked on the phone to stop all messages”" in page
    assert "opted them back in to messages: “Wrote in to say she wants reminders again”" in page
