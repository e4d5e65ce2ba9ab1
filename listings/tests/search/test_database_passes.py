"""The database backend's fast paths give the answers of the plain ones.

- SQLite's one-pass facet count (``DatabaseBackend._facets_one_pass``, transaction types grouped by
  their stored list and counted per code in Python) must give every facet the counts of one ORM aggregate
  per facet (``_facets_per_query``, the PostgreSQL path), for queries with and without words and filters.
- The relevance page is read one tier at a time (full matches, then partial ones only when the page
  reaches past them): pages of any size, across the boundary, must concatenate to the one long page,
  full matches first.
"""

import pytest
from django.db import connection

from listings.models import IPType, TransactionType
from listings.search import SearchQuery
from listings.search.text import query_tokens
from listings.tests.search.test_contract import catalogue  # noqa: F401 - the fixture, six known listings

pytestmark = pytest.mark.django_db


def _nonzero(counts):
    return {name: {str(k): int(n) for k, n in pairs if n} for name, pairs in counts.items()}


QUERIES = [
    {},
    {"q": "may"},
    {"q": "may loc"},
    {"q": "nano", "province": "79"},
    {"kind": "offer"},
    {"kind": "request", "trl_min": 6},
    {"transaction_type": TransactionType.ASSIGNMENT},
    {"transaction_type": TransactionType.EXCLUSIVE_LICENSE, "q": "may"},
    {"ip_type": IPType.PATENT},
    {"field": "2"},
    {"organization": "dhbk", "price_band": "100m-500m"},
    {"price_min": 100_000_000, "price_max": 1_000_000_000, "kind": "offer"},
    {"q": "may", "province": "92", "transaction_type": TransactionType.NON_EXCLUSIVE_LICENSE},
]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the one-pass facet count is SQLite's")
@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("params", QUERIES, ids=[repr(q) for q in QUERIES])
def test_one_pass_facets_equal_the_per_facet_aggregates(db_backend, params):
    query = SearchQuery(facets=True, **params).normalized()
    text = db_backend.text_query(query_tokens(query.q))
    filters = db_backend._facet_filters(query)
    one_pass, total = db_backend._facets_one_pass(query, text, filters)
    reference = db_backend._facets_per_query(query, text, filters)
    assert _nonzero(one_pass) == _nonzero(reference)
    assert total == db_backend._count(query, text, filters)
    if not params:  # the catalogue's own figures, so the comparison cannot pass on two empty answers
        assert _nonzero(one_pass)["transaction_type"] == {
            TransactionType.EXCLUSIVE_LICENSE: 1,
            TransactionType.ASSIGNMENT: 3,
            TransactionType.NON_EXCLUSIVE_LICENSE: 1,
            TransactionType.JOINT_DEVELOPMENT: 1,
        }


@pytest.fixture
def tiers(corpus):
    """For 'may loc nuoc': 4 full matches and 5 partial ones (two of the three words), and a listing
    with one word only (no match)."""
    full = [
        corpus.add(title_vi="Máy lọc nước nhiễm mặn"),
        corpus.add(title_vi="Máy lọc nước giếng khoan", summary_vi="Lọc nước nhanh."),
        corpus.add(title_vi="Hệ thống nước sạch", keywords=["máy lọc"]),
        corpus.add(title_vi="Thiết bị", summary_vi="Máy dùng để lọc nước thải."),
    ]
    partial = [
        corpus.add(title_vi="Máy lọc không khí"),
        corpus.add(title_vi="Lọc nước bằng màng"),
        corpus.add(title_vi="Máy bơm nước"),
        corpus.add(title_vi="Máy sấy", summary_vi="Sấy bằng nước nóng."),
        corpus.add(title_vi="Bộ lọc", description_vi="Dùng cho máy công nghiệp."),
    ]
    corpus.add(title_vi="Nước mắm truyền thống")
    corpus.sync()
    return {listing.pk for listing in full}, {listing.pk for listing in partial}


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_relevance_pages_across_the_full_partial_boundary(db_backend, tiers, size):
    full, partial = tiers
    whole = db_backend.search(SearchQuery(q="may loc nuoc", page_size=100))
    assert whole.total == 9
    assert set(whole.ids[:4]) == full and set(whole.ids[4:]) == partial
    paged, page = [], 1
    while True:
        result = db_backend.search(SearchQuery(q="may loc nuoc", page=page, page_size=size))
        if not result.hits:
            break
        assert result.total == 9
        paged += [(hit.listing_id, hit.score) for hit in result.hits]
        page += 1
    assert [i for i, _ in paged] == whole.ids
    for (_, score), hit in zip(paged, whole.hits, strict=True):
        assert score == pytest.approx(hit.score, rel=1e-6)  # recency moves with the clock, barely
