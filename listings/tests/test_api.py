"""Partner API for offers and requests: visibility, every filter, validation, writes through the
lifecycle, permissions per role, and a constant number of queries on list pages."""

import copy

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from exchange.accounts.tokens import api_token_create
from exchange.core.models import Province
from listings.interchange import SCHEMA, listing_to_record
from listings.lifecycle import ListingState
from listings.models import IPRight, IPType, Listing, ListingRevision, ScienceField, TransactionType

from .factories import RequestListingFactory

pytestmark = pytest.mark.django_db
TECH = "/api/v1/technologies/"
REQ = "/api/v1/requests/"
S = ListingState


def api(user=None):
    client = APIClient()
    if user is not None and not isinstance(user, AnonymousUser):
        client.force_authenticate(user)
    return client


def refs(response):
    assert response.status_code == 200, response.data
    return sorted(item["ref"] for item in response.data["results"])


def record(people, **overrides):
    base = {
        "schema": SCHEMA,
        "ref": "api-new-1",
        "kind": "offer",
        "title": {"vi": "Công nghệ sấy lạnh nông sản", "en": "Cold drying of farm produce"},
        "summary": {"vi": "Sấy ở nhiệt độ thấp giữ màu và vitamin."},
        "field": "2.07",
        "keywords": ["sấy lạnh"],
        "trl": 6,
        "ip": [{"type": "patent", "status": "filed", "number": "1-2024-0001", "jurisdiction": "VN"}],
        "transaction_types": ["non_exclusive_license"],
        "price": {"currency": "VND", "min": 100_000_000, "max": 300_000_000, "negotiable": True},
        "organization": {"ref": people.org.ref, "name": people.org.name},
        "inventors": [{"name": "Trần Thị B"}],
        "province": "79",
    }
    base.update(overrides)
    return base


# --- list: visibility and shape ----------------------------------------------------------------------
def test_list_shows_published_offers_only_with_the_documented_shape(people, make_listing):
    live = make_listing(published=True, ref="live", price_min=10, price_max=20)
    make_listing(ref="draft")
    make_listing(published=True, ref="closed", state=S.CLOSED)
    RequestListingFactory(published=True, ref="a-request", organization=people.org)
    response = api().get(TECH)
    assert response.status_code == 200
    assert response.data["count"] == 1
    assert set(response.data) == {"count", "next", "previous", "results"}
    item = response.data["results"][0]
    for key in (
        "id",
        "ref",
        "origin",
        "url",
        "title",
        "summary",
        "organization",
        "field",
        "trl",
        "transaction_types",
        "price",
    ):
        assert key in item
    assert item["id"] == live.pk and item["ref"] == "live" and item["origin"] == "hcmc"
    assert item["title"] == {"vi": live.title_vi, "en": live.title_en}
    assert item["field"] == "2.07" and item["trl"] == 6
    assert item["price"] == {"currency": "VND", "min": 10, "max": 20, "negotiable": False}
    assert item["url"].startswith("http://testserver/") and item["url"].endswith(live.get_absolute_url())
    # organisations are hidden from anonymous visitors, shown to signed-in ones
    assert item["organization"] == {"ref": None, "name": None}
    shown = api(people.stranger).get(TECH).data["results"][0]["organization"]
    assert shown == {"ref": people.org.ref, "name": people.org.name}


def test_requests_list_and_anonymous_requests_hide_their_organisation(people):
    RequestListingFactory(published=True, ref="open", organization=people.org)
    RequestListingFactory(published=True, ref="secret", organization=people.org, anonymous=True)
    RequestListingFactory(ref="draft-req", organization=people.org)
    assert refs(api().get(REQ)) == ["open", "secret"]

    def orgs(user):
        return {i["ref"]: i["organization"]["ref"] for i in api(user).get(REQ).data["results"]}

    assert orgs(people.stranger) == {"open": people.org.ref, "secret": None}
    assert orgs(people.other_member) == {"open": people.org.ref, "secret": None}
    assert orgs(people.owner) == {"open": people.org.ref, "secret": people.org.ref}
    assert orgs(people.moderator)["secret"] == people.org.ref
    item = api().get(REQ).data["results"][0]
    assert {"trl_wanted", "deadline", "anonymous"} <= set(item)


def test_mine_lists_my_listings_in_every_state(people, make_listing):
    make_listing(ref="my-draft")
    make_listing(ref="my-live", published=True)
    make_listing(ref="theirs", organization=people.other_org, created_by=people.other_member)
    assert refs(api(people.owner).get(TECH, {"mine": "1"})) == ["my-draft", "my-live"]
    assert refs(api(people.tto).get(TECH, {"mine": "true"})) == ["my-draft", "my-live"]
    assert refs(api(people.other_member).get(TECH, {"mine": "1"})) == ["theirs"]
    assert refs(api(people.stranger).get(TECH, {"mine": "1"})) == []
    anonymous = api().get(TECH, {"mine": "1"})
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Token")


# --- list: every filter ---------------------------------------------------------------------------------
@pytest.fixture
def catalogue(people, make_listing):
    hcm = Province.objects.get(code="79")
    hue = Province.objects.get(code="46")
    a = make_listing(
        published=True,
        ref="a",
        title_vi="Màng lọc nước thải dệt nhuộm",
        title_en="Textile membrane",
        keywords=["màng sinh học", "dệt nhuộm"],
        trl=3,
        province=hcm,
        price_min=None,
        price_max=None,
        transaction_types=[TransactionType.EXCLUSIVE_LICENSE],
    )
    b = make_listing(
        published=True,
        ref="b",
        title_vi="Phần mềm quản lý kho",
        title_en="Warehouse software",
        summary_en="Inventory on the cloud",
        keywords=["logistics"],
        trl=7,
        province=hue,
        field=ScienceField.objects.get(code="1.02"),
        price_min=50_000_000,
        price_max=90_000_000,
        transaction_types=[TransactionType.NON_EXCLUSIVE_LICENSE, TransactionType.ASSIGNMENT],
    )
    c = make_listing(
        published=True,
        ref="c",
        title_vi="Giống lúa chịu mặn",
        title_en="Salt-tolerant rice",
        trl=9,
        keywords=["nông nghiệp"],
        organization=people.other_org,
        created_by=people.other_member,
        field=ScienceField.objects.get(code="4.01"),
        price_min=None,
        price_max=200_000_000,
        transaction_types=[TransactionType.ASSIGNMENT],
    )
    IPRight.objects.create(listing=a, type=IPType.PATENT)
    IPRight.objects.create(listing=a, type=IPType.PATENT, number="2")
    IPRight.objects.create(listing=b, type=IPType.SOFTWARE)
    return a, b, c


@pytest.mark.parametrize(
    "params,expected",
    [
        ({}, ["a", "b", "c"]),
        ({"q": "màng"}, ["a"]),
        ({"q": "MEMBRANE"}, ["a"]),
        ({"q": "textile membrane"}, ["a"]),
        ({"q": "cloud"}, ["b"]),
        ({"q": "nông nghiệp"}, ["c"]),
        ({"q": "logistics"}, ["b"]),
        ({"field": "2.07"}, ["a"]),
        ({"field": "1"}, ["b"]),
        ({"field": "4"}, ["c"]),
        ({"trl_min": "7"}, ["b", "c"]),
        ({"trl_max": "7"}, ["a", "b"]),
        ({"trl_min": "4", "trl_max": "8"}, ["b"]),
        ({"trl_min": "7", "trl_max": "7"}, ["b"]),
        ({"ip_type": "patent"}, ["a"]),
        ({"ip_type": "software"}, ["b"]),
        ({"ip_type": "trademark"}, []),
        ({"transaction_type": "assignment"}, ["b", "c"]),
        ({"transaction_type": "exclusive_license"}, ["a"]),
        ({"province": "79"}, ["a"]),
        ({"province": "46"}, ["b"]),
        ({"price_max": "60000000"}, ["b"]),
        ({"price_max": "200000000"}, ["b", "c"]),
        ({"price_max": "1"}, []),
        (
            {
                "q": "software",
                "field": "1",
                "trl_min": "5",
                "province": "46",
                "transaction_type": "assignment",
            },
            ["b"],
        ),
    ],
)
def test_technology_filters(catalogue, params, expected):
    assert refs(api().get(TECH, params)) == expected


def test_organization_filter(people, catalogue):
    assert refs(api().get(TECH, {"organization": people.org.ref})) == ["a", "b"]
    assert refs(api().get(TECH, {"organization": people.other_org.ref})) == ["c"]


def test_request_filters(people):
    hcm = Province.objects.get(code="79")
    RequestListingFactory(
        published=True,
        ref="r1",
        organization=people.org,
        trl_wanted_min=3,
        trl_wanted_max=5,
        province=hcm,
        title_vi="Cần công nghệ xử lý bùn",
        keywords=["bùn thải"],
    )
    RequestListingFactory(
        published=True,
        ref="r2",
        organization=people.org,
        trl_wanted_min=None,
        trl_wanted_max=None,
        field=ScienceField.objects.get(code="1.02"),
        title_vi="Cần phần mềm",
        anonymous=True,
    )
    RequestListingFactory(
        published=True,
        ref="r3",
        organization=people.other_org,
        trl_wanted_min=7,
        trl_wanted_max=9,
        title_vi="Cần robot hàn",
    )
    assert refs(api().get(REQ, {"trl": "4"})) == ["r1", "r2"]
    assert refs(api().get(REQ, {"trl": "8"})) == ["r2", "r3"]
    assert refs(api().get(REQ, {"province": "79"})) == ["r1"]
    assert refs(api().get(REQ, {"field": "1"})) == ["r2"]
    assert refs(api().get(REQ, {"field": "2.07"})) == ["r1", "r3"]
    assert refs(api().get(REQ, {"q": "bùn"})) == ["r1"]
    assert refs(api().get(REQ, {"q": "robot"})) == ["r3"]
    # an anonymous request never shows up under its organisation, except to its own members
    assert refs(api().get(REQ, {"organization": people.org.ref})) == ["r1"]
    assert refs(api(people.other_member).get(REQ, {"organization": people.org.ref})) == ["r1"]
    assert refs(api(people.owner).get(REQ, {"organization": people.org.ref})) == ["r1", "r2"]
    assert refs(api(people.moderator).get(REQ, {"organization": people.org.ref})) == ["r1", "r2"]


@pytest.mark.parametrize(
    "params,key",
    [
        ({"trl_min": "abc"}, "trl_min"),
        ({"trl_min": "12"}, "trl_min"),
        ({"trl_min": "0"}, "trl_min"),
        ({"trl_max": "2.5"}, "trl_max"),
        ({"trl_min": "6", "trl_max": "3"}, "trl_max"),
        ({"field": "9.99"}, "field"),
        ({"province": "zz"}, "province"),
        ({"organization": "no-such-org"}, "organization"),
        ({"ip_type": "magic"}, "ip_type"),
        ({"transaction_type": "barter"}, "transaction_type"),
        ({"price_max": "-1"}, "price_max"),
        ({"price_max": "cheap"}, "price_max"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_invalid_parameters_are_400_with_a_message(catalogue, params, key):
    response = api().get(TECH, params)
    assert response.status_code == 400
    assert key in response.data and response.data[key][0]


@pytest.mark.parametrize(
    "params,key", [({"trl": "10"}, "trl"), ({"trl": "x"}, "trl"), ({"field": "x"}, "field")]
)
def test_invalid_request_parameters_are_400(people, params, key):
    response = api().get(REQ, params)
    assert response.status_code == 400 and key in response.data


def test_pagination_and_page_out_of_range(people, make_listing):
    for i in range(3):
        make_listing(published=True, ref=f"p{i}")
    first = api().get(TECH, {"page_size": 2})
    assert first.data["count"] == 3 and len(first.data["results"]) == 2
    assert first.data["previous"] is None and "page=2" in first.data["next"]
    second = api().get(first.data["next"])
    assert len(second.data["results"]) == 1 and second.data["next"] is None
    for page, status in (("999", 404), ("0", 404), ("abc", 400)):  # "abc" is the client's mistake
        response = api().get(TECH, {"page": page})
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json")
    assert "page" in api().get(TECH, {"page": "abc"}).data


# --- list through the search service: ranking, highlights, facets ----------------------------------------
def facet_counts(response, name):
    assert response.status_code == 200, response.data
    return {v["value"]: v["count"] for v in response.data["facets"][name]}


def test_q_without_diacritics_ranks_the_full_match_first(catalogue):
    a, b, c = catalogue
    response = api().get(TECH, {"q": "mang loc det nhuom"})
    assert response.status_code == 200
    results = response.data["results"]
    assert results[0]["ref"] == "a"
    assert "<mark>" in results[0]["highlights"]["title"]
    assert all("highlights" in item for item in results)
    assert "facets" not in response.data  # only when asked
    # several words: listings with every word first, then those with some of them
    ranked = [item["ref"] for item in api().get(TECH, {"q": "sinh hoc"}).data["results"]]
    assert ranked[0] == "a"
    partial = api().get(TECH, {"q": "membrane rice"})
    assert refs(partial) == ["a", "c"] and partial.data["count"] == 2


def test_q_searches_requests_and_hides_anonymous_organisations(people):
    RequestListingFactory(
        published=True, ref="r-bun", organization=people.org, title_vi="Cần công nghệ xử lý bùn"
    )
    RequestListingFactory(
        published=True, ref="r-anon", organization=people.org, title_vi="Xử lý bùn", anonymous=True
    )
    RequestListingFactory(ref="r-draft", organization=people.org, title_vi="Xử lý bùn thải")
    response = api(people.stranger).get(REQ, {"q": "xu ly bun"})
    assert refs(response) == ["r-anon", "r-bun"]
    orgs = {item["ref"]: item["organization"]["ref"] for item in response.data["results"]}
    assert orgs == {"r-bun": people.org.ref, "r-anon": None}


def test_facets_with_q_count_field_trl_and_organization(people, catalogue):
    response = api().get(TECH, {"q": "textile", "facets": "1"})
    assert refs(response) == ["a"]
    assert set(response.data) == {"count", "next", "previous", "results", "facets"}
    assert facet_counts(response, "field") == {"2": 1}
    assert facet_counts(response, "trl") == {"3": 1}
    assert facet_counts(response, "organization") == {people.org.ref: 1}
    item = response.data["facets"]["organization"][0]
    assert item == {"value": people.org.ref, "label": people.org.name, "count": 1}


def test_facets_without_q_keep_the_list_and_ignore_their_own_filter(people, catalogue):
    response = api().get(TECH, {"facets": "1"})
    assert refs(response) == ["a", "b", "c"] and response.data["count"] == 3
    assert facet_counts(response, "field") == {"1": 1, "2": 1, "4": 1}
    assert facet_counts(response, "trl") == {"3": 1, "7": 1, "9": 1}
    assert facet_counts(response, "organization") == {people.org.ref: 2, people.other_org.ref: 1}
    assert facet_counts(response, "ip_type") == {"patent": 1, "software": 1}
    filtered = api().get(TECH, {"facets": "1", "trl_min": "7"})
    assert refs(filtered) == ["b", "c"]
    assert facet_counts(filtered, "trl") == {"3": 1, "7": 1, "9": 1}  # a facet ignores its own filter
    assert facet_counts(filtered, "field") == {"1": 1, "4": 1}
    assert facet_counts(filtered, "organization") == {people.org.ref: 1, people.other_org.ref: 1}
    assert "facets" not in api().get(TECH, {"facets": "0"}).data
    assert "facets" not in api(people.owner).get(TECH, {"facets": "1", "mine": "1"}).data


@pytest.mark.parametrize(
    "params,key",
    [
        ({"q": "mang", "trl_min": "abc"}, "trl_min"),
        ({"q": "mang", "field": "9.99", "facets": "1"}, "field"),
        ({"facets": "1", "organization": "no-such-org"}, "organization"),
        ({"q": "mang", "trl_min": "6", "trl_max": "3"}, "trl_max"),
        ({"q": "x" * 201, "facets": "1"}, "q"),
    ],
)
def test_invalid_parameters_with_search_are_still_400(catalogue, params, key):
    response = api().get(TECH, params)
    assert response.status_code == 400
    assert key in response.data and response.data[key][0]


def test_search_pagination_and_page_out_of_range(people, make_listing):
    for i in range(3):
        make_listing(published=True, ref=f"s{i}", title_vi=f"Máy sấy nông sản {i}")
    first = api().get(TECH, {"q": "may say", "page_size": 2})
    assert first.data["count"] == 3 and len(first.data["results"]) == 2
    assert first.data["previous"] is None and "page=2" in first.data["next"]
    second = api().get(first.data["next"])
    assert len(second.data["results"]) == 1 and second.data["next"] is None
    seen = {item["ref"] for item in first.data["results"] + second.data["results"]}
    assert seen == {"s0", "s1", "s2"}
    for page in ("999", "abc", "0"):
        response = api().get(TECH, {"q": "may say", "page": page})
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")


def test_facets_take_a_constant_number_of_queries(people, django_assert_max_num_queries):
    params = {"q": "công", "facets": "1", "page_size": 50}
    _make_many(people, 2, "a")
    with django_assert_max_num_queries(40) as few:
        assert api(people.owner).get(TECH, params).status_code == 200
    _make_many(people, 15, "b")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api(people.owner).get(TECH, params).data["count"] == 17


# --- constant number of queries -------------------------------------------------------------------------
def _make_many(people, n, tag):
    for i in range(n):
        RequestListingFactory(
            published=True,
            ref=f"many-r{tag}{i}",
            organization=people.org,
            anonymous=bool(i % 2),
            province=Province.objects.get(code="79"),
        )
    from .factories import ListingFactory

    for i in range(n):
        offer = ListingFactory(
            published=True,
            ref=f"many-t{tag}{i}",
            organization=people.org,
            created_by=people.owner,
            province=Province.objects.get(code="79"),
        )
        IPRight.objects.create(listing=offer, type=IPType.PATENT)


@pytest.mark.parametrize("who", ["anonymous", "owner", "moderator"])
def test_list_pages_take_a_constant_number_of_queries(people, who, django_assert_max_num_queries, settings):
    settings.SEARCH_CACHE_SECONDS = 0  # count the work itself, not answers from the search cache
    user = getattr(people, who)
    client = api(user)
    params = {"field": "2", "province": "79", "organization": people.org.ref, "q": "công", "page_size": 50}
    _make_many(people, 2, "a")
    # With q the search service answers: count, ranked page, the page for highlights, the page to serialise.
    with django_assert_max_num_queries(16) as few:
        assert client.get(TECH, {**params, "trl_min": 1, "ip_type": "patent"}).status_code == 200
        assert client.get(REQ, {**params, "trl": 5}).status_code == 200
    _make_many(people, 15, "b")
    with django_assert_max_num_queries(len(few.captured_queries)):
        tech = client.get(TECH, {**params, "trl_min": 1, "ip_type": "patent"})
        req = client.get(REQ, {**params, "trl": 5})
    assert tech.data["count"] == 17 and req.status_code == 200


def test_detail_takes_a_constant_number_of_queries(people, make_listing, django_assert_max_num_queries):
    listing = make_listing(published=True)
    for i in range(5):
        IPRight.objects.create(listing=listing, type=IPType.PATENT, number=str(i))
    with django_assert_max_num_queries(8):
        assert api(people.stranger).get(f"{TECH}{listing.pk}/").status_code == 200


# --- detail ------------------------------------------------------------------------------------------
def test_detail_is_the_interchange_record_plus_id_and_url(people, make_listing):
    listing = make_listing(published=True, price_min=1, price_max=2)
    IPRight.objects.create(listing=listing, type=IPType.PATENT, number="1-0012345")
    data = api(people.stranger).get(f"{TECH}{listing.pk}/").data
    expected = listing_to_record(Listing.objects.get(pk=listing.pk), public=False)
    for key, value in expected.items():
        if key not in ("media", "updated_at"):
            assert data[key] == value, key
    assert data["schema"] == SCHEMA and data["id"] == listing.pk and data["state"] == "published"
    assert data["url"].endswith(listing.get_absolute_url())
    assert api().get(f"{TECH}{listing.pk}/").data["organization"] == {"ref": None, "name": None}


@pytest.mark.parametrize(
    "who,status",
    [
        ("anonymous", 404),
        ("stranger", 404),
        ("other_member", 404),
        ("other_tto", 404),
        ("owner", 200),
        ("tto", 200),
        ("moderator", 200),
        ("staff", 200),
    ],
)
def test_draft_detail_only_for_owners_and_reviewers(people, make_listing, who, status):
    listing = make_listing()
    assert api(getattr(people, who)).get(f"{TECH}{listing.pk}/").status_code == status


def test_detail_of_the_other_kind_or_missing_is_404(people, make_listing):
    offer = make_listing(published=True)
    request = RequestListingFactory(published=True, organization=people.org)
    assert api().get(f"{REQ}{offer.pk}/").status_code == 404
    assert api().get(f"{TECH}{request.pk}/").status_code == 404
    assert api().get(f"{REQ}{request.pk}/").status_code == 200
    assert api().get(f"{TECH}999999/").status_code == 404


def test_anonymous_request_detail_hides_the_organisation_from_others(people):
    request = RequestListingFactory(published=True, organization=people.org, anonymous=True)
    hidden = {"ref": None, "name": None}
    assert api().get(f"{REQ}{request.pk}/").data["organization"] == hidden
    assert api(people.other_member).get(f"{REQ}{request.pk}/").data["organization"] == hidden
    assert api(people.owner).get(f"{REQ}{request.pk}/").data["organization"]["ref"] == people.org.ref
    coauthor = people.stranger
    request.authors.add(coauthor)
    assert api(coauthor).get(f"{REQ}{request.pk}/").data["organization"]["ref"] == people.org.ref


# --- create ------------------------------------------------------------------------------------------
def test_create_a_draft_from_an_interchange_record(people):
    response = api(people.owner).post(TECH, record(people), format="json")
    assert response.status_code == 201, response.data
    listing = Listing.objects.get(ref="api-new-1")
    assert (
        listing.state == S.DRAFT and listing.organization == people.org and listing.created_by == people.owner
    )
    assert listing.title_vi == "Công nghệ sấy lạnh nông sản" and listing.price_max == 300_000_000
    assert listing.province.code == "79" and listing.ip_rights.get().number == "1-2024-0001"
    assert response["Location"] == f"{TECH}{listing.pk}/"
    assert response.data["id"] == listing.pk and response.data["state"] == "draft"
    assert response.data["organization"]["ref"] == people.org.ref


def test_create_a_request(people):
    body = record(
        people,
        kind="request",
        ref="req-1",
        trl=None,
        trl_wanted={"min": 3, "max": 6},
        problem={"vi": "Nước thải vượt chuẩn."},
        anonymous=True,
        deadline="2027-06-30",
    )
    body.pop("trl")
    response = api(people.owner).post(REQ, body, format="json")
    assert response.status_code == 201, response.data
    listing = Listing.objects.get(ref="req-1")
    assert listing.kind == "request" and listing.anonymous and listing.trl_wanted_max == 6
    assert str(listing.deadline) == "2027-06-30"


def test_create_with_token_authentication(people):
    _, key = api_token_create(user=people.owner, name="partner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post(TECH, record(people), format="json").status_code == 201


def test_anonymous_writes_are_401_with_a_token_challenge(people, make_listing):
    listing = make_listing()
    client = api()
    for response in (
        client.post(TECH, record(people), format="json"),
        client.put(f"{TECH}{listing.pk}/", record(people), format="json"),
        client.patch(f"{TECH}{listing.pk}/", {"trl": 5}, format="json"),
        client.post(f"{TECH}{listing.pk}/submit/"),
        client.post(f"{TECH}{listing.pk}/renew/"),
        client.post(REQ, record(people, kind="request"), format="json"),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert not Listing.objects.filter(ref="api-new-1").exists()


@pytest.mark.parametrize("who", ["stranger", "other_member", "other_tto", "moderator"])
def test_create_for_an_organisation_you_do_not_belong_to_is_403(people, who):
    response = api(getattr(people, who)).post(TECH, record(people), format="json")
    assert response.status_code == 403
    assert not Listing.objects.filter(ref="api-new-1").exists()


def test_tto_manager_and_staff_may_create(people):
    assert api(people.tto).post(TECH, record(people, ref="by-tto"), format="json").status_code == 201
    assert api(people.staff).post(TECH, record(people, ref="by-staff"), format="json").status_code == 201


@pytest.mark.parametrize(
    "change,key",
    [
        ({"trl": 12}, "trl"),
        ({"title": {"vi": "", "en": ""}}, "title"),
        ({"field": "9.99"}, "field"),
        ({"transaction_types": ["barter"]}, "transaction_types"),
        ({"price": {"currency": "VND", "min": 5, "max": 1}}, "price.max"),
        ({"ip": [{"type": "magic"}]}, "ip[0].type"),
        ({"schema": "other/1"}, "schema"),
        ({"kind": "request"}, "kind"),
        ({"organization": {"ref": "no-such-org", "name": "X"}}, "organization.ref"),
        ({"province": "Atlantis"}, "province"),
    ],
)
def test_create_with_an_invalid_record_is_400_by_key(people, change, key):
    response = api(people.owner).post(TECH, record(people, **change), format="json")
    assert response.status_code == 400
    assert key in response.data, response.data
    assert not Listing.objects.filter(ref="api-new-1").exists()


def test_create_with_missing_keys_or_not_an_object(people):
    response = api(people.owner).post(TECH, {"schema": SCHEMA}, format="json")
    assert response.status_code == 400
    assert {"ref", "kind", "title", "field", "transaction_types"} <= set(response.data)
    assert api(people.owner).post(TECH, [1, 2], format="json").status_code == 400


def test_create_with_a_taken_ref_is_400(people, make_listing):
    make_listing(ref="api-new-1")
    response = api(people.owner).post(TECH, record(people), format="json")
    assert response.status_code == 400 and "ref" in response.data


# --- update ------------------------------------------------------------------------------------------
def test_owner_replaces_a_draft(people, make_listing):
    listing = make_listing(ref="api-new-1")
    response = api(people.owner).put(f"{TECH}{listing.pk}/", record(people, trl=4), format="json")
    assert response.status_code == 200, response.data
    listing.refresh_from_db()
    assert listing.trl == 4 and listing.title_vi == "Công nghệ sấy lạnh nông sản"
    assert response.data["trl"] == 4


def test_patch_changes_only_the_given_keys(people, make_listing):
    listing = make_listing()
    response = api(people.owner).patch(
        f"{TECH}{listing.pk}/", {"title": {"vi": "Tên mới"}, "trl": 8}, format="json"
    )
    assert response.status_code == 200, response.data
    listing.refresh_from_db()
    assert listing.title_vi == "Tên mới" and listing.title_en == "" and listing.trl == 8
    assert listing.keywords == ["xử lý nước thải", "màng sinh học"]


def test_update_of_a_published_listing_creates_a_pending_revision(people, make_listing):
    listing = make_listing(published=True)
    response = api(people.owner).patch(f"{TECH}{listing.pk}/", {"trl": 9}, format="json")
    assert response.status_code == 202, response.data
    revision = ListingRevision.objects.get(pk=response.data["revision"])
    assert revision.listing == listing and revision.state == "pending" and revision.data["trl"] == 9
    assert response.data["stage"] == "tto"  # the organisation has a TTO manager
    listing.refresh_from_db()
    assert listing.trl == 6  # live listing unchanged
    # the same edit again: nothing differs from the live listing but the proposal, so it is a new revision
    again = api(people.owner).patch(f"{TECH}{listing.pk}/", {"trl": 6}, format="json")
    assert again.status_code == 400  # no change compared with the live listing


def test_update_cannot_change_identity(people, make_listing):
    listing = make_listing(ref="api-new-1")
    client = api(people.owner)
    assert "ref" in client.patch(f"{TECH}{listing.pk}/", {"ref": "other"}, format="json").data
    moved = client.patch(
        f"{TECH}{listing.pk}/", {"organization": {"ref": people.other_org.ref, "name": "X"}}, format="json"
    )
    assert moved.status_code == 400 and "organization.ref" in moved.data
    assert client.patch(f"{TECH}{listing.pk}/", {"kind": "request"}, format="json").status_code == 400


def test_update_with_invalid_values_is_400(people, make_listing):
    listing = make_listing()
    response = api(people.owner).patch(f"{TECH}{listing.pk}/", {"trl": "six"}, format="json")
    assert response.status_code == 400 and "trl" in response.data


@pytest.mark.parametrize(
    "who,draft_status,published_status",
    [
        ("stranger", 404, 403),
        ("other_member", 404, 403),
        ("other_tto", 404, 403),
        ("moderator", 403, 403),
        ("tto", 200, 202),
        ("owner", 200, 202),
    ],
)
def test_who_may_update(people, make_listing, who, draft_status, published_status):
    draft = make_listing()
    live = make_listing(published=True)
    client = api(getattr(people, who))
    assert client.patch(f"{TECH}{draft.pk}/", {"trl": 8}, format="json").status_code == draft_status
    assert client.patch(f"{TECH}{live.pk}/", {"trl": 8}, format="json").status_code == published_status


def test_update_under_review_is_409(people, make_listing):
    listing = make_listing(state=S.SUBMITTED)
    response = api(people.owner).patch(f"{TECH}{listing.pk}/", {"trl": 8}, format="json")
    assert response.status_code == 409
    assert response.data["code"] == "wrong_state" and response.data["state"] == "submitted"


# --- lifecycle actions -------------------------------------------------------------------------------
def test_create_submit_and_submit_again_is_409(people):
    client = api(people.owner)
    created = client.post(TECH, record(people), format="json")
    url = f"{TECH}{created.data['id']}/submit/"
    first = client.post(url)
    assert first.status_code == 200, first.data
    assert first.data["state"] == "submitted"  # to the organisation's TTO manager
    second = client.post(url)
    assert second.status_code == 409
    assert second.data["action"] == "submit" and second.data["state"] == "submitted" and second.data["detail"]


def test_tto_manager_submits_straight_to_moderation(people, make_listing):
    listing = make_listing()
    response = api(people.tto).post(f"{TECH}{listing.pk}/submit/")
    assert response.status_code == 200 and response.data["state"] == "awaiting_moderation"


def test_submitting_an_incomplete_draft_is_409_with_field_messages(people, make_listing):
    listing = make_listing(transaction_types=[])
    response = api(people.owner).post(f"{TECH}{listing.pk}/submit/")
    assert response.status_code == 409
    assert "transaction_types" in response.data["errors"]


@pytest.mark.parametrize(
    "who,status",
    [("stranger", 404), ("other_member", 404), ("other_tto", 404), ("moderator", 403), ("owner", 200)],
)
def test_who_may_submit(people, make_listing, who, status):
    listing = make_listing()
    assert api(getattr(people, who)).post(f"{TECH}{listing.pk}/submit/").status_code == status


@pytest.mark.parametrize(
    "who,status",
    [("stranger", 403), ("other_member", 403), ("moderator", 403), ("owner", 200), ("tto", 200)],
)
def test_who_may_renew(people, make_listing, who, status):
    listing = make_listing(published=True)
    before = listing.expires_at
    response = api(getattr(people, who)).post(f"{TECH}{listing.pk}/renew/")
    assert response.status_code == status
    listing.refresh_from_db()
    assert (listing.expires_at > before) == (status == 200)


def test_renewing_a_draft_is_409(people, make_listing):
    listing = make_listing()
    response = api(people.owner).post(f"{TECH}{listing.pk}/renew/")
    assert response.status_code == 409 and response.data["state"] == "draft"


def test_request_write_flow(people):
    client = api(people.owner)
    body = record(people, kind="request", ref="req-flow")
    body.pop("trl")
    created = client.post(REQ, body, format="json")
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    assert client.patch(f"{REQ}{pk}/", {"deadline": "2027-01-01"}, format="json").status_code == 200
    assert client.post(f"{REQ}{pk}/submit/").status_code == 200
    assert client.post(f"{REQ}{pk}/submit/").status_code == 409
    # a technology endpoint never touches a request
    assert client.post(f"{TECH}{pk}/submit/").status_code == 404


def test_round_trip_of_the_detail_record_through_put(people, make_listing):
    listing = make_listing(published=False, price_min=1, price_max=5)
    client = api(people.owner)
    data = client.get(f"{TECH}{listing.pk}/").data
    body = copy.deepcopy(data)
    body["summary"] = {"vi": "Tóm tắt mới"}
    assert client.put(f"{TECH}{listing.pk}/", body, format="json").status_code == 200
    listing.refresh_from_db()
    assert listing.summary_vi == "Tóm tắt mới" and listing.price_max == 5
