from django.contrib import admin

from .models import ServiceQuote, ServiceRequest


class QuoteInline(admin.TabularInline):
    model = ServiceQuote
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in ServiceQuote._meta.fields]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Read-only: changes go through the services (portal and API) so they are audited."""

    list_display = ("id", "kind", "state", "requester", "requester_organization", "assignee", "created_at")
    list_filter = ("state", "kind")
    list_select_related = ("requester", "requester_organization", "assignee")
    inlines = [QuoteInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
