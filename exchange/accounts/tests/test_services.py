import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exchange.accounts import permissions, selectors, services
from exchange.accounts.models import MembershipRole, MembershipStatus, OrganizationKind
from exchange.core.models import AuditLog, Notification

from .factories import MembershipFactory, OrganizationFactory, UserFactory, manager_of, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def pending(org):
    return MembershipFactory(organization=org, status=MembershipStatus.PENDING)


def audit_rows(action, target):
    return AuditLog.objects.filter(action=action, target_id=str(target.pk))


# --- request ----------------------------------------------------------------------------------------


def test_request_notifies_every_active_manager_of_the_organisation(org):
    managers = [manager_of(org), manager_of(org)]
    manager_of(OrganizationFactory())  # manages another organisation: not told
    MembershipFactory(organization=org, role=MembershipRole.TTO_MANAGER, status=MembershipStatus.PENDING)
    staff_user()
    applicant = UserFactory()

    membership = services.membership_request(user=applicant, organization=org, role=MembershipRole.SIGNATORY)

    assert membership.status == MembershipStatus.PENDING
    assert membership.role == MembershipRole.SIGNATORY
    notified = Notification.objects.filter(kind="membership_requested")
    assert {n.recipient for n in notified} == set(managers)
    assert org.name in notified[0].subject
    assert notified[0].url == f"/vi/account/organizations/{org.pk}/members/"
    row = audit_rows("membership.requested", membership).get()
    assert row.actor == applicant and row.before is None and row.after["status"] == "pending"


def test_request_to_organisation_without_manager_goes_to_staff(org):
    staff = staff_user(language="en")
    superuser = UserFactory(is_superuser=True, is_staff=True)
    UserFactory(roles=["staff"], is_active=False)
    services.membership_request(user=UserFactory(), organization=org, role=MembershipRole.MEMBER)
    notified = Notification.objects.filter(kind="membership_requested")
    assert {n.recipient for n in notified} == {staff, superuser}
    english = notified.get(recipient=staff)
    assert english.subject.startswith("Request to join") and english.url.startswith("/en/")


def test_request_twice_is_refused_but_may_be_renewed_after_rejection(org, pending):
    with pytest.raises(ValidationError):
        services.membership_request(user=pending.user, organization=org, role=MembershipRole.MEMBER)
    pending.status = MembershipStatus.REJECTED
    pending.save()
    renewed = services.membership_request(
        user=pending.user, organization=org, role=MembershipRole.TTO_MANAGER
    )
    assert renewed.pk == pending.pk and renewed.status == MembershipStatus.PENDING
    assert renewed.decided_by is None
    assert audit_rows("membership.requested", renewed).get().before["status"] == "rejected"


def test_request_with_unknown_role_is_invalid(org):
    with pytest.raises(ValidationError):
        services.membership_request(user=UserFactory(), organization=org, role="owner")


# --- approve / reject / change role: who may ---------------------------------------------------------


def actors(org):
    """(actor, allowed) for every kind of person around an organisation."""
    return {
        "manager of the organisation": (manager_of(org), True),
        "manager of another organisation": (manager_of(OrganizationFactory()), False),
        "plain member": (MembershipFactory(organization=org).user, False),
        "signatory": (MembershipFactory(organization=org, role=MembershipRole.SIGNATORY).user, False),
        "pending manager": (
            MembershipFactory(
                organization=org, role=MembershipRole.TTO_MANAGER, status=MembershipStatus.PENDING
            ).user,
            False,
        ),
        "staff": (staff_user(), True),
        "moderator": (UserFactory(roles=["moderator"]), False),
        "outsider": (UserFactory(), False),
    }


@pytest.mark.parametrize(
    "who",
    [
        "manager of the organisation",
        "manager of another organisation",
        "plain member",
        "signatory",
        "pending manager",
        "staff",
        "moderator",
        "outsider",
    ],
)
def test_approve_reject_and_change_role_permissions(org, who):
    actor, allowed = actors(org)[who]
    to_approve = MembershipFactory(organization=org, status=MembershipStatus.PENDING)
    to_reject = MembershipFactory(organization=org, status=MembershipStatus.PENDING)
    to_promote = MembershipFactory(organization=org)
    calls = [
        lambda: services.membership_approve(actor=actor, membership=to_approve),
        lambda: services.membership_reject(actor=actor, membership=to_reject, reason="Không thuộc đơn vị"),
        lambda: services.membership_change_role(
            actor=actor, membership=to_promote, role=MembershipRole.SIGNATORY
        ),
    ]
    for call in calls:
        if allowed:
            call()
        else:
            with pytest.raises(PermissionDenied):
                call()
    for membership in (to_approve, to_reject, to_promote):
        membership.refresh_from_db()
    if allowed:
        assert to_approve.status == MembershipStatus.ACTIVE and to_approve.decided_by == actor
        assert to_reject.status == MembershipStatus.REJECTED
        assert to_promote.role == MembershipRole.SIGNATORY
    else:
        assert to_approve.status == to_reject.status == MembershipStatus.PENDING
        assert to_promote.role == MembershipRole.MEMBER
        assert not AuditLog.objects.filter(action__in=["membership.approved", "membership.rejected"]).exists()


def test_staff_approve_request_for_organisation_without_manager(org):
    membership = services.membership_request(
        user=UserFactory(), organization=org, role=MembershipRole.TTO_MANAGER
    )
    staff = staff_user()
    services.membership_approve(actor=staff, membership=membership)
    applicant = membership.user
    assert permissions.is_tto_manager(applicant, org)  # cached permissions were forgotten
    assert list(selectors.organization_managers(organization=org)) == [applicant]


def test_approve_audits_and_notifies_the_applicant(org, pending):
    manager = manager_of(org)
    services.membership_approve(actor=manager, membership=pending)
    row = audit_rows("membership.approved", pending).get()
    assert row.actor == manager
    assert row.before == {"status": "pending", "role": "member", "title": ""}
    assert row.after["status"] == "active"
    note = Notification.objects.get(recipient=pending.user, kind="membership_decided")
    assert "chấp thuận" in note.body and note.url == "/vi/account/memberships/"


def test_approve_twice_is_invalid(org, pending):
    manager = manager_of(org)
    services.membership_approve(actor=manager, membership=pending)
    with pytest.raises(ValidationError):
        services.membership_approve(actor=manager, membership=pending)


def test_reject_needs_a_reason_and_tells_it(org, pending):
    manager = manager_of(org)
    with pytest.raises(ValidationError):
        services.membership_reject(actor=manager, membership=pending, reason="  ")
    services.membership_reject(actor=manager, membership=pending, reason="Không phải cán bộ của trường")
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.REJECTED
    row = audit_rows("membership.rejected", pending).get()
    assert row.data["reason"] == "Không phải cán bộ của trường"
    note = Notification.objects.get(recipient=pending.user, kind="membership_decided")
    assert "Không phải cán bộ của trường" in note.body
    assert not permissions.is_member(pending.user, org)


def test_change_role_audits_notifies_and_applies(org):
    manager = manager_of(org)
    membership = MembershipFactory(organization=org)
    services.membership_change_role(actor=manager, membership=membership, role=MembershipRole.TTO_MANAGER)
    row = audit_rows("membership.role_changed", membership).get()
    assert (row.before["role"], row.after["role"]) == ("member", "tto_manager")
    assert Notification.objects.filter(recipient=membership.user, kind="membership_role_changed").exists()
    assert permissions.can_manage_organization(membership.user, org)


def test_change_role_of_pending_or_to_same_role_is_invalid(org, pending):
    manager = manager_of(org)
    with pytest.raises(ValidationError):
        services.membership_change_role(actor=manager, membership=pending, role=MembershipRole.SIGNATORY)
    member = MembershipFactory(organization=org)
    with pytest.raises(ValidationError):
        services.membership_change_role(actor=manager, membership=member, role=MembershipRole.MEMBER)


def test_last_manager_cannot_step_down_but_staff_can_change_it(org):
    manager = manager_of(org)
    membership = manager.memberships.get()
    with pytest.raises(ValidationError):
        services.membership_change_role(actor=manager, membership=membership, role=MembershipRole.MEMBER)
    services.membership_change_role(actor=staff_user(), membership=membership, role=MembershipRole.MEMBER)
    membership.refresh_from_db()
    assert membership.role == MembershipRole.MEMBER


# --- organisations and platform roles ----------------------------------------------------------------


def test_organization_create_by_a_person_asks_staff_to_make_them_manager():
    staff = staff_user()
    creator = UserFactory()
    kind = OrganizationKind.objects.get(code="enterprise")
    org = services.organization_create(
        actor=creator, name="Công ty Cổ phần Đổi Mới", kind=kind, tax_code="0312345678"
    )
    assert org.ref == "cong-ty-co-phan-doi-moi" and not org.verified
    assert audit_rows("organization.created", org).get().actor == creator
    membership = creator.memberships.get()
    assert (membership.role, membership.status) == (MembershipRole.TTO_MANAGER, MembershipStatus.PENDING)
    assert Notification.objects.filter(recipient=staff, kind="membership_requested").count() == 1
    with pytest.raises(ValidationError):  # the tax code is taken
        services.organization_create(actor=UserFactory(), name="Khác", kind=kind, tax_code="0312345678")


def test_organization_verify_is_staff_only_and_tells_managers(org):
    org.verified = False
    org.save()
    manager = manager_of(org)
    with pytest.raises(PermissionDenied):
        services.organization_verify(actor=manager, organization=org)
    staff = staff_user()
    services.organization_verify(actor=staff, organization=org)
    org.refresh_from_db()
    assert org.verified and org.verified_by == staff and org.verified_at
    assert audit_rows("organization.verified", org).get().before == {"verified": False}
    assert Notification.objects.filter(recipient=manager, kind="organization_verified").exists()
    with pytest.raises(ValidationError):
        services.organization_verify(actor=staff, organization=org)


def test_grant_and_revoke_platform_roles_staff_only():
    user = UserFactory(roles=["researcher"])
    with pytest.raises(PermissionDenied):
        services.user_grant_role(actor=UserFactory(roles=["moderator"]), user=user, role="broker")
    staff = staff_user()
    assert not user.has_role("broker")
    services.user_grant_role(actor=staff, user=user, role="broker")
    assert user.has_role("broker")  # cache forgotten
    row = audit_rows("user.role_granted", user).get()
    assert (row.before, row.after) == ({"roles": ["researcher"]}, {"roles": ["broker", "researcher"]})
    with pytest.raises(ValidationError):
        services.user_grant_role(actor=staff, user=user, role="broker")
    services.user_revoke_role(actor=staff, user=user, role="broker")
    assert not user.has_role("broker")
    with pytest.raises(ValidationError):
        services.user_revoke_role(actor=staff, user=user, role="broker")
    with pytest.raises(PermissionDenied):
        services.user_revoke_role(actor=user, user=user, role="researcher")


def test_selectors():
    org = OrganizationFactory()
    manager = manager_of(org)
    MembershipFactory(organization=org)
    assert list(selectors.organizations_managed_by(manager)) == [org]
    assert selectors.organization_members(organization=org).count() == 2
    assert list(selectors.users_with_role("moderator")) == []
    moderator = UserFactory(roles=["moderator"])
    assert list(selectors.users_with_role("moderator")) == [moderator]
    assert selectors.organization_search(query=org.ref) == [org]
