"""The list pages and the API find Vietnamese text typed without its marks, through the search index."""

import pytest

from exchange.accounts.tests.factories import OrganizationFactory
from listings.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings():
    org = OrganizationFactory(name="Trường Đại học Bách khoa")
    wanted = ListingFactory(
        published=True, organization=org, title_vi="Công nghệ xử lý nước thải dệt nhuộm", keywords=["màng"]
    )
    other = ListingFactory(published=True, title_vi="Cảm biến độ ẩm đất", keywords=["nông nghiệp"])
    return wanted, other


@pytest.mark.parametrize("q", ["xu ly nuoc thai", "XỬ LÝ NƯỚC THẢI", "dai hoc bach khoa"])
def test_api_q_folds_diacritics(client, listings, q):
    wanted, other = listings
    ids = [r["id"] for r in client.get("/api/v1/technologies/", {"q": q}).json()["results"]]
    assert ids[0] == wanted.pk  # the full match first (listings with only some of the words follow)


def test_site_list_folds_diacritics(client, listings):
    wanted, other = listings
    response = client.get("/vi/listings/technologies/", {"q": "cong nghe xu ly nuoc thai"})
    shown = [listing.pk for listing in response.context["listings"]]
    assert shown == [wanted.pk]  # the title is highlighted now, so compare the listings shown
    html = response.content.decode()
    assert "<mark>" in html
    assert other.title_vi not in html
