"""The webhooks (SPEC §6): Gmail push (Pub/Sub), the generic incoming message, Twilio.

Each authenticates the request first (anything else is a 401 before the body is looked at),
stores the event keyed by the provider's id (a redelivery is acknowledged and ignored) and
answers at once, leaving the processing to a background drain (messaging.ingest): Pub/Sub's
push deadline is 10 seconds and it retries anything but a 2xx, Twilio waits for its TwiML.
"""

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from ninja import Router, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from dentalai.errors import ApplicationError
from dentalai.schemas import ErrorOut, ValidationErrorOut
from messaging.choices import WebhookSource
from messaging.conf import messaging_settings
from messaging.ingest import webhook_event_receive
from messaging.pubsub import MalformedPush, push_authenticated, push_envelope_parse
from messaging.schemas import IncomingMessageIn
from messaging.signatures import HEADER, signature_valid

logger = logging.getLogger(__name__)

router = Router(tags=["Webhooks"])

UNAUTHENTICATED = "The request is not authenticated."
NOT_JSON = "Cannot parse request body"
EMPTY_TWIML = str(MessagingResponse())


class WebhookUnauthenticated(ApplicationError):
    status_code = 401

    def __init__(self):
        super().__init__(UNAUTHENTICATED)


def _error(detail: str) -> dict:
    return {"content": {"application/json": {"examples": {"error": {"value": {"detail": detail}}}}}}


# --- Gmail (Pub/Sub push) ------------------------------------------------------------------------


PUSH_EXAMPLE = {
    "message": {
        "data": "eyJlbWFpbEFkZHJlc3MiOiAiZnJvbnRkZXNrQGNsaW5pYy5leGFtcGxlIiwgImhpc3RvcnlJZCI6IDEy"
        "MzQ1Njd9",
        "messageId": "2070443601311540",
        "publishTime": "2025-03-11T14:00:00.000Z",
    },
    "subscription": "projects/clinic/subscriptions/gmail-push",
}


def _documented_error(description: str, detail: str) -> dict:
    """`_error` with what ninja adds to its own operations: a description and the schema."""
    response = {"description": description, **_error(detail)}
    response["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/ErrorOut"}
    return response


# Served by a plain Django view, not by the router: it is the one endpoint taken under load
# (SPEC §9), and ninja's per-request work (operation lookup, parameter models, response
# rendering) is a good part of its budget. `dentalai.api` adds this operation to the OpenAPI
# document, so it is documented with the others.
GMAIL_PUSH_PATH = "webhooks/gmail"
GMAIL_PUSH_OPENAPI = {
    "post": {
        "operationId": "messaging_api_gmail_push",
        "tags": ["Webhooks"],
        "summary": "Gmail push notification (Pub/Sub)",
        "description": (
            "Google Cloud Pub/Sub's push delivery of a Gmail `users.watch` notification: "
            '`{"message": {"data": base64 of {"emailAddress", "historyId"}, "messageId", '
            '"publishTime"}, "subscription"}`.\n\n'
            "**Authentication**, one of: the push subscription's OIDC token (`Authorization: "
            "Bearer …`, signed by Google, audience `PUBSUB_AUDIENCE`, email "
            "`PUBSUB_SERVICE_ACCOUNT_EMAIL`, verified); or the secret in the push URL, "
            "`?token=PUBSUB_VERIFICATION_TOKEN`. Anything else: 401.\n\n"
            "A body that is not such a message: 400. Otherwise 204 at once: the notification is "
            "stored under its `messageId` (a redelivery is acknowledged and ignored) and a "
            "background job reads the mailbox history, hands each new patient reply to its "
            "campaign's agent and keeps a reply on an unknown thread for staff.\n\n"
            "Example body:\n\n```json\n" + json.dumps(PUSH_EXAMPLE, indent=2) + "\n```"
        ),
        "responses": {
            "204": {"description": "Stored (or a redelivery, ignored)."},
            "400": _documented_error("Bad Request", "The Pub/Sub message has no messageId."),
            "401": _documented_error("Unauthorized", UNAUTHENTICATED),
        },
    }
}


@csrf_exempt
@require_POST
def gmail_push(request: HttpRequest) -> HttpResponse:
    if not push_authenticated(
        authorization=request.headers.get("Authorization", ""),
        url_token=request.GET.get("token", ""),
    ):
        return JsonResponse({"detail": UNAUTHENTICATED}, status=401)
    try:
        envelope = push_envelope_parse(request.body)
    except MalformedPush as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    webhook_event_receive(
        source=WebhookSource.GMAIL, event_id=envelope.message_id, payload=envelope.payload
    )
    return HttpResponse(status=204)


# --- Generic incoming message --------------------------------------------------------------------


@router.post(
    "/incoming-message",
    response={204: None, 400: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut},
    summary="A patient message from any channel (generic)",
    description=(
        "The seed's generic webhook: `channel`, `thread_id`, `message_content`, plus "
        "`message_id` (the provider's id; a message is processed once per id).\n\n"
        "**Authentication**: the header `X-Signature-256: sha256=<hex>` with the HMAC-SHA256 of "
        "the raw request body, keyed with `INCOMING_WEBHOOK_SECRET`. Missing or wrong: 401.\n\n"
        "204 at once; a background job then matches the thread to a campaign (SMS/WhatsApp: "
        "the patient's number, shared by their campaigns — the active one, else the most "
        "recent), runs the AI agent and sends its answer. A message on an unknown thread is "
        "kept for staff."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["channel", "thread_id", "message_content", "message_id"],
                        "properties": {
                            "channel": {"type": "string", "enum": ["email", "sms", "whatsapp"]},
                            "thread_id": {"type": "string", "maxLength": 255},
                            "message_content": {"type": "string", "maxLength": 10000},
                            "message_id": {"type": "string", "maxLength": 200},
                            "sender": {"type": "string", "maxLength": 254},
                        },
                    },
                    "examples": {
                        "sms": {
                            "value": {
                                "channel": "sms",
                                "thread_id": "+15185550123",
                                "message_content": "Yes, please send me the link.",
                                "message_id": "SM0123456789abcdef0123456789abcdef",
                            }
                        }
                    },
                }
            },
        },
        "responses": {400: _error(NOT_JSON), 401: _error(UNAUTHENTICATED)},
    },
)
def incoming_message(request: HttpRequest):
    secret = messaging_settings().incoming_webhook_secret
    if not signature_valid(request.body, request.headers.get(HEADER, ""), secret):
        raise WebhookUnauthenticated()
    try:
        payload = IncomingMessageIn.model_validate_json(request.body)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise ApplicationError(NOT_JSON) from exc
        errors = [{**error, "loc": ["body", *error["loc"]]} for error in exc.errors()]
        raise NinjaValidationError(errors) from exc
    webhook_event_receive(
        source=WebhookSource.INCOMING_MESSAGE,
        event_id=payload.message_id,
        payload=payload.model_dump(mode="json"),
    )
    return Status(204, None)


# --- Twilio --------------------------------------------------------------------------------------


def twilio_signed_url(request: HttpRequest) -> str:
    """The URL Twilio requested, as it signed it. Behind a proxy the app may see another host
    or scheme: WEBHOOK_PUBLIC_URL (the public base, e.g. https://clinic.example.com) rebuilds
    it exactly."""
    base = messaging_settings().webhook_public_url
    if base:
        return base + request.get_full_path()
    return request.build_absolute_uri()


@router.post(
    "/twilio",
    response={200: None, 400: ErrorOut, 401: ErrorOut},
    summary="An SMS or WhatsApp message from Twilio",
    description=(
        "Twilio's incoming-message webhook (form post: `MessageSid`, `From`, `To`, `Body`, "
        "`OptOutType`…). Set it as the messaging webhook of the number, WhatsApp sender or "
        "Messaging Service.\n\n"
        "**Authentication**: the `X-Twilio-Signature` header, checked with the Twilio SDK's "
        "`RequestValidator` and `TWILIO_AUTH_TOKEN` over the URL Twilio called "
        "(`WEBHOOK_PUBLIC_URL` + path behind a proxy). Missing or wrong: 401.\n\n"
        "Answers at once with empty TwiML (`<Response/>`, nothing sent in reply); the message "
        "is stored under its `MessageSid` (a redelivery is ignored) and processed in the "
        "background. STOP/START (Twilio's `OptOutType`, or the words themselves) opt the "
        "patient out of, or back into, every campaign. A post without `MessageSid` or `From` "
        "is a 400."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "Empty TwiML: nothing is sent in reply.",
                "content": {"text/xml": {"schema": {"type": "string"}, "example": EMPTY_TWIML}},
            },
            400: _error("The post has no MessageSid or From."),
            401: _error(UNAUTHENTICATED),
        },
    },
)
def twilio_message(request: HttpRequest):
    token = messaging_settings().twilio_auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        raise WebhookUnauthenticated()
    if not RequestValidator(token).validate(twilio_signed_url(request), request.POST, signature):
        raise WebhookUnauthenticated()
    params = {key: request.POST.get(key, "") for key in request.POST}
    message_sid = params.get("MessageSid") or params.get("SmsMessageSid", "")
    if not message_sid or not params.get("From") or len(message_sid) > 200:
        raise ApplicationError("The post has no MessageSid or From.")
    webhook_event_receive(source=WebhookSource.TWILIO, event_id=message_sid, payload=params)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
