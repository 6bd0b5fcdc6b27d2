"""The dashboard's import (a PatientImport) as a django-q2 job: its progress and report are
written after every page, so the page can show them while it runs, and a run whose worker was
killed resumes after the last page it finished — by the broker's own retry, or from the page.

Safe to run twice or at once: a run first claims the import (QUEUED, or RUNNING with a
heartbeat older than IMPORT_STALL_SECONDS), in one conditional update; whoever loses does nothing.
"""

import datetime as dt
import logging
from dataclasses import asdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from dentalai.jobs import job_run
from patients.choices import ImportStatus
from patients.imports.files import table_open
from patients.imports.service import ImportReport, patients_import
from patients.models import PatientImport

logger = logging.getLogger(__name__)

TASK = "patients.imports.jobs.patient_import_run"
# The job's own time limit: far above 100,000 rows (about 40 s here), below a day.
TIMEOUT_SECONDS = 3600
# An upload nobody imported is deleted after this (it holds patient data).
UNFINISHED_KEPT = dt.timedelta(days=7)
EXPIRED = "The uploaded file was deleted: it was not imported within 7 days."


def patient_import_queue(patient_import: PatientImport) -> None:
    """Queue the import (after the caller's transaction commits, so the job sees the row)."""
    pk = patient_import.pk
    transaction.on_commit(lambda: async_task(TASK, pk, timeout=TIMEOUT_SECONDS))


def stall() -> dt.timedelta:
    """A page of 1,000 rows takes about a second: a run silent this long was stopped."""
    return dt.timedelta(seconds=settings.IMPORT_STALL_SECONDS)


def patient_import_stalled(patient_import: PatientImport) -> bool:
    """True when the import says RUNNING but its worker stopped reporting (killed, restarted)."""
    beat = patient_import.heartbeat_at
    return patient_import.status == ImportStatus.RUNNING and (
        beat is None or beat < timezone.now() - stall()
    )


def patient_import_run(import_id: str) -> dict:
    """Run (or resume) one import; its counts, or {"claimed": 0} when another run has it."""
    now = timezone.now()
    claimable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, heartbeat_at__lt=now - stall()
    )
    claimed = PatientImport.objects.filter(claimable, pk=import_id).update(
        status=ImportStatus.RUNNING, heartbeat_at=now
    )
    if not claimed:
        return {"claimed": 0}
    patient_import = PatientImport.objects.get(pk=import_id)
    with job_run("patient_import") as run:
        report = _import(patient_import)
        run.counts = {k: v for k, v in asdict(report).items() if k != "problems"}
    return run.counts


def _import(patient_import: PatientImport) -> ImportReport:
    report = ImportReport.from_dict(patient_import.report)
    after_line = patient_import.lines_done

    def page_done(rows: int, line: int) -> None:
        _save(patient_import, lines_done=line, report=asdict(report), heartbeat_at=timezone.now())

    try:
        with patient_import.file.open("rb") as handle:
            table = table_open(handle, patient_import.filename)
            _save(patient_import, lines_total=table.lines)
            patients_import(
                table,
                patient_import.columns,
                progress=page_done,
                report=report,
                after_line=after_line,
            )
    except (ValidationError, OSError) as exc:
        # What staff can act on (an unreadable file, a mapping that no longer fits); the
        # messages name no patient data.
        reason = " ".join(getattr(exc, "messages", [])) or "The uploaded file could not be read."
        _finish(patient_import, ImportStatus.FAILED, error=reason[:500])
        logger.warning("patient import %s failed: %s", patient_import.pk, type(exc).__name__)
        return report
    except Exception:
        _finish(patient_import, ImportStatus.FAILED, error="An unexpected error stopped it.")
        raise
    _save(
        patient_import, lines_done=table.lines or patient_import.lines_done, report=asdict(report)
    )
    _finish(patient_import, ImportStatus.DONE)
    return report


def _save(patient_import: PatientImport, **fields) -> None:
    for name, value in fields.items():
        setattr(patient_import, name, value)
    PatientImport.objects.filter(pk=patient_import.pk).update(**fields)


def _finish(patient_import: PatientImport, status: str, *, error: str = "") -> None:
    """The end of a run. Done: the uploaded file, which holds patient data, is deleted."""
    if status == ImportStatus.DONE and patient_import.file:
        patient_import.file.delete(save=False)
    _save(
        patient_import,
        status=status,
        error=error,
        file=patient_import.file.name or "",
        finished_at=timezone.now(),
    )


def imports_unfinished_cleanup() -> dict:
    """Delete the files of imports left unfinished (drafts never confirmed, failures) after
    UNFINISHED_KEPT; their records stay, marked failed."""
    cutoff = timezone.now() - UNFINISHED_KEPT
    stale = PatientImport.objects.filter(
        created_at__lt=cutoff, status__in=[ImportStatus.DRAFT, ImportStatus.FAILED]
    ).exclude(file="")
    count = 0
    for patient_import in stale:
        patient_import.file.delete(save=False)
        _save(patient_import, file="", status=ImportStatus.FAILED, error=EXPIRED)
        count += 1
    return {"deleted": count}
