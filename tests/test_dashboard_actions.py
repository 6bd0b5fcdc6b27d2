"""What staff do on the dashboard changes the database through the services (with an audit
entry), and every form rejects bad input with a message."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agent.models import KnowledgeArticle
from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment
from campaigns import services
from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from dentalai.clinic_time import clinic_zone
from dentalai.models import AuditEntry
from messaging.models import OutboxMessage
from patients.choices import PatientType
from patients.models import Patient
from tests.concurrency import before_query, statement


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def handoff_campaign(email="maria@example.com", channel=Channel.EMAIL) -> Campaign:
    patient = Patient.objects.create(name="Maria Garcia", email=email, phone="+12125550123")
    return Campaign.objects.create(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        channel_type=channel,
        status=CampaignStatus.HANDOFF_REQUIRED,
        handoff_reason="billing",
        handoff_requested_at=timezone.now() - dt.timedelta(hours=3),
        handoff_details={
            "summary": "Asks about payment plans.",
            "reason": "billing",
            "requested_at": (timezone.now() - dt.timedelta(hours=3)).isoformat(),
        },
    )


def audited(action: str, actor) -> bool:
    return AuditEntry.objects.filter(action=action, actor=actor).exists()


# --- Campaigns ------------------------------------------------------------------------------


def test_a_reply_is_sent_through_the_channel_and_hands_back_to_the_ai(staff, manager):
    campaign = handoff_campaign()

    response = staff.post(
        f"/campaigns/{campaign.pk}/reply/",
        {"message": "We offer 12-month plans.", "new_status": "RE_ENGAGED"},
        follow=True,
    )

    assert "Response sent successfully." in response.text
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED
    reply = Interaction.objects.get(campaign=campaign)
    assert (reply.author, reply.delivery_status) == (manager, DeliveryStatus.SENT)
    assert OutboxMessage.objects.get(interaction=reply).to == "maria@example.com"
    assert audited("campaign_respond", manager)
    assert "Alice Manager (staff)" in response.text


def test_a_reply_must_have_words(staff):
    campaign = handoff_campaign()

    response = staff.post(f"/campaigns/{campaign.pk}/reply/", {"message": "   "})

    assert response.status_code == 400
    assert "Write a message before sending." in response.text
    assert not Interaction.objects.exists()


def test_a_reply_longer_than_its_channel_takes_is_refused_with_its_count_never_cut(staff):
    campaign = handoff_campaign(channel=Channel.SMS)
    long = "Dear Maria, " + "we have looked into your bill and " * 220  # a pasted letter

    response = staff.post(f"/campaigns/{campaign.pk}/reply/", {"message": long, "channel": "sms"})

    assert response.status_code == 400
    assert (
        f"The message is {len(long.strip()):,} characters; SMS takes at most 1,600. Shorten it "
        "or send it by email: nothing was sent."
    ) in response.text
    assert not Interaction.objects.exists()
    # The box keeps every word typed, and email takes it whole.
    assert long.strip()[-40:] in response.text
    sent = staff.post(f"/campaigns/{campaign.pk}/reply/", {"message": long, "channel": "email"})
    assert sent.status_code == 302
    assert Interaction.objects.get().content == long.strip()
    assert OutboxMessage.objects.get().channel == Channel.EMAIL


def test_the_reply_box_says_why_the_conversations_channel_cannot_take_a_reply(staff):
    # A WhatsApp conversation whose patient has not written for two days, no template set up.
    campaign = handoff_campaign(channel=Channel.WHATSAPP)
    Interaction.objects.create(
        patient=campaign.patient,
        campaign=campaign,
        direction=Direction.INCOMING,
        channel_type=Channel.WHATSAPP,
        content="Thanks",
        timestamp=timezone.now() - dt.timedelta(days=2),
    )

    page = staff.get(f"/campaigns/{campaign.pk}/").text

    assert "This conversation is on WhatsApp, which cannot take your reply now" in page
    assert "takes a message only within 24 hours of the patient" in page
    assert re.search(r'value="sms"[^>]*checked', page)  # SMS offered instead, chosen
    assert "TWILIO" not in page
    response = staff.post(
        f"/campaigns/{campaign.pk}/reply/", {"message": "Hi Maria", "channel": "whatsapp"}
    )
    assert response.status_code == 400
    assert "That channel cannot carry a message to the patient now" in response.text
    assert (
        staff.post(
            f"/campaigns/{campaign.pk}/reply/", {"message": "Hi Maria", "channel": "sms"}
        ).status_code
        == 302
    )
    sent = Interaction.objects.get(direction=Direction.OUTGOING)
    assert (sent.channel_type, sent.delivery_status) == (Channel.SMS, "sent")


def test_a_reply_refuses_a_status_the_machine_does_not_allow(staff):
    campaign = handoff_campaign()

    response = staff.post(
        f"/campaigns/{campaign.pk}/reply/", {"message": "Hi", "new_status": "RECOVERY_FAILED"}
    )

    assert response.status_code == 400
    assert "That status change is not allowed from the current status." in response.text
    assert "RECOVERY_FAILED" not in response.text.split("<form")[0]
    assert not Interaction.objects.exists()


def test_a_reply_to_an_opted_out_patient_is_refused_with_the_reason(staff):
    campaign = handoff_campaign()
    Patient.objects.filter(pk=campaign.patient_id).update(opted_out_at=timezone.now())

    page = staff.get(f"/campaigns/{campaign.pk}/")
    assert "opted out of messages" in page.text
    response = staff.post(f"/campaigns/{campaign.pk}/reply/", {"message": "Hello?"})

    assert response.status_code == 400
    assert "opted out of messages. Nothing was sent." in response.text
    assert not OutboxMessage.objects.exists()


def test_a_status_action_goes_through_the_status_machine(staff, manager):
    campaign = handoff_campaign()

    response = staff.post(
        f"/campaigns/{campaign.pk}/status/", {"status": "MANUAL_FOLLOWUP_COMPLETE"}, follow=True
    )

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.MANUAL_FOLLOWUP_COMPLETE
    assert "Now “Closed: handled by staff”." in response.text
    assert audited("campaign_set_status", manager)


def test_an_illegal_status_action_is_refused_with_a_message(staff):
    campaign = handoff_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RECOVERED)

    response = staff.post(
        f"/campaigns/{campaign.pk}/status/", {"status": "RE_ENGAGED"}, follow=True
    )

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RECOVERED
    assert "That status change is not allowed from the current status." in response.text


def test_a_status_change_lost_to_a_concurrent_one_says_so(staff, manager, front_desk):
    campaign = handoff_campaign()

    def front_desk_closes_it():
        services.campaign_set_status(
            actor=front_desk,
            campaign=Campaign.objects.get(pk=campaign.pk),
            status=CampaignStatus.MANUAL_FOLLOWUP_COMPLETE,
        )

    # Bob closes the campaign after Alice's request read it, just before her change is written.
    writing_the_status = statement("UPDATE", Campaign, mentioning="status")
    with before_query(writing_the_status, front_desk_closes_it) as other:
        response = staff.post(
            f"/campaigns/{campaign.pk}/status/", {"status": "RE_ENGAGED"}, follow=True
        )

    assert other.fired
    assert services.CHANGED_MEANWHILE in response.text
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.MANUAL_FOLLOWUP_COMPLETE
    assert audited("campaign_set_status", front_desk)
    assert not audited("campaign_set_status", manager)


def test_the_handoff_queue_shows_the_wait_reason_and_summary(staff):
    campaign = handoff_campaign()

    response = staff.get("/handoffs/")

    assert "Billing or insurance account question" in response.text
    assert "Asks about payment plans." in response.text
    assert "waiting 3 h 00 min" in response.text or "waiting 2 h 59 min" in response.text
    assert f"/campaigns/{campaign.pk}/" in response.text


# --- Appointments -----------------------------------------------------------------------------


def next_weekday(hour: int) -> dt.datetime:
    """A weekday at least two days ahead at `hour` clinic time."""
    day = timezone.now().astimezone(clinic_zone()).date() + dt.timedelta(days=2)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clinic_zone())


def test_staff_book_a_new_patient_in_a_free_slot(staff, manager, clinic):
    start = next_weekday(10)

    response = staff.post(
        "/appointments/new/",
        {
            "service": clinic["cleaning"].pk,
            "provider": clinic["hygienist"].pk,
            "date": start.date().isoformat(),
            "time": "10:00",
            "name": "Paul Walker",
            "email": "PAUL@example.com",
            "phone": "",
            "preferred_channel": "email",
        },
        follow=True,
    )

    appointment = Appointment.objects.get()
    assert appointment.appointment_date == start
    assert appointment.provider == clinic["hygienist"]
    assert appointment.created_from == CreatedFrom.MANUAL_ADMIN
    assert appointment.patient.email == "paul@example.com"
    assert appointment.patient.patient_type == PatientType.EXISTING
    assert "Booked Cleaning for Paul Walker" in response.text
    assert audited("appointment_create_manual", manager)


def test_staff_booking_finds_the_patient_on_file_and_books_their_campaign(staff, clinic):
    campaign = handoff_campaign()
    start = next_weekday(11)

    staff.post(
        "/appointments/new/",
        {
            "service": clinic["cleaning"].pk,
            "date": start.date().isoformat(),
            "time": "11:00",
            "name": "M. Garcia",
            "phone": "(212) 555-0123",
        },
    )

    appointment = Appointment.objects.get()
    assert appointment.patient == campaign.patient
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.BOOKING_INITIATED
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "", "phone": ""}, "Enter the patient&#x27;s email or phone number (or both)."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"phone": "12"}, "Not a valid phone number."),
        ({"name": "  "}, "Enter the patient&#x27;s name."),
        ({"date": "tomorrow"}, "Enter a valid date."),
        ({"time": "10:07"}, "Choose one of the times offered (on the quarter hour)."),
        ({"duration_minutes": "600"}, "less than or equal to 480"),
        ({"service": "nope"}, "Select a valid choice."),
    ],
)
def test_the_booking_form_rejects_bad_input(staff, clinic, changes, message):
    start = next_weekday(10)
    data = {
        "service": clinic["cleaning"].pk,
        "date": start.date().isoformat(),
        "time": "10:00",
        "name": "Paul Walker",
        "email": "paul@example.com",
    } | changes

    response = staff.post("/appointments/new/", data)

    assert response.status_code == 400
    assert message in response.text
    assert not Appointment.objects.exists()


def test_the_booking_form_shows_the_services_refusals(staff, clinic):
    start = next_weekday(10)
    data = {
        "service": clinic["cleaning"].pk,
        "provider": clinic["hygienist"].pk,
        "date": start.date().isoformat(),
        "time": "10:00",
        "name": "Paul Walker",
        "email": "paul@example.com",
    }
    staff.post("/appointments/new/", data)

    taken = staff.post("/appointments/new/", data | {"email": "other@example.com"})
    assert taken.status_code == 400
    assert "That time is no longer available" in taken.text

    past = staff.post(
        "/appointments/new/",
        data | {"date": (start.date() - dt.timedelta(days=30)).isoformat(), "email": "x@y.com"},
    )
    assert "That time has already passed." in past.text

    closed = staff.post("/appointments/new/", data | {"time": "20:00", "email": "z@y.com"})
    assert "not free for that whole time" in closed.text
    assert Appointment.objects.count() == 1


def test_the_booking_form_is_prefilled_from_the_patient_and_the_calendar(staff, clinic):
    patient = Patient.objects.create(name="Ann Lee", email="ann@example.com")

    response = staff.get(
        f"/appointments/new/?patient={patient.pk}&date=2030-01-07&time=09:30"
        f"&provider={clinic['dentist'].pk}"
    )

    form = response.context["form"]
    assert form.initial["name"] == "Ann Lee"
    assert form.initial["email"] == "ann@example.com"
    assert form.initial["time"] == "09:30"
    assert 'value="2030-01-07"' in response.text


def booked(clinic, campaign=None) -> Appointment:
    patient = campaign.patient if campaign else Patient.objects.create(name="Tom", email="t@x.com")
    return Appointment.objects.create(
        patient=patient,
        campaign=campaign,
        service=clinic["cleaning"],
        provider=clinic["dentist"],
        appointment_date=next_weekday(9),
        duration_minutes=60,
        created_from=CreatedFrom.MANUAL_ADMIN,
    )


def test_completing_sets_the_next_follow_up_and_recovers_the_campaign(staff, manager, clinic):
    campaign = handoff_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.BOOKING_INITIATED)
    appointment = booked(clinic, campaign)
    follow_up = timezone.now().date() + dt.timedelta(days=180)

    response = staff.post(
        f"/appointments/{appointment.pk}/complete/",
        {"next_follow_up_date": follow_up.isoformat()},
        follow=True,
    )

    assert "Marked completed." in response.text
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RECOVERED
    campaign.patient.refresh_from_db()
    assert campaign.patient.next_follow_up_date == follow_up
    assert audited("appointment_complete", manager)


def test_completing_rejects_a_bad_or_past_follow_up_date(staff, clinic):
    appointment = booked(clinic)

    bad = staff.post(f"/appointments/{appointment.pk}/complete/", {"next_follow_up_date": "x"})
    past = staff.post(
        f"/appointments/{appointment.pk}/complete/", {"next_follow_up_date": "2001-01-01"}
    )

    assert bad.status_code == 400
    assert "Enter a valid date." in bad.text
    assert past.status_code == 400
    assert "The next follow-up date has already passed." in past.text
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_cancelling_frees_the_time_and_cannot_happen_twice(staff, manager, clinic):
    appointment = booked(clinic)

    reason = {"reason": "The patient called", "tell_patient": "on"}
    first = staff.post(f"/appointments/{appointment.pk}/cancel/", reason, follow=True)
    second = staff.post(f"/appointments/{appointment.pk}/cancel/", reason, follow=True)

    assert "Appointment cancelled; the time is free again and the patient is told." in first.text
    assert "This appointment is already cancelled." in second.text
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert audited("appointment_cancel", manager)


def test_the_calendar_ignores_a_bad_date_and_shows_today(staff, clinic):
    response = staff.get("/appointments/", {"date": "not-a-date", "view": "month"})

    assert response.status_code == 200
    assert response.context["view"] == "day"
    assert response.context["day"] == timezone.now().astimezone(clinic_zone()).date()


# --- Knowledge base -----------------------------------------------------------------------


def test_an_article_is_created_and_edited_with_an_audit_entry(staff, manager):
    staff.post("/knowledge/new/", {"title": "Parking", "body": "Free parking behind the clinic."})
    article = KnowledgeArticle.objects.get(title="Parking")

    response = staff.post(
        f"/knowledge/{article.pk}/",
        {"title": "Parking", "body": "Free parking on Elm Street."},
        follow=True,
    )

    article.refresh_from_db()
    assert article.body == "Free parking on Elm Street."
    assert "Saved “Parking”" in response.text
    assert audited("kb_article_create", manager)
    assert audited("kb_article_change", manager)


def test_the_article_form_rejects_empty_and_duplicate_titles(staff):
    KnowledgeArticle.objects.create(title="Parking", body="Behind the clinic.")

    empty = staff.post("/knowledge/new/", {"title": " ", "body": " "})
    duplicate = staff.post("/knowledge/new/", {"title": "Parking", "body": "Again."})

    assert empty.status_code == 400
    assert "This field is required." in empty.text or "Give the article a title." in empty.text
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.text
    assert KnowledgeArticle.objects.count() == 1


def test_a_markdown_file_imports_articles_through_the_agents_importer(staff, manager):
    KnowledgeArticle.objects.create(title="Hours", body="Old hours.")
    upload = SimpleUploadedFile(
        "kb.md",
        b"# Bright Smile\n\n## Hours\nMon-Fri 8-6.\n\n## Insurance\nWe take Delta Dental.\n",
        content_type="text/markdown",
    )

    response = staff.post("/knowledge/import/", {"file": upload}, follow=True)

    assert "Imported 2 articles for Bright Smile: 1 new, 1 updated, 0 unchanged." in response.text
    assert KnowledgeArticle.objects.get(title="Hours").body == "Mon-Fri 8-6."
    assert AuditEntry.objects.filter(action="kb_import", actor=manager).count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, no sections", "No &#x27;## Title&#x27; sections found"),
        (b"## A\none\n## A\ntwo\n", "Duplicate article titles: A"),
        ("## Café\n".encode("latin-1") + b"x\n", "The file is not UTF-8 text"),
    ],
)
def test_the_import_rejects_files_that_are_not_a_knowledge_base(staff, content, message):
    upload = SimpleUploadedFile("kb.md", content, content_type="text/markdown")

    response = staff.post("/knowledge/import/", {"file": upload})

    assert response.status_code == 400
    assert message in response.text
    assert not KnowledgeArticle.objects.exists()


def test_the_import_needs_a_file(staff):
    response = staff.post("/knowledge/import/", {})

    assert response.status_code == 400
    assert "This field is required." in response.text


# --- Demo data ------------------------------------------------------------------------------


def test_the_outbox_filters_by_channel(staff, demo_clinic):
    OutboxMessage.objects.create(channel="sms", to="+12125550123", body="Hello by SMS")
    OutboxMessage.objects.create(channel="email", to="a@b.com", subject="Hi", body="Hello mail")

    response = staff.get("/outbox/", {"channel": "sms"})

    assert "Hello by SMS" in response.text
    assert "Hello mail" not in response.text
