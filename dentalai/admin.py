import json

from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from dentalai.models import AuditEntry, JobRun, User, UserManager


def pretty_json(value) -> str:
    if not value:
        return "-"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class StaffCreationForm(BaseUserCreationForm):
    """A new account: email, name, role and the password typed twice, checked by Django's
    password validators."""

    class Meta:
        model = User
        fields = ("email", "name", "role")

    def clean_email(self):
        # Stored lower-case; normalising first lets the uniqueness check see "Bob@…" = "bob@…".
        return UserManager.normalize_email(self.cleaned_data.get("email"))


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "name",
            "role",
            "is_active",
            "is_superuser",
            "groups",
            "user_permissions",
        )

    def clean_email(self):
        return UserManager.normalize_email(self.cleaned_data.get("email"))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin (password typed twice on creation, the hash shown read-only with a
    link to the password form) for our email-based staff accounts."""

    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = ("name", "email", "role", "is_active", "is_superuser", "last_login")
    list_filter = ("role", "is_active", "is_superuser", "groups")
    search_fields = ("name", "email")
    ordering = ("name",)
    readonly_fields = ("id", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("name", "role")}),
        (
            "Permissions",
            {
                "fields": ("is_active", "is_superuser", "groups", "user_permissions"),
                "description": "The role decides what the account may see and change: office "
                "managers and admins everything, the front desk and clinicians patients, "
                "campaigns, appointments and the knowledge base. Groups and permissions "
                "chosen here add to the role.",
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined", "id")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "password1", "password2"),
            },
        ),
    )
    # appointments adds the providers' working hours and time off: this app cannot import them.
    inlines = ()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records the system writes (audit, admin log, job runs): staff read, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The staff audit log, written by the services: read it, never edit it."""

    list_display = ("created_at", "actor", "action", "object_type", "target")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_id", "actor__name", "actor__email")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    fields = ("created_at", "actor", "action", "object_type", "object_id", "target", "details_")
    readonly_fields = fields

    @admin.display(description="object")
    def target(self, obj):
        app_label, _, model_name = obj.object_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.object_id])
        except NoReverseMatch:
            return obj.object_id
        return format_html('<a href="{}">{}</a>', url, obj.object_id)

    @admin.display(description="details")
    def details_(self, obj):
        return pretty_json(obj.details)


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Every change made through this admin site, by whom and when (Django writes these)."""

    list_display = (
        "action_time",
        "user",
        "content_type",
        "object_link",
        "action_label",
        "change_text",
    )
    list_filter = ("action_flag", "content_type")
    search_fields = ("object_repr", "change_message", "user__name", "user__email")
    ordering = ("-action_time",)
    date_hierarchy = "action_time"
    list_select_related = ("user", "content_type")
    fields = ("action_time", "user", "content_type", "object_link", "action_label", "change_text")
    readonly_fields = fields

    @admin.display(description="object", ordering="object_repr")
    def object_link(self, obj):
        url = obj.get_admin_url() if obj.action_flag != DELETION else None
        if not url:
            return obj.object_repr
        return format_html('<a href="{}">{}</a>', url, obj.object_repr)

    @admin.display(description="action", ordering="action_flag")
    def action_label(self, obj):
        return {ADDITION: "Added", CHANGE: "Changed", DELETION: "Deleted"}.get(
            obj.action_flag, obj.action_flag
        )

    @admin.display(description="change")
    def change_text(self, obj):
        return obj.get_change_message()


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """Background job runs (daily trigger, due follow-ups, Gmail jobs): the newest first, with
    what each did and why it failed. Written by the jobs: read them, never edit them."""

    list_display = ("name", "started_at", "status", "duration_", "summary", "error_line")
    list_filter = ("name", "status")
    ordering = ("-started_at",)
    date_hierarchy = "started_at"
    fields = ("name", "status", "started_at", "finished_at", "duration_", "counts_", "error")
    readonly_fields = fields

    @admin.display(description="duration")
    def duration_(self, obj):
        if obj.duration is None:
            return "not finished" if obj.status == JobRun.Status.RUNNING else "-"
        return f"{obj.duration.total_seconds():.1f} s"

    # The counts staff look for first; PostgreSQL's jsonb does not keep the written order.
    SUMMARY_ORDER = ("recovery_created", "recall_created", "sent", "deferred", "failed")

    @admin.display(description="counts")
    def summary(self, obj):
        counts = {k: v for k, v in (obj.counts or {}).items() if not isinstance(v, dict | list)}
        first = [k for k in self.SUMMARY_ORDER if k in counts]
        keys = first + sorted(k for k in counts if k not in first)
        return ", ".join(f"{k}: {counts[k]}" for k in keys) or "-"

    @admin.display(description="error")
    def error_line(self, obj):
        lines = [line for line in obj.error.strip().splitlines() if line.strip()]
        return lines[-1][:120] if lines else ""

    @admin.display(description="counts")
    def counts_(self, obj):
        return pretty_json(obj.counts)
