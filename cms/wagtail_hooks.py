"""A chooser for published listings, used by the home page's "featured technologies" panel."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.chooser import ChooserViewSet

from listings.lifecycle import ListingState


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
