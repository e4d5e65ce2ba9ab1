"""The embedded search backend: an SQLite FTS5 table of folded text beside the listings table.

Text matching and ranking happen in FTS5 (``bm25`` with column weights, title > keywords > summary >
body), everything else - the published state, filters, facets, sorting - on the ``Listing`` table with
the ORM, joined to the FTS match by a subquery on ids (FTS5 ``rowid`` is the listing id), so nothing
loads all matching ids into Python. Whatever the FTS table holds, only published listings come out.

Ranking, in order: listings containing every word of the query, then (only for queries of two or more
words) listings containing at least half of them; within each, ``-bm25`` × a phrase bonus (the words
side by side, as Vietnamese words are several syllables) × mild boosts for completeness and recency.

PostgreSQL is not implemented yet: every call raises ``NotImplementedError`` there (docs/search.md
describes the plan: a tsvector over the same folded columns).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower, NullIf

from listings.lifecycle import ListingState
from listings.models import IPRight, Listing, TransactionType

from .base import FACETS, PRICE_BANDS, FacetValue, SearchHit, SearchQuery, SearchResult
from .facets import label_facet
from .text import FIELD_WEIGHTS, SearchDocument, build_document, listing_highlights, query_tokens

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


def table_ddl(name: str = TABLE) -> str:
    """The FTS5 table; ``rowid`` is the listing id. Folded text in, so ``unicode61`` only splits."""
    columns = ", ".join([*TEXT_COLUMNS, *(f"{c} UNINDEXED" for c in EXTRA_COLUMNS)])
    return (
        f"CREATE VIRTUAL TABLE {name} USING fts5({columns}, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )


def _quote(token: str) -> str:
    return f'"{token}"'


def match_all(tokens: Sequence[str]) -> str:
    return " AND ".join(_quote(t) for t in tokens)


def match_partial(tokens: Sequence[str]) -> str:
    """Rows with at least ceil(n/2) of the n words (any of them when the combinations get too many)."""
    need = max(1, math.ceil(len(tokens) / 2))
    if need == 1 or math.comb(len(tokens), need) > MAX_COMBINATIONS:
        return " OR ".join(_quote(t) for t in tokens)
    return " OR ".join(f"({match_all(group)})" for group in itertools.combinations(tokens, need))


def match_phrase(tokens: Sequence[str]) -> str:
    return _quote(" ".join(tokens))


def _fts_ids(expr: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [expr])  # noqa: S611, S608


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


class DatabaseBackend:
    name = "database"

    # --- plumbing ---------------------------------------------------------------------------------
    @staticmethod
    def available() -> bool:
        """Whether this database can run the backend (SQLite only so far)."""
        return connection.vendor == "sqlite"

    @staticmethod
    def _require_sqlite() -> None:
        if connection.vendor != "sqlite":
            raise NotImplementedError(
                "The database search backend supports SQLite (FTS5) only so far; on "
                f"{connection.vendor} set SEARCH_BACKEND = 'elasticsearch' (see docs/search.md)."
            )

    @staticmethod
    def _published() -> QuerySet[Listing]:
        return Listing.objects.filter(state=ListingState.PUBLISHED)

    # --- writing ----------------------------------------------------------------------------------
    def _insert(self, cursor, docs: Iterable[SearchDocument], table: str = TABLE) -> int:
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

    @staticmethod
    def _documents(qs: QuerySet[Listing]) -> list[SearchDocument]:
        return [build_document(listing) for listing in qs.select_related("organization", "province")]

    def index(self, listing_ids: Iterable[int]) -> int:
        """Index the published listings among ``listing_ids``, remove the others; safe to repeat."""
        self._require_sqlite()
        ids = sorted({int(i) for i in listing_ids})
        indexed = 0
        for chunk in _chunks(ids):
            with transaction.atomic(), connection.cursor() as cursor:
                docs = self._documents(self._published().filter(id__in=chunk))
                cursor.execute(
                    f"DELETE FROM {TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                    chunk,
                )
                indexed += self._insert(cursor, docs)
        return indexed

    def remove(self, listing_ids: Iterable[int]) -> int:
        self._require_sqlite()
        ids = sorted({int(i) for i in listing_ids})
        removed = 0
        for chunk in _chunks(ids):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                    chunk,
                )
                removed += max(cursor.rowcount, 0)
        return removed

    def rebuild(self, progress=None) -> int:
        """Build a new table from every published listing, then swap it in with one short transaction
        (searches keep answering from the old table meanwhile). ``progress(n)`` is called per batch.

        Index updates made while building land in the old table and are lost with it; run a reconcile
        after (``search_reindex`` does)."""
        self._require_sqlite()
        new = f"{TABLE}_new"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {new}")
            cursor.execute(table_ddl(new))
        total, last_id = 0, 0
        while True:
            chunk = list(
                self._published().filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:BATCH]
            )
            if not chunk:
                break
            with transaction.atomic(), connection.cursor() as cursor:
                done = self._insert(cursor, self._documents(self._published().filter(id__in=chunk)), new)
            total += done
            last_id = chunk[-1]
            if progress:
                progress(done)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
        return total

    # --- reading the index ------------------------------------------------------------------------
    def count(self) -> int:
        self._require_sqlite()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
            return cursor.fetchone()[0]

    def indexed_ids_versions(self, batch: int = 1000):
        """Batches of (listing_id, stamp) in ascending id order."""
        self._require_sqlite()
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
        if connection.vendor != "sqlite":
            return {"ok": False, "backend": self.name, "error": f"not implemented on {connection.vendor}"}
        try:
            documents = self.count()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return {"ok": False, "backend": self.name, "engine": "sqlite-fts5", "error": str(exc)}
        return {"ok": True, "backend": self.name, "engine": "sqlite-fts5", "documents": documents}

    # --- searching --------------------------------------------------------------------------------
    def _filtered(self, query: SearchQuery, *, skip: str | None = None) -> QuerySet[Listing]:
        """Published listings passing every filter of ``query`` except the facet ``skip`` (a facet's
        counts ignore its own selection, so the other values stay visible with their counts)."""
        qs = self._published()
        if query.kind:
            qs = qs.filter(kind=query.kind)
        if query.field and skip != "field":
            qs = qs.filter(Q(field__code=query.field) | Q(field__parent__code=query.field))
        if (query.trl_min is not None or query.trl_max is not None) and skip != "trl":
            low = query.trl_min if query.trl_min is not None else 1
            high = query.trl_max if query.trl_max is not None else 9
            offer = Q(trl__gte=low, trl__lte=high)
            wanted = Q(trl__isnull=True) & (Q(trl_wanted_min__isnull=False) | Q(trl_wanted_max__isnull=False))
            wanted &= Q(trl_wanted_min__isnull=True) | Q(trl_wanted_min__lte=high)
            wanted &= Q(trl_wanted_max__isnull=True) | Q(trl_wanted_max__gte=low)
            qs = qs.filter(offer | wanted)
        if query.ip_type and skip != "ip_type":
            qs = qs.filter(Exists(IPRight.objects.filter(listing=OuterRef("pk"), type=query.ip_type)))
        if query.transaction_type and skip != "transaction_type":
            qs = qs.filter(transaction_types__icontains=f'"{query.transaction_type}"')
        if query.province and skip != "province":
            qs = qs.filter(province__code=query.province)
        if query.organization and skip != "organization":
            qs = qs.filter(organization__ref=query.organization, anonymous=False)
        if (query.price_min is not None or query.price_max is not None) and skip != "price_band":
            qs = qs.filter(price_overlaps(query.price_min, query.price_max))
        return qs

    def _matching(self, qs: QuerySet[Listing], tokens: Sequence[str]) -> QuerySet[Listing]:
        if not tokens:
            return qs
        expr = match_all(tokens) if len(tokens) == 1 else match_partial(tokens)
        return qs.filter(id__in=_fts_ids(expr))

    def _ranked_page(self, qs: QuerySet[Listing], tokens: Sequence[str], limit: int, offset: int):
        """(id, score) of one page by relevance: full matches first, then partial ones."""
        filtered_sql, filtered_params = qs.values("id").query.sql_with_params()
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS.values())
        boost = (
            f"(1.0 + {COMPLETENESS_BOOST} * {TABLE}.completeness"
            f" + {RECENCY_BOOST} / (1.0 + max(0.0, %s - {TABLE}.published_ts) / {RECENCY_SCALE_SECONDS}.0))"
        )
        select_params: list = [time.time()]
        if len(tokens) > 1:
            full = f"({TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s))"  # noqa: S608
            phrase = (
                f"(CASE WHEN {TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s) "  # noqa: S608
                f"THEN {PHRASE_BONUS} ELSE 1.0 END)"
            )
            select_params += [match_phrase(tokens), match_all(tokens)]
            expr = match_partial(tokens)
        else:
            full, phrase, expr = "1", "1.0", match_all(tokens)
        sql = (
            f"SELECT {TABLE}.rowid, -bm25({TABLE}, {weights}) * {boost} * {phrase} AS score, {full} AS full "  # noqa: S608
            f"FROM {TABLE} WHERE {TABLE} MATCH %s AND +{TABLE}.rowid IN ({filtered_sql}) "
            f"ORDER BY full DESC, score DESC, {TABLE}.rowid DESC LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*select_params, expr, *filtered_params, limit, offset])
            return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

    @staticmethod
    def _sorted(qs: QuerySet[Listing], query: SearchQuery, tokens: Sequence[str]) -> QuerySet[Listing]:
        order: list = []
        if len(tokens) > 1:
            qs = qs.annotate(
                _full=Case(
                    When(id__in=_fts_ids(match_all(tokens)), then=Value(1)),
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
        self._require_sqlite()
        query = query.normalized()
        tokens = query_tokens(query.q)
        if query.q and not tokens:  # only punctuation: nothing can match
            return SearchResult(total=0, backend=self.name)
        qs = self._matching(self._filtered(query), tokens)
        total = qs.count()
        if total and query.offset < total:
            if tokens and query.sort == "relevance":
                page = self._ranked_page(self._filtered(query), tokens, query.page_size, query.offset)
            else:
                ids = self._sorted(qs, query, tokens).values_list("id", flat=True)
                page = [(i, 0.0) for i in ids[query.offset : query.offset + query.page_size]]
        else:
            page = []
        hits = self._hits(page, tokens, query.language)
        facets = self._facets(query, tokens) if query.facets else {}
        return SearchResult(total=total, hits=hits, facets=facets, backend=self.name)

    @staticmethod
    def _hits(page: list[tuple[int, float]], tokens: Sequence[str], language: str) -> list[SearchHit]:
        if not page:
            return []
        listings = {}
        if tokens:
            listings = Listing.objects.select_related("organization").in_bulk([i for i, _ in page])
        return [
            SearchHit(i, score, listing_highlights(listings[i], tokens, language) if i in listings else {})
            for i, score in page
        ]

    # --- facets -------------------------------------------------------------------------------------
    def _facets(self, query: SearchQuery, tokens: Sequence[str]) -> dict[str, list[FacetValue]]:
        """One aggregate query per facet over the matching listings, minus the facet's own filter."""
        lang = query.language
        out: dict[str, list[FacetValue]] = {}
        for name in FACETS:
            base = self._matching(self._filtered(query, skip=name), tokens).order_by()
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
            else:  # price_band
                conditions = {
                    band.code: Count(
                        "id",
                        filter=price_overlaps(band.low, None if band.high is None else band.high - 1),
                    )
                    for band in PRICE_BANDS
                }
                rows = list(base.aggregate(**conditions).items())
            out[name] = label_facet(name, rows, lang)
        return out

    # --- suggestions --------------------------------------------------------------------------------
    def suggest(self, prefix: str, kind: str | None = None, limit: int = 8, language: str = "vi"):
        """Titles of published listings whose title has the typed words, the last one as a prefix:
        [(listing_id, title)], best first."""
        self._require_sqlite()
        tokens = query_tokens(prefix)
        if not tokens or len(tokens[-1]) < 2:
            return []
        parts = [_quote(t) for t in tokens[:-1]] + [f"{_quote(tokens[-1])}*"]
        expr = "{title} : (" + " AND ".join(parts) + ")"
        qs = self._published()
        if kind:
            qs = qs.filter(kind=kind)
        filtered_sql, filtered_params = qs.values("id").query.sql_with_params()
        sql = (
            f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s AND +rowid IN ({filtered_sql}) "  # noqa: S608
            f"ORDER BY bm25({TABLE}) LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [expr, *filtered_params, max(1, min(int(limit), 20))])
            ids = [int(r[0]) for r in cursor.fetchall()]
        titles = Listing.objects.in_bulk(ids)
        return [(i, titles[i].t("title", language)) for i in ids if i in titles]
