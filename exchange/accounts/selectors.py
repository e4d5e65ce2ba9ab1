"""Reads of users, organisations and memberships; every list is bounded and joins what it shows."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .models import Membership, MembershipRole, MembershipStatus, Organization, PlatformRole


def organization_members(*, organization: Organization, statuses: list[str] | None = None) -> QuerySet:
    """Memberships of an organisation (pending first, then by name), with their users."""
    qs = Membership.objects.filter(organization=organization).select_related("user", "decided_by")
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("status", "user__full_name", "user__email")


def organization_managers(*, organization: Organization) -> QuerySet:
    """Active users who are active TTO managers of the organisation."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization=organization,
            memberships__status=MembershipStatus.ACTIVE,
            memberships__role=MembershipRole.TTO_MANAGER,
        )
        .distinct()
    )


def organization_has_manager(*, organization: Organization, exclude: Membership | None = None) -> bool:
    qs = Membership.objects.filter(
        organization=organization,
        status=MembershipStatus.ACTIVE,
        role=MembershipRole.TTO_MANAGER,
        user__is_active=True,
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


def organizations_managed_by(user) -> QuerySet:
    """Organisations in which ``user`` is an active TTO manager."""
    if not (user and user.is_authenticated):
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user,
        memberships__status=MembershipStatus.ACTIVE,
        memberships__role=MembershipRole.TTO_MANAGER,
    ).select_related("kind", "province")


def memberships_of(user) -> QuerySet:
    """All of a user's memberships, whatever their status."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization", "organization__kind")
        .order_by("-requested_at")
    )


def users_with_role(code: str) -> QuerySet:
    """Active users holding a platform role (superusers count as staff)."""
    users = get_user_model().objects.filter(is_active=True)
    condition = Q(roles__code=code)
    if code == PlatformRole.STAFF:
        condition |= Q(is_superuser=True)
    return users.filter(condition).distinct().order_by("pk")


def staff_users() -> QuerySet:
    return users_with_role(PlatformRole.STAFF)


def organization_search(*, query: str = "", limit: int = 20) -> list[Organization]:
    """Organisations a person may ask to join, matched by name, short name, ref or tax code."""
    qs = Organization.objects.select_related("kind", "province")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(name_en__icontains=query)
            | Q(short_name__icontains=query)
            | Q(ref__iexact=query)
            | Q(tax_code=query)
        )
    return list(qs.order_by("-verified", "name")[:limit])
