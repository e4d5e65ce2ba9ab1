"""Who may see and act on a support request. Anyone else holds no actor kind and gets 404."""

from __future__ import annotations

from exchange.accounts import permissions as perms
from exchange.accounts.models import PlatformRole

from .lifecycle import Actor
from .models import ServiceKind, ServiceRequest


def is_requester(user, request: ServiceRequest) -> bool:
    """The person who asked, or an authorised signatory / TTO manager of the requesting organisation
    (they may accept a quote the organisation will pay)."""
    if not perms.is_authenticated(user):
        return False
    if request.requester_id == user.pk:
        return True
    return bool(request.requester_organization_id) and perms.is_signatory(
        user, request.requester_organization_id
    )


def actor_kinds(user, request: ServiceRequest) -> set[str]:
    kinds: set[str] = set()
    if not perms.is_authenticated(user):
        return kinds
    if is_requester(user, request):
        kinds.add(Actor.REQUESTER)
    if request.assignee_id and request.assignee_id == user.pk:
        kinds.add(Actor.ASSIGNEE)
    if perms.is_staff(user):
        kinds.add(Actor.STAFF)
    return kinds


def can_view(user, request: ServiceRequest) -> bool:
    return bool(actor_kinds(user, request))


def can_be_assigned(user, kind: str) -> bool:
    """Staff for any kind; an appraiser for a valuation."""
    if not perms.is_authenticated(user):
        return False
    if perms.is_staff(user):
        return True
    return kind == ServiceKind.VALUATION and user.has_role(PlatformRole.APPRAISER)
