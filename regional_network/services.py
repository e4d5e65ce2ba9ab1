"""The receiving side: applying peers' records, pulling their feeds, repairing drift; and peer admin.

Rules enforced here (docs/federation.md):
- Origin authority: a record is accepted from a peer only if its ``origin`` is that peer's origin, and
  it only ever touches listings with ``origin == peer.origin`` — never ours, never a third exchange's.
- Versioned, idempotent upserts: ``FederatedRecord`` (unique per origin+ref) remembers the highest
  version applied, tombstones included, so an older or repeated record is ignored, concurrent
  deliveries produce one row (the unique constraint decides; the loser retries and finds it applied)
  and a delete that arrives before the create wins.
- Invalid records are quarantined with the reason and never half-applied; the cursor moves on, and the
  drift repair fetches the ref again later (a fixed record at the origin gets a newer version).

A page is applied in one transaction with a handful of queries (bulk inserts); should anything in it
fail at the database (a concurrent delivery, a constraint), the page is re-applied record by record.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.accounts.models import Organization, OrganizationKind
from exchange.core.services import audit_record
from exchange.core.tasks import enqueue_on_commit

from .changelog import record_hash
from .client import PeerClient, PeerError, PeerRefused, PeerUnavailable
from .models import FederatedRecord, Peer, QuarantinedRecord

logger = logging.getLogger(__name__)

PAGE_LIMIT = 500
BACKOFF_BASE = 30  # seconds
BACKOFF_CAP = 3600
LEASE = dt.timedelta(minutes=15)


@dataclass
class ApplyStats:
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    ignored: int = 0
    quarantined: int = 0
    listing_ids: list[int] = field(default_factory=list)

    def add(self, other: ApplyStats) -> None:
        for name in ("created", "updated", "withdrawn", "ignored", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.listing_ids.extend(other.listing_ids)

    @property
    def applied(self) -> int:
        return self.created + self.updated + self.withdrawn

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "withdrawn": self.withdrawn,
            "ignored": self.ignored,
            "quarantined": self.quarantined,
        }


@dataclass
class _Item:
    ref: str
    version: int
    raw: dict
    deleted: bool
    cleaned: dict | None = None


# --- peers --------------------------------------------------------------------------------------------
def _validate_peer_fields(*, origin: str, public_key: str) -> None:
    from .signatures import public_key_from_b64

    if origin == settings.EXCHANGE_ORIGIN:
        raise ValidationError({"origin": "Mã sàn trùng với mã của chính sàn này."})
    try:
        public_key_from_b64(public_key)
    except ValueError as exc:
        raise ValidationError(
            {"public_key": "Khóa công khai Ed25519 không hợp lệ (32 byte, base64)."}
        ) from exc


@transaction.atomic
def peer_create(
    *, actor, name: str, origin: str, base_url: str, public_key: str, pull_interval: int = 300, active=True
) -> Peer:
    _validate_peer_fields(origin=origin, public_key=public_key)
    peer = Peer(
        name=name,
        origin=origin,
        base_url=base_url.rstrip("/"),
        public_key=public_key.strip(),
        pull_interval=pull_interval,
        active=active,
    )
    peer.full_clean()
    peer.save()
    audit_record(
        actor=actor,
        action="peer.create",
        target=peer,
        after={"origin": origin, "active": active, "key_fingerprint": key_fingerprint(peer.public_key)},
    )
    return peer


def key_fingerprint(public_key: str) -> str:
    """``sha256:<hex>`` of the raw 32-byte public key: what the audit log records about a key — enough for
    staff to compare it with what the peer's staff read out, and never the key material itself."""
    import base64
    import hashlib

    try:
        raw = base64.b64decode((public_key or "").strip(), validate=True)
    except ValueError:
        raw = (public_key or "").encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


PEER_EDITABLE = ("name", "origin", "base_url", "public_key", "pull_interval", "active")


@transaction.atomic
def peer_update(*, actor, peer: Peer, **changes) -> Peer:
    """Change a peer's registration (the admin form, commands). Every change is audited: a new public key
    as ``peer.key_change`` with the old and new fingerprints (a key change decides whose signatures we
    trust), switching the peer on or off as ``peer.enable`` / ``peer.disable``, the rest as
    ``peer.update``."""
    unknown = set(changes) - set(PEER_EDITABLE)
    if unknown:
        raise ValueError(f"peer_update cannot change {sorted(unknown)}")
    current = Peer.objects.select_for_update().get(pk=peer.pk)
    before = {f: getattr(current, f) for f in PEER_EDITABLE}
    after = {**before, **changes}
    after["base_url"] = str(after["base_url"]).rstrip("/")
    after["public_key"] = str(after["public_key"]).strip()
    _validate_peer_fields(origin=after["origin"], public_key=after["public_key"])
    for name, value in after.items():
        setattr(current, name, value)
    current.full_clean()
    changed = [f for f in PEER_EDITABLE if before[f] != after[f]]
    if not changed:
        return current
    current.save(update_fields=changed)
    if "public_key" in changed:
        audit_record(
            actor=actor,
            action="peer.key_change",
            target=current,
            before={"key_fingerprint": key_fingerprint(before["public_key"])},
            after={"key_fingerprint": key_fingerprint(after["public_key"])},
            data={"origin": current.origin},
        )
    if "active" in changed:
        audit_record(
            actor=actor,
            action="peer.enable" if after["active"] else "peer.disable",
            target=current,
            before={"active": before["active"]},
            after={"active": after["active"]},
            data={"origin": current.origin},
        )
    rest = [f for f in changed if f not in ("public_key", "active")]
    if rest:
        audit_record(
            actor=actor,
            action="peer.update",
            target=current,
            before={f: before[f] for f in rest},
            after={f: after[f] for f in rest},
        )
    return current


@transaction.atomic
def peer_delete(*, actor, peer: Peer) -> None:
    """Remove a peer's registration; its federated listings stay (records keep their origin)."""
    audit_record(
        actor=actor,
        action="peer.delete",
        target=peer,
        before={
            "origin": peer.origin,
            "active": peer.active,
            "key_fingerprint": key_fingerprint(peer.public_key),
        },
    )
    peer.delete()


def _record_label(raw: Any) -> tuple[str, Any]:
    if isinstance(raw, dict):
        ref = raw.get("ref")
        return (ref if isinstance(ref, str) else str(ref or ""))[:200], raw.get("version")
    return "", None


def _quarantine(peer: Peer, raw: Any, reason: str) -> QuarantinedRecord:
    ref, version = _record_label(raw)
    return QuarantinedRecord(
        peer=peer,
        origin=str(raw.get("origin", ""))[:50] if isinstance(raw, dict) else "",
        ref=ref,
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        reason=reason[:2000],
        raw=raw if isinstance(raw, dict | list) else {"value": str(raw)[:2000]},
    )


def _classify(peer: Peer, records: Iterable[Any], lookups) -> tuple[list[_Item], list[QuarantinedRecord]]:
    """Split into applicable items (newest per ref) and quarantined records, with every reason."""
    from listings.interchange import validate_record

    items: dict[str, _Item] = {}
    quarantined: list[QuarantinedRecord] = []
    for raw in records:
        if not isinstance(raw, dict):
            quarantined.append(_quarantine(peer, raw, "record is not a JSON object"))
            continue
        origin, ref, version = raw.get("origin"), raw.get("ref"), raw.get("version")
        if origin != peer.origin:
            quarantined.append(
                _quarantine(peer, raw, f"origin {origin!r} is not the peer's origin {peer.origin!r}")
            )
            continue
        if not isinstance(ref, str) or not ref.strip() or len(ref) > 100:
            quarantined.append(_quarantine(peer, raw, "ref must be a non-empty string of at most 100"))
            continue
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            quarantined.append(_quarantine(peer, raw, "version must be a positive integer"))
            continue
        ref = ref.strip()
        if raw.get("deleted") is True:
            item = _Item(ref=ref, version=version, raw=raw, deleted=True)
        else:
            cleaned, errors = validate_record(raw, lookups=lookups, label=ref)
            if errors:
                quarantined.append(_quarantine(peer, raw, "; ".join(str(e) for e in errors)))
                continue
            item = _Item(ref=ref, version=version, raw=raw, deleted=False, cleaned=cleaned)
        current = items.get(ref)
        if current is None or current.version < item.version:
            items[ref] = item
    return list(items.values()), quarantined


class _Refs:
    """Reference rows for one page: fields, provinces, organisation kinds, remote organisations."""

    def __init__(self):
        from exchange.core.models import Province
        from listings.models import ScienceField

        self.fields = {f.code: f for f in ScienceField.objects.all()}
        self.provinces = {p.code: p for p in Province.objects.all()}
        self.kinds = {k.code: k for k in OrganizationKind.objects.all()}
        self.orgs: dict[str, Organization] = {}

    def organization(self, peer: Peer, item: _Item) -> Organization:
        org = item.cleaned.get("organization") if item.cleaned else None
        if org and org.get("ref"):
            local_ref = f"{peer.origin}--{org['ref']}"[:64]
            name = org.get("name") or org["ref"]
        else:
            local_ref = f"{peer.origin}--anonymous"[:64]
            name = f"Tổ chức ẩn danh ({peer.name})"
        found = self.orgs.get(local_ref)
        if found is None:
            found = Organization.objects.filter(ref=local_ref).first()
            if found is None:
                kind = self.kinds.get(
                    "enterprise" if item.cleaned["kind"] == "request" else "research_institute"
                )
                kind = kind or next(iter(self.kinds.values()))
                found = Organization.objects.create(ref=local_ref, name=name[:255], kind=kind)
            elif found.name != name[:255] and org:
                found.name = name[:255]
                found.save(update_fields=["name", "updated_at"])
            self.orgs[local_ref] = found
        return found


def _fill_listing(listing, item: _Item, refs: _Refs, peer: Peer, now) -> list[dict]:
    from listings.interchange import record_to_listing_data
    from listings.lifecycle import ListingState
    from listings.snapshots import SCALAR_FIELDS, normalize

    data = normalize(record_to_listing_data(item.cleaned))
    for key in SCALAR_FIELDS:
        if key in data:
            setattr(listing, key, data[key])
    listing.field = refs.fields[data["field"]]
    listing.province = refs.provinces.get(data["province"]) if data.get("province") else None
    listing.deadline = dt.date.fromisoformat(data["deadline"]) if data.get("deadline") else None
    listing.kind = item.cleaned["kind"]
    listing.organization = refs.organization(peer, item)
    listing.state = ListingState.PUBLISHED
    listing.version = item.version
    listing.published_at = listing.published_at or now
    listing.expires_at = None  # the origin decides when it ends; its tombstone withdraws it here
    return data.get("ip") or []


def _apply_items(peer: Peer, items: list[_Item], refs: _Refs) -> ApplyStats:
    """Apply valid items in the caller's transaction; raises IntegrityError on a concurrent delivery."""
    from listings.lifecycle import ListingState
    from listings.models import IPRight, Listing

    stats = ApplyStats()
    if not items:
        return stats
    origin = peer.origin
    if origin == settings.EXCHANGE_ORIGIN:  # defence in depth: never touch our own listings
        raise PeerRefused("peer origin equals ours")
    ref_list = [i.ref for i in items]
    frs = {
        fr.ref: fr
        for fr in FederatedRecord.objects.select_for_update().filter(origin=origin, ref__in=ref_list)
    }
    listings = {
        lst.ref: lst
        for lst in Listing.objects.select_for_update(of=("self",)).filter(origin=origin, ref__in=ref_list)
    }
    now = timezone.now()
    new_listings, new_listing_items, changed_listings, ip_rows = [], [], [], []
    fr_new, fr_changed = [], []
    for item in items:
        fr = frs.get(item.ref)
        if fr is not None and fr.version >= item.version:
            stats.ignored += 1
            continue
        listing = listings.get(item.ref)
        if item.deleted:
            if listing is not None and listing.state == ListingState.PUBLISHED:
                listing.state = ListingState.UNPUBLISHED
                listing.version = item.version
                changed_listings.append((listing, None))
            stats.withdrawn += 1
            digest = ""
        else:
            ip = None
            if listing is None:
                listing = Listing(origin=origin, ref=item.ref)
                ip = _fill_listing(listing, item, refs, peer, now)
                new_listings.append(listing)
                new_listing_items.append(ip)
                stats.created += 1
            else:
                ip = _fill_listing(listing, item, refs, peer, now)
                changed_listings.append((listing, ip))
                stats.updated += 1
            digest = record_hash({k: v for k, v in item.raw.items() if k != "seq"})
        if fr is None:
            fr = FederatedRecord(origin=origin, ref=item.ref, peer=peer)
            fr_new.append(fr)
        else:
            fr_changed.append(fr)
        fr.version, fr.deleted, fr.record_hash, fr.updated_at = item.version, item.deleted, digest, now
        fr._listing_obj = listing  # resolved to an id once new listings have one

    if new_listings:
        Listing.objects.bulk_create(new_listings, batch_size=500)
        for listing, ip in zip(new_listings, new_listing_items, strict=True):
            ip_rows.extend(_ip_rows(IPRight, listing, ip))
    changed_ids_with_ip = []
    filled, withdrawn = [], []
    for listing, ip in changed_listings:
        listing.updated_at = now
        if ip is None:
            withdrawn.append(listing)
        else:
            filled.append(listing)
            changed_ids_with_ip.append(listing.pk)
            ip_rows.extend(_ip_rows(IPRight, listing, ip))
    _update_rows(Listing, filled, _filled_fields())
    _update_rows(Listing, withdrawn, ["state", "version", "updated_at"])
    if changed_ids_with_ip:
        IPRight.objects.filter(listing_id__in=changed_ids_with_ip).delete()
    if ip_rows:
        IPRight.objects.bulk_create(ip_rows, batch_size=500)
    for fr in (*fr_new, *fr_changed):
        listing = fr.__dict__.pop("_listing_obj", None)
        if listing is not None:
            fr.listing_id = listing.pk
            stats.listing_ids.append(listing.pk)
    if fr_new:
        FederatedRecord.objects.bulk_create(fr_new, batch_size=500)
    _update_rows(FederatedRecord, fr_changed, ["version", "deleted", "record_hash", "listing", "updated_at"])
    return stats


def _filled_fields() -> list[str]:
    """The listing columns ``_fill_listing`` sets (what an update from a peer writes)."""
    from listings.snapshots import SCALAR_FIELDS

    return [
        *SCALAR_FIELDS,
        *("field", "province", "deadline", "kind", "organization", "state", "version"),
        *("published_at", "expires_at", "updated_at"),
    ]


def _update_rows(model, objs: list, fields: list[str]) -> None:
    """Write ``fields`` of many existing rows with ONE prepared ``UPDATE … WHERE pk = %s``, executed
    for every row (``executemany``): no per-row query compilation, no per-row ``save()``. Values go
    through each field's own ``get_db_prep_save``, as ``save()`` would. Signals are not sent (the
    federation never relied on any) and ``auto_now`` is the caller's job.
    """
    if not objs:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - quoted identifiers from the model
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in columns),
        quote(meta.pk.column),
    )
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns] + [obj.pk] for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _ip_rows(IPRight, listing, items) -> list:
    return [
        IPRight(
            listing_id=listing.pk,
            type=i["type"],
            status=i["status"],
            number=i["number"],
            jurisdiction=i["jurisdiction"],
            filed_on=dt.date.fromisoformat(i["filed_on"]) if i.get("filed_on") else None,
            granted_on=dt.date.fromisoformat(i["granted_on"]) if i.get("granted_on") else None,
        )
        for i in items or []
    ]


def federated_records_apply(*, peer: Peer, records: list[Any]) -> ApplyStats:
    """Apply records received from ``peer`` (a feed page, a single fetch, a repair); idempotent."""
    from listings.interchange import Lookups

    items, quarantined = _classify(peer, records, Lookups())
    stats = ApplyStats(quarantined=len(quarantined))
    if quarantined:
        QuarantinedRecord.objects.bulk_create(quarantined)
        for q in quarantined:
            logger.warning("Quarantined %s/%s from %s: %s", q.origin, q.ref, peer.origin, q.reason)
    refs = _Refs()
    try:
        with transaction.atomic():
            stats.add(_apply_items(peer, items, refs))
    except (IntegrityError, ValidationError, KeyError, ValueError):
        refs.orgs.clear()  # rolled back with the page
        for item in items:
            stats.add(_apply_one(peer, item, refs))
    if stats.listing_ids:
        _reindex(stats.listing_ids)
    return stats


def _apply_one(peer: Peer, item: _Item, refs: _Refs) -> ApplyStats:
    """One record in its own transaction; a concurrent delivery makes the second try find it applied."""
    last_error: Exception | None = None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _apply_items(peer, [item], refs)
        except (IntegrityError, ValidationError, KeyError, ValueError) as exc:
            refs.orgs.clear()
            last_error = exc
    QuarantinedRecord.objects.create(
        **{
            f.name: getattr(_quarantine(peer, item.raw, f"could not be stored: {last_error!r}"), f.name)
            for f in QuarantinedRecord._meta.concrete_fields
            if f.name not in ("id", "created_at")
        }
    )
    return ApplyStats(quarantined=1)


def _reindex(listing_ids: list[int]) -> None:
    from listings.search.indexing import search_index_listings

    for start in range(0, len(listing_ids), 500):
        enqueue_on_commit(search_index_listings, listing_ids[start : start + 500])


# --- pulling ------------------------------------------------------------------------------------------
def _acquire(peer_id: int) -> str | None:
    now = timezone.now()
    token = uuid.uuid4().hex
    got = (
        Peer.objects.filter(pk=peer_id)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + LEASE, lock_token=token)
    )
    return token if got else None


def _release(peer_id: int, token: str) -> None:
    Peer.objects.filter(pk=peer_id, lock_token=token).update(locked_until=None, lock_token="")


def backoff_seconds(failures: int, *, retry_after: float | None = None) -> float:
    """Capped exponential backoff with jitter: 30 s, 60 s, 120 s … at most an hour."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, failures - 1)))
    delay = delay * (0.8 + 0.4 * random.random())  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, min(retry_after, BACKOFF_CAP))
    return min(delay, BACKOFF_CAP)


def _page_int(page: dict, key: str, default: int) -> int:
    """A feed page's integer field; anything else (a string, a float, a list) is a malformed page - checked
    before a record is applied, so a bad cursor can neither move ours nor crash the pull."""
    value = page.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PeerRefused(f"malformed feed page: {key} must be a non-negative integer")
    return value


@dataclass
class SyncResult:
    status: str  # ok | busy | unavailable | refused | inactive
    pages: int = 0
    stats: ApplyStats = field(default_factory=ApplyStats)
    error: str = ""


def peer_sync(*, peer_id: int, max_pages: int | None = None, progress=None, page_limit: int = PAGE_LIMIT):
    """Pull a peer's feed from our cursor until ``has_more`` is false; one pull at a time per peer.

    ``progress(n_records, peer)`` is called after each page (the command's tqdm bar).
    """
    peer = Peer.objects.get(pk=peer_id)
    if not peer.active:
        return SyncResult("inactive")
    token = _acquire(peer_id)
    if token is None:
        return SyncResult("busy")
    result = SyncResult("ok")
    client = PeerClient(peer.base_url)
    # The next page is fetched while this one is applied (HTTP only in that thread, never the database):
    # its cursor is known as soon as this page arrives, so the origin's and the network's time overlap
    # with ours. The cursor we store still only moves after a page is applied.
    prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="federation-prefetch")
    try:
        Peer.objects.filter(pk=peer_id).update(last_attempt_at=timezone.now())
        upcoming = prefetch.submit(client.changes, cursor=peer.cursor, limit=page_limit)
        while max_pages is None or result.pages < max_pages:
            page = upcoming.result()
            if not isinstance(page, dict) or not isinstance(page.get("records"), list):
                raise PeerRefused("malformed feed page")
            next_cursor = _page_int(page, "next_cursor", peer.cursor)
            latest = _page_int(page, "latest_seq", next_cursor)
            if page.get("has_more") and (max_pages is None or result.pages + 1 < max_pages):
                following = max(peer.cursor, next_cursor)
                upcoming = prefetch.submit(client.changes, cursor=following, limit=page_limit)
            stats = federated_records_apply(peer=peer, records=page["records"])
            result.stats.add(stats)
            result.pages += 1
            with transaction.atomic():
                Peer.objects.filter(pk=peer_id).update(
                    cursor=max(peer.cursor, next_cursor),
                    remote_seq=max(peer.remote_seq, latest),
                    records_applied=peer.records_applied + stats.applied,
                )
                if stats.applied or stats.quarantined:
                    audit_record(actor=None, action="peer.pull", target=peer, data=stats.as_dict())
            peer.cursor = max(peer.cursor, next_cursor)
            peer.remote_seq = max(peer.remote_seq, latest)
            peer.records_applied += stats.applied
            if progress is not None:
                progress(len(page["records"]), peer)
            if not page.get("has_more"):
                break
        now = timezone.now()
        Peer.objects.filter(pk=peer_id).update(
            last_success_at=now,
            consecutive_failures=0,
            next_attempt_at=now + dt.timedelta(seconds=peer.pull_interval),
        )
    except PeerError as exc:
        result.status = "unavailable" if isinstance(exc, PeerUnavailable) else "refused"
        result.error = str(exc)
        _record_failure(peer, exc)
    finally:
        prefetch.shutdown(wait=True, cancel_futures=True)
        _release(peer_id, token)
    return result


def _record_failure(peer: Peer, exc: PeerError) -> None:
    now = timezone.now()
    failures = peer.consecutive_failures + 1
    if isinstance(exc, PeerUnavailable):
        delay = backoff_seconds(failures, retry_after=exc.retry_after)
    else:
        # A refusal (4xx) will not heal by retrying: wait for the regular interval, or a staff fix.
        delay = max(peer.pull_interval, BACKOFF_CAP)
    Peer.objects.filter(pk=peer.pk).update(
        consecutive_failures=failures,
        last_error=str(exc)[:2000],
        last_error_at=now,
        next_attempt_at=now + dt.timedelta(seconds=delay),
    )
    logger.warning("Pull from %s failed (%s in a row): %s", peer.origin, failures, exc)


def peers_due(now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        Peer.objects.filter(active=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("pk", flat=True)
    )


def peer_sync_now(*, actor, peer: Peer) -> None:
    """Staff ask for an immediate pull (admin button): queued after commit, audited.

    The service checks the actor itself (not only the dashboard view): any other caller, a shell
    command or a future API, gets the same refusal instead of queueing pulls as anyone.
    """
    from .tasks import federation_pull

    if not perms.is_staff(actor):
        raise PermissionDenied(_("Chỉ nhân viên sàn được thực hiện thao tác này."))
    with transaction.atomic():
        Peer.objects.filter(pk=peer.pk).update(next_attempt_at=timezone.now())
        audit_record(actor=actor, action="peer.sync_now", target=peer)
        enqueue_on_commit(federation_pull, peer.pk)


def peer_notified(*, peer: Peer, seq: int) -> bool:
    """A peer told us it has changes up to ``seq``; queue a pull if we are behind. Returns queued."""
    from .tasks import federation_pull

    with transaction.atomic():
        Peer.objects.filter(pk=peer.pk, remote_seq__lt=seq).update(remote_seq=seq)
        behind = seq > peer.cursor
        if behind:
            enqueue_on_commit(federation_pull, peer.pk)
    return behind


# --- drift repair -------------------------------------------------------------------------------------
def peer_repair(*, peer_id: int, batch: int = 2000) -> dict[str, int]:
    """Compare the peer's inventory with what we hold and fetch every ref that differs.

    Both sides are streamed in ref order and merged; only differing refs cost a request. A ref we hold
    live that the peer no longer lists is fetched too: its 410 tombstone withdraws it (a 404 does not).
    """
    peer = Peer.objects.get(pk=peer_id)
    client = PeerClient(peer.base_url)
    counts = {"checked": 0, "fetched": 0, "applied": 0, "unknown": 0}
    to_fetch: list[str] = []

    def ours():
        after = ""
        while True:
            rows = list(
                FederatedRecord.objects.filter(origin=peer.origin, deleted=False, ref__gt=after)
                .order_by("ref")
                .values_list("ref", "version", "record_hash")[:batch]
            )
            if not rows:
                return
            yield from rows
            after = rows[-1][0]

    def theirs():
        after = ""
        while True:
            page = client.inventory(after=after, limit=batch)
            for item in page.get("items", []):
                yield item["ref"], int(item["version"]), item.get("hash", "")
            if not page.get("has_more"):
                return
            after = page["next_after"]

    mine_iter, their_iter = ours(), theirs()
    mine, their = next(mine_iter, None), next(their_iter, None)
    while mine is not None or their is not None:
        counts["checked"] += 1
        if their is None or (mine is not None and mine[0] < their[0]):
            to_fetch.append(mine[0])  # we hold it live; they do not list it
            mine = next(mine_iter, None)
        elif mine is None or their[0] < mine[0]:
            to_fetch.append(their[0])  # they list it; we miss it (or hold it withdrawn/older)
            their = next(their_iter, None)
        else:
            if mine[1] < their[1] or (mine[1] == their[1] and mine[2] != their[2]):
                to_fetch.append(their[0])
            mine, their = next(mine_iter, None), next(their_iter, None)
    for ref in to_fetch:
        status, data = client.listing(ref)
        counts["fetched"] += 1
        if status == 404 or data is None:
            counts["unknown"] += 1
            continue
        if status == 200 and isinstance(data, dict):
            # A same-version record with a different hash is re-applied by bumping nothing: we only
            # overwrite when the origin's version is newer, so mark ours as older to let it in.
            FederatedRecord.objects.filter(
                origin=peer.origin, ref=ref, version=data.get("version"), deleted=False
            ).exclude(record_hash=record_hash(data)).update(version=max(0, int(data.get("version", 1)) - 1))
        stats = federated_records_apply(peer=peer, records=[data])
        counts["applied"] += stats.applied
    if to_fetch:
        audit_record(actor=None, action="peer.repair", target=peer, data=counts)
    return counts
