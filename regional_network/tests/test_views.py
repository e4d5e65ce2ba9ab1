"""The federation endpoints: feed, single record (410 for withdrawn), inventory, notify, load guard."""

import pytest

from listings.tests.factories import ListingFactory
from regional_network import views
from regional_network.changelog import changelog_record, record_hash
from regional_network.models import ChangeEntry, Peer

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged():
    live = ListingFactory(published=True, ref="hcm-live", search_index=False)
    gone = ListingFactory(published=True, ref="hcm-gone", search_index=False)
    for listing in (live, gone):
        changelog_record(listing_id=listing.pk)
    gone.state, gone.version = "unpublished", 2
    gone.save()
    changelog_record(listing_id=gone.pk)
    return live, gone


def test_changes_page_carries_records_and_tombstones(signed, peer, logged):
    body = signed.get("/federation/v1/changes?cursor=0&limit=1").json()
    assert body["has_more"] is True and len(body["records"]) == 1
    assert body["records"][0]["ref"] == "hcm-live" and body["records"][0]["origin"] == "hcmc"
    body = signed.get(f"/federation/v1/changes?cursor={body['next_cursor']}&limit=1").json()
    assert body["records"][0] == {
        "ref": "hcm-gone",
        "origin": "hcmc",
        "version": 2,
        "deleted": True,
        "seq": body["records"][0]["seq"],
    }
    assert body["has_more"] is False


def test_page_size_is_capped_and_bad_arguments_are_400(signed, peer, logged):
    assert signed.get("/federation/v1/changes?limit=100000").status_code == 200
    assert signed.get("/federation/v1/changes?cursor=-1").status_code == 400
    assert signed.get("/federation/v1/changes?cursor=abc").status_code == 400
    assert signed.get("/federation/v1/changes?schema=techex.technology/9").status_code == 406


def test_single_record_200_410_404(signed, peer, logged):
    assert signed.get("/federation/v1/listings/hcm-live").json()["ref"] == "hcm-live"
    gone = signed.get("/federation/v1/listings/hcm-gone")
    assert gone.status_code == 410 and gone.json()["deleted"] is True
    assert signed.get("/federation/v1/listings/nope").status_code == 404


def test_inventory_lists_live_records_with_hashes(signed, peer, logged):
    body = signed.get("/federation/v1/inventory").json()
    entry = ChangeEntry.objects.get(ref="hcm-live")
    assert body["items"] == [{"ref": "hcm-live", "version": 1, "hash": record_hash(entry.record)}]


def test_notify_answers_202_and_records_the_remote_seq(signed, peer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed.post("/federation/v1/notify", {"origin": "dongnai", "seq": 42})
    assert len(callbacks) == 1
    assert response.status_code == 202
    peer.refresh_from_db()
    assert peer.remote_seq == 42
    # The queued pull ran (immediate huey) against a closed port: a recorded, backed-off failure.
    assert peer.consecutive_failures == 1 and peer.next_attempt_at is not None


def test_rate_limit_answers_429_with_retry_after(signed, peer, settings):
    from django.core.cache import cache

    cache.clear()
    settings.FEDERATION_RATE_PER_MINUTE = 2
    assert signed.get("/federation/v1/inventory").status_code == 200
    assert signed.get("/federation/v1/inventory").status_code == 200
    response = signed.get("/federation/v1/inventory")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    cache.clear()


def test_overload_answers_503_with_retry_after(signed, peer):
    taken = 0
    while views._slots.acquire(blocking=False):
        taken += 1
    try:
        response = signed.get("/federation/v1/inventory")
        assert response.status_code == 503 and response["Retry-After"] == "5"
    finally:
        for _ in range(taken):
            views._slots.release()


def test_peer_origin_cannot_be_ours():
    from django.core.exceptions import ValidationError

    from regional_network.services import peer_create

    from .conftest import PEER_KEY, public_of

    with pytest.raises(ValidationError):
        peer_create(
            actor=None, name="x", origin="hcmc", base_url="http://x.vn", public_key=public_of(PEER_KEY)
        )
    with pytest.raises(ValidationError):
        peer_create(actor=None, name="x", origin="dn2", base_url="http://x.vn", public_key="bad")
    assert not Peer.objects.exists()
