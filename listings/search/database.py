"""The embedded search backend: an SQLite FTS5 table of folded text beside the listings table.

Text matching and ranking happen in FTS5 (``bm25`` with column weights, title > keywords > summary >
body), everything else - the published state, filters, facets, sorting - on the ``Listing`` table with
the ORM, joined to the FTS match by a subquery on ids (FTS5 ``rowid`` is the listing id), so nothing
loads all matching ids into Python. Whatever the FTS table holds, only published listings come out.
On SQLite the boosts' inputs and each document's facet values live in a narrow rowid side table (FTS5
UNINDEXED columns are slow to read; migration 0010), so a text query's facets, filters and page read one
narrow row per match and no listing row (see ``_facets_from_side_table``, ``_ranked_page_side_table``);
the live published state is still checked against the listing table.

Ranking, in order: listings containing every word of the query, then (only for queries of two or more
words) listings containing at least half of them; within each, ``-bm25`` × a phrase bonus (the words
side by side, as Vietnamese words are several syllables) × mild boosts for completeness and recency.

On PostgreSQL the same design runs on a table of the same name holding a weighted ``tsvector`` of the
same folded columns (title A, keywords B, summary and organisation C, body and place D) with a GIN index,
ranked by ``ts_rank``; a vocabulary table with a trigram index adds typo tolerance (an unknown query word
also matches its closest indexed words). ``SqliteDialect`` and ``PostgresDialect`` hold every piece of
SQL that differs; the rest (filters, facets, sorting, paging) is the same ORM code. PostgreSQL's cold
path has its own statements: every facet and the total in one (``_facets_postgresql``), the relevance
page scored before the join (``_ranked_page_postgresql``), both over a covering partial index of the
published listings (migration 0011).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower, NullIf

from listings.lifecycle import ListingState
from listings.models import IPRight, IPType, Listing, ScienceField, TransactionType

from .base import FACETS, PRICE_BANDS, SearchHit, SearchQuery, SearchResult
from .facets import label_facet
from .text import (
    BODY_FIELDS,
    FIELD_WEIGHTS,
    SearchDocument,
    build_document,
    listing_highlights,
    query_tokens,
    tokenize,
)

TABLE = "listings_search_fts"
TEXT_COLUMNS = tuple(FIELD_WEIGHTS)
EXTRA_COLUMNS = ("kind", "stamp", "published_ts", "completeness", "sort_vi", "sort_en")
#: SQLite: the ranking boosts' inputs in a narrow rowid table beside the FTS table. Reading an FTS5
#: UNINDEXED column costs a lookup in the FTS content table per match (~45 ms per column at 20,000
#: matches, docs/benchmarks.md); a rowid lookup here is a fraction of it.
BOOST_SUFFIX = "_boost"
BOOST_COLUMNS = ("published_ts", "completeness")
BATCH = 500
#: A partial-match expression lists every combination of ceil(n/2) words; past this many, any word.
MAX_COMBINATIONS = 70
#: Boosts: up to +20 % for a complete listing, up to +20 % for a new one (halving over a year), ×1.5
#: for the query's words side by side.
COMPLETENESS_BOOST = 0.2
RECENCY_BOOST = 0.2
RECENCY_SCALE_SECONDS = 365 * 86400
PHRASE_BONUS = 1.5
#: One row whose random token changes with every write to the index (migration 0009); cached answers
#: are keyed by it, so none outlives the index state it was computed from.
GENERATION_TABLE = "listings_search_generation"
#: Default of ``settings.SEARCH_CACHE_SECONDS``: the longest a cached answer is served (0: no cache).
#: Index writes invalidate at once; the limit only bounds changes that bypass the services and the index
#: (a listing updated in a shell) until the hourly reconcile repairs the index.
DEFAULT_CACHE_SECONDS = 300
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


def partial_repeats(n: int) -> int:
    """How many times ``SqliteDialect.partial`` of ``n`` words holds each word: once in the plain OR,
    C(n-1, need-1) times in the OR of every combination of ``need`` = ceil(n/2) words."""
    need = max(1, math.ceil(n / 2))
    if need == 1 or math.comb(n, need) > MAX_COMBINATIONS:
        return 1
    return math.comb(n - 1, need - 1)


def dialect_for(vendor: str):
    if vendor == "sqlite":
        return SqliteDialect()
    if vendor == "postgresql":
        return PostgresDialect()
    raise NotImplementedError(
        f"The database search backend supports SQLite and PostgreSQL; on {vendor} set "
        "SEARCH_BACKEND = 'elasticsearch' (see docs/search.md)."
    )


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


def _chunks(ids: Sequence[int], size: int = BATCH):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class _Text(NamedTuple):
    """The match expressions of one query, built once per search."""

    tokens: list[str]
    match: str  # which rows match at all: every word for one word, else at least half of them
    full: str  # every word
    phrase: str  # the words side by side


class ResultCache:
    """Cached answers of the database backend, per normalised query and index generation.

    Two entries per query, in Django's cache (local memory per process by default, Redis when
    ``CACHE_REDIS_URL`` is set): the total and the facet counts (labels are read fresh each time), keyed
    by the words and filters (shared by
    every page and sort of a query), and the total with one page's (id, score), keyed by those plus sort
    and page. Both keys hold the index generation (``GENERATION_TABLE``), read once per search from the
    database, so every index write - a publish, an unpublish, a reindex, a rebuild - makes every cached
    answer unreachable at once, in every process; entries expire after ``SEARCH_CACHE_SECONDS``.
    Highlights are never cached (``DatabaseBackend._hits``).
    """

    def __init__(self, query: SearchQuery, tokens: Sequence[str]):
        self.seconds = int(getattr(settings, "SEARCH_CACHE_SECONDS", DEFAULT_CACHE_SECONDS) or 0)
        self.facets_key = self.page_key = None
        if self.seconds <= 0:
            return
        generation = DatabaseBackend.generation()
        if generation is None:
            return
        where = (
            connection.vendor,
            str(connection.settings_dict.get("NAME")),
            tuple(tokens),
            query.kind,
            query.field,
            query.trl_min,
            query.trl_max,
            query.ip_type,
            query.transaction_type,
            query.province,
            query.organization,
            query.price_min,
            query.price_max,
            query.origin,
        )
        self.facets_key = self._key("facets", generation, where)
        page = (query.sort, query.page, query.page_size, query.language)  # the title sort is per language
        self.page_key = self._key("page", generation, (*where, *page))
        self.wants_facets = query.facets

    @staticmethod
    def _key(kind: str, generation: str, parts: tuple) -> str:
        digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
        return f"search:db:{kind}:{generation}:{digest}"

    def load(self) -> tuple[int | None, list[tuple[int, float]] | None, dict | None]:
        """(total, page, facets), each None when not cached."""
        if self.page_key is None:
            return None, None, None
        keys = [self.page_key, self.facets_key] if self.wants_facets else [self.page_key]
        found = cache.get_many(keys)
        total = page = facets = None
        if self.facets_key in found:
            total, facets = found[self.facets_key]
        if self.page_key in found:
            total, page = found[self.page_key]
        return total, page, facets

    def store_facets(self, total: int, facets: dict) -> None:
        if self.facets_key is not None:
            cache.set(self.facets_key, (total, facets), self.seconds)

    def store_page(self, total: int, page: list[tuple[int, float]]) -> None:
        if self.page_key is not None:
            cache.set(self.page_key, (total, page), self.seconds)


class DatabaseBackend:
    name = "database"

    # --- plumbing ---------------------------------------------------------------------------------
    @staticmethod
    def available() -> bool:
        """Whether this database can run the backend (SQLite or PostgreSQL)."""
        return connection.vendor in ("sqlite", "postgresql")

    @property
    def d(self):
        """The SQL dialect of the current database (raises ``NotImplementedError`` elsewhere)."""
        return dialect_for(connection.vendor)

    @staticmethod
    def _published() -> QuerySet[Listing]:
        return Listing.objects.filter(state=ListingState.PUBLISHED)

    def ids_subquery(self, expr: str) -> RawSQL:
        return RawSQL(f"SELECT rowid FROM {TABLE} WHERE {self.d.cond()}", [expr])  # noqa: S611, S608

    def text_query(self, tokens: Sequence[str]) -> _Text | None:
        """The match expressions of a query's tokens (None without tokens), typo alternatives included."""
        if not tokens:
            return None
        d = self.d
        alternatives = d.expand(tokens)
        terms = [d.term(t, alternatives.get(t, ())) for t in tokens]
        full = d.all(terms)
        return _Text(list(tokens), full if len(terms) == 1 else d.partial(terms), full, d.phrase(tokens))

    # --- writing ----------------------------------------------------------------------------------
    @staticmethod
    def _documents(qs: QuerySet[Listing]) -> list[SearchDocument]:
        return [build_document(listing) for listing in qs.select_related("organization", "province")]

    @staticmethod
    def _new_generation(cursor) -> None:
        """Mark the index as changed (in the writing transaction): every cached answer is now stale."""
        cursor.execute(f"UPDATE {GENERATION_TABLE} SET token = %s WHERE id = 1", [uuid.uuid4().hex])  # noqa: S608

    @staticmethod
    def generation() -> str | None:
        """The token of the index's current state (None if the row is missing: then nothing is cached)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token FROM {GENERATION_TABLE} WHERE id = 1")  # noqa: S608
            row = cursor.fetchone()
        return str(row[0]) if row else None

    def _delete(self, cursor, chunk: Sequence[int]) -> int:
        marks = ", ".join(["%s"] * len(chunk))
        for side in self.d.side_tables():
            cursor.execute(f"DELETE FROM {side} WHERE rowid IN ({marks})", list(chunk))  # noqa: S608
        cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", list(chunk))  # noqa: S608
        return max(cursor.rowcount, 0)

    def index(self, listing_ids: Iterable[int]) -> int:
        """Index the published listings among ``listing_ids``, remove the others; safe to repeat."""
        d = self.d
        ids = sorted({int(i) for i in listing_ids})
        indexed = 0
        for chunk in _chunks(ids):
            with transaction.atomic(), connection.cursor() as cursor:
                docs = self._documents(self._published().filter(id__in=chunk))
                self._delete(cursor, chunk)
                indexed += d.insert(cursor, docs)
                self._new_generation(cursor)
        return indexed

    def remove(self, listing_ids: Iterable[int]) -> int:
        self.d  # noqa: B018 - refuse unsupported databases
        ids = sorted({int(i) for i in listing_ids})
        removed = 0
        for chunk in _chunks(ids):
            with transaction.atomic(), connection.cursor() as cursor:
                removed += self._delete(cursor, chunk)
                self._new_generation(cursor)
        return removed

    def clear(self) -> None:
        """Empty the index (tests)."""
        self.d  # noqa: B018
        with connection.cursor() as cursor:
            for side in self.d.side_tables():
                cursor.execute(f"DELETE FROM {side}")  # noqa: S608
            cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
            self._new_generation(cursor)

    def rebuild(self, progress=None) -> int:
        """Build a new table from every published listing, then swap it in with one short transaction
        (searches keep answering from the old table meanwhile). ``progress(n)`` is called per batch.

        Index updates made while building land in the old table and are lost with it; run a reconcile
        after (``search_reindex`` does)."""
        d = self.d
        new = f"{TABLE}_new"
        with connection.cursor() as cursor:
            for sql in [*d.drop(new), *d.ddl(new)]:
                cursor.execute(sql)
        total, last_id = 0, 0
        while True:
            chunk = list(
                self._published().filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:BATCH]
            )
            if not chunk:
                break
            with transaction.atomic(), connection.cursor() as cursor:
                done = d.insert(cursor, self._documents(self._published().filter(id__in=chunk)), new)
            total += done
            last_id = chunk[-1]
            if progress:
                progress(done)
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in d.drop(TABLE):
                cursor.execute(sql)
            cursor.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
            for old_side, new_side in zip(d.side_tables(TABLE), d.side_tables(new), strict=True):
                cursor.execute(f"ALTER TABLE {new_side} RENAME TO {old_side}")
            if connection.vendor == "postgresql":
                for suffix in ("doc", "title"):
                    cursor.execute(f"ALTER INDEX {new}_{suffix} RENAME TO {TABLE}_{suffix}")
            self._new_generation(cursor)
        if connection.vendor == "postgresql":
            # The new table has no statistics until autovacuum gets to it (a minute or more): plan the
            # first searches on real ones (docs/search.md).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {TABLE}")
        return total

    # --- reading the index ------------------------------------------------------------------------
    def count(self) -> int:
        self.d  # noqa: B018
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
            return cursor.fetchone()[0]

    def indexed_ids_versions(self, batch: int = 1000):
        """Batches of (listing_id, stamp) in ascending id order."""
        self.d  # noqa: B018
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT rowid, stamp FROM {TABLE} WHERE rowid > %s ORDER BY rowid LIMIT %s",  # noqa: S608
                    [last, batch],
                )
                rows = [(int(r[0]), str(r[1])) for r in cursor.fetchall()]
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def health(self) -> dict:
        try:
            engine = self.d.engine
        except NotImplementedError as exc:
            return {"ok": False, "backend": self.name, "error": str(exc)}
        try:
            documents = self.count()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return {"ok": False, "backend": self.name, "engine": engine, "error": str(exc)}
        return {"ok": True, "backend": self.name, "engine": engine, "documents": documents}

    # --- searching --------------------------------------------------------------------------------
    @staticmethod
    def _facet_filters(query: SearchQuery) -> dict[str, Q]:
        """The condition of each facet filter ``query`` sets, by facet name.

        Codes (science field, province, organisation ref) are matched through a subquery on the small
        lookup table (``province_id IN (SELECT id ... WHERE code = ...)``), which the database evaluates
        once: the conditions then read only the listing's own columns, so no join runs per matching row
        (and the facet pass can stay on its covering index). An unknown code matches nothing."""
        from exchange.accounts.models import Organization
        from exchange.core.models import Province
        from listings.models import ScienceField

        out: dict[str, Q] = {}
        if query.field:
            fields = ScienceField.objects.filter(Q(code=query.field) | Q(parent__code=query.field))
            out["field"] = Q(field_id__in=fields.values("id"))
        if query.trl_min is not None or query.trl_max is not None:
            low = query.trl_min if query.trl_min is not None else 1
            high = query.trl_max if query.trl_max is not None else 9
            offer = Q(trl__gte=low, trl__lte=high)
            wanted = Q(trl__isnull=True) & (Q(trl_wanted_min__isnull=False) | Q(trl_wanted_max__isnull=False))
            wanted &= Q(trl_wanted_min__isnull=True) | Q(trl_wanted_min__lte=high)
            wanted &= Q(trl_wanted_max__isnull=True) | Q(trl_wanted_max__gte=low)
            out["trl"] = offer | wanted
        if query.ip_type:
            out["ip_type"] = Q(Exists(IPRight.objects.filter(listing=OuterRef("pk"), type=query.ip_type)))
        if query.transaction_type:
            out["transaction_type"] = Q(transaction_types__icontains=f'"{query.transaction_type}"')
        if query.province:
            out["province"] = Q(province_id__in=Province.objects.filter(code=query.province).values("id"))
        if query.organization:
            orgs = Organization.objects.filter(ref=query.organization)
            out["organization"] = Q(organization_id__in=orgs.values("id"), anonymous=False)
        if query.origin:
            out["origin"] = Q(origin=query.origin)
        if query.price_min is not None or query.price_max is not None:
            out["price_band"] = price_overlaps(query.price_min, query.price_max)
        return out

    def _filtered(
        self, query: SearchQuery, *, skip: str | None = None, filters: dict[str, Q] | None = None
    ) -> QuerySet[Listing]:
        """Published listings passing every filter of ``query`` except the facet ``skip`` (a facet's
        counts ignore its own selection, so the other values stay visible with their counts).
        ``filters``: ``_facet_filters(query)`` when the caller already has them (one lookup per search)."""
        qs = self._published()
        if query.kind:
            qs = qs.filter(kind=query.kind)
        for name, cond in (self._facet_filters(query) if filters is None else filters).items():
            if name != skip:
                qs = qs.filter(cond)
        return qs

    def _matching(self, qs: QuerySet[Listing], text: _Text | None) -> QuerySet[Listing]:
        return qs if text is None else qs.filter(id__in=self.ids_subquery(text.match))

    def _ranked_page(self, qs: QuerySet[Listing], text: _Text, limit: int, offset: int):
        """(id, score) of one page by relevance: full matches first, then partial ones."""
        if connection.vendor == "postgresql":
            return self._ranked_page_postgresql(qs, text, limit, offset)
        d = self.d
        filtered_sql, filtered_params = qs.values("id").order_by().query.sql_with_params()
        score, score_params = d.score()
        join, source = d.boost_from()
        boost = (
            f"(1.0 + {COMPLETENESS_BOOST} * {source}.completeness + {RECENCY_BOOST} / "
            f"(1.0 + {d.greatest}(0.0, %s - {source}.published_ts) / {RECENCY_SCALE_SECONDS}.0))"
        )
        params: list = [text.match] * score_params + [time.time()]
        # SQLite: ``+rowid`` keeps the FTS index driving the query (the filter is checked per match).
        rowid = f"+{TABLE}.rowid" if connection.vendor == "sqlite" else f"{TABLE}.rowid"
        if len(text.tokens) > 1:
            inside = f"{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {d.cond()})"  # noqa: S608
            phrase = f"(CASE WHEN {inside} THEN {PHRASE_BONUS} ELSE 1.0 END)"
            params += [text.phrase]
        else:
            phrase = "1.0"
        select = (
            f"SELECT {TABLE}.rowid, {score} * {boost} * {phrase} AS score "  # noqa: S608
            f"FROM {TABLE}{join} WHERE {d.cond()} AND {rowid} IN ({filtered_sql})"
        )
        order = f" ORDER BY score DESC, {TABLE}.rowid DESC LIMIT %s OFFSET %s"
        base = [*params, text.match, *filtered_params]
        with connection.cursor() as cursor:
            if len(text.tokens) == 1:  # every match is a full match
                cursor.execute(select + order, [*base, limit, offset])
                return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]
            # Full matches first, then partial ones: one tier at a time, so the partial tier (often most
            # of the matches) is scored only when the page reaches past the full ones. Each tier keeps the
            # same MATCH expression (FTS5's bm25 depends on it), restricted to the tier's rowids, so the
            # scores and the order are those of a single ``ORDER BY is_full DESC, score DESC`` query.
            full_ids = f"{rowid} IN (SELECT rowid FROM {TABLE} WHERE {d.cond()})"  # noqa: S608
            cursor.execute(f"{select} AND {full_ids}{order}", [*base, text.full, limit, offset])
            page = [(int(row[0]), float(row[1])) for row in cursor.fetchall()]
            if len(page) == limit:
                return page
            if page:
                fulls = offset + len(page)
            else:  # the page starts past the full matches: how many there are
                cursor.execute(
                    f"SELECT count(*) FROM {TABLE} WHERE {d.cond()} AND {rowid} IN ({filtered_sql})",  # noqa: S608
                    [text.full, *filtered_params],
                )
                fulls = int(cursor.fetchone()[0])
            cursor.execute(
                f"{select} AND NOT {full_ids}{order}",
                [*base, text.full, limit - len(page), max(0, offset - fulls)],
            )
            return page + [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

    def _ranked_page_postgresql(self, qs: QuerySet[Listing], text: _Text, limit: int, offset: int):
        """``_ranked_page`` on PostgreSQL: the same scores and order, in statements the planner runs well.

        ``EXPLAIN (ANALYZE, BUFFERS)`` of the shared statement (docs/search.md): for a two-word query the
        planner scored and sorted every *partial* match with its whole tsvector in the sort rows (an
        external merge sort on disk past ``work_mem``), then checked each against the full-match
        subquery; the phrase bonus was a second scan of the table (``rowid IN (… doc @@ phrase)``),
        once per parallel worker. Here a tier's rows are scored in a subquery of (rowid, score) only,
        kept apart by ``OFFSET 0`` and joined to the filtered listings after, so the join and the sort
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
            # ``OFFSET 0`` keeps the inner query apart (not merged into the outer one): the tier's rows
            # are scored where they are read, and only (rowid, score) reaches the join with the
            # filtered listings and the sort. Scored after the join, each row carried its tsvector
            # into the join's hash table (which spilled to disk past ``work_mem``): 54 -> 31 ms for
            # 'sinh hoc' at 20,000 listings. The price: matches a selective filter then drops are
            # scored too ('hoc' in one province: 5 -> 20 ms), a case far from the slowest.
            return (
                f"SELECT c.rowid, c.score FROM (SELECT f.rowid, {score} * {boost} * {phrase} AS score "  # noqa: S608
                f"FROM {TABLE} AS f WHERE {d.cond('f')}{cond} OFFSET 0) AS c "
                f"WHERE c.rowid IN ({filtered_sql}) ORDER BY c.score DESC, c.rowid DESC LIMIT %s OFFSET %s"
            )

        full = " AND f.doc @@ to_tsquery('simple', %s)"
        base = [*params, text.match]
        with connection.cursor() as cursor:
            if len(text.tokens) == 1:  # every match is a full match
                cursor.execute(tier(""), [*base, *filtered_params, limit, offset])
                return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]
            cursor.execute(tier(full), [*base, text.full, *filtered_params, limit, offset])
            page = [(int(row[0]), float(row[1])) for row in cursor.fetchall()]
            if len(page) == limit:
                return page
            if page:
                fulls = offset + len(page)
            else:  # the page starts past the full matches: how many there are
                cursor.execute(
                    f"SELECT count(*) FROM {TABLE} AS f WHERE {d.cond('f')} AND f.rowid IN ({filtered_sql})",  # noqa: S608
                    [text.full, *filtered_params],
                )
                fulls = int(cursor.fetchone()[0])
            cursor.execute(
                tier(" AND NOT" + full[4:]),
                [*base, text.full, *filtered_params, limit - len(page), max(0, offset - fulls)],
            )
            return page + [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

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

    def _sorted(self, qs: QuerySet[Listing], query: SearchQuery, text: _Text | None) -> QuerySet[Listing]:
        order: list = []
        if text is not None and len(text.tokens) > 1:
            qs = qs.annotate(
                _full=Case(
                    When(id__in=self.ids_subquery(text.full), then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
            order.append("-_full")
        first, second = ("title_en", "title_vi") if query.language == "en" else ("title_vi", "title_en")
        if query.sort == "title":
            # The folded title kept in the FTS table sorts 'Đ…' with 'D…' (the raw column would not).
            column = "sort_en" if query.language == "en" else "sort_vi"
            folded = RawSQL(f"SELECT {column} FROM {TABLE} WHERE {TABLE}.rowid = listings_listing.id", [])  # noqa: S611, S608
            order += [
                Coalesce(folded, Lower(Coalesce(NullIf(first, Value("")), second))).asc(),
                "id",
            ]
        elif query.sort == "trl":
            order += [F("trl").desc(nulls_last=True), F("published_at").desc(nulls_last=True), "-id"]
        elif query.sort == "price_asc":
            order += [Coalesce("price_min", "price_max").asc(nulls_last=True), "-id"]
        elif query.sort == "price_desc":
            order += [Coalesce("price_max", "price_min").desc(nulls_last=True), "-id"]
        else:  # newest
            order += [F("published_at").desc(nulls_last=True), "-id"]
        return qs.order_by(*order)

    def search(self, query: SearchQuery) -> SearchResult:
        """Total, the page (ids and scores) and the facets come from ``ResultCache`` when the index has
        not changed since they were computed; highlights are always made fresh, for the page only.

        Cold, the work is: the facet pass (SQLite: every facet and the total in one statement), the
        ranked page, and the highlights of the page's listings."""
        self.d  # noqa: B018 - refuse unsupported databases before anything else
        query = query.normalized()
        tokens = query_tokens(query.q)
        if query.q and not tokens:  # only punctuation: nothing can match
            return SearchResult(total=0, backend=self.name)
        cached = ResultCache(query, tokens)
        total, page, facets = cached.load()
        from_cache = page is not None
        if (query.facets and facets is None) or page is None:
            text = self.text_query(tokens)
            filters = self._facet_filters(query)
            if query.facets and facets is None:
                facets, facet_total = self._facet_counts(query, text, filters)
                total = facet_total if facet_total is not None else total
                cached.store_facets(total if total is not None else self._count(query, text, filters), facets)
            if page is None:
                if total is None:
                    total = self._count(query, text, filters)
                page = self._page(query, text, filters, total)
                cached.store_page(total, page)
        hits = self._hits(page, tokens, query.language, check_published=from_cache)
        # Labels are read fresh (an organisation or a peer exchange may be renamed): only counts are cached.
        labelled = {}
        if query.facets and facets is not None:
            labelled = {name: label_facet(name, facets[name], query.language) for name in FACETS}
        return SearchResult(total=total, hits=hits, facets=labelled, backend=self.name)

    def _count(self, query: SearchQuery, text: _Text | None, filters: dict[str, Q]) -> int:
        return self._matching(self._filtered(query, filters=filters), text).count()

    def _page(
        self, query: SearchQuery, text: _Text | None, filters: dict[str, Q], total: int
    ) -> list[tuple[int, float]]:
        """(id, score) of the page asked for, in order."""
        if not total or query.offset >= total:
            return []
        if text is not None and query.sort == "relevance":
            if connection.vendor == "sqlite":
                return self._ranked_page_side_table(query, text, query.page_size, query.offset)
            qs = self._filtered(query, filters=filters)
            return self._ranked_page(qs, text, query.page_size, query.offset)
        qs = self._matching(self._filtered(query, filters=filters), text)
        ids = self._sorted(qs, query, text).values_list("id", flat=True)
        return [(i, 0.0) for i in ids[query.offset : query.offset + query.page_size]]

    #: What highlighting reads of a listing (``text.listing_highlights``): the wide rows' other columns
    #: stay on disk.
    HIGHLIGHT_FIELDS = (
        "id",
        "state",
        "anonymous",
        "keywords",
        "organization__name",
        "organization__name_en",
        "organization__short_name",
        *(f"{name}_{lang}" for name in ("title", "summary") for lang in ("vi", "en")),
        *(f"{name}_{lang}" for name in BODY_FIELDS for lang in ("vi", "en")),
    )

    def _hits(
        self, page: list[tuple[int, float]], tokens: Sequence[str], language: str, *, check_published: bool
    ) -> list[SearchHit]:
        """The page's hits with their highlights. A page from the cache is checked against the live
        state too, so a listing unpublished behind the index's back never comes out of it either."""
        if not page:
            return []
        ids = [i for i, _ in page]
        listings = {}
        if tokens:
            listings = (
                self._published().select_related("organization").only(*self.HIGHLIGHT_FIELDS).in_bulk(ids)
            )
            alive = set(listings)
        elif check_published:
            alive = set(self._published().filter(id__in=ids).values_list("id", flat=True))
        else:
            alive = set(ids)
        return [
            SearchHit(i, score, listing_highlights(listings[i], tokens, language) if i in listings else {})
            for i, score in page
            if i in alive
        ]

    # --- facets -------------------------------------------------------------------------------------
    def _facet_counts(
        self, query: SearchQuery, text: _Text | None, filters: dict[str, Q]
    ) -> tuple[dict[str, list[tuple[object, int]]], int | None]:
        """(counts, total): (value, count) pairs per facet, one aggregate query per facet over the
        matching listings minus the facet's own filter, and total None (counted apart). SQLite: every
        facet and the total in one pass, ``_facets_one_pass``; PostgreSQL: the same in one statement,
        ``_facets_postgresql``. ``facets.label_facet`` names them."""
        if connection.vendor == "sqlite":
            return self._facets_one_pass(query, text, filters)
        if connection.vendor == "postgresql":
            return self._facets_postgresql(query, text, filters)
        return self._facets_per_query(query, text, filters), None

    def _facets_per_query(
        self, query: SearchQuery, text: _Text | None, filters: dict[str, Q]
    ) -> dict[str, list[tuple[object, int]]]:
        """One ORM aggregate per facet (PostgreSQL; on SQLite the reference the one pass is tested
        against)."""
        out: dict[str, list[tuple[object, int]]] = {}
        for name in FACETS:
            base = self._matching(self._filtered(query, skip=name, filters=filters), text).order_by()
            if name == "field":
                rows = (
                    base.annotate(_top=Coalesce("field__parent__code", "field__code"))
                    .values("_top")
                    .annotate(n=Count("id"))
                    .values_list("_top", "n")
                )
            elif name == "trl":
                rows = (
                    base.filter(trl__isnull=False)
                    .values("trl")
                    .annotate(n=Count("id"))
                    .values_list("trl", "n")
                )
            elif name == "ip_type":
                rows = (
                    IPRight.objects.filter(listing_id__in=base.values("id"))
                    .order_by()
                    .values("type")
                    .annotate(n=Count("listing_id", distinct=True))
                    .values_list("type", "n")
                )
            elif name == "transaction_type":
                counts = base.aggregate(
                    **{
                        code: Count("id", filter=Q(transaction_types__icontains=f'"{code}"'))
                        for code in TransactionType.values
                    }
                )
                rows = list(counts.items())
            elif name == "province":
                rows = (
                    base.filter(province__isnull=False)
                    .values("province__code")
                    .annotate(n=Count("id"))
                    .values_list("province__code", "n")
                )
            elif name == "organization":
                rows = (
                    base.filter(anonymous=False)
                    .values("organization__ref")
                    .annotate(n=Count("id"))
                    .values_list("organization__ref", "n")
                )
            elif name == "origin":
                rows = base.values("origin").annotate(n=Count("id")).values_list("origin", "n")
            else:  # price_band
                conditions = {
                    band.code: Count(
                        "id",
                        filter=price_overlaps(band.low, None if band.high is None else band.high - 1),
                    )
                    for band in PRICE_BANDS
                }
                rows = list(base.aggregate(**conditions).items())
            out[name] = [tuple(row) for row in rows]
        return out

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

        def flag(cond: Q) -> Case:
            return Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField())

        flags = {f"f_{name}": flag(cond) for name, cond in filters.items()}
        bands = {
            f"p_{i}": flag(price_overlaps(band.low, None if band.high is None else band.high - 1))
            for i, band in enumerate(PRICE_BANDS)
        }
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

    # --- suggestions --------------------------------------------------------------------------------
    def suggest(self, prefix: str, kind: str | None = None, limit: int = 8, language: str = "vi"):
        """Titles of published listings whose title has the typed words, the last one as a prefix:
        [(listing_id, title)], best first."""
        d = self.d
        tokens = query_tokens(prefix)
        if not tokens or len(tokens[-1]) < 2:
            return []
        qs = self._published()
        if kind:
            qs = qs.filter(kind=kind)
        filtered_sql, filtered_params = qs.values("id").order_by().query.sql_with_params()
        expr = d.title_prefix(tokens)
        plus = "+" if connection.vendor == "sqlite" else ""
        if connection.vendor == "sqlite":
            order, order_params = f"bm25({TABLE})", []
        else:
            order, order_params = f"ts_rank({TABLE}.title_doc, to_tsquery('simple', %s)) DESC", [expr]
        sql = (
            f"SELECT rowid FROM {TABLE} WHERE {d.title_cond()} AND {plus}rowid IN ({filtered_sql}) "  # noqa: S608
            f"ORDER BY {order}, rowid DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [expr, *filtered_params, *order_params, max(1, min(int(limit), 20))])
            ids = [int(r[0]) for r in cursor.fetchall()]
        titles = Listing.objects.in_bulk(ids)
        return [(i, titles[i].t("title", language)) for i in ids if i in titles]

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

        def flag(cond: Q) -> Case:
            return Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField())

        flags = {f"f_{name}": flag(cond) for name, cond in filters.items()}
        bands = {
            f"p_{i}": flag(price_overlaps(band.low, None if band.high is None else band.high - 1))
            for i, band in enumerate(PRICE_BANDS)
        }
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
