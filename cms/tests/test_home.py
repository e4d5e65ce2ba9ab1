"""The home page: latest listings, editors' picks, counters, search box, demo banner and SEO links."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.context_processors import forget_demo_data_flag
from cms.models import HomePage, HomePageFeaturedListing
from exchange.accounts.tests.factories import OrganizationFactory, UserFactory
from listings.cache import bump_public_version
from listings.tests.factories import ListingFactory, RequestListingFactory
from listings.tests.public_helpers import dress, site_context  # noqa: F401 - fixture

from .conftest import SITE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


@pytest.fixture
def home():
    return HomePage.objects.get()


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_home_shows_latest_counters_and_search(client, home, lang, signed_in):
    if signed_in:
        client.force_login(UserFactory())
    org = OrganizationFactory()
    offers = [ListingFactory(published=True, organization=org) for _ in range(2)]
    request = RequestListingFactory(published=True)
    draft = ListingFactory(title_vi="Nháp không hiện", title_en="Hidden draft")
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    html = response.content.decode()
    for listing in [*offers, request]:
        assert listing.t("title", lang) in html
    assert draft.title_vi not in html and draft.title_en not in html
    assert response.context["counters"] == {"offers": 2, "requests": 1, "organizations": 2}
    assert f'action="/{lang}/listings/technologies/"' in html and 'name="q"' in html
    assert 'for="home-q"' in html
    assert f'hreflang="vi" href="{SITE}/vi/"' in html
    assert f'hreflang="en" href="{SITE}/en/"' in html
    assert f'<link rel="canonical" href="{SITE}/{lang}/">' in html
    assert 'class="skip-link" href="#main"' in html


def test_featured_listings_in_editor_order_and_only_published(client, home):
    first, second = ListingFactory(published=True), ListingFactory(published=True)
    withdrawn = ListingFactory(state="unpublished", title_vi="Đã gỡ khỏi sàn")
    for order, listing in enumerate([second, withdrawn, first]):
        HomePageFeaturedListing.objects.create(page=home, listing=listing, sort_order=order)
    response = client.get("/vi/")
    assert [listing.pk for listing in response.context["featured"]] == [second.pk, first.pk]
    html = response.content.decode()
    assert "Công nghệ tiêu biểu" in html and withdrawn.title_vi not in html


def test_home_constant_queries(client, home, django_assert_max_num_queries):
    for _ in range(3):
        dress(ListingFactory(published=True))
    dress(RequestListingFactory(published=True))
    HomePageFeaturedListing.objects.create(page=home, listing=ListingFactory(published=True), sort_order=0)
    client.get("/vi/")
    bump_public_version()  # a cold render: the cached listing sections cannot hide an N+1
    with CaptureQueriesContext(connection) as ctx:
        client.get("/vi/")
    baseline = len(ctx.captured_queries)
    for i in range(30):
        listing = dress(ListingFactory(published=True) if i % 2 else RequestListingFactory(published=True))
        HomePageFeaturedListing.objects.create(page=home, listing=listing, sort_order=i + 1)
    with django_assert_max_num_queries(baseline):
        client.get("/vi/")


BANNER_VI = "nội dung trình diễn, không phải thông tin thật"
BANNER_EN = "Demo content — not real information"


@pytest.mark.parametrize("path", ["/vi/", "/en/", "/vi/listings/technologies/", "/en/listings/experts/"])
def test_demo_banner_absent_without_demo_data(client, home, path):
    ListingFactory(published=True)
    html = client.get(path).content.decode()
    assert BANNER_VI not in html and BANNER_EN not in html


@pytest.mark.parametrize("path", ["/vi/", "/en/", "/vi/listings/technologies/", "/en/listings/requests/"])
def test_demo_banner_when_demo_listing_exists(client, home, path):
    ListingFactory(published=True, is_demo=True)
    html = client.get(path).content.decode()
    assert 'class="demo-banner"' in html
    assert BANNER_VI in html and BANNER_EN in html


def test_demo_banner_for_demo_organisation_and_cache(client, home, django_assert_max_num_queries):
    assert "demo-banner" not in client.get("/vi/").content.decode()
    OrganizationFactory(is_demo=True)
    # Cached for a minute: still absent until the flag is forgotten (seeders call this).
    assert "demo-banner" not in client.get("/vi/").content.decode()
    forget_demo_data_flag()
    assert "demo-banner" in client.get("/vi/").content.decode()


def test_admin_edit_page_offers_the_published_listing_chooser(client, home):
    from django.urls import reverse

    admin = UserFactory(is_superuser=True, is_staff=True)
    ListingFactory(published=True, title_vi="Chọn được")
    ListingFactory(title_vi="Nháp không chọn được")
    client.force_login(admin)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[home.pk]))
    assert response.status_code == 200
    assert "featured_listings" in response.content.decode()
    chooser = client.get(reverse("published_listing_chooser:choose"))
    assert chooser.status_code == 200
    body = chooser.json()["html"]
    assert "Chọn được" in body and "Nháp không chọn được" not in body
