"""List pages cost the same number of queries for 4 rows as for 14 (everything is prefetched)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from listings import services
from listings.lifecycle import ListingState
from listings.models import IPRight, ListingAttachment, ListingImage, SavedListing
from listings.tests.factories import ListingFactory


def _rich_listings(people, n, **kwargs):
    items = []
    for i in range(n):
        state = [ListingState.DRAFT, ListingState.PUBLISHED, ListingState.SUBMITTED, ListingState.EXPIRED][
            i % 4
        ]
        extra = {"published": True} if state == ListingState.PUBLISHED else {"state": state}
        listing = ListingFactory(organization=people.org, created_by=people.researcher, **extra, **kwargs)
        listing.authors.add(people.tto)
        IPRight.objects.create(listing=listing, type="patent", status="filed", number=f"1-{i}")
        ListingImage.objects.create(listing=listing, image=f"listings/{i}.png", width=8, height=8)
        ListingAttachment.objects.create(listing=listing, public_file=f"f{i}.pdf", original_name="f.pdf")
        if state == ListingState.PUBLISHED:
            services.listing_update(actor=people.researcher, listing=listing, data={"title_vi": f"Sửa {i}"})
        items.append(listing)
    return items


def _count(client, url):
    client.get(url)  # warm per-process caches (the demo-data banner flag) so only the page is counted
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "user, url_name, args",
    [
        ("researcher", "portal:my_listings", []),
        ("researcher", "portal:dashboard", []),
        ("tto", "portal:portfolio", ["org"]),
        ("tto", "portal:tto_queue", []),
    ],
)
def test_constant_queries(client, people, user, url_name, args, django_assert_max_num_queries):
    client.force_login(people[user])
    url = reverse(url_name, args=[people[a].pk for a in args])
    _rich_listings(people, 4)
    small = _count(client, url)
    _rich_listings(people, 10)
    large = _count(client, url)
    assert large == small
    with django_assert_max_num_queries(30):
        client.get(url)


def test_saved_listings_constant_queries(client, people):
    client.force_login(people.business)
    url = reverse("portal:saved")
    for listing in _rich_listings(people, 4):
        SavedListing.objects.create(user=people.business, listing=listing)
    small = _count(client, url)
    for listing in _rich_listings(people, 10):
        SavedListing.objects.create(user=people.business, listing=listing)
    assert _count(client, url) == small
