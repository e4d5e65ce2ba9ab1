"""Fault test (issue #11): a peer exchange down or answering garbage.

The peer is a real HTTP server on loopback (``http.server`` in a thread) whose behaviour the test switches:
invalid JSON, a page of the wrong shape, a cursor of the wrong type, records of the wrong types, a body over
the client's size limit (declared and undeclared), an answer slower than the read timeout, one dripped
slower than the response deadline, a 500, and no server at all. After every fault the database is as it
was (no listing, no federated record, the cursor where it was), the failure is recorded on the peer with a
backoff that keeps it out of the scheduler's due list, and once the peer answers correctly the next pull
applies its records and resets the failures.
"""

import contextlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from listings.models import Listing
from regional_network.client import PeerClient, PeerRefused, PeerUnavailable
from regional_network.models import FederatedRecord, Peer, QuarantinedRecord
from regional_network.services import peer_sync, peers_due

from .records import record

pytestmark = pytest.mark.django_db

LIMIT = 64 * 1024  # the size limit the tests set (the default is 32 MiB)


def good_page(cursor: int) -> dict:
    records = [record(ref="dn-001", version=1), record(ref="dn-002", version=1, title={"vi": "Máy sấy"})]
    return {
        "origin": "dongnai",
        "records": records if cursor < 2 else [],
        "next_cursor": 2,
        "latest_seq": 2,
        "has_more": False,
    }


class MisbehavingPeer:
    """Đồng Nai's feed over real HTTP; ``mode`` chooses how it answers ``/federation/v1/changes``."""

    def __init__(self, port: int = 0):
        self.mode = "good"
        self.requests = 0
        self.stop = threading.Event()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                peer.requests += 1
                url = urllib.parse.urlsplit(self.path)
                cursor = int(dict(urllib.parse.parse_qsl(url.query)).get("cursor", 0))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    getattr(self, "mode_" + peer.mode)(cursor)

            def send(self, status, data: bytes, *, length=True):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if length:
                    self.send_header("Content-Length", str(len(data)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

            def mode_good(self, cursor):
                self.send(200, json.dumps(good_page(cursor)).encode())

            def mode_invalid_json(self, cursor):
                self.send(200, b'{"records": [{"ref": "dn-001", "version": 1')  # cut off

            def mode_html(self, cursor):
                self.send(200, b"<html><body>Bad gateway</body></html>")

            def mode_wrong_shape(self, cursor):
                self.send(200, json.dumps({"records": {"dn-001": good_page(0)["records"][0]}}).encode())

            def mode_wrong_cursor(self, cursor):
                page = good_page(cursor)
                page["next_cursor"] = "two"
                self.send(200, json.dumps(page).encode())

            def mode_wrong_records(self, cursor):
                page = good_page(cursor)
                page["records"] = [
                    "dn-001",
                    {**record(ref="dn-003"), "version": "1"},
                    {**record(ref="dn-004"), "trl": "seven"},
                    {**record(ref="dn-005"), "title": ["not", "an", "object"]},
                ]
                page["next_cursor"] = 1
                self.send(200, json.dumps(page).encode())

            def mode_huge_declared(self, cursor):
                page = good_page(cursor)
                page["padding"] = "x" * (LIMIT * 4)
                self.send(200, json.dumps(page).encode())

            def mode_huge_streamed(self, cursor):
                # No Content-Length: the size is only known by reading; the client must stop at its limit.
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b'{"records": [], "padding": "')
                for _ in range(64):  # 4 MiB, far past the limit
                    if peer.stop.is_set():
                        return
                    self.wfile.write(b"x" * 65536)
                self.wfile.write(b'"}')

            def mode_slow(self, cursor):
                peer.stop.wait(6)  # past the 0.5 s read timeout the test sets
                self.send(200, json.dumps(good_page(cursor)).encode())

            def mode_drip(self, cursor):
                # Each byte comes well within the read timeout; the whole body never within the deadline.
                data = json.dumps(good_page(cursor)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(len(data)):
                    if peer.stop.wait(0.1):
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()

            def mode_error(self, cursor):
                self.send(500, b'{"error": "internal"}')

        ThreadingHTTPServer.allow_reuse_address = True  # restart on the same port at once
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def remote(peer, settings):
    settings.FEDERATION_MAX_RESPONSE_BYTES = LIMIT
    settings.FEDERATION_READ_TIMEOUT = 0.5
    settings.FEDERATION_RESPONSE_DEADLINE = 1.5
    server = MisbehavingPeer()
    Peer.objects.filter(pk=peer.pk).update(base_url=server.url)
    yield server
    server.close()


def _snapshot():
    return (
        Listing.objects.filter(origin="dongnai").count(),
        FederatedRecord.objects.count(),
        list(Peer.objects.values_list("cursor", "remote_seq", "records_applied")),
    )


def _assert_failed_and_backed_off(peer, result, status, failures, message):
    assert result.status == status, result.error
    assert message in result.error
    peer.refresh_from_db()
    assert peer.consecutive_failures == failures
    assert message in peer.last_error and peer.last_error_at is not None
    assert peer.next_attempt_at > timezone.now()  # backed off: the scheduler leaves it alone for now
    assert peer.pk not in peers_due()
    assert peer.locked_until is None  # the lease is released, so the next pull is not blocked


GARBAGE = [
    ("invalid_json", "refused", "malformed feed page"),
    ("html", "refused", "malformed feed page"),
    ("wrong_shape", "refused", "malformed feed page"),
    ("wrong_cursor", "refused", "next_cursor must be a non-negative integer"),
    ("huge_declared", "refused", "exceeds the 65536-byte limit"),
    ("huge_streamed", "refused", "exceeds the 65536-byte limit"),
    ("slow", "unavailable", "ReadTimeoutError"),
    ("drip", "unavailable", "not complete within the deadline"),
    ("error", "unavailable", "HTTP 500"),
]


@pytest.mark.parametrize(("mode", "status", "message"), GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_leaves_the_database_unchanged_backs_off_and_recovers(peer, remote, mode, status, message):
    before = _snapshot()
    remote.mode = mode
    started = time.monotonic()
    result = peer_sync(peer_id=peer.pk)
    elapsed = time.monotonic() - started
    _assert_failed_and_backed_off(peer, result, status, 1, message)
    assert _snapshot() == before
    assert not QuarantinedRecord.objects.exists()  # nothing was read as a record
    # Bounded: the read timeout / deadline / size limit cut the answer short (never the full 6 s+ wait).
    assert elapsed < 5, elapsed

    remote.mode = "good"
    result = peer_sync(peer_id=peer.pk)
    assert result.status == "ok", result.error
    assert result.stats.created == 2
    peer.refresh_from_db()
    assert peer.consecutive_failures == 0 and peer.cursor == 2 and peer.last_success_at is not None
    assert set(Listing.objects.filter(origin="dongnai").values_list("ref", flat=True)) == {"dn-001", "dn-002"}


def test_a_failing_peer_is_backed_off_longer_each_time(peer, remote):
    remote.mode = "error"
    delays = []
    for failures in (1, 2, 3):
        result = peer_sync(peer_id=peer.pk)
        _assert_failed_and_backed_off(peer, result, "unavailable", failures, "HTTP 500")
        delays.append((peer.next_attempt_at - timezone.now()).total_seconds())
    # 30 s, 60 s, 120 s with ±20 % jitter
    assert 20 < delays[0] < 40 and 45 < delays[1] < 75 and 90 < delays[2] < 150


def test_a_refusal_waits_for_the_regular_interval(peer, remote):
    """Garbage will not heal by retrying in 30 s: the peer waits at least an hour (or staff's sync now)."""
    remote.mode = "invalid_json"
    _assert_failed_and_backed_off(peer, peer_sync(peer_id=peer.pk), "refused", 1, "malformed feed page")
    assert (peer.next_attempt_at - timezone.now()).total_seconds() > 3500


def test_records_of_the_wrong_types_are_quarantined_and_nothing_is_half_applied(peer, remote):
    remote.mode = "wrong_records"
    result = peer_sync(peer_id=peer.pk)
    assert result.status == "ok"
    assert result.stats.quarantined == 4 and result.stats.applied == 0
    assert not Listing.objects.filter(origin="dongnai").exists()
    assert not FederatedRecord.objects.exists()
    reasons = sorted(QuarantinedRecord.objects.values_list("reason", flat=True))
    assert any("not a JSON object" in r for r in reasons)
    assert any("version must be a positive integer" in r for r in reasons)
    assert any("trl" in r for r in reasons) and any("title" in r for r in reasons)
    peer.refresh_from_db()
    assert peer.cursor == 1  # moved on past the bad records (the inventory repair fetches them again)

    remote.mode = "good"
    assert peer_sync(peer_id=peer.pk).status == "ok"
    assert Listing.objects.filter(origin="dongnai").count() == 2


def test_a_peer_that_is_down_backs_off_and_catches_up_when_back_on_the_same_port(peer, remote):
    port = remote.port
    remote.close()
    _assert_failed_and_backed_off(peer, peer_sync(peer_id=peer.pk), "unavailable", 1, "NewConnectionError")
    assert not Listing.objects.filter(origin="dongnai").exists()

    back = MisbehavingPeer(port=port)  # the same peer restarted on the same port
    try:
        result = peer_sync(peer_id=peer.pk)
        assert result.status == "ok", result.error
        peer.refresh_from_db()
        assert peer.consecutive_failures == 0 and peer.cursor == 2
        assert Listing.objects.filter(origin="dongnai").count() == 2
    finally:
        back.close()


def test_the_client_classifies_each_fault(remote):
    client = PeerClient(remote.url)
    remote.mode = "huge_declared"
    with pytest.raises(PeerRefused, match="exceeds"):
        client.changes(cursor=0)
    remote.mode = "slow"
    with pytest.raises(PeerUnavailable):
        client.changes(cursor=0)
    remote.mode = "good"  # the pool recovers: a fresh connection after the aborted ones
    assert client.changes(cursor=0)["next_cursor"] == 2
