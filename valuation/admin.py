"""Staff correct comparables here (appraisers enter them in the workspace); reports are read-only."""

from django.contrib import admin

from .models import Comparable, ValuationReport


@admin.register(Comparable)
class ComparableAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "field",
        "trl",
        "transaction_type",
        "value_vnd",
        "year",
        "source_deal",
        "is_demo",
    )
    list_filter = ("transaction_type", "trl", "is_demo")
    search_fields = ("title", "source_note")
    raw_id_fields = ("source_deal", "entered_by", "field")


@admin.register(ValuationReport)
class ValuationReportAdmin(admin.ModelAdmin):
    list_display = ("valuation", "appraiser_name", "published_at", "sha256")
    readonly_fields = [f.name for f in ValuationReport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
