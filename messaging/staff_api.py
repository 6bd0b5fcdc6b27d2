"""/api/v1/admin: staff writing to a patient from a campaign, and recording messages exchanged
outside the product (SPEC §4). Thin: the writes are messaging.staff's."""

from django.http import HttpRequest
from ninja import Router, Status

from campaigns import selectors
from campaigns.api import NOT_FOUND
from campaigns.schemas import (
    CampaignRespondIn,
    CampaignRespondOut,
    InteractionCreatedOut,
    InteractionIn,
)
from dentalai.auth import JWTAuth
from dentalai.schemas import ErrorOut, ValidationErrorOut
from messaging import staff

router = Router(tags=["Campaigns"], auth=JWTAuth())


@router.post(
    "/campaigns/{campaign_id}/respond",
    auth=JWTAuth("campaigns.add_interaction"),
    response={
        200: CampaignRespondOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Reply to the patient as staff",
    description=(
        "A staff member takes over the conversation: `message` goes to the patient over "
        "`channel` (by default the campaign's, or another the patient can take when it cannot "
        "carry the message now), then the campaign moves to `new_status` when one is given (the "
        "status it already has changes nothing).\n\n"
        "Checked first, before anything is recorded or sent: `new_status` must be allowed from "
        "the current status (409); the patient must not have opted out (409); the channel must "
        "be able to carry it now (409, saying why: no address, no consent to texts, WhatsApp's "
        "24-hour window closed with no template); the message must fit the channel (400: SMS "
        "1,600 characters, WhatsApp 4,096, email 20,000 — a message is never cut). Then the "
        "message is recorded (author = you) and sent; it stays in the conversation whatever "
        "the channel does. The answer says how it went: `delivery_status` `sent` and "
        '"Response sent successfully.", or `failed` and a message giving the reason. '
        "`new_status` is applied only when the message was sent: a reply the patient never "
        "got must not take the campaign out of the handoff queue. `campaign_status` is the "
        "status afterwards. " + NOT_FOUND
    ),
)
def respond_to_campaign(request: HttpRequest, campaign_id: str, payload: CampaignRespondIn):
    campaign = selectors.campaign_get(campaign_id=campaign_id)
    result = staff.campaign_respond(
        actor=request.user,
        campaign=campaign,
        message=payload.message,
        new_status=payload.new_status,
        channel=payload.channel,
    )
    return {
        "message": result.message,
        "interaction_id": result.interaction.pk,
        "delivery_status": result.interaction.delivery_status,
        "campaign_status": result.campaign.status,
    }


@router.post(
    "/interactions",
    tags=["Interactions"],
    auth=JWTAuth("campaigns.add_interaction"),
    response={
        201: InteractionCreatedOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Record an interaction (nothing is sent)",
    description=(
        "Adds a message to a campaign's conversation WITHOUT sending it: for logging a "
        "message exchanged outside the product (a phone call, a reply from a personal mailbox) "
        "and for testing. To message the patient use `POST /admin/campaigns/{id}/respond`. "
        "An incoming record is `received`; an outgoing one is `sent` (the patient got it by "
        "other means; no provider message id marks that no backend sent it; `queued` would be "
        "untrue and could get it sent by a retry). `author` is you; the campaign's status does "
        "not change. 422 for a direction other than `incoming`/`outgoing` or empty content. "
        + NOT_FOUND
    ),
)
def create_interaction(request: HttpRequest, payload: InteractionIn):
    campaign = selectors.campaign_get(campaign_id=payload.campaign_id)
    interaction = staff.interaction_record(
        actor=request.user,
        campaign=campaign,
        direction=payload.direction,
        content=payload.content,
        ai_analysis=payload.ai_analysis,
    )
    return Status(
        201, {"message": "Interaction created successfully.", "interaction_id": interaction.pk}
    )
