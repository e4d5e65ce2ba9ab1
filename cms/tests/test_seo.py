"""sitemap.xml, robots.txt, schema.org JSON-LD on listing pages, Open Graph on other views."""

import json
import logging
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory
from wagtail.models import Locale

from cms.models import NewsArticlePage, NewsIndexPage
from listings.tests.factories import ListingFactory, RequestListingFactory

from .conftest import SITE, add

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("site_context"),
]


def jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, html
    return json.loads(match.group(1))


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "User-agent: *" in body and "Disallow: /admin/" in body and "Disallow: /*/portal/" in body
    assert f"Sitemap: {SITE}/sitemap.xml" in body


def test_sitemap_lists_pages_in_both_languages_and_published_listings(client, i18n, home):
    call_command("site_configure", stdout=StringIO())  # as compose's migrate job does
    news = add(home, NewsIndexPage(title="Tin tức", slug="tin-tuc"))
    add(news, NewsArticlePage(title="Bài", slug="bai"))
    draft = NewsArticlePage(title="Nháp", slug="nhap", live=False)
    news.add_child(instance=draft)
    home.copy_for_translation(Locale.objects.get(language_code="en")).save_revision().publish()
    offer = ListingFactory(published=True)
    request = RequestListingFactory(published=True)
    hidden = ListingFactory()
    federated = ListingFactory(published=True, origin="dongnai")
    # Whatever host name the crawler came in by, every address is on SITE_URL.
    response = client.get("/sitemap.xml", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    body = response.content.decode()
    locs = re.findall(r"<loc>(.*?)</loc>", body)
    alternates = re.findall(r'<xhtml:link rel="alternate" hreflang="[^"]+" href="([^"]+)"', body)
    assert locs and alternates
    assert all(url.startswith(f"{SITE}/") for url in locs + alternates), [
        url for url in locs + alternates if not url.startswith(f"{SITE}/")
    ]
    assert f"{SITE}/vi/" in locs and f"{SITE}/en/" in locs
    assert f"{SITE}/vi/tin-tuc/bai/" in locs
    assert not any("nhap" in loc for loc in locs)
    assert f"{SITE}/vi/listings/technologies/{offer.pk}/" in locs
    assert f"{SITE}/en/listings/technologies/{offer.pk}/" in locs
    assert f"{SITE}/vi/listings/requests/{request.pk}/" in locs
    assert not any(f"/{hidden.pk}/" in loc for loc in locs if "listings" in loc)
    assert not any(f"/{federated.pk}/" in loc for loc in locs if "listings" in loc)
    assert 'hreflang="en"' in body and 'hreflang="x-default"' in body


def test_sitemap_says_why_pages_and_listings_disagree_before_site_configure(client, home, caplog):
    ListingFactory(published=True)
    with caplog.at_level(logging.WARNING, logger="cms.views"):
        body = client.get("/sitemap.xml").content.decode()
    assert "http://localhost/vi/" in body  # Wagtail's first migration leaves localhost:80
    assert "run manage.py site_configure" in caplog.text and SITE in caplog.text


def render_jsonld(listing, language="vi"):
    from django.utils import translation

    request = RequestFactory().get("/")
    with translation.override(language):
        html = Template("{% include 'cms/_listing_jsonld.html' %}").render(
            Context({"listing": listing, "request": request})
        )
    return html


def test_offer_jsonld():
    listing = ListingFactory(
        published=True, price_min=100_000_000, price_max=500_000_000, title_vi="Màng lọc </script>"
    )
    html = render_jsonld(listing)
    assert "</script>" not in html[: html.rfind("</script>")]
    data = jsonld(html)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Offer"
    assert data["name"] == "Màng lọc </script>"
    assert data["url"] == f"{SITE}/vi/listings/technologies/{listing.pk}/"
    assert data["seller"] == {"@type": "Organization", "name": str(listing.organization)}
    assert data["priceSpecification"] == {
        "@type": "PriceSpecification",
        "priceCurrency": "VND",
        "minPrice": 100_000_000,
        "maxPrice": 500_000_000,
    }
    assert data["itemOffered"]["name"] == listing.title_vi
    assert data["validThrough"].startswith(str(listing.expires_at.year))
    english = jsonld(render_jsonld(listing, "en"))
    assert english["name"] == listing.title_en and english["url"].startswith(f"{SITE}/en/")


def test_request_jsonld_is_a_demand_and_anonymous_hides_the_seeker():
    listing = RequestListingFactory(published=True)
    data = jsonld(render_jsonld(listing))
    assert data["@type"] == "Demand" and data["seeker"]["name"] == str(listing.organization)
    anonymous = RequestListingFactory(published=True, anonymous=True)
    assert "seeker" not in jsonld(render_jsonld(anonymous))


def test_unpublished_listing_gets_no_jsonld():
    assert render_jsonld(ListingFactory()).strip() == ""


def test_open_graph_on_non_page_views(client):
    html = client.get("/vi/listings/technologies/").content.decode()
    assert '<meta property="og:site_name"' in html and '<meta property="og:locale" content="vi_VN">' in html
