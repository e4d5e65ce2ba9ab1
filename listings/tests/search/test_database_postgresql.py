"""PostgreSQL's fast paths of the database backend give the answers of the plain ones.

- The one-statement facet pass (``DatabaseBackend._facets_postgresql``) must give every facet the counts
  of one ORM aggregate per facet (``_facets_per_query``) and the total of ``_count``, for the queries
  SQLite's one pass is checked with.
- The relevance page (``_ranked_page_postgresql``: tiers scored in a materialised CTE, tier and phrase
  tested on the row's own tsvector) must give the ids and scores of one plain statement ordering every
  match by (full match, score).

Run with ``make test-postgresql`` (``scripts/pg-test.sh``); skipped on SQLite.
"""

import time

import pytest
from django.db import connection

from listings.search import SearchQuery
from listings.search.database import (
    COMPLETENESS_BOOST,
    PG_RANK_WEIGHTS,
    PHRASE_BONUS,
    RECENCY_BOOST,
    RECENCY_SCALE_SECONDS,
    TABLE,
)
from listings.search.text import query_tokens
from listings.tests.search.test_contract import catalogue  # noqa: F401 - the fixture, six known listings
from listings.tests.search.test_database_passes import QUERIES, _nonzero, tiers  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own statements"),
]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("params", QUERIES, ids=[repr(q) for q in QUERIES])
def test_one_statement_facets_equal_the_per_facet_aggregates(db_backend, params):
    query = SearchQuery(facets=True, **params).normalized()
    text = db_backend.text_query(query_tokens(query.q))
    filters = db_backend._facet_filters(query)
    one_pass, total = db_backend._facets_postgresql(query, text, filters)
    reference = db_backend._facets_per_query(query, text, filters)
    assert _nonzero(one_pass) == _nonzero(reference)
    assert total == db_backend._count(query, text, filters)
    if not params:  # the catalogue's own figures, so the comparison cannot pass on two empty answers
        assert total == db_backend._published().count() > 0
        assert sum(n for _, n in one_pass["trl"]) > 0
        assert any(n for _, n in one_pass["transaction_type"])
        assert any(n for _, n in one_pass["price_band"])


def _reference_page(db_backend, q: str, now: float) -> list[tuple[int, float]]:
    """Every match in one plain statement: full matches first, then by score (the shared SQL's
    formula, written out here on its own)."""
    text = db_backend.text_query(query_tokens(q))
    bonus = PHRASE_BONUS if len(text.tokens) > 1 else 1.0  # one word: no phrase bonus
    filtered_sql, filtered_params = db_backend._published().values("id").order_by().query.sql_with_params()
    sql = (
        f"SELECT rowid, ts_rank('{PG_RANK_WEIGHTS}', doc, to_tsquery('simple', %s)) "  # noqa: S608
        f"* (1.0 + {COMPLETENESS_BOOST} * completeness + {RECENCY_BOOST} / "
        f"(1.0 + greatest(0.0, %s - published_ts) / {RECENCY_SCALE_SECONDS}.0)) "
        f"* (CASE WHEN rowid IN (SELECT rowid FROM {TABLE} WHERE doc @@ to_tsquery('simple', %s)) "
        f"THEN {bonus} ELSE 1.0 END) AS score, "
        f"rowid IN (SELECT rowid FROM {TABLE} WHERE doc @@ to_tsquery('simple', %s)) AS is_full "
        f"FROM {TABLE} WHERE doc @@ to_tsquery('simple', %s) AND rowid IN ({filtered_sql}) "
        "ORDER BY is_full DESC, score DESC, rowid DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [text.match, now, text.phrase, text.full, text.match, *filtered_params])
        return [(int(r[0]), float(r[1])) for r in cursor.fetchall()]


@pytest.mark.usefixtures("tiers")
@pytest.mark.parametrize("q", ["may loc nuoc", "nuoc", "loc nuoc", "may"])
def test_ranked_page_equals_one_plain_statement(db_backend, q):
    reference = _reference_page(db_backend, q, time.time())
    assert len(reference) >= 5  # the tiers fixture: the comparison is over real matches
    text = db_backend.text_query(query_tokens(q))
    for size, offset in [(100, 0), (3, 0), (3, 3), (2, 4), (4, 5)]:
        page = db_backend._ranked_page(db_backend._published(), text, size, offset)
        want = reference[offset : offset + size]
        assert [i for i, _ in page] == [i for i, _ in want]
        for (_, got), (_, expected) in zip(page, want, strict=True):
            assert got == pytest.approx(expected, rel=1e-6)  # recency moves with the clock, barely


def _scans_of(plan: dict, table: str) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == table else []
    for child in plan.get("Plans", []):
        found += _scans_of(child, table)
    return found


def _node_types(plan: dict) -> set[str]:
    return {plan["Node Type"]}.union(*(_node_types(c) for c in plan.get("Plans", [])))


@pytest.mark.usefixtures("tiers")
@pytest.mark.parametrize("q", ["may loc nuoc", "nuoc"])
def test_ranked_page_reads_the_index_once_whatever_the_join(db_backend, q):
    """On stale statistics (a bulk load before autovacuum's ANALYZE) the planner chose a nested loop
    with the scored tier on its inner side and re-ran the text search once per listing: 33 s for one
    page at 5,000 listings under `make load`. Forcing that join here, each statement must still read
    the search table once (the tier is a materialised CTE)."""
    from django.test.utils import CaptureQueriesContext

    text = db_backend.text_query(query_tokens(q))
    with CaptureQueriesContext(connection) as captured:
        assert db_backend._ranked_page_postgresql(db_backend._published(), text, 3, 2)
    statements = [c["sql"] for c in captured.captured_queries if TABLE in c["sql"]]
    assert statements
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        for sql in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0][0]["Plan"]
            assert "Nested Loop" in _node_types(plan)  # the join shape that went wrong is the one run
            scans = _scans_of(plan, TABLE)
            assert scans
            assert all(scan["Actual Loops"] == 1 for scan in scans), sql
