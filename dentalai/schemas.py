"""Schemas shared by every router: the one error shape (SPEC §4), and staff auth's."""

from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints, field_validator


def storable(value: str) -> str:
    """Text a database can store. JSON may carry NUL and lone surrogates: PostgreSQL refuses the
    first and UTF-8 the second, so they are a field error (422) rather than a 500 later."""
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Invalid characters.") from None
    return value


# Text from a request: trimmed, and storable in every database.
Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(storable)]


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
