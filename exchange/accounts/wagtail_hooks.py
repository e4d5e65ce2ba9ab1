"""Staff screens for organisations and memberships in the Wagtail admin.

Verification is not a form field: it goes through ``services.organization_verify`` (staff only, audited,
managers notified) from a row action on the organisation list.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from . import permissions, services
from .models import Membership, Organization

ORGANIZATION_NS = "accounts_organizations"


class VerifyMenuItem(MenuItem):
    def is_shown(self, user):
        return permissions.is_staff(user)


class OrganizationIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("kind", "province")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not instance.verified:
            buttons.append(
                VerifyMenuItem(
                    _("Xác minh"),
                    url=reverse(f"{ORGANIZATION_NS}:verify", args=[instance.pk]),
                    icon_name="tick",
                    priority=5,
                )
            )
        return buttons


class OrganizationEditView(generic.EditView):
    """Saves through ``services.organization_update`` (audited; a rename reaches the search index after
    commit) instead of Wagtail's plain ``form.save()``."""

    def save_instance(self):
        changes = {name: self.form.cleaned_data[name] for name in self.form.changed_data}
        return services.organization_update(
            actor=self.request.user, organization=self.object, changes=changes
        )


def organization_verify_view(request, pk):
    if not permissions.is_staff(request.user):
        raise PermissionDenied
    organization = get_object_or_404(Organization.objects.select_related("kind"), pk=pk)
    index_url = reverse(f"{ORGANIZATION_NS}:index")
    if request.method == "POST":
        try:
            services.organization_verify(actor=request.user, organization=organization)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Đã xác minh %(name)s.") % {"name": organization.name})
        return redirect(index_url)
    return TemplateResponse(
        request,
        "accounts/admin/organization_verify.html",
        {
            "organization": organization,
            "index_url": index_url,
            "page_title": _("Xác minh tổ chức"),
            "header_icon": "tick",
        },
    )


class OrganizationViewSet(ModelViewSet):
    model = Organization
    name = ORGANIZATION_NS
    url_prefix = "organizations"
    icon = "group"
    menu_label = gettext_lazy("Tổ chức")
    index_view_class = OrganizationIndexView
    edit_view_class = OrganizationEditView
    list_display = ["name", "short_name", "ref", "kind", "province", "verified"]
    list_filter = ["kind", "verified", "province"]
    search_fields = ["name", "name_en", "short_name", "ref", "tax_code"]
    search_backend_name = None  # plain database lookups: organisations are not in a search index
    copy_view_enabled = False
    inspect_view_enabled = True
    # ``verified``/``verified_at``/``verified_by`` are set only by the verify action.
    form_fields = list(services.ORGANIZATION_EDITABLE_FIELDS)  # what organization_update may change

    def formfield_for_dbfield(self, db_field, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, **kwargs)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("verify/<int:pk>/", organization_verify_view, name="verify"),
        ]


class MembershipIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user", "organization")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Duyệt / đổi vai trò"),
                url=reverse("accounts:organization_members", args=[instance.organization_id]),
                icon_name="group",
                priority=5,
            )
        )
        return buttons


class MembershipViewSet(ModelViewSet):
    """Browse memberships; decisions go through the organisation's members page (audited, notified).

    No add view and only the title is editable here: approving, rejecting and changing roles are state
    changes that must pass through the services.
    """

    model = Membership
    name = "accounts_memberships"
    url_prefix = "memberships"
    icon = "user"
    menu_label = gettext_lazy("Thành viên tổ chức")
    index_view_class = MembershipIndexView
    list_display = ["user", "organization", "role", "status", "requested_at"]
    list_filter = ["status", "role"]
    search_fields = ["user__email", "user__full_name", "organization__name", "organization__ref"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = ["title"]

    def get_index_view_kwargs(self, **kwargs):
        return {**super().get_index_view_kwargs(**kwargs), "add_url_name": None}

    def get_urlpatterns(self):
        return [pattern for pattern in super().get_urlpatterns() if pattern.name != "add"]


class AccountsViewSetGroup(ModelViewSetGroup):
    items = (OrganizationViewSet, MembershipViewSet)
    menu_label = gettext_lazy("Tổ chức và thành viên")
    menu_icon = "group"
    menu_order = 250


@hooks.register("register_admin_viewset")
def register_viewsets():
    return AccountsViewSetGroup()
