"""The embedded search backend: an SQLite FTS5 table of folded text beside the listings table.

Text matching and ranking happen in FTS5 (``bm25`` with column weights, title > keywords > summary >
body), everything else - the published state, filters, facets, sorting - on the ``Listing`` table with
the ORM, joined to the FTS match by a subquery on ids (FTS5 ``rowid`` is the listing id), so nothing
loads all matching ids into Python. Whatever the FTS table holds, only published listings come out.
On SQLite the boosts' inputs live in a narrow rowid side table (FTS5 UNINDEXED columns are slow to read)
and all facets come from one pass over the matching rows (see ``_facets_one_pass``).

Ranking, in order: listings containing every word of the query, then (only for queries of two or more
words) listings containing at least half of them; within each, ``-bm25`` × a phrase bonus (the words
side by side, as Vietnamese words are several syllables) × mild boosts for completeness and recency.

On PostgreSQL the same design runs on a table of the same name holding a weighted ``tsvector`` of the
same folded columns (title A, keywords B, summary and organisation C, body and place D) with a GIN index,
ranked by ``ts_rank``; a vocabulary table with a trigram index adds typo tolerance (an unknown query word
also matches its closest indexed words). ``SqliteDialect`` and ``PostgresDialect`` hold every piece of
SQL that differs; the rest (filters, facets, sorting, paging) is the same ORM code.
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
from listings.models import IPRight, Listing, TransactionType

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
            "published_ts REAL NOT NULL, completeness REAL NOT NULL)",
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
            cursor.executemany(
                f"INSERT INTO {table}{BOOST_SUFFIX} (rowid, {', '.join(BOOST_COLUMNS)}) VALUES (%s, %s, %s)",  # noqa: S608
                [(doc.listing_id, *(getattr(doc, c) for c in BOOST_COLUMNS)) for doc in docs],
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
        facet and the total in one pass, ``_facets_one_pass``. ``facets.label_facet`` names them."""
        if connection.vendor == "sqlite":
            return self._facets_one_pass(query, text, filters)
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
