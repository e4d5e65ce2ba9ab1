"""Who may open which portal page, in both languages: anonymous → login, other organisation → 404,
a role the user does not hold → 403."""

import pytest
from django.urls import reverse
from django.utils import translation

ROLES = ["anonymous", "researcher", "tto", "other_tto", "business", "moderator"]

# page name -> expected status per role (anonymous always redirects to the login page)
MATRIX = {
    "dashboard": dict(researcher=200, tto=200, other_tto=200, business=200, moderator=200),
    "my_listings": dict(researcher=200, tto=200, other_tto=200, business=200, moderator=200),
    "create_offer": dict(researcher=200, tto=200, other_tto=200, business=200, moderator=200),
    "create_request": dict(researcher=200, tto=200, other_tto=200, business=200, moderator=200),
    "saved": dict(researcher=200, tto=200, other_tto=200, business=200, moderator=200),
    "listing_detail": dict(researcher=200, tto=200, other_tto=404, business=404, moderator=200),
    "listing_edit": dict(researcher=200, tto=200, other_tto=404, business=404, moderator=403),
    "listing_media": dict(researcher=200, tto=200, other_tto=404, business=404, moderator=403),
    "listing_stats": dict(researcher=200, tto=200, other_tto=404, business=404, moderator=200),
    "tto_queue": dict(researcher=403, tto=200, other_tto=200, business=403, moderator=403),
    "portfolio": dict(researcher=403, tto=200, other_tto=403, business=403, moderator=403),
    "bulk_import": dict(researcher=403, tto=200, other_tto=200, business=403, moderator=403),
    "import_template": dict(researcher=403, tto=200, other_tto=200, business=403, moderator=403),
}


def _url(page, people, offer):
    if page == "create_offer":
        return reverse("portal:listing_create", args=["offer"])
    if page == "create_request":
        return reverse("portal:listing_create", args=["request"])
    if page.startswith("listing_"):
        return reverse(f"portal:{page}", args=[offer.pk])
    if page == "portfolio":
        return reverse("portal:portfolio", args=[people.org.pk])
    return reverse(f"portal:{page}")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(MATRIX))
def test_page_access(client, people, offer, page, role, language):
    with translation.override(language):
        url = _url(page, people, offer)
    assert url.startswith(f"/{language}/portal/")
    if role != "anonymous":
        client.force_login(people[role])
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        return
    assert response.status_code == MATRIX[page][role], (page, role, language)
    if response.status_code == 200 and page != "import_template":
        assert f'<html lang="{language}">' in response.content.decode()


def test_missing_listing_is_404(client, people):
    client.force_login(people.researcher)
    assert client.get(reverse("portal:listing_detail", args=[999999])).status_code == 404


def test_unknown_organisation_portfolio_is_404(client, people):
    client.force_login(people.tto)
    assert client.get(reverse("portal:portfolio", args=[999999])).status_code == 404


def test_unknown_kind_is_404(client, people):
    client.force_login(people.researcher)
    assert client.get(reverse("portal:listing_create", args=["deal"])).status_code == 404


def test_posts_need_login(client, offer):
    response = client.post(reverse("portal:listing_action", args=[offer.pk, "submit"]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_other_org_cannot_act_on_listing(client, people, offer):
    client.force_login(people.other_tto)
    response = client.post(reverse("portal:listing_action", args=[offer.pk, "submit"]))
    assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.state == "draft"


def test_dashboard_adapts_to_roles(client, people, offer):
    client.force_login(people.researcher)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "Bộ phận chuyển giao (TTO)" not in body
    assert offer.title_vi in body

    client.force_login(people.tto)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "Bộ phận chuyển giao (TTO)" in body
    assert reverse("accounts:organization_members", args=[people.org.pk]) in body
    assert reverse("portal:portfolio", args=[people.org.pk]) in body

    client.force_login(people.business)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "Giao dịch của tôi" in body  # the way into the deal room
    assert offer.title_vi not in body  # another organisation's listing

    client.force_login(people.moderator)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("listing-moderation:index") in body
    assert "Bạn chưa thuộc tổ chức nào" in body


def test_moderator_without_organisation_sees_join_page_on_create(client, people):
    client.force_login(people.moderator)
    body = client.get(reverse("portal:listing_create", args=["offer"])).content.decode()
    assert reverse("accounts:memberships") in body
    assert '<form method="post" novalidate>' not in body
