"""Patients, the ASAP list, the knowledge base and the outbox."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agent.knowledge import kb_cache_clear, kb_import, parse_kb_markdown
from agent.models import KnowledgeArticle
from dashboard import selectors
from dashboard.forms import (
    KnowledgeArticleForm,
    KnowledgeImportForm,
    MessagesConsentForm,
    OutboxFilterForm,
    PatientForm,
    PatientSearchForm,
)
from dashboard.views.common import get_or_404, page_of
from dentalai.audit import audit_record
from dentalai.errors import ApplicationError
from dentalai.exports import csv_response
from dentalai.roles import requires
from patients.choices import PatientType
from patients.exports import PATIENT_COLUMNS
from patients.models import Patient
from patients.records import patient_changes, patient_messages_set, patient_save

# --- Patients -----------------------------------------------------------------------------


def _filtered_patients(request):
    form = PatientSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    patients = selectors.patient_search(
        q=filters.get("q"), patient_type=filters.get("patient_type") or None
    )
    return form, filters, patients


@login_required
def patient_list(request):
    form, filters, patients = _filtered_patients(request)
    page = page_of(patients, filters.get("page"))
    template = "dashboard/patients.html"
    if request.htmx and request.htmx.target == "patient-results":
        template = "dashboard/_patient_results.html"
    return render(request, template, {"form": form, "page": page})


@login_required
@requires("patients.view_patient")
def patient_export(request):
    """The patient list as CSV, with the list's search, opt-out state included."""
    _, _, patients = _filtered_patients(request)
    return csv_response("patients.csv", PATIENT_COLUMNS, patients.iterator(chunk_size=1000))


@login_required
def patient_detail(request, patient_id: str, consent_form=None, status: int = 200):
    patient = get_or_404(selectors.patient_get, patient_id=patient_id)
    context = {
        "patient": patient,
        "history": selectors.patient_history(patient=patient),
        "changes": patient_changes(patient),
        "consent_form": consent_form or MessagesConsentForm(),
    }
    return render(request, "dashboard/patient.html", context, status=status)


def _patient_form_page(request, form, patient: Patient):
    status = 400 if form.is_bound else 200
    context = {"form": form, "patient": patient}
    return render(request, "dashboard/patient_edit.html", context, status=status)


def _patient_saved(request, form, patient: Patient):
    """Save the form's changes: the patient's page, or None with the model's errors put on the
    form (by field where the form has it)."""
    try:
        changed = patient_save(actor=request.user, patient=patient, changes=form.changes())
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, messages_ in errors.items():
            form.add_error(field if field in form.fields else None, messages_)
        return None
    messages.success(request, "Saved." if changed else "Nothing changed.")
    return redirect("dashboard:patient", patient.pk)


@login_required
@requires("patients.add_patient")
def patient_new(request):
    form = PatientForm(request.POST or None, initial={"patient_type": PatientType.EXISTING})
    patient = Patient()
    saved = request.method == "POST" and form.is_valid() and _patient_saved(request, form, patient)
    return saved or _patient_form_page(request, form, patient)


@login_required
@requires("patients.change_patient")
def patient_edit(request, patient_id: str):
    patient = get_or_404(selectors.patient_get, patient_id=patient_id)
    form = PatientForm.for_patient(patient, request.POST or None)
    saved = request.method == "POST" and form.is_valid() and _patient_saved(request, form, patient)
    return saved or _patient_form_page(request, form, patient)


@login_required
@requires("patients.change_patient")
@require_POST
def patient_messages(request, patient_id: str):
    """Opt the patient out of every message, or back in (`allowed`), with a reason."""
    patient = get_or_404(selectors.patient_get, patient_id=patient_id)
    form = MessagesConsentForm(request.POST)
    if not form.is_valid():
        return patient_detail(request, patient_id, consent_form=form, status=400)
    allowed = request.POST.get("allowed") == "1"
    try:
        patient_messages_set(
            actor=request.user, patient=patient, allowed=allowed, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        form.add_error("reason", exc.message)
        return patient_detail(request, patient_id, consent_form=form, status=400)
    messages.success(
        request,
        f"{patient.first_name} may be messaged again."
        if allowed
        else f"{patient.first_name} is opted out of every message; open campaigns are closed.",
    )
    return redirect("dashboard:patient", patient.pk)


# --- Knowledge base -----------------------------------------------------------------------


@login_required
def knowledge_list(request):
    articles = KnowledgeArticle.objects.defer("embedding").order_by("title")
    return render(
        request,
        "dashboard/knowledge.html",
        {"articles": articles, "import_form": KnowledgeImportForm()},
    )


def _article(article_id: str) -> KnowledgeArticle:
    article = KnowledgeArticle.objects.defer("embedding").filter(pk=article_id[:24]).first()
    if article is None:
        raise Http404("Article not found.")
    return article


@login_required
@requires("agent.change_knowledgearticle")
def knowledge_edit(request, article_id: str | None = None):
    article = _article(article_id) if article_id else None
    form = KnowledgeArticleForm(request.POST or None, instance=article)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save_as(request.user)
            kb_cache_clear()
            messages.success(request, f"Saved “{saved.title}”. The AI answers from it now.")
            return redirect("dashboard:knowledge")
        return render(
            request, "dashboard/knowledge_edit.html", {"form": form, "article": article}, status=400
        )
    return render(request, "dashboard/knowledge_edit.html", {"form": form, "article": article})


@login_required
@requires("agent.add_knowledgearticle")
def knowledge_import(request):
    if request.method != "POST":
        return redirect("dashboard:knowledge")
    form = KnowledgeImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            clinic, articles = parse_kb_markdown(form.cleaned_data["file"])
        except ValueError as exc:
            form.add_error("file", str(exc))
        else:
            result = kb_import(articles=articles)
            kb_cache_clear()
            for stored in KnowledgeArticle.objects.filter(title__in=result.titles).only("title"):
                audit_record(
                    actor=request.user,
                    action="kb_import",
                    target=stored,
                    details={"file": request.FILES["file"].name[:200]},
                )
            messages.success(
                request,
                f"Imported {len(articles)} articles"
                + (f" for {clinic}" if clinic else "")
                + f": {result.created} new, {result.updated} updated, "
                f"{result.unchanged} unchanged.",
            )
            return redirect("dashboard:knowledge")
    articles = KnowledgeArticle.objects.defer("embedding").order_by("title")
    return render(
        request,
        "dashboard/knowledge.html",
        {"articles": articles, "import_form": form},
        status=400,
    )


# --- Outbox -------------------------------------------------------------------------------


@login_required
def outbox(request):
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = page_of(
        selectors.outbox_messages(channel=filters.get("channel") or None, q=filters.get("q")),
        filters.get("page"),
    )
    return render(request, "dashboard/outbox.html", {"form": form, "page": page})


@login_required
def asap_list(request):
    """The ASAP list: who waits for which service and what suits them, and the freed times
    offered lately with what came of each offer."""
    return render(
        request,
        "dashboard/asap.html",
        {
            "waiting": selectors.asap_waiting(),
            "offers": selectors.asap_recent_offers(),
            "batch": settings.ASAP_BATCH,
        },
    )
