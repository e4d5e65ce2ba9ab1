"""Listings' part in a person's data export and account deletion (``exchange.accounts.privacy``).

Listings belong to organisations, so deleting an account keeps them and only detaches the person:
creator, co-author, revision author and uploader links are cleared.
"""

from __future__ import annotations

from .models import ExpertProfile, Listing, ListingAttachment, ListingRevision, SavedListing


def export_listings(user) -> dict:
    created = Listing.objects.filter(created_by=user).select_related("organization", "field").order_by("id")
    return {
        "created": [
            {
                "origin": listing.origin,
                "ref": listing.ref,
                "kind": listing.kind,
                "state": listing.state,
                "title": {"vi": listing.title_vi, "en": listing.title_en},
                "organization": listing.organization.ref,
                "field": listing.field.code,
                "created_at": listing.created_at,
                "published_at": listing.published_at,
            }
            for listing in created
        ],
        "co_authored": list(user.coauthored_listings.order_by("id").values("origin", "ref")),
        "revisions": [
            {"listing": r["listing__ref"], "created_at": r["created_at"], "state": r["state"]}
            for r in ListingRevision.objects.filter(author=user)
            .order_by("id")
            .values("listing__ref", "created_at", "state")
        ],
        "uploaded_files": list(
            ListingAttachment.objects.filter(uploaded_by=user)
            .order_by("id")
            .values("listing__ref", "original_name", "confidential", "created_at")
        ),
        "saved": list(
            SavedListing.objects.filter(user=user).order_by("id").values("listing__ref", "created_at")
        ),
        "expert_profile": list(
            ExpertProfile.objects.filter(user=user).values(
                "slug", "public", "academic_title", "bio_vi", "bio_en", "publications", "patents"
            )
        ),
    }


def erase_listings(user) -> None:
    Listing.objects.filter(created_by=user).update(created_by=None)
    Listing.objects.filter(tto_approved_by=user).update(tto_approved_by=None)
    Listing.authors.through.objects.filter(user=user).delete()
    ListingRevision.objects.filter(author=user).update(author=None)
    ListingAttachment.objects.filter(uploaded_by=user).update(uploaded_by=None)
    SavedListing.objects.filter(user=user).delete()
    ExpertProfile.objects.filter(user=user).delete()


def register() -> None:
    from exchange.accounts.privacy import register_eraser, register_exporter

    register_exporter("listings", export_listings)
    register_eraser("listings", erase_listings)
