"""The patient import page (SPEC §11): upload an export, check how its columns are read and
what its first rows become, confirm; the import then runs as a background job whose progress
the page follows. The work is patients.imports' (the same door as `manage.py import_patients`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dashboard.forms import ImportColumnsForm, PatientImportForm
from dentalai.audit import audit_record
from dentalai.roles import requires
from patients.choices import ImportStatus
from patients.imports.files import table_open
from patients.imports.jobs import patient_import_queue, patient_import_stalled
from patients.imports.mappings import headers_mapped
from patients.imports.service import import_preview, mapping_for
from patients.models import ImportMapping, PatientImport

RECENT = 10
PREVIEW_ROWS = 10
GONE = "The uploaded file can no longer be read: upload it again."


@login_required
@requires("patients.add_patientimport")
def patient_import_start(request):
    form = PatientImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        patient_import = _uploaded(request, form)
        if patient_import:
            return redirect("dashboard:patient_import", patient_import.pk)
    recent = PatientImport.objects.select_related("created_by")[:RECENT]
    status = 400 if form.is_bound else 200
    return render(
        request, "dashboard/patient_import.html", {"form": form, "recent": recent}, status=status
    )


def _uploaded(request, form: PatientImportForm) -> PatientImport | None:
    """The upload stored as a draft import, its columns read with the chosen mapping; None
    (the reason on the form, the file not kept) when it cannot be read."""
    upload = form.cleaned_data["file"]
    patient_import = PatientImport(filename=upload.name[:200], created_by=request.user)
    patient_import.file.save(upload.name, upload, save=False)
    try:
        headers = _headers(patient_import)
        _, mapping = mapping_for(headers, form.cleaned_data["mapping"])
    except ValidationError as exc:
        patient_import.file.delete(save=False)
        form.add_error("file", exc)
        return None
    patient_import.columns = headers_mapped(headers, mapping)
    patient_import.save()
    return patient_import


def _headers(patient_import: PatientImport) -> list[str]:
    with patient_import.file.open("rb") as handle:
        return table_open(handle, patient_import.filename).headers


def _import(import_id: str) -> PatientImport:
    found = PatientImport.objects.select_related("created_by").filter(pk=import_id[:24]).first()
    if found is None:
        raise Http404("Import not found.")
    return found


@login_required
@requires("patients.view_patientimport")
def patient_import_detail(request, import_id: str):
    patient_import = _import(import_id)
    if request.htmx and request.htmx.target == "import-progress":
        return render(request, "dashboard/_import_progress.html", _progress(patient_import))
    if patient_import.status == ImportStatus.DRAFT:
        return _columns_page(request, patient_import)
    return render(request, "dashboard/patient_import_run.html", _progress(patient_import))


def _progress(patient_import: PatientImport) -> dict:
    total, done = patient_import.lines_total, patient_import.lines_done
    return {
        "import": patient_import,
        "percent": min(100, round(100 * done / total)) if total else 0,
        "stalled": patient_import_stalled(patient_import),
        "running": patient_import.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        "problems": patient_import.report.get("problems", []),
    }


def _columns_page(request, patient_import: PatientImport, form=None, *, status: int = 200):
    """The file's columns as they will be read, and its first rows as they will be stored."""
    try:
        with patient_import.file.open("rb") as handle:
            table = table_open(handle, patient_import.filename)
            if form is None:
                form = ImportColumnsForm(headers=table.headers, columns=patient_import.columns)
            columns = form.cleaned_data["columns"] if form.is_bound and form.is_valid() else None
            preview, preview_error = [], ""
            try:
                preview = import_preview(
                    table, columns or patient_import.columns, rows=PREVIEW_ROWS
                )
            except ValidationError as exc:
                preview_error = " ".join(exc.messages)
    except (OSError, ValidationError):
        messages.error(request, GONE)
        return redirect("dashboard:patient_import_start")
    context = {
        "import": patient_import,
        "form": form,
        "preview": preview,
        "preview_error": preview_error,
    }
    return render(request, "dashboard/patient_import_columns.html", context, status=status)


@login_required
@requires("patients.add_patientimport")
@require_POST
def patient_import_columns(request, import_id: str):
    """Preview with the columns staff chose, or (the Import button) start the import."""
    patient_import = _import(import_id)
    if patient_import.status != ImportStatus.DRAFT:
        return redirect("dashboard:patient_import", patient_import.pk)
    try:
        headers = _headers(patient_import)
    except (OSError, ValidationError):
        messages.error(request, GONE)
        return redirect("dashboard:patient_import_start")
    form = ImportColumnsForm(request.POST, headers=headers, columns=patient_import.columns)
    if not form.is_valid():
        return _columns_page(request, patient_import, form, status=400)
    patient_import.columns = form.cleaned_data["columns"]
    if "import" not in request.POST:
        patient_import.save(update_fields=["columns"])
        return _columns_page(request, patient_import, form)
    name = form.cleaned_data["save_as"]
    if name:
        ImportMapping.objects.update_or_create(
            name=name, defaults={"columns": patient_import.columns}
        )
    # Only a draft starts, once: a second click finds it queued.
    started = PatientImport.objects.filter(pk=patient_import.pk, status=ImportStatus.DRAFT).update(
        columns=patient_import.columns, status=ImportStatus.QUEUED
    )
    if started:
        audit_record(
            actor=request.user,
            action="patient_import",
            target=patient_import,
            details={"file": patient_import.filename, "saved_as": name},
        )
        patient_import_queue(patient_import)
    return redirect("dashboard:patient_import", patient_import.pk)


@login_required
@requires("patients.add_patientimport")
@require_POST
def patient_import_resume(request, import_id: str):
    """Run again an import that stopped (its worker was killed, or an error): it goes on after
    the last page it finished; what it had imported stays imported."""
    patient_import = _import(import_id)
    resumable = patient_import_stalled(patient_import) or (
        patient_import.status == ImportStatus.FAILED and patient_import.file
    )
    if not resumable:
        messages.error(request, "This import is not stopped: there is nothing to resume.")
    else:
        PatientImport.objects.filter(pk=patient_import.pk).update(
            status=ImportStatus.QUEUED, error=""
        )
        patient_import_queue(patient_import)
        messages.success(request, "The import will go on in a moment.")
    return redirect("dashboard:patient_import", patient_import.pk)
