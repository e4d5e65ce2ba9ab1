"""Reads: a user's valuations, one valuation if they may see it, comparables matching a subject."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from exchange.accounts import permissions as perms
from listings.models import TransactionType

from . import permissions as vperms
from .models import Comparable, Valuation, ValuationVersion

MAX_COMPARABLES = 50


def valuations_for_user(user) -> QuerySet[Valuation]:
    """Own valuations and those the user is assigned to appraise (staff see only theirs here too)."""
    if not perms.is_authenticated(user):
        return Valuation.objects.none()
    return Valuation.objects.select_related("listing", "organization", "owner", "appraiser").filter(
        Q(owner=user) | Q(appraiser=user)
    )


def valuation_for_user(*, user, pk: int) -> Valuation | None:
    valuation = (
        Valuation.objects.select_related("listing", "organization", "owner", "appraiser")
        .filter(pk=pk)
        .first()
    )
    if valuation is None or not vperms.can_view(user, valuation):
        return None
    return valuation


def versions_of(valuation: Valuation) -> QuerySet[ValuationVersion]:
    return valuation.versions.select_related("created_by")


def comparables_matching(
    *,
    field_code: str = "",
    trl_min: int | None = None,
    trl_max: int | None = None,
    transaction_type: str = "",
) -> QuerySet[Comparable]:
    """Comparables filtered by field (the code and its sub-fields), TRL band and transaction type."""
    queryset = Comparable.objects.select_related("field", "source_deal")
    if field_code:
        queryset = queryset.filter(Q(field__code=field_code) | Q(field__code__startswith=f"{field_code}."))
    if trl_min is not None:
        queryset = queryset.filter(trl__gte=trl_min)
    if trl_max is not None:
        queryset = queryset.filter(trl__lte=trl_max)
    if transaction_type:
        queryset = queryset.filter(transaction_type=transaction_type)
    return queryset.order_by("-year", "-id")


# --- comparables from closed deals (#6) ---------------------------------------------------------------
#: How a comparable from a deal completed on the exchange is labelled wherever it is shown.
DEAL_SOURCE_LABEL = _("Giao dịch trên sàn")
_DEAL_KEY_SALT = "valuation.deal_comparable"


def deal_comparable_key(deal_pk: int) -> str:
    """A stable, opaque key for adjustments to a deal comparable (``g`` + 8 hex): the deal stays
    anonymous, yet an appraiser's adjustments stay attached to the same row as new deals close."""
    return "g" + salted_hmac(_DEAL_KEY_SALT, str(deal_pk)).hexdigest()[:8]


@dataclass(frozen=True)
class DealComparable:
    """An anonymised comparable from a completed deal both sides consented to share: field, TRL,
    transaction type, final value and year — nothing else."""

    key: str
    field_code: str | None
    trl: int | None
    transaction_type: str
    value_vnd: int
    year: int | None

    source = DEAL_SOURCE_LABEL
    is_deal = True

    @property
    def title(self) -> str:
        return str(DEAL_SOURCE_LABEL)

    def get_transaction_type_display(self) -> str:
        return str(dict(TransactionType.choices).get(self.transaction_type, self.transaction_type or ""))


def deal_comparables_matching(
    *,
    field_code: str = "",
    trl_min: int | None = None,
    trl_max: int | None = None,
    transaction_type: str = "",
    limit: int = MAX_COMPARABLES,
) -> list[DealComparable]:
    """``deals.selectors.consented_comparables()`` filtered like ``comparables_matching``, in one query."""
    from exchange.deals.selectors import consented_comparables

    queryset = consented_comparables()
    if field_code:
        queryset = queryset.filter(Q(field_code=field_code) | Q(field_code__startswith=f"{field_code}."))
    if trl_min is not None:
        queryset = queryset.filter(trl__gte=trl_min)
    if trl_max is not None:
        queryset = queryset.filter(trl__lte=trl_max)
    if transaction_type:
        queryset = queryset.filter(transaction_type=transaction_type)
    rows = queryset.values("pk", "field_code", "trl", "transaction_type", "final_value_vnd", "year")[:limit]
    return [
        DealComparable(
            key=deal_comparable_key(row["pk"]),
            field_code=row["field_code"],
            trl=row["trl"],
            transaction_type=row["transaction_type"] or "",
            value_vnd=row["final_value_vnd"],
            year=row["year"],
        )
        for row in rows
    ]
