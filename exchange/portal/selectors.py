"""Reads for the portal. Every list joins and prefetches what its page shows (no N+1), and every
object read returns ``None`` when the user may not see it (the view answers 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from exchange.accounts import permissions as perms
from exchange.accounts import selectors as account_selectors
from exchange.accounts.models import MembershipStatus, Organization
from listings import permissions as lperms
from listings import selectors as listing_selectors
from listings.lifecycle import REVIEW_STATES, ListingState, transitions_for
from listings.models import (
    IPRight,
    Listing,
    ListingAttachment,
    ListingDailyStat,
    ListingImage,
    ListingKind,
    ListingRevision,
    RevisionState,
)
from listings.snapshots import diff_snapshots, listing_snapshot

S = ListingState

# Lifecycle actions the portal offers as buttons. ``publish`` stays in the moderators' Wagtail queue and
# ``expire`` belongs to the scheduler.
PORTAL_ACTIONS = ("submit", "tto_approve", "send_back", "renew", "unpublish", "close", "archive")


def available_actions_for(user, listing: Listing) -> list[str]:
    """The portal actions this user may fire on this listing now, per ``listings.lifecycle``.

    A moderator's ``send_back`` is left to the moderation queue; in the portal it is the TTO
    manager's step (``submitted`` listings of their organisation)."""
    kinds = lperms.actor_kinds(user, listing)
    actions = []
    for action in PORTAL_ACTIONS:
        rows = transitions_for(action, listing.state)
        if action == "send_back":
            rows = [r for r in rows if r.source == S.SUBMITTED]
            if not lperms.is_org_tto_manager(user, listing):
                rows = []
        if any(r.who & kinds for r in rows):
            actions.append(action)
    return actions


# --- listing lists -----------------------------------------------------------------------------------
def _with_portal_prefetches(qs: QuerySet[Listing]) -> QuerySet[Listing]:
    """What a portal row shows: completeness (IP, images, public documents), the pending revision and the
    co-authors (for ``listings.permissions.is_author`` without a query per row)."""
    return qs.prefetch_related(
        Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")),
        Prefetch("images", queryset=ListingImage.objects.order_by("position", "id")),
        Prefetch(
            "attachments",
            queryset=ListingAttachment.objects.filter(confidential=False).order_by("id"),
            to_attr="public_attachments",
        ),
        Prefetch(
            "revisions",
            queryset=ListingRevision.objects.filter(state=RevisionState.PENDING).select_related("author"),
            to_attr="pending_revisions",
        ),
        "authors",
    )


def prime_author_cache(listings) -> list[Listing]:
    """Fill ``listing._author_ids`` from the prefetched authors so permission checks cost no query."""
    listings = list(listings)
    for listing in listings:
        listing._author_ids = frozenset(a.pk for a in listing.authors.all())
    return listings


def my_listings(user, *, kind: str | None = None, state: str | None = None) -> QuerySet[Listing]:
    """The user's listings (created, co-authored, or of an organisation they belong to), newest first."""
    qs = listing_selectors.listings_of_user(user)
    if kind in ListingKind.values:
        qs = qs.filter(kind=kind)
    if state in S.values:
        qs = qs.filter(state=state)
    return _with_portal_prefetches(qs.order_by("-updated_at", "-id"))


def my_listings_expiring(user, *, days: int = 30) -> QuerySet[Listing]:
    """Published listings of the user that expire within ``days`` days, soonest first."""
    soon = timezone.now() + dt.timedelta(days=days)
    return my_listings(user, state=S.PUBLISHED).filter(expires_at__lte=soon).order_by("expires_at", "id")


def my_listing_counts(user) -> dict[str, int]:
    """Counts of the user's listings by kind and by a few states, in one aggregate query."""
    qs = Listing.objects.filter(pk__in=listing_selectors.listings_of_user(user).values("pk"))
    return qs.aggregate(
        offers=Count("id", filter=Q(kind=ListingKind.OFFER)),
        requests=Count("id", filter=Q(kind=ListingKind.REQUEST)),
        drafts=Count("id", filter=Q(state=S.DRAFT)),
        in_review=Count("id", filter=Q(state__in=REVIEW_STATES)),
        published=Count("id", filter=Q(state=S.PUBLISHED)),
        expired=Count("id", filter=Q(state=S.EXPIRED)),
        sent_back=Count("id", filter=Q(state=S.DRAFT) & ~Q(sent_back_reason="")),
    )


def listing_for_portal(*, user, pk: int) -> Listing | None:
    """One listing with everything its portal page shows, or None unless the user may review it
    (owners — creator, co-authors, members of its organisation, hence its TTO managers — and moderators)."""
    listing = (
        _with_portal_prefetches(
            Listing.objects.select_related("field", "field__parent", "organization", "province", "created_by")
        )
        .filter(pk=pk)
        .first()
    )
    if listing is None:
        return None
    prime_author_cache([listing])
    if not (lperms.can_review(user, listing) or lperms.is_org_tto_manager(user, listing)):
        return None
    return listing


def listing_all_attachments(listing: Listing) -> list[ListingAttachment]:
    return list(listing.attachments.select_related("uploaded_by").order_by("id"))


def pending_revision(listing: Listing) -> ListingRevision | None:
    revisions = getattr(listing, "pending_revisions", None)
    if revisions is not None:
        return revisions[0] if revisions else None
    return listing_selectors.listing_pending_revision(listing)


def revision_changes(revision: ListingRevision, listing: Listing | None = None):
    """What the revision would change on the live listing (``listings.snapshots.diff_snapshots``)."""
    listing = listing or revision.listing
    return diff_snapshots(listing_snapshot(listing), revision.data)


# --- TTO managers -------------------------------------------------------------------------------------
def managed_organizations(user) -> list[Organization]:
    return list(account_selectors.organizations_managed_by(user).order_by("name"))


def is_any_tto_manager(user) -> bool:
    if not perms.is_authenticated(user):
        return False
    return account_selectors.organizations_managed_by(user).exists()


@dataclass
class QueuedRevision:
    revision: ListingRevision
    changes: list


def tto_queue(user) -> tuple[list[Listing], list[QueuedRevision]]:
    """Submitted listings and TTO-stage revisions of the organisations the user manages."""
    listings = prime_author_cache(
        _with_portal_prefetches(listing_selectors.listings_awaiting_tto(user)).order_by("submitted_at", "id")
    )
    revisions = (
        listing_selectors.revisions_awaiting_tto(user)
        .select_related("listing__field", "listing__province")
        .prefetch_related(Prefetch("listing__ip_rights", queryset=IPRight.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    queued = [QueuedRevision(r, revision_changes(r, r.listing)) for r in revisions]
    return listings, queued


def tto_queue_count(user) -> int:
    return (
        listing_selectors.listings_awaiting_tto(user).count()
        + listing_selectors.revisions_awaiting_tto(user).count()
    )


def organization_for_manager(*, user, pk: int) -> Organization | None:
    """The organisation if the user manages it (or is staff); else None."""
    organization = Organization.objects.select_related("kind", "province").filter(pk=pk).first()
    if organization is None or not perms.can_manage_organization(user, organization):
        return None
    return organization


def organization_listings(organization: Organization, *, state: str | None = None) -> QuerySet[Listing]:
    """Every listing of the organisation, archived included, with what the portfolio table shows."""
    qs = Listing.objects.select_related("field", "organization", "province", "created_by").filter(
        organization=organization
    )
    if state in S.values:
        qs = qs.filter(state=state)
    return _with_portal_prefetches(qs.order_by("-updated_at", "-id"))


def organization_state_counts(organization: Organization) -> dict[str, int]:
    rows = Listing.objects.filter(organization=organization).values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def organization_stat_totals(organization: Organization, *, days: int = 90) -> dict[str, int]:
    from django.db.models import Sum

    since = timezone.localdate() - dt.timedelta(days=days - 1)
    totals = ListingDailyStat.objects.filter(listing__organization=organization, date__gte=since).aggregate(
        views=Sum("views"), saves=Sum("saves"), inquiries=Sum("inquiries")
    )
    return {k: v or 0 for k, v in totals.items()}


# --- statistics ---------------------------------------------------------------------------------------
@dataclass
class DayStat:
    date: dt.date
    views: int = 0
    saves: int = 0
    inquiries: int = 0


def listing_daily_stats(listing: Listing, *, days: int = 90, today: dt.date | None = None) -> list[DayStat]:
    """One entry per day of the last ``days`` days (oldest first), zeros where nothing happened."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    rows = {
        row.date: row
        for row in ListingDailyStat.objects.filter(listing=listing, date__gte=start, date__lte=today).only(
            "date", "views", "saves", "inquiries"
        )
    }
    series = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        row = rows.get(day)
        series.append(DayStat(day, row.views, row.saves, row.inquiries) if row is not None else DayStat(day))
    return series


# --- businesses ---------------------------------------------------------------------------------------
def saved_listings(user) -> QuerySet:
    return listing_selectors.saved_listings(user).select_related("listing__province")


def active_memberships(user) -> list:
    if not perms.is_authenticated(user):
        return []
    return list(
        user.memberships.filter(status=MembershipStatus.ACTIVE)
        .select_related("organization")
        .order_by("organization__name")
    )
