"""Two live exchanges: this test process is HCMC (live_server, the test database) and a subprocess is
Đồng Nai (``runserver`` on its own SQLite database, origin ``dongnai``, its own key). Changes travel by
signed push + pull; every wait is bounded and the subprocess is always stopped.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from exchange.accounts.tests.factories import UserFactory
from listings import services as listing_services
from listings.lifecycle import ListingState
from listings.models import Listing
from listings.tests.factories import ListingFactory
from regional_network.changelog import changelog_reconcile
from regional_network.client import PeerClient, PeerRefused
from regional_network.models import Peer, QuarantinedRecord
from regional_network.services import peer_sync

from .conftest import OUR_KEY, PEER_KEY, public_of
from .records import record

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STARTUP = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dongnai:
    """The second exchange: start/stop its server, run its commands, read its database."""

    def __init__(self, tmp: Path, hcmc_url: str):
        self.tmp = tmp
        self.db = tmp / "dongnai.sqlite3"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "regional_network.tests.peer_settings",
            "SQLITE_PATH": str(self.db),
            "TECHEX_VAR_DIR": str(tmp),
            "EXCHANGE_ORIGIN": "dongnai",
            "FEDERATION_PRIVATE_KEY": PEER_KEY,
        }
        self._create_database(hcmc_url)

    def _create_database(self, hcmc_url: str) -> None:
        """A copy of the (migrated, reference-data only) test database: 0.1 s instead of 20 s of migrate."""
        if connection.vendor != "sqlite":
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                cwd=settings.BASE_DIR, env=self.env, check=True, timeout=120,
            )  # fmt: skip
        else:
            source = sqlite3.connect(connection.settings_dict["NAME"])
            target = sqlite3.connect(self.db)
            source.backup(target)
            source.close()
            target.close()
        self.sql(
            "INSERT INTO regional_network_peer (name, origin, base_url, public_key, pull_interval, active, "
            "cursor, remote_seq, last_error, consecutive_failures, records_applied, lock_token, created_at) "
            "VALUES (?, 'hcmc', ?, ?, 300, 1, 0, 0, '', 0, 0, '', ?)",
            ("Sàn giao dịch công nghệ TP.HCM", hcmc_url, public_of(OUR_KEY), timezone.now().isoformat()),
        )

    def sql(self, query, params=()):
        with sqlite3.connect(self.db, timeout=20) as db:
            rows = db.execute(query, params).fetchall()
        return rows

    def listing(self, ref):
        rows = self.sql(
            "SELECT state, version, title_vi FROM listings_listing WHERE origin='hcmc' AND ref=?", (ref,)
        )
        return rows[0] if rows else None

    def start(self) -> None:
        log = (self.tmp / "dongnai.log").open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks",
             f"127.0.0.1:{self.port}"],
            cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        pytest.fail("Đồng Nai did not start:\n" + (self.tmp / "dongnai.log").read_text()[-3000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def manage(self, *args) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR, env=self.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture
def dongnai(live_server, tmp_path):
    if connection.vendor != "sqlite" and os.environ.get("CI") != "true":
        pytest.skip("copying the test database needs SQLite (CI runs migrate instead)")
    instance = Dongnai(tmp_path, live_server.url)
    instance.start()
    yield instance
    instance.stop()


def test_two_exchanges_sync(dongnai, live_server):
    moderator = UserFactory(roles=["moderator"])
    peer_b = Peer.objects.create(
        name="Sàn giao dịch công nghệ Đồng Nai",
        origin="dongnai",
        base_url=dongnai.url,
        public_key=public_of(PEER_KEY),
    )

    # Create → the push reaches Đồng Nai, which pulls at once.
    listing = ListingFactory(state=ListingState.AWAITING_MODERATION, search_index=False)
    owner = listing.created_by
    listing_services.listing_publish(actor=moderator, listing=listing)
    assert dongnai.listing(listing.ref) == ("published", 1, listing.title_vi)

    # Update (an approved revision).
    revision = listing_services.revision_submit(actor=owner, listing=listing, data={"title_vi": "Tên đã sửa"})
    listing_services.revision_approve(actor=moderator, revision=revision)
    assert dongnai.listing(listing.ref) == ("published", 2, "Tên đã sửa")

    # Unpublish → tombstone.
    listing_services.listing_unpublish(actor=moderator, listing=listing, reason="tạm gỡ")
    assert dongnai.listing(listing.ref)[:2] == ("unpublished", 3)

    # Delete (a row removed outside the services) → the reconcile job's tombstone.
    other = ListingFactory(state=ListingState.AWAITING_MODERATION, search_index=False)
    listing_services.listing_publish(actor=moderator, listing=other)
    assert dongnai.listing(other.ref)[0] == "published"
    Listing.objects.filter(pk=other.pk).delete()
    changelog_reconcile()
    assert dongnai.listing(other.ref)[0] == "unpublished"

    # Đồng Nai cannot modify our listing, even by putting origin "hcmc" in its own feed.
    forged = record(origin="hcmc", ref=listing.ref, version=99, title={"vi": "Giả mạo"})
    legit = record(ref="dn-legit", version=1)
    for item in (forged, legit):
        dongnai.sql(
            "INSERT INTO regional_network_changeentry (listing_id, ref, kind, field, version, "
            "source_version, deleted, record, record_hash, at) "
            "VALUES (?, ?, 'offer', '2.07', ?, 0, 0, ?, '', ?)",
            (
                900000 + item["version"],
                item["ref"],
                item["version"],
                json.dumps(item),
                timezone.now().isoformat(),
            ),
        )
    result = peer_sync(peer_id=peer_b.pk)
    assert result.status == "ok", result.error
    listing.refresh_from_db()
    assert (listing.title_vi, listing.version, listing.state) == ("Tên đã sửa", 3, ListingState.UNPUBLISHED)
    assert QuarantinedRecord.objects.get(peer=peer_b).ref == listing.ref
    assert Listing.objects.get(origin="dongnai", ref="dn-legit").state == ListingState.PUBLISHED

    # Wrong key: Đồng Nai refuses a request signed with a key it does not know for "hcmc".
    os.environ["FEDERATION_PRIVATE_KEY"] = PEER_KEY
    try:
        with pytest.raises(PeerRefused) as refused:
            PeerClient(dongnai.url).changes(cursor=0)
        assert refused.value.status == 401
    finally:
        os.environ["FEDERATION_PRIVATE_KEY"] = OUR_KEY

    # Đồng Nai goes down: our writes still succeed (a lost push is harmless), our pulls back off.
    dongnai.stop()
    third = ListingFactory(state=ListingState.AWAITING_MODERATION, search_index=False)
    listing_services.listing_publish(actor=moderator, listing=third)
    delays = []
    for _ in range(3):
        assert peer_sync(peer_id=peer_b.pk).status == "unavailable"
        peer_b.refresh_from_db()
        delays.append((peer_b.next_attempt_at - timezone.now()).total_seconds())
    assert peer_b.consecutive_failures == 3
    assert delays[0] < delays[1] < delays[2] <= 3600

    # Back up: its scheduled pull (the sync command) catches up; ours succeeds and resets the backoff.
    dongnai.start()
    assert dongnai.listing(third.ref) is None
    out = dongnai.manage("federation_sync", "--peer", "hcmc", "-v0")
    assert "hcmc: ok" in out
    assert dongnai.listing(third.ref)[0] == "published"
    assert dongnai.sql("SELECT cursor, consecutive_failures FROM regional_network_peer")[0][1] == 0
    assert peer_sync(peer_id=peer_b.pk).status == "ok"
    peer_b.refresh_from_db()
    assert peer_b.consecutive_failures == 0 and peer_b.last_success_at is not None


def test_an_inquiry_travels_to_the_origin_and_its_answer_comes_back(dongnai, live_server):
    """HCMC's member expresses interest in a Đồng Nai listing: forwarded (signed) to Đồng Nai, where the
    listing's TTO manager accepts it; Đồng Nai's signed status callback updates HCMC."""
    from exchange.accounts.tests.factories import MembershipFactory
    from regional_network.inquiries import forwarded_inquiry_create
    from regional_network.models import ForwardedInquiry

    peer_b = Peer.objects.create(
        name="Sàn giao dịch công nghệ Đồng Nai",
        origin="dongnai",
        base_url=dongnai.url,
        public_key=public_of(PEER_KEY),
    )
    # Đồng Nai publishes a listing of its own (logged and pushed to us as its hook would).
    out = dongnai.manage(
        "shell",
        "-c",
        "from exchange.accounts.tests.factories import OrganizationFactory, manager_of\n"
        "from listings.tests.factories import ListingFactory\n"
        "from regional_network.changelog import changelog_record\n"
        "org = OrganizationFactory(name='Trường Đại học Đồng Nai')\n"
        "manager = manager_of(org, user__email='tto@dnu.edu.vn')\n"
        "listing = ListingFactory(published=True, ref='dn-inq', organization=org, created_by=manager,"
        " search_index=False)\n"
        "changelog_record(listing_id=listing.pk)\n"
        "print('manager', manager.pk)\n",
    )
    manager_pk = int(out.split("manager")[-1].split()[0])
    assert peer_sync(peer_id=peer_b.pk).status == "ok"
    listing = Listing.objects.get(origin="dongnai", ref="dn-inq")

    # Our member (a verified organisation) sends interest; delivery runs after commit.
    membership = MembershipFactory()
    inquiry = forwarded_inquiry_create(
        actor=membership.user,
        listing=listing,
        organization=membership.organization,
        message="Chúng tôi muốn chuyển giao công nghệ này.",
    )
    inquiry.refresh_from_db()
    assert inquiry.status == "delivered", inquiry.last_error
    remote = dongnai.sql(
        "SELECT id, status, buyer_organization, callback_id FROM regional_network_incominginquiry"
    )
    assert remote == [
        (int(inquiry.remote_id), "received", membership.organization.name, str(inquiry.callback_id))
    ]

    # Đồng Nai's TTO manager accepts; the decision is reported back to us, signed.
    dongnai.manage(
        "shell",
        "-c",
        "from exchange.accounts.models import User\n"
        "from regional_network.inquiries import incoming_inquiry_decide\n"
        "from regional_network.models import IncomingInquiry\n"
        f"incoming_inquiry_decide(actor=User.objects.get(pk={manager_pk}),"
        " inquiry=IncomingInquiry.objects.get(), accept=True, reason='Mời quý công ty trao đổi.')\n",
    )
    inquiry = ForwardedInquiry.objects.get(pk=inquiry.pk)
    assert inquiry.status == "accepted" and inquiry.reason == "Mời quý công ty trao đổi."
    assert inquiry.contact["email"] == "tto@dnu.edu.vn"
    assert dongnai.sql("SELECT status, report_pending FROM regional_network_incominginquiry") == [
        ("accepted", 0)
    ]
    assert membership.user.notifications.filter(kind="federation_inquiry_status").count() == 2
