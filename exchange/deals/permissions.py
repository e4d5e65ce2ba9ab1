"""Who may do what in a deal. Services, views and the confidential-file grant ask these functions.

A third party (not a member of either organisation, not the assigned broker, not staff) holds no actor
kind and sees nothing: views answer 404 for them. The assigned broker of a deal with an NDA sees only the
room's summary and the NDA until they accept it (``can_view_confidential``); the site and the API answer
403 for the confidential parts meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from exchange.accounts import permissions as perms
from listings import permissions as lperms

from .lifecycle import NDA_ACCESS_STATES, TERMINAL_STATES, Actor

if TYPE_CHECKING:
    from .models import Deal


def is_owner_side(user, deal: Deal) -> bool:
    """A member of the listing-side organisation (or the listing's creator / co-author)."""
    if not perms.is_authenticated(user):
        return False
    if perms.is_member(user, deal.owner_organization.pk):
        return True
    return lperms.is_owner(user, deal.listing) and deal.listing.organization_id == deal.owner_organization.pk


def is_counterparty_side(user, deal: Deal) -> bool:
    return perms.is_authenticated(user) and perms.is_member(user, deal.counterparty_organization.pk)


def side_of(user, deal: Deal) -> str | None:
    """``buyer`` / ``seller`` for a party member, ``broker``/``staff`` otherwise, None for third parties."""
    from .models import Side

    if is_owner_side(user, deal):
        return deal.owner_side
    if is_counterparty_side(user, deal):
        return Side.BUYER if deal.owner_side == Side.SELLER else Side.SELLER
    if perms.is_authenticated(user) and deal.broker_id == user.pk:
        return Side.BROKER
    if perms.is_staff(user):
        return Side.STAFF
    return None


def signatory_sides(user, deal: Deal) -> list[str]:
    """The sides this user may sign for (authorised signatory or TTO manager of that organisation)."""
    from .models import Side

    return [
        side for side in (Side.BUYER, Side.SELLER) if perms.is_signatory(user, deal.organization_of(side).pk)
    ]


def actor_kinds(user, deal: Deal) -> set[str]:
    kinds: set[str] = set()
    if not perms.is_authenticated(user):
        return kinds
    if is_owner_side(user, deal):
        kinds.add(Actor.OWNER)
    if is_counterparty_side(user, deal):
        kinds.add(Actor.COUNTERPARTY)
    if signatory_sides(user, deal):
        kinds.add(Actor.SIGNATORY)
    if deal.broker_id and deal.broker_id == user.pk:
        kinds.add(Actor.BROKER)
    if perms.is_staff(user):
        kinds.add(Actor.STAFF)
    return kinds


def can_view(user, deal: Deal) -> bool:
    return bool(actor_kinds(user, deal))


def broker_nda_outstanding(user, deal: Deal) -> bool:
    """True for someone who is in the deal only as its assigned broker while the deal has an NDA they
    have not accepted themselves: parties are bound through their organisation's acceptance and staff
    by their employment, but a broker is bound by nothing until they accept the NDA personally."""
    from .models import Side

    if not deal.nda_template_id or not perms.is_authenticated(user) or deal.broker_id != user.pk:
        return False
    if actor_kinds(user, deal) & {Actor.OWNER, Actor.COUNTERPARTY, Actor.STAFF}:
        return False
    return not deal.nda_acceptances.filter(
        user_id=user.pk, side=Side.BROKER, template_id=deal.nda_template_id
    ).exists()


def broker_nda_closed(user, deal: Deal) -> bool:
    """True for an assigned broker whose NDA is outstanding on a deal that has ended: they can no longer
    accept it (``lifecycle.BROKER_NDA_STATES``), so they keep the summary and nothing confidential."""
    return deal.state in TERMINAL_STATES and broker_nda_outstanding(user, deal)


def can_view_confidential(user, deal: Deal) -> bool:
    """May see the deal's confidential content — messages and attachments, term sheets and the value,
    milestones, the contract, its signing PDF and signed PDFs. Everyone who may view the deal, except an
    assigned broker whose NDA is outstanding: they see the room's summary and the NDA to accept."""
    return can_view(user, deal) and not broker_nda_outstanding(user, deal)


def nda_grants_confidential(user, listing) -> bool:
    """Registered with ``listings.permissions``: members of the organisation that accepted the NDA of an
    active deal on this listing may read its confidential files (each view is audited by listings); so
    may the deal's assigned broker once they accepted that NDA themselves."""
    from django.db.models import Q

    from .models import Deal, Side

    if not perms.is_authenticated(user):
        return False
    org_ids = list(user.memberships.filter(status="active").values_list("organization_id", flat=True))
    covered = Q(broker_id=user.pk, nda_acceptances__user_id=user.pk, nda_acceptances__side=Side.BROKER)
    if org_ids:
        covered |= Q(nda_acceptances__organization_id__in=org_ids)
    return Deal.objects.filter(covered, listing_id=listing.pk, state__in=NDA_ACCESS_STATES).exists()
