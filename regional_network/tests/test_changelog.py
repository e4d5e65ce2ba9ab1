"""Our change log: what the lifecycle services append, and the feed cut from it."""

import pytest

from listings import services as listing_services
from listings.lifecycle import ListingState
from listings.tests.factories import ListingFactory
from regional_network.changelog import changelog_reconcile, changelog_record, feed_page
from regional_network.models import ChangeEntry
from regional_network.services import federated_records_apply

from .records import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    from exchange.accounts.tests.factories import UserFactory

    return UserFactory(roles=["moderator"])


def test_publish_unpublish_and_republish_are_logged_with_rising_versions(
    moderator, django_capture_on_commit_callbacks
):
    listing = ListingFactory(state=ListingState.AWAITING_MODERATION, search_index=False)
    with django_capture_on_commit_callbacks(execute=True):
        listing_services.listing_publish(actor=moderator, listing=listing)
    entry = ChangeEntry.objects.get()
    assert (entry.ref, entry.version, entry.deleted) == (listing.ref, 1, False)
    assert entry.record["origin"] == "hcmc" and entry.record["version"] == 1
    assert entry.record["title"]["vi"] == listing.title_vi
    with django_capture_on_commit_callbacks(execute=True):
        listing_services.listing_unpublish(actor=moderator, listing=listing, reason="sai")
    tomb = ChangeEntry.objects.order_by("-seq").first()
    assert (tomb.version, tomb.deleted, tomb.record) == (2, True, None)
    assert changelog_record(listing_id=listing.pk) is None  # a second hook call adds nothing


def test_drafts_never_reach_the_log_and_federated_listings_are_never_relayed(peer):
    draft = ListingFactory(search_index=False)
    assert changelog_record(listing_id=draft.pk) is None
    federated_records_apply(peer=peer, records=[record()])
    from listings.models import Listing

    assert changelog_record(listing_id=Listing.objects.get(origin="dongnai").pk) is None
    assert not ChangeEntry.objects.exists()


def test_hard_delete_becomes_a_tombstone_by_reconcile():
    listing = ListingFactory(published=True, search_index=False)
    changelog_record(listing_id=listing.pk)
    pk, ref = listing.pk, listing.ref
    listing.delete()
    assert changelog_reconcile() == {"listings": 0, "orphans": 1}
    tomb = ChangeEntry.objects.order_by("-seq").first()
    assert (tomb.listing_id, tomb.ref, tomb.deleted, tomb.version) == (pk, ref, True, 2)
    assert changelog_reconcile() == {"listings": 0, "orphans": 0}


def test_reconcile_logs_changes_no_hook_reported():
    listing = ListingFactory(published=True, search_index=False)
    assert changelog_reconcile()["listings"] == 1
    listing.state, listing.version = ListingState.EXPIRED, 2
    listing.save()
    assert changelog_reconcile()["listings"] == 1
    assert ChangeEntry.objects.order_by("-seq").first().deleted


def test_feed_pages_return_each_refs_latest_only_and_never_miss_one():
    listings = [ListingFactory(published=True, search_index=False) for _ in range(5)]
    for listing in listings:
        changelog_record(listing_id=listing.pk)
    page = feed_page(cursor=0, limit=2)
    assert [r["ref"] for r in page["records"]] == [listings[0].ref, listings[1].ref]
    assert page["has_more"] and page["next_cursor"] == page["records"][-1]["seq"]
    # While the harvester is between pages, listing 0 (already read) and 2 (not yet) change.
    for listing in (listings[0], listings[2]):
        listing.version += 1
        listing.title_vi = f"Sửa {listing.pk}"
        listing.save()
        changelog_record(listing_id=listing.pk)
    seen = {r["ref"]: r for r in page["records"]}
    cursor = page["next_cursor"]
    while True:
        page = feed_page(cursor=cursor, limit=2)
        seen.update({r["ref"]: r for r in page["records"]})
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert set(seen) == {x.ref for x in listings}
    assert seen[listings[0].ref]["version"] == 2 and seen[listings[2].ref]["version"] == 2
    assert cursor == ChangeEntry.objects.order_by("-seq").first().seq
    # Compaction: listing 2's first entry is no longer served.
    all_refs = [r["ref"] for r in feed_page(cursor=0, limit=100)["records"]]
    assert len(all_refs) == len(set(all_refs)) == 5
    assert feed_page(cursor=cursor, limit=10) == {**feed_page(cursor=cursor, limit=10), "records": []}
