"""Every dashboard page: refused to anonymous visitors, rendered with the demo clinic."""

import pytest
from django.core.cache import cache
from django.db.models import Count
from django.utils.html import escape

from agent.models import KnowledgeArticle
from appointments.models import Appointment
from campaigns.choices import CampaignStatus
from campaigns.handoff import handoff_urgency
from campaigns.models import Campaign
from dentalai.clinic_time import clinic_zone
from dentalai.models import User
from messaging.models import OutboxMessage
from patients.models import Patient


@pytest.fixture(autouse=True)
def clear_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(demo_clinic_for_module, db):
    return User.objects.get(email="manager@demo.clinic")


@pytest.fixture
def staff_client(client, demo):
    client.force_login(demo)
    return client


def page_urls() -> list[str]:
    campaign = Campaign.objects.order_by("pk").first()
    appointment = Appointment.objects.order_by("pk").first()
    patient = Patient.objects.order_by("pk").first()
    article = KnowledgeArticle.objects.order_by("pk").first()
    return [
        "/",
        "/handoffs/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        "/appointments/",
        "/appointments/?view=week",
        "/appointments/new/",
        f"/appointments/{appointment.pk}/",
        "/patients/",
        f"/patients/{patient.pk}/",
        "/knowledge/",
        "/knowledge/new/",
        f"/knowledge/{article.pk}/",
        "/outbox/",
    ]


def test_every_page_sends_anonymous_visitors_to_log_in(client, demo):
    for url in page_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_every_action_refuses_anonymous_visitors(client, demo):
    campaign = Campaign.objects.order_by("pk").first()
    appointment = Appointment.objects.order_by("pk").first()
    for url in [
        f"/campaigns/{campaign.pk}/reply/",
        f"/campaigns/{campaign.pk}/status/",
        f"/appointments/{appointment.pk}/complete/",
        f"/appointments/{appointment.pk}/cancel/",
        "/knowledge/import/",
    ]:
        response = client.post(url, {"message": "hi", "status": "RE_ENGAGED"})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_every_page_renders_with_the_demo_clinic(staff_client):
    for url in page_urls():
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert b"Log out" in response.content, url


def test_the_home_page_shows_the_kpis_funnels_and_trends(staff_client):
    response = staff_client.get("/")

    text = response.text
    for label in (
        "Handoffs needing action",
        "Appointments booked",
        "Recovery campaigns open",
        "Recovery rate",
        "Recall rate",
        "Value recovered",
        "Visits confirmed",
        "No-shows",
        "Reminders sent",
        "Freed times refilled",
    ):
        assert label in text
    # Each tile says its period: two are about now, the rest follow the selector (this month).
    assert text.count('<span class="period">Now</span>') == 2
    assert text.count('<span class="period">This month</span>') == 9
    # Definitions on hover, for every KPI.
    assert text.count('role="tooltip"') == 11
    for stage in ("Due", "Contacted", "Engaged", "Booked", "Completed"):
        assert f'<span class="stage">{stage}</span>' in text
    assert text.count('<svg class="chart"') == 3
    stats = response.context["stats"]
    assert (
        stats["kpis"]["handoffs_requiring_action"]
        == Campaign.objects.filter(status=CampaignStatus.HANDOFF_REQUIRED).count()
    )


def test_the_home_page_funnels_narrow_at_each_stage(staff_client):
    for period in ("month", "30", "90", "365", "all", "nonsense"):
        response = staff_client.get("/", {"period": period})
        assert response.status_code == 200
        for funnel in response.context["funnels"]:
            counts = [stage.count for stage in funnel.stages]
            assert counts == sorted(counts, reverse=True), (period, funnel.label)


def test_the_handoff_queue_lists_urgent_ones_first_then_the_longest_waiting(staff_client):
    response = staff_client.get("/handoffs/")

    queue = response.context["queue"]
    assert len(queue) == Campaign.objects.filter(status=CampaignStatus.HANDOFF_REQUIRED).count()
    assert len(queue) > 1
    keys = [(handoff_urgency(h.campaign.handoff_reason), h.requested_at) for h in queue]
    assert keys == sorted(keys)
    first = queue[0]
    assert f"/campaigns/{first.campaign.pk}/" in response.text
    assert first.summary and first.summary[:40] in response.text
    assert "waiting" in response.text


def test_the_campaign_list_filters_and_searches(staff_client):
    response = staff_client.get("/campaigns/", {"status": "HANDOFF_REQUIRED"})
    assert {c.status for c in response.context["page"].items} == {"HANDOFF_REQUIRED"}

    response = staff_client.get("/campaigns/", {"campaign_type": "RECALL", "channel": "sms"})
    items = response.context["page"].items
    assert items
    assert {(c.campaign_type, c.channel_type) for c in items} == {("RECALL", "sms")}

    patient = Campaign.objects.select_related("patient").order_by("pk").first().patient
    response = staff_client.get("/campaigns/", {"q": patient.name})
    assert all(patient.name in c.patient.name for c in response.context["page"].items)
    assert response.context["page"].items


def test_the_campaign_list_paginates(staff_client):
    first = staff_client.get("/campaigns/").context["page"]
    second = staff_client.get("/campaigns/", {"page": 2}).context["page"]

    assert first.total_pages > 1
    assert len(first.items) == 25
    assert not {c.pk for c in first.items} & {c.pk for c in second.items}
    assert "Page 1 of" in staff_client.get("/campaigns/").text


def test_the_campaign_list_ignores_filters_it_does_not_know(staff_client):
    response = staff_client.get("/campaigns/", {"status": "BOGUS", "page": "x"})

    assert response.status_code == 200
    assert "Some filters were not understood" in response.text


def test_the_campaign_list_answers_htmx_with_the_results_only(staff_client):
    response = staff_client.get(
        "/campaigns/",
        {"q": "a"},
        headers={"HX-Request": "true", "HX-Target": "campaign-results"},
    )

    assert response.status_code == 200
    assert "<table" in response.text
    assert "<html" not in response.text


def test_the_campaign_page_shows_who_sent_each_message(staff_client):
    campaign = (
        Campaign.objects.filter(interactions__author__isnull=False)
        .distinct()
        .order_by("pk")
        .first()
    )
    response = staff_client.get(f"/campaigns/{campaign.pk}/")

    text = response.text
    conversation = response.context["conversation"]
    assert conversation
    staff_names = {m.author.name for m in conversation if m.author_id}
    for name in staff_names:
        assert f"{name} (staff)" in text
    if any(m.direction == "incoming" for m in conversation):
        assert ">Patient<" in text
    assert 'class="badge' in text  # delivery status


def test_the_campaign_page_offers_only_legal_status_changes(staff_client):
    handoff = Campaign.objects.filter(status=CampaignStatus.HANDOFF_REQUIRED).first()
    recovered = Campaign.objects.filter(status=CampaignStatus.RECOVERED).first()

    actions = staff_client.get(f"/campaigns/{handoff.pk}/").context["actions"]
    assert {"status": "RE_ENGAGED", "label": "Hand back to the AI", "closes": False} in actions
    assert "RECOVERY_FAILED" not in {a["status"] for a in actions}

    response = staff_client.get(f"/campaigns/{recovered.pk}/")
    assert response.context["actions"] == []
    assert "closed for good" in response.text


def test_unknown_ids_are_404s(staff_client):
    for url in (
        "/campaigns/nope/",
        "/campaigns/000000000000000000000000/",
        "/appointments/nope/",
        "/patients/nope/",
        "/knowledge/nope/",
    ):
        assert staff_client.get(url).status_code == 404, url


def test_the_calendar_shows_a_day_per_provider_and_a_week_of_one(staff_client):
    appointment = (
        Appointment.objects.filter(status="booked").select_related("provider", "patient").first()
    )
    day = appointment.appointment_date.astimezone(clinic_zone()).date()

    response = staff_client.get("/appointments/", {"date": day.isoformat()})
    assert appointment.patient.name in response.text
    assert len(response.context["columns"]) == len(response.context["providers"])

    response = staff_client.get(
        "/appointments/",
        {"view": "week", "date": day.isoformat(), "provider": appointment.provider_id},
    )
    assert len(response.context["columns"]) == 7
    assert {c.provider for c in response.context["columns"]} == {appointment.provider}
    assert appointment.patient.name in response.text


def test_the_patient_page_shows_the_history(staff_client):
    patient = (
        Patient.objects.filter(treatments__isnull=False, campaigns__isnull=False)
        .distinct()
        .order_by("pk")
        .first()
    )
    response = staff_client.get(f"/patients/{patient.pk}/")

    treatment = patient.treatments.first()
    assert escape(treatment.procedure_name) in response.text
    assert "Campaigns" in response.text
    assert response.context["history"].campaigns


def test_the_patient_page_shows_the_opt_out(staff_client):
    patient = Patient.objects.filter(opted_out_at__isnull=False).first()
    response = staff_client.get(f"/patients/{patient.pk}/")
    assert "Opted out of all messages" in response.text


def test_the_patient_search_finds_by_name_email_and_phone(staff_client):
    patient = Patient.objects.exclude(phone="").exclude(email="").order_by("pk").first()
    for q in (patient.name.split()[-1], patient.email.upper(), patient.phone[-7:]):
        response = staff_client.get("/patients/", {"q": q})
        assert patient in response.context["page"].items, q


def test_the_outbox_shows_what_the_backend_holds(staff_client):
    campaign = Campaign.objects.filter(is_active=True, patient__opted_out_at=None).first()
    staff_client.post(f"/campaigns/{campaign.pk}/reply/", {"message": "See you Tuesday!"})
    # An email carries the clinic's address and an unsubscribe link after the message.
    assert OutboxMessage.objects.filter(body__startswith="See you Tuesday!").exists()

    response = staff_client.get("/outbox/")
    assert "See you Tuesday!" in response.text
    assert f"/campaigns/{campaign.pk}/" in response.text


def test_the_home_page_counts_in_the_database(staff_client, django_assert_max_num_queries):
    # Session, user, KPIs (2), funnels (1), trends (4), handoff queue (1), failed sends (1), nav
    # badge (1): the numbers come from aggregations, whatever the number of campaigns and
    # messages.
    with django_assert_max_num_queries(15):
        staff_client.get("/")


def test_the_campaign_page_reads_the_conversation_in_one_query(
    staff_client, django_assert_max_num_queries
):
    campaign = Campaign.objects.annotate(n=Count("interactions")).order_by("-n").first()
    with django_assert_max_num_queries(14):
        staff_client.get(f"/campaigns/{campaign.pk}/")
