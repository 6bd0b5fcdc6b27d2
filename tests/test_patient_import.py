"""Importing patients from a practice-management export (SPEC §11): `manage.py import_patients`
on Open Dental-, Dentrix- and plain-style files with the messy rows real exports have."""

import csv
import datetime as dt
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from campaigns.choices import CampaignType
from campaigns.models import Campaign
from campaigns.triggers import due_campaigns_start
from patients.choices import PatientType
from patients.imports.files import table_open
from patients.imports.mappings import OPEN_DENTAL, PLAIN
from patients.imports.service import patients_import
from patients.models import ImportMapping, Patient, TreatmentRecord
from patients.optout import patient_opt_out
from tests.concurrency import after_query, statement
from tests.scheduler_fixtures import scheduler_environment  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "imports"
OPEN_DENTAL_FILE = DATA / "opendental_patients.csv"
DENTRIX_FILE = DATA / "dentrix_continuing_care.csv"
PLAIN_FILE = DATA / "plain_spreadsheet.csv"


def run(path: Path, *args: str) -> list[str]:
    out = StringIO()
    call_command("import_patients", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def stored() -> list[tuple]:
    """Everything an import writes, to compare before and after."""
    patients = Patient.objects.order_by("pk").values_list(
        "pk",
        "name",
        "email",
        "phone",
        "external_id",
        "texts_allowed",
        "patient_type",
        "next_follow_up_date",
        "next_recommended_follow_up",
        "opted_out_at",
        "updated_at",
    )
    visits = TreatmentRecord.objects.order_by("pk").values_list(
        "patient_id", "procedure_name", "procedure_date", "next_follow_up_date"
    )
    return [*patients, *visits]


def test_an_open_dental_export_is_imported_and_each_bad_row_skips_only_itself():
    lines = run(OPEN_DENTAL_FILE)

    assert lines[0] == "Reading opendental_patients.csv with the opendental mapping."
    assert lines[-1] == "created=7 updated=0 unchanged=0 skipped=5"
    assert lines[1:-1] == [
        "line 7: Recall due date \u201c2026-13-01\u201d is not a date.",
        "line 8: The mobile phone is not a valid phone number.",
        "line 9: The same patient as line 2.",
        "line 11: Recall due date \u201c02/30/2027\u201d is not a date.",
        "line 13: The row has no name.",
    ]
    ada = Patient.objects.get(external_id="1001")
    assert (ada.name, ada.email, ada.phone) == (
        "Adaeze Okafor",
        "ada.okafor@example.com",
        "+12125550143",
    )
    assert ada.patient_type == PatientType.EXISTING and ada.texts_allowed
    assert (ada.next_follow_up_date, ada.next_recommended_follow_up) == (
        dt.date(2027, 1, 15),
        "Prophy",
    )
    assert list(ada.treatments.values_list("procedure_name", "procedure_date")) == [
        ("Prophy", dt.date(2026, 7, 15))
    ]
    # TxtMsgOk = No: no texts; an international number kept in E.164; a US month-first date.
    assert not Patient.objects.get(external_id="1002").texts_allowed
    lucia = Patient.objects.get(external_id="1003")
    assert (lucia.name, lucia.phone, lucia.next_follow_up_date) == (
        "Lucía Martínez",
        "+525512345678",
        dt.date(2027, 1, 10),
    )
    # Open Dental's "no date" (0001-01-01) is no visit; a padded, capitalised email is folded.
    assert not Patient.objects.get(external_id="1004").treatments.exists()
    assert Patient.objects.get(external_id="1009").email == "ronan.fitz@example.com"
    assert Patient.objects.get(external_id="1011").name == "María José Del Rosario"
    assert not Patient.objects.filter(external_id__in=["1005", "1006", "1008", "1010"]).exists()


def test_a_dry_run_reports_the_same_and_writes_nothing():
    lines = run(OPEN_DENTAL_FILE, "--dry-run")

    assert lines[-2:] == [
        "Dry run: nothing was written.",
        "created=7 updated=0 unchanged=0 skipped=5",
    ]
    assert not Patient.objects.exists() and not TreatmentRecord.objects.exists()


def test_importing_the_same_file_again_changes_nothing():
    run(OPEN_DENTAL_FILE)
    before = stored()

    lines = run(OPEN_DENTAL_FILE)

    assert lines[-1] == "created=0 updated=0 unchanged=7 skipped=5"
    assert stored() == before


def test_a_row_matches_by_pms_id_then_email_then_phone_and_is_updated_not_duplicated():
    by_email = Patient.objects.create(name="Ada Okafor", email="ada.okafor@example.com")
    by_phone = Patient.objects.create(name="J. Lindqvist", phone="+12125550199")
    by_id = Patient.objects.create(
        name="Kwame Osei", external_id="1007", email="kwame.old@example.com"
    )

    lines = run(OPEN_DENTAL_FILE)

    assert lines[-1] == "created=4 updated=3 unchanged=0 skipped=5"
    assert Patient.objects.count() == 7
    by_email.refresh_from_db()
    assert (by_email.external_id, by_email.name, by_email.patient_type) == (
        "1001",
        "Adaeze Okafor",
        PatientType.EXISTING,
    )
    by_phone.refresh_from_db()
    assert (by_phone.external_id, by_phone.texts_allowed) == ("1002", False)
    by_id.refresh_from_db()
    assert by_id.email == "kwame.osei@example.co.uk"  # the PMS has the newer address


def test_contact_details_of_another_patient_skip_the_row_and_change_neither():
    Patient.objects.create(name="Adaeze Okafor", external_id="1001", email="ada@old.example")
    Patient.objects.create(name="Someone Else", email="ada.okafor@example.com")
    Patient.objects.create(name="Third Person", external_id="77", phone="+12125550199")
    before = stored()

    lines = run(OPEN_DENTAL_FILE)

    assert "line 2: The email address belongs to another patient on file." in lines
    assert "line 3: The mobile phone belongs to a patient with another patient id." in lines
    assert stored()[:3] == before


def test_a_patient_added_elsewhere_during_the_import_is_matched_not_duplicated():
    def front_desk_adds_her():
        Patient.objects.create(name="Ada Okafor", email="ada.okafor@example.com")

    # Between the page's lookup and its insert, the same patient is added at the front desk:
    # the insert is refused by the unique email, and the page is redone row by row.
    with after_query(statement("SELECT", Patient), front_desk_adds_her) as injected:
        lines = run(OPEN_DENTAL_FILE)

    assert injected.fired == 1
    assert lines[-1] == "created=6 updated=1 unchanged=0 skipped=5"
    ada = Patient.objects.get(email="ada.okafor@example.com")
    assert (ada.external_id, ada.name) == ("1001", "Adaeze Okafor")
    assert Patient.objects.count() == 7


def test_an_import_never_re_subscribes_an_opted_out_patient_nor_grants_texts_back():
    quiet = Patient.objects.create(name="Adaeze Okafor", external_id="1001", texts_allowed=False)
    patient_opt_out(patient=quiet)
    opted_out_at = Patient.objects.get(pk=quiet.pk).opted_out_at

    run(OPEN_DENTAL_FILE)  # its row says TxtMsgOk = Yes

    quiet.refresh_from_db()
    assert quiet.opted_out_at == opted_out_at and not quiet.texts_allowed
    assert quiet.next_follow_up_date == dt.date(2027, 1, 15)  # the recall date still moves


def test_recall_due_dates_feed_the_daily_trigger(scheduler_environment):  # noqa: F811
    run(OPEN_DENTAL_FILE)

    result = due_campaigns_start(today=dt.date(2026, 12, 20))

    # Due by then: Johan Lindqvist (2026-12-20) and María José Del Rosario (2026-11-30); neither
    # agreed to texts, so hers goes by email and he, with no email, cannot be reached.
    assert (result.recall_created, result.skipped_no_address) == (1, 1)
    recall = Campaign.objects.get(campaign_type=CampaignType.RECALL)
    assert (recall.patient.external_id, recall.recall_due_date, recall.channel_type) == (
        "1011",
        dt.date(2026, 11, 30),
        "email",
    )


def test_a_dentrix_continuing_care_list_is_read_with_its_own_headers():
    lines = run(DENTRIX_FILE)

    assert lines[0] == "Reading dentrix_continuing_care.csv with the dentrix mapping."
    assert lines[1:-1] == [
        "line 6: The same patient as line 2.",
        "line 7: Recall due date \u201c13/13/2027\u201d is not a date.",
    ]
    assert lines[-1] == "created=5 updated=0 unchanged=0 skipped=2"
    eleanor = Patient.objects.get(external_id="WHI0042")
    assert (eleanor.name, eleanor.phone) == ("Eleanor Whitfield", "+13035550111")  # mobile
    assert eleanor.treatments.get().procedure_name == "PROPHY"
    assert Patient.objects.get(external_id="KOW0019").phone == ""  # a home phone is not texted
    sato = Patient.objects.get(external_id="SAT0003")
    assert (sato.phone, sato.next_follow_up_date) == ("+819012345678", dt.date(2027, 3, 1))


def test_a_plain_spreadsheet_with_its_columns_in_another_order():
    lines = run(PLAIN_FILE)

    assert lines[0] == "Reading plain_spreadsheet.csv with the plain mapping."
    assert lines[1:] == [
        "line 5: The email address is not valid.",
        "created=3 updated=0 unchanged=0 skipped=1",
    ]
    priya = Patient.objects.get(email="priya.raman@example.com")
    assert priya.next_follow_up_date == dt.date(2027, 2, 8)  # day-first where it must be
    tomas = Patient.objects.get(email="tomas.herrera@example.com")
    assert tomas.next_follow_up_date == dt.date(2027, 1, 15)
    assert tomas.treatments.get().procedure_name == "Filling"


def test_an_xlsx_workbook_is_imported_like_its_csv(tmp_path):
    with PLAIN_FILE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    book = Workbook()
    sheet = book.active
    sheet.append(["Patient list, exported 2026-12-01"])  # a title row above the headers
    sheet.append([])
    sheet.append(rows[0])
    sheet.append([*rows[1][:4], dt.datetime(2027, 1, 8), dt.date(2026, 7, 8), "Cleaning"])
    for row in rows[2:]:
        sheet.append(row)
    path = tmp_path / "patients.xlsx"
    book.save(path)

    lines = run(path, "--mapping", "plain")

    assert lines[-2:] == [
        "line 7: The email address is not valid.",
        "created=3 updated=0 unchanged=0 skipped=1",
    ]
    sam = Patient.objects.get(email="sam.porter@example.com")
    assert (sam.phone, sam.next_follow_up_date) == ("+14155550120", dt.date(2027, 1, 8))
    assert sam.treatments.get().procedure_date == dt.date(2026, 7, 8)


def test_a_saved_mapping_reads_a_clinics_own_headers(tmp_path):
    ImportMapping.objects.create(
        name="front desk sheet",
        columns={"Client": "name", "Cell #": "phone", "Next cleaning": "recall_due"},
    )
    path = tmp_path / "sheet.csv"
    path.write_text("Client,Cell #,Next cleaning\nGrace Ho,(415) 555-0130,2027-05-01\n")

    lines = run(path, "--mapping", "front desk sheet")

    assert lines[-1] == "created=1 updated=0 unchanged=0 skipped=0"
    assert Patient.objects.get(phone="+14155550130").next_follow_up_date == dt.date(2027, 5, 1)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"", (), "The file is empty: no header row."),
        (b"Colour,Size\nred,2\n", (), "No column gives the patient's name"),
        (b"Name,Email\nA,a@example.com\n", ("--mapping", "nope"), "No mapping is called"),
        (b"PK\x03\x04not really a zip", (), "not a readable XLSX workbook"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_reason(tmp_path, content, args, message):
    path = tmp_path / "export.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run(path, *args)
    assert not Patient.objects.exists()


def test_a_missing_file_is_refused():
    with pytest.raises(CommandError, match="no such file"):
        run(DATA / "missing.csv")


def test_a_windows_1252_export_keeps_its_accents(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("First name,Last name,Email\nJosé,Núñez,jose@example.com\n".encode("cp1252"))

    run(path)

    assert Patient.objects.get().name == "José Núñez"


def _export(rows: int) -> io.BytesIO:
    out = io.StringIO()
    out.write("PatNum,FName,LName,WirelessPhone,Email,DateDue,DatePrevious,RecallType\n")
    for n in range(rows):
        out.write(
            f"{n},Pat,Number{n},+1518555{n:04d},pat{n}@example.com,2027-01-01,2026-07-01,Prophy\n"
        )
    return io.BytesIO(out.getvalue().encode())


@pytest.mark.parametrize("rows", [40, 160])
def test_the_queries_per_page_do_not_grow_with_the_file(rows):
    with CaptureQueriesContext(connection) as first:
        report = patients_import(table_open(_export(rows)), OPEN_DENTAL, page_size=20)
    with CaptureQueriesContext(connection) as again:
        patients_import(table_open(_export(rows)), OPEN_DENTAL, page_size=20)

    assert report.created == rows and Patient.objects.count() == rows
    pages = rows // 20
    assert len(first) <= 6 * pages  # match, visits, and the bulk writes of each page
    assert len(again) <= 3 * pages  # re-reading: the two lookups, nothing written


def test_the_mappings_read_headers_in_any_case_and_spacing():
    table = table_open(io.BytesIO(b"FIRST_NAME,last name,e-mail\nAmy,Lo,amy@example.com\n"))
    plain = {**PLAIN, "E-mail": "email"}

    report = patients_import(table, plain)

    assert report.created == 1 and Patient.objects.get().email == "amy@example.com"


def test_a_saved_mapping_naming_an_unknown_field_is_refused():
    mapping = ImportMapping(name="typo", columns={"Client": "name", "Shoe": "shoe_size"})

    with pytest.raises(ValidationError, match="Unknown fields: shoe_size"):
        mapping.full_clean()
