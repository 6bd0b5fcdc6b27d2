"""Importing patients, their last visit and their recall due date from a practice-management
export (SPEC §11): the one door, called by `manage.py import_patients` and the dashboard's job.

Rows are read in pages of PAGE_SIZE; each page costs the same few queries however long the
file is (the patients any of its rows could be, their treatment records, then bulk writes).
A row is matched, in order, by the PMS's patient id, its email, then its mobile phone; a match
is updated, never duplicated, and a row that says nothing new changes nothing, so importing the
same file twice is a no-op. A blank cell never erases what is stored. Consent: a "no" to texts
withdraws it; an import never grants it back nor touches an opt-out — the patient's own STOP
here is newer than any export. Every bad row is skipped alone, reported with its line.
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from dentalai.database import atomic
from patients.choices import PatientType
from patients.imports.files import Table
from patients.imports.mappings import BUILT_IN, best_built_in, columns_for
from patients.imports.rows import PatientRow, RowError, parse_row
from patients.models import ImportMapping, Patient, TreatmentRecord

PAGE_SIZE = 1000
# Problems kept for the report; more are counted, not listed.
PROBLEMS_LISTED = 1000
LAST_VISIT = "Visit"  # a last visit whose procedure the file does not name
KEY_WORDS = {"external_id": "patient id", "email": "email address", "phone": "mobile phone"}
PATIENT_FIELDS = (
    "id",
    "name",
    "email",
    "phone",
    "external_id",
    "texts_allowed",
    "patient_type",
    "next_follow_up_date",
    "next_recommended_follow_up",
)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        if len(self.problems) < PROBLEMS_LISTED:
            self.problems.append((line, reason))

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped

    @classmethod
    def from_dict(cls, data: dict) -> "ImportReport":
        report = cls(**{k: data.get(k, 0) for k in ("created", "updated", "unchanged", "skipped")})
        report.problems = [(line, reason) for line, reason in data.get("problems", [])]
        return report

    def summary(self) -> str:
        return (
            f"created={self.created} updated={self.updated} unchanged={self.unchanged} "
            f"skipped={self.skipped}"
        )


@dataclass
class _Import:
    """What one run has seen so far: each identifying value's line, each patient's line."""

    report: ImportReport
    dry_run: bool
    lines_by_key: dict[tuple[str, str], int] = field(default_factory=dict)
    lines_by_patient: dict[str, int] = field(default_factory=dict)


def mapping_for(headers: list[str], name: str = "") -> tuple[str, dict[str, str]]:
    """The mapping called `name` (built in, or saved by the clinic), or when none is named the
    built-in one that fits the headers best: (its name, {header: field})."""
    name = name or best_built_in(headers)
    if name in BUILT_IN:
        return name, BUILT_IN[name]
    saved = ImportMapping.objects.filter(name=name).first()
    if saved is None:
        raise ValidationError(f"No mapping is called “{name}”; built in: {', '.join(BUILT_IN)}.")
    return name, saved.columns


def patients_import(
    table: Table,
    mapping: dict[str, str],
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] = lambda rows, line: None,
    page_size: int = PAGE_SIZE,
    report: ImportReport | None = None,
    after_line: int = 0,
) -> ImportReport:
    """Import `table` read with `mapping` ({header: field}); with `dry_run`, report what would
    happen and write nothing. `progress(rows, line)` is called after each page with its row
    count and its last line. An import that stopped resumes with `report` (what it had done)
    and `after_line` (the last line of its last page): the rows up to it are not read again.
    ValidationError when the headers cannot be read with the mapping (nothing is read then)."""
    columns = columns_for(table.headers, mapping)
    run = _Import(report or ImportReport(), dry_run)
    for page in _pages(table.rows, page_size):
        todo = [(line, values) for line, values in page if line > after_line]
        rows = [row for row in (_read(run, line, values, columns) for line, values in todo) if row]
        _import_page(run, rows)
        progress(len(page), page[-1][0])
    return run.report


@dataclass
class PreviewRow:
    """One of a file's first rows as the import would store it, or why it would skip it."""

    line: int
    row: PatientRow | None = None
    problem: str = ""
    existing: bool = False  # matches a patient on file (updated, not created)


def import_preview(table: Table, mapping: dict[str, str], *, rows: int = 10) -> list[PreviewRow]:
    """The first `rows` non-blank rows read with `mapping`, for staff to check before importing.
    ValidationError when the headers cannot be read with the mapping."""
    columns = columns_for(table.headers, mapping)
    run = _Import(ImportReport(), dry_run=True)
    preview = []
    for line, values in table.rows:
        skipped = run.report.skipped
        row = _read(run, line, values, columns)  # the import's own reading, duplicates included
        if row is not None:
            preview.append(PreviewRow(line, row))
        elif run.report.skipped > skipped:
            preview.append(PreviewRow(line, problem=run.report.problems[-1][1]))
        if len(preview) == rows:
            break
    known = _patients_for([p.row for p in preview if p.row])
    for item in preview:
        item.existing = bool(item.row and any(k in known for k in item.row.identifiers()))
    return preview


def _pages(rows: Iterator, size: int) -> Iterator[list]:
    while page := list(itertools.islice(rows, size)):
        yield page


def _read(run: _Import, line: int, values: list, columns: dict[int, str]) -> PatientRow | None:
    try:
        row = parse_row(line, values, columns)
    except RowError as exc:
        run.report.skip(line, str(exc))
        return None
    if row is None:
        return None
    earlier = next((run.lines_by_key[k] for k in row.identifiers() if k in run.lines_by_key), None)
    if earlier is not None:
        run.report.skip(line, f"The same patient as line {earlier}.")
        return None
    run.lines_by_key.update(dict.fromkeys(row.identifiers(), line))
    return row


def _import_page(run: _Import, rows: list[PatientRow], *, alone: bool = False) -> None:
    """Import one page's rows. `alone`: one row retried by itself, whose IntegrityError is
    the caller's to report."""
    known = _patients_for(rows)
    created, updated, changed_fields, visits, skips = [], [], set(), [], []
    for row in rows:
        try:
            patient = _match(run, row, known)
        except RowError as exc:
            skips.append((row.line, str(exc)))
            continue
        if patient is None:
            patient = _new_patient(row)
            created.append(patient)
        else:
            run.lines_by_patient[patient.pk] = row.line
            changes = _changes(patient, row)
            for name, value in changes.items():
                setattr(patient, name, value)
            if changes:
                updated.append(patient)
                changed_fields.update(changes)
        visits.append((patient, row))
    new = {p.pk for p in created}
    new_visits = _new_visits(visits, new)
    touched = {p.pk for p in updated} | {v.patient_id for v in new_visits}
    if not run.dry_run and (created or updated or new_visits):
        try:
            _write(created, updated, changed_fields, new_visits)
        except IntegrityError:
            if alone:
                raise
            # A patient added elsewhere meanwhile took one of these contacts: the page is
            # rolled back and redone row by row, so that only that row is skipped.
            return _import_rows_alone(run, rows)
    for line, reason in skips:
        run.report.skip(line, reason)
    run.report.created += len(new)
    run.report.updated += len(touched - new)
    run.report.unchanged += sum(1 for p, _ in visits if p.pk not in touched and p.pk not in new)


def _import_rows_alone(run: _Import, rows: list[PatientRow]) -> None:
    lines = {row.line for row in rows}
    run.lines_by_patient = {k: v for k, v in run.lines_by_patient.items() if v not in lines}
    for row in rows:
        try:
            _import_page(run, [row], alone=True)
        except IntegrityError:
            run.report.skip(row.line, "Another patient took this contact during the import.")


def _patients_for(rows: list[PatientRow]) -> dict[tuple[str, str], Patient]:
    """The stored patients any of `rows` could be, by each identifying (field, value)."""
    lookups = Q()
    for name in KEY_WORDS:
        values = {getattr(row, name) for row in rows if getattr(row, name)}
        if values:
            lookups |= Q(**{f"{name}__in": values})
    if not lookups:
        return {}
    known = {}
    for patient in Patient.objects.filter(lookups).only(*PATIENT_FIELDS):
        for name in KEY_WORDS:
            if getattr(patient, name):
                known[(name, getattr(patient, name))] = patient
    return known


def _match(run: _Import, row: PatientRow, known: dict) -> Patient | None:
    """The stored patient this row is (by patient id, email, then phone), None for a new one;
    RowError when its details point at two patients or at one imported from an earlier row."""
    found = [(key[0], known[key]) for key in row.identifiers() if key in known]
    if not found:
        return None
    _, patient = found[0]
    for name, other in found[1:]:
        if other.pk != patient.pk:
            raise RowError(f"The {KEY_WORDS[name]} belongs to another patient on file.")
    if row.external_id and patient.external_id and row.external_id != patient.external_id:
        name = found[0][0]
        raise RowError(f"The {KEY_WORDS[name]} belongs to a patient with another patient id.")
    if patient.pk in run.lines_by_patient:
        raise RowError(f"The same patient as line {run.lines_by_patient[patient.pk]}.")
    return patient


def _new_patient(row: PatientRow) -> Patient:
    return Patient(
        name=row.name,
        email=row.email,
        phone=row.phone,
        external_id=row.external_id,
        texts_allowed=row.texts_allowed is not False,
        patient_type=PatientType.EXISTING,
        next_follow_up_date=row.recall_due,
        next_recommended_follow_up=row.recall_type,
    )


def _changes(patient: Patient, row: PatientRow) -> dict:
    """The fields of `patient` the row changes: what it gives and the record does not say."""
    given = {
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "external_id": row.external_id,
        "next_follow_up_date": row.recall_due,
        "next_recommended_follow_up": row.recall_type,
        "patient_type": PatientType.EXISTING,
    }
    changes = {k: v for k, v in given.items() if v and v != getattr(patient, k)}
    if row.texts_allowed is False and patient.texts_allowed:
        changes["texts_allowed"] = False
    return changes


def _new_visits(visits: list[tuple[Patient, PatientRow]], new: set[str]) -> list[TreatmentRecord]:
    """A treatment record for each row's last visit not on record yet."""
    dated = [(p, r) for p, r in visits if r.last_visit]
    earlier = [p.pk for p, _ in dated if p.pk not in new]
    stored = set(
        TreatmentRecord.objects.filter(
            patient_id__in=earlier, procedure_date__in={r.last_visit for _, r in dated}
        ).values_list("patient_id", "procedure_name", "procedure_date")
        if earlier
        else ()
    )
    records = []
    for patient, row in dated:
        procedure = row.procedure or row.recall_type or LAST_VISIT
        if (patient.pk, procedure, row.last_visit) not in stored:
            records.append(
                TreatmentRecord(
                    patient_id=patient.pk,
                    procedure_name=procedure,
                    procedure_date=row.last_visit,
                    next_recommended_follow_up=row.recall_type,
                    next_follow_up_date=row.recall_due,
                )
            )
    return records


def _write(created, updated, changed_fields, new_visits) -> None:
    now = timezone.now()
    for patient in updated:
        patient.updated_at = now
    with atomic():
        Patient.objects.bulk_create(created, batch_size=PAGE_SIZE)
        if updated:
            fields = sorted(changed_fields | {"updated_at"})
            Patient.objects.bulk_update(updated, fields, batch_size=PAGE_SIZE)
        TreatmentRecord.objects.bulk_create(new_visits, batch_size=PAGE_SIZE)
