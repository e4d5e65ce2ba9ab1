import pytest
from django.urls import reverse

from exchange.accounts.models import MembershipRole, MembershipStatus, Organization
from exchange.core.models import AuditLog, Notification

from .factories import MembershipFactory, OrganizationFactory, UserFactory, manager_of, staff_user

pytestmark = pytest.mark.django_db

LOGIN_ONLY = [
    "accounts:profile",
    "accounts:export",
    "accounts:delete",
    "accounts:memberships",
    "accounts:organization_new",
]


@pytest.mark.parametrize("name", LOGIN_ONLY)
def test_anonymous_is_sent_to_login(client, name):
    url = reverse(name)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_anonymous_is_sent_to_login_from_organisation_members(client):
    url = reverse("accounts:organization_members", args=[OrganizationFactory().pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_privacy_notice_is_public_and_bilingual(client):
    response = client.get(reverse("accounts:privacy"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nghị định 13/2023" in html and "Decree 13/2023" in html
    assert "Stripe" in html and "sàn giao dịch công nghệ khác" in html


def test_profile_shows_and_updates_own_data_only(client):
    user = UserFactory(full_name="Phạm Minh", phone="")
    other = UserFactory(full_name="Người Khác")
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert "Phạm Minh" in response.content.decode() and "Người Khác" not in response.content.decode()

    response = client.post(
        reverse("accounts:profile"), {"full_name": "Phạm Minh Châu", "phone": "0283 1234", "language": "en"}
    )
    assert response.status_code == 302 and response["Location"] == "/en/account/"
    user.refresh_from_db()
    other.refresh_from_db()
    assert (user.full_name, user.phone, user.language) == ("Phạm Minh Châu", "0283 1234", "en")
    assert other.full_name == "Người Khác"
    row = AuditLog.objects.get(action="user.updated")
    assert row.before["full_name"] == "Phạm Minh" and row.after["language"] == "en"


def test_profile_rejects_blank_name(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"full_name": " ", "phone": "", "language": "vi"})
    assert response.status_code == 200 and response.context["form"].errors


def test_memberships_lists_mine_searches_and_requests(client):
    user = UserFactory()
    mine = MembershipFactory(user=user)
    MembershipFactory()  # someone else's
    target = OrganizationFactory(name="Viện Công nghệ Sinh học", short_name="VCNSH")
    manager = manager_of(target)
    client.force_login(user)

    response = client.get(reverse("accounts:memberships"), {"q": "VCNSH"})
    assert response.status_code == 200
    assert list(response.context["memberships"]) == [mine]
    assert response.context["results"] == [target]

    response = client.post(reverse("accounts:memberships"), {"organization": target.pk, "role": "signatory"})
    assert response.status_code == 302
    membership = user.memberships.get(organization=target)
    assert (membership.status, membership.role) == (MembershipStatus.PENDING, MembershipRole.SIGNATORY)
    assert Notification.objects.filter(recipient=manager, kind="membership_requested").exists()

    # Asking again is refused with a message, not an error page.
    response = client.post(
        reverse("accounts:memberships"), {"organization": target.pk, "role": "member"}, follow=True
    )
    assert response.status_code == 200
    assert user.memberships.filter(organization=target).count() == 1


def test_organization_new_creates_unverified_organisation_with_pending_manager(client):
    staff = staff_user()
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("accounts:organization_new")).status_code == 200
    response = client.post(
        reverse("accounts:organization_new"),
        {
            "name": "Công ty TNHH Sáng Tạo",
            "kind": Organization._meta.get_field("kind").related_model.objects.get(code="enterprise").pk,
        },
    )
    assert response.status_code == 302
    org = Organization.objects.get(name="Công ty TNHH Sáng Tạo")
    assert not org.verified
    assert user.memberships.get(organization=org).status == MembershipStatus.PENDING
    assert Notification.objects.filter(recipient=staff, kind="membership_requested").exists()


# --- organisation members page ------------------------------------------------------------------------


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.mark.parametrize("who", ["other org manager", "member", "signatory", "outsider", "moderator"])
def test_organisation_members_refused_to_others(client, org, who):
    user = {
        "other org manager": lambda: manager_of(OrganizationFactory()),
        "member": lambda: MembershipFactory(organization=org).user,
        "signatory": lambda: MembershipFactory(organization=org, role=MembershipRole.SIGNATORY).user,
        "outsider": UserFactory,
        "moderator": lambda: UserFactory(roles=["moderator"]),
    }[who]()
    pending = MembershipFactory(organization=org, status=MembershipStatus.PENDING)
    client.force_login(user)
    url = reverse("accounts:organization_members", args=[org.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"membership": pending.pk, "action": "approve"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


def test_organisation_members_unknown_organisation_is_404(client):
    client.force_login(staff_user())
    assert client.get(reverse("accounts:organization_members", args=[999999])).status_code == 404


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_manager_and_staff_approve_reject_and_change_roles(client, org, who, django_assert_max_num_queries):
    actor = manager_of(org) if who == "manager" else staff_user()
    to_approve = MembershipFactory(organization=org, status=MembershipStatus.PENDING)
    to_reject = MembershipFactory(organization=org, status=MembershipStatus.PENDING)
    member = MembershipFactory(organization=org)
    MembershipFactory.create_batch(5, organization=org)
    client.force_login(actor)
    url = reverse("accounts:organization_members", args=[org.pk])

    client.get(url)  # warm the site navigation cache (menus are cached across requests)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert set(response.context["pending"]) == {to_approve, to_reject}

    assert client.post(url, {"membership": to_approve.pk, "action": "approve"}).status_code == 302
    assert (
        client.post(url, {"membership": to_reject.pk, "action": "reject", "reason": "Sai đơn vị"}).status_code
        == 302
    )
    assert (
        client.post(url, {"membership": member.pk, "action": "role", "role": "signatory"}).status_code == 302
    )
    for m in (to_approve, to_reject, member):
        m.refresh_from_db()
    assert to_approve.status == MembershipStatus.ACTIVE
    assert to_reject.status == MembershipStatus.REJECTED
    assert member.role == MembershipRole.SIGNATORY
    assert (
        AuditLog.objects.filter(
            actor=actor, action__in=["membership.approved", "membership.rejected", "membership.role_changed"]
        ).count()
        == 3
    )


def test_reject_without_reason_changes_nothing(client, org):
    pending = MembershipFactory(organization=org, status=MembershipStatus.PENDING)
    client.force_login(manager_of(org))
    url = reverse("accounts:organization_members", args=[org.pk])
    response = client.post(url, {"membership": pending.pk, "action": "reject", "reason": ""}, follow=True)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


def test_manager_cannot_act_on_membership_of_another_organisation(client, org):
    foreign = MembershipFactory(organization=OrganizationFactory(), status=MembershipStatus.PENDING)
    client.force_login(manager_of(org))
    url = reverse("accounts:organization_members", args=[org.pk])
    assert client.post(url, {"membership": foreign.pk, "action": "approve"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == MembershipStatus.PENDING
