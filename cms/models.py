"""Wagtail pages of the exchange's public site. The home page is the root of the site tree."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page

HOME_LATEST_COUNT = 6
HOME_FEATURED_MAX = 6


class HomePage(Page):
    intro_vi = models.CharField(_("lời giới thiệu"), max_length=300, blank=True)
    intro_en = models.CharField(_("lời giới thiệu (tiếng Anh)"), max_length=300, blank=True)
    body = RichTextField(_("nội dung"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro_vi"),
        FieldPanel("intro_en"),
        FieldPanel("body"),
        InlinePanel(
            "featured_listings",
            label=_("Công nghệ tiêu biểu"),
            heading=_("Công nghệ tiêu biểu (biên tập viên chọn)"),
            max_num=HOME_FEATURED_MAX,
        ),
    ]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("trang chủ")

    def intro(self, language: str) -> str:
        return (self.intro_en if language == "en" and self.intro_en else self.intro_vi) or self.intro_vi

    def get_context(self, request, *args, **kwargs):
        """Latest offers and requests, the editors' picks (still published only) and the counters:
        a fixed handful of queries whatever the number of listings."""
        from listings import selectors
        from listings.models import ListingKind

        context = super().get_context(request, *args, **kwargs)
        featured_ids = list(
            self.featured_listings.order_by("sort_order").values_list("listing_id", flat=True)[
                :HOME_FEATURED_MAX
            ]
        )
        featured = {
            listing.pk: listing for listing in selectors.listings_published().filter(pk__in=featured_ids)
        }
        context.update(
            {
                "featured": [featured[pk] for pk in featured_ids if pk in featured],
                "latest_offers": list(
                    selectors.listings_published(kind=ListingKind.OFFER)[:HOME_LATEST_COUNT]
                ),
                "latest_requests": list(
                    selectors.listings_published(kind=ListingKind.REQUEST)[:HOME_LATEST_COUNT]
                ),
                "counters": selectors.listing_counters(),
            }
        )
        return context


class HomePageFeaturedListing(Orderable):
    """An editors' pick on the home page; a pick that is no longer published simply is not shown."""

    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_listings")
    listing = models.ForeignKey(
        "listings.Listing", verbose_name=_("tin công nghệ"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("listing")]  # cms.wagtail_hooks swaps in the published-listing chooser

    class Meta(Orderable.Meta):
        verbose_name = _("công nghệ tiêu biểu")
        verbose_name_plural = _("công nghệ tiêu biểu")
