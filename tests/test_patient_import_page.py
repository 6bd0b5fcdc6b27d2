"""The dashboard's patient import (SPEC §11): upload an export, correct how its columns are
read while seeing its first rows as they will be stored, confirm, and follow the background
job to its report — the same import as `manage.py import_patients`."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dentalai.models import AuditEntry
from patients.choices import ImportStatus
from patients.imports.files import table_open
from patients.imports.jobs import (
    EXPIRED,
    imports_unfinished_cleanup,
    patient_import_run,
    stall,
)
from patients.models import ImportMapping, Patient, PatientImport
from tests.scheduler_fixtures import q_sync  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "imports"
START = reverse("dashboard:patient_import_start")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staff(client, front_desk):
    client.force_login(front_desk)
    return client


def upload(client, name: str, content: bytes, mapping: str = ""):
    return client.post(START, {"file": SimpleUploadedFile(name, content), "mapping": mapping})


def uploaded(client, path: Path, mapping: str = "") -> PatientImport:
    response = upload(client, path.name, path.read_bytes(), mapping)
    assert response.status_code == 302, response.content.decode()[:500]
    patient_import = PatientImport.objects.get()
    assert response.url == reverse("dashboard:patient_import", args=[patient_import.pk])
    return patient_import


def columns_post(patient_import: PatientImport, **overrides) -> dict:
    """The columns form as the page shows it for this import, with `overrides` (column: field).
    The form's columns follow the file's headers (a JSON object's key order is not kept on
    PostgreSQL)."""
    with patient_import.file.open("rb") as handle:
        headers = table_open(handle, patient_import.filename).headers
    data = {f"column_{i}": patient_import.columns[h] for i, h in enumerate(headers)}
    for header, field in overrides.items():
        data[f"column_{headers.index(header)}"] = field
    return data


def test_an_uploaded_export_shows_its_columns_and_first_rows_as_they_will_be_stored(staff):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")

    page = staff.get(reverse("dashboard:patient_import", args=[patient_import.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Check the columns of opendental_patients.csv" in body
    # Each header with the field it is read as: Open Dental's, recognised from the headers.
    assert patient_import.columns["WirelessPhone"] == "phone"
    assert patient_import.columns["HmPhone"] == ""  # the home phone is not a mobile
    assert '<option value="phone" selected>Mobile phone</option>' in body
    # The first rows as stored: the name put together, the phone in E.164, the US date read.
    assert "Adaeze Okafor" in body and "+12125550143" in body and "Jan 10, 2027" in body
    # A bad row shows why it will be skipped; nothing is written before the import.
    assert "Recall due date \u201c2026-13-01\u201d is not a date." in body
    assert "The same patient as line 2." in body  # as the import itself will read it
    assert not Patient.objects.exists()


@pytest.mark.usefixtures("q_sync")
def test_staff_correct_a_column_save_the_mapping_and_the_job_imports_the_file(
    staff, front_desk, django_capture_on_commit_callbacks, media
):
    content = (
        b"Surname,Given,Cell #,E-mail,Next recall\n"
        b"Porter,Sam,(415) 555-0120,sam.porter@example.com,2027-01-08\n"
        b"Raman,Priya,,priya.raman@example.com,2027-02-08\n"
        b"Nobody,,,,\n"
    )
    response = upload(staff, "our-export.csv", content)
    patient_import = PatientImport.objects.get()
    url = reverse("dashboard:patient_import_columns", args=[patient_import.pk])
    # None of these headers is known: the page says a name and a contact are missing.
    page = staff.get(response.url)
    assert "No column gives the patient" in page.content.decode()

    corrected = columns_post(
        patient_import,
        Surname="last_name",
        Given="first_name",
        **{"Cell #": "phone", "E-mail": "email", "Next recall": "recall_due"},
    )
    preview = staff.post(url, {**corrected, "preview": "1"})
    assert preview.status_code == 200
    assert "+14155550120" in preview.content.decode() and "Sam Porter" in preview.content.decode()
    assert not Patient.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        started = staff.post(url, {**corrected, "save_as": "Front desk sheet", "import": "1"})

    assert started.status_code == 302
    done = PatientImport.objects.get()
    assert done.status == ImportStatus.DONE
    assert done.report["created"] == 2 and done.report["skipped"] == 1
    assert done.report["problems"] == [
        [4, "The row has neither an email address nor a mobile phone."]
    ]
    sam = Patient.objects.get(email="sam.porter@example.com")
    assert (sam.name, sam.phone, sam.next_follow_up_date) == (
        "Sam Porter",
        "+14155550120",
        dt.date(2027, 1, 8),
    )
    # The file held patient data: deleted once imported. The mapping is there for next time.
    assert not done.file and not list((media / "imports").iterdir())
    assert ImportMapping.objects.get(name="Front desk sheet").columns["Cell #"] == "phone"
    assert AuditEntry.objects.filter(action="patient_import", actor=front_desk).count() == 1
    report = staff.get(started.url).content.decode()
    assert "<h2>Done</h2>" in report and "<dt>New patients</dt><dd>2</dd>" in report
    assert "The row has neither an email address nor a mobile phone." in report


def test_a_saved_mapping_reads_the_next_export(staff):
    ImportMapping.objects.create(
        name="Ours", columns={"Full": "name", "Mob": "phone", "Recall": "recall_due"}
    )
    content = b"Full,Mob,Recall,Notes\nAda Lee,(212) 555-0143,2027-03-01,\n"

    response = upload(staff, "ours.csv", content, mapping="Ours")

    assert response.status_code == 302
    assert PatientImport.objects.get().columns == {
        "Full": "name",
        "Mob": "phone",
        "Recall": "recall_due",
        "Notes": "",
    }
    assert "Ada Lee" in staff.get(response.url).content.decode()


def test_two_columns_for_one_field_are_refused_with_a_sentence(staff):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")
    url = reverse("dashboard:patient_import_columns", args=[patient_import.pk])

    response = staff.post(url, {**columns_post(patient_import, HmPhone="phone"), "import": "1"})

    assert response.status_code == 400
    assert (
        "\u201cMobile phone\u201d is chosen for 2 columns (WirelessPhone, HmPhone)"
        in response.content.decode()
    )
    assert PatientImport.objects.get().status == ImportStatus.DRAFT


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The submitted file is empty."),
        ("blank.csv", b"\n\n", "no header row"),
        ("book.xlsx", b"PK\x03\x04 not really a workbook", "not a readable XLSX workbook"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_and_nothing_is_kept(staff, name, content, message):
    response = upload(staff, name, content)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PatientImport.objects.exists()


def test_the_import_page_takes_an_export_larger_than_other_pages_do(staff, settings):
    settings.REQUEST_BODY_MAX_BYTES = 65_536
    settings.REQUEST_BODY_MAX_BYTES_BY_PATH = {START: 1_048_576}
    rows = b"".join(
        b"Patient%d,Test,+1212555%04d,p%d@example.com\n" % (n, n, n) for n in range(5000)
    )
    big = b"First name,Last name,Mobile,Email\n" + rows
    assert 65_536 < len(big) < 1_048_576

    assert upload(staff, "big.csv", big).status_code == 302
    # Elsewhere the ordinary limit holds; above the page's own, the import page refuses too.
    knowledge = {"file": SimpleUploadedFile("kb.md", big)}
    assert staff.post(reverse("dashboard:knowledge_import"), knowledge).status_code == 413
    huge = upload(staff, "huge.csv", big * 6)
    assert huge.status_code == 413
    assert "at most 1048576 bytes" in huge.content.decode()


def test_the_progress_is_shown_while_the_job_runs(staff):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")
    PatientImport.objects.filter(pk=patient_import.pk).update(
        status=ImportStatus.RUNNING, lines_total=15, lines_done=6, heartbeat_at=timezone.now()
    )
    url = reverse("dashboard:patient_import", args=[patient_import.pk])

    page = staff.get(url, headers={"HX-Request": "true", "HX-Target": "import-progress"})

    body = page.content.decode()
    assert "Line 6 of about 15 (40%)" in body
    assert 'hx-trigger="every 2s"' in body  # it keeps polling while it runs
    assert "Resume" not in body


def test_a_job_run_twice_imports_once(staff):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")
    PatientImport.objects.filter(pk=patient_import.pk).update(status=ImportStatus.QUEUED)

    first = patient_import_run(patient_import.pk)
    second = patient_import_run(patient_import.pk)

    assert first["created"] == 7 and second == {"claimed": 0}
    assert Patient.objects.count() == 7
    assert PatientImport.objects.get().report["created"] == 7


@pytest.mark.usefixtures("q_sync")
def test_a_stalled_import_is_resumed_from_the_page_after_its_last_page(
    staff, django_capture_on_commit_callbacks
):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")
    # A run that imported lines up to 6, then its worker died: no heartbeat since.
    PatientImport.objects.filter(pk=patient_import.pk).update(
        status=ImportStatus.RUNNING,
        lines_done=6,
        lines_total=15,
        report={"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "problems": []},
        heartbeat_at=timezone.now() - stall() - dt.timedelta(seconds=1),
    )
    page = staff.get(reverse("dashboard:patient_import", args=[patient_import.pk]))
    assert "The import stopped reporting" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("dashboard:patient_import_resume", args=[patient_import.pk]))

    done = PatientImport.objects.get()
    assert done.status == ImportStatus.DONE
    # Lines 2-6 were not read again: only the later rows were imported (line 9 repeats line 2's
    # patient: after a resume the run no longer knows line 2, so the row imports it).
    assert not Patient.objects.filter(external_id__in=["1002", "1003", "1004"]).exists()
    assert Patient.objects.filter(external_id="1007").exists()
    assert done.report["created"] == 3 + Patient.objects.count()


def test_a_running_import_cannot_be_resumed_twice(staff):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")
    PatientImport.objects.filter(pk=patient_import.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )

    response = staff.post(
        reverse("dashboard:patient_import_resume", args=[patient_import.pk]), follow=True
    )

    assert "This import is not stopped" in response.content.decode()
    assert PatientImport.objects.get().status == ImportStatus.RUNNING


def test_an_upload_never_imported_is_deleted_after_a_week(staff, media):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")
    PatientImport.objects.filter(pk=patient_import.pk).update(
        created_at=timezone.now() - dt.timedelta(days=8)
    )

    assert imports_unfinished_cleanup() == {"deleted": 1}

    expired = PatientImport.objects.get()
    assert (expired.status, expired.error, expired.file.name) == (ImportStatus.FAILED, EXPIRED, "")
    assert not list((media / "imports").iterdir())
    assert imports_unfinished_cleanup() == {"deleted": 0}


def test_an_unknown_import_is_a_404(staff):
    assert staff.get(reverse("dashboard:patient_import", args=["0" * 24])).status_code == 404


def test_a_draft_whose_file_is_gone_asks_for_it_again(staff, media):
    patient_import = uploaded(staff, DATA / "opendental_patients.csv")
    patient_import.file.delete(save=False)

    page = staff.get(reverse("dashboard:patient_import", args=[patient_import.pk]), follow=True)
    posted = staff.post(
        reverse("dashboard:patient_import_columns", args=[patient_import.pk]),
        {"import": "1"},
        follow=True,
    )

    for response in (page, posted):
        assert response.redirect_chain[-1][0] == START
        assert (
            "The uploaded file can no longer be read: upload it again." in response.content.decode()
        )
    assert PatientImport.objects.get().status == ImportStatus.DRAFT
