"""Reads for the deal room: a user's deals, one deal if they may see it, the room's contents."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import ExtractYear

from exchange.accounts import permissions as perms
from exchange.accounts.models import MembershipStatus

from . import permissions as dperms
from .lifecycle import DealState
from .models import Contract, Deal, DealRating, Message, Signature, TermSheet

_RELATED = (
    "listing",
    "listing__organization",
    "buyer_organization",
    "seller_organization",
    "broker",
    "nda_template",
)


def deals_for_user(user) -> QuerySet[Deal]:
    """Deals of the user's organisations, deals they broker, deals on listings they created; staff: all."""
    if not perms.is_authenticated(user):
        return Deal.objects.none()
    queryset = Deal.objects.select_related(*_RELATED)
    if perms.is_staff(user):
        return queryset
    org_ids = user.memberships.filter(status=MembershipStatus.ACTIVE).values("organization_id")
    return queryset.filter(
        Q(buyer_organization_id__in=org_ids)
        | Q(seller_organization_id__in=org_ids)
        | Q(broker_id=user.pk)
        | Q(listing__created_by_id=user.pk)
        | Q(listing__authors=user)
    ).distinct()


def deal_for_user(*, user, pk: int) -> Deal | None:
    """The deal if this user may see it, else None (views answer 404 either way)."""
    deal = Deal.objects.select_related(*_RELATED).filter(pk=pk).first()
    if deal is None or not dperms.can_view(user, deal):
        return None
    return deal


def deal_room(deal: Deal) -> dict:
    """Everything the room shows, in a fixed number of queries."""
    messages = list(Message.objects.filter(deal=deal).select_related("author"))
    sheets = list(
        TermSheet.objects.filter(deal=deal).select_related(
            "proposed_by", "buyer_accepted_by", "seller_accepted_by"
        )
    )  # newest first
    versions = []
    for i, sheet in enumerate(sheets):
        previous = sheets[i + 1] if i + 1 < len(sheets) else None
        versions.append({"sheet": sheet, "changes": sheet.diff(previous), "previous": previous})
    contract = (
        Contract.objects.filter(deal=deal, superseded_at__isnull=True)
        .select_related("term_sheet")
        .prefetch_related(Prefetch("signatures", queryset=Signature.objects.select_related("organization")))
        .first()
    )
    return {
        "thread": messages,
        "versions": versions,
        "latest": sheets[0] if sheets else None,
        "contract": contract,
        "nda_acceptances": list(deal.nda_acceptances.select_related("organization")),
        "ratings": list(DealRating.objects.filter(deal=deal)),
        "milestones": list(deal.milestones.all()),
    }


def deal_room_for(*, user, deal: Deal) -> dict:
    """``deal_room`` as this user may see it: an assigned broker whose NDA is outstanding gets the
    summary only (NDA acceptances, ratings) — no messages, term sheets, contract or milestones — and
    ``confidential`` False, so the room shows the NDA to accept instead."""
    if dperms.can_view_confidential(user, deal):
        return {**deal_room(deal), "confidential": True}
    return {
        "thread": [],
        "versions": [],
        "latest": None,
        "contract": None,
        "nda_acceptances": list(deal.nda_acceptances.select_related("organization")),
        "ratings": list(DealRating.objects.filter(deal=deal)),
        "milestones": [],
        "confidential": False,
    }


def broker_nda_outstanding_ids(*, user, deal_ids) -> set[int]:
    """Of ``deal_ids``, the deals this user brokers with an NDA they have not accepted (and is no party
    or staff of): one query, for lists that must hide those deals' value."""
    from .models import NdaAcceptance, Side

    if not perms.is_authenticated(user) or perms.is_staff(user):
        return set()
    org_ids = user.memberships.filter(status=MembershipStatus.ACTIVE).values("organization_id")
    accepted = NdaAcceptance.objects.filter(
        deal=OuterRef("pk"), user_id=user.pk, side=Side.BROKER, template_id=OuterRef("nda_template_id")
    )
    return set(
        Deal.objects.filter(pk__in=list(deal_ids), broker_id=user.pk, nda_template__isnull=False)
        .exclude(Exists(accepted))
        .exclude(
            Q(buyer_organization_id__in=org_ids)
            | Q(seller_organization_id__in=org_ids)
            | Q(listing__created_by_id=user.pk)
            | Q(listing__authors=user)
        )
        .values_list("pk", flat=True)
    )


def message_for_download(*, user, pk: int) -> Message | None:
    """The message with an attachment if this user may read the deal's confidential content."""
    message = Message.objects.select_related("deal").filter(pk=pk).exclude(attachment="").first()
    if message is None:
        return None
    deal = deal_for_user(user=user, pk=message.deal_id)
    if deal is None or not dperms.can_view_confidential(user, deal):
        return None
    return message


def consented_comparables() -> QuerySet:
    """Completed deals both sides consented to share, anonymised for the valuation engine.

    Rows are dicts with only ``field_code``, ``trl``, ``transaction_type`` (of the signed terms),
    ``final_value_vnd`` and ``year`` (of completion): no parties, listing or exact dates. A queryset, so
    callers filter (``field_code__startswith=...``) and slice in the database.
    """
    signed_type = (
        Contract.objects.filter(deal=OuterRef("pk"), superseded_at__isnull=True)
        .order_by("-created_at", "-id")
        .values("term_sheet__transaction_type")[:1]
    )
    return (
        Deal.objects.filter(
            state=DealState.COMPLETED,
            comparable_consent_buyer_at__isnull=False,
            comparable_consent_seller_at__isnull=False,
            value_vnd__isnull=False,
        )
        .annotate(
            field_code=F("listing__field__code"),
            trl=F("listing__trl"),
            transaction_type=Subquery(signed_type),
            final_value_vnd=F("value_vnd"),
            year=ExtractYear("completed_at"),
        )
        .order_by("-completed_at", "-id")
        .values("field_code", "trl", "transaction_type", "final_value_vnd", "year")
    )
