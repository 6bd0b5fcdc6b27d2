"""What the minimal home page shows: counts staff look at first (the dashboard issue
replaces this with the full KPIs)."""

from campaigns.choices import CampaignStatus
from campaigns.models import Campaign
from patients.models import Patient


def home_summary() -> dict:
    return {
        "patients": Patient.objects.count(),
        "active_campaigns": Campaign.objects.filter(is_active=True).count(),
        "handoffs": Campaign.objects.filter(status=CampaignStatus.HANDOFF_REQUIRED).count(),
    }
