"""Request and response shapes of the campaign, interaction and dashboard endpoints. The nested
shapes are the seed's (`channel`, `follow_up_details`, `booking_funnel`); the models keep them
as flat fields."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, field_validator, model_validator

from campaigns.choices import BookingStatus, CampaignStatus, CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from campaigns.selectors import allowed_transitions
from dentalai.choices import Channel
from dentalai.schemas import Text
from patients.contact import email_input, phone_input

Sender = Literal["patient", "ai", "staff"]

# --- Dashboard --------------------------------------------------------------------------------


class KpisOut(Schema):
    appointments_booked_month: int
    handoffs_requiring_action: int
    active_recovery_campaigns: int


class ConversionRatesOut(Schema):
    recovery_rate_percent: float
    recall_rate_percent: float


class VisitStatsOut(Schema):
    confirmation_rate_percent: float
    no_show_rate_percent: float
    reminders_sent_month: int
    slots_refilled_month: int
    slots_refilled_value_month: float


class DashboardStatsOut(Schema):
    kpis: KpisOut
    conversion_rates: ConversionRatesOut
    pipeline_value_recovered: float
    recoveries: int
    visits: VisitStatsOut

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kpis": {
                        "appointments_booked_month": 12,
                        "handoffs_requiring_action": 3,
                        "active_recovery_campaigns": 45,
                    },
                    "conversion_rates": {"recovery_rate_percent": 5.0, "recall_rate_percent": 85.0},
                    "pipeline_value_recovered": 14400.0,
                    "recoveries": 12,
                    "visits": {
                        "confirmation_rate_percent": 78.5,
                        "no_show_rate_percent": 3.2,
                        "reminders_sent_month": 140,
                        "slots_refilled_month": 6,
                        "slots_refilled_value_month": 720.0,
                    },
                }
            ]
        }
    }


# --- Campaign list ----------------------------------------------------------------------------


class PaginationOut(Schema):
    total_items: int
    total_pages: int
    current_page: int


class CampaignListItemOut(Schema):
    campaign_id: str = Field(..., validation_alias="pk")
    patient_id: str
    patient_name: str = Field(..., validation_alias="patient.name")
    campaign_type: CampaignType
    status: CampaignStatus
    channel_type: Channel
    attempts_made: int
    handoff_reason: str | None
    last_updated: dt.datetime = Field(..., validation_alias="updated_at")

    @staticmethod
    def resolve_handoff_reason(campaign: Campaign) -> str | None:
        return campaign.handoff_reason or None


class CampaignListOut(Schema):
    pagination: PaginationOut
    campaigns: list[CampaignListItemOut]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "pagination": {"total_items": 3, "total_pages": 1, "current_page": 1},
                    "campaigns": [
                        {
                            "campaign_id": "68f100000000000000000001",
                            "patient_id": "68f100000000000000000002",
                            "patient_name": "John Doe",
                            "campaign_type": "RECOVERY",
                            "status": "HANDOFF_REQUIRED",
                            "channel_type": "email",
                            "attempts_made": 2,
                            "handoff_reason": "Complex insurance question",
                            "last_updated": "2025-08-20T14:03:11.512Z",
                        }
                    ],
                }
            ]
        }
    }


# --- Creating a recovery campaign -------------------------------------------------------------


class CampaignRecoveryIn(Schema):
    patient_name: Annotated[Text, StringConstraints(min_length=1, max_length=200)]
    patient_email: Text | None = None
    patient_phone: Text | None = None
    initial_inquiry: Annotated[Text, StringConstraints(max_length=2000)] = ""
    estimated_value: Decimal = Field(Decimal(0), ge=0, max_digits=10, decimal_places=2)
    channel: Channel | None = Field(
        None, description="email, sms or whatsapp; default: email when an email is given, else sms."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "patient_name": "New Lead",
                    "patient_email": "new.lead@email.com",
                    "initial_inquiry": "Was interested in crowns.",
                    "estimated_value": 1200,
                }
            ]
        }
    }

    @field_validator("patient_email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        return email_input(value)

    @field_validator("patient_phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        return phone_input(value)

    @model_validator(mode="after")
    def _address_for_channel(self) -> "CampaignRecoveryIn":
        if not self.patient_email and not self.patient_phone:
            raise ValueError("An email address or a phone number is required.")
        if self.channel == Channel.EMAIL and not self.patient_email:
            raise ValueError("The email channel needs patient_email.")
        if self.channel in (Channel.SMS, Channel.WHATSAPP) and not self.patient_phone:
            raise ValueError(f"The {self.channel.label} channel needs patient_phone.")
        return self


class CampaignCreatedOut(Schema):
    message: str
    campaign_id: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "message": "Recovery campaign created successfully.",
                    "campaign_id": "68f100000000000000000001",
                }
            ]
        }
    }


# --- Campaign detail --------------------------------------------------------------------------


class ChannelOut(Schema):
    type: Channel
    thread_id: str


class FollowUpOut(Schema):
    attempts_made: int
    max_attempts: int
    next_attempt_at: dt.datetime | None


class BookingFunnelOut(Schema):
    status: BookingStatus | None
    link_url: str | None
    submitted_at: dt.datetime | None


class CampaignDetailsOut(Schema):
    campaign_id: str = Field(..., validation_alias="pk")
    patient_id: str
    patient_name: str = Field(..., validation_alias="patient.name")
    patient_first_name: str = Field(..., validation_alias="patient.first_name")
    campaign_type: CampaignType
    status: CampaignStatus
    is_active: bool
    channel: ChannelOut
    engagement_summary: str
    follow_up_details: FollowUpOut
    booking_funnel: BookingFunnelOut
    handoff_details: dict[str, Any]
    estimated_value: float
    recall_due_date: dt.date | None
    patient_opted_out: bool = Field(..., validation_alias="patient.is_opted_out")
    allowed_transitions: list[CampaignStatus]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_channel(campaign: Campaign) -> dict:
        return {"type": campaign.channel_type, "thread_id": campaign.thread_id}

    @staticmethod
    def resolve_follow_up_details(campaign: Campaign) -> dict:
        return {
            "attempts_made": campaign.attempts_made,
            "max_attempts": campaign.max_attempts,
            "next_attempt_at": campaign.next_attempt_at,
        }

    @staticmethod
    def resolve_booking_funnel(campaign: Campaign) -> dict:
        return {
            "status": campaign.booking_status or None,
            "link_url": campaign.booking_link or None,
            "submitted_at": campaign.booking_submitted_at,
        }

    @staticmethod
    def resolve_allowed_transitions(campaign: Campaign) -> list[str]:
        return allowed_transitions(campaign)


def sender(interaction: Interaction) -> Sender:
    if interaction.direction == Direction.INCOMING:
        return "patient"
    return "staff" if interaction.author_id else "ai"


class ConversationMessageOut(Schema):
    interaction_id: str = Field(..., validation_alias="pk")
    direction: Direction
    content: str
    timestamp: dt.datetime
    sender: Sender
    author_name: str | None = Field(None, description="The staff member, for staff messages.")
    delivery_status: DeliveryStatus
    error: str
    ai_analysis: dict[str, Any]

    @staticmethod
    def resolve_sender(interaction: Interaction) -> str:
        return sender(interaction)

    @staticmethod
    def resolve_author_name(interaction: Interaction) -> str | None:
        return interaction.author.name if interaction.author_id else None


class CampaignDetailOut(Schema):
    campaign_details: CampaignDetailsOut
    conversation_history: list[ConversationMessageOut]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "campaign_details": {
                        "campaign_id": "68f100000000000000000001",
                        "patient_id": "68f100000000000000000002",
                        "patient_name": "John Doe",
                        "patient_first_name": "John",
                        "campaign_type": "RECOVERY",
                        "status": "HANDOFF_REQUIRED",
                        "is_active": True,
                        "channel": {"type": "email", "thread_id": "18c2f0a1b2c3d4e5"},
                        "engagement_summary": "Patient asking complex insurance questions.",
                        "follow_up_details": {
                            "attempts_made": 1,
                            "max_attempts": 3,
                            "next_attempt_at": None,
                        },
                        "booking_funnel": {"status": None, "link_url": None, "submitted_at": None},
                        "handoff_details": {
                            "summary": "Asks whether his PPO plan covers crowns.",
                            "reason": "Insurance question not in the knowledge base",
                            "requested_at": "2025-08-20T14:03:11.512Z",
                        },
                        "estimated_value": 1200.0,
                        "recall_due_date": None,
                        "patient_opted_out": False,
                        "allowed_transitions": [
                            "RE_ENGAGED",
                            "BOOKING_INITIATED",
                            "RECOVERED",
                            "RECOVERY_DECLINED",
                            "MANUAL_FOLLOWUP_COMPLETE",
                        ],
                        "created_at": "2025-08-18T09:00:00Z",
                        "updated_at": "2025-08-20T14:03:11.512Z",
                    },
                    "conversation_history": [
                        {
                            "interaction_id": "68f100000000000000000003",
                            "direction": "outgoing",
                            "content": "Hi John...",
                            "timestamp": "2025-08-18T09:00:02Z",
                            "sender": "ai",
                            "author_name": None,
                            "delivery_status": "sent",
                            "error": "",
                            "ai_analysis": {},
                        },
                        {
                            "interaction_id": "68f100000000000000000004",
                            "direction": "incoming",
                            "content": "Actually, my insurance is complicated...",
                            "timestamp": "2025-08-20T14:03:10Z",
                            "sender": "patient",
                            "author_name": None,
                            "delivery_status": "received",
                            "error": "",
                            "ai_analysis": {"intent": "QUESTION", "sentiment": "NEUTRAL"},
                        },
                    ],
                }
            ]
        }
    }


# --- Responding and changing status -----------------------------------------------------------


class CampaignRespondIn(Schema):
    # The longest any channel takes (email); each channel's own limit is checked when sending.
    message: Annotated[Text, StringConstraints(min_length=1, max_length=20000)]
    new_status: CampaignStatus | None = None
    channel: Channel | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "message": "Hi John, this is Sarah from the front desk. I can help with your "
                    "insurance question...",
                    "new_status": "RE_ENGAGED",
                }
            ]
        }
    }


class CampaignRespondOut(Schema):
    message: str
    interaction_id: str
    delivery_status: DeliveryStatus
    campaign_status: CampaignStatus

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "message": "Response sent successfully.",
                    "interaction_id": "68f100000000000000000005",
                    "delivery_status": "sent",
                    "campaign_status": "RE_ENGAGED",
                }
            ]
        }
    }


class CampaignStatusPatch(Schema):
    status: CampaignStatus

    model_config = {"json_schema_extra": {"examples": [{"status": "MANUAL_FOLLOWUP_COMPLETE"}]}}


# --- Interactions -----------------------------------------------------------------------------


class AuthorOut(Schema):
    user_id: str = Field(..., validation_alias="pk")
    name: str


class InteractionOut(Schema):
    id: str = Field(..., validation_alias="pk", serialization_alias="_id")
    interaction_id: str = Field(..., validation_alias="pk")
    campaign_id: str
    direction: Direction
    content: str
    ai_analysis: dict[str, Any]
    timestamp: dt.datetime
    channel_type: Channel
    delivery_status: DeliveryStatus
    error: str
    sender: Sender
    author: AuthorOut | None = Field(None, description="The staff member who wrote or recorded it.")

    @staticmethod
    def resolve_sender(interaction: Interaction) -> str:
        return sender(interaction)


class InteractionListOut(Schema):
    interactions: list[InteractionOut]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "interactions": [
                        {
                            "_id": "68f100000000000000000003",
                            "interaction_id": "68f100000000000000000003",
                            "campaign_id": "68f100000000000000000001",
                            "direction": "outgoing",
                            "content": "Hi John, are you still interested in crowns?",
                            "ai_analysis": {"intent": "GREETING", "sentiment": "NEUTRAL"},
                            "timestamp": "2025-08-18T09:00:02Z",
                            "channel_type": "email",
                            "delivery_status": "sent",
                            "error": "",
                            "sender": "ai",
                            "author": None,
                        },
                        {
                            "_id": "68f100000000000000000004",
                            "interaction_id": "68f100000000000000000004",
                            "campaign_id": "68f100000000000000000001",
                            "direction": "incoming",
                            "content": "Yes, but my insurance is complicated.",
                            "ai_analysis": {"intent": "QUESTION", "sentiment": "NEUTRAL"},
                            "timestamp": "2025-08-20T14:03:10Z",
                            "channel_type": "email",
                            "delivery_status": "received",
                            "error": "",
                            "sender": "patient",
                            "author": None,
                        },
                    ]
                }
            ]
        }
    }


class InteractionIn(Schema):
    campaign_id: str
    direction: Direction
    content: Annotated[Text, StringConstraints(min_length=1, max_length=5000)]
    ai_analysis: dict[str, Any] | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "campaign_id": "68f100000000000000000001",
                    "direction": "outgoing",
                    "content": "This is a test message.",
                    "ai_analysis": {"intent": "TEST", "sentiment": "NEUTRAL"},
                }
            ]
        }
    }


class InteractionCreatedOut(Schema):
    message: str
    interaction_id: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "message": "Interaction created successfully.",
                    "interaction_id": "68f100000000000000000006",
                }
            ]
        }
    }


class CampaignFilters(Schema):
    status: CampaignStatus | None = Field(None, description="Only campaigns in this status.")
    campaign_type: CampaignType | None = Field(None, description="RECALL or RECOVERY.")
    q: str | None = Field(
        None,
        max_length=100,
        description="Case-insensitive search in the patient's name, email and phone.",
    )
    page: int = Field(1, ge=1, description="1-based page number.")
    limit: int = Field(25, ge=1, le=100, description="Campaigns per page (1 to 100).")
    format: Literal["json", "csv"] = Field(
        "json", description="csv: every matching campaign as a CSV file (as `Accept: text/csv`)."
    )
