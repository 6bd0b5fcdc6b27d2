from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponseRedirect

from appointments.choices import AppointmentStatus, AsapSource, CreatedFrom
from appointments.models import Appointment, AsapRequest, ProviderSchedule, Service, TimeOff
from appointments.services import (
    appointment_cancel,
    appointment_clash,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_save,
)
from dentalai.admin import UserAdmin
from dentalai.errors import ApplicationError, Conflict
from patients.admin import PatientAdmin, PhoneSearchMixin, ViewOnlyInline


class ProviderScheduleInline(admin.TabularInline):
    model = ProviderSchedule
    extra = 0
    fields = ("weekday", "start_time", "end_time")
    ordering = ("weekday", "start_time")
    verbose_name_plural = "working hours (clinic time), for providers"


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ("start", "end", "reason")
    ordering = ("-start",)


class AppointmentInline(ViewOnlyInline):
    model = Appointment
    verbose_name_plural = "appointments"
    fields = ("appointment_date", "service", "provider", "duration_minutes", "status")
    ordering = ("-appointment_date",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service", "provider")


UserAdmin.inlines = (*UserAdmin.inlines, ProviderScheduleInline, TimeOffInline)
PatientAdmin.inlines = (*PatientAdmin.inlines, AppointmentInline)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "duration_minutes", "provider_count")
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("providers",)
    readonly_fields = ("id",)
    fields = ("name", "slug", "duration_minutes", "price", "providers", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(provider_total=Count("providers"))

    @admin.display(description="providers", ordering="provider_total")
    def provider_count(self, obj):
        return obj.provider_total


@admin.register(ProviderSchedule)
class ProviderScheduleAdmin(admin.ModelAdmin):
    list_display = ("provider", "weekday", "start_time", "end_time")
    list_filter = ("weekday", "provider")
    search_fields = ("provider__name", "provider__email")
    ordering = ("provider__name", "weekday", "start_time")
    list_select_related = ("provider",)


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("provider", "start", "end", "reason")
    list_filter = ("provider",)
    search_fields = ("provider__name", "provider__email", "reason")
    ordering = ("-start",)
    date_hierarchy = "start"
    list_select_related = ("provider",)


class AppointmentAdminForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = (
            "patient",
            "service",
            "provider",
            "appointment_date",
            "duration_minutes",
            "notes",
            "campaign",
            "created_from",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        duration = self.fields.get("duration_minutes")
        if duration is not None:
            duration.required = False
            duration.help_text = "Leave empty for the service's usual duration."

    def clean(self):
        cleaned = super().clean()
        service = cleaned.get("service")
        if cleaned.get("duration_minutes") is None and service is not None:
            cleaned["duration_minutes"] = service.duration_minutes
        provider = cleaned.get("provider")
        start = cleaned.get("appointment_date")
        minutes = cleaned.get("duration_minutes")
        if not (provider and start and minutes):
            return cleaned
        # An early, worded refusal; the database refuses a clash anyway when it is saved
        # (appointment_save), even one that happens between this check and then.
        edited = Appointment(
            pk=self.instance.pk,
            provider=provider,
            appointment_date=start,
            duration_minutes=minutes,
            status=self.instance.status or AppointmentStatus.BOOKED,
        )
        clash = appointment_clash(appointment=edited)
        if clash is not None:
            self.add_error("appointment_date", f"{provider} is already booked then: {clash}.")
        return cleaned


@admin.register(Appointment)
class AppointmentAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = AppointmentAdminForm
    phone_search_field = "patient__phone"
    list_display = (
        "appointment_date",
        "patient",
        "service",
        "provider",
        "duration_minutes",
        "status",
        "created_from",
    )
    list_filter = ("status", "created_from", "service", "provider", "appointment_date")
    search_fields = ("patient__name", "patient__email", "patient__phone", "notes")
    ordering = ("-appointment_date",)
    date_hierarchy = "appointment_date"
    list_select_related = ("patient", "service", "provider")
    # Not the provider: an autocomplete needs permission to browse staff accounts, which the
    # front desk does not have; a clinic's providers fit in a plain list.
    autocomplete_fields = ("patient", "campaign")
    # The status changes only through the actions below (the status door, with its effects:
    # the campaign, the treatment history, the patient's messages).
    readonly_fields = ("status", "id", "created_at", "updated_at")
    actions = ("mark_confirmed", "mark_completed", "mark_no_show", "mark_cancelled")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "patient",
                    "service",
                    "provider",
                    "appointment_date",
                    "duration_minutes",
                    "status",
                    "notes",
                )
            },
        ),
        ("Origin", {"fields": ("campaign", "created_from")}),
        ("Record", {"fields": ("id", "created_at", "updated_at")}),
    )

    def _apply(self, request, queryset, change, done: str) -> None:
        changed = 0
        for appointment in queryset:
            try:
                change(actor=request.user, appointment_id=appointment.pk)
                changed += 1
            except ApplicationError as exc:
                self.message_user(request, f"{appointment}: {exc.message}", messages.WARNING)
        if changed:
            self.message_user(request, f"{changed} {done}.", messages.SUCCESS)

    @admin.action(description="Mark confirmed", permissions=["change"])
    def mark_confirmed(self, request, queryset):
        self._apply(request, queryset, appointment_confirm, "marked confirmed")

    @admin.action(description="Mark completed (the visit took place)", permissions=["change"])
    def mark_completed(self, request, queryset):
        self._apply(request, queryset, appointment_complete, "marked completed")

    @admin.action(description="Mark no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._apply(request, queryset, appointment_no_show, "marked a no-show")

    @admin.action(description="Cancel", permissions=["change"])
    def mark_cancelled(self, request, queryset):
        self._apply(request, queryset, appointment_cancel, "cancelled")

    def save_model(self, request, obj, form, change):
        appointment_save(actor=request.user, appointment=obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Conflict as exc:
            # The time was taken after the form's check (the database refused it): nothing
            # was saved.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_changeform_initial_data(self, request):
        return {
            "created_from": CreatedFrom.MANUAL_ADMIN,
            **super().get_changeform_initial_data(request),
        }


@admin.register(AsapRequest)
class AsapRequestAdmin(admin.ModelAdmin):
    """Staff put a patient on the ASAP list here (the dashboard's ASAP list page shows it)."""

    list_display = ("patient", "service", "status", "source", "created_at")
    list_filter = ("status", "service", "source")
    search_fields = ("patient__name", "patient__email", "patient__phone")
    autocomplete_fields = ("patient",)
    raw_id_fields = ("appointment",)
    readonly_fields = ("id", "created_at")
    fields = (
        "patient",
        "service",
        "appointment",
        "weekdays",
        "earliest",
        "latest",
        "source",
        "status",
        "id",
        "created_at",
    )

    def get_changeform_initial_data(self, request):
        return {"source": AsapSource.STAFF, **super().get_changeform_initial_data(request)}
