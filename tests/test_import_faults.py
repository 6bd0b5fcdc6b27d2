"""A patient import whose django-q2 cluster is killed by PID halfway through (SPEC §11): nothing
is lost or duplicated, the import shows it stopped, and resuming it finishes after the last page
it had done. Real processes (tests/faults_world.py) on a file database."""

import json
import time

import pytest

from tests.faults_world import World

ROWS = 30_000
STALL_SECONDS = 5
PROGRESS_SQL = "SELECT status, lines_done, lines_total FROM patients_patientimport"

# An export of ROWS patients, uploaded and confirmed as the import page does.
UPLOADED = """
from django.core.files.base import ContentFile
from patients.imports.jobs import patient_import_queue
from patients.models import PatientImport
lines = ["First name,Last name,Mobile,Email,Recall due"]
lines += [f"Pat{{n}},Test,+12125{{n:06d}},pat{{n}}@example.com,2027-01-15" for n in range({rows})]
patient_import = PatientImport(
    filename="export.csv",
    status="QUEUED",
    columns={{"First name": "first_name", "Last name": "last_name", "Mobile": "phone",
              "Email": "email", "Recall due": "recall_due"}},
)
patient_import.file.save("export.csv", ContentFile("\\n".join(lines).encode()), save=True)
patient_import_queue(patient_import)
print(patient_import.pk)
"""
RESUME = """
from patients.imports.jobs import patient_import_run
print(patient_import_run({pk!r}))
"""


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_resumes_after_its_last_page(tmp_path):
    world = World(
        tmp_path,
        {"IMPORT_STALL_SECONDS": str(STALL_SECONDS), "MEDIA_ROOT": str(tmp_path / "media")},
    )
    try:
        cluster = world.cluster_start()
        pk = world.run(UPLOADED.format(rows=ROWS)).strip().splitlines()[-1]
        deadline = time.monotonic() + 120
        while not (progress := world.rows(PROGRESS_SQL))[0][1]:
            assert time.monotonic() < deadline, world.cluster_log()
            time.sleep(0.05)

        world.cluster_kill(cluster)

        status, done, total = world.rows(PROGRESS_SQL)[0]
        assert status == "RUNNING" and 0 < done < total, progress
        before = world.rows("SELECT COUNT(*) FROM patients_patient")[0][0]
        assert 0 < before < ROWS
        # The page offers to resume once the heartbeat is older than IMPORT_STALL_SECONDS.
        time.sleep(STALL_SECONDS + 1)
        result = world.run(RESUME.format(pk=pk))

        assert world.rows(PROGRESS_SQL)[0][0] == "DONE", result
        patients = world.rows("SELECT COUNT(*), COUNT(DISTINCT email) FROM patients_patient")
        assert patients == [(ROWS, ROWS)]
        # The page in flight at the kill was either written (then read again: unchanged) or
        # not (then imported now): every row is counted once.
        report = world.rows("SELECT report FROM patients_patientimport")[0][0]
        report = json.loads(report) if isinstance(report, str) else report
        assert report["skipped"] == 0
        assert report["created"] + report["unchanged"] == ROWS and report["created"] >= before
    finally:
        world.close()
