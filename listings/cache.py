"""What public pages may cache about listings, and the version that tells when it is stale.

Only public data is cached here — published listings as anyone sees them, the filter forms' choice lists —
never anything that depends on who is asking (saved state, owners' tools, matches) or anything
confidential. Every cache key carries :func:`public_version`, which changes whenever a listing, an
organisation, a science field or a province is saved or deleted (and after commit, for the public-change
hook of the services), so a change shows at once on the next request. ``FRAGMENT_SECONDS`` bounds
staleness where a change bypasses both (a queryset ``update()``) or where processes do not share a cache
(LocMem under several gunicorn workers: production sets ``CACHE_REDIS_URL``).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "listings:public-version"
FRAGMENT_SECONDS = 300


def public_version() -> int:
    """The current version (created on first use; a cleared cache simply starts a new one)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY) or 0
    return version


def bump_public_version() -> None:
    """Make every cached listing fragment stale. A fresh timestamp, not ``incr``: it stays unique even when
    the key was evicted meanwhile."""
    cache.set(VERSION_KEY, time.time_ns(), None)


def _changed(sender, **kwargs) -> None:
    """Bump now (this request and tests see the change) and again after commit, so that a page rendered
    between the save and the commit cannot keep the old data cached under the new version."""
    bump_public_version()
    transaction.on_commit(bump_public_version)


def cached_choices(name: str, language: str, build):
    """``build()`` once per version and language: choice lists of the filter forms (organisations with
    something published, fields, provinces, origins) cost a query each and change rarely."""
    key = f"listings:choices:{name}:{language}:{public_version()}"
    return cache.get_or_set(key, build, FRAGMENT_SECONDS)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from exchange.accounts.models import Organization
    from exchange.core.models import Province

    from .models import Listing, ListingImage, ScienceField
    from .services import register_public_change_hook

    for model in (Listing, ListingImage, Organization, ScienceField, Province):
        post_save.connect(_changed, sender=model, dispatch_uid=f"listings-cache-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"listings-cache-del-{model.__name__}")
    register_public_change_hook(_on_public_change)


def _on_public_change(listing_id: int) -> None:
    bump_public_version()


def request_digest(request, *parts) -> str:
    """A short digest of the request's path, its query string (sorted, so the order of the parameters
    does not matter) and ``parts``: the key of a fragment that depends on exactly these and on the public
    data that :func:`public_version` stands for (the cache tag adds the version and the language)."""
    import hashlib

    query = sorted((key, value) for key, values in request.GET.lists() for value in values)
    text = repr((request.path, query, parts))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def search_result_fingerprint(result) -> tuple:
    """What a rendered page of search hits shows of a ``SearchResult``: total, hits in order with their
    highlights, facet values with labels and counts. Two results with the same fingerprint render the
    same HTML (with the same request and public data), so it goes into the fragment's key."""
    hits = tuple((hit.listing_id, tuple(sorted(hit.highlights.items()))) for hit in result.hits)
    facets = tuple((name, tuple(values)) for name, values in result.facets.items())
    return (result.total, hits, facets)
