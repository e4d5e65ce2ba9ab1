import pytest

from exchange.accounts import services as account_services
from listings import selectors, services
from listings.lifecycle import ListingState
from listings.models import Listing

S = ListingState


@pytest.mark.django_db
def test_export_includes_created_listings(people, make_listing):
    listing = make_listing()
    services.listing_update(actor=people.owner, listing=listing, data={"title_en": "Exported"})
    data = account_services.user_export_data(user=people.owner)
    created = data["apps"]["listings"]["created"]
    assert [(c["ref"], c["title"]["en"]) for c in created] == [(listing.ref, "Exported")]


@pytest.mark.django_db
def test_deleting_an_account_keeps_the_listing_but_detaches_the_person(people, make_listing):
    listing = make_listing(authors=[people.stranger])
    account_services.user_delete(user=people.owner)
    account_services.user_delete(user=people.stranger)
    listing.refresh_from_db()
    assert listing.created_by is None
    assert not listing.authors.exists()
    assert Listing.objects.filter(pk=listing.pk).exists()


@pytest.mark.django_db
def test_queues(people, make_listing):
    submitted = make_listing(state=S.SUBMITTED)
    awaiting = make_listing(state=S.AWAITING_MODERATION)
    published = make_listing(published=True)
    make_listing(state=S.ARCHIVED)
    assert list(selectors.listings_awaiting_tto(people.tto)) == [submitted]
    assert list(selectors.listings_awaiting_tto(people.other_tto)) == []
    assert list(selectors.listings_awaiting_moderation()) == [awaiting]
    assert list(selectors.listings_public()) == [published]
    assert set(selectors.listings_of_user(people.tto)) == {submitted, awaiting, published}
    assert list(selectors.listings_of_user(people.stranger)) == []
    revision = services.revision_submit(actor=people.owner, listing=published, data={"title_vi": "Mới"})
    assert list(selectors.revisions_awaiting_tto(people.tto)) == [revision]
    assert list(selectors.revisions_awaiting_tto(people.other_tto)) == []
    assert selectors.listing_pending_revision(published) == revision
    assert selectors.listing_get_visible(user=people.anonymous, pk=submitted.pk) is None
    assert selectors.listing_get_visible(user=people.moderator, pk=submitted.pk) == submitted
    assert selectors.listing_get_visible(user=people.anonymous, pk=published.pk) == published
    assert selectors.listing_audit_trail(published).count() == 0


@pytest.mark.django_db
def test_public_list_has_no_n_plus_one(people, make_listing, django_assert_num_queries):
    for _ in range(5):
        make_listing(published=True)
    with django_assert_num_queries(1):
        rows = list(selectors.listings_public())
        assert {r.field.parent.code for r in rows} == {"2"}
        assert all(r.organization.name for r in rows)
