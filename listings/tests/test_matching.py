"""Request ↔ offer matching (ranking, reasons, who sees it) and broker introductions."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.core.models import AuditLog, Notification
from listings import matching
from listings.lifecycle import ListingState, NotPermitted, TransitionNotAllowed
from listings.models import Introduction, ScienceField, TransactionType

from .factories import ListingFactory, RequestListingFactory
from .public_helpers import site_context  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


def field(code):
    return ScienceField.objects.get(code=code)


@pytest.fixture
def need(people):
    """A published request of ``people.org``: textile wastewater, TRL 5-7, licence, budget 1 tỷ."""
    return RequestListingFactory(
        published=True,
        organization=people.org,
        created_by=people.owner,
        title_vi="Cần công nghệ xử lý nước thải dệt nhuộm",
        title_en="",
        keywords=["nước thải", "dệt nhuộm"],
        field=field("2.07"),
        trl_wanted_min=5,
        trl_wanted_max=7,
        transaction_types=[TransactionType.EXCLUSIVE_LICENSE, TransactionType.NON_EXCLUSIVE_LICENSE],
        price_min=500_000_000,
        price_max=1_000_000_000,
    )


@pytest.fixture
def offers(people):
    """Three published offers of other organisations, from best to worst for ``need``."""
    best = ListingFactory(
        published=True,
        organization=OrganizationFactory(name="Viện Môi trường"),
        title_vi="Xử lý nước thải dệt nhuộm bằng màng sinh học",
        title_en="",
        keywords=["nước thải", "dệt nhuộm", "màng sinh học"],
        field=field("2.07"),
        trl=6,
        transaction_types=[TransactionType.EXCLUSIVE_LICENSE],
        price_min=800_000_000,
        price_max=1_200_000_000,
    )
    middle = ListingFactory(
        published=True,
        organization=OrganizationFactory(),
        title_vi="Hệ thống lọc nước thải sinh hoạt",
        title_en="",
        keywords=["nước thải"],
        field=field("2.04"),
        trl=3,
        transaction_types=[TransactionType.ASSIGNMENT],
        price_min=None,
        price_max=None,
    )
    unrelated = ListingFactory(
        published=True,
        organization=OrganizationFactory(),
        title_vi="Giống lúa chịu mặn",
        title_en="",
        summary_vi="Giống lúa mới.",
        keywords=["lúa", "chịu mặn"],
        field=field("4.01"),
        trl=8,
        transaction_types=[TransactionType.ASSIGNMENT],
    )
    same_org = ListingFactory(
        published=True,
        organization=people.org,
        title_vi="Xử lý nước thải dệt nhuộm của chính tổ chức",
        keywords=["nước thải", "dệt nhuộm"],
        field=field("2.07"),
    )
    draft = ListingFactory(title_vi="Xử lý nước thải dệt nhuộm (nháp)", field=field("2.07"))
    return {"best": best, "middle": middle, "unrelated": unrelated, "same_org": same_org, "draft": draft}


# --- scoring ------------------------------------------------------------------------------------------
def test_key_terms_drop_filler_words(need):
    terms = matching.key_terms(need)
    assert "nuoc" in terms and "thai" in terms and "det" in terms and "nhuom" in terms
    assert "cong" not in terms and "nghe" not in terms
    assert len(terms) <= 8


def test_request_gets_ranked_offers_with_reasons(need, offers):
    found = matching.matches_for(need)
    ids = [m.listing.pk for m in found]
    assert ids[0] == offers["best"].pk
    assert offers["middle"].pk in ids
    assert ids.index(offers["best"].pk) < ids.index(offers["middle"].pk)
    # Never the same organisation, never an unpublished listing, never a request.
    assert offers["same_org"].pk not in ids
    assert offers["draft"].pk not in ids
    assert need.pk not in ids
    best = found[0]
    assert best.score >= 80
    text = " | ".join(best.reasons)
    assert "Từ khóa chung: nước thải, dệt nhuộm" in text
    assert "Cùng lĩnh vực 2.07" in text
    assert "TRL 6 nằm trong khoảng mong muốn 5–7" in text
    assert "Li-xăng độc quyền" in text
    assert "phù hợp ngân sách" in text
    middle = next(m for m in found if m.listing.pk == offers["middle"].pk)
    assert middle.score < best.score
    assert any("Cùng nhóm lĩnh vực 2 " in r for r in middle.reasons)
    assert not any("TRL" in r for r in middle.reasons)


def test_offer_gets_matching_requests(need, offers):
    found = matching.matches_for(offers["best"])
    assert [m.listing.pk for m in found][:1] == [need.pk]
    assert all(m.listing.kind == "request" for m in found)


def test_english_reasons(need, offers):
    from django.utils.translation import override

    with override("en"):
        found = matching.matches_for(need)
    assert found[0].listing.pk == offers["best"].pk


def test_matching_runs_a_fixed_number_of_queries(need, offers, settings):
    settings.SEARCH_CACHE_SECONDS = 0  # count the work itself, not answers from the search cache
    matching.matches_for(need)
    with CaptureQueriesContext(connection) as few:
        matching.matches_for(need)
    for i in range(15):
        ListingFactory(
            published=True,
            organization=OrganizationFactory(),
            title_vi=f"Xử lý nước thải dệt nhuộm kiểu {i}",
            keywords=["nước thải"],
            field=field("2.07"),
        )
    with CaptureQueriesContext(connection) as many:
        found = matching.matches_for(need, limit=50)
    assert len(found) >= 17
    assert len(many.captured_queries) <= len(few.captured_queries)


# --- who sees matches -------------------------------------------------------------------------------
def test_detail_page_shows_matches_to_owner_broker_staff_only(client, people, need, offers):
    broker = UserFactory(roles=["broker"])
    path = need.get_absolute_url()
    for user in (people.owner, people.tto, broker, people.staff):
        client.force_login(user)
        body = client.get(path).content.decode()
        assert 'id="h-matches"' in body, user
        assert offers["best"].title_vi in body
    for user in (people.stranger, people.other_member):
        client.force_login(user)
        assert 'id="h-matches"' not in client.get(path).content.decode()
    client.logout()
    assert 'id="h-matches"' not in client.get(path).content.decode()


def test_matches_page_permissions(client, people, need, offers):
    path = reverse("listings:matches", args=[need.pk])
    assert client.get(path).status_code == 302  # sign in first
    client.force_login(people.stranger)
    assert client.get(path).status_code == 403
    client.force_login(people.owner)
    response = client.get(path)
    assert response.status_code == 200
    assert offers["best"].title_vi in response.content.decode()
    assert "Giới thiệu hai bên" not in response.content.decode()  # owners do not introduce
    client.force_login(UserFactory(roles=["broker"]))
    assert "Giới thiệu hai bên" in client.get(path).content.decode()
    # A draft is not visible to brokers at all.
    draft = RequestListingFactory(organization=people.org)
    assert client.get(reverse("listings:matches", args=[draft.pk])).status_code == 404
    client.force_login(people.owner)
    assert client.get(reverse("listings:matches", args=[draft.pk])).status_code == 200


def test_anonymous_request_organisation_hidden_from_offer_owner(client, people, need, offers):
    need.anonymous = True
    need.save(update_fields=["anonymous"])
    offer_owner = MembershipFactory(organization=offers["best"].organization).user
    client.force_login(offer_owner)
    body = client.get(reverse("listings:matches", args=[offers["best"].pk])).content.decode()
    assert need.title_vi in body
    assert people.org.name not in body
    client.force_login(UserFactory(roles=["broker"]))
    body = client.get(reverse("listings:matches", args=[offers["best"].pk])).content.decode()
    assert people.org.name in body


# --- introductions --------------------------------------------------------------------------------------
@pytest.fixture
def broker(db):
    return UserFactory(roles=["broker"])


def test_broker_introduces_and_both_organisations_are_told(people, need, offers, broker):
    offer = offers["best"]
    seller = MembershipFactory(organization=offer.organization, role=MembershipRole.TTO_MANAGER).user
    intro = matching.introduction_create(
        actor=broker, offer=offer, request=need, note="Hai bên nên gặp nhau."
    )
    assert intro.broker == broker and intro.note == "Hai bên nên gặp nhau."
    assert AuditLog.objects.filter(action="introduction.create", target_id=str(intro.pk)).exists()
    buyer_side = Notification.objects.filter(kind="listing_introduced", recipient=people.owner).get()
    assert offer.organization.name in buyer_side.body and buyer_side.url == offer.get_absolute_url()
    seller_side = Notification.objects.get(kind="listing_introduced", recipient=seller)
    assert people.org.name in seller_side.body and seller_side.url == need.get_absolute_url()
    assert not Notification.objects.filter(kind="listing_introduced", recipient=broker).exists()
    assert not Notification.objects.filter(kind="listing_introduced", recipient=people.other_member).exists()


def test_introduction_hides_anonymous_requester(people, need, offers, broker):
    need.anonymous = True
    need.save(update_fields=["anonymous"])
    seller = MembershipFactory(organization=offers["best"].organization).user
    matching.introduction_create(actor=broker, offer=offers["best"], request=need)
    body = Notification.objects.get(kind="listing_introduced", recipient=seller).body
    assert people.org.name not in body and "ẩn danh" in body


def test_staff_may_introduce_others_may_not(people, need, offers):
    for user in (people.owner, people.tto, people.stranger, people.moderator):
        with pytest.raises(NotPermitted):
            matching.introduction_create(actor=user, offer=offers["best"], request=need)
    assert matching.introduction_create(actor=people.staff, offer=offers["best"], request=need)


def test_introduction_refusals(people, need, offers, broker):
    with pytest.raises(TransitionNotAllowed):
        matching.introduction_create(actor=broker, offer=offers["draft"], request=need)
    with pytest.raises(ValidationError):
        matching.introduction_create(actor=broker, offer=offers["same_org"], request=need)
    with pytest.raises(ValidationError):  # kinds swapped
        matching.introduction_create(actor=broker, offer=need, request=offers["best"])
    matching.introduction_create(actor=broker, offer=offers["best"], request=need)
    with pytest.raises(ValidationError):  # once per pair
        matching.introduction_create(actor=broker, offer=offers["best"], request=need)
    assert Introduction.objects.count() == 1


def test_introduce_view_and_portal_list(client, people, need, offers, broker):
    offer = offers["best"]
    data = {"offer": offer.pk, "request": need.pk, "note": "Xin giới thiệu"}
    client.force_login(people.owner)
    assert client.post(reverse("listings:introduce"), data).status_code == 403
    client.logout()
    assert client.post(reverse("listings:introduce"), data).status_code == 302
    assert not Introduction.objects.exists()
    client.force_login(broker)
    response = client.post(reverse("listings:introduce"), {**data, "next": need.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == need.get_absolute_url()
    assert Introduction.objects.filter(offer=offer, request=need).exists()

    # Both parties see it, each with the link that starts an inquiry on the other side's listing.
    client.force_login(people.owner)
    body = client.get(reverse("listings:introductions")).content.decode()
    assert "Xin giới thiệu" in body
    assert reverse("deals:inquire", args=[offer.pk]) in body
    seller = MembershipFactory(organization=offer.organization).user
    client.force_login(seller)
    body = client.get(reverse("listings:introductions")).content.decode()
    assert reverse("deals:inquire", args=[need.pk]) in body
    client.force_login(people.other_member)
    assert "Xin giới thiệu" not in client.get(reverse("listings:introductions")).content.decode()
    client.force_login(broker)
    assert "Xin giới thiệu" in client.get(reverse("listings:introductions")).content.decode()


def test_detail_page_marks_introduced_pairs(client, people, need, offers, broker):
    matching.introduction_create(actor=broker, offer=offers["best"], request=need)
    client.force_login(broker)
    body = client.get(need.get_absolute_url()).content.decode()
    assert "Đã giới thiệu hai bên." in body


def test_unpublished_listing_cannot_be_introduced_through_the_view(client, people, need, offers, broker):
    need.state = ListingState.UNPUBLISHED
    need.save(update_fields=["state"])
    client.force_login(broker)
    client.post(reverse("listings:introduce"), {"offer": offers["best"].pk, "request": need.pk})
    assert not Introduction.objects.exists()
