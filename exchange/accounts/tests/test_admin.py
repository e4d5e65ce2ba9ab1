import pytest
from django.urls import reverse

from exchange.accounts.models import MembershipStatus
from exchange.core.models import AuditLog

from .factories import MembershipFactory, OrganizationFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def unverified():
    return OrganizationFactory(name="Viện Chưa Xác Minh", verified=False, tax_code="0300000001")


def test_staff_list_filter_and_search_organisations(client, unverified):
    OrganizationFactory(name="Trường Khác")
    client.force_login(staff_user())
    url = reverse("accounts_organizations:index")
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Viện Chưa Xác Minh" in html
    assert reverse("accounts_organizations:verify", args=[unverified.pk]) in html

    response = client.get(url, {"q": "0300000001"})
    assert [o.pk for o in response.context["object_list"]] == [unverified.pk]
    response = client.get(url, {"verified": "false"})
    assert response.status_code == 200
    assert [o.pk for o in response.context["object_list"]] == [unverified.pk]


def test_staff_lists_memberships_and_decides_on_the_members_page(client):
    membership = MembershipFactory(status=MembershipStatus.PENDING)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(reverse("accounts_memberships:index"), {"status": "pending"})
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("accounts:organization_members", args=[membership.organization_id]) in html
    assert "/admin/memberships/new/" not in html
    edit = client.get(reverse("accounts_memberships:edit", args=[membership.pk]))
    assert edit.status_code == 200
    assert list(edit.context["form"].fields) == ["title"]


def test_staff_verifies_an_organisation(client, unverified):
    staff = staff_user()
    client.force_login(staff)
    url = reverse("accounts_organizations:verify", args=[unverified.pk])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    unverified.refresh_from_db()
    assert unverified.verified and unverified.verified_by == staff
    assert AuditLog.objects.filter(action="organization.verified", actor=staff).exists()


def test_verify_refused_to_non_staff(client, unverified):
    moderator = UserFactory(roles=["moderator"])  # may enter the admin, may not verify
    client.force_login(moderator)
    url = reverse("accounts_organizations:verify", args=[unverified.pk])
    assert client.get(url).status_code in (302, 403)
    assert client.post(url).status_code in (302, 403)
    unverified.refresh_from_db()
    assert not unverified.verified


def test_verify_refused_to_anonymous(client, unverified):
    response = client.post(reverse("accounts_organizations:verify", args=[unverified.pk]))
    assert response.status_code == 302
    unverified.refresh_from_db()
    assert not unverified.verified
