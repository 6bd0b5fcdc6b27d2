from django.contrib import admin
from django.core.exceptions import ValidationError

from patients.contact import normalize_phone
from patients.models import ImportMapping, Patient, PatientImport, TreatmentRecord


class PhoneSearchMixin:
    """Also match a phone number however it is typed: "(212) 555-1234" finds +12125551234.

    Phones are stored in E.164, so a plain `icontains` search misses most of what people type.
    """

    phone_search_field = "phone"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term)
        except ValidationError:
            phone = ""
        if phone:
            results |= queryset.filter(**{self.phone_search_field: phone})
        return results, may_have_duplicates


class OptedOutFilter(admin.SimpleListFilter):
    title = "opted out"
    parameter_name = "opted_out"

    def lookups(self, request, model_admin):
        return [("yes", "Opted out"), ("no", "Reachable")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(opted_out_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(opted_out_at__isnull=True)
        return queryset


class ViewOnlyInline(admin.TabularInline):
    """A record shown on the patient for context; it is changed on its own page."""

    extra = 0
    show_change_link = True
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TreatmentRecordInline(admin.TabularInline):
    model = TreatmentRecord
    extra = 0
    fields = (
        "procedure_name",
        "procedure_date",
        "next_recommended_follow_up",
        "next_follow_up_date",
    )


@admin.register(Patient)
class PatientAdmin(PhoneSearchMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "phone",
        "patient_type",
        "next_follow_up_date",
        "opted_out",
        "created_at",
    )
    list_filter = ("patient_type", OptedOutFilter, "created_at")
    search_fields = ("name", "email", "phone", "external_id")
    ordering = ("name",)
    date_hierarchy = "next_follow_up_date"
    readonly_fields = ("id", "opted_out_at", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "email",
                    "phone",
                    "texts_allowed",
                    "patient_type",
                    "preferred_channels",
                    "external_id",
                )
            },
        ),
        (
            "Follow-up",
            {"fields": ("next_follow_up_date", "next_recommended_follow_up", "initial_inquiry")},
        ),
        (
            "Record",
            {
                "fields": ("id", "opted_out_at", "created_at", "updated_at"),
                "description": "Opting out happens when the patient asks (STOP, unsubscribe "
                "link); it cannot be set or cleared here.",
            },
        ),
    )
    # The apps above add their records' inlines (campaigns, appointments): this one cannot
    # import them.
    inlines = (TreatmentRecordInline,)

    def get_inlines(self, request, obj):
        # A new patient has no campaigns or appointments to show yet.
        return self.inlines if obj is not None else (TreatmentRecordInline,)

    @admin.display(boolean=True, description="opted out", ordering="opted_out_at")
    def opted_out(self, obj):
        return obj.is_opted_out


@admin.register(TreatmentRecord)
class TreatmentRecordAdmin(PhoneSearchMixin, admin.ModelAdmin):
    phone_search_field = "patient__phone"
    list_display = (
        "procedure_name",
        "patient",
        "procedure_date",
        "next_recommended_follow_up",
        "next_follow_up_date",
    )
    list_filter = ("next_follow_up_date",)
    search_fields = ("procedure_name", "patient__name", "patient__email", "patient__phone")
    ordering = ("-procedure_date",)
    date_hierarchy = "procedure_date"
    list_select_related = ("patient",)
    autocomplete_fields = ("patient",)


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "updated_at")
    search_fields = ("name",)


@admin.register(PatientImport)
class PatientImportAdmin(admin.ModelAdmin):
    """The dashboard's imports, to look at; they are started and resumed from the dashboard."""

    list_display = ("filename", "status", "lines_done", "lines_total", "created_by", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in PatientImport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
