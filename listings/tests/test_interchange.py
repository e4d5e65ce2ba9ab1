"""The interchange record validator and mapper (docs: interchange.md)."""

import copy
import datetime as dt

import pytest
from django.core.files.base import ContentFile

from exchange.core.models import Province
from listings.interchange import (
    SCHEMA,
    Lookups,
    listing_to_record,
    listings_for_records,
    record_to_listing_data,
    validate_record,
    validate_records,
)
from listings.models import IPRight, Listing, ListingAttachment
from listings.snapshots import listing_snapshot

from .factories import ListingFactory, RequestListingFactory

pytestmark = pytest.mark.django_db

EXAMPLE = {
    "schema": SCHEMA,
    "ref": "hcmut-2024-017",
    "kind": "offer",
    "title": {
        "vi": "Công nghệ xử lý nước thải dệt nhuộm bằng màng sinh học",
        "en": "Biofilm membrane treatment of textile dyeing wastewater",
    },
    "summary": {"vi": "Tóm tắt", "en": "Summary"},
    "description": {"vi": "Mô tả"},
    "advantages": {"vi": "Ưu điểm"},
    "applications": {"vi": "Ứng dụng"},
    "field": "2.07",
    "keywords": ["xử lý nước thải", "dệt nhuộm", "màng sinh học"],
    "trl": 6,
    "ip": [
        {
            "type": "patent",
            "status": "granted",
            "number": "1-0012345",
            "jurisdiction": "VN",
            "filed_on": "2021-03-02",
            "granted_on": "2023-08-15",
        }
    ],
    "transaction_types": ["exclusive_license", "non_exclusive_license", "assignment"],
    "price": {"currency": "VND", "min": 500000000, "max": 1200000000, "negotiable": True},
    "organization": {"ref": "hcmut", "name": "Trường Đại học Bách khoa – ĐHQG-HCM"},
    "inventors": [{"name": "Nguyễn Văn A"}],
    "province": "Thành phố Hồ Chí Minh",
    "state_funded": True,
    "updated_at": "2026-10-01T08:00:00+07:00",
}


def record(**changes):
    data = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def keys_of(errors):
    return {e.key for e in errors}


def test_the_documented_example_is_valid_and_maps_to_listing_fields():
    cleaned, errors = validate_record(record())
    assert errors == []
    data = record_to_listing_data(cleaned)
    assert data["title_vi"].startswith("Công nghệ")
    assert data["field"] == "2.07"
    assert data["province"] == "79"
    assert data["price_min"] == 500000000 and data["price_negotiable"] is True
    assert data["inventors"] == ["Nguyễn Văn A"]
    assert data["ip"][0] == {
        "type": "patent",
        "status": "granted",
        "number": "1-0012345",
        "jurisdiction": "VN",
        "filed_on": "2021-03-02",
        "granted_on": "2023-08-15",
    }
    assert cleaned["organization"] == {"ref": "hcmut", "name": "Trường Đại học Bách khoa – ĐHQG-HCM"}


def test_unknown_keys_are_ignored():
    cleaned, errors = validate_record(record(future_key={"x": 1}, origin="danang", version=7))
    assert errors == [] and "future_key" not in cleaned


@pytest.mark.parametrize(
    "key", ["schema", "ref", "kind", "title", "field", "transaction_types", "organization"]
)
def test_each_missing_required_key_is_named(key):
    cleaned, errors = validate_record(record(**{key: ...}), label="dòng 4")
    assert cleaned is None
    assert key in keys_of(errors)
    assert all(e.record == "dòng 4" for e in errors)
    assert any("missing required key" in e.message for e in errors if e.key == key)


def test_trl_is_required_for_offers_only():
    _, errors = validate_record(record(trl=...))
    assert keys_of(errors) == {"trl"}
    cleaned, errors = validate_record(
        record(kind="request", trl=..., problem={"vi": "Vấn đề"}, trl_wanted={"min": 4, "max": 7})
    )
    assert errors == [] and cleaned["trl"] is None and cleaned["trl_wanted"] == {"min": 4, "max": 7}


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"schema": "techex.technology/2"}, "schema"),
        ({"kind": "sale"}, "kind"),
        ({"title": {"vi": " ", "en": ""}}, "title"),
        ({"title": "Tên"}, "title"),
        ({"title": {"vi": 5}}, "title.vi"),
        ({"field": "9.99"}, "field"),
        ({"trl": 10}, "trl"),
        ({"trl": True}, "trl"),
        ({"trl": "6"}, "trl"),
        ({"keywords": "a, b"}, "keywords"),
        ({"ip": [{"type": "secret", "status": "granted"}]}, "ip[0].type"),
        ({"ip": [{"type": "patent", "status": "pending"}]}, "ip[0].status"),
        ({"ip": [{"type": "patent", "filed_on": "02/03/2021"}]}, "ip[0].filed_on"),
        ({"ip": {"type": "patent"}}, "ip"),
        ({"transaction_types": []}, "transaction_types"),
        ({"transaction_types": ["sale"]}, "transaction_types"),
        ({"price": {"currency": "USD", "min": 1, "max": 2}}, "price.currency"),
        ({"price": {"currency": "VND", "min": True}}, "price.min"),
        ({"price": {"currency": "VND", "min": 1.5}}, "price.min"),
        ({"price": {"currency": "VND", "min": -1}}, "price.min"),
        ({"price": {"currency": "VND", "min": 9, "max": 5}}, "price.max"),
        ({"price": {"min": 1}}, "price.currency"),
        ({"organization": {"ref": "hcmut"}}, "organization.name"),
        ({"organization": "hcmut"}, "organization"),
        ({"inventors": ["Nguyễn Văn A"]}, "inventors[0].name"),
        ({"province": "Atlantis"}, "province"),
        ({"state_funded": "yes"}, "state_funded"),
        ({"updated_at": "2026-10-01T08:00:00"}, "updated_at"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"deadline": "2026-13-01"}, "deadline"),
        ({"trl_wanted": {"min": 7, "max": 4}}, "trl_wanted.max"),
        ({"anonymous": 1}, "anonymous"),
        ({"media": [{"url": "https://x/a.png", "kind": "video"}]}, "media[0].kind"),
        ({"problem": ["vấn đề"]}, "problem"),
    ],
)
def test_wrong_types_and_values_are_rejected_with_the_key(changes, key):
    cleaned, errors = validate_record(record(**changes))
    assert cleaned is None
    assert key in keys_of(errors), errors


def test_every_problem_of_a_record_is_reported_at_once():
    _, errors = validate_record(record(trl=0, field="0.00", price={"currency": "VND", "min": False}))
    assert {"trl", "field", "price.min"} <= keys_of(errors)


def test_not_an_object():
    cleaned, errors = validate_record(["a"], label="#1")
    assert cleaned is None and errors[0].record == "#1"


@pytest.mark.parametrize(
    "text, code",
    [
        ("Thành phố Hồ Chí Minh", "79"),
        ("79", "79"),
        ("Ho Chi Minh City", "79"),
        ("TP.HCM", "79"),
        ("thanh pho ho chi minh", "79"),
        ("Bình Dương", "79"),  # merged into Ho Chi Minh City in 2025
        ("Bà Rịa – Vũng Tàu", "79"),
        ("ba ria - vung tau", "79"),
        ("Long An", "80"),
        ("ĐỒNG NAI", "75"),
        ("Bình Phước", "75"),
        ("Hà Nội", "01"),
    ],
)
def test_province_by_name_code_english_or_former_name(text, code):
    assert Lookups().province_code(text) == code
    cleaned, errors = validate_record(record(province=text))
    assert errors == [] and cleaned["province"] == code


def test_duplicate_refs_in_a_batch():
    cleaned, errors = validate_records([record(), record()])
    assert cleaned == [] and keys_of(errors) == {"ref"}


def test_listing_to_record_round_trip_for_an_offer():
    listing = ListingFactory(
        province=Province.objects.get(code="75"),
        price_min=100,
        price_max=200,
        price_negotiable=True,
        state_funded=True,
        advantages_vi="Rẻ",
    )
    IPRight.objects.create(listing=listing, type="patent", status="granted", number="1-0012345")
    listing = listings_for_records(Listing.objects.filter(pk=listing.pk)).get()
    rec = listing_to_record(listing)
    assert rec["schema"] == SCHEMA and rec["origin"] == "hcmc" and rec["version"] == listing.version
    assert rec["province"] == "Đồng Nai"
    cleaned, errors = validate_record(rec)
    assert errors == []
    assert record_to_listing_data(cleaned) == listing_snapshot(listing)


def test_anonymous_request_hides_the_organisation_and_still_validates():
    listing = RequestListingFactory(anonymous=True, deadline=dt.date(2027, 3, 1))
    rec = listing_to_record(listing)
    assert rec["organization"] == {"ref": None, "name": None}
    cleaned, errors = validate_record(rec)
    assert errors == [] and cleaned["organization"] is None
    assert record_to_listing_data(cleaned) == listing_snapshot(listing)
    own = listing_to_record(listing, public=False)
    assert own["organization"]["ref"] == listing.organization.ref
    # anonymity is the only reason a record may leave the organisation out
    _, errors = validate_record({**rec, "anonymous": False})
    assert "organization.ref" in keys_of(errors)


def test_media_lists_public_files_only_and_no_queries_for_prefetched_lists(django_assert_num_queries):
    listings = [ListingFactory(), ListingFactory(), RequestListingFactory()]
    for listing in listings:
        IPRight.objects.create(listing=listing, type="software", status="granted", number="1/2024/QTG")
    public = ListingAttachment(listing=listings[0], title="Brochure", original_name="b.pdf", language="vi")
    public.public_file.save("b.pdf", ContentFile(b"%PDF-1.4"), save=False)
    public.save()
    secret = ListingAttachment(listing=listings[0], confidential=True, original_name="secret.pdf")
    secret.private_file.save("secret.pdf", ContentFile(b"%PDF-1.4"), save=False)
    secret.save()
    items = list(listings_for_records(Listing.objects.filter(pk__in=[x.pk for x in listings]).order_by("pk")))
    with django_assert_num_queries(0):
        records = [listing_to_record(x, base_url="https://san.example.vn") for x in items]
    media = records[0]["media"]
    assert len(media) == 1
    assert media[0]["kind"] == "document" and media[0]["title"] == "Brochure"
    assert media[0]["url"].startswith("https://san.example.vn/")
    assert "secret" not in str(records)
    cleaned, errors = validate_record(records[0])
    assert errors == [] and cleaned["media"][0]["language"] == "vi"
