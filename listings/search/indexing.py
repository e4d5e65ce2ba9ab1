"""Keeping every search index equal to what the exchange publishes.

- ``listings.services`` calls the public-change hook after commit whenever a listing's public version
  changes (publish, approved edit, unpublish, expiry, close, renew...); the hook queues
  ``search_index_listings([id])``, which indexes the listing if it is published and removes it if not.
- An organisation's rename changes no listing version: ``exchange.accounts.services.organization_update``
  (the Wagtail admin's organisation edit goes through it) runs its change hooks after commit, and
  ``on_organization_change`` queues ``search_reindex_organization(org_id)`` when a name changed.
- ``search_reconcile`` (hourly) compares (id, stamp) of the published listings with each index and
  repairs the drift in batches: missing or stale documents are indexed, the rest removed. It also
  catches what no service reports (a row deleted in the admin, an update made in a shell).

Every task takes ids and is safe to run twice. Updates go to the primary backend and to the database
backend that answers when the primary is down; a failure raises, so huey retries the task later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from exchange.core.tasks import enqueue_on_commit
from listings.lifecycle import ListingState
from listings.models import Listing

from .base import SearchBackend, get_backend, indexing_backends
from .text import document_stamp

logger = logging.getLogger(__name__)

BATCH = 500


def _each_backend(action) -> int:
    """Run ``action(backend)`` on every indexing backend; re-raise the first failure after trying all."""
    done, error = 0, None
    for backend in indexing_backends():
        try:
            done = max(done, action(backend) or 0)
        except Exception as exc:  # noqa: BLE001 - try the others, then raise for a retry
            logger.warning("Search indexing on %r failed: %r", backend.name, exc)
            error = error or exc
    if error is not None:
        raise error
    return done


@db_task(retries=10, retry_delay=60)
def search_index_listings(listing_ids: list[int]) -> int:
    """Index the published listings among ``listing_ids`` and remove the others from the indexes."""
    ids = [int(i) for i in listing_ids]
    return _each_backend(lambda backend: backend.index(ids))


@db_task(retries=10, retry_delay=60)
def search_reindex_organization(organization_id: int) -> int:
    """Reindex an organisation's published listings (its name is in their documents)."""
    total = 0
    for ids in _published_id_batches(Listing.objects.filter(organization_id=organization_id)):
        total += _each_backend(lambda backend, ids=ids: backend.index(ids))
    return total


def on_public_change(listing_id: int) -> None:
    """The ``listings.services`` public-change hook: queue the reindex of that one listing."""
    enqueue_on_commit(search_index_listings, [listing_id])


def queue_organization_reindex(organization_id: int) -> None:
    """Queue the reindex of an organisation's published listings (after commit)."""
    enqueue_on_commit(search_reindex_organization, organization_id)


#: The organisation's fields its listings' search documents hold (``text.build_document``).
ORGANIZATION_INDEXED_FIELDS = frozenset({"name", "name_en", "short_name"})


def on_organization_change(organization_id: int, fields) -> None:
    """The ``organization_update`` change hook: a new name must reach the organisation's listings."""
    if ORGANIZATION_INDEXED_FIELDS & set(fields):
        queue_organization_reindex(organization_id)


def connect() -> None:
    """Register the hooks (from ``ListingsConfig.ready``)."""
    from exchange.accounts.services import register_organization_change_hook
    from listings.services import register_public_change_hook

    register_public_change_hook(on_public_change)
    register_organization_change_hook(on_organization_change)


# --- reconcile -------------------------------------------------------------------------------------
def _published_id_batches(qs=None, batch: int = BATCH) -> Iterator[list[int]]:
    qs = (qs if qs is not None else Listing.objects.all()).filter(state=ListingState.PUBLISHED)
    last = 0
    while True:
        ids = list(qs.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return
        yield ids
        last = ids[-1]


def published_stamps(batch: int = BATCH) -> Iterator[tuple[int, str]]:
    """(id, stamp) of every published listing, ascending id, ``batch`` rows per query."""
    qs = Listing.objects.filter(state=ListingState.PUBLISHED).order_by("id")
    last = 0
    while True:
        rows = list(
            qs.filter(id__gt=last).values_list("id", "version", "updated_at", "organization__updated_at")[
                :batch
            ]
        )
        if not rows:
            return
        for pk, version, updated_at, org_updated_at in rows:
            yield pk, document_stamp(version, updated_at, org_updated_at)
        last = rows[-1][0]


def _indexed(backend: SearchBackend, batch: int) -> Iterator[tuple[int, str]]:
    for rows in backend.indexed_ids_versions(batch):
        yield from rows


def drift(backend: SearchBackend, *, batch: int = BATCH, repair: bool = False) -> dict[str, int]:
    """Compare the published listings with one index (a merge of two id-ordered streams).

    Returns counts: ``published``, ``indexed``, ``missing`` (published, not indexed), ``stale``
    (indexed from an older state) and ``orphans`` (indexed, no longer published). With ``repair``,
    missing and stale documents are indexed and orphans removed, ``batch`` at a time.
    """
    counts = {"published": 0, "indexed": 0, "missing": 0, "stale": 0, "orphans": 0}
    to_index: list[int] = []
    to_remove: list[int] = []

    def flush(force: bool = False) -> None:
        if repair and to_index and (force or len(to_index) >= batch):
            backend.index(to_index)
            to_index.clear()
        if repair and to_remove and (force or len(to_remove) >= batch):
            backend.remove(to_remove)
            to_remove.clear()

    db_rows = published_stamps(batch)
    index_rows = _indexed(backend, batch)
    db_row = next(db_rows, None)
    index_row = next(index_rows, None)
    while db_row is not None or index_row is not None:
        if index_row is None or (db_row is not None and db_row[0] < index_row[0]):
            counts["published"] += 1
            counts["missing"] += 1
            to_index.append(db_row[0])
            db_row = next(db_rows, None)
        elif db_row is None or index_row[0] < db_row[0]:
            counts["indexed"] += 1
            counts["orphans"] += 1
            to_remove.append(index_row[0])
            index_row = next(index_rows, None)
        else:
            counts["published"] += 1
            counts["indexed"] += 1
            if db_row[1] != index_row[1]:
                counts["stale"] += 1
                to_index.append(db_row[0])
            db_row = next(db_rows, None)
            index_row = next(index_rows, None)
        flush()
    flush(force=True)
    return counts


def reconcile(backend_name: str | None = None, *, batch: int = BATCH) -> dict[str, dict[str, int]]:
    """Repair every indexing backend (or the one named); returns the drift found per backend."""
    backends = [get_backend(backend_name)] if backend_name else indexing_backends()
    report = {}
    for backend in backends:
        report[backend.name] = drift(backend, batch=batch, repair=True)
        found = {k: v for k, v in report[backend.name].items() if k in ("missing", "stale", "orphans") and v}
        if found:
            logger.warning("Search index %r drifted, repaired: %s", backend.name, found)
    return report


@db_periodic_task(crontab(minute="17"))
def search_reconcile() -> dict[str, dict[str, int]]:
    """Hourly: find and repair drift between the published listings and the indexes."""
    report = {}
    for backend in indexing_backends():
        try:
            report.update(reconcile(backend.name))
        except Exception as exc:  # noqa: BLE001 - one backend down must not stop the others
            logger.warning("Search reconcile on %r failed: %r", backend.name, exc)
    return report
