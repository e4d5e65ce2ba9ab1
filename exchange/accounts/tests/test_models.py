import pytest

from exchange.accounts import permissions
from exchange.accounts.models import MembershipRole, MembershipStatus

from .factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_signs_in_by_email_and_roles_are_data():
    user = UserFactory(email="Researcher@Example.VN", roles=["researcher"])
    assert user.has_role("researcher")
    assert not user.has_role("moderator")


def test_tto_manager_acts_for_own_organisation_only():
    manager = MembershipFactory(role=MembershipRole.TTO_MANAGER).user
    own = manager.memberships.get().organization
    other = OrganizationFactory()
    assert permissions.can_manage_organization(manager, own)
    assert not permissions.can_manage_organization(manager, other)


def test_pending_membership_grants_nothing():
    membership = MembershipFactory(role=MembershipRole.TTO_MANAGER, status=MembershipStatus.PENDING)
    assert not permissions.is_member(membership.user, membership.organization)
