"""The audit log in the Wagtail admin: read-only, for exchange staff only.

Access follows ``exchange.accounts.permissions.is_staff`` (superusers and the platform ``staff`` role),
not Django model permissions, so granting a moderator group "view audit log" by mistake cannot open it.
"""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import ContentTypeFilter, DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from exchange.accounts.models import PlatformRole
from exchange.accounts.permissions import is_staff

from .models import AuditLog
from .wagtail_admin import NoFormsViewSetMixin, RoleViewPermissionPolicy

# Staff may view; nobody may add, change or delete (rows are written by services only).
register_permission_policy(
    AuditLog, RoleViewPermissionPolicy(AuditLog, rule=is_staff, roles=[PlatformRole.STAFF])
)


def _action_choices(request=None):
    # Distinct values of an indexed column: as many rows as there are kinds of action, not of events.
    actions = AuditLog.objects.order_by("action").values_list("action", flat=True).distinct()
    return [(action, action) for action in actions]


def _target_types(request=None):
    return ContentType.objects.filter(
        pk__in=AuditLog.objects.exclude(target_type=None).values("target_type").distinct()
    ).order_by("app_label", "model")


class AuditLogFilterSet(WagtailFilterSet):
    action = django_filters.ChoiceFilter(label=_("Hành động"), choices=_action_choices)
    actor = django_filters.CharFilter(
        label=_("Người thực hiện (email)"), field_name="actor_repr", lookup_expr="icontains"
    )
    target_type = ContentTypeFilter(label=_("Loại đối tượng"), queryset=_target_types)
    created_at = django_filters.DateFromToRangeFilter(label=_("Thời gian"), widget=DateRangePickerWidget)
    ip_address = django_filters.CharFilter(label=_("Địa chỉ IP"), lookup_expr="exact")

    class Meta:
        model = AuditLog
        fields = []


class AuditLogIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("target_type")


class AuditLogViewSet(NoFormsViewSetMixin, ModelViewSet):
    model = AuditLog
    icon = "history"
    menu_label = _("Nhật ký hoạt động")
    menu_name = "audit-log"
    menu_hook = "register_reports_menu_item"
    name = "audit-log"
    index_view_class = AuditLogIndexView
    filterset_class = AuditLogFilterSet
    search_fields = ["action", "actor_repr", "target_repr", "target_id"]
    search_backend_name = None  # plain ORM search: the audit log is not in the search index
    list_per_page = 50
    list_display = [
        DateColumn("created_at", label=_("Thời điểm"), sort_key="created_at"),
        Column("actor_repr", label=_("Người thực hiện"), sort_key="actor_repr"),
        Column("action", label=_("Hành động"), sort_key="action"),
        Column("target_type", label=_("Loại đối tượng")),
        Column("target_repr", label=_("Đối tượng")),
        Column("ip_address", label=_("Địa chỉ IP")),
    ]
    ordering = ["-created_at", "-id"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "created_at",
        "actor_repr",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "ip_address",
        "before",
        "after",
        "data",
    ]
    copy_view_enabled = False
    add_to_reference_index = False

    def get_urlpatterns(self):
        # Only listing and inspecting exist: there is no form to add, edit or delete an audit row.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]


audit_log_viewset = AuditLogViewSet()


@hooks.register("register_admin_viewset")
def register_audit_log_viewset():
    return audit_log_viewset
