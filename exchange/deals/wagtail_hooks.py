"""Legal data of the deal room, edited by exchange staff in the Wagtail admin: NDA templates, revenue-share
rules for state-funded results, and registration rules (deadlines). Rates and deadlines are rows, never
constants in code, so a change in the law is an edit here.

Access follows ``exchange.accounts.permissions.is_staff`` (superusers and the platform ``staff`` role),
not Django model permissions, as for the audit log; every change is in Wagtail's history log.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from exchange.accounts.models import PlatformRole
from exchange.accounts.permissions import is_staff

from .models import NdaTemplate, RegistrationRule, RevenueShareRule


class StaffEditPermissionPolicy(BasePermissionPolicy):
    """Exchange staff may do everything with these rows; nobody else sees them."""

    def user_has_permission(self, user, action):
        return is_staff(user)

    def user_has_any_permission(self, user, actions):
        return is_staff(user)

    def users_with_any_permission(self, actions):
        return (
            get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(roles__code=PlatformRole.STAFF), is_active=True)
            .distinct()
        )


for _model in (NdaTemplate, RevenueShareRule, RegistrationRule):
    register_permission_policy(_model, StaffEditPermissionPolicy(_model))


class _StaffViewSet(ModelViewSet):
    copy_view_enabled = False
    inspect_view_enabled = True
    add_to_admin_menu = False

    def get_permissions_to_register(self):
        from django.contrib.auth.models import Permission

        return Permission.objects.none()


class NdaTemplateViewSet(_StaffViewSet):
    model = NdaTemplate
    icon = "doc-full"
    menu_label = _("Mẫu thỏa thuận bảo mật")
    list_display = ["title", "organization", "code", "language", "version", "active"]
    list_filter = ["language", "active"]
    search_fields = ["title", "code"]
    form_fields = ["organization", "code", "language", "title", "body", "version", "active"]


class RevenueShareRuleViewSet(_StaffViewSet):
    model = RevenueShareRule
    icon = "form"
    menu_label = _("Quy định chia sẻ doanh thu")
    list_display = ["party", "bound", "percent", "source", "active", "valid_from", "valid_to"]
    list_filter = ["party", "active"]
    form_fields = [
        "party",
        "bound",
        "percent",
        "source",
        "note_vi",
        "note_en",
        "valid_from",
        "valid_to",
        "active",
    ]


class RegistrationRuleViewSet(_StaffViewSet):
    model = RegistrationRule
    icon = "date"
    menu_label = _("Quy định đăng ký chuyển giao")
    list_display = ["code", "deadline_days", "source", "active"]
    list_filter = ["active"]
    form_fields = ["code", "description_vi", "description_en", "deadline_days", "source", "active"]


class LegalDataViewSetGroup(ModelViewSetGroup):
    items = (
        NdaTemplateViewSet("deals_nda_template"),
        RevenueShareRuleViewSet("deals_revenue_share_rule"),
        RegistrationRuleViewSet("deals_registration_rule"),
    )
    menu_label = _("Dữ liệu pháp lý giao dịch")
    menu_icon = "doc-full-inverse"
    menu_order = 260


@hooks.register("register_admin_viewset")
def register_legal_data_viewsets():
    return LegalDataViewSetGroup()
