"""Reads of campaigns and their conversations, shared by the API and the dashboard."""

import math
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from campaigns.choices import CampaignStatus
from campaigns.models import Campaign, Interaction
from campaigns.status import TRANSITIONS
from dentalai.errors import NotFound
from dentalai.models import is_object_id

CAMPAIGN_NOT_FOUND = "Campaign not found."

# Our ids are ObjectId strings; anything else cannot name a campaign and is not worth a query
# (some strings, such as ones holding NUL, would even make PostgreSQL refuse the query).


@dataclass(frozen=True)
class Page:
    items: list
    total_items: int
    total_pages: int
    current_page: int


def campaign_get(*, campaign_id: str) -> Campaign:
    """The campaign with this id, with its patient; NotFound for an unknown or malformed id."""
    if not is_object_id(campaign_id):
        raise NotFound(CAMPAIGN_NOT_FOUND)
    campaign = Campaign.objects.select_related("patient").filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    return campaign


def campaign_search(
    *, status: str | None = None, campaign_type: str | None = None, q: str | None = None
) -> QuerySet[Campaign]:
    """Campaigns, newest activity first, filtered by status, type and a search of the patient's
    name, email or phone (case-insensitive; a phone matches on its digits, so "(212) 555"
    finds +12125550123)."""
    campaigns = Campaign.objects.select_related("patient").order_by("-updated_at", "-pk")
    if status:
        campaigns = campaigns.filter(status=status)
    if campaign_type:
        campaigns = campaigns.filter(campaign_type=campaign_type)
    q = (q or "").strip()
    if q:
        match = Q(patient__name__icontains=q) | Q(patient__email__icontains=q)
        match |= Q(patient__phone__contains=q)
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3:
            match |= Q(patient__phone__contains=digits)
        campaigns = campaigns.filter(match)
    return campaigns


def paginate(queryset: QuerySet, *, page: int, limit: int) -> Page:
    """One page of `queryset` (two queries: the count and the page). A page past the end is
    empty; `total_pages` is at least 1, as in Django's Paginator."""
    total = queryset.count()
    offset = (page - 1) * limit
    items = list(queryset[offset : offset + limit]) if offset < total else []
    return Page(
        items=items,
        total_items=total,
        total_pages=max(1, math.ceil(total / limit)),
        current_page=page,
    )


def campaign_conversation(*, campaign: Campaign) -> list[Interaction]:
    """The campaign's messages, oldest first, with their staff authors (one query)."""
    return list(
        Interaction.objects.filter(campaign=campaign)
        .select_related("author")
        .order_by("timestamp", "pk")
    )


def allowed_transitions(campaign: Campaign) -> list[str]:
    """The statuses the campaign may move to, in the order CampaignStatus declares them."""
    allowed = TRANSITIONS.get(campaign.status, frozenset())
    return [status.value for status in CampaignStatus if status in allowed]
