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
