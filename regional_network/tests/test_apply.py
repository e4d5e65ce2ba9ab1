"""Applying peers' records: versioned, idempotent, origin-bound, quarantined when invalid."""

import threading

import pytest
from django.db import connection

from exchange.accounts.models import Organization
from listings.lifecycle import ListingState
from listings.models import Listing
from listings.tests.factories import ListingFactory
from regional_network.models import FederatedRecord, Peer, QuarantinedRecord
from regional_network.services import federated_records_apply

from .records import record, tombstone


@pytest.mark.django_db
class TestUpserts:
    def test_a_record_creates_a_published_listing_of_the_peers_origin(self, peer):
        stats = federated_records_apply(peer=peer, records=[record()])
        assert stats.created == 1
        listing = Listing.objects.get(origin="dongnai", ref="dn-001")
        assert listing.state == ListingState.PUBLISHED
        assert listing.version == 1
        assert listing.title_vi.startswith("Công nghệ sấy")
        assert listing.ip_rights.get().number == "1-0099999"
        assert listing.organization.ref == "dongnai--dnu"
        assert listing.expires_at is None
        fr = FederatedRecord.objects.get(origin="dongnai", ref="dn-001")
        assert (fr.version, fr.deleted, fr.listing_id) == (1, False, listing.pk)

    def test_newer_version_updates_older_or_equal_is_ignored(self, peer):
        federated_records_apply(peer=peer, records=[record(version=3)])
        stats = federated_records_apply(peer=peer, records=[record(version=2, title={"vi": "Cũ"})])
        assert stats.ignored == 1
        stats = federated_records_apply(peer=peer, records=[record(version=3, title={"vi": "Lặp"})])
        assert stats.ignored == 1
        assert Listing.objects.get(ref="dn-001").title_vi.startswith("Công nghệ sấy")
        stats = federated_records_apply(peer=peer, records=[record(version=4, title={"vi": "Mới"}, ip=[])])
        assert stats.updated == 1
        listing = Listing.objects.get(ref="dn-001")
        assert (listing.title_vi, listing.version, listing.ip_rights.count()) == ("Mới", 4, 0)

    def test_the_newest_of_one_ref_in_a_page_wins(self, peer):
        page = [
            record(version=2, title={"vi": "Hai"}),
            record(version=5, title={"vi": "Năm"}),
            record(version=3),
        ]
        federated_records_apply(peer=peer, records=page)
        assert Listing.objects.get(ref="dn-001").title_vi == "Năm"

    def test_tombstone_withdraws_and_a_later_version_republishes(self, peer):
        federated_records_apply(peer=peer, records=[record(version=1)])
        stats = federated_records_apply(peer=peer, records=[tombstone(version=2)])
        assert stats.withdrawn == 1
        assert Listing.objects.get(ref="dn-001").state == ListingState.UNPUBLISHED
        federated_records_apply(peer=peer, records=[record(version=1)])  # late duplicate: ignored
        assert Listing.objects.get(ref="dn-001").state == ListingState.UNPUBLISHED
        federated_records_apply(peer=peer, records=[record(version=3)])
        assert Listing.objects.get(ref="dn-001").state == ListingState.PUBLISHED

    def test_delete_before_create_wins(self, peer):
        federated_records_apply(peer=peer, records=[tombstone(version=4)])
        federated_records_apply(peer=peer, records=[record(version=3)])
        assert not Listing.objects.filter(ref="dn-001").exists()
        fr = FederatedRecord.objects.get(ref="dn-001")
        assert (fr.version, fr.deleted) == (4, True)

    def test_anonymous_request_gets_a_placeholder_organisation(self, peer):
        rec = record(
            ref="dn-req",
            kind="request",
            trl=None,
            anonymous=True,
            organization={"ref": None, "name": None},
            problem={"vi": "Cần máy sấy"},
        )
        rec.pop("trl")
        federated_records_apply(peer=peer, records=[rec])
        listing = Listing.objects.get(ref="dn-req")
        assert listing.organization.ref == "dongnai--anonymous"
        assert listing.anonymous


@pytest.mark.django_db
class TestOriginAuthority:
    def test_a_peer_cannot_touch_our_listing(self, peer):
        ours = ListingFactory(published=True, ref="dn-001", title_vi="Của HCMC", search_index=False)
        assert ours.origin == "hcmc"
        stats = federated_records_apply(peer=peer, records=[record(origin="hcmc", version=99)])
        assert stats.quarantined == 1 and stats.applied == 0
        stats = federated_records_apply(peer=peer, records=[tombstone(origin="hcmc", version=99)])
        assert stats.quarantined == 1
        ours.refresh_from_db()
        assert (ours.title_vi, ours.state, ours.version) == ("Của HCMC", ListingState.PUBLISHED, 1)
        assert "not the peer's origin" in QuarantinedRecord.objects.first().reason

    def test_a_peer_cannot_write_for_a_third_exchange(self, peer):
        binhduong = Peer.objects.create(
            name="Bình Dương", origin="binhduong", base_url="http://127.0.0.1:9", public_key=peer.public_key
        )
        federated_records_apply(peer=binhduong, records=[record(origin="binhduong", title={"vi": "BD"})])
        stats = federated_records_apply(peer=peer, records=[record(origin="binhduong", version=5)])
        assert stats.quarantined == 1
        assert Listing.objects.get(origin="binhduong").title_vi == "BD"

    def test_same_ref_at_two_origins_are_two_listings(self, peer):
        ListingFactory(published=True, ref="dn-001", search_index=False)
        federated_records_apply(peer=peer, records=[record()])
        assert Listing.objects.filter(ref="dn-001").count() == 2


@pytest.mark.django_db
class TestQuarantine:
    def test_invalid_records_are_quarantined_with_reasons_and_the_rest_applied(self, peer):
        bad = record(ref="dn-bad", trl=12, field="99.99")
        page = [record(), bad, "not an object", record(ref="dn-v", version="7")]
        stats = federated_records_apply(peer=peer, records=page)
        assert (stats.created, stats.quarantined) == (1, 3)
        assert not Listing.objects.filter(ref="dn-bad").exists()
        reasons = " | ".join(QuarantinedRecord.objects.values_list("reason", flat=True))
        assert "trl" in reasons and "field" in reasons and "version" in reasons
        q = QuarantinedRecord.objects.get(ref="dn-bad")
        assert q.raw["trl"] == 12 and q.peer == peer

    def test_unknown_schema_is_quarantined(self, peer):
        stats = federated_records_apply(peer=peer, records=[record(schema="techex.technology/2")])
        assert stats.quarantined == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicate_deliveries_produce_one_row(peer):
    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.fail("needs a file database shared by threads")
    barrier = threading.Barrier(4)
    errors = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            federated_records_apply(peer=Peer.objects.get(pk=peer.pk), records=[record(version=2)])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert Listing.objects.filter(origin="dongnai", ref="dn-001").count() == 1
    assert FederatedRecord.objects.filter(origin="dongnai", ref="dn-001").count() == 1
    assert Organization.objects.filter(ref="dongnai--dnu").count() == 1
