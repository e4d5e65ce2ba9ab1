"""Inventory drift repair (``peer_repair``) against a peer on a loopback port, and log compaction."""

import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from listings.lifecycle import ListingState
from listings.models import Listing
from listings.tests.factories import ListingFactory
from regional_network.changelog import (
    changelog_compact,
    changelog_record,
    feed_page,
    inventory_page,
    record_hash,
)
from regional_network.models import ChangeEntry, FederatedRecord, Peer
from regional_network.services import federated_records_apply, peer_repair

from .records import record, tombstone

pytestmark = pytest.mark.django_db


class FakeOrigin:
    """A peer exchange's inventory and single-record endpoints, served over real HTTP on loopback.

    ``live`` maps ref → record (listed in the inventory, 200 on fetch); ``gone`` maps ref → tombstone
    (410); any other ref answers 404. Every request path is remembered.
    """

    def __init__(self):
        self.live: dict[str, dict] = {}
        self.gone: dict[str, dict] = {}
        self.paths: list[str] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                url = urllib.parse.urlsplit(self.path)
                origin.paths.append(self.path)
                assert "Signature" in self.headers and "Content-Digest" in self.headers
                params = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/federation/v1/inventory":
                    after, limit = params.get("after", ""), int(params.get("limit", 2000))
                    refs = sorted(r for r in origin.live if r > after)
                    page = refs[:limit]
                    body = {
                        "origin": "dongnai",
                        "items": [
                            {
                                "ref": r,
                                "version": origin.live[r]["version"],
                                "hash": record_hash(origin.live[r]),
                            }
                            for r in page
                        ],
                        "next_after": page[-1] if page else after,
                        "has_more": len(refs) > limit,
                    }
                    return self.answer(200, body)
                if url.path.startswith("/federation/v1/listings/"):
                    ref = urllib.parse.unquote(url.path.rsplit("/", 1)[1])
                    if ref in origin.live:
                        return self.answer(200, origin.live[ref])
                    if ref in origin.gone:
                        return self.answer(410, origin.gone[ref])
                    return self.answer(404, {"error": "not_found"})
                return self.answer(404, {"error": "not_found"})

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fetched(self) -> list[str]:
        prefix = "/federation/v1/listings/"
        return sorted(urllib.parse.unquote(p[len(prefix) :]) for p in self.paths if p.startswith(prefix))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_origin(peer):
    origin = FakeOrigin()
    Peer.objects.filter(pk=peer.pk).update(base_url=origin.url)
    peer.refresh_from_db()
    yield origin
    origin.close()


def _hold(peer, *records):
    stats = federated_records_apply(peer=peer, records=list(records))
    assert stats.quarantined == 0
    return stats


def test_repair_fetches_only_what_differs_and_applies_it(peer, fake_origin):
    same = record(ref="dn-same", version=1)
    behind = record(ref="dn-behind", version=1)
    edited = record(ref="dn-edited", version=3, title={"vi": "Tên cũ"})
    withdrawn = record(ref="dn-withdrawn", version=1)
    unknown = record(ref="dn-unknown", version=1)
    _hold(peer, same, behind, edited, withdrawn, unknown)

    fake_origin.live = {
        "dn-same": same,
        "dn-behind": record(ref="dn-behind", version=2, title={"vi": "Tên mới"}),
        # Same version, different content (a fix at the origin that did not bump the version).
        "dn-edited": record(ref="dn-edited", version=3, title={"vi": "Tên đã sửa"}),
        "dn-missed": record(ref="dn-missed", version=4),  # a change we never received
    }
    fake_origin.gone = {"dn-withdrawn": tombstone(ref="dn-withdrawn", version=2)}
    # dn-unknown: held live here, not listed there, and a 404 there — NOT a deletion.

    counts = peer_repair(peer_id=peer.pk, batch=2)  # batch 2: the inventory is read in 2 pages

    assert fake_origin.fetched() == ["dn-behind", "dn-edited", "dn-missed", "dn-unknown", "dn-withdrawn"]
    assert counts == {"checked": 6, "fetched": 5, "applied": 4, "unknown": 1}
    assert len([p for p in fake_origin.paths if p.startswith("/federation/v1/inventory")]) == 2
    state = {
        lst.ref: (lst.state, lst.version, lst.title_vi) for lst in Listing.objects.filter(origin="dongnai")
    }
    assert state["dn-same"][:2] == (ListingState.PUBLISHED, 1)
    assert state["dn-behind"] == (ListingState.PUBLISHED, 2, "Tên mới")
    assert state["dn-edited"] == (ListingState.PUBLISHED, 3, "Tên đã sửa")
    assert state["dn-missed"][:2] == (ListingState.PUBLISHED, 4)
    assert state["dn-withdrawn"][:2] == (ListingState.UNPUBLISHED, 2)
    assert state["dn-unknown"][0] == ListingState.PUBLISHED
    assert FederatedRecord.objects.get(ref="dn-edited").record_hash == record_hash(
        fake_origin.live["dn-edited"]
    )

    # A second run finds nothing to fetch but the unknown ref (still held, still unknown there).
    fake_origin.paths.clear()
    counts = peer_repair(peer_id=peer.pk, batch=2)
    assert fake_origin.fetched() == ["dn-unknown"]
    assert counts["applied"] == 0 and counts["unknown"] == 1


def test_repair_with_nothing_held_pulls_the_whole_inventory(peer, fake_origin):
    fake_origin.live = {f"dn-{i:03d}": record(ref=f"dn-{i:03d}", version=1) for i in range(5)}
    counts = peer_repair(peer_id=peer.pk)
    assert counts == {"checked": 5, "fetched": 5, "applied": 5, "unknown": 0}
    assert Listing.objects.filter(origin="dongnai", state=ListingState.PUBLISHED).count() == 5


def test_repair_never_touches_an_older_version_arriving_from_the_origin(peer, fake_origin):
    _hold(peer, record(ref="dn-new", version=5, title={"vi": "Bản 5"}))
    fake_origin.live = {"dn-new": record(ref="dn-new", version=4, title={"vi": "Bản 4"})}
    peer_repair(peer_id=peer.pk)
    assert Listing.objects.get(ref="dn-new").title_vi == "Bản 5"


# --- compaction -----------------------------------------------------------------------------------------
def _bump(listing, **changes):
    for name, value in changes.items():
        setattr(listing, name, value)
    listing.version += 1
    listing.save()
    return changelog_record(listing_id=listing.pk)


def _age(entries, days):
    ChangeEntry.objects.filter(seq__in=[e.seq for e in entries]).update(
        at=timezone.now() - dt.timedelta(days=days)
    )


def test_compaction_drops_old_superseded_entries_only():
    busy = ListingFactory(published=True, ref="hcm-busy", search_index=False)
    quiet = ListingFactory(published=True, ref="hcm-quiet", search_index=False)
    gone = ListingFactory(published=True, ref="hcm-gone", search_index=False)
    busy_v1, quiet_v1, gone_v1 = (changelog_record(listing_id=x.pk) for x in (busy, quiet, gone))
    busy_v2 = _bump(busy, title_vi="Sửa lần 1")
    gone_v2 = _bump(gone, state=ListingState.UNPUBLISHED)
    _age([busy_v1, busy_v2, quiet_v1, gone_v1, gone_v2], days=40)
    busy_v3 = _bump(busy, title_vi="Sửa lần 2")  # recent
    busy_v4 = _bump(busy, title_vi="Sửa lần 3")  # recent; supersedes a recent entry

    before_feed = feed_page(cursor=0, limit=500)
    before_inventory = inventory_page(after="", limit=100)

    assert changelog_compact() == 3  # busy v1, busy v2, gone v1
    left = set(ChangeEntry.objects.values_list("seq", flat=True))
    assert left == {quiet_v1.seq, gone_v2.seq, busy_v3.seq, busy_v4.seq}
    # Readers see the same thing as before: the latest entry of every ref, tombstones included.
    after_feed = feed_page(cursor=0, limit=500)
    assert after_feed["records"] == before_feed["records"]
    assert [r["ref"] for r in after_feed["records"]] == ["hcm-quiet", "hcm-gone", "hcm-busy"]
    assert after_feed["records"][1]["deleted"] is True
    assert inventory_page(after="", limit=100) == before_inventory
    assert changelog_compact() == 0  # nothing old and superseded left
    assert changelog_compact(keep_seconds=0) == 1  # busy v3 once the retention is zero


def test_a_harvester_behind_the_compaction_still_ends_in_the_latest_state():
    listing = ListingFactory(published=True, ref="hcm-h", search_index=False)
    first = changelog_record(listing_id=listing.pk)
    cursor = first.seq - 1  # a harvester that stopped just before the first entry
    _bump(listing, title_vi="Bản 2")
    _age(list(ChangeEntry.objects.all()), days=60)
    _bump(listing, state=ListingState.UNPUBLISHED)
    assert changelog_compact() == 2
    page = feed_page(cursor=cursor, limit=10)
    assert [(r["ref"], r.get("deleted", False), r["version"]) for r in page["records"]] == [
        ("hcm-h", True, 3)
    ]
