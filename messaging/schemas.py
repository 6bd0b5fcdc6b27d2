"""The webhooks' request bodies (the responses are empty: 204, or empty TwiML)."""

from ninja import Field, Schema
from pydantic import field_validator

from dentalai.choices import Channel
from dentalai.schemas import storable


class IncomingMessageIn(Schema):
    """The seed's generic payload for a patient message, plus the provider's message id."""

    channel: Channel = Field(description="email, sms or whatsapp.", examples=["sms"])
    thread_id: str = Field(
        min_length=1,
        max_length=255,
        description=(
            "The conversation: the Gmail thread id for email; the patient's number for SMS "
            "(E.164, other spellings are normalised) and `whatsapp:+…` for WhatsApp."
        ),
        examples=["+15185550123"],
    )
    message_content: str = Field(min_length=1, max_length=10_000, examples=["Yes, please!"])
    message_id: str = Field(
        min_length=1,
        max_length=200,
        description="The provider's id of this message: a message is processed once per id.",
        examples=["SM0123456789abcdef0123456789abcdef"],
    )
    sender: str = Field(
        default="",
        max_length=254,
        description="Email only, optional: the sender's address (for an unmatched thread).",
    )

    @field_validator("thread_id", "message_content", "message_id", "sender")
    @classmethod
    def storable_text(cls, value: str) -> str:
        return storable(value)
