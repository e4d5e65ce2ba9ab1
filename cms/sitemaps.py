"""sitemap.xml: every live public page in every language, and our published listings in vi and en."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.db.models import Q
from wagtail.contrib.sitemaps import Sitemap

from .site_url import public_address


class PageSitemap(Sitemap):
    def items(self):
        from wagtail.models import Page

        root = self.get_wagtail_site().root_page
        roots = root.get_translations(inclusive=True)
        condition = Q()
        for path in roots.values_list("path", flat=True):
            condition |= Q(path__startswith=path)
        return Page.objects.filter(condition).live().public().order_by("path").defer_streamfields().specific()


class ListingSitemap(DjangoSitemap):
    """Django's sitemap would take the request's scheme and host; ours are on the public address, the
    same as the Wagtail pages beside them once ``site_configure`` has run (cms.site_url)."""

    i18n = True
    alternates = True
    x_default = True
    limit = 5000

    def items(self):
        from django.conf import settings

        from listings.models import Listing

        # Our own listings only: a federated listing's canonical page is at its home exchange.
        return (
            Listing.objects.filter(state="published", origin=settings.EXCHANGE_ORIGIN)
            .only("id", "kind", "updated_at")
            .order_by("id")
        )

    def get_protocol(self, protocol=None):
        return public_address().scheme

    def get_domain(self, site=None):
        return public_address().netloc

    def lastmod(self, obj):
        return obj.updated_at

    def location(self, obj):
        return obj.get_absolute_url()
