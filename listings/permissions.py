"""Who may do what with a listing. Services and views ask these functions; none re-implements a rule.

``can_view_confidential`` has a registry of extra grant providers so that other apps (the deal room,
once an NDA is accepted) can open confidential files to more people without listings knowing them:

    from listings.permissions import register_confidential_grant

    @register_confidential_grant
    def nda_accepted(user, listing) -> bool: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from exchange.accounts import permissions as perms

from .lifecycle import PUBLIC_STATES, Actor

if TYPE_CHECKING:
    from .models import Listing

GrantProvider = Callable[[object, "Listing"], bool]
_CONFIDENTIAL_GRANTS: list[GrantProvider] = []


def register_confidential_grant(provider: GrantProvider) -> GrantProvider:
    """Add a provider ``(user, listing) -> bool``; usable as a decorator. Registering twice is a no-op."""
    if provider not in _CONFIDENTIAL_GRANTS:
        _CONFIDENTIAL_GRANTS.append(provider)
    return provider


def unregister_confidential_grant(provider: GrantProvider) -> None:
    if provider in _CONFIDENTIAL_GRANTS:
        _CONFIDENTIAL_GRANTS.remove(provider)


def is_author(user, listing: Listing) -> bool:
    if not perms.is_authenticated(user) or not listing.pk:
        return False
    cache = getattr(listing, "_author_ids", None)
    if cache is None:
        cache = frozenset(listing.authors.values_list("pk", flat=True))
        listing._author_ids = cache
    return user.pk in cache


def is_owner(user, listing: Listing) -> bool:
    """The creator, a co-author, or an active member of the listing's organisation."""
    if not perms.is_authenticated(user):
        return False
    return (
        listing.created_by_id == user.pk
        or is_author(user, listing)
        or perms.is_member(user, listing.organization_id)
    )


def is_org_tto_manager(user, listing: Listing) -> bool:
    return perms.is_tto_manager(user, listing.organization_id)


def actor_kinds(user, listing: Listing) -> set[str]:
    """The lifecycle actor kinds (``lifecycle.Actor``) this user holds for this listing."""
    kinds: set[str] = set()
    if user is None:
        return {Actor.SYSTEM}
    if is_owner(user, listing):
        kinds.add(Actor.OWNER)
    if is_org_tto_manager(user, listing):
        kinds.add(Actor.TTO_MANAGER)
    if perms.is_moderator(user):
        kinds.add(Actor.MODERATOR)
    return kinds


def can_edit(user, listing: Listing) -> bool:
    return is_owner(user, listing)


def can_review(user, listing: Listing) -> bool:
    """May see the listing while it is not public: owners, the org's TTO managers, moderators."""
    return is_owner(user, listing) or perms.is_moderator(user)


def can_view(user, listing: Listing) -> bool:
    return listing.state in PUBLIC_STATES or can_review(user, listing)


def can_view_confidential(user, listing: Listing) -> bool:
    """Owners, organisation members, moderators and staff; plus whoever a registered provider grants."""
    if not perms.is_authenticated(user):
        return False
    if is_owner(user, listing) or perms.is_moderator(user) or perms.is_staff(user):
        return True
    return any(provider(user, listing) for provider in list(_CONFIDENTIAL_GRANTS))
