import datetime as dt

import pytest
from django import forms
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agent.models import KnowledgeArticle
from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, ProviderSchedule, TimeOff
from campaigns.choices import CampaignStatus, CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.audit import audit_record
from dentalai.choices import Channel, Role
from dentalai.models import AuditEntry, User
from messaging.choices import WebhookSource
from messaging.models import GmailMailbox, WebhookEvent
from patients.choices import PatientType
from patients.models import Patient, TreatmentRecord
from tests.conftest import PASSWORD

NOW = timezone.now()

# (app_label, model_name, key in the `records` fixture)
MODELS = [
    ("dentalai", "user", "user"),
    ("dentalai", "auditentry", "audit"),
    ("admin", "logentry", "logentry"),
    ("patients", "patient", "patient"),
    ("patients", "treatmentrecord", "treatment"),
    ("campaigns", "campaign", "campaign"),
    ("campaigns", "interaction", "interaction"),
    ("appointments", "service", "service"),
    ("appointments", "providerschedule", "schedule"),
    ("appointments", "timeoff", "timeoff"),
    ("appointments", "appointment", "appointment"),
    ("agent", "knowledgearticle", "article"),
    ("messaging", "webhookevent", "webhook"),
    ("messaging", "gmailmailbox", "mailbox"),
]
# Written by the system, never by hand.
NO_ADD_PAGE = {"auditentry", "logentry", "webhookevent"}


def admin_url(app_label: str, model_name: str, view: str, *args) -> str:
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def make_patient(name: str, email: str, phone: str, **fields) -> Patient:
    return Patient.objects.create(name=name, email=email, phone=phone, **fields)


def make_campaign(patient: Patient, status=CampaignStatus.ATTEMPTING_RECOVERY, **fields):
    fields.setdefault("campaign_type", CampaignType.RECOVERY)
    fields.setdefault("channel_type", Channel.SMS)
    return Campaign.objects.create(patient=patient, status=status, **fields)


def say(campaign: Campaign, direction: str, content: str, minutes_ago: int, **fields):
    return Interaction.objects.create(
        campaign=campaign,
        direction=direction,
        content=content,
        channel_type=campaign.channel_type,
        delivery_status=DeliveryStatus.RECEIVED
        if direction == Direction.INCOMING
        else DeliveryStatus.SENT,
        timestamp=NOW - dt.timedelta(minutes=minutes_ago),
        **fields,
    )


@pytest.fixture
def records(manager, clinic):
    """One object of every model the admin shows."""
    patient = make_patient(
        "Paula Patient",
        "paula@example.com",
        "+12125551234",
        patient_type=PatientType.EXISTING,
        preferred_channels=[Channel.SMS, Channel.EMAIL],
    )
    treatment = TreatmentRecord.objects.create(
        patient=patient,
        procedure_name="Crown",
        procedure_date=dt.date(2025, 3, 1),
        next_recommended_follow_up="Check-up in 6 months",
        next_follow_up_date=dt.date(2025, 9, 1),
    )
    campaign = make_campaign(patient, campaign_type=CampaignType.RECALL)
    interaction = say(
        campaign,
        Direction.INCOMING,
        "Do you take Delta Dental?",
        minutes_ago=5,
        ai_analysis={"intent": "question", "action": "ANSWER_QUESTION", "confidence": 0.9},
        external_id="SM123",
    )
    appointment = Appointment.objects.create(
        patient=patient,
        campaign=campaign,
        provider=clinic["dentist"],
        service=clinic["cleaning"],
        appointment_date=NOW + dt.timedelta(days=3),
        duration_minutes=60,
        created_from=CreatedFrom.AI_AGENT_FORM,
    )
    timeoff = TimeOff.objects.create(
        provider=clinic["dentist"],
        start=NOW + dt.timedelta(days=10),
        end=NOW + dt.timedelta(days=12),
        reason="Conference",
    )
    article = KnowledgeArticle.objects.create(
        title="Insurance", body="We accept Delta Dental and MetLife."
    )
    webhook = WebhookEvent.objects.create(
        source=WebhookSource.GMAIL, event_id="pubsub-1", payload={"message": {"data": "e30="}}
    )
    mailbox = GmailMailbox.objects.create(
        email_address="front@clinic.example", last_history_id="1234"
    )
    audit = audit_record(actor=manager, action="campaign_set_status", target=campaign)
    logentry = LogEntry.objects.create(
        user=manager,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=patient.pk,
        object_repr=str(patient),
        action_flag=ADDITION,
        change_message='[{"added": {}}]',
    )
    return {
        "user": manager,
        "audit": audit,
        "logentry": logentry,
        "patient": patient,
        "treatment": treatment,
        "campaign": campaign,
        "interaction": interaction,
        "service": clinic["cleaning"],
        "schedule": ProviderSchedule.objects.filter(provider=clinic["dentist"]).first(),
        "timeoff": timeoff,
        "appointment": appointment,
        "article": article,
        "webhook": webhook,
        "mailbox": mailbox,
    }


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def posted_values(name: str, widget: forms.Widget, value) -> dict:
    """What a browser posts for one field shown with `widget` and holding `value`."""
    if isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget
    if isinstance(widget, forms.MultiWidget):
        data = {}
        parts = widget.decompress(value)
        for suffix, part_widget, part in zip(
            widget.widgets_names, widget.widgets, parts, strict=True
        ):
            data |= posted_values(name + suffix, part_widget, part)
        return data
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if value else {}
    if isinstance(widget, forms.SelectMultiple):
        return {name: [str(item) for item in value or []]}
    if value is None:
        return {name: ""}
    formatted = widget.format_value(value)
    if isinstance(formatted, list):
        formatted = formatted[0] if formatted else ""
    return {name: "" if formatted is None else formatted}


def change_form_data(response, **changes) -> dict:
    """The admin form on `response` as the browser would post it, with `changes` applied."""
    form_list = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        form_list += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in form_list:
        for bound in form:
            if not bound.field.disabled:
                data |= posted_values(bound.html_name, bound.field.widget, bound.value())
    return data | changes


# --- Every model has a working admin ------------------------------------------------------


@pytest.mark.parametrize(("app_label", "model_name", "key"), MODELS)
def test_every_changelist_renders_for_an_office_manager(
    manager_client, records, app_label, model_name, key
):
    response = manager_client.get(admin_url(app_label, model_name, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize(
    ("app_label", "model_name", "key"), [m for m in MODELS if m[1] not in NO_ADD_PAGE]
)
def test_every_add_page_renders_for_an_office_manager(
    manager_client, records, app_label, model_name, key
):
    response = manager_client.get(admin_url(app_label, model_name, "add"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("app_label", "model_name", "key"), [m for m in MODELS if m[1] in NO_ADD_PAGE]
)
def test_records_written_by_the_system_cannot_be_added_by_hand(
    manager_client, records, app_label, model_name, key
):
    response = manager_client.get(admin_url(app_label, model_name, "add"))
    assert response.status_code == 403


@pytest.mark.parametrize(("app_label", "model_name", "key"), MODELS)
def test_every_change_page_renders(manager_client, records, app_label, model_name, key):
    response = manager_client.get(admin_url(app_label, model_name, "change", records[key].pk))
    assert response.status_code == 200


def test_the_audit_log_is_read_only(manager_client, records):
    audit = records["audit"]
    url = admin_url("dentalai", "auditentry", "change", audit.pk)
    response = manager_client.post(url, {"action": "forged"})
    assert response.status_code == 403
    response = manager_client.post(admin_url("dentalai", "auditentry", "delete", audit.pk))
    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=audit.pk).action == "campaign_set_status"


@pytest.mark.parametrize(
    "url_name", ["campaigns_campaign", "campaigns_interaction", "appointments_appointment"]
)
def test_changelists_do_not_query_once_per_row(manager_client, records, clinic, url_name):
    url = reverse(f"admin:{url_name}_changelist")
    with CaptureQueriesContext(connection) as few:
        manager_client.get(url)
    for n in range(4):
        patient = make_patient(f"Extra {n}", f"extra{n}@example.com", f"+1212555200{n}")
        campaign = make_campaign(patient)
        say(campaign, Direction.OUTGOING, "Hello", minutes_ago=n, author=records["user"])
        Appointment.objects.create(
            patient=patient,
            campaign=campaign,
            provider=clinic["hygienist"],
            service=clinic["cleaning"],
            appointment_date=NOW + dt.timedelta(days=4 + n),
            duration_minutes=60,
            created_from=CreatedFrom.MANUAL_ADMIN,
        )
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(url)
    assert response.context["cl"].result_count == 5
    assert len(many) == len(few)


# --- Search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["paula", "PAULA@example", "555123", "(212) 555-1234"])
def test_patient_search_finds_by_name_email_or_phone(manager_client, records, term):
    make_patient("Oscar Other", "oscar@example.com", "+16175550100")
    response = manager_client.get(admin_url("patients", "patient", "changelist"), {"q": term})
    assert response.status_code == 200
    assert [p.name for p in response.context["cl"].result_list] == ["Paula Patient"]


@pytest.mark.parametrize("term", ["Paula", "paula@example.com", "212-555-1234"])
def test_campaign_search_finds_by_the_patient(manager_client, records, term):
    make_campaign(make_patient("Oscar Other", "oscar@example.com", "+16175550100"))
    response = manager_client.get(admin_url("campaigns", "campaign", "changelist"), {"q": term})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [records["campaign"]]


# --- Campaign status goes through the status machine ------------------------------------


def post_campaign_change(client, campaign, **changes):
    url = admin_url("campaigns", "campaign", "change", campaign.pk)
    return client.post(url, change_form_data(client.get(url), **changes))


def test_an_illegal_campaign_status_change_is_refused(manager_client, records):
    campaign = records["campaign"]
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RECOVERED, is_active=False)
    campaign.refresh_from_db()
    before = Campaign.objects.values().get(pk=campaign.pk)

    response = post_campaign_change(
        manager_client, campaign, status=CampaignStatus.ATTEMPTING_RECOVERY
    )

    assert response.status_code == 200
    assert "A campaign cannot go from RECOVERED to ATTEMPTING_RECOVERY." in response.text
    assert Campaign.objects.values().get(pk=campaign.pk) == before
    assert not LogEntry.objects.filter(object_id=campaign.pk, action_flag=CHANGE).exists()


def test_a_legal_campaign_status_change_is_saved_and_logged(manager_client, records, manager):
    campaign = records["campaign"]

    response = post_campaign_change(
        manager_client, campaign, status=CampaignStatus.MANUAL_FOLLOWUP_COMPLETE
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.MANUAL_FOLLOWUP_COMPLETE
    assert campaign.is_active is False
    entry = LogEntry.objects.get(object_id=campaign.pk, action_flag=CHANGE)
    assert entry.user == manager
    assert "Status" in entry.get_change_message()


def test_editing_a_campaign_keeps_its_conversation(manager_client, records):
    campaign = records["campaign"]
    say(campaign, Direction.OUTGOING, "We do, see you soon", minutes_ago=1)

    response = post_campaign_change(
        manager_client, campaign, engagement_summary="Asked about Delta"
    )

    assert response.status_code == 302
    contents = list(campaign.interactions.values_list("content", "delivery_status"))
    assert contents == [
        ("Do you take Delta Dental?", DeliveryStatus.RECEIVED),
        ("We do, see you soon", DeliveryStatus.SENT),
    ]


def test_the_conversation_is_shown_oldest_first(manager_client, records):
    campaign = records["campaign"]
    say(campaign, Direction.OUTGOING, "Hi Paula, time for your check-up", minutes_ago=60)
    say(campaign, Direction.OUTGOING, "Yes, we accept Delta Dental", minutes_ago=1)

    response = manager_client.get(admin_url("campaigns", "campaign", "change", campaign.pk))

    page = response.text
    first = page.index("time for your check-up")
    assert first < page.index("Do you take Delta Dental?") < page.index("we accept Delta Dental")


def test_a_new_campaign_cannot_start_closed(manager_client, records):
    patient = make_patient("Nora New", "nora@example.com", "")
    url = admin_url("campaigns", "campaign", "add")
    data = change_form_data(
        manager_client.get(url),
        patient=patient.pk,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.RECOVERED,
    )

    response = manager_client.post(url, data)

    assert response.status_code == 200
    assert "A new campaign starts in an active status" in response.text
    assert not Campaign.objects.filter(patient=patient).exists()


def test_a_second_active_campaign_for_a_patient_is_refused(manager_client, records):
    url = admin_url("campaigns", "campaign", "add")
    data = change_form_data(
        manager_client.get(url),
        patient=records["patient"].pk,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.ATTEMPTING_RECOVERY,
    )

    response = manager_client.post(url, data)

    assert response.status_code == 200
    assert "already has an active campaign" in response.text
    assert Campaign.objects.filter(patient=records["patient"]).count() == 1


def test_a_campaign_of_an_opted_out_patient_cannot_be_reopened(manager_client, records):
    campaign = records["campaign"]
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.RECOVERY_DECLINED, is_active=False
    )
    Patient.objects.filter(pk=campaign.patient_id).update(opted_out_at=NOW)
    campaign.refresh_from_db()

    response = post_campaign_change(manager_client, campaign, status=CampaignStatus.RE_ENGAGED)

    assert response.status_code == 200
    assert "has opted out of messages" in response.text
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RECOVERY_DECLINED


def test_the_close_action_uses_the_status_machine_and_logs_each_change(manager_client, records):
    open_campaign = records["campaign"]
    recovered = make_campaign(
        make_patient("Rita Recovered", "rita@example.com", ""), status=CampaignStatus.RECOVERED
    )

    response = manager_client.post(
        admin_url("campaigns", "campaign", "changelist"),
        {
            "action": "close_manual_followup",
            "_selected_action": [open_campaign.pk, recovered.pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    open_campaign.refresh_from_db()
    recovered.refresh_from_db()
    assert open_campaign.status == CampaignStatus.MANUAL_FOLLOWUP_COMPLETE
    assert recovered.status == CampaignStatus.RECOVERED
    assert "cannot go from RECOVERED to MANUAL_FOLLOWUP_COMPLETE" in response.text
    assert LogEntry.objects.filter(object_id=open_campaign.pk, action_flag=CHANGE).exists()
    assert not LogEntry.objects.filter(object_id=recovered.pk).exists()


# --- Patients and appointments ------------------------------------------------------------


def test_a_patient_page_lists_their_appointments_read_only(manager_client, records):
    patient = records["patient"]

    response = manager_client.get(admin_url("patients", "patient", "change", patient.pk))

    appointments = next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.opts.model is Appointment
    )
    assert not appointments.has_change_permission
    assert not appointments.has_add_permission
    assert "Cleaning" in response.text
    assert admin_url("appointments", "appointment", "change", records["appointment"].pk) in (
        response.text
    )


def test_an_appointment_clashing_with_the_providers_booking_is_refused(
    manager_client, records, clinic
):
    booked = records["appointment"]
    url = admin_url("appointments", "appointment", "add")
    start = booked.appointment_date + dt.timedelta(minutes=30)
    data = change_form_data(
        manager_client.get(url),
        patient=make_patient("Carl Clash", "carl@example.com", "").pk,
        service=clinic["cleaning"].pk,
        provider=clinic["dentist"].pk,
        appointment_date_0=timezone.localtime(start).date().isoformat(),
        appointment_date_1=timezone.localtime(start).time().strftime("%H:%M:%S"),
        duration_minutes="",
        status=AppointmentStatus.BOOKED,
    )

    response = manager_client.post(url, data)

    assert response.status_code == 200
    assert "is already booked then" in response.text
    assert Appointment.objects.count() == 1


def test_an_appointment_takes_the_services_duration_by_default(manager_client, records, clinic):
    url = admin_url("appointments", "appointment", "add")
    start = records["appointment"].appointment_date + dt.timedelta(days=1)
    patient = make_patient("Dina Default", "dina@example.com", "")
    data = change_form_data(
        manager_client.get(url),
        patient=patient.pk,
        service=clinic["whitening"].pk,
        provider=clinic["dentist"].pk,
        appointment_date_0=timezone.localtime(start).date().isoformat(),
        appointment_date_1=timezone.localtime(start).time().strftime("%H:%M:%S"),
        duration_minutes="",
    )

    response = manager_client.post(url, data)

    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.duration_minutes == 90
    assert appointment.created_from == CreatedFrom.MANUAL_ADMIN


# --- Staff accounts -------------------------------------------------------------------------


def test_the_user_add_form_takes_the_password_twice(manager_client, db):
    url = admin_url("dentalai", "user", "add")
    data = {
        "email": "Nina@Clinic.example",
        "name": "Nina Nurse",
        "role": Role.HYGIENIST,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }

    mismatch = manager_client.post(url, data | {"password2": "something else entirely"})
    assert mismatch.status_code == 200
    assert not User.objects.filter(email="nina@clinic.example").exists()

    response = manager_client.post(url, data)
    assert response.status_code == 302
    nina = User.objects.get(email="nina@clinic.example")
    assert nina.check_password(PASSWORD)
    assert nina.role == Role.HYGIENIST
    assert LogEntry.objects.filter(object_id=nina.pk, action_flag=ADDITION).exists()


def test_the_user_add_form_refuses_an_email_taken_in_another_case(manager_client, manager):
    response = manager_client.post(
        admin_url("dentalai", "user", "add"),
        {
            "email": "ALICE@clinic.example",
            "name": "Alice Again",
            "role": Role.DENTIST,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.text
    assert User.objects.count() == 1


def test_the_user_page_shows_the_hash_read_only_and_links_to_the_password_form(
    manager_client, front_desk
):
    response = manager_client.get(admin_url("dentalai", "user", "change", front_desk.pk))
    assert "algorithm" in response.text and "md5" in response.text  # hash summary, not the hash
    assert 'href="../password/"' in response.text

    url = reverse("admin:auth_user_password_change", args=[front_desk.pk])
    new_password = "another long passphrase 42"
    response = manager_client.post(url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password(new_password)
    assert LogEntry.objects.filter(object_id=front_desk.pk, action_flag=CHANGE).exists()


# --- What the front desk may do -------------------------------------------------------------


def test_the_front_desk_sees_patients_but_not_staff_accounts(client, front_desk, records):
    client.force_login(front_desk)

    assert client.get(admin_url("patients", "patient", "changelist")).status_code == 200
    assert client.get(admin_url("dentalai", "user", "changelist")).status_code == 403
    assert client.get(admin_url("dentalai", "user", "change", front_desk.pk)).status_code == 403
    assert client.get(admin_url("dentalai", "auditentry", "changelist")).status_code == 403


def test_the_front_desk_cannot_delete_a_patient(client, front_desk, records):
    client.force_login(front_desk)
    patient = records["patient"]

    page = client.get(admin_url("patients", "patient", "change", patient.pk))
    assert page.status_code == 200
    assert admin_url("patients", "patient", "delete", patient.pk) not in page.text
    response = client.post(admin_url("patients", "patient", "delete", patient.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_the_front_desk_can_book_with_a_provider_chosen_from_a_list(client, front_desk, records):
    client.force_login(front_desk)

    response = client.get(admin_url("appointments", "appointment", "add"))

    assert response.status_code == 200
    assert "Dr Dana Park" in response.text
