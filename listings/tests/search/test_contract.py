"""The contract every search backend meets. Runs once per backend in ``conftest.BACKENDS``.

Tests talk to the backend only through the interface (``index``, ``remove``, ``search``, ``suggest``,
``count``, ``indexed_ids_versions``, ``health``) and through ``search_listings``.
"""

import datetime as dt

import pytest
from django.utils import timezone

from listings.lifecycle import ListingState
from listings.models import IPType, ListingKind, TransactionType
from listings.search import SearchQuery, search_listings
from listings.search.base import InvalidQuery
from listings.services import listing_close, listing_publish, listing_unpublish

pytestmark = pytest.mark.django_db


def ids(result):
    return [hit.listing_id for hit in result.hits]


def facet(result, name):
    return {fv.value: fv.count for fv in result.facets[name]}


# --- folding: Vietnamese with or without marks, any case ---------------------------------------------
@pytest.mark.parametrize("q", ["dai hoc", "Đại học", "ĐẠI HỌC", "đại HỌC", "Dai Hoc"])
def test_dai_hoc_finds_dai_hoc_with_marks(backend, corpus, q):
    hit = corpus.add(title_vi="Mô hình liên kết Đại học và doanh nghiệp")
    corpus.add(title_vi="Máy sấy nông sản năng lượng mặt trời")
    corpus.sync()
    result = backend.search(SearchQuery(q=q))
    assert ids(result) == [hit.pk]
    assert result.total == 1


def test_folded_query_finds_full_vietnamese_phrase(backend, corpus):
    hit = corpus.add(title_vi="Công nghệ xử lý nước thải dệt nhuộm bằng màng sinh học")
    corpus.add(title_vi="Công nghệ sấy lạnh trái cây")
    corpus.sync()
    result = backend.search(SearchQuery(q="cong nghe xu ly nuoc thai"))
    assert ids(result)[0] == hit.pk
    result = backend.search(SearchQuery(q="XỬ LÝ NƯỚC THẢI"))
    assert ids(result)[0] == hit.pk


def test_d_with_stroke_folds_both_ways(backend, corpus):
    hit = corpus.add(title_vi="Điều khiển động cơ điện")
    corpus.sync()
    for q in ("dieu khien dong co dien", "Điều khiển", "DIEU KHIEN"):
        assert ids(backend.search(SearchQuery(q=q))) == [hit.pk], q


def test_english_query_on_bilingual_listing(backend, corpus):
    hit = corpus.add(title_vi="Xử lý nước thải dệt nhuộm", title_en="Textile dyeing wastewater treatment")
    corpus.add(title_vi="Giống lúa chịu mặn", title_en="Salt-tolerant rice variety")
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="wastewater treatment"))) == [hit.pk]
    assert ids(backend.search(SearchQuery(q="Salt tolerant RICE")))[0] != hit.pk


def test_organisation_name_and_province_are_searchable(backend, corpus, orgs, places):
    bk = corpus.add(title_vi="Cảm biến độ mặn", organization=orgs["bk"], province=places["hcm"])
    ct = corpus.add(title_vi="Cảm biến độ ẩm đất", organization=orgs["ct"], province=places["cantho"])
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="bach khoa"))) == [bk.pk]
    assert ids(backend.search(SearchQuery(q="HCMUT"))) == [bk.pk]
    assert ids(backend.search(SearchQuery(q="Can Tho University"))) == [ct.pk]
    assert ids(backend.search(SearchQuery(q="ho chi minh"))) == [bk.pk]
    assert ids(backend.search(SearchQuery(q="cần thơ cảm biến")))[0] == ct.pk


def test_an_organisation_renamed_through_its_service_is_found_by_the_new_name(
    backend, corpus, orgs, django_capture_on_commit_callbacks
):
    """``organization_update`` runs its change hooks after commit; the search hook reindexes the
    organisation's listings in every indexing backend."""
    from exchange.accounts.services import organization_update
    from exchange.accounts.tests.factories import staff_user

    listing = corpus.add(title_vi="Cảm biến độ mặn", organization=orgs["bk"])
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="bach khoa"))) == [listing.pk]
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(
            actor=staff_user(), organization=orgs["bk"], changes={"name": "Đại học Quốc gia Thành phố"}
        )
    assert ids(backend.search(SearchQuery(q="quoc gia thanh pho"))) == [listing.pk]
    assert backend.search(SearchQuery(q="bach khoa")).total == 0


def test_anonymous_request_hides_its_organisation(backend, corpus, orgs):
    anon = corpus.add(
        request=True, title_vi="Cần công nghệ lọc nước", organization=orgs["vien"], anonymous=True
    )
    named = corpus.add(request=True, title_vi="Cần công nghệ lọc khí", organization=orgs["vien"])
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="vien sinh hoc nhiet doi"))) == [named.pk]
    assert ids(backend.search(SearchQuery(organization="vien-sinh-hoc"))) == [named.pk]
    result = backend.search(SearchQuery(q="loc", facets=True))
    assert set(ids(result)) == {anon.pk, named.pk}
    assert facet(result, "organization") == {"vien-sinh-hoc": 1}


# --- ranking ---------------------------------------------------------------------------------------
def test_ranking_title_over_keywords_over_summary_over_description(backend, corpus):
    filler = "Giải pháp kỹ thuật cho doanh nghiệp vừa và nhỏ"
    common = {
        "title_vi": filler,
        "summary_vi": filler,
        "description_vi": filler,
        "keywords": ["doanh nghiệp"],
    }
    in_desc = corpus.add(**{**common, "description_vi": f"{filler} zeolit"})
    in_summary = corpus.add(**{**common, "summary_vi": f"{filler} zeolit"})
    in_keywords = corpus.add(**{**common, "keywords": ["doanh nghiệp", "zeolit"]})
    in_title = corpus.add(**{**common, "title_vi": f"{filler} zeolit"})
    corpus.sync()
    result = backend.search(SearchQuery(q="zeolit"))
    assert ids(result) == [in_title.pk, in_keywords.pk, in_summary.pk, in_desc.pk]
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_partial_matches_rank_below_full_matches(backend, corpus):
    only_a = corpus.add(title_vi="Vật liệu zeolit tổng hợp")
    both = corpus.add(title_vi="Màng lọc", description_vi="Kết hợp zeolit và graphen")
    only_b = corpus.add(title_vi="Mực in graphen dẫn điện")
    corpus.add(title_vi="Máy gặt đập liên hợp")
    corpus.sync()
    result = backend.search(SearchQuery(q="zeolit graphen"))
    assert ids(result)[0] == both.pk
    assert set(ids(result)[1:]) == {only_a.pk, only_b.pk}
    assert result.total == 3


def test_query_with_an_unknown_word_still_returns_best_partial_matches(backend, corpus):
    hit = corpus.add(title_vi="Công nghệ xử lý nước thải chăn nuôi")
    corpus.sync()
    result = backend.search(SearchQuery(q="xu ly nuoc thai khongcotutrongnay"))
    assert ids(result) == [hit.pk]


def test_partial_needs_half_of_the_words(backend, corpus):
    corpus.add(title_vi="Nước mắm truyền thống")
    corpus.sync()
    # one of five words is not enough
    assert backend.search(SearchQuery(q="nuoc aaa bbb ccc ddd")).total == 0


def test_phrase_order_ranks_above_scattered_words(backend, corpus):
    scattered = corpus.add(title_vi="Thải bỏ nước và xử lý bùn")
    phrase = corpus.add(title_vi="Xử lý nước thải sinh hoạt")
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="xu ly nuoc thai"))) == [phrase.pk, scattered.pk]


# --- filters ---------------------------------------------------------------------------------------
@pytest.fixture
def catalogue(corpus, orgs, places, fields):
    """Six listings with known facets (titles all contain 'may')."""
    c = corpus
    items = {
        "a": c.add(
            title_vi="Máy lọc nước nano",
            field=fields["env"],
            trl=7,
            price_min=300_000_000,
            price_max=800_000_000,
            transaction_types=[TransactionType.EXCLUSIVE_LICENSE, TransactionType.ASSIGNMENT],
            organization=orgs["bk"],
            province=places["hcm"],
            ip_types=[IPType.PATENT],
        ),
        "b": c.add(
            title_vi="Máy sấy nông sản",
            field=fields["agri"],
            trl=5,
            price_min=50_000_000,
            price_max=50_000_000,
            transaction_types=[TransactionType.NON_EXCLUSIVE_LICENSE],
            organization=orgs["ct"],
            province=places["cantho"],
            ip_types=[IPType.UTILITY_SOLUTION, IPType.PATENT],
        ),
        "c": c.add(
            title_vi="Máy phân loại rác",
            field=fields["eng"],
            trl=9,
            price_min=6_000_000_000,
            transaction_types=[TransactionType.ASSIGNMENT],
            organization=orgs["bk"],
            province=places["hcm"],
        ),
        "d": c.add(
            title_vi="Máy đo độ mặn",
            field=fields["env"],
            trl=3,
            price_negotiable=True,
            transaction_types=[TransactionType.JOINT_DEVELOPMENT],
            organization=orgs["vien"],
        ),
        "r": c.add(
            request=True,
            title_vi="Cần máy ép viên phân bón",
            field=fields["agri"],
            trl_wanted_min=6,
            trl_wanted_max=8,
            price_max=2_000_000_000,
            transaction_types=[TransactionType.ASSIGNMENT],
            organization=orgs["ct"],
            province=places["cantho"],
        ),
        "draft": c.add(title_vi="Máy nháp chưa đăng", published=False, state=ListingState.DRAFT),
    }
    c.sync()
    return items


def _ids(backend, **kw):
    return set(ids(backend.search(SearchQuery(page_size=100, **kw))))


def test_filters(backend, catalogue):
    a, b, c, d, r = (catalogue[k].pk for k in "abcdr")
    assert _ids(backend) == {a, b, c, d, r}
    assert _ids(backend, q="may") == {a, b, c, d, r}
    assert _ids(backend, kind="offer") == {a, b, c, d}
    assert _ids(backend, kind="request") == {r}
    assert _ids(backend, field="2.07") == {a, d}
    assert _ids(backend, field="2") == {a, c, d}  # top level includes its sub-fields
    assert _ids(backend, kind="offer", trl_min=5, trl_max=7) == {a, b}
    assert _ids(backend, kind="request", trl_min=8) == {r}  # wanted 6-8 overlaps 8-9
    assert _ids(backend, kind="request", trl_max=5) == set()
    assert _ids(backend, ip_type=IPType.PATENT) == {a, b}
    assert _ids(backend, transaction_type=TransactionType.ASSIGNMENT) == {a, c, r}
    assert _ids(backend, transaction_type=TransactionType.EXCLUSIVE_LICENSE) == {a}
    assert _ids(backend, province="92") == {b, r}
    assert _ids(backend, organization="dhbk") == {a, c}
    assert _ids(backend, price_min=100_000_000, price_max=1_000_000_000) == {a, r}
    assert _ids(backend, price_band="lt100m") == {b, r}  # r: "up to 2 tỷ"
    assert _ids(backend, price_band="gt5b") == {c}
    assert _ids(backend, price_band="1b-5b") == {r}
    assert _ids(backend, q="nano", province="79", kind="offer") == {a}


def test_invalid_query_values_are_refused(backend):
    for bad in ({"sort": "random"}, {"kind": "both"}, {"price_band": "cheap"}):
        with pytest.raises(InvalidQuery):
            backend.search(SearchQuery(**bad))


# --- facets ----------------------------------------------------------------------------------------
def test_facet_counts(backend, catalogue):
    result = backend.search(SearchQuery(facets=True))
    assert result.total == 5
    assert facet(result, "field") == {"2": 3, "4": 2}
    assert facet(result, "trl") == {"3": 1, "5": 1, "7": 1, "9": 1}
    assert facet(result, "ip_type") == {IPType.PATENT: 2, IPType.UTILITY_SOLUTION: 1}
    assert facet(result, "transaction_type") == {
        TransactionType.ASSIGNMENT: 3,
        TransactionType.EXCLUSIVE_LICENSE: 1,
        TransactionType.NON_EXCLUSIVE_LICENSE: 1,
        TransactionType.JOINT_DEVELOPMENT: 1,
    }
    assert facet(result, "province") == {"79": 2, "92": 2}
    assert facet(result, "organization") == {"dhbk": 2, "dhct": 2, "vien-sinh-hoc": 1}
    assert facet(result, "price_band") == {"lt100m": 2, "100m-500m": 2, "500m-1b": 2, "1b-5b": 1, "gt5b": 1}
    # labels and natural order
    assert [fv.value for fv in result.facets["trl"]] == ["3", "5", "7", "9"]
    assert [fv.value for fv in result.facets["price_band"]][0] == "lt100m"
    labels = {fv.value: fv.label for fv in result.facets["province"]}
    assert labels["79"] == "Thành phố Hồ Chí Minh"
    assert {fv.value: fv.label for fv in result.facets["organization"]}["dhbk"] == "Trường Đại học Bách khoa"


def test_facets_follow_the_query_but_not_their_own_selection(backend, catalogue):
    result = backend.search(SearchQuery(kind="offer", province="79", facets=True))
    assert result.total == 2
    assert facet(result, "province") == {"79": 2, "92": 1}  # offers in every province
    assert facet(result, "organization") == {"dhbk": 2}
    result = backend.search(SearchQuery(kind="offer", organization="dhbk", facets=True))
    assert facet(result, "organization") == {"dhbk": 2, "dhct": 1, "vien-sinh-hoc": 1}
    result = backend.search(SearchQuery(q="nano", facets=True))
    assert facet(result, "field") == {"2": 1}


def test_facet_labels_in_english(backend, catalogue):
    result = backend.search(SearchQuery(facets=True, language="en"))
    assert {fv.value: fv.label for fv in result.facets["province"]}["79"] == "Ho Chi Minh City"
    assert {fv.value: fv.label for fv in result.facets["field"]}["2"] == "Engineering and technology"
    assert {fv.value: fv.label for fv in result.facets["price_band"]}["gt5b"].startswith("Over")


def test_origin_facet_and_filter(backend, corpus, settings):
    """Federated listings (another exchange's origin) are searchable beside ours, labelled and
    filterable by the exchange they come from."""
    ours = corpus.add(title_vi="Máy ép viên nén mùn cưa")
    theirs = corpus.add(title_vi="Máy ép viên nén vỏ trấu", origin="dongnai", ref="dn-1")
    corpus.sync()
    result = backend.search(SearchQuery(q="vien nen", facets=True))
    assert set(ids(result)) == {ours.pk, theirs.pk}
    assert facet(result, "origin") == {settings.EXCHANGE_ORIGIN: 1, "dongnai": 1}
    labels = {fv.value: fv.label for fv in result.facets["origin"]}
    assert labels == {settings.EXCHANGE_ORIGIN: "Sàn giao dịch công nghệ TP.HCM", "dongnai": "dongnai"}
    from regional_network.models import Peer

    Peer.objects.create(name="Sàn giao dịch công nghệ Đồng Nai", origin="dongnai", base_url="http://dn.test")
    result = backend.search(SearchQuery(q="vien nen", facets=True))
    assert {fv.value: fv.label for fv in result.facets["origin"]}[
        "dongnai"
    ] == "Sàn giao dịch công nghệ Đồng Nai"
    result = backend.search(SearchQuery(q="vien nen", origin="dongnai", facets=True))
    assert ids(result) == [theirs.pk]
    assert facet(result, "origin") == {settings.EXCHANGE_ORIGIN: 1, "dongnai": 1}  # own selection ignored


def test_short_misspellings(backend, corpus):
    """The richer tier (Elasticsearch, and the database backend on PostgreSQL) forgives a typo in a word
    of five letters or more; short Vietnamese syllables stay exact ('nuoc' never finds 'nuôi'). The
    embedded SQLite tier is exact after folding: it finds nothing for a misspelt word."""
    from django.db import connection

    hit = corpus.add(title_vi="Xử lý nước thải dệt nhuộm", title_en="Textile dyeing wastewater treatment")
    corpus.add(title_vi="Nuôi tôm công nghệ cao")
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="nuoc"))) == [hit.pk]
    exact_only = backend.name == "database" and connection.vendor == "sqlite"
    expected = [] if exact_only else [hit.pk]
    assert ids(backend.search(SearchQuery(q="wastewatr"))) == expected
    assert ids(backend.search(SearchQuery(q="wastewatr treatmnet"))) == expected
    assert ids(backend.search(SearchQuery(q="textle"))) == expected


# --- sorting and paging ------------------------------------------------------------------------------
def test_sorting(backend, corpus):
    now = timezone.now()
    old = corpus.add(title_vi="Bơm nhiệt", trl=4, price_min=900, published_at=now - dt.timedelta(days=30))
    mid = corpus.add(title_vi="Ăng-ten", trl=8, price_min=100, published_at=now - dt.timedelta(days=3))
    new = corpus.add(title_vi="Cảm biến", trl=6, published_at=now)
    corpus.sync()

    def order(sort):
        return ids(backend.search(SearchQuery(sort=sort)))

    assert order("newest") == [new.pk, mid.pk, old.pk]
    assert order("relevance") == [new.pk, mid.pk, old.pk]  # without q: newest
    assert order("trl") == [mid.pk, new.pk, old.pk]
    assert order("price_asc") == [mid.pk, old.pk, new.pk]  # no price last
    assert order("price_desc") == [old.pk, mid.pk, new.pk]
    assert order("title")[0] == mid.pk  # "Ăng-ten" sorts with A


def test_sort_with_query_keeps_full_matches_first(backend, corpus):
    now = timezone.now()
    full = corpus.add(title_vi="Zeolit graphen", published_at=now - dt.timedelta(days=10))
    partial = corpus.add(title_vi="Zeolit", published_at=now)
    corpus.sync()
    assert ids(backend.search(SearchQuery(q="zeolit graphen", sort="newest"))) == [full.pk, partial.pk]


def test_paging(backend, corpus):
    made = [corpus.add(title_vi=f"Thiết bị đo số {n}") for n in range(7)]
    corpus.sync()
    seen = []
    for page in (1, 2, 3):
        result = backend.search(SearchQuery(q="thiet bi", page=page, page_size=3))
        assert result.total == 7
        seen += ids(result)
    assert sorted(seen) == sorted(m.pk for m in made)
    assert len(seen) == 7
    assert backend.search(SearchQuery(q="thiet bi", page=4, page_size=3)).hits == []
    assert len(ids(backend.search(SearchQuery(page=2, page_size=5)))) == 2


# --- highlights ------------------------------------------------------------------------------------
def test_highlights_mark_the_original_text(backend, corpus):
    hit = corpus.add(
        title_vi="Mô hình Đại học <khởi nghiệp>",
        title_en="University start-up model",
        summary_vi="Hợp tác giữa đại học và doanh nghiệp.",
        description_vi="Mở đầu. " + "Nội dung dài. " * 40 + "Vai trò của ĐẠI HỌC trong hệ sinh thái.",
    )
    corpus.sync()
    result = backend.search(SearchQuery(q="dai hoc"))
    highlights = result.hits[0].highlights
    assert result.hits[0].listing_id == hit.pk
    assert highlights["title"] == "Mô hình <mark>Đại học</mark> &lt;khởi nghiệp&gt;"
    assert highlights["summary"] == "Hợp tác giữa <mark>đại học</mark> và doanh nghiệp."
    assert "<mark>ĐẠI HỌC</mark>" in highlights["description"]
    assert highlights["description"].startswith("…")
    english = backend.search(SearchQuery(q="university", language="en")).hits[0].highlights
    assert english["title"] == "<mark>University</mark> start-up model"


def test_no_highlights_without_query(backend, corpus):
    corpus.add(title_vi="Cảm biến")
    corpus.sync()
    assert backend.search(SearchQuery()).hits[0].highlights == {}


# --- what is indexed -------------------------------------------------------------------------------
def test_unpublished_listings_are_never_indexed_or_found(backend, corpus):
    live = corpus.add(title_vi="Pin natri ion")
    for state in (ListingState.DRAFT, ListingState.AWAITING_MODERATION, ListingState.UNPUBLISHED):
        corpus.add(title_vi="Pin natri ion", published=False, state=state)
    corpus.add(title_vi="Pin natri ion", state=ListingState.EXPIRED)
    corpus.sync()
    assert backend.count() == 1
    result = backend.search(SearchQuery(q="pin natri", facets=True))
    assert ids(result) == [live.pk]
    assert sum(fv.count for fv in result.facets["field"]) == 1


def test_index_removes_what_is_no_longer_published_and_remove_works(backend, corpus):
    a = corpus.add(title_vi="Pin natri ion")
    b = corpus.add(title_vi="Pin lithium")
    corpus.sync()
    a.state = ListingState.CLOSED
    a.save()
    backend.index([a.pk])
    assert ids(backend.search(SearchQuery(q="pin"))) == [b.pk]
    backend.remove([b.pk])
    assert backend.search(SearchQuery(q="pin")).total == 0
    assert backend.count() == 0
    backend.index([b.pk, b.pk])  # idempotent
    backend.index([b.pk])
    assert backend.count() == 1


def test_indexed_ids_versions_and_health(backend, corpus):
    made = [corpus.add(title_vi=f"Thiết bị {n}") for n in range(5)]
    corpus.sync()
    batches = list(backend.indexed_ids_versions(2))
    assert [len(b) for b in batches] == [2, 2, 1]
    rows = [row for b in batches for row in b]
    assert [pk for pk, _ in rows] == sorted(m.pk for m in made)
    from listings.search.text import document_stamp

    first = made[0]
    first.refresh_from_db()
    assert dict(rows)[first.pk] == document_stamp(
        first.version, first.updated_at, first.organization.updated_at
    )
    assert backend.health()["ok"] is True


def test_publish_and_unpublish_through_services_reach_the_index(
    backend, people, make_listing, django_capture_on_commit_callbacks
):
    listing = make_listing(title_vi="Vắc-xin thủy sản đường uống", state=ListingState.AWAITING_MODERATION)
    assert backend.search(SearchQuery(q="vac xin thuy san")).total == 0
    with django_capture_on_commit_callbacks(execute=True):
        listing_publish(actor=people.moderator, listing=listing)
    assert ids(backend.search(SearchQuery(q="vac xin thuy san"))) == [listing.pk]
    with django_capture_on_commit_callbacks(execute=True):
        listing_unpublish(actor=people.moderator, listing=listing, reason="Sai thông tin")
    assert backend.search(SearchQuery(q="vac xin thuy san")).total == 0
    assert backend.count() == 0


def test_close_through_service_removes_from_index(
    backend, people, make_listing, django_capture_on_commit_callbacks
):
    listing = make_listing(title_vi="Chế phẩm vi sinh", state=ListingState.AWAITING_MODERATION)
    with django_capture_on_commit_callbacks(execute=True):
        listing_publish(actor=people.moderator, listing=listing)
    assert backend.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        listing_close(actor=people.owner, listing=listing)
    assert backend.count() == 0


def test_search_listings_service_uses_the_configured_backend(backend, corpus):
    hit = corpus.add(title_vi="Nhà kính thông minh", kind=ListingKind.OFFER)
    corpus.sync()
    result = search_listings(SearchQuery(q="nha kinh"))
    assert ids(result) == [hit.pk]
    assert result.backend == backend.name and result.fallback is False


# --- suggestions (richer tier: a backend may return [] only if it declares no suggest support) -------
def test_suggest_completes_titles(backend, corpus):
    a = corpus.add(title_vi="Công nghệ sấy lạnh")
    corpus.add(title_vi="Công cụ quản lý", kind=ListingKind.REQUEST)
    corpus.add(title_vi="Công nghệ sấy chưa đăng", published=False, state=ListingState.DRAFT)
    corpus.sync()
    assert backend.suggest("cong nghe sa") == [(a.pk, "Công nghệ sấy lạnh")]
    assert [i for i, _ in backend.suggest("cong", kind="offer")] == [a.pk]
    assert backend.suggest("c") == []
