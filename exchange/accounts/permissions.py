"""Object-level rules in one place: who may act for which organisation.

Every view, API endpoint and service asks these functions; none of them re-implements a rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import MembershipRole, MembershipStatus, PlatformRole

if TYPE_CHECKING:
    from .models import Organization, User


def is_authenticated(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_staff(user) -> bool:
    """Exchange staff: superusers and holders of the platform ``staff`` role."""
    return is_authenticated(user) and (user.is_superuser or user.has_role(PlatformRole.STAFF))


def is_moderator(user) -> bool:
    return is_authenticated(user) and (is_staff(user) or user.has_role(PlatformRole.MODERATOR))


def active_role_in(user: User, organization: Organization | int | None) -> str | None:
    """The user's active membership role in the organisation, or None."""
    if not is_authenticated(user) or organization is None:
        return None
    org_id = organization if isinstance(organization, int) else organization.pk
    cache = getattr(user, "_membership_roles", None)
    if cache is None:
        cache = dict(
            user.memberships.filter(status=MembershipStatus.ACTIVE).values_list("organization_id", "role")
        )
        user._membership_roles = cache
    return cache.get(org_id)


def is_member(user, organization) -> bool:
    return active_role_in(user, organization) is not None


def is_tto_manager(user, organization) -> bool:
    return active_role_in(user, organization) == MembershipRole.TTO_MANAGER


def is_signatory(user, organization) -> bool:
    return active_role_in(user, organization) in {MembershipRole.SIGNATORY, MembershipRole.TTO_MANAGER}


def can_manage_organization(user, organization) -> bool:
    """Managers approve members and roles; staff can always step in."""
    return is_staff(user) or is_tto_manager(user, organization)


def forget_cached_permissions(user) -> None:
    for attr in ("_membership_roles", "_role_codes"):
        if hasattr(user, attr):
            delattr(user, attr)
