"""Search over published listings: one interface (``base``), backends behind it (``database``, and
``elasticsearch``), Vietnamese folding (``text``), indexing tasks (``indexing``). See docs/search.md."""

from .base import (
    FACETS,
    PRICE_BANDS,
    FacetValue,
    InvalidQuery,
    SearchHit,
    SearchQuery,
    SearchResult,
    get_backend,
    search_health,
    search_listings,
    search_suggest,
)

__all__ = [
    "FACETS",
    "PRICE_BANDS",
    "FacetValue",
    "InvalidQuery",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "get_backend",
    "search_health",
    "search_listings",
    "search_suggest",
]


def filter_matching(qs, q: str, fallback):
    """Keep the listings of ``qs`` whose folded text holds every word of ``q`` (diacritics, case and đ
    folded: 'dai hoc' finds 'Đại học'), using the database search index.

    This is how the list pages and the API's ``q`` filter with search. ``fallback(qs, q)`` answers
    where the database has no search index (neither SQLite nor PostgreSQL), so a missing index never
    hides listings.
    """
    from django.db import connection

    from .database import DatabaseBackend
    from .text import query_tokens

    tokens = query_tokens(q)
    if not tokens:
        return qs
    if connection.vendor not in ("sqlite", "postgresql"):
        return fallback(qs, q)
    backend = DatabaseBackend()
    text = backend.text_query(tokens)
    return qs.filter(id__in=backend.ids_subquery(text.full))
