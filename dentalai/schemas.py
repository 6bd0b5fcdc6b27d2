"""Schemas shared by every router: the one error shape (SPEC §4), and staff auth's."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints, field_validator

from dentalai.clinic_time import OUT_OF_RANGE, computable
from dentalai.untrusted import has_control


def storable(value: str) -> str:
    """Text a database can store. JSON may carry NUL, other control characters and lone
    surrogates: PostgreSQL refuses NUL and UTF-8 lone surrogates, so they are a field error (422)
    rather than a 500 later (dentalai.untrusted)."""
    if has_control(value):
        raise ValueError("Control characters (such as NUL) are not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Invalid characters.") from None
    return value


# Text from a request: trimmed, and storable in every database.
Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(storable)]


def _computable_day(value: dt.date) -> dt.date:
    if not computable(value):
        raise ValueError(OUT_OF_RANGE)
    return value


def _aware_computable(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Give the time zone: Z for UTC, or an offset such as -04:00.")
    _computable_day(value.date())
    return value


# A date or an aware instant from a request, within the days the calendar computes with.
Day = Annotated[dt.date, AfterValidator(_computable_day)]
Moment = Annotated[dt.datetime, AfterValidator(_aware_computable)]


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int]
    msg: str
    type: str | None = None


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


class MessageOut(Schema):
    message: str


class LoginIn(Schema):
    email: str = Field(min_length=1, max_length=254, examples=["sarah.chen@dentalclinic.com"])
    password: str = Field(min_length=1, max_length=4096, examples=["a_strong_password"])

    @field_validator("email", "password")
    @classmethod
    def storable_text(cls, value: str) -> str:
        return storable(value)


class TokenOut(Schema):
    access_token: str = Field(examples=["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."])
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)


class UserOut(Schema):
    user_id: str = Field(examples=["67d400000000000000000001"])
    name: str = Field(examples=["Sarah Chen"])
    email: str = Field(examples=["sarah.chen@dentalclinic.com"])
    role: str = Field(description="The role's label.", examples=["Office Manager"])
