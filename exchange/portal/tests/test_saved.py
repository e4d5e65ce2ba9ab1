from django.urls import reverse

from listings.models import SavedListing
from listings.tests.factories import ListingFactory, RequestListingFactory


def test_saved_listings_and_unsave(client, people):
    live = ListingFactory(organization=people.org, published=True)
    gone = RequestListingFactory(organization=people.other_org, state="closed", anonymous=True)
    SavedListing.objects.create(user=people.business, listing=live)
    SavedListing.objects.create(user=people.business, listing=gone)
    SavedListing.objects.create(user=people.researcher, listing=live)
    client.force_login(people.business)
    page = client.get(reverse("portal:saved")).content.decode()
    assert live.get_absolute_url() in page
    assert gone.title_vi in page and "không còn đăng" in page
    assert people.other_org.name not in page  # anonymous request keeps its organisation hidden
    assert "Giao dịch của tôi" in page  # the way into the deal room
    response = client.post(reverse("portal:saved"), {"listing": live.pk})
    assert response.status_code == 302
    assert not SavedListing.objects.filter(user=people.business, listing=live).exists()
    assert SavedListing.objects.filter(user=people.researcher, listing=live).exists()


def test_cannot_unsave_someone_elses(client, people):
    live = ListingFactory(organization=people.org, published=True)
    SavedListing.objects.create(user=people.researcher, listing=live)
    client.force_login(people.business)
    assert client.post(reverse("portal:saved"), {"listing": live.pk}).status_code == 404
    assert SavedListing.objects.filter(user=people.researcher).exists()


def test_business_sees_own_requests_in_my_listings(client, people, request_listing, offer):
    client.force_login(people.business)
    page = client.get(reverse("portal:my_listings"), {"kind": "request"}).content.decode()
    assert request_listing.title_vi in page
    assert offer.title_vi not in page
