"""The moderation queue in the Wagtail admin: filter, review, publish or send back, compare revisions.

Moderators (and staff) see every listing that is not a draft, filter by organisation, field, state and
age, and act only through the lifecycle services, so the admin can never skip a step or the audit log.
There is deliberately no add/edit/delete view: owners edit in the portal, moderators decide here.
"""

import datetime as dt

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from exchange.accounts.models import Organization, PlatformRole
from exchange.accounts.permissions import is_moderator
from exchange.core.wagtail_admin import NoFormsViewSetMixin, RoleViewPermissionPolicy

from . import selectors, services
from .lifecycle import ListingState, TransitionNotAllowed
from .models import Listing, ListingRevision, RevisionStage, RevisionState, ScienceField
from .snapshots import diff_snapshots, listing_snapshot

# Moderators and staff may view the queue; changes happen only through the review actions.
register_permission_policy(
    Listing,
    RoleViewPermissionPolicy(Listing, rule=is_moderator, roles=[PlatformRole.STAFF, PlatformRole.MODERATOR]),
)

AGE_CHOICES = [("3", _("Chờ hơn 3 ngày")), ("7", _("Chờ hơn 7 ngày")), ("14", _("Chờ hơn 14 ngày"))]


def _pending_revision():
    return ListingRevision.objects.filter(listing=OuterRef("pk"), state=RevisionState.PENDING)


class ModerationFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label=_("Trạng thái"), choices=ListingState.choices)
    kind = django_filters.ChoiceFilter(label=_("Loại tin"), choices=Listing._meta.get_field("kind").choices)
    organization = django_filters.ModelChoiceFilter(
        label=_("Tổ chức"), queryset=Organization.objects.order_by("name")
    )
    field = django_filters.ModelChoiceFilter(
        label=_("Lĩnh vực"), queryset=ScienceField.objects.order_by("code"), method="filter_field"
    )
    age = django_filters.ChoiceFilter(label=_("Thời gian chờ"), choices=AGE_CHOICES, method="filter_age")
    pending_revision = django_filters.BooleanFilter(
        label=_("Có bản sửa chờ duyệt"), method="filter_pending_revision"
    )

    class Meta:
        model = Listing
        fields = []

    def filter_field(self, queryset, name, value):
        # Choosing a top-level field (e.g. "2") also finds its sub-fields ("2.07").
        return queryset.filter(Q(field=value) | Q(field__parent=value))

    def filter_age(self, queryset, name, value):
        cutoff = timezone.now() - dt.timedelta(days=int(value))
        return queryset.filter(submitted_at__lte=cutoff)

    def filter_pending_revision(self, queryset, name, value):
        return queryset.filter(has_pending_revision=value)


class ModerationIndexView(IndexView):
    def get_base_queryset(self):
        return (
            Listing.objects.exclude(state=ListingState.DRAFT)
            .select_related("organization", "field")
            .annotate(has_pending_revision=Exists(_pending_revision()))
        )

    def get_edit_url(self, instance):
        return reverse("listing-moderation:review", args=[instance.pk])


class ReviewView(WagtailAdminTemplateMixin, TemplateView):
    """One listing: its data, the pending revision's differences, history, and the decisions."""

    template_name = "listings/admin/review.html"
    header_icon = "doc-full"
    actions = {
        "publish": lambda actor, listing, revision, reason: services.listing_publish(
            actor=actor, listing=listing
        ),
        "send_back": lambda actor, listing, revision, reason: services.listing_send_back(
            actor=actor, listing=listing, reason=reason
        ),
        "unpublish": lambda actor, listing, revision, reason: services.listing_unpublish(
            actor=actor, listing=listing, reason=reason
        ),
        "revision_approve": lambda actor, listing, revision, reason: services.revision_approve(
            actor=actor, revision=revision
        ),
        "revision_reject": lambda actor, listing, revision, reason: services.revision_reject(
            actor=actor, revision=revision, reason=reason
        ),
    }
    #: What the moderator is told after each action succeeded.
    done_messages = {
        "publish": _("Đã đăng tin."),
        "send_back": _("Đã trả lại tin cho người đăng kèm lý do."),
        "unpublish": _("Đã gỡ tin khỏi sàn."),
        "revision_approve": _("Đã duyệt bản sửa; tin đang đăng đã được cập nhật."),
        "revision_reject": _("Đã từ chối bản sửa; tin đang đăng giữ nguyên."),
    }

    def dispatch(self, request, *args, **kwargs):
        if not is_moderator(request.user):
            raise PermissionDenied
        self.listing = selectors.listing_detail(kwargs["pk"])
        if self.listing is None or self.listing.state == ListingState.DRAFT:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Kiểm duyệt")

    def get_page_subtitle(self):
        return str(self.listing)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("listing-moderation:index"), "label": _("Kiểm duyệt tin")},
            {"url": "", "label": str(self.listing)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        live = listing_snapshot(self.listing)
        revisions = list(selectors.listing_revisions(self.listing).order_by("created_at", "id"))
        pending = next((r for r in revisions if r.state == RevisionState.PENDING), None)
        history = []
        previous = None
        for revision in revisions:
            history.append({"revision": revision, "changes": diff_snapshots(previous, revision.data)})
            previous = revision.data
        context.update(
            listing=self.listing,
            pending=pending,
            pending_changes=diff_snapshots(live, pending.data) if pending else [],
            can_decide_pending=bool(pending and pending.stage == RevisionStage.MODERATION),
            history=list(reversed(history)),
            audit_trail=selectors.listing_audit_trail(self.listing)[:50],
            states=ListingState,
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action not in self.actions:
            messages.error(request, _("Thao tác không hợp lệ."))
            return redirect(request.path)
        revision = None
        if action.startswith("revision_"):
            revision = get_object_or_404(
                ListingRevision, pk=request.POST.get("revision"), listing=self.listing
            )
        reason = request.POST.get("reason", "").strip()
        try:
            self.actions[action](request.user, self.listing, revision, reason)
        except (TransitionNotAllowed, ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text or _("Không thực hiện được thao tác."))
            return redirect(request.path)
        messages.success(request, self.done_messages[action])
        return redirect(reverse("listing-moderation:index"))


class ListingModerationViewSet(NoFormsViewSetMixin, ModelViewSet):
    model = Listing
    icon = "tasks"
    menu_label = _("Kiểm duyệt tin")
    menu_name = "listing-moderation"
    name = "listing-moderation"
    menu_order = 150
    add_to_admin_menu = True
    index_view_class = ModerationIndexView
    filterset_class = ModerationFilterSet
    search_fields = ["title_vi", "title_en", "ref", "organization__name"]
    search_backend_name = None
    list_per_page = 30
    list_display = [
        TitleColumn(
            "title", label=_("Tên"), get_url=lambda obj: reverse("listing-moderation:review", args=[obj.pk])
        ),
        Column("organization", label=_("Tổ chức")),
        Column("kind", label=_("Loại"), accessor="get_kind_display"),
        Column("state", label=_("Trạng thái"), accessor="get_state_display", sort_key="state"),
        # A tick or a cross, not the words "True"/"False" in the middle of a Vietnamese table.
        BooleanColumn("has_pending_revision", label=_("Bản sửa chờ duyệt")),
        DateColumn("submitted_at", label=_("Gửi duyệt"), sort_key="submitted_at"),
    ]
    ordering = ["submitted_at", "id"]
    copy_view_enabled = False
    add_to_reference_index = False

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("review/<int:pk>/", ReviewView.as_view(), name="review"),
        ]


listing_moderation_viewset = ListingModerationViewSet()


@hooks.register("register_admin_viewset")
def register_listing_moderation_viewset():
    return listing_moderation_viewset
