"""The Elasticsearch backend: Elasticsearch 9 through ``elasticsearch.dsl``, behind ``SearchBackend``.

(Python 3 imports are absolute, so ``import elasticsearch`` below is the client package, not this
module, even though this module is ``listings.search.elasticsearch``.)

Index layout
    Searches and writes go to an ALIAS (``ELASTICSEARCH_INDEX``, default ``listings``) that points to
    one concrete, timestamped index (``listings-20261122041530123456``). ``rebuild`` creates a new
    index, bulk-loads every published listing, then moves the alias in one atomic ``_aliases`` call and
    deletes the old index, so searches answer throughout. While a rebuild runs the new index also
    carries the alias ``<alias>-rebuild`` and ``index``/``remove`` write to it as well, so updates made
    during a rebuild are not lost with the old index.

Analysis
    Every text field gets the analyzer explicitly (osmem, the in-memory test server, ignores an
    index-level default): ``vi_folded`` = standard tokenizer + lowercase + asciifolding, so 'Đại học',
    'ĐẠI HỌC' and 'dai hoc' are the same tokens (asciifolding maps đ→d). Each text field has an
    ``.exact`` sub-field (lowercase only) queried with a small boost, so typing the diacritics ranks the
    exact spelling higher. Both languages are indexed side by side (``title_vi``, ``title_en``...).

Relevance (the same core as the database backend; see docs/search-elasticsearch.md)
    Candidates contain at least half of the query's words (one word: that word), or every word allowing
    typos. Listings containing every word come first (a function_score filter weight), then the partial
    ones. Within a tier: BM25 over title^4 > keywords^3 > summary^2 > body^1 (organisation name and
    province searchable too), + the words as a phrase, + exact diacritics, × mild boosts for
    completeness and recency (up to +20 % each).

Only published listings ever come out: only published ones are indexed, and every page of hits is
checked against the database (a listing unpublished while the cluster was unreachable stays out).

Settings (all optional, read with defaults):

- ``ELASTICSEARCH_URL`` (``http://localhost:9200``; credentials may be in the URL)
- ``ELASTICSEARCH_INDEX`` (``listings``): the alias; concrete indices are ``<alias>-<timestamp>``
- ``ELASTICSEARCH_TIMEOUT`` (5 s per request), ``ELASTICSEARCH_BULK_TIMEOUT`` (60 s),
  ``ELASTICSEARCH_MAX_RETRIES`` (2), ``ELASTICSEARCH_OPTIONS`` (extra ``Elasticsearch(...)`` keyword
  arguments: ``api_key``, ``ca_certs``...)
- ``ELASTICSEARCH_REFRESH`` (``"wait_for"``): the ``refresh`` of index updates; ``False`` for bulk-heavy
  deployments that accept a second of delay, ``True`` in tests
- ``ELASTICSEARCH_FUZZINESS`` (``"AUTO:5,8"``): typo tolerance; ``None`` turns it off
- ``ELASTICSEARCH_SHARDS`` (1), ``ELASTICSEARCH_REPLICAS`` (None: the cluster's default)
- ``ELASTICSEARCH_NODE_CLASS`` (None): dotted path of an ``elastic_transport`` node class. Production
  leaves it unset; the tests set it to ``listings.tests.search.osmem.OsmemNode`` (osmem rejects the
  client's ``compatible-with=9`` media types).
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import elasticsearch
from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from elasticsearch import helpers
from elasticsearch.dsl import (
    A,
    Date,
    Document,
    Float,
    Index,
    Integer,
    Keyword,
    Long,
    Q,
    Search,
    SearchAsYouType,
    Text,
    analyzer,
)
from elasticsearch.dsl.query import SF

from listings.lifecycle import ListingState
from listings.models import IPRight, Listing

from .base import FACETS, PRICE_BANDS, SearchError, SearchHit, SearchQuery, SearchResult
from .facets import label_facet
from .text import BODY_FIELDS, completeness, document_stamp, fold, query_tokens

logger = logging.getLogger(__name__)

BATCH = 500
#: Relevance weights of the text fields (each has an ``.exact`` twin queried at EXACT_FACTOR).
FIELD_BOOSTS: dict[str, float] = {
    "title_vi": 4,
    "title_en": 4,
    "keywords": 3,
    "summary_vi": 2,
    "summary_en": 2,
    "body_vi": 1,
    "body_en": 1,
    "org_name": 1.5,
    "place": 1,
}
EXACT_FACTOR = 0.5
PHRASE_BOOST = 2.0
#: Listings containing every word are multiplied by this, so they always come before partial matches.
FULL_MATCH_WEIGHT = 1000.0
COMPLETENESS_BOOST = 0.2
RECENCY_BOOST = 0.2
RECENCY_SCALE = "365d"  # the recency boost halves after a year
FACET_SIZE = 200
NO_PRICE_LIMIT = 2**62  # the upper end of a price given only as a minimum
SEARCH_ERRORS = (elasticsearch.ApiError, elasticsearch.TransportError)

# --- mapping ---------------------------------------------------------------------------------------
vi_folded = analyzer("vi_folded", tokenizer="standard", filter=["lowercase", "asciifolding"])
vi_exact = analyzer("vi_exact", tokenizer="standard", filter=["lowercase"])


def _text(**kwargs) -> Text:
    """A text field folded for matching, with an unfolded ``.exact`` twin; analyzers set explicitly."""
    return Text(
        analyzer=vi_folded, search_analyzer=vi_folded, fields={"exact": Text(analyzer=vi_exact)}, **kwargs
    )


class ListingDocument(Document):
    """One published listing. The document id is the listing id."""

    listing_id = Integer()
    kind = Keyword()
    state = Keyword()
    stamp = Keyword()

    title_vi = _text()
    title_en = _text()
    summary_vi = _text()
    summary_en = _text()
    body_vi = _text()
    body_en = _text()
    keywords = _text(multi=True)
    org_name = _text(multi=True)  # empty for anonymous requests: their name must not find them
    place = _text(multi=True)
    title_suggest = SearchAsYouType(analyzer=vi_folded, multi=True)
    title_sort_vi = Keyword()  # folded, so 'Đ' sorts with 'D'
    title_sort_en = Keyword()

    field_codes = Keyword(multi=True)  # the field's code and its parent's: "2.07" and "2"
    field_top = Keyword()  # the top-level code, the value of the ``field`` facet
    trl = Integer()
    trl_wanted_min = Integer()
    trl_wanted_max = Integer()
    ip_types = Keyword(multi=True)
    transaction_types = Keyword(multi=True)
    province = Keyword()
    organization = Keyword()  # the organisation's ref; absent for anonymous requests
    origin = Keyword()  # the exchange the listing comes from (ours or a peer's code)
    # A price range for filters: only a minimum means "from" it (up to anything), only a maximum
    # "up to" it (from 0); absent when the listing has no price. Sorting uses the given bounds.
    price_lo = Long()
    price_hi = Long()
    price_sort_min = Long()  # coalesce(price_min, price_max)
    price_sort_max = Long()  # coalesce(price_max, price_min)
    price_bands = Keyword(multi=True)
    published_at = Date()
    completeness = Float()


TEXT_FIELDS = tuple(FIELD_BOOSTS)


def _join(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def price_bands(lo: int | None, hi: int | None) -> list[str]:
    """The ``PRICE_BANDS`` a [lo, hi] price range overlaps (as the database backend counts them)."""
    if lo is None or hi is None:
        return []
    return [
        band.code
        for band in PRICE_BANDS
        if (band.low is None or hi >= band.low) and (band.high is None or lo < band.high)
    ]


def listing_source(listing: Listing) -> dict[str, Any]:
    """The indexed document of a published listing (needs field, organisation, province, ip_rights)."""
    org = listing.organization
    province = listing.province
    field = listing.field
    parent_code = field.parent.code if field.parent_id else None
    priced = listing.price_min is not None or listing.price_max is not None
    price_lo = (listing.price_min or 0) if priced else None
    price_hi = (listing.price_max if listing.price_max is not None else NO_PRICE_LIMIT) if priced else None
    keywords = [str(k) for k in listing.keywords] if isinstance(listing.keywords, list) else []
    title_vi = listing.title_vi or listing.title_en
    title_en = listing.title_en or listing.title_vi
    return {
        "listing_id": listing.pk,
        "kind": listing.kind,
        "state": listing.state,
        "stamp": document_stamp(listing.version, listing.updated_at, org.updated_at),
        "title_vi": listing.title_vi,
        "title_en": listing.title_en,
        "summary_vi": listing.summary_vi,
        "summary_en": listing.summary_en,
        "body_vi": _join(*(getattr(listing, f"{name}_vi", "") for name in BODY_FIELDS)),
        "body_en": _join(*(getattr(listing, f"{name}_en", "") for name in BODY_FIELDS)),
        "keywords": keywords,
        "org_name": [] if listing.anonymous else [n for n in (org.name, org.name_en, org.short_name) if n],
        "place": [n for n in (province.name, province.name_en) if n] if province else [],
        "title_suggest": [t for t in dict.fromkeys((listing.title_vi, listing.title_en)) if t],
        "title_sort_vi": fold(title_vi)[:200],
        "title_sort_en": fold(title_en)[:200],
        "field_codes": [c for c in (field.code, parent_code) if c],
        "field_top": parent_code or field.code,
        "trl": listing.trl,
        "trl_wanted_min": listing.trl_wanted_min,
        "trl_wanted_max": listing.trl_wanted_max,
        "ip_types": sorted({right.type for right in listing.ip_rights.all()}),
        "transaction_types": list(listing.transaction_types or []),
        "province": province.code if province else None,
        "organization": None if listing.anonymous else org.ref,
        "origin": listing.origin,
        "price_lo": price_lo,
        "price_hi": price_hi,
        "price_sort_min": listing.price_min if listing.price_min is not None else listing.price_max,
        "price_sort_max": listing.price_max if listing.price_max is not None else listing.price_min,
        "price_bands": price_bands(price_lo, price_hi),
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
        "completeness": completeness(listing),
    }


def published_listings(ids: Iterable[int] | None = None):
    """Published listings with everything ``listing_source`` reads, in one query plus one prefetch."""
    from listings.selectors import listings_public

    qs = listings_public().prefetch_related(
        Prefetch("ip_rights", queryset=IPRight.objects.only("id", "listing_id", "type"))
    )
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return qs.order_by("id")


def _chunks(ids: Sequence[int], size: int = BATCH):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# --- the query ---------------------------------------------------------------------------------------
def _weighted(factor: float = 1.0, suffix: str = "") -> list[str]:
    return [f"{name}{suffix}^{boost * factor:g}" for name, boost in FIELD_BOOSTS.items()]


def _word(token: str, fuzziness: str | None = None) -> Q:
    """One query word found in any text field (the best field counts, the others a little)."""
    extra = {"fuzziness": fuzziness, "prefix_length": 1, "max_expansions": 50} if fuzziness else {}
    return Q("multi_match", query=token, fields=_weighted(), type="best_fields", tie_breaker=0.3, **extra)


class _TextQuery:
    """The clauses of a text query, built once per search."""

    def __init__(self, q: str, tokens: Sequence[str], fuzziness: str | None):
        self.tokens = list(tokens)
        exact_all = Q("bool", filter=[_word(t) for t in tokens])
        if fuzziness:
            fuzzy_all = Q("bool", filter=[_word(t, fuzziness) for t in tokens])
            self.full = Q("bool", should=[exact_all, fuzzy_all], minimum_should_match=1)
        else:
            fuzzy_all, self.full = None, exact_all
        need = 1 if len(tokens) == 1 else math.ceil(len(tokens) / 2)
        partial = Q("bool", should=[_word(t) for t in tokens], minimum_should_match=need)
        #: which listings match at all: at least half the words, or every word allowing typos
        self.match = Q("bool", should=[partial, fuzzy_all], minimum_should_match=1) if fuzzy_all else partial
        #: what scores: each word (typos allowed, scoring lower), the phrase, the exact diacritics
        self.scoring = [
            *(_word(t, fuzziness) for t in tokens),
            Q("multi_match", query=" ".join(tokens), fields=_weighted(), type="phrase", boost=PHRASE_BOOST),
            Q("multi_match", query=q[:500], fields=_weighted(EXACT_FACTOR, ".exact"), type="best_fields"),
        ]

    def relevance(self, filters: list[Q]) -> Q:
        scored = Q("bool", should=self.scoring, filter=[self.match, *filters])
        functions = [
            SF({"filter": self.full, "weight": FULL_MATCH_WEIGHT}),
            SF({"weight": 1.0}),
            SF(
                {
                    "gauss": {"published_at": {"origin": "now", "scale": RECENCY_SCALE, "decay": 0.5}},
                    "weight": RECENCY_BOOST,
                }
            ),
            SF({"field_value_factor": {"field": "completeness", "missing": 0}, "weight": COMPLETENESS_BOOST}),
        ]
        return Q("function_score", query=scored, functions=functions, score_mode="sum", boost_mode="multiply")

    def tiered(self, filters: list[Q]) -> Q:
        """For sorts other than relevance: score 1 for full matches and 0 for partial ones, so sorting
        by ``_score`` first keeps full matches ahead, as the database backend does."""
        return Q(
            "bool", filter=[self.match, *filters], should=[Q("constant_score", filter=self.full, boost=1)]
        )


def _filters(query: SearchQuery, skip: str | None = None) -> list[Q]:
    """The filters of ``query`` as ES queries, minus the facet ``skip`` (a facet counts without its own
    selection). Mirrors ``DatabaseBackend._filtered``."""
    out: list[Q] = []
    if query.field and skip != "field":
        out.append(Q("term", field_codes=query.field))
    if (query.trl_min is not None or query.trl_max is not None) and skip != "trl":
        low = query.trl_min if query.trl_min is not None else 1
        high = query.trl_max if query.trl_max is not None else 9
        offer = Q("range", trl={"gte": low, "lte": high})
        wanted = Q(
            "bool",
            must_not=[Q("exists", field="trl")],
            filter=[
                Q(
                    "bool",
                    should=[Q("exists", field="trl_wanted_min"), Q("exists", field="trl_wanted_max")],
                    minimum_should_match=1,
                ),
                Q(
                    "bool",
                    should=[~Q("exists", field="trl_wanted_min"), Q("range", trl_wanted_min={"lte": high})],
                    minimum_should_match=1,
                ),
                Q(
                    "bool",
                    should=[~Q("exists", field="trl_wanted_max"), Q("range", trl_wanted_max={"gte": low})],
                    minimum_should_match=1,
                ),
            ],
        )
        out.append(Q("bool", should=[offer, wanted], minimum_should_match=1))
    if query.ip_type and skip != "ip_type":
        out.append(Q("term", ip_types=query.ip_type))
    if query.transaction_type and skip != "transaction_type":
        out.append(Q("term", transaction_types=query.transaction_type))
    if query.province and skip != "province":
        out.append(Q("term", province=query.province))
    if query.organization and skip != "organization":
        out.append(Q("term", organization=query.organization))
    if query.origin and skip != "origin":
        out.append(Q("term", origin=query.origin))
    if (query.price_min is not None or query.price_max is not None) and skip != "price_band":
        out.append(Q("exists", field="price_lo"))
        if query.price_min is not None:
            out.append(Q("range", price_hi={"gte": query.price_min}))
        if query.price_max is not None:
            out.append(Q("range", price_lo={"lte": query.price_max}))
    return out


#: facet name → the indexed keyword/integer field its values come from
FACET_FIELDS = {
    "field": "field_top",
    "trl": "trl",
    "ip_type": "ip_types",
    "transaction_type": "transaction_types",
    "province": "province",
    "organization": "organization",
    "price_band": "price_bands",
    "origin": "origin",
}
assert set(FACET_FIELDS) == set(FACETS)


def _sort(query: SearchQuery) -> list:
    lang = "en" if query.language == "en" else "vi"
    if query.sort == "relevance":
        return ["_score", {"listing_id": "desc"}]
    head: list = ["_score"]  # tiered(): full matches first (a constant when there is no text)
    if query.sort == "title":
        return [*head, {f"title_sort_{lang}": {"order": "asc"}}, {"listing_id": "asc"}]
    if query.sort == "trl":
        return [
            *head,
            {"trl": {"order": "desc", "missing": "_last"}},
            {"published_at": {"order": "desc", "missing": "_last"}},
            {"listing_id": "desc"},
        ]
    if query.sort == "price_asc":
        return [*head, {"price_sort_min": {"order": "asc", "missing": "_last"}}, {"listing_id": "desc"}]
    if query.sort == "price_desc":
        return [*head, {"price_sort_max": {"order": "desc", "missing": "_last"}}, {"listing_id": "desc"}]
    return [*head, {"published_at": {"order": "desc", "missing": "_last"}}, {"listing_id": "desc"}]


#: highlighted ES field → (SearchHit highlight key, language or None)
HIGHLIGHT_FIELDS = {
    "title_vi": ("title", "vi"),
    "title_en": ("title", "en"),
    "summary_vi": ("summary", "vi"),
    "summary_en": ("summary", "en"),
    "body_vi": ("description", "vi"),
    "body_en": ("description", "en"),
    "keywords": ("keywords", None),
    "org_name": ("organization", None),
}


_ADJACENT_MARKS = re.compile(r"</mark>(\s+)<mark>")
_TAGS = re.compile(r"</?mark>")


def _merge_marks(fragment: str) -> str:
    """'<mark>xử</mark> <mark>lý</mark>' → '<mark>xử lý</mark>', as the database backend marks words."""
    return _ADJACENT_MARKS.sub(r"\1", fragment)


def _excerpt(fragment: str, body: str) -> str:
    """A body fragment with '…' where it does not reach the start or the end of the body."""
    plain = html.unescape(_TAGS.sub("", fragment)).strip()
    prefix = "" if body.lstrip().startswith(plain) else "…"
    suffix = "" if body.rstrip().endswith(plain) else "…"
    return f"{prefix}{fragment}{suffix}"


def _highlights(raw: dict[str, list[str]], source: dict[str, Any], language: str) -> dict:
    """ES highlight fragments (HTML-escaped by ``encoder: html``) → ``SearchHit.highlights`` with the
    keys of the interface (title, summary, description, keywords, organization), the visitor's language
    first."""
    out: dict = {}
    order = ("en", "vi") if language == "en" else ("vi", "en")
    for key, es_name in (("title", "title"), ("summary", "summary"), ("description", "body")):
        for lang in order:
            fragments = raw.get(f"{es_name}_{lang}")
            if fragments:
                text = _merge_marks(fragments[0])
                if key == "description":
                    text = _excerpt(text, source.get(f"body_{lang}") or "")
                out[key] = mark_safe(text)  # noqa: S308 - escaped by Elasticsearch (encoder: html)
                break
    if raw.get("keywords"):
        out["keywords"] = mark_safe(", ".join(_merge_marks(k) for k in raw["keywords"]))  # noqa: S308
    if raw.get("org_name"):
        out["organization"] = mark_safe(_merge_marks(raw["org_name"][0]))  # noqa: S308
    return out


class ElasticsearchBackend:
    """``SearchBackend`` on Elasticsearch 9 (or anything speaking its REST API: OpenSearch, osmem)."""

    name = "elasticsearch"

    def __init__(self, *, url: str | None = None, alias: str | None = None, client=None):
        self.url = url or getattr(settings, "ELASTICSEARCH_URL", "http://localhost:9200")
        self.alias = (alias or getattr(settings, "ELASTICSEARCH_INDEX", "listings")).lower()
        self._client = client
        self.fuzziness = getattr(settings, "ELASTICSEARCH_FUZZINESS", "AUTO:5,8")
        self.refresh = getattr(settings, "ELASTICSEARCH_REFRESH", "wait_for")

    # --- plumbing ----------------------------------------------------------------------------------
    @property
    def client(self) -> elasticsearch.Elasticsearch:
        if self._client is None:
            options: dict[str, Any] = {
                "request_timeout": getattr(settings, "ELASTICSEARCH_TIMEOUT", 5),
                "max_retries": getattr(settings, "ELASTICSEARCH_MAX_RETRIES", 2),
                "retry_on_timeout": True,
                **getattr(settings, "ELASTICSEARCH_OPTIONS", {}),
            }
            node_class = getattr(settings, "ELASTICSEARCH_NODE_CLASS", None)
            if node_class:
                options["node_class"] = (
                    import_string(node_class) if isinstance(node_class, str) else node_class
                )
            self._client = elasticsearch.Elasticsearch(self.url, **options)
        return self._client

    @property
    def rebuild_alias(self) -> str:
        return f"{self.alias}-rebuild"

    def _bulk_client(self):
        return self.client.options(request_timeout=getattr(settings, "ELASTICSEARCH_BULK_TIMEOUT", 60))

    def _aliased(self, name: str) -> list[str]:
        """The concrete indices behind an alias (none if it does not exist)."""
        try:
            return sorted(self.client.indices.get_alias(name=name).body)
        except elasticsearch.NotFoundError:
            return []

    def _new_index(self, *, building: bool) -> str:
        """Create a timestamped index with the mapping; ``building`` marks it as a rebuild target."""
        name = f"{self.alias}-{timezone.now():%Y%m%d%H%M%S%f}"
        index = Index(name, using=self.client)
        index_settings: dict[str, Any] = {"number_of_shards": getattr(settings, "ELASTICSEARCH_SHARDS", 1)}
        replicas = getattr(settings, "ELASTICSEARCH_REPLICAS", None)
        if replicas is not None:
            index_settings["number_of_replicas"] = replicas
        index.settings(**index_settings)
        index.document(ListingDocument)
        if building:
            index.aliases(**{self.rebuild_alias: {}})
        index.create()
        return name

    def ensure_index(self) -> str:
        """The index behind the alias, creating an empty one (and the alias) the first time."""
        current = self._aliased(self.alias)
        if current:
            return current[0]
        name = self._new_index(building=False)
        self.client.indices.update_aliases(actions=[{"add": {"index": name, "alias": self.alias}}])
        return name

    def _write_targets(self) -> list[str]:
        """Where updates go: the live index, and a rebuild's new index while one runs."""
        return [self.ensure_index(), *self._aliased(self.rebuild_alias)]

    def _run_bulk(self, actions: list[dict], refresh=None) -> int:
        """Run a bulk request; returns how many actions succeeded. A delete of a missing document is no
        error (removing is idempotent); any other failure raises ``SearchError``."""
        if not actions:
            return 0
        ok, errors = helpers.bulk(
            self._bulk_client(),
            actions,
            raise_on_error=False,
            refresh=self.refresh if refresh is None else refresh,
        )
        real = [e for e in errors if not ("delete" in e and e["delete"].get("status") == 404)]
        if real:
            raise SearchError(f"Elasticsearch bulk: {len(real)} failed, first: {real[0]!r}"[:1000])
        return ok

    # --- writing -------------------------------------------------------------------------------------
    def index(self, listing_ids) -> int:
        """Index the published listings among ``listing_ids`` and delete the others; safe to repeat.
        Raises on any failure, so a queued task is retried."""
        ids = sorted({int(i) for i in listing_ids})
        if not ids:
            return 0
        targets = self._write_targets()
        indexed = 0
        for chunk in _chunks(ids):
            sources = [listing_source(listing) for listing in published_listings(chunk)]
            present = {s["listing_id"] for s in sources}
            actions: list[dict] = []
            for target in targets:
                actions += [{"_index": target, "_id": s["listing_id"], "_source": s} for s in sources]
                actions += [
                    {"_op_type": "delete", "_index": target, "_id": i} for i in chunk if i not in present
                ]
            self._run_bulk(actions)
            indexed += len(sources)
        return indexed

    def remove(self, listing_ids) -> int:
        ids = sorted({int(i) for i in listing_ids})
        if not ids:
            return 0
        live, *building = self._write_targets()
        removed = 0
        for chunk in _chunks(ids):
            removed += self._run_bulk([{"_op_type": "delete", "_index": live, "_id": i} for i in chunk])
            self._run_bulk([{"_op_type": "delete", "_index": t, "_id": i} for t in building for i in chunk])
        return removed

    def rebuild(self, progress: Callable[[int], Any] | None = None) -> int:
        """Build a new index from every published listing and swap the alias to it atomically, then
        delete the old index. Searches keep answering from the old index until the swap."""
        for stale in self._aliased(self.rebuild_alias):  # a crashed earlier rebuild
            self.client.indices.delete(index=stale)
        name = self._new_index(building=True)
        bulk = self._bulk_client()
        total, last_id = 0, 0
        try:
            while True:
                chunk = list(
                    Listing.objects.filter(state=ListingState.PUBLISHED, id__gt=last_id)
                    .order_by("id")
                    .values_list("id", flat=True)[:BATCH]
                )
                if not chunk:
                    break
                sources = [listing_source(listing) for listing in published_listings(chunk)]
                _ok, errors = helpers.bulk(
                    bulk,
                    ({"_index": name, "_id": s["listing_id"], "_source": s} for s in sources),
                    raise_on_error=False,
                )
                if errors:
                    raise SearchError(
                        f"Elasticsearch bulk: {len(errors)} failed, first: {errors[0]!r}"[:1000]
                    )
                total += len(sources)
                last_id = chunk[-1]
                if progress:
                    progress(len(sources))
            self.client.indices.refresh(index=name)
            old = self._aliased(self.alias)
            actions: list[dict] = [{"remove": {"index": o, "alias": self.alias}} for o in old]
            if not old and self.client.indices.exists(index=self.alias):
                actions.append({"remove_index": {"index": self.alias}})  # a plain index in the alias's place
            actions += [
                {"add": {"index": name, "alias": self.alias}},
                {"remove": {"index": name, "alias": self.rebuild_alias}},
            ]
            self.client.indices.update_aliases(actions=actions)
        except BaseException:
            self.client.indices.delete(index=name, ignore_unavailable=True)
            raise
        for o in old:
            self.client.indices.delete(index=o, ignore_unavailable=True)
        return total

    def delete_all(self) -> None:
        """Drop the alias and every index of this backend (tests, and ``search_reindex --drop``)."""
        names = set(self._aliased(self.alias)) | set(self._aliased(self.rebuild_alias))
        for name in names:
            self.client.indices.delete(index=name, ignore_unavailable=True)

    # --- reading the index ----------------------------------------------------------------------------
    def count(self) -> int:
        try:
            return int(self.client.count(index=self.alias)["count"])
        except elasticsearch.NotFoundError:
            return 0
        except SEARCH_ERRORS as exc:
            raise SearchError(f"Elasticsearch count failed: {exc}") from exc

    def indexed_ids_versions(self, batch: int = 1000):
        """Batches of (listing_id, stamp) in ascending id order (``search_after`` on ``listing_id``)."""
        after = None
        while True:
            s = Search(using=self.client, index=self.alias).source(["stamp"]).sort({"listing_id": "asc"})
            s = s.extra(size=batch, track_total_hits=False)
            if after is not None:
                s = s.extra(search_after=[after])
            try:
                response = s.execute()
            except elasticsearch.NotFoundError:
                return
            except SEARCH_ERRORS as exc:
                raise SearchError(f"Elasticsearch scan failed: {exc}") from exc
            rows = [(int(hit.meta.id), str(getattr(hit, "stamp", ""))) for hit in response.hits]
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def health(self) -> dict[str, Any]:
        report: dict[str, Any] = {"backend": self.name, "url": _safe_url(self.url), "alias": self.alias}
        try:
            info = self.client.info()
            report["engine"] = info["version"].get("distribution", "elasticsearch")
            report["version"] = info["version"].get("number")
            report["cluster_status"] = self.client.cluster.health()["status"]
            indices = self._aliased(self.alias)
            report["index"] = indices[0] if indices else None
            report["rebuilding"] = bool(self._aliased(self.rebuild_alias))
            report["documents"] = self.count() if indices else 0
            report["ok"] = bool(indices) and report["cluster_status"] in ("green", "yellow")
            if not indices:
                report["error"] = f"alias {self.alias!r} missing: run `manage.py search_reindex`"
        except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
            report.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
        return report

    # --- searching --------------------------------------------------------------------------------------
    def _search(self) -> Search:
        # Search(...) directly, not ListingDocument.search(): the 9.x DSL adds
        # ``_source: {"exclude_vectors": false}`` there, which older servers and osmem reject.
        return Search(using=self.client, index=self.alias)

    def search(self, query: SearchQuery) -> SearchResult:
        query = query.normalized()
        tokens = query_tokens(query.q)
        if query.q and not tokens:  # only punctuation: nothing can match
            return SearchResult(total=0, backend=self.name)
        base_filters = [Q("term", kind=query.kind)] if query.kind else []
        filters = _filters(query)
        text = _TextQuery(query.q, tokens, self.fuzziness) if tokens else None
        s = self._search()
        if text and query.sort == "relevance":
            s = s.query(text.relevance(base_filters))
        elif text:
            s = s.query(text.tiered(base_filters))
        else:
            s = s.query(Q("bool", filter=base_filters or [Q("match_all")]))
        if filters:
            s = s.post_filter(Q("bool", filter=filters))
        s = (
            s.sort(*_sort(query))
            .source(["body_vi", "body_en"] if text else False)
            .extra(track_total_hits=True)
        )
        s = s[query.offset : query.offset + query.page_size]
        if text:
            s = s.highlight_options(
                encoder="html",
                pre_tags=["<mark>"],
                post_tags=["</mark>"],
                highlight_query=Q("bool", should=text.scoring).to_dict(),
                require_field_match=False,
            )
            for name in HIGHLIGHT_FIELDS:
                if name.startswith("body"):
                    s = s.highlight(name, fragment_size=200, number_of_fragments=1)
                else:
                    s = s.highlight(name, number_of_fragments=0)
        if query.facets:
            for name, es_field in FACET_FIELDS.items():
                agg = A("filter", Q("bool", filter=_filters(query, skip=name)))
                agg.bucket("values", "terms", field=es_field, size=FACET_SIZE)
                s.aggs.bucket(name, agg)
        try:
            response = s.execute()
        except SEARCH_ERRORS as exc:
            raise SearchError(f"Elasticsearch search failed: {exc}") from exc
        ids = [int(hit.meta.id) for hit in response.hits]
        live = set(
            Listing.objects.filter(id__in=ids, state=ListingState.PUBLISHED).values_list("id", flat=True)
        )
        if len(live) < len(ids):
            logger.warning(
                "Search index holds unpublished listings %s; the reconcile will remove them", set(ids) - live
            )
        hits = [
            SearchHit(
                int(hit.meta.id),
                float(hit.meta.score or 0.0),
                _highlights(_raw_highlight(hit), hit.to_dict(), query.language),
            )
            for hit in response.hits
            if int(hit.meta.id) in live
        ]
        total = max(0, response.hits.total.value - (len(ids) - len(live)))
        facets = {}
        if query.facets:
            for name in FACETS:
                buckets = response.aggregations[name]["values"]["buckets"]
                facets[name] = label_facet(
                    name, [(str(b["key"]), b["doc_count"]) for b in buckets], query.language
                )
        return SearchResult(total=total, hits=hits, facets=facets, backend=self.name)

    def suggest(self, prefix: str, kind: str | None = None, limit: int = 8, language: str = "vi"):
        """Titles whose words start as typed, in any position ('nuoc th' → 'Công nghệ xử lý nước
        thải'), from the ``search_as_you_type`` field: [(listing_id, title)], best first."""
        tokens = query_tokens(prefix)
        if not tokens or len(tokens[-1]) < 2:
            return []
        limit = max(1, min(int(limit), 20))
        s = self._search().query(
            Q(
                "bool",
                must=[
                    Q(
                        "multi_match",
                        query=" ".join(tokens),
                        type="bool_prefix",
                        operator="and",
                        fields=["title_suggest", "title_suggest._2gram", "title_suggest._3gram"],
                    )
                ],
                filter=[Q("term", kind=kind)] if kind else [],
            )
        )
        s = s.sort("_score", {"listing_id": "desc"}).source(False)[:limit]
        try:
            response = s.execute()
        except SEARCH_ERRORS as exc:
            raise SearchError(f"Elasticsearch suggest failed: {exc}") from exc
        ids = [int(hit.meta.id) for hit in response.hits]
        titles = Listing.objects.filter(state=ListingState.PUBLISHED).in_bulk(ids)
        return [(i, titles[i].t("title", language)) for i in ids if i in titles]


def _raw_highlight(hit) -> dict[str, list[str]]:
    found = getattr(hit.meta, "highlight", None)
    return found.to_dict() if found is not None else {}


def _safe_url(url: str) -> str:
    """The URL without credentials, for health reports."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
