"""/api/v1/admin: dashboard stats, campaigns and their conversations (SPEC §4). Thin: reads come
from campaigns.selectors / campaigns.stats, writes from campaigns.services. (Replying to the
patient and recording messages are messaging.staff_api's.)"""

from django.http import HttpRequest
from ninja import Query, Router, Status

from campaigns import selectors, services
from campaigns.exports import CAMPAIGN_COLUMNS
from campaigns.schemas import (
    CampaignCreatedOut,
    CampaignDetailOut,
    CampaignFilters,
    CampaignListOut,
    CampaignRecoveryIn,
    CampaignStatusPatch,
    DashboardStatsOut,
    InteractionListOut,
)
from campaigns.stats import DEFINITIONS, dashboard_stats
from dentalai.auth import JWTAuth
from dentalai.exports import csv_response, wants_csv
from dentalai.schemas import ErrorOut, ValidationErrorOut

router = Router(tags=["Campaigns"], auth=JWTAuth())

NOT_FOUND = '404 `{"detail": "Campaign not found."}` for an unknown or malformed id.'
STATUS_RULES = (
    "Status changes follow the status machine: a move it does not allow is a 409 whose "
    '`detail` names both statuses ("A campaign cannot go from RECOVERED to RE_ENGAGED."); so is '
    "re-opening a closed campaign while the patient has another active one. "
    "`allowed_transitions` in the campaign details lists the moves allowed now."
)


def _detail(campaign) -> dict:
    return {
        "campaign_details": campaign,
        "conversation_history": selectors.campaign_conversation(campaign=campaign),
    }


@router.get(
    "/dashboard-stats",
    tags=["Dashboard"],
    auth=JWTAuth("campaigns.view_campaign"),
    response={200: DashboardStatsOut, 401: ErrorOut, 403: ErrorOut},
    summary="Dashboard KPIs",
    description=(
        "Every KPI of the dashboard in one call, computed by the database (two aggregation "
        "queries, whatever the number of campaigns and appointments).\n\n" + DEFINITIONS
    ),
)
def get_dashboard_stats(request: HttpRequest):
    return dashboard_stats()


@router.get(
    "/campaigns",
    auth=JWTAuth("campaigns.view_campaign"),
    response={200: CampaignListOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    summary="List campaigns",
    description=(
        "Campaigns, newest activity (`last_updated`) first, filtered by `status` and "
        "`campaign_type` and searched with `q` in the patient's name, email and phone "
        "(case-insensitive; a phone also matches on its digits, so `(212) 555` finds "
        "+12125550123). `limit` is 1 to 100 (default 25), `page` starts at 1; anything else, or "
        "an unknown status or type, is a 422. A page past the end is empty; `total_pages` is at "
        "least 1. `handoff_reason` is the reason recorded at handoff, else null.\n\n"
        "With `format=csv` or `Accept: text/csv`: every matching campaign (no pages) as a CSV "
        "file a spreadsheet opens cleanly: UTF-8 with a BOM, ISO dates in clinic time, text "
        "that would start a formula prefixed with an apostrophe."
    ),
)
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilters]):
    campaigns = selectors.campaign_search(
        status=filters.status, campaign_type=filters.campaign_type, q=filters.q
    )
    if wants_csv(request, filters.format):
        return csv_response("campaigns.csv", CAMPAIGN_COLUMNS, campaigns.iterator(chunk_size=1000))
    page = selectors.paginate(campaigns, page=filters.page, limit=filters.limit)
    return {
        "pagination": {
            "total_items": page.total_items,
            "total_pages": page.total_pages,
            "current_page": page.current_page,
        },
        "campaigns": page.items,
    }


@router.post(
    "/campaigns/recovery",
    auth=JWTAuth("campaigns.add_campaign"),
    response={
        201: CampaignCreatedOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Create a recovery campaign",
    description=(
        "Starts winning back a cold lead. The patient is found by email or phone (an existing "
        "record is reused unchanged) or created as a `COLD_LEAD`. The new `RECOVERY` campaign "
        "starts in `ATTEMPTING_RECOVERY`, due now (`next_attempt_at` = now, 0 attempts, the "
        "configured maximum), on `channel`: email when an email is given, else sms, unless "
        "chosen. Its thread is the patient's E.164 number for sms, `whatsapp:+…` for whatsapp, "
        "and empty for email until the first message starts a Gmail thread.\n\n"
        "422 without an email or a phone, with an invalid one, or without the address the "
        "chosen channel needs. 409 when the patient already has an active campaign, has opted "
        "out, or (an existing record) has no address on the chosen channel."
    ),
)
def create_recovery_campaign(request: HttpRequest, payload: CampaignRecoveryIn):
    campaign = services.campaign_create_recovery(actor=request.user, **payload.model_dump())
    return Status(
        201, {"message": "Recovery campaign created successfully.", "campaign_id": campaign.pk}
    )


@router.get(
    "/campaigns/{campaign_id}",
    auth=JWTAuth("campaigns.view_campaign"),
    response={200: CampaignDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Campaign details and conversation",
    description=(
        "The campaign in the seed's nested shape (`channel`, `follow_up_details`, "
        "`booking_funnel`) with the moves the status machine allows from its status, and the "
        "whole conversation, oldest first. `sender` is `patient` for incoming messages, `staff` "
        "for messages a staff member wrote (`author_name`), else `ai`. " + NOT_FOUND
    ),
)
def get_campaign(request: HttpRequest, campaign_id: str):
    return _detail(selectors.campaign_get(campaign_id=campaign_id))


@router.patch(
    "/campaigns/{campaign_id}/status",
    auth=JWTAuth("campaigns.change_campaign"),
    response={
        200: CampaignDetailOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Change a campaign's status",
    description=(
        "Moves the campaign through the status machine and returns it as "
        "`GET /admin/campaigns/{campaign_id}` does. `MANUAL_FOLLOWUP_COMPLETE` clears it from "
        "the handoff queue; `RE_ENGAGED` hands it back to the AI. Asking for the status it "
        "already has changes nothing. " + STATUS_RULES + " An unknown status is a 422. " + NOT_FOUND
    ),
)
def set_campaign_status(request: HttpRequest, campaign_id: str, payload: CampaignStatusPatch):
    campaign = selectors.campaign_get(campaign_id=campaign_id)
    services.campaign_set_status(actor=request.user, campaign=campaign, status=payload.status)
    return _detail(campaign)


@router.get(
    "/interactions/{campaign_id}",
    tags=["Interactions"],
    by_alias=True,
    auth=JWTAuth("campaigns.view_interaction"),
    response={200: InteractionListOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A campaign's interactions",
    description=(
        "Every message of the campaign, oldest first, in the seed's shape (`_id` is the same "
        "as `interaction_id`), with how each was delivered and who wrote it: `author` is the "
        "staff member who wrote or recorded it, null for the AI and the patient. " + NOT_FOUND
    ),
)
def list_interactions(request: HttpRequest, campaign_id: str):
    campaign = selectors.campaign_get(campaign_id=campaign_id)
    return {"interactions": selectors.campaign_conversation(campaign=campaign)}
