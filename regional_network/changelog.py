"""The origin side: our change log, the feed pages cut from it, and the inventory.

Writing: ``changelog_record(listing_id=…)`` is the listings public-change hook (runs after the listing's
transaction committed). It appends one entry when one of OUR listings' public record changed: the
frozen interchange record while it is published, a tombstone once it left public view (unpublished,
expired, closed, archived or deleted). Versions only go up per ref, even if a ref is re-created.

Reading (why a harvester never misses a record): the feed returns, in ``seq`` order, the entries after
the cursor that are still the latest entry of their ref. An entry is hidden only because a newer entry
of the same ref exists, and that newer entry has a larger ``seq`` than the hidden one, hence larger
than any cursor that could have skipped it, so it is still ahead of the harvester. The state a
harvester ends in is therefore the latest state of every ref. That guarantee needs ``seq`` to become
visible in increasing order: inserts into the log are serialised (SQLite's IMMEDIATE transactions; on
PostgreSQL an EXCLUSIVE table lock held for the few milliseconds of the insert), so a transaction
holding a smaller ``seq`` can never commit after a reader has seen a larger one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef

from exchange.core.tasks import enqueue_on_commit

from .models import ChangeEntry

logger = logging.getLogger(__name__)

MAX_PAGE = 500
DEFAULT_PAGE = 100


def record_hash(record: dict[str, Any] | None) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of a record; "" for none."""
    if record is None:
        return ""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def tombstone(*, ref: str, version: int, origin: str | None = None) -> dict[str, Any]:
    return {"ref": ref, "origin": origin or settings.EXCHANGE_ORIGIN, "version": version, "deleted": True}


def entry_record(entry: ChangeEntry) -> dict[str, Any]:
    """What the feed carries for an entry: the full record, or a tombstone."""
    if entry.deleted or entry.record is None:
        return tombstone(ref=entry.ref, version=entry.version)
    return entry.record


def _serialise_log_writes() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{ChangeEntry._meta.db_table}" IN EXCLUSIVE MODE')


def changelog_record(*, listing_id: int) -> ChangeEntry | None:
    """Append the entry for one listing's current public state, if it changed; safe to run twice."""
    from listings.interchange import listing_to_record, listings_for_records
    from listings.lifecycle import PUBLIC_STATES
    from listings.models import Listing

    origin = settings.EXCHANGE_ORIGIN
    try:
        with transaction.atomic():
            _serialise_log_writes()
            listing = (
                listings_for_records(Listing.objects.select_for_update(of=("self",)))
                .filter(pk=listing_id)
                .first()
            )
            if listing is not None and listing.origin != origin:
                return None  # a federated listing: never relayed
            last = ChangeEntry.objects.filter(listing_id=listing_id).order_by("-seq").first()
            ref = listing.ref if listing is not None else (last.ref if last else None)
            if ref is None:
                return None
            last_for_ref = ChangeEntry.objects.filter(ref=ref).order_by("-seq").first()
            public = listing is not None and listing.state in PUBLIC_STATES
            if last_for_ref is None and not public:
                return None  # never left the exchange: nothing to withdraw
            if last_for_ref is not None and last_for_ref.listing_id == listing_id:
                if listing is not None and last_for_ref.source_version >= listing.version:
                    return None  # already logged (a second hook call, or an older one arriving late)
                if listing is None and last_for_ref.deleted:
                    return None
            if last_for_ref is not None and last_for_ref.deleted and not public:
                return None
            version = max(listing.version if listing is not None else 0, 1)
            if last_for_ref is not None:
                version = max(version, last_for_ref.version + 1)
            record = None
            if public:
                record = listing_to_record(listing, base_url=settings.SITE_URL)
                record["origin"] = origin
                record["version"] = version
            entry = ChangeEntry.objects.create(
                listing_id=listing_id,
                ref=ref,
                kind=listing.kind if listing is not None else (last.kind if last else ""),
                field=listing.field.code if listing is not None else (last.field if last else ""),
                version=version,
                source_version=listing.version if listing is not None else 0,
                deleted=not public,
                record=record,
                record_hash=record_hash(record),
            )
            if _has_peers():
                enqueue_on_commit(_push_task(), entry.seq)
            return entry
    except IntegrityError:
        logger.info("Change of listing %s already logged by a concurrent call", listing_id)
        return None


def _has_peers() -> bool:
    from .models import Peer

    return Peer.objects.filter(active=True).exists()


def _push_task():
    from .tasks import federation_push

    return federation_push


def on_public_change(listing_id: int) -> None:
    """The hook registered with ``listings.services``; never lets a logging failure surface to users."""
    try:
        changelog_record(listing_id=listing_id)
    except Exception:  # noqa: BLE001 - the reconcile job repairs what a failure here leaves out
        logger.exception("Could not log the public change of listing %s", listing_id)


# --- reading ---------------------------------------------------------------------------------------
def latest_entries():
    """Entries that are the newest of their ref (the compacted log)."""
    newer = ChangeEntry.objects.filter(ref=OuterRef("ref"), seq__gt=OuterRef("seq"))
    return ChangeEntry.objects.exclude(Exists(newer))


def feed_page(*, cursor: int, limit: int) -> dict[str, Any]:
    """One page of the feed after ``cursor`` (see the module docstring for why nothing is missed)."""
    limit = max(1, min(int(limit), MAX_PAGE))
    # Read the log's end BEFORE the page: every entry up to it that is still visible is in the page
    # (or after it when has_more), so a last page may move the cursor past superseded entries only.
    latest = ChangeEntry.objects.aggregate(m=Max("seq"))["m"] or 0
    rows = list(latest_entries().filter(seq__gt=cursor).order_by("seq")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1].seq if rows else max(cursor, 0)
    if not has_more:
        next_cursor = max(next_cursor, latest)
    return {
        "origin": settings.EXCHANGE_ORIGIN,
        "schema": "techex.technology/1",
        "cursor": cursor,
        "next_cursor": next_cursor,
        "has_more": has_more,
        "latest_seq": latest,
        "records": [{**entry_record(e), "seq": e.seq} for e in rows],
    }


def entry_for_ref(ref: str) -> ChangeEntry | None:
    return ChangeEntry.objects.filter(ref=ref).order_by("-seq").first()


def inventory_page(*, after: str, limit: int) -> dict[str, Any]:
    """Live records ordered by ref: ``{ref, version, hash}``; absent means withdrawn or never public."""
    limit = max(1, min(int(limit), 5000))
    rows = list(
        latest_entries()
        .filter(deleted=False, ref__gt=after)
        .order_by("ref")
        .values_list("ref", "version", "record_hash")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {
        "origin": settings.EXCHANGE_ORIGIN,
        "items": [{"ref": r, "version": v, "hash": h} for r, v, h in rows],
        "next_after": rows[-1][0] if rows else after,
        "has_more": has_more,
    }


# --- repair ----------------------------------------------------------------------------------------
def changelog_reconcile(*, batch: int = 500) -> dict[str, int]:
    """Log what no hook reported: a crash between commit and hook, a row deleted in the admin.

    Every local listing whose public state differs from its ref's latest entry gets a new entry, and
    every live entry whose listing row is gone gets a tombstone. Reads in batches; safe to run twice.
    """
    from listings.lifecycle import PUBLIC_STATES
    from listings.models import Listing

    origin = settings.EXCHANGE_ORIGIN
    fixed = {"listings": 0, "orphans": 0}
    last = 0
    while True:
        rows = list(
            Listing.objects.filter(origin=origin, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "ref", "state", "version")[:batch]
        )
        if not rows:
            break
        latest = {
            e.ref: e
            for e in latest_entries()
            .filter(ref__in=[r[1] for r in rows])
            .only("ref", "deleted", "source_version", "listing_id")
        }
        for pk, ref, state, version in rows:
            entry = latest.get(ref)
            public = state in PUBLIC_STATES
            stale = (
                (entry is None and public)
                or (entry is not None and entry.deleted == public)
                or (
                    entry is not None
                    and public
                    and (entry.listing_id != pk or entry.source_version < version)
                )
            )
            if stale and changelog_record(listing_id=pk) is not None:
                fixed["listings"] += 1
        last = rows[-1][0]
    last_seq = 0
    while True:
        entries = list(latest_entries().filter(deleted=False, seq__gt=last_seq).order_by("seq")[:batch])
        if not entries:
            break
        existing = set(
            Listing.objects.filter(pk__in=[e.listing_id for e in entries]).values_list("pk", flat=True)
        )
        for entry in entries:
            if entry.listing_id not in existing and changelog_record(listing_id=entry.listing_id):
                fixed["orphans"] += 1
        last_seq = entries[-1].seq
    return fixed


def changelog_compact(*, keep_seconds: int = 30 * 86400) -> int:
    """Delete superseded entries older than ``keep_seconds`` (the latest entry of each ref stays)."""
    import datetime as dt

    from django.utils import timezone

    cutoff = timezone.now() - dt.timedelta(seconds=keep_seconds)
    newer = ChangeEntry.objects.filter(ref=OuterRef("ref"), seq__gt=OuterRef("seq"))
    ids = list(
        ChangeEntry.objects.filter(at__lt=cutoff).filter(Exists(newer)).values_list("seq", flat=True)[:5000]
    )
    return ChangeEntry.objects.filter(seq__in=ids).delete()[0] if ids else 0
