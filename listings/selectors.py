"""Reads of listings, each with the joins its callers need (no N+1 on list pages)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipRole, MembershipStatus
from exchange.core.models import AuditLog

from . import permissions as lperms
from .lifecycle import ListingState
from .models import IPRight, Listing, ListingAttachment, ListingRevision, RevisionStage, RevisionState

S = ListingState


def _base() -> QuerySet[Listing]:
    return Listing.objects.select_related("field", "field__parent", "organization", "province", "created_by")


def listings_public() -> QuerySet[Listing]:
    """What anyone may see: published listings, newest first."""
    return _base().filter(state=S.PUBLISHED).order_by("-published_at", "-id")


def listing_detail(pk: int) -> Listing | None:
    return (
        _base()
        .prefetch_related(
            Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")),
            "images",
            "attachments",
            "authors",
        )
        .filter(pk=pk)
        .first()
    )


def listing_get_visible(*, user, pk: int) -> Listing | None:
    """The listing if this user may see it (public, or theirs / to review), else None."""
    listing = listing_detail(pk)
    if listing is None or not lperms.can_view(user, listing):
        return None
    return listing


def listings_of_user(user) -> QuerySet[Listing]:
    """Listings the user owns: created, co-authored, or of an organisation they actively belong to."""
    if not perms.is_authenticated(user):
        return Listing.objects.none()
    org_ids = user.memberships.filter(status=MembershipStatus.ACTIVE).values("organization_id")
    return (
        _base()
        .filter(Q(created_by=user) | Q(authors=user) | Q(organization_id__in=org_ids))
        .exclude(state=S.ARCHIVED)
        .distinct()
    )


def _tto_org_ids(user):
    return user.memberships.filter(status=MembershipStatus.ACTIVE, role=MembershipRole.TTO_MANAGER).values(
        "organization_id"
    )


def listings_awaiting_tto(user) -> QuerySet[Listing]:
    if not perms.is_authenticated(user):
        return Listing.objects.none()
    return _base().filter(state=S.SUBMITTED, organization_id__in=_tto_org_ids(user)).order_by("submitted_at")


def listings_awaiting_moderation() -> QuerySet[Listing]:
    return _base().filter(state=S.AWAITING_MODERATION).order_by("submitted_at", "id")


def _revisions() -> QuerySet[ListingRevision]:
    return ListingRevision.objects.select_related("listing", "listing__organization", "author")


def revisions_awaiting_tto(user) -> QuerySet[ListingRevision]:
    if not perms.is_authenticated(user):
        return ListingRevision.objects.none()
    return _revisions().filter(
        state=RevisionState.PENDING, stage=RevisionStage.TTO, listing__organization_id__in=_tto_org_ids(user)
    )


def revisions_awaiting_moderation() -> QuerySet[ListingRevision]:
    return (
        _revisions()
        .filter(state=RevisionState.PENDING, stage=RevisionStage.MODERATION)
        .order_by("created_at")
    )


def listing_pending_revision(listing: Listing) -> ListingRevision | None:
    return _revisions().filter(listing=listing, state=RevisionState.PENDING).first()


def listing_revisions(listing: Listing) -> QuerySet[ListingRevision]:
    """The whole edit history of a listing, newest first."""
    return _revisions().filter(listing=listing).select_related("decided_by", "tto_approved_by")


def listing_audit_trail(listing: Listing) -> QuerySet[AuditLog]:
    from django.contrib.contenttypes.models import ContentType

    return AuditLog.objects.filter(
        target_type=ContentType.objects.get_for_model(Listing), target_id=str(listing.pk)
    ).select_related("actor")


def attachment_for_download(*, user, pk: int) -> ListingAttachment | None:
    """The attachment if this user may download it, else None (the view answers 404 either way).

    Public files: anyone once the listing is published (before that, those who may see the listing).
    Confidential files: ``permissions.can_view_confidential`` (owners, moderators, staff, grants).
    """
    attachment = ListingAttachment.objects.select_related("listing").filter(pk=pk).first()
    if attachment is None:
        return None
    listing = attachment.listing
    if attachment.confidential:
        return attachment if lperms.can_view_confidential(user, listing) else None
    return attachment if lperms.can_view(user, listing) else None


# --- Public site -----------------------------------------------------------------------------------


def listings_published(*, kind: str | None = None) -> QuerySet[Listing]:
    """Published listings with what a list card shows (field, organisation, province, first images)."""
    from .models import ListingImage

    qs = listings_public().prefetch_related(
        Prefetch("images", queryset=ListingImage.objects.order_by("position", "id"))
    )
    return qs.filter(kind=kind) if kind else qs


def listing_public_detail(pk: int) -> Listing | None:
    """A listing with everything its public page shows; confidential attachments are never loaded."""
    from .models import ListingImage

    return (
        _base()
        .prefetch_related(
            Prefetch("ip_rights", queryset=IPRight.objects.order_by("id")),
            Prefetch("images", queryset=ListingImage.objects.order_by("position", "id")),
            Prefetch(
                "attachments",
                queryset=ListingAttachment.objects.filter(confidential=False).order_by("id"),
                to_attr="public_attachments",
            ),
            "authors",
        )
        .filter(pk=pk)
        .first()
    )


def listing_counters() -> dict[str, int]:
    """Published offers, requests and the organisations behind them, in one aggregate query."""
    from django.db.models import Count

    from .models import ListingKind

    return Listing.objects.filter(state=S.PUBLISHED).aggregate(
        offers=Count("id", filter=Q(kind=ListingKind.OFFER)),
        requests=Count("id", filter=Q(kind=ListingKind.REQUEST)),
        organizations=Count("organization", distinct=True),
    )


def organization_portfolio(organization) -> QuerySet[Listing]:
    """An organisation's public portfolio: published offers and its non-anonymous requests."""
    return listings_published().filter(organization=organization, anonymous=False)


def saved_listing_ids(user, listing_ids) -> set[int]:
    from .models import SavedListing

    if not perms.is_authenticated(user):
        return set()
    return set(
        SavedListing.objects.filter(user=user, listing_id__in=list(listing_ids)).values_list(
            "listing_id", flat=True
        )
    )


def saved_listings(user) -> QuerySet:
    """A user's bookmarks with their listings (for the portal)."""
    from .models import SavedListing

    if not perms.is_authenticated(user):
        return SavedListing.objects.none()
    return SavedListing.objects.filter(user=user).select_related(
        "listing", "listing__organization", "listing__field"
    )


def experts_public() -> QuerySet:
    from .models import ExpertProfile

    return (
        ExpertProfile.objects.filter(public=True, user__is_active=True)
        .select_related("user", "organization")
        .prefetch_related("expertise_fields")
    )


def expert_listings(profile) -> QuerySet[Listing]:
    """Published listings the expert created or co-authors; anonymous requests stay out (they would
    reveal who is asking)."""
    user_id = profile.user_id
    ids = Listing.objects.filter(Q(created_by_id=user_id) | Q(authors__id=user_id)).values("id")
    return listings_published().filter(id__in=ids, anonymous=False)


# --- Partner API -----------------------------------------------------------------------------------
SEARCH_TEXT_FIELDS = ("title_vi", "title_en", "summary_vi", "summary_en")
SEARCH_MAX_TERMS = 8


def listings_search_basic(qs: QuerySet[Listing], q: str) -> QuerySet[Listing]:
    """Filter by words in title, summary and keywords: every word must match somewhere.

    The one place the API's ``q`` is answered until real search (issue #5) replaces it. For now it is
    ``icontains`` on the stored text, with each word also tried lower-cased and ASCII-folded (anyascii),
    and for ``keywords`` also as SQLite stores JSON (``\\uXXXX`` escapes). Matching Vietnamese without
    its marks ('cong nghe' → 'công nghệ') needs a folded column to match against.
    """
    import json

    from anyascii import anyascii

    for term in (q or "").split()[:SEARCH_MAX_TERMS]:
        variants = {term, term.lower(), anyascii(term).lower()}
        condition = Q()
        for variant in variants:
            for name in SEARCH_TEXT_FIELDS:
                condition |= Q(**{f"{name}__icontains": variant})
            condition |= Q(keywords__icontains=variant)
            escaped = json.dumps(variant)[1:-1]
            if escaped != variant:
                condition |= Q(keywords__icontains=escaped)
        qs = qs.filter(condition)
    return qs
