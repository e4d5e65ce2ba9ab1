"""A chooser for published listings, used by the home page's "featured technologies" panel."""

from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from listings.lifecycle import ListingState

from .models import EventRegistration, forget_navigation


class PublishedListingChooserViewSet(ChooserViewSet):
    model = "listings.Listing"
    icon = "doc-full"
    choose_one_text = _("Chọn tin công nghệ")
    choose_another_text = _("Chọn tin khác")
    edit_item_text = _("Sửa")
    per_page = 20
    register_widget = False  # only the home page panel uses it; other Listing FKs keep their widget

    def get_object_list(self):
        from listings.models import Listing

        return (
            Listing.objects.filter(state=ListingState.PUBLISHED)
            .select_related("organization")
            .order_by("-published_at", "-id")
        )


listing_chooser_viewset = PublishedListingChooserViewSet("published_listing_chooser")


@hooks.register("register_admin_viewset")
def register_listing_chooser():
    return listing_chooser_viewset


def _use_chooser_on_home_page() -> None:
    """The home page's featured-listing rows pick through the chooser above (set here, once the admin
    viewset exists, rather than in models.py, which must not import the admin at load time)."""
    from wagtail.admin.panels import FieldPanel

    from .models import HomePageFeaturedListing

    HomePageFeaturedListing.panels = [FieldPanel("listing", widget=listing_chooser_viewset.widget_class)]


_use_chooser_on_home_page()


# --- Statistics dashboard and yearly report (staff only) ----------------------------------------------
@hooks.register("register_admin_urls")
def register_statistics_urls():
    from django.urls import path

    from . import views

    return [
        path("statistics/", views.statistics_dashboard, name="cms_statistics"),
        path("statistics/report.<str:fmt>", views.statistics_report, name="cms_statistics_report"),
    ]


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        from exchange.accounts.permissions import is_staff

        return is_staff(request.user)


@hooks.register("register_admin_menu_item")
def register_statistics_menu_item():
    return StaffMenuItem(_("Thống kê"), reverse_lazy("cms_statistics"), icon_name="order", order=250)


# --- Event registrations: a read-only list for staff ---------------------------------------------------
class _ReadOnlyPolicy(ModelPermissionPolicy):
    """Registrations change only through cms.services (capacity, waiting list, audit)."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class EventRegistrationViewSet(SnippetViewSet):
    model = EventRegistration
    icon = "group"
    menu_label = _("Đăng ký sự kiện")
    list_display = ["name", "email", "organization_name", "event", "status", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["name", "email", "organization_name"]
    add_to_admin_menu = False
    inspect_view_enabled = True


register_permission_policy(EventRegistration, _ReadOnlyPolicy(EventRegistration))

register_snippet(EventRegistrationViewSet)


# --- Navigation cache follows page changes ------------------------------------------------------------
@hooks.register("after_publish_page")
@hooks.register("after_unpublish_page")
@hooks.register("after_move_page")
@hooks.register("after_delete_page")
def _forget_navigation(request, page, *args, **kwargs):
    forget_navigation()


# --- Wagtail 8 autosave race on the create form ---------------------------------------------------------
@hooks.register("insert_editor_js")
def _autosave_guard_js():
    """Wagtail 8.0.1 lets a Publish clicked during the first autosave create the page twice ("slug in
    use"); cms/static/cms/autosave_guard.js holds the submit until that autosave has answered (the why
    and the evidence are in docs/wagtail-autosave.md)."""
    return format_html('<script src="{}"></script>', static("cms/autosave_guard.js"))
