"""The one search interface: queries, results, the backend protocol, choosing a backend, and the
service the site, the API and matching call (``search_listings``), which falls back to the database
backend when the primary one fails.

Settings (read with defaults, so nothing is required):

- ``SEARCH_BACKEND``: ``"database"`` (default; SQLite FTS5) or ``"elasticsearch"``.
- ``SEARCH_BACKENDS``: optional ``{name: "dotted.path.Class"}`` to add or replace backends.
- ``SEARCH_FALLBACK``: ``True`` (default) - answer from the database backend when the primary raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol, runtime_checkable

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString

logger = logging.getLogger(__name__)

KINDS = ("offer", "request")
SORTS = ("relevance", "newest", "title", "trl", "price_asc", "price_desc")
LANGUAGES = ("vi", "en")
FACETS = ("field", "trl", "ip_type", "transaction_type", "province", "organization", "price_band", "origin")
MAX_PAGE_SIZE = 100


class PriceBand(NamedTuple):
    code: str
    label_vi: str
    label_en: str
    low: int | None  # inclusive VND
    high: int | None  # exclusive VND


_TR = 1_000_000  # một triệu
_TY = 1_000_000_000  # một tỷ
#: Price bands of the ``price_band`` facet. A listing belongs to every band its price range overlaps
#: (only a minimum means "from", only a maximum "up to"); listings without a price are in none.
PRICE_BANDS: tuple[PriceBand, ...] = (
    PriceBand("lt100m", "Dưới 100 triệu", "Under VND 100 million", None, 100 * _TR),
    PriceBand("100m-500m", "100 – 500 triệu", "VND 100–500 million", 100 * _TR, 500 * _TR),
    PriceBand("500m-1b", "500 triệu – 1 tỷ", "VND 500 million – 1 billion", 500 * _TR, 1 * _TY),
    PriceBand("1b-5b", "1 – 5 tỷ", "VND 1–5 billion", 1 * _TY, 5 * _TY),
    PriceBand("gt5b", "Trên 5 tỷ", "Over VND 5 billion", 5 * _TY, None),
)
PRICE_BANDS_BY_CODE = {band.code: band for band in PRICE_BANDS}


class SearchError(Exception):
    """A backend could not answer (unreachable, misconfigured, index missing)."""


class InvalidQuery(ValueError):
    """A query with a value outside what the interface accepts (unknown sort, kind, band...)."""


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor asks. Every filter is optional; ``None`` means "any".

    ``field`` is a science field code; a top-level code ("2") includes its sub-fields ("2.07").
    ``trl_min``/``trl_max`` filter an offer's TRL, and for a request the wanted TRL range overlapping it.
    ``price_min``/``price_max`` (VND) keep listings whose price range overlaps [price_min, price_max];
    ``price_band`` (a ``PRICE_BANDS`` code) is the same as the band's bounds. ``organization`` is an
    organisation ``ref``; anonymous requests never match it. ``origin`` is the exchange a listing comes
    from (``settings.EXCHANGE_ORIGIN`` for ours, a peer's code for federated ones). ``sort`` "relevance"
    without ``q`` means "newest". ``language`` chooses the text that is highlighted and the title that
    "title" sorts by.
    """

    q: str = ""
    kind: str | None = None
    field: str | None = None
    trl_min: int | None = None
    trl_max: int | None = None
    ip_type: str | None = None
    transaction_type: str | None = None
    province: str | None = None
    organization: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    price_band: str | None = None
    origin: str | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    facets: bool = False
    language: str = "vi"

    def normalized(self) -> SearchQuery:
        """Validated, with the band turned into bounds and the page clamped; backends receive this."""
        if self.kind not in (None, "", *KINDS):
            raise InvalidQuery(f"kind must be one of {KINDS}")
        if self.sort not in SORTS:
            raise InvalidQuery(f"sort must be one of {SORTS}")
        language = self.language if self.language in LANGUAGES else "vi"
        price_min, price_max = self.price_min, self.price_max
        if self.price_band:
            band = PRICE_BANDS_BY_CODE.get(self.price_band)
            if band is None:
                raise InvalidQuery(f"price_band must be one of {list(PRICE_BANDS_BY_CODE)}")
            price_min = band.low if price_min is None else max(price_min, band.low or 0)
            if band.high is not None:
                price_max = band.high - 1 if price_max is None else min(price_max, band.high - 1)
        sort = self.sort
        if sort == "relevance" and not (self.q or "").strip():
            sort = "newest"
        return replace(
            self,
            q=(self.q or "").strip(),
            kind=self.kind or None,
            field=self.field or None,
            ip_type=self.ip_type or None,
            transaction_type=self.transaction_type or None,
            province=self.province or None,
            organization=self.organization or None,
            origin=self.origin or None,
            price_min=price_min,
            price_max=price_max,
            price_band=None,
            sort=sort,
            page=max(1, int(self.page or 1)),
            page_size=min(MAX_PAGE_SIZE, max(1, int(self.page_size or 20))),
            language=language,
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class SearchHit(NamedTuple):
    listing_id: int
    score: float
    #: field name ("title", "summary", "description", "keywords", "organization") → escaped HTML
    #: with <mark> around the matched words; only fields with a match.
    highlights: dict[str, SafeString]


class FacetValue(NamedTuple):
    value: str
    label: str
    count: int


@dataclass
class SearchResult:
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    #: facet name (``FACETS``) → values with counts; empty unless ``query.facets``.
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    #: which backend answered ("database", "elasticsearch"); ``fallback`` when the primary failed.
    backend: str = ""
    fallback: bool = False

    @property
    def ids(self) -> list[int]:
        return [hit.listing_id for hit in self.hits]


@runtime_checkable
class SearchBackend(Protocol):
    """What every backend provides. Every method takes and returns plain values (ids, not objects).

    Only published listings are ever returned by ``search``/``suggest``. ``index`` indexes the
    published ones among ``listing_ids`` and removes the others (so it is the one call to make after any
    change); ``indexed_ids_versions`` yields batches of (listing_id, stamp) in ascending id order, the
    stamp being ``text.document_stamp`` of what was indexed. ``rebuild(progress)`` builds a new index
    and swaps it in, calling ``progress(n)`` after each batch of n documents.
    """

    name: str

    def search(self, query: SearchQuery) -> SearchResult: ...

    def index(self, listing_ids) -> int: ...

    def remove(self, listing_ids) -> int: ...

    def rebuild(self, progress=None) -> int: ...

    def count(self) -> int: ...

    def indexed_ids_versions(self, batch: int = 1000): ...

    def health(self) -> dict[str, Any]: ...

    def suggest(self, prefix: str, kind: str | None = None, limit: int = 8, language: str = "vi"): ...


BUILTIN_BACKENDS = {
    "database": "listings.search.database.DatabaseBackend",
    "elasticsearch": "listings.search.elasticsearch.ElasticsearchBackend",
}
_instances: dict[tuple[str, str], SearchBackend] = {}


def backend_names() -> list[str]:
    return list({**BUILTIN_BACKENDS, **getattr(settings, "SEARCH_BACKENDS", {})})


def primary_backend_name() -> str:
    return getattr(settings, "SEARCH_BACKEND", "database") or "database"


def get_backend(name: str | None = None) -> SearchBackend:
    """The backend called ``name`` (default: ``settings.SEARCH_BACKEND``), one instance per process."""
    name = name or primary_backend_name()
    paths = {**BUILTIN_BACKENDS, **getattr(settings, "SEARCH_BACKENDS", {})}
    if name not in paths:
        raise SearchError(f"Unknown search backend {name!r}; known: {sorted(paths)}")
    key = (name, paths[name])
    if key not in _instances:
        _instances[key] = import_string(paths[name])()
    return _instances[key]


def reset_backends() -> None:
    """Forget backend instances (tests that change settings)."""
    _instances.clear()


def indexing_backends() -> list[SearchBackend]:
    """Every backend that must receive index updates: the primary, and the database backend that
    answers when the primary is down (kept current so the fallback is not stale) where it can run."""
    backends = [get_backend(primary_backend_name())]
    if backends[0].name != "database":
        fallback = get_backend("database")
        if getattr(fallback, "available", lambda: True)():
            backends.append(fallback)
    return backends


# --- health of the primary backend, as seen by searches ---------------------------------------------
HEALTH_CACHE_KEY = "search:primary-health"


def record_health(name: str, *, ok: bool, error: str = "") -> None:
    state = {"backend": name, "ok": ok, "error": error[:500], "at": timezone.now().isoformat()}
    cache.set(HEALTH_CACHE_KEY, state, timeout=None)


def search_health() -> dict[str, Any]:
    """For a health endpoint: the primary backend's own check, the last search outcome, the fallback."""
    name = primary_backend_name()
    report: dict[str, Any] = {"backend": name, "last_search": cache.get(HEALTH_CACHE_KEY)}
    try:
        report["primary"] = get_backend(name).health()
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        report["primary"] = {"ok": False, "error": str(exc)}
    if name != "database":
        try:
            report["fallback"] = get_backend("database").health()
        except Exception as exc:  # noqa: BLE001
            report["fallback"] = {"ok": False, "error": str(exc)}
    report["ok"] = bool(report["primary"].get("ok")) or bool(report.get("fallback", {}).get("ok"))
    return report


def search_listings(query: SearchQuery) -> SearchResult:
    """Answer a search with the primary backend, or with the database backend when the primary fails.

    ``InvalidQuery`` (a ``ValueError``) is raised for invalid parameters - answer 400, do not fall back.
    """
    query = query.normalized()
    name = primary_backend_name()
    try:
        result = get_backend(name).search(query)
    except InvalidQuery:
        raise
    except Exception as exc:
        record_health(name, ok=False, error=repr(exc))
        if name == "database" or not getattr(settings, "SEARCH_FALLBACK", True):
            raise
        logger.warning("Search backend %r failed, answering from the database backend: %r", name, exc)
        result = get_backend("database").search(query)
        result.backend = "database"
        result.fallback = True
        return result
    previous = cache.get(HEALTH_CACHE_KEY)
    if previous is None or not previous.get("ok") or previous.get("backend") != name:
        record_health(name, ok=True)
    result.backend = result.backend or name
    return result


def search_suggest(prefix: str, *, kind: str | None = None, limit: int = 8, language: str = "vi"):
    """As-you-type title suggestions: [(listing_id, title)], falling back like ``search_listings``."""
    name = primary_backend_name()
    try:
        return get_backend(name).suggest(prefix, kind=kind, limit=limit, language=language)
    except Exception as exc:
        if name == "database":
            raise
        logger.warning("Suggest on %r failed, answering from the database backend: %r", name, exc)
        return get_backend("database").suggest(prefix, kind=kind, limit=limit, language=language)
