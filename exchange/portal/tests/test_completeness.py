"""The completeness score: a weighted checklist of what buyers look for, with the reason for each."""

from django.urls import reverse

from exchange.portal.completeness import OFFER_CHECKS, REQUEST_CHECKS, completeness
from listings.models import IPRight, ListingAttachment, ListingImage
from listings.tests.factories import ListingFactory, RequestListingFactory

FULL_OFFER = {
    "title_vi": "Tên",
    "title_en": "Name",
    "summary_vi": "Tóm tắt",
    "advantages_vi": "Ưu điểm",
    "applications_en": "Uses",
    "trl": 6,
    "ip": [{"type": "patent", "status": "granted", "number": "1-001"}],
    "transaction_types": ["assignment"],
    "price_negotiable": True,
    "keywords": ["nước"],
    "inventors": ["A"],
}


def test_weights_are_percentages():
    assert sum(c.weight for c in OFFER_CHECKS) == 100
    assert sum(c.weight for c in REQUEST_CHECKS) == 100


def test_empty_offer_scores_zero_and_lists_everything_with_reasons():
    result = completeness({}, kind="offer")
    assert result.score == 0
    assert len(result.missing) == len(OFFER_CHECKS)
    for item in result.missing:
        assert str(item.why).strip() and str(item.label).strip()
    assert result.level == "low"


def test_full_offer_scores_100():
    result = completeness(FULL_OFFER, kind="offer", image_count=1, document_count=1)
    assert result.score == 100
    assert result.missing == []
    assert result.level == "high"


def test_each_missing_item_costs_its_weight():
    weights = {c.key: c.weight for c in OFFER_CHECKS}
    without_en = {**FULL_OFFER, "title_en": ""}
    result = completeness(without_en, kind="offer", image_count=1, document_count=1)
    assert result.score == 100 - weights["title_en"]
    assert [i.key for i in result.missing] == ["title_en"]
    assert "nước ngoài" in str(result.missing[0].why)
    result = completeness(FULL_OFFER, kind="offer", image_count=0, document_count=0)
    assert {i.key for i in result.missing} == {"images", "public_document"}


def test_price_range_or_negotiable():
    base = {**FULL_OFFER, "price_negotiable": False}
    assert "price" in {i.key for i in completeness(base, kind="offer").missing}
    assert "price" not in {i.key for i in completeness({**base, "price_max": 0}, kind="offer").missing}


def test_ip_needs_numbers_for_filed_or_granted_rights():
    def ip_missing(ip):
        return "ip" in {i.key for i in completeness({**FULL_OFFER, "ip": ip}, kind="offer").missing}

    assert ip_missing([])
    assert ip_missing([{"type": "patent", "status": "none", "number": ""}])
    assert ip_missing([{"type": "patent", "status": "filed", "number": ""}])
    assert ip_missing(
        [{"type": "patent", "status": "granted", "number": "1"}, {"type": "trademark", "status": "filed"}]
    )
    assert not ip_missing([{"type": "patent", "status": "filed", "number": "1-2024-001"}])
    assert not ip_missing([{"type": "know_how", "status": "none", "number": ""}])


def test_request_checklist_is_different():
    result = completeness(
        {"title_vi": "Cần", "problem_vi": "Vấn đề", "deadline": "2030-01-01"}, kind="request"
    )
    keys = {i.key for i in result.done}
    assert keys == {"title_vi", "problem", "deadline"}
    assert result.score == 10 + 15 + 7
    assert "trl" not in {i.key for i in result.items}
    assert "trl_wanted" in {i.key for i in result.missing}


def test_over_a_listing_counts_media_and_ip(people):
    listing = ListingFactory(
        organization=people.org, title_en="", price_negotiable=True, advantages_vi="x", applications_vi="y"
    )
    before = completeness(listing)
    assert {i.key for i in before.missing} == {"title_en", "ip", "images", "public_document"}
    IPRight.objects.create(listing=listing, type="patent", status="granted", number="1-1")
    ListingImage.objects.create(listing=listing, image="listings/x.png", width=8, height=8)
    ListingAttachment.objects.create(
        listing=listing, confidential=True, private_file="x.pdf", original_name="x.pdf"
    )
    listing = type(listing).objects.get(pk=listing.pk)
    after = completeness(listing)
    # A confidential document does not count: buyers cannot read it.
    assert {i.key for i in after.missing} == {"title_en", "public_document"}
    assert after.score > before.score


def test_request_listing(people):
    listing = RequestListingFactory(organization=people.company)
    result = completeness(listing)
    assert {i.key for i in result.done} >= {
        "title_vi",
        "problem",
        "trl_wanted",
        "transaction_types",
        "keywords",
    }


def test_score_and_list_on_my_listings_and_edit_page(client, people, offer):
    client.force_login(people.researcher)
    score = completeness(offer).score
    mine = client.get(reverse("portal:my_listings")).content.decode()
    assert f"<strong>{score}%</strong>" in mine
    edit = client.get(reverse("portal:listing_edit", args=[offer.pk])).content.decode()
    assert f"<strong>{score}%</strong>" in edit
    assert "Hình ảnh" in edit
    assert "Tin có ảnh sản phẩm" in edit  # the reason, in Vietnamese
