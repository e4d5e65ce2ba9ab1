"""What organisations type (descriptions, a website address) is shown as text: markup is escaped and an
address that would run code is not made a link."""

import pytest
from django.urls import reverse

from exchange.accounts.models import Organization
from listings.tests.factories import ListingFactory
from listings.tests.public_helpers import site_context  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]

EVIL = '<script>alert("x")</script><img src=x onerror="steal()"> <a href="javascript:alert(1)">bấm</a>'


def test_a_listing_description_with_markup_is_shown_as_text(client):
    listing = ListingFactory(published=True, description_vi=f"Mô tả. {EVIL}")
    html = client.get(listing.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html and '<a href="javascript' not in html


def test_an_organisation_website_that_would_run_code_is_not_a_link(client):
    listing = ListingFactory(published=True)
    org = listing.organization
    # Written past the form's URL validation, as an import or a peer's record could.
    Organization.objects.filter(pk=org.pk).update(website="javascript:alert(document.cookie)")
    html = client.get(reverse("listings:organization_detail", args=[org.ref])).content.decode()
    assert 'href="javascript' not in html.lower()
    Organization.objects.filter(pk=org.pk).update(website="https://hcmut.edu.vn/")
    html = client.get(reverse("listings:organization_detail", args=[org.ref])).content.decode()
    assert '<a href="https://hcmut.edu.vn/" rel="noopener">' in html
