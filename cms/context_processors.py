"""Template context every public page needs: the demo-data banner and the SEO language links."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.urls import translate_url
from django.utils.functional import SimpleLazyObject

from .site_url import absolute_url

DEMO_CACHE_KEY = "cms:demo-data-present"
DEMO_CACHE_SECONDS = 60


def demo_data_present() -> bool:
    """Whether any demo listing or organisation exists; cached for a minute (two cheap EXISTS queries)."""

    def compute() -> bool:
        from exchange.accounts.models import Organization
        from listings.models import Listing

        return (
            Listing.objects.filter(is_demo=True).exists()
            or Organization.objects.filter(is_demo=True).exists()
        )

    return cache.get_or_set(DEMO_CACHE_KEY, compute, DEMO_CACHE_SECONDS)


def forget_demo_data_flag() -> None:
    """Call after seeding or wiping demo data so the banner follows at once instead of within a minute."""
    cache.delete(DEMO_CACHE_KEY)


def _alternates(request) -> list[dict]:
    url = absolute_url(request.get_full_path())
    links = []
    for code, _name in settings.LANGUAGES:
        try:
            href = translate_url(url, code)
        except Exception:  # noqa: BLE001 - an unresolvable path simply gets no alternates
            href = url
        links.append({"code": code, "href": href})
    return links


def site(request) -> dict:
    """``demo_data_present``, ``alternate_urls`` (hreflang), ``canonical_url`` and the listings' cache
    version, all computed lazily."""
    return {
        "demo_data_present": SimpleLazyObject(demo_data_present),
        "alternate_urls": SimpleLazyObject(lambda: _alternates(request)),
        # On the public address (SITE_URL), whatever host name the request came in by (cms.site_url).
        "canonical_url": SimpleLazyObject(lambda: absolute_url(request.path)),
        # The key part that makes cached listing fragments stale on any change (listings.cache).
        "listings_cache_version": SimpleLazyObject(_listings_cache_version),
    }


def _listings_cache_version():
    from listings.cache import public_version

    return public_version()
