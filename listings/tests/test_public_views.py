"""The public technology and request pages: visibility, filters, bilingual text, saving, view counts,
anonymous requests and constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from exchange.accounts.tests.factories import OrganizationFactory, UserFactory
from listings import display, services
from listings.cache import bump_public_version
from listings.lifecycle import ListingState
from listings.models import ListingDailyStat, ListingKind, SavedListing, TransactionType

from .factories import ListingFactory, RequestListingFactory
from .public_helpers import dress, site_context  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]

LANGS = ["vi", "en"]


def url(name, lang, *args):
    with override(lang):
        return reverse(f"listings:{name}", args=args)


@pytest.fixture
def offer(people):
    return dress(
        ListingFactory(
            published=True,
            organization=people.org,
            created_by=people.owner,
            title_vi="Màng lọc sinh học xử lý nước thải",
            title_en="Biofilm membrane for wastewater",
            summary_vi="Tóm tắt tiếng Việt.",
            summary_en="",
            advantages_vi="Tiết kiệm 30% năng lượng.",
            applications_vi="Khu công nghiệp.",
            problem_vi="Nước thải dệt nhuộm.",
            price_min=500_000_000,
            price_max=800_000_000,
            trl=6,
            transaction_types=[TransactionType.EXCLUSIVE_LICENSE, TransactionType.JOINT_DEVELOPMENT],
        )
    )


@pytest.fixture
def anon_request(people):
    return RequestListingFactory(
        published=True,
        organization=people.other_org,
        anonymous=True,
        title_vi="Cần công nghệ tái chế nhựa",
        title_en="Plastic recycling needed",
    )


# --- list pages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("who", ["anonymous", "stranger", "owner"])
def test_technology_list_both_languages_all_roles(client, people, offer, lang, who):
    draft = ListingFactory(organization=people.org, title_vi="Bản nháp bí mật", title_en="Secret draft")
    if who != "anonymous":
        client.force_login(people[who])
    response = client.get(url("technology_list", lang))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    expected = offer.title_en if lang == "en" else offer.title_vi
    assert expected in html
    assert draft.title_vi not in html and draft.title_en not in html
    assert 'hreflang="vi"' in html and 'hreflang="en"' in html


def test_bilingual_fallback(client, offer):
    html = client.get(url("technology_detail", "en", offer.pk)).content.decode()
    assert "Biofilm membrane for wastewater" in html
    # No English summary: the Vietnamese one is shown, marked with its language.
    assert '<div lang="vi"><p>Tóm tắt tiếng Việt.</p></div>' in html
    with override("en"):
        assert offer.t("summary") == "Tóm tắt tiếng Việt."
        assert offer.t_lang("summary") == "vi"


def test_search_and_filters(client, people):
    water = ListingFactory(published=True, trl=3, title_vi="Lọc nước nhiễm mặn", keywords=["nước mặn"])
    sensor = ListingFactory(
        published=True,
        trl=8,
        title_vi="Cảm biến độ ẩm đất",
        keywords=["cảm biến"],
        field_id=None or water.field_id,
        price_min=100_000_000,
        price_max=200_000_000,
        transaction_types=[TransactionType.TECHNICAL_SERVICE],
    )
    dress(sensor, image=False)

    def titles(**params):
        # the listings shown (with q their titles carry <mark> highlights, so not the raw HTML)
        shown = client.get(url("technology_list", "vi"), params).context["listings"]
        return {listing.title_vi for listing in shown} & {water.title_vi, sensor.title_vi}

    assert titles(q="Cảm biến") == {sensor.title_vi}
    assert titles(q="nước mặn") == {water.title_vi}  # keyword stored with JSON escapes
    assert titles(trl_min=5) == {sensor.title_vi}
    assert titles(trl_max=5) == {water.title_vi}
    assert titles(ip_type="patent") == {sensor.title_vi}
    assert titles(transaction_type="technical_service") == {sensor.title_vi}
    assert titles(transaction_type="exclusive_license") == {water.title_vi}
    assert titles(price_min=150_000_000) == {sensor.title_vi}
    assert titles(price_max=50_000_000) == set()
    assert titles(field="2") == {water.title_vi, sensor.title_vi}  # top level takes in sub-fields
    assert titles(field="2.07") == {water.title_vi, sensor.title_vi}
    assert titles(field="1.01") == set()
    assert titles(org=sensor.organization.ref) == {sensor.title_vi}
    for sort in ("newest", "title", "trl", "price", "-price"):
        assert titles(sort=sort) == {water.title_vi, sensor.title_vi}
    html = client.get(url("technology_list", "vi"), {"sort": "trl"}).content.decode()
    assert html.index(sensor.title_vi) < html.index(water.title_vi)


@pytest.mark.parametrize(
    "params",
    [
        {"trl_min": "abc"},
        {"trl_min": "12"},
        {"trl_min": "7", "trl_max": "3"},
        {"price_min": "-5"},
        {"price_min": "9", "price_max": "1"},
        {"sort": "drop table"},
        {"field": "99.99"},
        {"province": "nowhere"},
        {"org": "no-such-org"},
        {"ip_type": "magic"},
        {"page": "x"},
    ],
)
def test_bad_filters_show_a_message_not_a_500(client, offer, params):
    response = client.get(url("technology_list", "vi"), params)
    assert response.status_code == 200
    html = response.content.decode()
    if params != {"page": "x"}:
        assert "Một số bộ lọc không hợp lệ" in html
        assert 'role="alert"' in html
    assert offer.title_vi in html  # the bad value is ignored, the list still shows


def test_pagination(client, people):
    for _ in range(14):
        ListingFactory(published=True)
    first = client.get(url("technology_list", "vi")).content.decode()
    assert "Trang 1 / 2" in first
    second = client.get(url("technology_list", "vi"), {"page": 2}).content.decode()
    assert "Trang 2 / 2" in second


def test_filter_form_labels_every_control(client, offer):
    html = client.get(url("technology_list", "vi")).content.decode()
    for name in (
        "q",
        "field",
        "trl_min",
        "trl_max",
        "ip_type",
        "transaction_type",
        "province",
        "org",
        "sort",
    ):
        assert f'for="f-{name}"' in html and f'id="f-{name}"' in html


@pytest.mark.parametrize("lang", LANGS)
def test_request_list_hides_anonymous_organisation(client, people, anon_request, lang):
    open_request = RequestListingFactory(published=True, organization=people.org)
    html = client.get(url("request_list", lang)).content.decode()
    assert anon_request.t("title", lang) in html
    assert open_request.t("title", lang) in html
    assert people.other_org.name not in html
    assert people.other_org.ref not in html
    assert people.org.name in html


# --- detail pages ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("who", ["anonymous", "stranger", "owner", "moderator"])
def test_technology_detail_shows_structured_fields(client, people, offer, lang, who):
    if who != "anonymous":
        client.force_login(people[who])
    response = client.get(url("technology_detail", lang, offer.pk))
    assert response.status_code == 200
    html = response.content.decode()
    if lang == "vi":
        assert "TRL 6: Mẫu thử nghiệm trong môi trường liên quan" in html
        assert "500.000.000 ₫ – 800.000.000 ₫" in html
    else:
        assert "TRL 6: Prototype demonstrated in a relevant environment" in html
        assert "VND 500,000,000 – VND 800,000,000" in html
    assert "Tiết kiệm 30% năng lượng." in html
    assert "Khu công nghiệp." in html
    assert "Nước thải dệt nhuộm." in html
    assert f"1-00{offer.pk}" in html  # IP table
    assert "Nguyễn Văn A" in html  # inventors
    assert reverse("listings:organization_detail", args=[people.org.ref]) in html
    assert f'alt="Ảnh {offer.ref}"' in html
    interest = url("express_interest", lang, offer.pk)
    if who == "anonymous":
        assert f"?next={interest}" in html
        assert "Lưu tin" not in html.split("Đăng nhập để lưu tin")[0].split("detail-actions")[1]
    else:
        assert f'href="{interest}"' in html
        assert url("save_toggle", lang, offer.pk) in html


def test_public_attachment_linked_confidential_not(client, people, offer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    public = services.listing_attachment_add(
        actor=people.owner, listing=offer, file=SimpleUploadedFile("brochure.pdf", pdf), confidential=False
    )
    secret = services.listing_attachment_add(
        actor=people.owner, listing=offer, file=SimpleUploadedFile("secret.pdf", pdf), confidential=True
    )
    html = client.get(offer.get_absolute_url()).content.decode()
    assert public.get_absolute_url() in html
    assert secret.get_absolute_url() not in html and "secret.pdf" not in html
    assert client.get(public.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("state", [ListingState.DRAFT, ListingState.AWAITING_MODERATION, ListingState.CLOSED])
def test_unpublished_is_404_for_public_but_owner_may_preview(client, people, make_listing, state):
    listing = make_listing(state=state)
    path = listing.get_absolute_url()
    assert client.get(path).status_code == 404
    client.force_login(people.stranger)
    assert client.get(path).status_code == 404
    client.force_login(people.other_member)
    assert client.get(path).status_code == 404
    client.force_login(people.owner)
    response = client.get(path)
    assert response.status_code == 200
    assert "Bản xem trước" in response.content.decode()
    assert not ListingDailyStat.objects.exists()


def test_wrong_kind_url_redirects(client, offer, anon_request):
    response = client.get(url("request_detail", "vi", offer.pk))
    assert response.status_code == 301 and response["Location"] == offer.get_absolute_url()
    assert client.get(url("technology_detail", "vi", 999999)).status_code == 404


def test_get_absolute_url_per_kind(offer, anon_request):
    with override("vi"):
        assert offer.get_absolute_url() == f"/vi/listings/technologies/{offer.pk}/"
        assert anon_request.get_absolute_url() == f"/vi/listings/requests/{anon_request.pk}/"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("who", ["anonymous", "stranger"])
def test_anonymous_request_detail_never_reveals_the_organisation(client, people, anon_request, lang, who):
    if who != "anonymous":
        client.force_login(people[who])
    html = client.get(url("request_detail", lang, anon_request.pk)).content.decode()
    assert anon_request.t("title", lang) in html
    assert people.other_org.name not in html
    assert people.other_org.ref not in html
    assert ("Ẩn danh" in html or "Tổ chức ẩn danh" in html) if lang == "vi" else "Anonymous" in html
    interest = (
        client.get(url("express_interest", lang, anon_request.pk), follow=True)
        if who != "anonymous"
        else None
    )
    if interest is not None:
        assert people.other_org.name not in interest.content.decode()


def test_anonymous_request_visible_to_its_own_organisation(client, people, anon_request):
    client.force_login(people.other_member)
    html = client.get(anon_request.get_absolute_url()).content.decode()
    assert people.other_org.name in html


@pytest.mark.parametrize("lang", LANGS)
def test_request_detail(client, people, lang):
    request_listing = RequestListingFactory(
        published=True, organization=people.org, desired_outcome_vi="Đạt QCVN 13"
    )
    html = client.get(url("request_detail", lang, request_listing.pk)).content.decode()
    assert "Đạt QCVN 13" in html
    assert people.org.name in html
    assert ("TRL 4: Technology validated in the laboratory" if lang == "en" else "TRL 4: Kiểm chứng") in html


# --- organisation profile --------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_organization_profile_portfolio(client, people, offer, lang):
    org = people.other_org
    public_request = RequestListingFactory(published=True, organization=org, title_vi="Nhu cầu công khai")
    hidden = RequestListingFactory(
        published=True, organization=org, anonymous=True, title_vi="Nhu cầu ẩn danh X"
    )
    own_offer = ListingFactory(published=True, organization=org, title_vi="Công nghệ của tổ chức")
    draft = ListingFactory(organization=org, title_vi="Nháp của tổ chức")
    response = client.get(url("organization_detail", lang, org.ref))
    assert response.status_code == 200
    html = response.content.decode()
    with override(lang):
        assert public_request.t("title") in html and own_offer.t("title") in html
        assert hidden.t("title") not in html and draft.t("title") not in html
        assert offer.t("title") not in html
    assert client.get(url("organization_detail", lang, "no-such-org")).status_code == 404


# --- express interest, save toggle -----------------------------------------------------------------
def test_express_interest_requires_login_and_records_nothing(client, people, offer):
    from exchange.core.models import AuditLog

    path = url("express_interest", "vi", offer.pk)
    response = client.get(path)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    client.force_login(people.stranger)
    before = AuditLog.objects.count()
    response = client.get(path)
    # The entry point hands over to the deal room's inquiry form; nothing is recorded until it is sent.
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:inquire", kwargs={"listing_pk": offer.pk})
    assert AuditLog.objects.count() == before
    draft = ListingFactory()
    assert client.get(url("express_interest", "vi", draft.pk)).status_code == 404


def test_save_toggle(client, people, offer):
    path = url("save_toggle", "vi", offer.pk)
    assert client.post(path, {"action": "save"}).status_code == 302
    assert not SavedListing.objects.exists()  # anonymous: sent to login
    client.force_login(people.stranger)
    assert client.get(path).status_code == 405
    response = client.post(path, {"action": "save", "next": offer.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    assert SavedListing.objects.filter(user=people.stranger, listing=offer).count() == 1
    client.post(path, {"action": "save"})  # twice is a no-op
    assert SavedListing.objects.filter(user=people.stranger).count() == 1
    assert ListingDailyStat.objects.get(listing=offer).saves == 1
    html = client.get(offer.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in html
    client.post(path, {"action": "unsave", "next": "https://evil.example/"})
    assert not SavedListing.objects.exists()
    draft = ListingFactory()
    assert client.post(url("save_toggle", "vi", draft.pk), {"action": "save"}).status_code == 404


def test_save_service_refuses_unpublished(people, make_listing):
    from listings.lifecycle import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        services.listing_save(user=people.stranger, listing=make_listing())
    with pytest.raises(TransitionNotAllowed):
        services.listing_save(user=people.anonymous, listing=make_listing(published=True))


# --- view counting ---------------------------------------------------------------------------------
def test_views_counted_for_visitors_not_owners(client, people, offer):
    path = offer.get_absolute_url()
    client.get(path)
    client.get(path)
    client.force_login(people.stranger)
    client.get(path)
    stat = ListingDailyStat.objects.get(listing=offer, date=timezone.localdate())
    assert stat.views == 3
    for owner in (people.owner, people.tto):  # creator and an organisation member
        client.force_login(owner)
        client.get(path)
    coauthor = UserFactory()
    offer.authors.add(coauthor)
    client.force_login(coauthor)
    client.get(path)
    stat.refresh_from_db()
    assert stat.views == 3


def test_record_view_service_single_row_per_day(people, offer):
    for _ in range(5):
        services.listing_record_view(listing_id=offer.pk, user=people.anonymous)
    assert ListingDailyStat.objects.get().views == 5
    assert services.listing_record_view(listing_id=offer.pk, user=people.owner) is False
    services.listing_stat_increment(listing_id=offer.pk, field="inquiries")
    assert ListingDailyStat.objects.get().inquiries == 1
    with pytest.raises(ValueError):
        services.listing_stat_increment(listing_id=offer.pk, field="id")


# --- display helpers -------------------------------------------------------------------------------
def test_vnd_and_trl_formats():
    assert display.format_vnd(500_000_000, "vi") == "500.000.000 ₫"
    assert display.format_vnd(500_000_000, "en") == "VND 500,000,000"
    assert display.trl_label(6, "vi") == "TRL 6: Mẫu thử nghiệm trong môi trường liên quan"
    assert display.trl_label(None) == ""
    assert len(display.TRL_MEANINGS) == 9


# --- constant query counts -------------------------------------------------------------------------
def _make_published(n, org):
    for i in range(n):
        kind = ListingKind.OFFER if i % 2 == 0 else ListingKind.REQUEST
        factory = ListingFactory if kind == ListingKind.OFFER else RequestListingFactory
        dress(factory(published=True, organization=OrganizationFactory() if i % 3 else org))


def _count(client, path):
    """Queries of a cold render: cached listing fragments forgotten first, so the baseline is the full
    count and the caches cannot hide an N+1 (listings.cache)."""
    bump_public_version()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("name", ["technology_list", "request_list", "organization_detail"])
def test_list_pages_constant_queries(client, people, django_assert_max_num_queries, name, signed_in):
    if signed_in:
        client.force_login(people.stranger)
    _make_published(3, people.org)
    path = url(name, "vi", *([people.org.ref] if name == "organization_detail" else []))
    client.get(path)  # warm caches (demo flag, sessions)
    baseline = _count(client, path)
    _make_published(30, people.org)
    with django_assert_max_num_queries(baseline):
        client.get(path)
    with django_assert_max_num_queries(baseline):
        client.get(path + "?trl_min=1&sort=price&ip_type=patent")


@pytest.mark.parametrize("signed_in", [False, True])
def test_detail_page_constant_queries(client, people, django_assert_max_num_queries, signed_in):
    if signed_in:
        client.force_login(people.stranger)
    small = dress(ListingFactory(published=True))
    client.get(small.get_absolute_url())
    baseline = _count(client, small.get_absolute_url())
    big = ListingFactory(published=True)
    for _ in range(10):
        dress(big)
    big.authors.set([UserFactory() for _ in range(5)])
    _make_published(30, people.org)
    client.get(big.get_absolute_url())
    with django_assert_max_num_queries(baseline):
        client.get(big.get_absolute_url())


# --- with q the search service answers: relevance, highlights, facets -------------------------------
@pytest.fixture
def water_catalogue(people):
    full = ListingFactory(
        published=True,
        organization=people.org,
        title_vi="Màng lọc nước thải dệt nhuộm",
        summary_vi="Xử lý nước thải dệt nhuộm bằng màng sinh học.",
        keywords=["dệt nhuộm"],
        trl=6,
        price_min=200_000_000,
        price_max=300_000_000,
    )
    partial = ListingFactory(
        published=True,
        organization=people.other_org,
        title_vi="Màng phủ nông nghiệp",
        summary_vi="Giữ ẩm cho đất trồng.",
        keywords=["nông nghiệp"],
        trl=4,
        price_min=None,
        price_max=None,
    )
    other = ListingFactory(published=True, title_vi="Phần mềm quản lý kho", keywords=["kho"], trl=8)
    return full, partial, other


def test_unaccented_q_ranks_the_full_match_first_with_marks(client, water_catalogue):
    full, partial, other = water_catalogue
    response = client.get(url("technology_list", "vi"), {"q": "mang loc"})
    assert response.status_code == 200
    html = response.content.decode()
    listings = response.context["listings"]
    assert [item.pk for item in listings][:2] == [full.pk, partial.pk]  # every word first, then some
    assert other.pk not in [item.pk for item in listings]
    assert response.context["page_obj"].paginator.count == 2
    assert "<mark>" in html and "&lt;mark&gt;" not in html
    assert html.index("<mark>Màng lọc</mark> nước thải") < html.index("<mark>Màng</mark> phủ")
    assert "bằng <mark>màng</mark> sinh học." in html  # the summary snippet too
    # relevance is the selected order when q is given
    assert '<option value="relevance" selected>' in html
    assert "Phù hợp nhất" in html


def test_q_without_search_term_keeps_the_orm_list(client, water_catalogue):
    response = client.get(url("technology_list", "vi"))
    assert response.context["searched"] is False
    assert response.context["facets"] == []
    assert "Lọc nhanh" not in response.content.decode()


def test_facet_box_counts_and_links_add_the_filter(client, people, water_catalogue):
    full, partial, _other = water_catalogue
    response = client.get(url("technology_list", "vi"), {"q": "mang"})
    html = response.content.decode()
    assert "Lọc nhanh" in html
    groups = {g["name"]: g for g in response.context["facets"]}
    assert {"field", "trl", "organization", "price_band"} <= set(groups)
    trl = {v["label"]: v["count"] for v in groups["trl"]["values"]}
    assert trl == {"TRL 6": 1, "TRL 4": 1}
    orgs = {v["label"]: v for v in groups["organization"]["values"]}
    assert orgs[people.org.name]["count"] == 1
    link = orgs[people.org.name]["url"]
    assert f"org={people.org.ref}" in link and "q=mang" in link
    narrowed = client.get(url("technology_list", "vi") + link)
    assert [item.pk for item in narrowed.context["listings"]] == [full.pk]
    active = [v for g in narrowed.context["facets"] if g["name"] == "organization" for v in g["values"]]
    # a facet ignores its own filter, so the other organisation is still offered; ours is marked current
    assert [v["label"] for v in active if v["active"]] == [people.org.name]
    bands = {v["label"]: v["count"] for v in groups["price_band"]["values"]}
    assert bands == {"100 – 500 triệu": 1}
    with override("en"):
        english = client.get(url("technology_list", "en"), {"q": "mang"}).content.decode()
    assert "Quick filters" in english and "Most relevant" in english


def test_federated_listings_are_labelled_and_filterable_by_exchange(client, people):
    from regional_network.models import Peer

    Peer.objects.create(name="Sàn giao dịch công nghệ Đồng Nai", origin="dongnai", base_url="http://dn.test")
    ours = ListingFactory(published=True, title_vi="Máy ép viên nén mùn cưa")
    theirs = ListingFactory(published=True, title_vi="Máy ép viên nén vỏ trấu", origin="dongnai", ref="dn-7")
    response = client.get(url("technology_list", "vi"), {"q": "vien nen"})
    groups = {g["name"]: g for g in response.context["facets"]}
    origins = {v["label"]: v for v in groups["origin"]["values"]}
    assert {k: v["count"] for k, v in origins.items()} == {
        "Sàn giao dịch công nghệ TP.HCM": 1,
        "Sàn giao dịch công nghệ Đồng Nai": 1,
    }
    narrowed = client.get(url("technology_list", "vi") + origins["Sàn giao dịch công nghệ Đồng Nai"]["url"])
    assert [item.pk for item in narrowed.context["listings"]] == [theirs.pk]
    # the plain list (no search term) filters by origin too, and the form offers the exchanges
    plain = client.get(url("technology_list", "vi"), {"origin": "dongnai"})
    assert [item.pk for item in plain.context["listings"]] == [theirs.pk]
    assert "Sàn giao dịch công nghệ Đồng Nai</option>" in plain.content.decode()
    assert ours.pk in [i.pk for i in client.get(url("technology_list", "vi")).context["listings"]]


def test_request_list_search_has_no_price_facet(client, people):
    RequestListingFactory(published=True, title_vi="Cần màng lọc nước", keywords=["lọc"])
    RequestListingFactory(published=True, title_vi="Cần phần mềm kho", keywords=["kho"])
    response = client.get(url("request_list", "vi"), {"q": "mang loc"})
    assert response.status_code == 200
    assert len(response.context["listings"]) == 1
    assert "price_band" not in {g["name"] for g in response.context["facets"]}
    assert "<mark>" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "mang", "trl_min": "abc"},
        {"q": "mang", "trl_min": "7", "trl_max": "3"},
        {"q": "mang", "price_min": "-5"},
        {"q": "mang", "sort": "drop table"},
        {"q": "mang", "field": "99.99"},
        {"q": "mang", "org": "no-such-org"},
    ],
)
def test_bad_filters_with_q_show_form_errors(client, water_catalogue, params):
    full, partial, _other = water_catalogue
    response = client.get(url("technology_list", "vi"), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Một số bộ lọc không hợp lệ" in html and 'role="alert"' in html
    assert response.context["searched"] is True
    assert {item.pk for item in response.context["listings"]} == {full.pk, partial.pk}


def test_search_pagination_uses_the_total(client, people):
    for i in range(14):
        ListingFactory(published=True, title_vi=f"Máy sấy nông sản {i}")
    first = client.get(url("technology_list", "vi"), {"q": "may say"})
    assert first.context["page_obj"].paginator.count == 14
    assert len(first.context["listings"]) == 12 and "Trang 1 / 2" in first.content.decode()
    second = client.get(url("technology_list", "vi"), {"q": "may say", "page": 2})
    assert len(second.context["listings"]) == 2 and "Trang 2 / 2" in second.content.decode()
    seen = {i.pk for i in first.context["listings"]} | {i.pk for i in second.context["listings"]}
    assert len(seen) == 14
    past = client.get(url("technology_list", "vi"), {"q": "may say", "page": 99})
    assert "Trang 2 / 2" in past.content.decode()


@pytest.mark.parametrize("name", ["technology_list", "request_list"])
def test_search_list_constant_queries(client, people, django_assert_max_num_queries, name, settings):
    """With q: the search, its facets (a fixed number of label queries) and one load of the page."""
    settings.SEARCH_CACHE_SECONDS = 0  # count the work itself, not answers from the search cache
    _make_published(3, people.org)
    path = url(name, "vi") + "?q=a"
    client.get(path)
    baseline = _count(client, path)
    _make_published(30, people.org)
    with django_assert_max_num_queries(baseline):
        client.get(path)
