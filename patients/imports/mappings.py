"""Which column of a practice-management export is which patient field (SPEC §11).

A mapping is {header: field}. Headers are compared folded (case, spaces and punctuation
ignored), so "First name", "FIRST_NAME" and "firstname" are one header and the columns may come
in any order. The built-in mappings cover Open Dental's patient and recall export, Dentrix's
Continuing Care list (Letter Merge, "Create Data File ONLY") and plain spreadsheet headers; a
clinic's own is saved as an `ImportMapping`.
"""

import re

from django.core.exceptions import ValidationError

# The fields a column can fill, and what each means to staff.
FIELDS = {
    "external_id": "Patient id in the practice-management system",
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Full name",
    "email": "Email",
    "phone": "Mobile phone",
    "texts_allowed": "Agrees to text messages",
    "recall_due": "Recall due date",
    "recall_type": "Recall type",
    "last_visit": "Last visit date",
    "procedure": "Procedure of the last visit",
}
IGNORE = ""  # a column mapped to this is not imported

OPEN_DENTAL = {
    "PatNum": "external_id",
    "FName": "first_name",
    "LName": "last_name",
    "WirelessPhone": "phone",
    "Email": "email",
    "TxtMsgOk": "texts_allowed",
    "DateDue": "recall_due",
    "DatePrevious": "last_visit",
    "RecallType": "recall_type",
    "ProcDescript": "procedure",
}
DENTRIX = {
    "Chart Number": "external_id",
    "Patient ID": "external_id",
    "Patient Name": "name",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Mobile Phone": "phone",
    "Cell Phone": "phone",
    "E-mail Address": "email",
    "Email Address": "email",
    "Continuing Care Type": "recall_type",
    "CC Type": "recall_type",
    "Due Date": "recall_due",
    "CC Due Date": "recall_due",
    "Last Visit Date": "last_visit",
    "Last Procedure": "procedure",
}
PLAIN = {
    "Patient ID": "external_id",
    "First name": "first_name",
    "Last name": "last_name",
    "Name": "name",
    "Mobile": "phone",
    "Cell": "phone",
    "Phone": "phone",
    "Email": "email",
    "Texts OK": "texts_allowed",
    "Recall due": "recall_due",
    "Recall": "recall_type",
    "Last visit": "last_visit",
    "Procedure": "procedure",
}
BUILT_IN = {"opendental": OPEN_DENTAL, "dentrix": DENTRIX, "plain": PLAIN}


def fold(header: str) -> str:
    return re.sub(r"[\W_]+", "", str(header or "")).lower()


def unknown_fields(mapping: dict) -> list[str]:
    """The fields a mapping names that no column can fill, sorted."""
    return sorted({str(f) for f in mapping.values()} - set(FIELDS) - {IGNORE})


def columns_for(headers: list[str], mapping: dict[str, str]) -> dict[int, str]:
    """{column index: field} for a file's headers under `mapping`. A header the mapping does
    not name is not imported; when several columns fill one field ("Mobile" and "Phone"), the
    header the mapping lists first wins. ValidationError when no column gives a name, or none
    an email, a mobile phone or a patient id."""
    unknown = unknown_fields(mapping)
    if unknown:
        raise ValidationError(f"Unknown fields in the mapping: {', '.join(unknown)}.")
    columns = _columns(headers, mapping)
    found = set(columns.values())
    if not found & {"name", "first_name", "last_name"} or not found & {
        "email",
        "phone",
        "external_id",
    }:
        raise ValidationError(
            "No column gives the patient's name and an email, a mobile phone or a patient id; "
            "choose a mapping or map the columns."
        )
    return columns


def headers_mapped(headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """{header: field} for each of a file's own headers under `mapping` (IGNORE where it names
    none): what the import page shows staff to correct."""
    columns = _columns(headers, mapping)
    return {header: columns.get(i, IGNORE) for i, header in enumerate(headers)}


def _columns(headers: list[str], mapping: dict[str, str]) -> dict[int, str]:
    position = {fold(h): i for i, h in enumerate(headers)}
    columns: dict[int, str] = {}
    for header, field in mapping.items():
        index = position.get(fold(header))
        if field in FIELDS and index is not None and field not in columns.values():
            columns[index] = field
    return columns


def best_built_in(headers: list[str]) -> str:
    """The built-in mapping that names the most of these headers."""
    folded = {fold(h) for h in headers}
    return max(BUILT_IN, key=lambda name: len(folded & {fold(h) for h in BUILT_IN[name]}))
