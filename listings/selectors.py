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
