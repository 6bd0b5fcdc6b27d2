from django import forms
from django.contrib import admin, messages
from django.db import models

from campaigns.choices import CampaignStatus
from campaigns.models import Campaign, Interaction
from campaigns.services import campaign_set_status
from campaigns.status import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    IllegalTransition,
    can_transition,
    is_active_status,
)
from dentalai.admin import pretty_json
from dentalai.errors import Conflict
from patients.admin import PatientAdmin, PhoneSearchMixin, ViewOnlyInline


class CampaignInline(ViewOnlyInline):
    model = Campaign
    verbose_name_plural = "campaigns"
    fields = ("campaign_type", "status", "channel_type", "attempts_made", "updated_at")
    ordering = ("-updated_at",)


PatientAdmin.inlines = (*PatientAdmin.inlines, CampaignInline)


def status_names(statuses) -> str:
    return ", ".join(sorted(statuses)) or "none (final)"


class CampaignAdminForm(forms.ModelForm):
    """Status changes go through the status machine (campaigns.status), as everywhere else."""

    class Meta:
        model = Campaign
        fields = (
            "patient",
            "campaign_type",
            "status",
            "channel_type",
            "max_attempts",
            "next_attempt_at",
            "engagement_summary",
            "estimated_value",
            "recall_due_date",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is None:
            return
        if self.instance._state.adding:
            status.help_text = f"A new campaign starts active: {status_names(ACTIVE_STATUSES)}."
        else:
            allowed = TRANSITIONS.get(self.instance.status, frozenset())
            status.help_text = f"From {self.instance.status} it can go to: {status_names(allowed)}."

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("status")
        if not target:
            return cleaned
        if self.instance._state.adding:
            current = None
            if not is_active_status(target):
                self.add_error(
                    "status",
                    f"A new campaign starts in an active status "
                    f"({status_names(ACTIVE_STATUSES)}), not {target}.",
                )
        else:
            # The stored status, not the one this form was opened with: the agent may have
            # moved the campaign on since.
            current = (
                Campaign.objects.filter(pk=self.instance.pk)
                .values_list("status", flat=True)
                .first()
            ) or self.instance.status
            if target != current and not can_transition(current, target):
                allowed = TRANSITIONS.get(current, frozenset())
                self.add_error(
                    "status",
                    f"{IllegalTransition(current, target)} "
                    f"From {current} it can go to: {status_names(allowed)}.",
                )
        self._check_patient(target, current, cleaned)
        return cleaned

    def _check_patient(self, target, current, cleaned):
        if not is_active_status(target):
            return
        patient = cleaned.get("patient") or (
            self.instance.patient if self.instance.patient_id else None
        )
        if patient is None:
            return
        reopening = current is None or not is_active_status(current)
        if reopening and patient.is_opted_out:
            # Re-activating would let the agent message someone who asked us to stop.
            self.add_error(
                "status",
                f"{patient} has opted out of messages: the campaign cannot be active.",
            )
        others = Campaign.objects.filter(patient=patient, is_active=True)
        if not self.instance._state.adding:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            self.add_error(
                None,
                f"{patient} already has an active campaign; close it before starting another.",
            )


class InteractionInline(admin.TabularInline):
    """The conversation, oldest first. What the AI and the providers recorded stays as is."""

    model = Interaction
    extra = 0
    ordering = ("timestamp",)
    fields = (
        "timestamp",
        "direction",
        "sender",
        "content",
        "channel_type",
        "delivery_status",
        "analysis",
        "external_id",
        "error",
    )
    readonly_fields = (
        "timestamp",
        "sender",
        "delivery_status",
        "analysis",
        "external_id",
        "error",
    )
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 60})},
    }
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # A message added here would look sent without being sent: the dashboard's reply
        # box sends; InteractionAdmin records one by hand, saying so.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description="from")
    def sender(self, obj):
        return obj.sender_label

    @admin.display(description="AI analysis")
    def analysis(self, obj):
        return ", ".join(f"{key}: {value}" for key, value in (obj.ai_analysis or {}).items())


@admin.register(Campaign)
class CampaignAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = CampaignAdminForm
    phone_search_field = "patient__phone"
    list_display = (
        "patient",
        "campaign_type",
        "status",
        "is_active",
        "channel_type",
        "attempts",
        "next_attempt_at",
        "booking_status",
        "estimated_value",
        "updated_at",
    )
    list_filter = ("status", "campaign_type", "is_active", "channel_type", "booking_status")
    search_fields = ("patient__name", "patient__email", "patient__phone", "thread_id")
    ordering = ("-updated_at",)
    date_hierarchy = "created_at"
    list_select_related = ("patient",)
    autocomplete_fields = ("patient",)
    readonly_fields = (
        "id",
        "is_active",
        "thread_id",
        "attempts_made",
        "booking_status",
        "booking_link",
        "booking_submitted_at",
        "handoff",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("patient", "campaign_type", "status", "is_active", "channel_type")}),
        (
            "Outreach",
            {
                "fields": (
                    "attempts_made",
                    "max_attempts",
                    "next_attempt_at",
                    "thread_id",
                    "engagement_summary",
                )
            },
        ),
        (
            "Booking",
            {
                "fields": (
                    "booking_status",
                    "booking_link",
                    "booking_submitted_at",
                    "estimated_value",
                    "recall_due_date",
                )
            },
        ),
        ("Handoff", {"fields": ("handoff",)}),
        ("Record", {"fields": ("id", "created_at", "updated_at")}),
    )
    inlines = (InteractionInline,)
    actions = ("close_manual_followup",)

    def get_queryset(self, request):
        # The patient is in every row's name, the autocomplete results included.
        return super().get_queryset(request).select_related("patient")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # A conversation belongs to one patient and one purpose.
        return (*self.readonly_fields, "patient", "campaign_type")

    def save_model(self, request, obj, form, change):
        """An edited status moves through the status door like everywhere else; the other
        fields are saved without it, so a change the agent made meanwhile is not overwritten."""
        if not change:
            return super().save_model(request, obj, form, change)
        target = obj.status
        fields = [name for name in form.changed_data if name != "status"]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])
        obj.status = Campaign.objects.values_list("status", flat=True).get(pk=obj.pk)
        if target != obj.status:
            try:
                campaign_set_status(actor=request.user, campaign=obj, status=target)
            except Conflict as exc:
                self.message_user(
                    request, f"The status was not changed: {exc.message}", messages.WARNING
                )

    @admin.display(description="attempts")
    def attempts(self, obj):
        return f"{obj.attempts_made}/{obj.max_attempts}"

    @admin.display(description="handoff details")
    def handoff(self, obj):
        return pretty_json(obj.handoff_details)

    @admin.action(description="Close: manual follow-up complete", permissions=["change"])
    def close_manual_followup(self, request, queryset):
        target = CampaignStatus.MANUAL_FOLLOWUP_COMPLETE
        closed, refused = 0, []
        for campaign in queryset:
            previous = campaign.status
            try:
                campaign_set_status(actor=request.user, campaign=campaign, status=target)
            except Conflict as exc:
                refused.append(exc.message)
                continue
            self.log_change(request, campaign, f"Changed status from {previous} to {target}.")
            closed += 1
        if closed:
            self.message_user(request, f"Closed {closed} campaign(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)
