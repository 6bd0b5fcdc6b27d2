import json

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from messaging.models import GmailMailbox, WebhookEvent
from messaging.services import webhook_events_retry


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """What the providers sent us, as received. Staff may only re-file its status, e.g. mark an
    unmatched message as dealt with."""

    list_display = ("received_at", "source", "event_id", "status", "processed_at", "has_error")
    list_filter = ("status", "source")
    search_fields = ("event_id", "error")
    ordering = ("-received_at",)
    date_hierarchy = "received_at"
    fields = (
        "source",
        "event_id",
        "status",
        "received_at",
        "processed_at",
        "error",
        "payload_pretty",
        "id",
    )
    readonly_fields = (
        "source",
        "event_id",
        "received_at",
        "processed_at",
        "error",
        "payload_pretty",
        "id",
    )

    actions = ["process_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Process the selected failed events again", permissions=["change"])
    def process_again(self, request, queryset):
        count = webhook_events_retry(event_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed event(s) queued again.", messages.SUCCESS)

    @admin.display(boolean=True, description="error")
    def has_error(self, obj):
        return bool(obj.error)

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))


@admin.register(GmailMailbox)
class GmailMailboxAdmin(admin.ModelAdmin):
    list_display = ("email_address", "last_history_id", "watch_expiration", "watching")
    search_fields = ("email_address",)
    ordering = ("email_address",)
    fields = ("email_address", "last_history_id", "watch_expiration", "updated_at", "id")
    # Kept by the Gmail sync and `manage.py gmail_watch`.
    readonly_fields = ("last_history_id", "watch_expiration", "updated_at", "id")

    @admin.display(boolean=True, description="push watch active")
    def watching(self, obj):
        return obj.watch_expiration is not None and obj.watch_expiration > timezone.now()
