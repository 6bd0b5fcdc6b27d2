"""The handoff queue, the campaign list and the campaign page (conversation, reply, status,
who owns it, the team's notes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from agent.proactive import next_message
from campaigns import selectors as campaign_selectors
from campaigns import services
from campaigns.assignment import campaign_assign as campaign_assign_to
from campaigns.choices import CampaignStatus, DeliveryStatus, MessageKind
from campaigns.exports import CAMPAIGN_COLUMNS, CONVERSATION_COLUMNS
from campaigns.notes import campaign_note_add
from campaigns.status import ACTIVE_STATUSES
from dashboard import selectors
from dashboard.forms import AssignForm, CampaignFilterForm, NoteForm, ReplyForm, StatusForm
from dashboard.labels import action_label
from dashboard.views.common import get_or_404, page_of
from dentalai.choices import Channel
from dentalai.errors import ApplicationError
from dentalai.exports import csv_response
from dentalai.roles import requires
from messaging import staff
from messaging.conversation import channel_for
from messaging.reach import channels_reach


@login_required
def handoffs(request):
    """The queue, urgent first; `?mine=1`: only the conversations assigned to me."""
    mine = request.GET.get("mine") == "1"
    queue = selectors.handoff_queue(assignee=request.user if mine else None)
    mine_count = sum(1 for h in queue if h.campaign.assigned_to_id == request.user.pk)
    return render(
        request, "dashboard/handoffs.html", {"queue": queue, "mine": mine, "mine_count": mine_count}
    )


def _filtered_campaigns(request):
    form = CampaignFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    campaigns = campaign_selectors.campaign_search(
        status=filters.get("status") or None,
        campaign_type=filters.get("campaign_type") or None,
        q=filters.get("q") or None,
    )
    if filters.get("channel"):
        campaigns = campaigns.filter(channel_type=filters["channel"])
    return form, filters, campaigns


@login_required
def campaign_list(request):
    form, filters, campaigns = _filtered_campaigns(request)
    page = page_of(campaigns, filters.get("page"))
    template = "dashboard/campaigns.html"
    if request.htmx and request.htmx.target == "campaign-results":
        template = "dashboard/_campaign_results.html"
    return render(request, template, {"form": form, "page": page})


@login_required
@requires("campaigns.view_campaign")
def campaign_export(request):
    """The campaign list as CSV, with the list's filters."""
    _, _, campaigns = _filtered_campaigns(request)
    return csv_response("campaigns.csv", CAMPAIGN_COLUMNS, campaigns.iterator(chunk_size=1000))


@login_required
@requires("campaigns.view_interaction")
def campaign_conversation_export(request, campaign_id: str):
    campaign = get_or_404(campaign_selectors.campaign_get, campaign_id=campaign_id)
    return csv_response(
        f"conversation-{campaign.pk}.csv",
        CONVERSATION_COLUMNS,
        campaign_selectors.campaign_conversation(campaign=campaign),
    )


def _actions(campaign) -> list[dict]:
    allowed = campaign_selectors.allowed_transitions(campaign)
    actions = []
    for status in allowed:
        label = action_label(status, campaign_open=campaign.is_active)
        actions.append({"status": status, "label": label, "closes": status not in ACTIVE_STATUSES})
    return actions


def _reply_form(campaign, data=None) -> ReplyForm:
    """The reply box, offering the channels that can carry a staff reply now."""
    patient = campaign.patient
    return ReplyForm(
        data,
        allowed=campaign_selectors.allowed_transitions(campaign),
        campaign_open=campaign.is_active,
        reach=channels_reach(patient, MessageKind.STAFF),
        default_channel=channel_for(
            patient, MessageKind.STAFF, campaign=campaign, now=timezone.now()
        ),
    )


def _next_message(campaign) -> dict:
    """What the AI will send next, with its kind and channel in words."""
    now = timezone.now()
    planned = next_message(campaign, now=now)
    return {
        "plan": planned,
        "kind": MessageKind(planned.kind).label.lower() if planned.kind else "",
        "channel": Channel(planned.channel).label if planned.channel else "",
        "due_now": planned.at is not None and planned.at <= now,
    }


def _detail_context(campaign, reply_form=None, note_form=None) -> dict:
    reply_form = reply_form or _reply_form(campaign)
    return {
        "campaign": campaign,
        "patient": campaign.patient,
        "conversation": campaign_selectors.campaign_conversation(campaign=campaign),
        "appointments": selectors.campaign_appointments(campaign=campaign),
        "actions": _actions(campaign),
        "next_message": _next_message(campaign),
        "reply_form": reply_form,
        "reach": reply_form.reach,
        "conversation_channel_blocked": next(
            (r for r in reply_form.reach if r.channel == campaign.channel_type and not r.usable),
            None,
        ),
        "handoff": campaign.handoff_details or {},
        "assign_form": AssignForm(
            initial={"assignee": campaign.assigned_to_id or ""}, staff=selectors.active_staff()
        ),
        "note_form": note_form or NoteForm(),
        "notes": campaign.notes.select_related("author"),
    }


@login_required
def campaign_detail(request, campaign_id: str):
    campaign = get_or_404(campaign_selectors.campaign_get, campaign_id=campaign_id)
    return render(request, "dashboard/campaign.html", _detail_context(campaign))


@login_required
@requires("campaigns.add_interaction")
@require_POST
def campaign_reply(request, campaign_id: str):
    campaign = get_or_404(campaign_selectors.campaign_get, campaign_id=campaign_id)
    form = _reply_form(campaign, request.POST)
    if form.is_valid():
        try:
            result = staff.campaign_respond(
                actor=request.user,
                campaign=campaign,
                message=form.cleaned_data["message"],
                new_status=form.cleaned_data["new_status"] or None,
                channel=form.cleaned_data["channel"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            sent = result.message == staff.RESPONSE_SENT
            (messages.success if sent else messages.warning)(request, result.message)
            return redirect("dashboard:campaign", campaign.pk)
    response = render(request, "dashboard/campaign.html", _detail_context(campaign, form))
    response.status_code = 400
    return response


@login_required
@requires("campaigns.change_campaign")
@require_POST
def campaign_status(request, campaign_id: str):
    campaign = get_or_404(campaign_selectors.campaign_get, campaign_id=campaign_id)
    form = StatusForm(request.POST, allowed=campaign_selectors.allowed_transitions(campaign))
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("status", ["Choose a status."])))
        return redirect("dashboard:campaign", campaign.pk)
    try:
        services.campaign_set_status(
            actor=request.user, campaign=campaign, status=form.cleaned_data["status"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Now “{CampaignStatus(campaign.status).label}”.")
    return redirect("dashboard:campaign", campaign.pk)


def _back(request, campaign) -> str:
    """Where an action returns: the page it was taken from when that is ours, else the
    campaign."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("dashboard:campaign", args=[campaign.pk])


@login_required
@requires("campaigns.change_campaign")
@require_POST
def campaign_assign(request, campaign_id: str):
    campaign = get_or_404(campaign_selectors.campaign_get, campaign_id=campaign_id)
    form = AssignForm(request.POST, staff=selectors.active_staff())
    if not form.is_valid():
        messages.error(request, "Choose someone on the staff, or nobody.")
        return redirect(_back(request, campaign))
    assignee = form.cleaned_data["assignee"]
    try:
        changed = campaign_assign_to(campaign=campaign, assignee=assignee, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if changed:
            who = "you" if assignee == request.user else (assignee.name if assignee else "nobody")
            messages.success(
                request, f"{campaign.patient.name}'s conversation is assigned to {who}."
            )
    return redirect(_back(request, campaign))


@login_required
@requires("campaigns.add_campaignnote")
@require_POST
def campaign_note(request, campaign_id: str):
    campaign = get_or_404(campaign_selectors.campaign_get, campaign_id=campaign_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            campaign_note_add(
                campaign=campaign, author=request.user, body=form.cleaned_data["body"]
            )
        except ApplicationError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, "Note added (the patient does not see it).")
            return redirect(reverse("dashboard:campaign", args=[campaign.pk]) + "#notes")
    context = _detail_context(campaign, note_form=form)
    return render(request, "dashboard/campaign.html", context, status=400)


@login_required
@requires("campaigns.add_interaction")
@require_POST
def message_retry(request, interaction_id: str):
    """Send a failed message again (messaging.staff.interaction_retry) and say how it went."""
    try:
        interaction = staff.interaction_retry(actor=request.user, interaction_id=interaction_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if interaction.delivery_status == DeliveryStatus.SENT:
            messages.success(request, f"Sent to {interaction.patient.name} this time.")
        else:
            messages.warning(
                request, f"Still not sent to {interaction.patient.name}: {interaction.error}"
            )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("home")
    return redirect(target)
