"""Who may do what with a valuation. Views, the API and services ask these functions.

A valuation is private to its owner; the appraiser staff assigned to it works in it too; exchange staff
may read every valuation (to assign appraisers and answer support requests) but not change it. Anyone
else gets 404 — whether a valuation exists is nobody else's business.
"""

from __future__ import annotations

from exchange.accounts import permissions as perms
from exchange.accounts.models import PlatformRole


def is_appraiser(user) -> bool:
    """A holder of the platform role "appraiser" (licensed valuers the exchange works with)."""
    return perms.is_authenticated(user) and user.has_role(PlatformRole.APPRAISER)


def is_assigned_appraiser(user, valuation) -> bool:
    return is_appraiser(user) and valuation.appraiser_id == user.pk


def can_view(user, valuation) -> bool:
    if not perms.is_authenticated(user):
        return False
    return valuation.owner_id == user.pk or is_assigned_appraiser(user, valuation) or perms.is_staff(user)


def can_edit(user, valuation) -> bool:
    return perms.is_authenticated(user) and (
        valuation.owner_id == user.pk or is_assigned_appraiser(user, valuation)
    )


def can_share(user, valuation) -> bool:
    """Only the owner discloses a valuation to others (into a deal room, with its PDF): the assigned
    appraiser works in it, but it is not theirs to give away to the parties of their own deals."""
    return perms.is_authenticated(user) and valuation.owner_id == user.pk


def can_delete(user, valuation) -> bool:
    return perms.is_authenticated(user) and valuation.owner_id == user.pk


def can_publish(user, valuation) -> bool:
    return is_assigned_appraiser(user, valuation)


def can_assign_appraiser(user) -> bool:
    return perms.is_staff(user)


def can_enter_comparables(user) -> bool:
    return is_appraiser(user) or perms.is_staff(user)


def can_read_comparables(user) -> bool:
    """Everyone signed in reads the exchange's comparables (as the comparables page lists them); an
    anonymous caller of the open calculator gets a market estimate from them, never the rows."""
    return perms.is_authenticated(user)
