"""What the database search backend and its two vendor modules share: the search table's name and
columns, the ranking constants, the match expressions of one query, the price-overlap test, batching.

A module of its own so that ``database_sqlite`` and ``database_postgresql``, whose passes
``database.DatabaseBackend`` inherits, need not import ``database`` (which imports them): no import
cycle. Every name here is still importable from ``listings.search.database``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from django.db.models import Case, IntegerField, Q, Value, When

from .base import PRICE_BANDS
from .text import FIELD_WEIGHTS

TABLE = "listings_search_fts"
TEXT_COLUMNS = tuple(FIELD_WEIGHTS)
EXTRA_COLUMNS = ("kind", "stamp", "published_ts", "completeness", "sort_vi", "sort_en")
BATCH = 500
#: A partial-match expression lists every combination of ceil(n/2) words; past this many, any word.
MAX_COMBINATIONS = 70
#: Boosts: up to +20 % for a complete listing, up to +20 % for a new one (halving over a year), ×1.5
#: for the query's words side by side.
COMPLETENESS_BOOST = 0.2
RECENCY_BOOST = 0.2
RECENCY_SCALE_SECONDS = 365 * 86400
PHRASE_BONUS = 1.5


def price_overlaps(low: int | None, high: int | None) -> Q:
    """Listings whose price range overlaps [low, high] (VND, inclusive). A listing with only a minimum
    is priced "from" it (up to anything), with only a maximum "up to" it (from 0); without either it
    has no price and matches no price filter."""
    cond = Q(price_min__isnull=False) | Q(price_max__isnull=False)
    if low is not None:
        cond &= Q(price_max__isnull=True) | Q(price_max__gte=low)
    if high is not None:
        cond &= Q(price_min__isnull=True) | Q(price_min__lte=high)
    return cond


def facet_flags(filters: dict[str, Q]) -> tuple[dict[str, Case], dict[str, Case]]:
    """The 0/1 columns a one-statement facet pass groups or sums by: ``f_<facet>`` for each facet filter
    of the query (a row passes it), ``p_<i>`` for each price band (a row's price overlaps it)."""

    def flag(cond: Q) -> Case:
        return Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField())

    flags = {f"f_{name}": flag(cond) for name, cond in filters.items()}
    bands = {
        f"p_{i}": flag(price_overlaps(band.low, None if band.high is None else band.high - 1))
        for i, band in enumerate(PRICE_BANDS)
    }
    return flags, bands


def _chunks(ids: Sequence[int], size: int = BATCH):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class _Text(NamedTuple):
    """The match expressions of one query, built once per search."""

    tokens: list[str]
    match: str  # which rows match at all: every word for one word, else at least half of them
    full: str  # every word
    phrase: str  # the words side by side


Page = list[tuple[int, float]]


def page_over_tiers(
    read_full: Callable[[int, int], Page],
    read_partial: Callable[[int, int], Page],
    count_full: Callable[[], int],
    limit: int,
    offset: int,
) -> Page:
    """A relevance page of a query of several words: its full matches first, then its partial ones, read
    one tier at a time (each ``read_*(limit, offset)`` ordered by score), so the partial tier - often
    most of the matches - is scored only when the page reaches past the full ones. ``count_full`` is
    asked only when the page starts past them."""
    page = read_full(limit, offset)
    if len(page) == limit:
        return page
    fulls = offset + len(page) if page else count_full()
    return page + read_partial(limit - len(page), max(0, offset - fulls))
