"""The embedded search backend: an SQLite FTS5 table of folded text beside the listings table.

Text matching and ranking happen in FTS5 (``bm25`` with column weights, title > keywords > summary >
body), everything else - the published state, filters, facets, sorting - on the ``Listing`` table with
the ORM, joined to the FTS match by a subquery on ids (FTS5 ``rowid`` is the listing id), so nothing
loads all matching ids into Python. Whatever the FTS table holds, only published listings come out.

Ranking, in order: listings containing every word of the query, then (only for queries of two or more
words) listings containing at least half of them; within each, ``-bm25`` × a phrase bonus (the words
side by side, as Vietnamese words are several syllables) × mild boosts for completeness and recency.

On PostgreSQL the same design runs on a table of the same name holding a weighted ``tsvector``, ranked
by ``ts_rank``. ``SqliteDialect`` and ``PostgresDialect`` hold every piece of SQL that differs; the rest
(filters, facets, sorting, paging) is the same ORM code.

Where the code is: this module holds ``DatabaseBackend`` - writing and reading the index, the filters,
the search and its cache, the ORM paths both databases share (``_facets_per_query``, the reference the
one-statement passes are tested against) - and the points that pick a database's own pass. Each
database's SQL has a module of its own, whose passes the backend inherits: ``database_sqlite`` (FTS5,
the side table of boosts and facet values, ``SqlitePasses``) and ``database_postgresql`` (``tsvector``,
typo tolerance, ``PostgresPasses``). ``database_common`` holds what all three need, so neither imports
this module. Every name of the single-module layout is still importable from here.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower, NullIf

from listings.lifecycle import ListingState
from listings.models import IPRight, Listing, TransactionType

from .base import FACETS, PRICE_BANDS, SearchHit, SearchQuery, SearchResult
from .database_common import (
    BATCH,
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
    page_over_tiers,
    price_overlaps,
)
from .database_postgresql import (
    PG_CLASSES,
    PG_RANK_WEIGHTS,
    PG_TYPO_ALTERNATIVES,
    PG_TYPO_MIN_LENGTH,
    PG_TYPO_SIMILARITY,
    PG_VOCABULARY_MIN_LENGTH,
    PostgresDialect,
    PostgresPasses,
)
from .database_sqlite import (
    BOOST_COLUMNS,
    BOOST_SUFFIX,
    FACET_COLUMNS,
    FACET_TYPES,
    FACETS_INDEX,
    IP_CODES,
    PACK_BITS,
    PACK_DIGITS,
    PACK_LIMIT,
    PACKED,
    PUBLISHED_INDEX,
    TRL_VALUES,
    TX_CODES,
    SqliteDialect,
    SqlitePasses,
    facet_values_sql,
    partial_repeats,
    table_ddl,
)
from .facets import label_facet
from .text import (
    BODY_FIELDS,
    SearchDocument,
    build_document,
    listing_highlights,
    query_tokens,
)

#: The single-module layout's names, importable from here as before the split (the vendor modules'
#: constants and helpers included).
__all__ = [
    "BATCH",
    "BOOST_COLUMNS",
    "BOOST_SUFFIX",
    "COMPLETENESS_BOOST",
    "DEFAULT_CACHE_SECONDS",
    "EXTRA_COLUMNS",
    "FACETS_INDEX",
    "FACET_COLUMNS",
    "FACET_TYPES",
    "GENERATION_TABLE",
    "IP_CODES",
    "MAX_COMBINATIONS",
    "PACKED",
    "PACK_BITS",
    "PACK_DIGITS",
    "PACK_LIMIT",
    "PG_CLASSES",
    "PG_RANK_WEIGHTS",
    "PG_TYPO_ALTERNATIVES",
    "PG_TYPO_MIN_LENGTH",
    "PG_TYPO_SIMILARITY",
    "PG_VOCABULARY_MIN_LENGTH",
    "PHRASE_BONUS",
    "PUBLISHED_INDEX",
    "RECENCY_BOOST",
    "RECENCY_SCALE_SECONDS",
    "TABLE",
    "TEXT_COLUMNS",
    "TRL_VALUES",
    "TX_CODES",
    "DatabaseBackend",
    "PostgresDialect",
    "ResultCache",
    "SqliteDialect",
    "dialect_for",
    "facet_values_sql",
    "partial_repeats",
    "price_overlaps",
    "table_ddl",
]

#: One row whose random token changes with every write to the index (migration 0009); cached answers
#: are keyed by it, so none outlives the index state it was computed from.
GENERATION_TABLE = "listings_search_generation"
#: Default of ``settings.SEARCH_CACHE_SECONDS``: the longest a cached answer is served (0: no cache).
#: Index writes invalidate at once; the limit only bounds changes that bypass the services and the index
#: (a listing updated in a shell) until the hourly reconcile repairs the index.
DEFAULT_CACHE_SECONDS = 300


def dialect_for(vendor: str):
    if vendor == "sqlite":
        return SqliteDialect()
    if vendor == "postgresql":
        return PostgresDialect()
    raise NotImplementedError(
        f"The database search backend supports SQLite and PostgreSQL; on {vendor} set "
        "SEARCH_BACKEND = 'elasticsearch' (see docs/search.md)."
    )


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


class DatabaseBackend(SqlitePasses, PostgresPasses):
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
            # The new table has no statistics until autovacuum gets to it (a minute or more), nor has a
            # listing table just bulk-loaded (an import, a restore, the benchmarks' seeding): plan the
            # first searches on real ones (docs/search.md).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {TABLE}, {Listing._meta.db_table}")
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

            def read(not_: str):
                def rows(n: int, skip: int) -> list[tuple[int, float]]:
                    cursor.execute(f"{select} AND {not_}{full_ids}{order}", [*base, text.full, n, skip])
                    return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

                return rows

            def count_full() -> int:
                cursor.execute(
                    f"SELECT count(*) FROM {TABLE} WHERE {d.cond()} AND {rowid} IN ({filtered_sql})",  # noqa: S608
                    [text.full, *filtered_params],
                )
                return int(cursor.fetchone()[0])

            return page_over_tiers(read(""), read("NOT "), count_full, limit, offset)

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
