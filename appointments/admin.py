from datetime import timedelta

from django import forms
from django.contrib import admin
from django.db.models import Count

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment, ProviderSchedule, Service, TimeOff
from patients.admin import PhoneSearchMixin

# Service.clean caps a visit at 480 minutes: nothing that started earlier can still be on.
LONGEST_VISIT = timedelta(minutes=480)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "duration_minutes", "provider_count")
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("providers",)
    readonly_fields = ("id",)
    fields = ("name", "slug", "duration_minutes", "providers", "id")

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
            "status",
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
        status = cleaned.get("status")
        if not (provider and start and minutes) or status != AppointmentStatus.BOOKED:
            return cleaned
        end = start + timedelta(minutes=minutes)
        booked = Appointment.objects.filter(
            provider=provider,
            status=AppointmentStatus.BOOKED,
            appointment_date__lt=end,
            appointment_date__gt=start - LONGEST_VISIT,
        ).select_related("patient", "service")
        if not self.instance._state.adding:
            booked = booked.exclude(pk=self.instance.pk)
        clash = next((other for other in booked if other.ends_at > start), None)
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
    readonly_fields = ("id", "created_at", "updated_at")
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

    def get_changeform_initial_data(self, request):
        return {
            "created_from": CreatedFrom.MANUAL_ADMIN,
            **super().get_changeform_initial_data(request),
        }
