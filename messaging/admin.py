from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from campaigns.choices import Direction
from campaigns.models import Interaction
from dentalai.admin import pretty_json
from messaging.choices import OutgoingEvent
from messaging.conversation import message_log_sent, message_receive
from messaging.events import webhook_events_retry
from messaging.models import (
    GmailMailbox,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    webhook_secret,
)
from messaging.outgoing import webhook_deliveries_requeue
from patients.admin import PhoneSearchMixin


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """What the providers sent us, as received. Staff may only re-file its status, e.g. mark an
    unmatched message as dealt with."""

    list_display = (
        "received_at",
        "source",
        "event_id",
        "status",
        "attempts",
        "processed_at",
        "has_error",
    )
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
        "attempts",
        "claimed_until",
        "error",
        "payload_pretty",
        "id",
    )
    readonly_fields = (
        "source",
        "event_id",
        "received_at",
        "processed_at",
        "attempts",
        "claimed_until",
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
        return pretty_json(obj.payload)


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


class InteractionAdminForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ("patient", "campaign")  # the admin adds the rest (get_fields)

    def clean(self):
        cleaned = super().clean()
        campaign, patient = cleaned.get("campaign"), cleaned.get("patient")
        if campaign is not None and patient is not None and campaign.patient_id != patient.pk:
            raise forms.ValidationError("The campaign belongs to another patient.")
        return cleaned


@admin.register(Interaction)
class InteractionAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = InteractionAdminForm
    phone_search_field = "patient__phone"
    list_display = (
        "timestamp",
        "patient",
        "direction",
        "kind",
        "channel_type",
        "delivery_status",
        "sender",
        "excerpt",
    )
    list_filter = ("direction", "kind", "channel_type", "delivery_status")
    search_fields = (
        "content",
        "external_id",
        "patient__name",
        "patient__email",
        "patient__phone",
    )
    ordering = ("-timestamp",)
    date_hierarchy = "timestamp"
    list_select_related = ("patient", "author")
    autocomplete_fields = ("patient", "campaign")
    add_fields = (
        "patient",
        "campaign",
        "timestamp",
        "direction",
        "channel_type",
        "content",
    )
    fields = (
        "patient",
        "campaign",
        "timestamp",
        "direction",
        "kind",
        "channel_type",
        "delivery_status",
        "sender",
        "content",
        "analysis",
        "external_id",
        "error",
    )
    # Set by the AI, the channel providers or the system that recorded the message.
    set_by_system = ("kind", "sender", "analysis", "external_id", "error")

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*self.set_by_system, "patient", "campaign", "timestamp", "delivery_status")

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": "Records a message by hand; nothing is sent. "
            "Reply from the campaign page of the dashboard to send.",
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A new record goes through the receiving door or, for a message staff sent
        # elsewhere, the logging one: RECEIVED or SENT, recorded by this staff member.
        record = message_receive if obj.direction == Direction.INCOMING else message_log_sent
        stored = record(
            obj.patient,
            obj.channel_type,
            obj.content,
            campaign=obj.campaign,
            at=obj.timestamp,
            recorded_by=request.user,
        )
        obj.pk, obj.kind, obj.delivery_status = stored.pk, stored.kind, stored.delivery_status
        obj._state.adding = False

    @admin.display(description="from")
    def sender(self, obj):
        return obj.sender_label

    @admin.display(description="message")
    def excerpt(self, obj):
        return obj.content if len(obj.content) <= 80 else f"{obj.content[:79]}…"

    @admin.display(description="AI analysis")
    def analysis(self, obj):
        return pretty_json(obj.ai_analysis)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=OutgoingEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "events", "is_active")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Where the outgoing webhooks go (messaging.outgoing). The secret is made here; give it to
    the receiver, which checks each body's X-Signature-256 with it."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = ("secret", "created_at")
    actions = ["new_secret"]

    @admin.action(description="Give the selected endpoints a new secret", permissions=["change"])
    def new_secret(self, request, queryset):
        for endpoint in queryset:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=webhook_secret())
        self.message_user(
            request, f"{queryset.count()} endpoint(s) have a new secret: update the receivers."
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Every outgoing webhook and how its attempts went; a failed one can be sent again."""

    list_display = (
        "created_at",
        "event",
        "endpoint",
        "state",
        "attempts",
        "last_status",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("state", "event", "endpoint")
    search_fields = ("event_id",)
    list_select_related = ("endpoint",)
    ordering = ("-created_at",)
    exclude = ("payload",)
    readonly_fields = (
        "endpoint",
        "event",
        "event_id",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_status",
        "last_error",
        "created_at",
        "delivered_at",
        "payload_pretty",
    )
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the selected deliveries again", permissions=["change"])
    def send_again(self, request, queryset):
        count = webhook_deliveries_requeue(queryset)
        self.message_user(request, f"{count} delivery(ies) queued again.", messages.SUCCESS)

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)
