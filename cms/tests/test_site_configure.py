"""The public address from SITE_URL: ``site_configure`` points the Wagtail Site at it, every absolute
link uses it whatever the request's host, and ``check --deploy`` refuses plain http."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from cms.checks import check_site_url
from cms.models import StandardPage
from cms.site_url import absolute_url, parse_site_url
from listings.tests.factories import ListingFactory

from .conftest import SITE, add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


def configure() -> str:
    out = StringIO()
    call_command("site_configure", stdout=out)
    return out.getvalue()


def test_site_configure_points_the_default_site_at_site_url_and_is_idempotent(home):
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("localhost", 80)  # what Wagtail's first migration leaves
    assert "localhost:80 → sangiaodich.example.vn:443" in configure()
    site.refresh_from_db()
    assert (site.hostname, site.port, site.is_default_site) == ("sangiaodich.example.vn", 443, True)
    assert site.root_url == SITE and site.root_page_id == home.pk
    with CaptureQueriesContext(connection) as queries:
        assert "nothing changed" in configure()
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert Site.objects.count() == 1
    about = add(home, StandardPage(title="Giới thiệu", slug="gioi-thieu"))
    assert about.full_url == f"{SITE}/vi/gioi-thieu/"


def test_make_run_address_keeps_its_port(settings, home):
    settings.SITE_URL = "http://127.0.0.1:8000"
    configure()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == ("127.0.0.1", 8000, "http://127.0.0.1:8000")


def test_a_site_without_the_default_flag_is_made_default(home):
    Site.objects.update(is_default_site=False)
    configure()
    assert Site.objects.get().is_default_site


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sangiaodich.example.vn", "must start with https://"),
        ("ftp://sangiaodich.example.vn", "must start with https://"),
        ("https://", "no host name"),
        ("https://sangiaodich.example.vn/san/", "bare address"),
        ("https://user:pw@sangiaodich.example.vn", "user name or password"),
        ("https://sangiaodich.example.vn:99999", "not a valid URL"),
    ],
)
def test_a_bad_site_url_is_refused_and_changes_nothing(settings, home, url, message):
    settings.SITE_URL = url
    with pytest.raises(CommandError, match=message):
        configure()
    assert Site.objects.get().hostname == "localhost"


def test_another_site_on_that_address_is_refused(home):
    Site.objects.create(hostname="sangiaodich.example.vn", port=443, root_page=home, is_default_site=False)
    with pytest.raises(CommandError, match="already uses sangiaodich.example.vn:443"):
        configure()
    assert Site.objects.get(is_default_site=True).hostname == "localhost"


def test_parse_site_url_parts():
    address = parse_site_url("HTTPS://SanGiaoDich.example.vn/")
    assert (address.scheme, address.hostname, address.port, address.root) == (
        "https",
        "sangiaodich.example.vn",
        443,
        "https://sangiaodich.example.vn",
    )
    assert parse_site_url("http://[::1]:8000").root == "http://[::1]:8000"
    assert absolute_url("/vi/") == f"{SITE}/vi/"
    assert absolute_url("https://cdn.example.vn/a.jpg") == "https://cdn.example.vn/a.jpg"
    assert absolute_url("//cdn.example.vn/a.jpg") == "https://cdn.example.vn/a.jpg"


def test_page_links_use_site_url_whatever_host_the_request_came_by(client, home):
    configure()
    listing = ListingFactory(published=True)
    for path in (f"/en/listings/technologies/{listing.pk}/", "/vi/"):
        html = client.get(path, HTTP_HOST="10.0.0.5:8000").content.decode()
        assert f'<link rel="canonical" href="{SITE}{path}">' in html
        assert f'<meta property="og:url" content="{SITE}{path}">' in html
        hrefs = re.findall(r'<link rel="alternate" hreflang="[^"]+" href="([^"]+)"', html)
        assert len(hrefs) == 3 and all(href.startswith(f"{SITE}/") for href in hrefs), hrefs
        assert "10.0.0.5" not in html
    detail = client.get(f"/en/listings/technologies/{listing.pk}/", HTTP_HOST="10.0.0.5:8000")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', detail.content.decode(), re.S)
    data = json.loads(script.group(1))
    assert data["url"] == f"{SITE}/en/listings/technologies/{listing.pk}/"
    robots = client.get("/robots.txt", HTTP_HOST="10.0.0.5:8000").content.decode()
    assert f"Sitemap: {SITE}/sitemap.xml" in robots


def test_deploy_check_refuses_plain_http_and_warns_on_a_host_not_served(settings):
    settings.ALLOWED_HOSTS = ["sangiaodich.example.vn"]
    assert check_site_url() == []
    settings.SITE_URL = "http://sangiaodich.example.vn"
    assert [m.id for m in check_site_url()] == ["cms.E002"]
    settings.SITE_URL = "https://127.0.0.1:8000"
    assert [m.id for m in check_site_url()] == ["cms.W001"]
    settings.SITE_URL = "https://sangiaodich.example.vn/san/"
    assert [m.id for m in check_site_url()] == ["cms.E001"]


def test_check_deploy_command_fails_on_http(settings):
    settings.ALLOWED_HOSTS = ["sangiaodich.example.vn"]
    settings.SITE_URL = "http://sangiaodich.example.vn"
    with pytest.raises(SystemCheckError, match="cms.E002"):
        call_command("check", "--deploy", stdout=StringIO(), stderr=StringIO())
