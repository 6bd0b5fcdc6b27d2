"""One row of an export read into what it says of a patient, or the reason it cannot be."""

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from patients.contact import normalize_email, normalize_phone
from patients.imports.mappings import FIELDS

# Written dates, tried in order: ISO first, then the US month-first forms PMS exports use, then
# day-first (only when month-first is impossible, e.g. 25/03/2025).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m-%d-%Y",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
)
# Open Dental writes "no date" as the year 1 (0001-01-01), some exports as 1900-01-01.
NO_DATE_BEFORE = dt.date(1901, 1, 1)
YES = frozenset({"yes", "y", "true", "1", "ok", "x"})
NO = frozenset({"no", "n", "false", "2"})  # Open Dental's TxtMsgOk: 1 Yes, 2 No, 0 Unknown
NAME_MAX = 200


class RowError(ValueError):
    """Why a row cannot be imported (the staff read it beside the row's line number)."""


@dataclass
class PatientRow:
    line: int
    name: str
    email: str = ""
    phone: str = ""
    external_id: str = ""
    texts_allowed: bool | None = None  # None: the file does not say
    recall_due: dt.date | None = None
    recall_type: str = ""
    last_visit: dt.date | None = None
    procedure: str = ""

    def identifiers(self) -> list[tuple[str, str]]:
        """What identifies the patient, in matching order."""
        pairs = (("external_id", self.external_id), ("email", self.email), ("phone", self.phone))
        return [(field, value) for field, value in pairs if value]


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's 1042 is read as 1042.0
    return " ".join(str(value).split())


def parse_date(value, label: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return None if value < NO_DATE_BEFORE else value
    raw = text(value)
    if not raw:
        return None
    with contextlib.suppress(ValueError):  # the usual case, and the quickest to read
        parsed = dt.date.fromisoformat(raw)
        return None if parsed < NO_DATE_BEFORE else parsed
    for form in DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(raw, form).date()
        except ValueError:
            continue
        return None if parsed < NO_DATE_BEFORE else parsed
    raise RowError(f"{label} \u201c{raw[:40]}\u201d is not a date.")


def parse_yes_no(value, label: str) -> bool | None:
    raw = text(value).lower()
    if not raw or raw in {"0", "unknown", "?"}:
        return None
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise RowError(f"{label} \u201c{raw[:20]}\u201d is neither yes nor no.")


def full_name(fields: dict[str, str]) -> str:
    """First and last name, or the full name ("Bell, William" read as "William Bell")."""
    name = " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
    if not name:
        name = fields.get("name", "")
        last, comma, first = name.partition(",")
        if comma and first.strip():
            name = f"{first.strip()} {last.strip()}"
    return name[:NAME_MAX]


def parse_row(line: int, values: list, columns: dict[int, str]) -> PatientRow | None:
    """The row's patient; None for a blank row; RowError when it cannot be imported."""
    raw = {field: values[i] if i < len(values) else None for i, field in columns.items()}
    fields = {f: text(v) for f, v in raw.items()}
    if not any(fields.values()):
        return None
    name = full_name(fields)
    if not name:
        raise RowError("The row has no name.")
    email = normalize_email(fields.get("email"))
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise RowError("The email address is not valid.") from exc
    try:
        phone = normalize_phone(fields.get("phone"))
    except ValidationError as exc:
        raise RowError("The mobile phone is not a valid phone number.") from exc
    if not (email or phone):
        raise RowError("The row has neither an email address nor a mobile phone.")
    return PatientRow(
        line=line,
        name=name,
        email=email,
        phone=phone,
        external_id=fields.get("external_id", "")[:64],
        texts_allowed=parse_yes_no(raw.get("texts_allowed"), FIELDS["texts_allowed"]),
        recall_due=parse_date(raw.get("recall_due"), FIELDS["recall_due"]),
        recall_type=fields.get("recall_type", "")[:200],
        last_visit=parse_date(raw.get("last_visit"), FIELDS["last_visit"]),
        procedure=fields.get("procedure", "")[:200],
    )
