"""Peers in the Wagtail admin: staff register exchanges (name, origin, base URL, public key, interval,
active) and watch each one on a dashboard (last success, cursor, lag, errors, quarantined records) with
a "sync now" button that queues a pull through ``services.peer_sync_now``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import models as generic_models
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from exchange.accounts.models import PlatformRole
from exchange.accounts.permissions import is_staff
from exchange.core.models import AuditLog

from . import services
from .models import Peer, QuarantinedRecord
from .signatures import our_key_id, our_public_key_b64


class StaffOnlyPolicy(BasePermissionPolicy):
    """Exchange staff manage peers (add, change, delete); nobody else sees them."""

    def user_has_permission(self, user, action):
        return is_staff(user)

    def user_has_any_permission(self, user, actions):
        return is_staff(user)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        return (
            get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(roles__code=PlatformRole.STAFF), is_active=True)
            .distinct()
        )


register_permission_policy(Peer, StaffOnlyPolicy(Peer))


class PeerDashboardView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "regional_network/admin/dashboard.html"
    header_icon = "site"

    def dispatch(self, request, *args, **kwargs):
        if not is_staff(request.user):
            raise PermissionDenied
        self.peer = get_object_or_404(Peer, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Đồng bộ với sàn")

    def get_page_subtitle(self):
        return str(self.peer)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        peer = self.peer
        context.update(
            peer=peer,
            quarantined=QuarantinedRecord.objects.filter(peer=peer)[:20],
            quarantined_count=QuarantinedRecord.objects.filter(peer=peer).count(),
            federated_count=peer.records.filter(deleted=False).count(),
            activity=AuditLog.objects.filter(target_id=str(peer.pk), action__startswith="peer.").order_by(
                "-created_at"
            )[:20],
            our_key_id=our_key_id(),
            our_public_key=our_public_key_b64(),
        )
        return context

    def post(self, request, *args, **kwargs):
        services.peer_sync_now(actor=request.user, peer=self.peer)
        messages.success(request, _("Đã xếp lịch đồng bộ ngay."))
        return redirect(reverse("federation-peers:dashboard", args=[self.peer.pk]))


class _ServiceErrorsToForm:
    """A ValidationError from the service (our own origin, a malformed key) goes back onto the form."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class PeerCreateView(_ServiceErrorsToForm, generic_models.CreateView):
    """Adding a peer goes through ``peer_create`` (validation and the audit row), not a bare form save."""

    def save_instance(self):
        data = {f: self.form.cleaned_data[f] for f in services.PEER_EDITABLE}
        return services.peer_create(actor=self.request.user, **data)


class PeerEditView(_ServiceErrorsToForm, generic_models.EditView):
    """Edits go through ``peer_update``, which audits key changes (fingerprints) and enabling/disabling."""

    def save_instance(self):
        data = {f: self.form.cleaned_data[f] for f in services.PEER_EDITABLE}
        return services.peer_update(actor=self.request.user, peer=self.object, **data)


class PeerDeleteView(generic_models.DeleteView):
    def delete_action(self):
        services.peer_delete(actor=self.request.user, peer=self.object)


class PeerViewSet(ModelViewSet):
    model = Peer
    add_view_class = PeerCreateView
    edit_view_class = PeerEditView
    delete_view_class = PeerDeleteView
    icon = "site"
    menu_label = _("Sàn liên thông")
    menu_name = "federation-peers"
    name = "federation-peers"
    menu_order = 160
    add_to_admin_menu = True
    form_fields = ["name", "origin", "base_url", "public_key", "pull_interval", "active"]
    search_fields = ["name", "origin"]
    search_backend_name = None
    copy_view_enabled = False
    add_to_reference_index = False
    list_display = [
        TitleColumn(
            "name", label=_("Tên"), get_url=lambda obj: reverse("federation-peers:dashboard", args=[obj.pk])
        ),
        Column("origin", label=_("Mã sàn")),
        Column("active", label=_("Hoạt động")),
        Column("cursor", label=_("Con trỏ")),
        Column("lag", label=_("Độ trễ")),
        Column("consecutive_failures", label=_("Lỗi liên tiếp")),
        DateColumn("last_success_at", label=_("Thành công lúc")),
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("dashboard/<int:pk>/", PeerDashboardView.as_view(), name="dashboard"),
        ]

    def get_permissions_to_register(self):
        from django.contrib.auth.models import Permission

        return Permission.objects.none()


peer_viewset = PeerViewSet()


@hooks.register("register_admin_viewset")
def register_peer_viewset():
    return peer_viewset
