"""Reads of payments: a deal's requests, one request if the user may see it, staff lists, ledger balances,
reconciliation against the providers' records, and invoice data for the e-invoice provider."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from exchange.accounts import permissions as perms
from exchange.deals import permissions as dperms
from exchange.support import permissions as sperms

from .models import (
    Account,
    AccountKind,
    BankLineStatus,
    BankStatementLine,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentRequest,
    PaymentRequestStatus,
    Provider,
    Refund,
    RefundStatus,
)

_RELATED = (
    "deal",
    "deal__listing",
    "deal__buyer_organization",
    "deal__seller_organization",
    "milestone",
    "service_quote",
    "service_quote__request",
    "service_quote__request__requester",
    "service_quote__request__requester_organization",
)


def payment_requests_for_deal(deal) -> QuerySet[PaymentRequest]:
    return (
        PaymentRequest.objects.filter(deal=deal)
        .select_related(*_RELATED)
        .prefetch_related(
            Prefetch("payments", queryset=Payment.objects.order_by("received_at", "id")),
            Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id")),
        )
    )


def payment_request_for_user(*, user, reference: str) -> PaymentRequest | None:
    """The request if the user may see its deal (parties, broker, staff) — or, for a support-service fee,
    if they are on the requesting side or staff — else None (views answer 404)."""
    pr = (
        PaymentRequest.objects.select_related(*_RELATED, "deal__broker")
        .prefetch_related("payments", "refunds")
        .filter(reference=(reference or "").upper())
        .first()
    )
    if pr is None:
        return None
    if pr.service_quote_id:
        allowed = perms.is_staff(user) or sperms.is_requester(user, pr.service_quote.request)
    else:
        allowed = dperms.can_view(user, pr.deal)
    return pr if allowed else None


def payment_requests_for_quotes(quote_ids) -> dict[int, PaymentRequest]:
    """The live (or else latest) payment request of each support quote, keyed by quote id; one query."""
    result: dict[int, PaymentRequest] = {}
    for pr in PaymentRequest.objects.filter(service_quote_id__in=list(quote_ids)).order_by(
        "created_at", "id"
    ):
        current = result.get(pr.service_quote_id)
        if current is None or current.status in (
            PaymentRequestStatus.CANCELLED,
            PaymentRequestStatus.REFUNDED,
        ):
            result[pr.service_quote_id] = pr
    return result


def payment_requests_for_staff(*, status: str = "") -> QuerySet[PaymentRequest]:
    queryset = PaymentRequest.objects.select_related(*_RELATED)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def unknown_bank_lines() -> QuerySet[BankStatementLine]:
    return (
        BankStatementLine.objects.filter(status__in=[BankLineStatus.UNKNOWN, BankLineStatus.NOT_PAYABLE])
        .select_related("statement", "payment_request")
        .order_by("-date", "-id")
    )


def milestone_requests(deal) -> dict[int, PaymentRequest]:
    """The live (or latest) request of each milestone of a deal, keyed by milestone id."""
    result: dict[int, PaymentRequest] = {}
    for pr in payment_requests_for_deal(deal).order_by("created_at", "id"):
        current = result.get(pr.milestone_id)
        if current is None or current.status in (
            PaymentRequestStatus.CANCELLED,
            PaymentRequestStatus.REFUNDED,
        ):
            result[pr.milestone_id] = pr
    return result


# --- ledger ------------------------------------------------------------------------------------------
def account_balances() -> list[Account]:
    """Every account with ``balance`` (debit +, credit −) and ``owed`` (what the exchange owes: −balance)."""
    accounts = list(
        Account.objects.select_related("organization", "user")
        .annotate(balance=Sum("lines__amount_vnd"), entries=Count("lines"))
        .order_by("kind", "id")
    )
    for account in accounts:
        account.balance = account.balance or 0
        account.owed = -account.balance if account.kind != AccountKind.PROVIDER_CLEARING else 0
    return accounts


def balances_for_organization(organization) -> dict[str, int]:
    rows = (
        JournalLine.objects.filter(account__organization=organization)
        .values("account__kind")
        .annotate(total=Sum("amount_vnd"))
    )
    return {row["account__kind"]: -(row["total"] or 0) for row in rows}


def ledger_check() -> dict[str, Any]:
    """The ledger's invariants: all lines sum to zero, and no entry is unbalanced."""
    total = JournalLine.objects.aggregate(total=Sum("amount_vnd"))["total"] or 0
    unbalanced = list(
        JournalEntry.objects.annotate(total=Sum("lines__amount_vnd"))
        .exclude(total=0)
        .values_list("pk", flat=True)[:50]
    )
    return {"balanced": total == 0 and not unbalanced, "total": total, "unbalanced_entries": unbalanced}


def _ledger_provider_totals(provider: str) -> dict[str, int]:
    lines = JournalLine.objects.filter(
        account__kind=AccountKind.PROVIDER_CLEARING, account__provider=provider
    )
    by_kind = {
        row["entry__kind"]: row["total"] or 0
        for row in lines.values("entry__kind").annotate(total=Sum("amount_vnd"))
    }
    return {
        "received": by_kind.get(JournalEntry.Kind.RECEIPT, 0),
        "refunded": -by_kind.get(JournalEntry.Kind.REFUND, 0),
        "paid_out": -by_kind.get(JournalEntry.Kind.PAYOUT, 0),
        "balance": sum(by_kind.values()),
    }


def reconciliation(*, stripe_client=None, stripe_limit: int = 1000) -> dict[str, Any]:
    """Ledger totals per provider next to the provider's own records.

    Bank: the incoming statement lines matched to a request against the receipts in the ledger (a receipt
    confirmed by hand with no statement line yet is listed). Stripe: succeeded charges and refunds as
    Stripe reports them against our recorded payments and refunds; ``stripe_client=None`` skips the call
    (no network), leaving the Stripe side unknown.
    """
    bank_ledger = _ledger_provider_totals(Provider.BANK_TRANSFER)
    bank_lines_total = (
        BankStatementLine.objects.filter(payment__isnull=False).aggregate(total=Sum("amount_vnd"))["total"]
        or 0
    )
    manual = list(
        Payment.objects.filter(provider=Provider.BANK_TRANSFER, bank_line__isnull=True)
        .select_related("payment_request")
        .order_by("-received_at")[:100]
    )
    bank = {
        "ledger": bank_ledger,
        "statement_received": bank_lines_total,
        "manual_payments": manual,
        "manual_total": sum(p.amount_vnd for p in manual),
        "difference": bank_ledger["received"] - bank_lines_total - sum(p.amount_vnd for p in manual),
    }
    stripe_ledger = _ledger_provider_totals(Provider.STRIPE)
    ours = {p.external_id: p.amount_vnd for p in Payment.objects.filter(provider=Provider.STRIPE)}
    our_refunds = {
        r.external_id: r.amount_vnd
        for r in Refund.objects.filter(provider=Provider.STRIPE, status=RefundStatus.SUCCEEDED)
    }
    stripe_side: dict[str, Any] = {"ledger": stripe_ledger, "checked": False}
    if stripe_client is not None:
        charges: dict[str, int] = {}
        for i, charge in enumerate(stripe_client.v1.charges.list(params={"limit": 100}).auto_paging_iter()):
            if i >= stripe_limit:
                break
            charge = charge.to_dict()
            if (
                charge["status"] == "succeeded"
                and charge.get("captured", True)
                and charge.get("payment_intent")
            ):
                charges[charge["payment_intent"]] = charges.get(charge["payment_intent"], 0) + int(
                    charge["amount"]
                )
        refunds: dict[str, int] = {}
        for i, refund in enumerate(stripe_client.v1.refunds.list(params={"limit": 100}).auto_paging_iter()):
            if i >= stripe_limit:
                break
            refund = refund.to_dict()
            if refund["status"] in ("succeeded", "pending"):
                refunds[refund["id"]] = int(refund["amount"])
        stripe_side.update(
            {
                "checked": True,
                "provider_charged": sum(charges[k] for k in charges if k in ours),
                "provider_refunded": sum(refunds[k] for k in refunds if k in our_refunds),
                "missing_in_ledger": sorted(k for k in charges if k not in ours),
                "missing_at_provider": sorted(k for k in ours if k not in charges),
                "amount_mismatch": sorted(k for k in ours if k in charges and charges[k] != ours[k]),
                "refunds_missing_at_provider": sorted(k for k in our_refunds if k not in refunds),
            }
        )
        stripe_side["ok"] = (
            not stripe_side["missing_at_provider"]
            and not stripe_side["amount_mismatch"]
            and not stripe_side["refunds_missing_at_provider"]
            and stripe_side["provider_charged"] == stripe_ledger["received"]
            and stripe_side["provider_refunded"] == stripe_ledger["refunded"]
        )
    return {"bank": bank, "stripe": stripe_side, "ledger": ledger_check()}


# --- invoices ---------------------------------------------------------------------------------------------
def _party(org) -> dict[str, str]:
    return {
        "name": org.name,
        "tax_code": org.tax_code,
        "address": org.address,
        "country": org.country,
        "email": org.email,
    }


def invoice_data(pr: PaymentRequest) -> dict[str, Any]:
    """One invoice as the licensed e-invoice provider needs it: seller, buyer, items and tax, in VND.

    The seller on the invoice is the technology's seller (the exchange's commission is invoiced by the
    exchange separately, as a second item list under ``exchange_fee``). A support-service fee is the
    exchange's own sale: the exchange is the seller, the requester the buyer, the quote the item."""
    if pr.service_quote_id:
        return _service_fee_invoice_data(pr)
    deal = pr.deal
    vat = pr.vat_vnd
    fee_base = sum(
        -line.amount_vnd
        for entry in pr.journal_entries.all()
        for line in entry.lines.all()
        if line.account.kind == AccountKind.EXCHANGE_COMMISSION
    )
    return {
        "invoice_ref": pr.reference,
        "issued_on": (pr.paid_at or pr.created_at)
        .astimezone(timezone.get_current_timezone())
        .date()
        .isoformat(),
        "currency": "VND",
        "status": pr.status,
        "deal": f"GD-{deal.pk}",
        "seller": _party(deal.seller_organization),
        "buyer": _party(deal.buyer_organization),
        "items": [
            {
                "line": 1,
                "name": pr.milestone.label,
                "description": f"{deal.listing.title} — GD-{deal.pk}",
                "unit": "lần",
                "quantity": 1,
                "unit_price_vnd": pr.amount_vnd - vat,
                "amount_vnd": pr.amount_vnd - vat,
                "vat_percent": str(pr.vat_percent),
                "vat_vnd": vat,
                "total_vnd": pr.amount_vnd,
            }
        ],
        "total_before_vat_vnd": pr.amount_vnd - vat,
        "vat_vnd": vat,
        "total_vnd": pr.amount_vnd,
        "paid_vnd": pr.paid_vnd,
        "refunded_vnd": pr.refunded_vnd,
        "payments": [
            {
                "provider": p.provider,
                "external_id": p.external_id,
                "amount_vnd": p.amount_vnd,
                "received_at": p.received_at.isoformat(),
            }
            for p in pr.payments.all()
        ],
        "exchange_fee": {"percent": str(pr.exchange_percent), "amount_vnd": fee_base},
    }


def _exchange_party() -> dict[str, str]:
    from . import conf

    return {
        "name": conf.bank_account_name(),
        "tax_code": "",
        "address": "",
        "country": "VN",
        "email": "",
    }


def _requester_party(request) -> dict[str, str]:
    if request.requester_organization_id:
        return _party(request.requester_organization)
    user = request.requester
    return {
        "name": user.get_full_name() or user.email,
        "tax_code": "",
        "address": "",
        "country": "",
        "email": user.email,
    }


def _service_fee_invoice_data(pr: PaymentRequest) -> dict[str, Any]:
    quote = pr.service_quote
    request = quote.request
    return {
        "invoice_ref": pr.reference,
        "issued_on": (pr.paid_at or pr.created_at)
        .astimezone(timezone.get_current_timezone())
        .date()
        .isoformat(),
        "currency": "VND",
        "status": pr.status,
        "deal": f"DV-{request.pk}",
        "seller": _exchange_party(),
        "buyer": _requester_party(request),
        "items": [
            {
                "line": 1,
                "name": request.get_kind_display(),
                "description": pr.description,
                "unit": "lần",
                "quantity": 1,
                "unit_price_vnd": quote.amount_vnd,
                "amount_vnd": quote.amount_vnd,
                "vat_percent": str(quote.vat_percent),
                "vat_vnd": quote.vat_vnd,
                "total_vnd": quote.total_vnd,
            }
        ],
        "total_before_vat_vnd": quote.amount_vnd,
        "vat_vnd": quote.vat_vnd,
        "total_vnd": quote.total_vnd,
        "paid_vnd": pr.paid_vnd,
        "refunded_vnd": pr.refunded_vnd,
        "payments": [
            {
                "provider": p.provider,
                "external_id": p.external_id,
                "amount_vnd": p.amount_vnd,
                "received_at": p.received_at.isoformat(),
            }
            for p in pr.payments.all()
        ],
        "exchange_fee": {"percent": str(pr.exchange_percent), "amount_vnd": quote.total_vnd},
    }


def invoice_queryset() -> QuerySet[PaymentRequest]:
    return (
        PaymentRequest.objects.filter(
            status__in=[
                PaymentRequestStatus.PAID,
                PaymentRequestStatus.OVERPAID,
                PaymentRequestStatus.REFUNDED,
            ]
        )
        .select_related(*_RELATED)
        .prefetch_related(
            "payments",
            Prefetch(
                "journal_entries",
                queryset=JournalEntry.objects.prefetch_related(
                    Prefetch("lines", queryset=JournalLine.objects.select_related("account"))
                ),
            ),
        )
        .order_by("paid_at", "id")
    )


INVOICE_CSV_COLUMNS = [
    "invoice_ref",
    "issued_on",
    "deal",
    "seller_name",
    "seller_tax_code",
    "seller_address",
    "buyer_name",
    "buyer_tax_code",
    "buyer_address",
    "item_name",
    "quantity",
    "unit_price_vnd",
    "vat_percent",
    "vat_vnd",
    "total_vnd",
    "status",
]


def invoices_csv(queryset) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(INVOICE_CSV_COLUMNS)
    for pr in queryset.iterator(chunk_size=500):
        data = invoice_data(pr)
        item = data["items"][0]
        writer.writerow(
            [
                data["invoice_ref"],
                data["issued_on"],
                data["deal"],
                data["seller"]["name"],
                data["seller"]["tax_code"],
                data["seller"]["address"],
                data["buyer"]["name"],
                data["buyer"]["tax_code"],
                data["buyer"]["address"],
                item["name"],
                item["quantity"],
                item["unit_price_vnd"],
                item["vat_percent"],
                item["vat_vnd"],
                item["total_vnd"],
                data["status"],
            ]
        )
    return out.getvalue()
