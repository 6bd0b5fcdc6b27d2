import datetime as dt

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from campaigns.choices import CampaignStatus, CampaignType
from campaigns.models import Campaign
from dentalai.choices import Channel
from patients.models import Patient
from tests.conftest import PASSWORD

OUR_APPS = ["dentalai", "patients", "campaigns", "appointments", "agent", "messaging"]


def test_the_home_page_sends_anonymous_visitors_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


@pytest.mark.django_db
def test_the_home_page_tiles_follow_the_period_selector(client, manager):
    """A recovery won back 100 days ago counts for the last 12 months, not the last 30 days;
    the handoff waiting now counts whatever the period."""
    patient = Patient.objects.create(name="Won Back", email="won@example.com")
    old = Campaign.objects.create(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.RECOVERED,
        estimated_value=250,
    )
    Campaign.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=100))
    waiting = Patient.objects.create(name="Still Waiting", email="wait@example.com")
    Campaign.objects.create(
        patient=waiting,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.HANDOFF_REQUIRED,
    )
    assert client.login(email=manager.email, password=PASSWORD)

    recent = client.get("/", {"period": "30"})
    year = client.get("/", {"period": "365"})

    assert recent.context["stats"]["conversion_rates"]["recovery_rate_percent"] == 0.0
    assert recent.context["stats"]["recoveries"] == 0
    assert year.context["stats"]["conversion_rates"]["recovery_rate_percent"] == 50.0
    assert year.context["stats"]["pipeline_value_recovered"] == 250.0
    for response in (recent, year):
        assert response.context["stats"]["kpis"]["handoffs_requiring_action"] == 1
    assert recent.text.count('<span class="period">Last 30 days</span>') == 9
    assert year.text.count('<span class="period">Last 12 months</span>') == 9


@pytest.mark.django_db
def test_the_home_page_shows_what_waits_for_staff(client, manager):
    patient = Patient.objects.create(name="John Doe", email="john@example.com")
    Campaign.objects.create(
        patient=patient,
        campaign_type=CampaignType.RECOVERY,
        channel_type=Channel.EMAIL,
        status=CampaignStatus.HANDOFF_REQUIRED,
    )
    assert client.login(email=manager.email, password=PASSWORD)

    response = client.get("/")

    assert response.status_code == 200
    assert response.context["stats"]["kpis"]["handoffs_requiring_action"] == 1
    assert response.context["queue_total"] == 1
    assert "Alice Manager" in response.text
    assert "John Doe" in response.text


@pytest.mark.django_db
def test_the_health_check_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_every_model_of_ours_declares_a_portable_primary_key():
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            pk = model._meta.pk
            assert not pk.auto_created, f"{model.__name__} relies on an auto primary key"
            assert pk.get_internal_type() == "CharField", model.__name__


@pytest.mark.django_db
def test_the_migrations_match_the_models():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_the_favicon_is_found_where_browsers_look(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/login/").text
