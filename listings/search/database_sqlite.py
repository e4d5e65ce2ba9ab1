"""The database search backend's SQLite half: FTS5 (``SqliteDialect``), the side table beside it and
the SQLite-only passes that read it (``SqlitePasses``, inherited by ``database.DatabaseBackend``).

On SQLite the boosts' inputs and each document's facet values live in a narrow rowid side table (FTS5
UNINDEXED columns are slow to read; migration 0010), so a text query's facets, filters and page read one
narrow row per match and no listing row (see ``_facets_from_side_table``, ``_ranked_page_side_table``);
the live published state is still checked against the listing table.

Apart from ``database`` so that one vendor's SQL reads on its own; the design both databases share
(ranking, filters, the ORM paths) is described there. ``PostgresDialect`` extends ``SqliteDialect``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connection
from django.db.models import Q

from listings.lifecycle import ListingState
from listings.models import IPRight, IPType, Listing, ScienceField, TransactionType

from .base import FACETS, PRICE_BANDS, SearchQuery
from .database_common import (
    COMPLETENESS_BOOST,
    EXTRA_COLUMNS,
    MAX_COMBINATIONS,
    PHRASE_BONUS,
    RECENCY_BOOST,
    RECENCY_SCALE_SECONDS,
    TABLE,
    TEXT_COLUMNS,
    _chunks,
    _Text,
    facet_flags,
)
from .text import FIELD_WEIGHTS, SearchDocument

#: SQLite: the ranking boosts' inputs in a narrow rowid table beside the FTS table. Reading an FTS5
#: UNINDEXED column costs a lookup in the FTS content table per match (~45 ms per column at 20,000
#: matches, docs/benchmarks.md); a rowid lookup here is a fraction of it.
BOOST_SUFFIX = "_boost"
BOOST_COLUMNS = ("published_ts", "completeness")
#: SQLite: the covering index of migration 0008 holds every column the facet pass reads; named in the
#: query because the planner otherwise looks matches up by primary key in the wide listing rows.
FACETS_INDEX = "listings_listing_search_facets"
#: SQLite (migration 0010): a partial index of the published listings' ids. The facet pass and the
#: relevance page check every match against the live listing state (a listing unpublished behind the
#: index's back never counts); a lookup in this small index is a fraction of one in the wide rows.
PUBLISHED_INDEX = "listings_listing_search_published"

#: SQLite (migration 0010): each document's facet values in the boost side table, so the facet pass reads
#: one narrow rowid row per match - no listing row, no JSON, no IP-right rows. Small fixed domains (TRL,
#: transaction types, IP types, price bands) are stored packed: value or bit ``i`` is a 21-bit digit of a
#: 63-bit integer (three per column), so a plain ``SUM`` per column counts three values at once with no
#: sort; only the open domains (science field, province, origin, organisation) are grouped. The digit of
#: a transaction or IP type is its position in the enum: reordering an enum needs ``search_reindex``.
PACK_BITS = 21
PACK_DIGITS = 3
#: A group of the facet pass may hold at most this many rows (a digit would carry into the next one);
#: past it the pass reads the listing table instead.
PACK_LIMIT = (1 << PACK_BITS) - 1
TRL_VALUES = tuple(range(1, 10))
TX_CODES = tuple(TransactionType.values)
IP_CODES = tuple(IPType.values)


def _packed(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}_{chr(ord('a') + j)}" for j in range(math.ceil(count / PACK_DIGITS)))


PACKED = {
    "trl": _packed("trl", len(TRL_VALUES)),
    "transaction_type": _packed("tx", len(TX_CODES)),
    "ip_type": _packed("ip", len(IP_CODES)),
    "price_band": _packed("band", len(PRICE_BANDS)),
}
#: Column types of the side table's facet values (the rest are INTEGER).
FACET_TYPES = {"kind": "TEXT", "origin": "TEXT"}
FACET_COLUMNS = (
    "kind",
    "origin",
    "field_id",
    "top_field_id",
    "province_id",
    "org_id",
    "trl",
    "trl_wanted_min",
    "trl_wanted_max",
    "price_min",
    "price_max",
    *(column for columns in PACKED.values() for column in columns),
)


def _digit(i: int) -> tuple[int, int]:
    """(column, shift) of the ``i``-th value of a packed domain."""
    return i // PACK_DIGITS, PACK_BITS * (i % PACK_DIGITS)


def _band_sql(band, min_col: str, max_col: str) -> str:
    """``price_overlaps(band.low, band.high - 1)`` on two columns (the bounds are code constants)."""
    cond = f"({min_col} IS NOT NULL OR {max_col} IS NOT NULL)"
    if band.low is not None:
        cond += f" AND ({max_col} IS NULL OR {max_col} >= {int(band.low)})"
    if band.high is not None:
        cond += f" AND ({min_col} IS NULL OR {min_col} <= {int(band.high) - 1})"
    return cond


def facet_values_sql() -> list[str]:
    """The ``FACET_COLUMNS`` of a document as SQL over ``listings_listing AS l`` left-joined to its
    ``listings_sciencefield AS sf``: the same tests as the ORM filters (``transaction_types__icontains
    '"code"'`` is SQLite's ASCII-folding ``LIKE``, here ``instr(lower(...))``; an organisation is
    counted and filtered on only when the listing is not anonymous). Migration 0010 holds a copy, tested
    to fill the same values."""

    def packed(values: Sequence, term) -> list[str]:
        columns: list[list[str]] = [[] for _ in range(math.ceil(len(values) / PACK_DIGITS))]
        for i, value in enumerate(values):
            column, shift = _digit(i)
            columns[column].append(term(value, 1 << shift))
        return columns

    trl = [
        "CASE l.trl " + " ".join(f"WHEN {v} THEN {bit}" for v, bit in terms) + " ELSE 0 END"
        for terms in packed(TRL_VALUES, lambda v, bit: (v, bit))
    ]
    tx = [
        " + ".join(
            f"coalesce(instr(lower(l.transaction_types), '\"{code}\"') > 0, 0) * {bit}" for code, bit in terms
        )
        for terms in packed(TX_CODES, lambda code, bit: (code, bit))
    ]
    ip = [
        "coalesce((SELECT sum(DISTINCT CASE ip.type "  # noqa: S608 - code constants only
        + " ".join(f"WHEN '{code}' THEN {bit}" for code, bit in terms)
        + f" END) FROM {IPRight._meta.db_table} AS ip WHERE ip.listing_id = l.id), 0)"
        for terms in packed(IP_CODES, lambda code, bit: (code, bit))
    ]
    bands = [
        " + ".join(
            f"(CASE WHEN {_band_sql(band, 'l.price_min', 'l.price_max')} THEN {bit} ELSE 0 END)"
            for band, bit in terms
        )
        for terms in packed(PRICE_BANDS, lambda band, bit: (band, bit))
    ]
    return [
        "l.kind",
        "l.origin",
        "l.field_id",
        "coalesce(sf.parent_id, sf.id)",
        "l.province_id",
        "CASE WHEN l.anonymous THEN NULL ELSE l.organization_id END",
        "l.trl",
        "l.trl_wanted_min",
        "l.trl_wanted_max",
        "l.price_min",
        "l.price_max",
        *trl,
        *tx,
        *ip,
        *bands,
    ]


def table_ddl(name: str = TABLE) -> str:
    """The FTS5 table; ``rowid`` is the listing id. Folded text in, so ``unicode61`` only splits."""
    columns = ", ".join([*TEXT_COLUMNS, *(f"{c} UNINDEXED" for c in EXTRA_COLUMNS)])
    return (
        f"CREATE VIRTUAL TABLE {name} USING fts5({columns}, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )


class SqliteDialect:
    """SQLite FTS5: match expressions, the matching-ids subquery, scoring and suggestions."""

    engine = "sqlite-fts5"
    greatest = "max"

    AND, OR = " AND ", " OR "

    @staticmethod
    def quote(token: str) -> str:
        return f'"{token}"'

    def term(self, token: str, alternatives: Sequence[str] = ()) -> str:
        """One query word, or any of its typo alternatives."""
        if not alternatives:
            return self.quote(token)
        return "(" + self.OR.join(self.quote(t) for t in (token, *alternatives)) + ")"

    def all(self, terms: Sequence[str]) -> str:
        return self.AND.join(terms)

    def partial(self, terms: Sequence[str]) -> str:
        """Rows with at least ceil(n/2) of the n terms (any of them when the combinations get too many)."""
        need = max(1, math.ceil(len(terms) / 2))
        if need == 1 or math.comb(len(terms), need) > MAX_COMBINATIONS:
            return self.OR.join(terms)
        return self.OR.join(f"({self.all(group)})" for group in itertools.combinations(terms, need))

    def phrase(self, tokens: Sequence[str]) -> str:
        return self.quote(" ".join(tokens))

    def title_prefix(self, tokens: Sequence[str]) -> str:
        parts = [self.quote(t) for t in tokens[:-1]] + [f"{self.quote(tokens[-1])}*"]
        return "{title} : (" + " AND ".join(parts) + ")"

    @staticmethod
    def cond(table: str = TABLE) -> str:
        """The WHERE condition of rows matching one ``%s`` expression."""
        return f"{table} MATCH %s"

    @staticmethod
    def title_cond(table: str = TABLE) -> str:
        return f"{table} MATCH %s"

    @staticmethod
    def score(table: str = TABLE) -> tuple[str, int]:
        """The relevance of a matching row (higher is better) and how many ``%s`` it takes."""
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS.values())
        return f"-bm25({table}, {weights})", 0

    @staticmethod
    def boost_from(table: str = TABLE) -> tuple[str, str]:
        """The join that brings the boost columns and the table alias to read them from. SQLite: the
        narrow side table, ``CROSS JOIN`` so the FTS match drives the query (a plain join can make
        SQLite re-run the MATCH per side-table row)."""
        return f" CROSS JOIN {table}{BOOST_SUFFIX} AS boost ON boost.rowid = {table}.rowid", "boost"

    @staticmethod
    def ddl(name: str = TABLE) -> list[str]:
        return [
            table_ddl(name),
            f"CREATE TABLE {name}{BOOST_SUFFIX} (rowid INTEGER PRIMARY KEY, "
            "published_ts REAL NOT NULL, completeness REAL NOT NULL, "
            + ", ".join(f"{column} {FACET_TYPES.get(column, 'INTEGER')}" for column in FACET_COLUMNS)
            + ")",
        ]

    @staticmethod
    def drop(name: str) -> list[str]:
        return [f"DROP TABLE IF EXISTS {name}", f"DROP TABLE IF EXISTS {name}{BOOST_SUFFIX}"]

    @staticmethod
    def side_tables(name: str = TABLE) -> list[str]:
        """Tables kept row for row with the search table (same rowids), deleted and renamed with it."""
        return [f"{name}{BOOST_SUFFIX}"]

    def insert(self, cursor, docs: Iterable[SearchDocument], table: str = TABLE) -> int:
        docs = list(docs)
        if docs:
            # The facet values straight from the listing row, in the caller's transaction (the one the
            # documents were read in): one SQL definition, ``facet_values_sql``, also used by 0010.
            cursor.executemany(
                f"INSERT INTO {table}{BOOST_SUFFIX} (rowid, {', '.join(BOOST_COLUMNS)}, "  # noqa: S608
                f"{', '.join(FACET_COLUMNS)}) SELECT l.id, %s, %s, {', '.join(facet_values_sql())} "
                f"FROM {Listing._meta.db_table} AS l LEFT JOIN {ScienceField._meta.db_table} AS sf "
                "ON sf.id = l.field_id WHERE l.id = %s",
                [(*(getattr(doc, c) for c in BOOST_COLUMNS), doc.listing_id) for doc in docs],
            )
        columns = ["rowid", *TEXT_COLUMNS, *EXTRA_COLUMNS]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        rows = [
            (
                doc.listing_id,
                *(getattr(doc, c) for c in TEXT_COLUMNS),
                *(getattr(doc, c) for c in EXTRA_COLUMNS),
            )
            for doc in docs
        ]
        if rows:
            cursor.executemany(sql, rows)
        return len(rows)

    def expand(self, tokens: Sequence[str]) -> dict[str, list[str]]:
        """Typo alternatives per token: none on SQLite (the embedded tier is exact after folding)."""
        return {}


def partial_repeats(n: int) -> int:
    """How many times ``SqliteDialect.partial`` of ``n`` words holds each word: once in the plain OR,
    C(n-1, need-1) times in the OR of every combination of ``need`` = ceil(n/2) words."""
    need = max(1, math.ceil(n / 2))
    if need == 1 or math.comb(n, need) > MAX_COMBINATIONS:
        return 1
    return math.comb(n - 1, need - 1)


_INDEXES: dict[tuple[str, str], bool] = {}


def _has_index(name: str) -> bool:
    """Whether the SQLite database has index ``name`` (looked up once per process and database): a
    hint naming a missing index is an error, and a later migration that rebuilds ``listings_listing``
    drops the indexes it does not know."""
    key = (str(connection.settings_dict.get("NAME")), name)
    if key not in _INDEXES:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
            _INDEXES[key] = cursor.fetchone() is not None
    return _INDEXES[key]


class SqlitePasses:
    """The SQLite-only passes of ``database.DatabaseBackend``, a mixin (they use its ``d``,
    ``_published``, ``_matching``): the relevance page and every facet from the side table."""

    def _ranked_page_side_table(self, query: SearchQuery, text: _Text, limit: int, offset: int):
        """SQLite: ``_ranked_page`` with the filters read from the side table's facet values (the row the
        boosts come from anyway) and the live state checked by ``_live_join``, instead of the ORM's list
        of every published listing passing the filters, built per query.

        The full matches are read with the every-word expression itself rather than the partial one
        restricted to them: FTS5's ``bm25`` sums over the expression's phrases, and the partial
        expression holds each word ``partial_repeats`` times (every combination of ceil(n/2) words),
        so its score of a full match is exactly that many times the every-word one. Scaling by it keeps
        the scores and order of the single ``ORDER BY is_full DESC, score DESC`` query."""
        d = self.d
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS.values())
        boost = (
            f"(1.0 + {COMPLETENESS_BOOST} * s.completeness + {RECENCY_BOOST} / "
            f"(1.0 + max(0.0, %s - s.published_ts) / {RECENCY_SCALE_SECONDS}.0))"
        )
        where, where_params = [d.cond()], []
        if query.kind:
            where.append("s.kind = %s")
            where_params.append(query.kind)
        for cond, cond_params in self._side_filters(query).values():
            where.append(cond)
            where_params += cond_params
        if len(text.tokens) > 1:
            phrase = (
                f"(CASE WHEN +{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {d.cond()}) "  # noqa: S608
                f"THEN {PHRASE_BONUS} ELSE 1.0 END)"
            )
            phrase_params = [text.phrase]
        else:
            phrase, phrase_params = "1.0", []
        source = (
            f"FROM {TABLE} CROSS JOIN {TABLE}{BOOST_SUFFIX} AS s ON s.rowid = {TABLE}.rowid"
            f"{self._live_join()} WHERE {' AND '.join(where)}"
        )
        order = f" ORDER BY score DESC, {TABLE}.rowid DESC LIMIT %s OFFSET %s"

        def tier(match: str, factor: int, extra: str = "", extra_params: Sequence = (), n=limit, skip=offset):
            sql = (
                f"SELECT {TABLE}.rowid, {factor} * -bm25({TABLE}, {weights}) * {boost} * {phrase} AS score "  # noqa: S608
                f"{source}{extra}{order}"
            )
            cursor.execute(sql, [time.time(), *phrase_params, match, *where_params, *extra_params, n, skip])
            return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

        with connection.cursor() as cursor:
            if len(text.tokens) == 1:  # every match is a full match
                return tier(text.match, 1)
            page = tier(text.full, partial_repeats(len(text.tokens)))
            if len(page) == limit:
                return page
            if page:
                fulls = offset + len(page)
            else:  # the page starts past the full matches: how many there are
                cursor.execute(f"SELECT count(*) {source}", [text.full, *where_params])  # noqa: S608
                fulls = int(cursor.fetchone()[0])
            not_full = f" AND NOT +{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {d.cond()})"  # noqa: S608
            rest = tier(text.match, 1, not_full, [text.full], limit - len(page), max(0, offset - fulls))
            return page + rest

    def _facets_one_pass(
        self, query: SearchQuery, text: _Text | None, filters: dict[str, Q]
    ) -> tuple[dict[str, list[tuple[object, int]]], int]:
        """Every facet's (value, count) pairs and the total (SQLite): from the side table's facet values
        of the text matches (``_facets_from_side_table``), or without words from the listing table
        (``_facets_from_listings``: every published listing counts, indexed or not)."""
        if text is not None:
            found = self._facets_from_side_table(query, text)
            if found is not None:
                return found
        return self._facets_from_listings(query, text, filters)

    @staticmethod
    def _side_filters(query: SearchQuery, alias: str = "s") -> dict[str, tuple[str, list]]:
        """SQLite: ``_facet_filters`` as SQL over the side table's facet values (``FACET_COLUMNS``,
        table alias ``alias``): the same facet names and the same tests, read from the narrow row. Codes
        are looked up by a one-off subquery on the small lookup table; an unknown code matches nothing."""
        from exchange.accounts.models import Organization
        from exchange.core.models import Province

        c = f"{alias}."
        out: dict[str, tuple[str, list]] = {}
        if query.field:
            fields = ScienceField._meta.db_table
            out["field"] = (
                f"{c}field_id IN (SELECT id FROM {fields} WHERE code = %s "  # noqa: S608
                f"OR parent_id IN (SELECT id FROM {fields} WHERE code = %s))",
                [query.field, query.field],
            )
        if query.trl_min is not None or query.trl_max is not None:
            low = query.trl_min if query.trl_min is not None else 1
            high = query.trl_max if query.trl_max is not None else 9
            out["trl"] = (
                f"(({c}trl >= %s AND {c}trl <= %s) OR ({c}trl IS NULL "
                f"AND ({c}trl_wanted_min IS NOT NULL OR {c}trl_wanted_max IS NOT NULL) "
                f"AND ({c}trl_wanted_min IS NULL OR {c}trl_wanted_min <= %s) "
                f"AND ({c}trl_wanted_max IS NULL OR {c}trl_wanted_max >= %s)))",
                [low, high, high, low],
            )

        def bit(name: str, codes: Sequence[str], code: str) -> tuple[str, list]:
            if code not in codes:
                return "0", []
            column, shift = _digit(codes.index(code))
            return f"(({c}{PACKED[name][column]} >> {shift}) & 1) = 1", []

        if query.ip_type:
            out["ip_type"] = bit("ip_type", IP_CODES, query.ip_type)
        if query.transaction_type:  # the ORM's icontains: any case
            lowered = [code.lower() for code in TX_CODES]
            out["transaction_type"] = bit("transaction_type", lowered, query.transaction_type.lower())
        if query.province:
            out["province"] = (
                f"{c}province_id IN (SELECT id FROM {Province._meta.db_table} WHERE code = %s)",  # noqa: S608
                [query.province],
            )
        if query.organization:
            out["organization"] = (
                f"{c}org_id IN (SELECT id FROM {Organization._meta.db_table} WHERE ref = %s)",  # noqa: S608
                [query.organization],
            )
        if query.origin:
            out["origin"] = (f"{c}origin = %s", [query.origin])
        if query.price_min is not None or query.price_max is not None:
            cond, params = f"({c}price_min IS NOT NULL OR {c}price_max IS NOT NULL)", []
            if query.price_min is not None:
                cond += f" AND ({c}price_max IS NULL OR {c}price_max >= %s)"
                params.append(query.price_min)
            if query.price_max is not None:
                cond += f" AND ({c}price_min IS NULL OR {c}price_min <= %s)"
                params.append(query.price_max)
            out["price_band"] = (f"({cond})", params)
        return out

    @staticmethod
    def _live_join(match_table: str = TABLE) -> str:
        """SQLite: the join that keeps only matches whose listing is published now - or nothing when
        every indexed document's listing is published now.

        That is one cheap check per statement (the published-ids index, ``PUBLISHED_INDEX``, read in
        id order against the side table's rowids: ~2 ms at 20,000, whatever the query), where the join
        is a lookup per match (~8 ms at 20,000 matches). ``|indexed ∩ published| = |indexed|`` holds
        exactly when no indexed document is unpublished or deleted, so the answer is the same; after
        a change behind the index's back (until the reconcile repairs it) the join runs. The literal
        state lets SQLite prove the partial index applies; without the index (a later migration that
        rebuilt ``listings_listing`` drops it) the join reads the listing rows."""
        listing = Listing._meta.db_table
        hint = f" INDEXED BY {PUBLISHED_INDEX}" if _has_index(PUBLISHED_INDEX) else ""
        published = f"l.state = '{ListingState.PUBLISHED}'"
        side = f"{TABLE}{BOOST_SUFFIX}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT count(*) FROM {side}), (SELECT count(*) FROM {listing} AS l{hint} "  # noqa: S608
                f"CROSS JOIN {side} AS s ON s.rowid = l.id WHERE {published})"
            )
            indexed, live = cursor.fetchone()
        if indexed == live:
            return ""
        return f" CROSS JOIN {listing} AS l{hint} ON l.id = {match_table}.rowid AND {published}"

    def _facets_from_side_table(
        self, query: SearchQuery, text: _Text
    ) -> tuple[dict[str, list[tuple[object, int]]], int] | None:
        """Every facet and the total of a text query from the side table (SQLite), in one statement;
        None when a group would overflow a packed digit (then the listing pass runs).

        The matches are the FTS match joined to the side table by rowid (plus the live-state join only
        when some indexed document is no longer published, ``_live_join``), restricted to the kind.
        - TRL, transaction types, IP types, price bands, the total and the own exchange's origin: plain
          sums of the packed columns straight over the matches, no sort - one sum row over the matches
          passing every filter, one more per such facet with a filter of its own, over the matches
          passing the others.
        - Science field (top-level) with province, and organisation: two GROUP BYs over the matches
          materialised once with those narrow values and one 0/1 flag per filter in the key; each
          facet adds up, in Python, the groups passing every filter but its own (the facet's own
          selection leaves its other values visible).
        - Listings of other exchanges by origin: a small statement, run only when there are some.
        Ids are mapped to codes afterwards from the small lookup tables."""
        from exchange.accounts.models import Organization
        from exchange.core.models import Province

        side = self._side_filters(query)
        names = list(side)
        packed = [column for columns in PACKED.values() for column in columns]
        where, where_params = [self.d.cond()], [text.match]
        if query.kind:
            where.append("s.kind = %s")
            where_params.append(query.kind)
        source = (
            f"FROM {TABLE} CROSS JOIN {TABLE}{BOOST_SUFFIX} AS s ON s.rowid = {TABLE}.rowid"
            f"{self._live_join()} WHERE {' AND '.join(where)}"
        )
        own_origin = str(getattr(settings, "EXCHANGE_ORIGIN", "") or "")
        summed = (*PACKED, "origin")
        no_flags = ", NULL" * len(names)

        # Sums straight from the matches, with no GROUP BY (a sort would carry every packed column) and
        # not through ``m`` (writing the wide packed columns there costs more than one more scan): one
        # over the matches passing every filter (the total, the packed facets and the own exchange's
        # origin without a filter of their own), one per such facet with a filter, over the matches
        # passing the others.
        members, params = [], []

        def sums(key: int, skip: str | None) -> None:
            conds = [side[n] for n in names if n != skip]
            members.append(
                f"SELECT 2, {key}, NULL{no_flags}, count(*), {', '.join(f'sum(s.{p})' for p in packed)}, "
                f"sum(s.origin = %s) {source}{''.join(f' AND {c}' for c, _ in conds)}"
            )
            params.extend([own_origin, *where_params, *(p for _, ps in conds for p in ps)])

        sums(-1, None)
        for n in names:
            if n in summed:
                sums(names.index(n), n)
        # The open domains, grouped over the materialised matches (their four narrow values and one
        # 0/1 flag per filter, in the key): field and province, and organisation.
        flag_sql = [f"CASE WHEN {side[n][0]} THEN 1 ELSE 0 END AS f_{n}" for n in names]
        inner = (
            "SELECT s.top_field_id AS fld, s.province_id AS prov, s.origin AS origin, s.org_id AS org"  # noqa: S608
            f"{''.join(f', {f}' for f in flag_sql)} {source}"
        )
        flags = "".join(f", m.f_{n}" for n in names)
        pad = ", 0" * (len(packed) + 1)
        groups = [  # only fixed fragments and generated names; every value is a parameter
            f"SELECT 0, m.fld, m.prov{flags}, count(*){pad} FROM m GROUP BY m.fld, m.prov{flags}",  # noqa: S608
            f"SELECT 1, m.org, NULL{flags}, count(*){pad} FROM m "  # noqa: S608
            f"WHERE m.org IS NOT NULL GROUP BY m.org{flags}",
        ]
        group_params = [*(p for n in names for p in side[n][1]), *where_params]
        sql = f"WITH m AS MATERIALIZED ({inner}) " + " UNION ALL ".join([*groups, *members])  # noqa: S608
        k = len(names)
        own = {name: names.index(name) for name in names}
        with connection.cursor() as cursor:
            cursor.execute(sql, [*group_params, *params])
            rows = cursor.fetchall()
            # Listings of other exchanges, by origin: a statement of its own, run only when the sums
            # say the origin facet's rows hold some (``count(*)`` above the own exchange's count).
            origin_set = own.get("origin", -1)
            if any(r[0] == 2 and r[1] == origin_set and int(r[3 + k]) != int(r[-1] or 0) for r in rows):
                cursor.execute(
                    f"SELECT 3, m.origin, NULL{flags}, count(*){pad} FROM ({inner}) AS m "  # noqa: S608
                    f"WHERE m.origin <> %s GROUP BY m.origin{flags}",
                    [*group_params, own_origin],
                )
                rows += cursor.fetchall()

        def passes(row_flags: tuple, facet: str | None) -> bool:
            skip = own.get(facet)
            return all(f == 1 for i, f in enumerate(row_flags) if i != skip)

        counts: dict[str, dict] = {name: {} for name in FACETS}
        domains = {
            "trl": TRL_VALUES,
            "transaction_type": TX_CODES,
            "ip_type": IP_CODES,
            "price_band": PRICE_BANDS,
        }
        digits = {name: [0] * len(domain) for name, domain in domains.items()}
        total = 0
        mask = (1 << PACK_BITS) - 1
        for row in rows:
            part, key1, key2 = row[:3]
            row_flags, n, sums_row = row[3 : 3 + k], int(row[3 + k]), row[4 + k :]
            if n > PACK_LIMIT:
                return None
            if part == 2:  # sums: key1 -1 for the rows passing every filter, else the facet's index
                facets = [f for f in summed if f not in own] if key1 == -1 else [names[key1]]
                if key1 == -1:
                    total = n
                if "origin" in facets and sums_row[-1]:
                    counts["origin"][own_origin] = counts["origin"].get(own_origin, 0) + int(sums_row[-1])
                offset = 0
                for facet, columns in PACKED.items():
                    if facet in facets:
                        for i in range(len(digits[facet])):
                            column, shift = _digit(i)
                            digits[facet][i] = (int(sums_row[offset + column] or 0) >> shift) & mask
                    offset += len(columns)
            elif part == 0:
                for facet, key in (("field", key1), ("province", key2)):
                    if key is not None and passes(row_flags, facet):
                        counts[facet][key] = counts[facet].get(key, 0) + n
            else:
                facet = "organization" if part == 1 else "origin"
                if passes(row_flags, facet):
                    counts[facet][key1] = counts[facet].get(key1, 0) + n

        def coded(pairs: dict, lookup: dict) -> list[tuple[object, int]]:
            return [(lookup[key], n) for key, n in pairs.items() if key in lookup]

        fields = dict(ScienceField.objects.filter(id__in=list(counts["field"])).values_list("id", "code"))
        provinces = dict(Province.objects.filter(id__in=list(counts["province"])).values_list("id", "code"))
        orgs: dict[int, str] = {}
        for chunk in _chunks(sorted(counts["organization"])):
            orgs.update(Organization.objects.filter(id__in=chunk).values_list("id", "ref"))
        out = {
            "field": coded(counts["field"], fields),
            "province": coded(counts["province"], provinces),
            "organization": coded(counts["organization"], orgs),
            "origin": list(counts["origin"].items()),
            "trl": [(v, n) for v, n in zip(TRL_VALUES, digits["trl"], strict=True) if n],
            "ip_type": [(v, n) for v, n in zip(IP_CODES, digits["ip_type"], strict=True) if n],
            "transaction_type": list(zip(TX_CODES, digits["transaction_type"], strict=True)),
            "price_band": [(b.code, n) for b, n in zip(PRICE_BANDS, digits["price_band"], strict=True)],
        }
        return out, total

    def _facets_from_listings(
        self, query: SearchQuery, text: _Text | None, filters: dict[str, Q]
    ) -> tuple[dict[str, list[tuple[object, int]]], int]:
        """Every facet's (value, count) pairs, and the total, from one read of the matching listings
        (SQLite).

        The matching rows - text match and the non-facet filters - are materialised once with the
        narrow columns the facets group by and one 0/1 flag per facet filter set; each facet then counts
        the rows passing every flag but its own, all in one ``UNION ALL`` statement. Per-facet ORM
        queries re-ran the FTS match and the joins eight times (docs/benchmarks.md). Foreign keys are
        grouped by id and mapped to their codes afterwards from the small lookup tables, so no join runs
        per row; a science field counts under its top-level field. The rows are read from the facets'
        covering index (``FACETS_INDEX``), not the wide listing rows; the total is one more member,
        the rows passing every flag."""
        from exchange.accounts.models import Organization
        from exchange.core.models import Province
        from listings.models import ScienceField

        qs = self._published()
        if query.kind:
            qs = qs.filter(kind=query.kind)
        qs = self._matching(qs, text).order_by()

        flags, bands = facet_flags(filters)
        # Transaction types are grouped by the stored JSON text (a few hundred distinct lists at most) and
        # counted per code in Python per distinct list: nine ``LIKE '%"code"%'`` per matching row were
        # a third of the pass at 15,000 matches (docs/benchmarks.md).
        columns = [
            "id",
            "field_id",
            "trl",
            "province_id",
            "organization_id",
            "anonymous",
            "origin",
            "transaction_types",
        ]
        inner_sql, inner_params = (
            qs.annotate(**flags, **bands).values(*columns, *flags, *bands).query.sql_with_params()
        )

        # The facets' covering index instead of a primary-key lookup per match (docs/search.md).
        table = f'FROM "{Listing._meta.db_table}" '
        if inner_sql.count(table) == 1:
            inner_sql = inner_sql.replace(table, f"{table}INDEXED BY {FACETS_INDEX} ")

        def where(name: str | None, extra: str = "") -> str:
            conds = [f"m.f_{other} = 1" for other in filters if other != name]
            if extra:
                conds.append(extra)
            return f" WHERE {' AND '.join(conds)}" if conds else ""

        # Only fixed SQL fragments and generated column names below; every value is a parameter.
        ip_table = IPRight._meta.db_table
        parts = [
            f"SELECT 'field', m.field_id, count(*) FROM m{where('field')} GROUP BY m.field_id",  # noqa: S608
            f"SELECT 'trl', m.trl, count(*) FROM m{where('trl', 'm.trl IS NOT NULL')} GROUP BY m.trl",  # noqa: S608
            f"SELECT 'ip_type', ip.type, count(DISTINCT ip.listing_id) FROM m CROSS JOIN {ip_table} AS ip "  # noqa: S608
            f"ON ip.listing_id = m.id{where('ip_type')} GROUP BY ip.type",
            f"SELECT 'transaction_type', m.transaction_types, count(*) FROM m"  # noqa: S608
            f"{where('transaction_type')} GROUP BY m.transaction_types",
            f"SELECT 'province', m.province_id, count(*) FROM m"  # noqa: S608
            f"{where('province', 'm.province_id IS NOT NULL')} GROUP BY m.province_id",
            f"SELECT 'organization', m.organization_id, count(*) FROM m"  # noqa: S608
            f"{where('organization', 'NOT m.anonymous')} GROUP BY m.organization_id",
            f"SELECT 'origin', m.origin, count(*) FROM m{where('origin')} GROUP BY m.origin",  # noqa: S608
            f"SELECT 'price_band', NULL, {', '.join(f'sum(m.{p})' for p in bands)} "  # noqa: S608
            f"FROM m{where('price_band')}",
            f"SELECT 'total', NULL, count(*) FROM m{where(None)}",  # noqa: S608
        ]
        # UNION ALL members need the same width: pad the narrow ones with NULLs.
        width = 2 + max(len(bands), 1)
        padded = []
        for part in parts:
            select, rest = part.split(" FROM m", 1)
            padded.append(f"{select}{', NULL' * (width - select.count(',') - 1)} FROM m{rest}")
        sql = f"WITH m AS MATERIALIZED ({inner_sql}) " + " UNION ALL ".join(padded)  # noqa: S608
        rows: dict[str, list[tuple]] = {name: [] for name in (*FACETS, "total")}
        with connection.cursor() as cursor:
            cursor.execute(sql, list(inner_params))
            for row in cursor.fetchall():
                rows[row[0]].append(row[1:])

        def mapped(pairs, lookup) -> list[tuple[object, int]]:
            totals: dict[object, int] = {}
            for key, n, *_ in pairs:
                code = lookup.get(key)
                if code is not None:
                    totals[code] = totals.get(code, 0) + int(n)
            return list(totals.items())

        field_ids = {r[0] for r in rows["field"] if r[0] is not None}
        fields = {
            fid: parent or code
            for fid, code, parent in ScienceField.objects.filter(id__in=field_ids).values_list(
                "id", "code", "parent__code"
            )
        }
        provinces = dict(
            Province.objects.filter(id__in={r[0] for r in rows["province"]}).values_list("id", "code")
        )
        org_ids = sorted({r[0] for r in rows["organization"] if r[0] is not None})
        orgs: dict[int, str] = {}
        for chunk in _chunks(org_ids):
            orgs.update(Organization.objects.filter(id__in=chunk).values_list("id", "ref"))
        # The same test as ``transaction_types__icontains='"code"'`` (SQLite's LIKE folds ASCII case).
        tx_counts = dict.fromkeys(TransactionType.values, 0)
        for stored, n, *_ in rows["transaction_type"]:
            folded = str(stored or "").lower()
            for code in tx_counts:
                if f'"{code.lower()}"' in folded:
                    tx_counts[code] += int(n)
        band_row = rows["price_band"][0] if rows["price_band"] else ()
        counts = {
            "field": mapped(rows["field"], fields),
            "trl": [(k, n) for k, n, *_ in rows["trl"]],
            "ip_type": [(k, n) for k, n, *_ in rows["ip_type"]],
            "transaction_type": list(tx_counts.items()),
            "province": mapped(rows["province"], provinces),
            "organization": mapped(rows["organization"], orgs),
            "origin": [(k, n) for k, n, *_ in rows["origin"]],
            "price_band": [(band.code, band_row[1 + i] or 0) for i, band in enumerate(PRICE_BANDS)]
            if band_row
            else [],
        }
        total = int(rows["total"][0][1]) if rows["total"] else 0
        return counts, total
