"""The database backend's fast paths give the answers of the plain ones.

- SQLite's one-pass facet count (``DatabaseBackend._facets_one_pass``, transaction types grouped by
  their stored list and counted per code in Python) must give every facet the counts of one ORM aggregate
  per facet (``_facets_per_query``, the PostgreSQL path), for queries with and without words and filters.
- The relevance page is read one tier at a time (full matches, then partial ones only when the page
  reaches past them): pages of any size, across the boundary, must concatenate to the one long page,
  full matches first.
- SQLite reads a text query's facets, filters and page from the side table's facet values (migration
  0010): every facet, the total and every page must equal the ORM's over the listing table, for
  listings with several IP and transaction types, no TRL, no price, one bound only, anonymous, from
  another exchange; the migration's fill must write what indexing writes; a listing unpublished or
  deleted behind the index's back must count nowhere.
"""

import importlib

import pytest
from django.db import connection

from listings.lifecycle import ListingState
from listings.models import IPType, Listing, TransactionType
from listings.search import SearchQuery, database, database_sqlite
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


#: Text queries over the catalogue plus ``edge_cases``: the side table's path, each filter kind and
#: their combinations; codes in another case, unknown codes, partial matches of 3 and 4 words.
EDGE_QUERIES = [
    {"q": "may"},
    {"q": "may loc nuoc"},
    {"q": "may loc nuoc nano"},
    {"q": "may", "ip_type": IPType.KNOW_HOW},
    {"q": "may", "ip_type": IPType.PATENT, "trl_min": 5},
    {"q": "may", "ip_type": "unknown"},
    {"q": "may", "transaction_type": "EQUIPMENT_WITH_TECHNOLOGY"},
    {"q": "may", "transaction_type": TransactionType.CONSULTING, "kind": "offer"},
    {"q": "may", "origin": "peer-x"},
    {"q": "may", "origin": "hcmc", "province": "79"},
    {"q": "may", "organization": "dhbk"},
    {"q": "may", "trl_min": 6, "trl_max": 8},
    {"q": "may", "trl_max": 2},
    {"q": "may", "price_max": 100_000_000},
    {"q": "may", "price_min": 5_000_000_000},
    {"q": "may", "price_band": "lt100m", "field": "2"},
    {"q": "may", "kind": "request", "organization": "dhbk"},
    {
        "q": "may loc",
        "field": "2.07",
        "transaction_type": TransactionType.ASSIGNMENT,
        "ip_type": IPType.PATENT,
    },
]


@pytest.fixture
def edge_cases(catalogue, corpus, orgs, places, fields):  # noqa: F811 - the imported fixture
    """Listings whose facet values test the packing: IP and transaction types in every packed column
    (the last digits included), no TRL, no price, a lone price bound on a band's edge, an anonymous
    request, a listing from another exchange."""
    items = {
        "e": corpus.add(
            title_vi="Máy in ba chiều",
            field=fields["eng"],
            trl=None,
            price_negotiable=True,
            transaction_types=[
                TransactionType.EQUIPMENT_WITH_TECHNOLOGY,
                TransactionType.CONSULTING,
                TransactionType.EXCLUSIVE_LICENSE,
            ],
            ip_types=[IPType.KNOW_HOW, IPType.SOFTWARE, IPType.PATENT, IPType.TRADE_SECRET],
            organization=orgs["vien"],
            province=places["hcm"],
        ),
        "g": corpus.add(
            title_vi="Máy lọc không khí",
            field=fields["env"],
            trl=1,
            price_max=100_000_000,
            transaction_types=[TransactionType.FRANCHISING, TransactionType.CONSULTING],
            ip_types=[IPType.LAYOUT_DESIGN],
            organization=orgs["bk"],
            province=places["cantho"],
            origin="peer-x",
        ),
        "anon": corpus.add(
            request=True,
            title_vi="Cần máy lọc nước nano giá rẻ",
            field=fields["env"],
            trl_wanted_min=7,
            price_min=5_000_000_000,
            transaction_types=[TransactionType.TECHNICAL_SERVICE],
            organization=orgs["bk"],
            anonymous=True,
        ),
    }
    corpus.sync()
    return {**catalogue, **items}


def _facets_equal_reference(db_backend, params):
    query = SearchQuery(facets=True, **params).normalized()
    text = db_backend.text_query(query_tokens(query.q))
    filters = db_backend._facet_filters(query)
    one_pass, total = db_backend._facets_one_pass(query, text, filters)
    assert _nonzero(one_pass) == _nonzero(db_backend._facets_per_query(query, text, filters))
    assert total == db_backend._count(query, text, filters)
    return one_pass, total


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the side table's facet values are SQLite's"
)


@sqlite_only
@pytest.mark.usefixtures("edge_cases")
@pytest.mark.parametrize("params", EDGE_QUERIES, ids=[repr(q) for q in EDGE_QUERIES])
def test_side_table_facets_equal_the_per_facet_aggregates(db_backend, params):
    _facets_equal_reference(db_backend, params)


@sqlite_only
def test_side_table_counts_every_packed_digit(db_backend, edge_cases):
    """The figures themselves, so the comparison cannot pass on two wrong answers alike."""
    facets, total = _facets_equal_reference(db_backend, {"q": "may"})
    counts = _nonzero(facets)
    assert total == 8
    assert counts["ip_type"] == {
        IPType.PATENT: 3,
        IPType.UTILITY_SOLUTION: 1,
        IPType.SOFTWARE: 1,
        IPType.TRADE_SECRET: 1,
        IPType.KNOW_HOW: 1,
        IPType.LAYOUT_DESIGN: 1,
    }
    assert counts["transaction_type"][TransactionType.EQUIPMENT_WITH_TECHNOLOGY] == 1
    assert counts["transaction_type"][TransactionType.CONSULTING] == 2
    assert counts["trl"] == {"1": 1, "3": 1, "5": 1, "7": 1, "9": 1}
    assert counts["origin"] == {"peer-x": 1, "hcmc": 7}
    # b (50 triệu), g (up to 100 triệu), r (up to 2 tỷ: from 0)
    assert counts["price_band"]["lt100m"] == 3
    # a (300-800 triệu), g (its bound 100 triệu is the band's low), r
    assert counts["price_band"]["100m-500m"] == 3
    assert counts["price_band"]["gt5b"] == 2  # c (from 6 tỷ), anon (from 5 tỷ: the band's low)


@sqlite_only
@pytest.mark.usefixtures("edge_cases")
@pytest.mark.parametrize("params", EDGE_QUERIES, ids=[repr(q) for q in EDGE_QUERIES])
def test_side_table_pages_equal_the_orm_filtered_pages(db_backend, params):
    """``_ranked_page_side_table`` (filters from the side table, the every-word expression scaled for
    the full tier) gives the ids and scores of ``_ranked_page`` over the ORM's filtered listings."""
    query = SearchQuery(**params).normalized()
    text = db_backend.text_query(query_tokens(query.q))
    qs = db_backend._filtered(query)
    for size, offset in [(100, 0), (1, 0), (2, 1), (3, 2), (2, 5)]:
        reference = db_backend._ranked_page(qs, text, size, offset)
        page = db_backend._ranked_page_side_table(query, text, size, offset)
        assert [i for i, _ in page] == [i for i, _ in reference]
        assert [s for _, s in page] == pytest.approx([s for _, s in reference], rel=1e-6)
    # Something to compare, but for an unknown code and dhbk's only request (anonymous: never its own).
    empty = params.get("ip_type") == "unknown" or (params.get("kind"), params.get("organization")) == (
        "request",
        "dhbk",
    )
    assert bool(db_backend._ranked_page_side_table(query, text, 100, 0)) is not empty


@pytest.mark.parametrize("n", range(1, 9))
def test_partial_expression_repeats_each_word_partial_repeats_times(db_backend, n):
    terms = [f'"w{i}"' for i in range(n)]
    expr = db_backend.d.partial(terms)
    assert all(expr.count(t) == database.partial_repeats(n) for t in terms)


def _side_rows(ids):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, {', '.join(database.FACET_COLUMNS)} FROM {database.TABLE}{database.BOOST_SUFFIX} "  # noqa: S608
            f"WHERE rowid IN ({', '.join(['%s'] * len(ids))}) ORDER BY rowid",
            list(ids),
        )
        return cursor.fetchall()


@sqlite_only
def test_the_migration_fills_what_indexing_writes(db_backend, edge_cases):
    migration = importlib.import_module("listings.migrations.0010_search_facet_codes")
    assert [name for name, _, _ in migration.columns()] == list(database.FACET_COLUMNS)
    ids = sorted(listing.pk for name, listing in edge_cases.items() if name != "draft")
    indexed = _side_rows(ids)
    assert len(indexed) == len(ids) and all(row[1] for row in indexed)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {migration.TABLE} SET {', '.join(f'{c} = NULL' for c in database.FACET_COLUMNS)}"  # noqa: S608
        )
        cursor.execute(migration.fill_sql())
    assert _side_rows(ids) == indexed


@sqlite_only
def test_a_listing_unpublished_or_deleted_behind_the_index_counts_nowhere(db_backend, edge_cases):
    before, total = _facets_equal_reference(db_backend, {"q": "may"})
    Listing.objects.filter(pk=edge_cases["g"].pk).update(state=ListingState.UNPUBLISHED)  # no hook
    after, total_after = _facets_equal_reference(db_backend, {"q": "may"})
    assert total_after == total - 1 and "peer-x" not in _nonzero(after)["origin"]
    assert edge_cases["g"].pk not in [
        i
        for i, _ in db_backend._ranked_page_side_table(
            SearchQuery(q="may").normalized(), db_backend.text_query(["may"]), 100, 0
        )
    ]
    Listing.objects.filter(pk=edge_cases["e"].pk).delete()  # the index keeps an orphan
    gone, total_gone = _facets_equal_reference(db_backend, {"q": "may", "ip_type": IPType.KNOW_HOW})
    assert total_gone == 0 and IPType.KNOW_HOW not in _nonzero(gone)["ip_type"]


@sqlite_only
@pytest.mark.usefixtures("edge_cases")
def test_a_group_too_large_for_a_packed_digit_falls_back_to_the_listing_pass(db_backend, monkeypatch):
    monkeypatch.setattr(database_sqlite, "PACK_LIMIT", 1)  # read where the SQLite pass runs
    query = SearchQuery(q="may", facets=True).normalized()
    assert db_backend._facets_from_side_table(query, db_backend.text_query(["may"])) is None
    _facets_equal_reference(db_backend, {"q": "may"})


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
