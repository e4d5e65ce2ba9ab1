"""Reads of support requests: mine, one if visible, the staff queue."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipRole, MembershipStatus

from . import permissions as sperms
from .lifecycle import OPEN_STATES
from .models import ServiceQuote, ServiceRequest

_RELATED = ("requester", "requester_organization", "assignee", "deal", "listing")


def requests_for_user(user) -> QuerySet[ServiceRequest]:
    """What I asked for, what my organisation asked for (if I may sign for it), what I am assigned."""
    if not perms.is_authenticated(user):
        return ServiceRequest.objects.none()
    signing_orgs = user.memberships.filter(
        status=MembershipStatus.ACTIVE, role__in=[MembershipRole.SIGNATORY, MembershipRole.TTO_MANAGER]
    ).values("organization_id")
    return ServiceRequest.objects.select_related(*_RELATED).filter(
        Q(requester=user) | Q(requester_organization_id__in=signing_orgs) | Q(assignee=user)
    )


def request_for_user(*, user, pk: int) -> ServiceRequest | None:
    request = ServiceRequest.objects.select_related(*_RELATED).filter(pk=pk).first()
    if request is None or not sperms.can_view(user, request):
        return None
    return request


def staff_queue(*, state: str | None = None, kind: str | None = None) -> QuerySet[ServiceRequest]:
    queryset = ServiceRequest.objects.select_related(*_RELATED)
    queryset = queryset.filter(state=state) if state else queryset.filter(state__in=OPEN_STATES)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("created_at", "id")


def quotes_of(request: ServiceRequest) -> list[ServiceQuote]:
    return list(request.quotes.select_related("created_by", "accepted_by").order_by("-version"))
