"""The database search backend's PostgreSQL half: ``PostgresDialect`` and the statements of the cold
path (``PostgresPasses``, inherited by ``database.DatabaseBackend``).

On PostgreSQL the same design runs on a table of the same name holding a weighted ``tsvector`` of the
same folded columns (title A, keywords B, summary and organisation C, body and place D) with a GIN index,
ranked by ``ts_rank``; a vocabulary table with a trigram index adds typo tolerance (an unknown query word
also matches its closest indexed words). PostgreSQL's cold path has its own statements: every facet and
the total in one (``_facets_postgresql``), the relevance page scored before the join
(``_ranked_page_postgresql``), both over a covering partial index of the published listings (migration
0011).

Apart from ``database`` so that one vendor's SQL reads on its own; the design both databases share
(ranking, filters, the ORM paths) is described there.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Q, QuerySet

from listings.models import IPRight, Listing, TransactionType

from .base import FACETS, PRICE_BANDS, SearchQuery
from .database_common import (
    COMPLETENESS_BOOST,
    EXTRA_COLUMNS,
    PHRASE_BONUS,
    RECENCY_BOOST,
    RECENCY_SCALE_SECONDS,
    TABLE,
    TEXT_COLUMNS,
    _Text,
    facet_flags,
    page_over_tiers,
)
from .database_sqlite import SqliteDialect
from .text import SearchDocument, tokenize

#: PostgreSQL weight classes of the document columns and ``ts_rank``'s weights {D, C, B, A}.
PG_CLASSES = {"title": "A", "keywords": "B", "summary": "C", "org": "C", "body": "D", "place": "D"}
PG_RANK_WEIGHTS = "{0.1, 0.3, 0.6, 1.0}"
#: Typo tolerance: query words of at least this many letters that no listing contains get up to
#: ``PG_TYPO_ALTERNATIVES`` indexed words (of ``PG_VOCABULARY_MIN_LENGTH``+ letters) this similar (pg_trgm).
PG_TYPO_MIN_LENGTH = 5
PG_VOCABULARY_MIN_LENGTH = 3
PG_TYPO_SIMILARITY = 0.45
PG_TYPO_ALTERNATIVES = 3


class PostgresDialect(SqliteDialect):
    """PostgreSQL: a weighted ``tsvector`` ('simple' configuration over the folded text), GIN-indexed."""

    engine = "postgresql-tsvector"
    greatest = "greatest"
    WORDS = f"{TABLE}_words"

    AND, OR = " & ", " | "

    @staticmethod
    def quote(token: str) -> str:
        return f"'{token}'"  # tokens are [a-z0-9]+ (text.query_tokens), nothing to escape

    def phrase(self, tokens: Sequence[str]) -> str:
        return " <-> ".join(self.quote(t) for t in tokens)

    def title_prefix(self, tokens: Sequence[str]) -> str:
        return " & ".join([*(self.quote(t) for t in tokens[:-1]), f"{self.quote(tokens[-1])}:*"])

    @staticmethod
    def cond(table: str = TABLE) -> str:
        return f"{table}.doc @@ to_tsquery('simple', %s)"

    @staticmethod
    def title_cond(table: str = TABLE) -> str:
        return f"{table}.title_doc @@ to_tsquery('simple', %s)"

    @staticmethod
    def score(table: str = TABLE) -> tuple[str, int]:
        return f"ts_rank('{PG_RANK_WEIGHTS}', {table}.doc, to_tsquery('simple', %s))", 1

    @staticmethod
    def boost_from(table: str = TABLE) -> tuple[str, str]:
        """The boost columns are plain columns of the PostgreSQL table: no join."""
        return "", table

    @staticmethod
    def side_tables(name: str = TABLE) -> list[str]:
        return []

    @classmethod
    def ddl(cls, name: str = TABLE) -> list[str]:
        return [
            f"CREATE TABLE {name} (rowid bigint PRIMARY KEY, doc tsvector NOT NULL, "
            "title_doc tsvector NOT NULL, kind varchar(10) NOT NULL, stamp text NOT NULL, "
            "published_ts double precision NOT NULL, completeness double precision NOT NULL, "
            "sort_vi text NOT NULL, sort_en text NOT NULL)",
            f"CREATE INDEX {name}_doc ON {name} USING gin (doc)",
            f"CREATE INDEX {name}_title ON {name} USING gin (title_doc)",
            f"CREATE TABLE IF NOT EXISTS {cls.WORDS} (word text PRIMARY KEY)",
            f"CREATE INDEX IF NOT EXISTS {cls.WORDS}_trgm ON {cls.WORDS} USING gin (word gin_trgm_ops)",
        ]

    @staticmethod
    def drop(name: str) -> list[str]:
        return [f"DROP TABLE IF EXISTS {name}"]

    def insert(self, cursor, docs: Iterable[SearchDocument], table: str = TABLE) -> int:
        vector = " || ".join(f"setweight(to_tsvector('simple', %s), '{PG_CLASSES[c]}')" for c in TEXT_COLUMNS)
        sql = (
            f"INSERT INTO {table} (rowid, doc, title_doc, {', '.join(EXTRA_COLUMNS)}) "  # noqa: S608
            f"VALUES (%s, {vector}, to_tsvector('simple', %s), {', '.join(['%s'] * len(EXTRA_COLUMNS))})"
        )
        rows, words = [], set()
        for doc in docs:
            texts = [" ".join(tokenize(getattr(doc, c))) for c in TEXT_COLUMNS]
            words.update(w for text in texts for w in text.split() if len(w) >= PG_VOCABULARY_MIN_LENGTH)
            rows.append((doc.listing_id, *texts, texts[0], *(getattr(doc, c) for c in EXTRA_COLUMNS)))
        if rows:
            cursor.executemany(sql, rows)
        if words:
            cursor.execute(
                f"INSERT INTO {self.WORDS} (word) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",  # noqa: S608
                [sorted(words)],
            )
        return len(rows)

    def expand(self, tokens: Sequence[str]) -> dict[str, list[str]]:
        """For each query word of 5+ letters that no listing contains, its closest indexed words
        (trigram similarity), so 'wastewatr' still finds 'wastewater'. Shorter words - most Vietnamese
        syllables - stay exact, as on Elasticsearch ('nuoc' must not find 'nuoi')."""
        long = [t for t in tokens if len(t) >= PG_TYPO_MIN_LENGTH and not t.isdigit()]
        if not long:
            return {}
        out: dict[str, list[str]] = {}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT word FROM {self.WORDS} WHERE word = ANY(%s)", [long])  # noqa: S608
            known = {row[0] for row in cursor.fetchall()}
            for token in long:
                if token in known:
                    continue
                cursor.execute(
                    f"SELECT word FROM {self.WORDS} WHERE word %% %s AND similarity(word, %s) >= %s "  # noqa: S608
                    "ORDER BY similarity(word, %s) DESC, word LIMIT %s",
                    [token, token, PG_TYPO_SIMILARITY, token, PG_TYPO_ALTERNATIVES],
                )
                alternatives = [row[0] for row in cursor.fetchall()]
                if alternatives:
                    out[token] = alternatives
        return out


class PostgresPasses:
    """The PostgreSQL-only statements of ``database.DatabaseBackend``, a mixin (they use its ``d``,
    ``_published``, ``_matching``): the relevance page and every facet with the total."""

    def _ranked_page_postgresql(self, qs: QuerySet[Listing], text: _Text, limit: int, offset: int):
        """``_ranked_page`` on PostgreSQL: the same scores and order, in statements the planner runs well.

        ``EXPLAIN (ANALYZE, BUFFERS)`` of the shared statement (docs/search.md): for a two-word query the
        planner scored and sorted every *partial* match with its whole tsvector in the sort rows (an
        external merge sort on disk past ``work_mem``), then checked each against the full-match
        subquery; the phrase bonus was a second scan of the table (``rowid IN (… doc @@ phrase)``),
        once per parallel worker. Here a tier's rows are scored in a materialised CTE of (rowid, score)
        only, and joined to the filtered listings after, so the join and the sort
        for the page are over narrow rows, and the tier and the phrase are tested on the row's own
        ``doc`` (the same rows: a row is in ``rowid IN (SELECT rowid … WHERE doc @@ x)`` exactly when
        its doc matches x)."""
        d = self.d
        filtered_sql, filtered_params = qs.values("id").order_by().query.sql_with_params()
        score, _ = d.score("f")
        boost = (
            f"(1.0 + {COMPLETENESS_BOOST} * f.completeness + {RECENCY_BOOST} / "
            f"(1.0 + greatest(0.0, %s - f.published_ts) / {RECENCY_SCALE_SECONDS}.0))"
        )
        params: list = [text.match, time.time()]
        if len(text.tokens) > 1:
            phrase = f"(CASE WHEN f.doc @@ to_tsquery('simple', %s) THEN {PHRASE_BONUS} ELSE 1.0 END)"
            params.append(text.phrase)
        else:
            phrase = "1.0"

        def tier(cond: str) -> str:
            # The tier's rows are scored where they are read, in a CTE of (rowid, score) only, and only
            # those reach the join with the filtered listings and the sort. Scored after the join, each
            # row carried its tsvector into the join's hash table (which spilled to disk past
            # ``work_mem``): 54 -> 31 ms for 'sinh hoc' at 20,000 listings. The price: matches a
            # selective filter then drops are scored too ('hoc' in one province: 5 -> 20 ms), a case
            # far from the slowest. MATERIALIZED, not a subquery kept apart by ``OFFSET 0``: on stale
            # statistics (a bulk load before autovacuum's ANALYZE) the planner put the subquery on the
            # inner side of a nested loop and re-ran the text search once per listing - 33 s for one
            # page at 5,000 listings under `make load`; a CTE is computed once, whatever the plan.
            return (
                f"WITH c AS MATERIALIZED (SELECT f.rowid, {score} * {boost} * {phrase} AS score "  # noqa: S608
                f"FROM {TABLE} AS f WHERE {d.cond('f')}{cond}) SELECT c.rowid, c.score FROM c "
                f"WHERE c.rowid IN ({filtered_sql}) ORDER BY c.score DESC, c.rowid DESC LIMIT %s OFFSET %s"
            )

        full = " AND f.doc @@ to_tsquery('simple', %s)"
        base = [*params, text.match]
        with connection.cursor() as cursor:
            if len(text.tokens) == 1:  # every match is a full match
                cursor.execute(tier(""), [*base, *filtered_params, limit, offset])
                return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

            def read(cond: str):
                def rows(n: int, skip: int) -> list[tuple[int, float]]:
                    cursor.execute(tier(cond), [*base, text.full, *filtered_params, n, skip])
                    return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

                return rows

            def count_full() -> int:
                cursor.execute(
                    f"SELECT count(*) FROM {TABLE} AS f WHERE {d.cond('f')} AND f.rowid IN ({filtered_sql})",  # noqa: S608
                    [text.full, *filtered_params],
                )
                return int(cursor.fetchone()[0])

            return page_over_tiers(read(full), read(" AND NOT" + full[4:]), count_full, limit, offset)

    def _facets_postgresql(
        self, query: SearchQuery, text: _Text | None, filters: dict[str, Q]
    ) -> tuple[dict[str, list[tuple[object, int]]], int]:
        """Every facet's (value, count) pairs, and the total, in one statement (PostgreSQL).

        ``EXPLAIN (ANALYZE, BUFFERS)`` of the per-facet aggregates (docs/search.md): each of the ten
        statements of a cold search (eight facets and the total, counted twice) re-ran the tsquery match
        over the wide tsvector table and the hash join with the listing table, and the transaction types
        facet evaluated ``upper(transaction_types::text) LIKE`` nine times per matching row (three
        quarters of its time). Here the matching rows, with the narrow columns the facets group by and a
        0/1 flag per facet filter, are materialised once (``WITH m AS MATERIALIZED``); each facet counts
        the rows passing every flag but its own, all members of one ``UNION ALL``. Foreign keys are
        grouped by id first and joined to their (small) lookup tables after grouping; transaction types
        are grouped by the stored list and counted per code in Python. ``_facets_per_query`` stays the
        reference this pass is tested against (``test_database_postgresql.py``)."""
        from exchange.accounts.models import Organization
        from exchange.core.models import Province
        from listings.models import ScienceField

        qs = self._published()
        if query.kind:
            qs = qs.filter(kind=query.kind)
        qs = self._matching(qs, text).order_by()

        flags, bands = facet_flags(filters)
        columns = ["id", "field_id", "trl", "province_id", "organization_id", "anonymous", "origin"]
        columns.append("transaction_types")
        inner_sql, inner_params = (
            qs.annotate(**flags, **bands).values(*columns, *flags, *bands).query.sql_with_params()
        )

        def where(name: str | None, extra: str = "") -> str:
            conds = [f"m.f_{other} = 1" for other in filters if other != name]
            if extra:
                conds.append(extra)
            return f" WHERE {' AND '.join(conds)}" if conds else ""

        # Only fixed SQL fragments, table names from the models and generated column names below; every
        # value is a parameter.
        fields, provinces = ScienceField._meta.db_table, Province._meta.db_table
        orgs, ip_table = Organization._meta.db_table, IPRight._meta.db_table
        band_codes = [band.code for band in PRICE_BANDS]
        parts = [
            f"SELECT 'field', coalesce(p.code, f.code), sum(g.n) FROM (SELECT m.field_id, count(*) AS n "  # noqa: S608
            f"FROM m{where('field')} GROUP BY m.field_id) AS g JOIN {fields} AS f ON f.id = g.field_id "
            f"LEFT JOIN {fields} AS p ON p.id = f.parent_id GROUP BY 2",
            f"SELECT 'trl', m.trl::text, count(*) FROM m{where('trl', 'm.trl IS NOT NULL')} GROUP BY m.trl",  # noqa: S608
            f"SELECT 'ip_type', ip.type, count(DISTINCT ip.listing_id) FROM m JOIN {ip_table} AS ip "  # noqa: S608
            f"ON ip.listing_id = m.id{where('ip_type')} GROUP BY ip.type",
            f"SELECT 'transaction_type', m.transaction_types::text, count(*) FROM m"  # noqa: S608
            f"{where('transaction_type')} GROUP BY m.transaction_types",
            f"SELECT 'province', pr.code, sum(g.n) FROM (SELECT m.province_id, count(*) AS n FROM m"  # noqa: S608
            f"{where('province', 'm.province_id IS NOT NULL')} GROUP BY m.province_id) AS g "
            f"JOIN {provinces} AS pr ON pr.id = g.province_id GROUP BY pr.code",
            f"SELECT 'organization', o.ref, sum(g.n) FROM (SELECT m.organization_id, count(*) AS n FROM m"  # noqa: S608
            f"{where('organization', 'NOT m.anonymous')} GROUP BY m.organization_id) AS g "
            f"JOIN {orgs} AS o ON o.id = g.organization_id GROUP BY o.ref",
            f"SELECT 'origin', m.origin, count(*) FROM m{where('origin')} GROUP BY m.origin",  # noqa: S608
            # Every band in one aggregate over m, then one row per band (a lateral unnest per row was
            # slower than all the other facets together).
            f"SELECT 'price_band', b.code, b.n FROM (SELECT {', '.join(f'sum(m.{p}) AS {p}' for p in bands)} "  # noqa: S608
            f"FROM m{where('price_band')}) AS s CROSS JOIN LATERAL unnest(%s::text[], "
            f"ARRAY[{', '.join(f's.{p}' for p in bands)}]) AS b(code, n) WHERE b.n > 0",
            f"SELECT 'total', NULL, count(*) FROM m{where(None)}",  # noqa: S608
        ]
        sql = f"WITH m AS MATERIALIZED ({inner_sql}) " + " UNION ALL ".join(parts)  # noqa: S608
        rows: dict[str, list[tuple]] = {name: [] for name in (*FACETS, "total")}
        with connection.cursor() as cursor:
            cursor.execute(sql, [*inner_params, band_codes])
            for name, value, n in cursor.fetchall():
                rows[name].append((value, int(n)))

        # ``transaction_types__icontains='"code"'`` on PostgreSQL: UPPER(jsonb::text) LIKE UPPER('%"code"%').
        tx_counts = dict.fromkeys(TransactionType.values, 0)
        for stored, n in rows["transaction_type"]:
            folded = str(stored or "").upper()
            for code in tx_counts:
                if f'"{code}"'.upper() in folded:
                    tx_counts[code] += n
        band_counts = dict.fromkeys(band_codes, 0)
        band_counts.update(rows["price_band"])
        counts = {name: rows[name] for name in FACETS}
        counts["trl"] = [(int(v), n) for v, n in rows["trl"]]
        counts["transaction_type"] = list(tx_counts.items())
        counts["price_band"] = list(band_counts.items())
        total = rows["total"][0][1] if rows["total"] else 0
        return counts, total
