from django.contrib import admin

from .models import (
    BankStatementImport,
    CommissionRule,
    JournalEntry,
    JournalLine,
    PaymentRequest,
    StripeEvent,
)


@admin.register(CommissionRule)
class CommissionRuleAdmin(admin.ModelAdmin):
    """The exchange's commission and the broker's share are data staff edit here."""

    list_display = (
        "code",
        "name",
        "applies_to",
        "exchange_percent",
        "broker_percent",
        "valid_from",
        "valid_to",
        "active",
    )
    list_filter = ("active", "applies_to")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records change only through the services (audited, balanced); the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdmin):
    list_display = ("reference", "deal", "amount_vnd", "paid_vnd", "refunded_vnd", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("reference",)
    list_select_related = ("deal", "deal__listing")


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "memo", "payment_request", "created_at")
    list_filter = ("kind",)
    inlines = [JournalLineInline]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "outcome", "received_at")


@admin.register(BankStatementImport)
class BankStatementImportAdmin(ReadOnlyAdmin):
    list_display = ("filename", "imported_by", "created_at")
