"""The expert directory: only public profiles, filters by field and name, profile with their listings."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from exchange.accounts.tests.factories import UserFactory
from listings.models import ExpertProfile, ScienceField

from .factories import ListingFactory, RequestListingFactory
from .public_helpers import site_context  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site_context")]


def make_expert(name, *, public=True, fields=("2.07",), org=None, **kwargs):
    user = UserFactory(full_name=name)
    profile = ExpertProfile.objects.create(
        user=user,
        slug=kwargs.pop("slug", name.lower().replace(" ", "-").encode("ascii", "ignore").decode() or "x"),
        public=public,
        organization=org,
        academic_title=kwargs.pop("academic_title", "PGS.TS."),
        bio_vi=kwargs.pop("bio_vi", "Nghiên cứu xử lý nước."),
        bio_en=kwargs.pop("bio_en", ""),
        publications=kwargs.pop(
            "publications", [{"title": "Màng MBR", "year": 2023, "venue": "Tạp chí KH&CN"}]
        ),
        patents=kwargs.pop("patents", [{"title": "Thiết bị lọc", "number": "1-0012345"}]),
    )
    profile.expertise_fields.set(ScienceField.objects.filter(code__in=fields))
    return profile


def url(name, lang, *args):
    with override(lang):
        return reverse(f"listings:{name}", args=args)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("who", ["anonymous", "stranger"])
def test_directory_lists_only_public_profiles(client, people, lang, who):
    if who != "anonymous":
        client.force_login(people[who])
    shown = make_expert("Tran Van Nuoc", slug="tran-van-nuoc")
    hidden = make_expert("Le Thi An", slug="le-thi-an", public=False)
    response = client.get(url("expert_list", lang))
    assert response.status_code == 200
    html = response.content.decode()
    assert "PGS.TS. Tran Van Nuoc" in html
    assert shown.get_absolute_url() in html or url("expert_detail", lang, shown.slug) in html
    assert "Le Thi An" not in html
    assert client.get(url("expert_detail", lang, hidden.slug)).status_code == 404


def test_directory_filters_by_field_and_name(client):
    make_expert("Tran Van Nuoc", slug="a", fields=("2.07",))
    make_expert(
        "Pham Thi Y", slug="b", fields=("3.01",) if ScienceField.objects.filter(code="3.01").exists() else ()
    )
    html = client.get(url("expert_list", "vi"), {"field": "2"}).content.decode()
    assert "Tran Van Nuoc" in html and "Pham Thi Y" not in html
    html = client.get(url("expert_list", "vi"), {"q": "pham"}).content.decode()
    assert "Pham Thi Y" in html and "Tran Van Nuoc" not in html
    response = client.get(url("expert_list", "vi"), {"field": "nonsense"})
    assert response.status_code == 200 and "Một số bộ lọc không hợp lệ" in response.content.decode()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_profile_page_with_listings(client, people, lang):
    profile = make_expert("Tran Van Nuoc", slug="tvn", org=people.org, bio_en="Works on water.")
    created = ListingFactory(
        published=True, created_by=profile.user, title_vi="Công nghệ do tạo", title_en="Created one"
    )
    coauthored = ListingFactory(published=True, title_vi="Đồng tác giả", title_en="Co-authored one")
    coauthored.authors.add(profile.user)
    draft = ListingFactory(created_by=profile.user, title_vi="Nháp riêng", title_en="Private draft")
    anonymous = RequestListingFactory(
        published=True, created_by=profile.user, anonymous=True, title_vi="Ẩn danh", title_en="Anonymous one"
    )
    unrelated = ListingFactory(published=True, title_vi="Không liên quan", title_en="Unrelated")
    html = client.get(url("expert_detail", lang, profile.slug)).content.decode()
    with override(lang):
        assert created.t("title") in html and coauthored.t("title") in html
        for other in (draft, anonymous, unrelated):
            assert other.t("title") not in html
    assert "Màng MBR" in html and "1-0012345" in html
    assert ("Works on water." if lang == "en" else "Nghiên cứu xử lý nước.") in html


def test_owner_may_preview_own_hidden_profile(client):
    profile = make_expert("Le Thi An", slug="lta", public=False)
    client.force_login(profile.user)
    response = client.get(profile.get_absolute_url())
    assert response.status_code == 200
    assert "chưa công khai" in response.content.decode()


def test_inactive_user_profile_hidden(client):
    profile = make_expert("Ngo Van B", slug="nvb")
    profile.user.is_active = False
    profile.user.save()
    assert client.get(profile.get_absolute_url()).status_code == 404
    assert "Ngo Van B" not in client.get(url("expert_list", "vi")).content.decode()


def test_profile_json_validation():
    profile = ExpertProfile(user=UserFactory(), slug="x", publications=[{"year": 2020}], patents="nope")
    with pytest.raises(ValidationError) as exc:
        profile.full_clean()
    assert set(exc.value.message_dict) >= {"publications", "patents"}


def test_directory_constant_queries(client, django_assert_max_num_queries):
    for i in range(3):
        make_expert(f"Expert {i}", slug=f"e{i}")
    client.get(url("expert_list", "vi"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(url("expert_list", "vi"))
    baseline = len(ctx.captured_queries)
    for i in range(3, 30):
        make_expert(f"Expert {i}", slug=f"e{i}", fields=("2.07", "2"))
    with django_assert_max_num_queries(baseline):
        client.get(url("expert_list", "vi"), {"field": "2"})
