"""The double-entry ledger: accounts, balanced postings, and how one received amount is split.

Integer VND only. ``post_entry`` refuses anything that does not balance, so no caller can write half an
entry; it must run inside the caller's transaction (services own the transaction).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Account, AccountKind, JournalEntry, JournalLine, PaymentRequest, Provider


def account_for(kind: str, *, provider: str = "", organization=None, user=None) -> Account:
    account, _ = Account.objects.get_or_create(
        kind=kind,
        provider=provider,
        organization=organization,
        user=user,
    )
    return account


def provider_account(provider: str) -> Account:
    return account_for(AccountKind.PROVIDER_CLEARING, provider=provider)


def post_entry(
    *,
    kind: str,
    memo: str,
    lines: Iterable[tuple[Account, int]],
    payment_request: PaymentRequest | None = None,
    actor=None,
) -> JournalEntry:
    """Write one entry whose lines (debit +, credit −) sum to zero; zero lines are dropped."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post_entry must run inside the caller's transaction")
    merged: dict[int, list] = {}
    for account, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValidationError("Ledger amounts are integer VND.")
        merged.setdefault(account.pk, [account, 0])[1] += amount
    rows = [(account, amount) for account, amount in merged.values() if amount]
    if len(rows) < 2:
        raise ValidationError("A journal entry needs at least two non-zero lines.")
    if sum(amount for _, amount in rows) != 0:
        raise ValidationError("Unbalanced journal entry: debits and credits differ.")
    entry = JournalEntry.objects.create(
        kind=kind,
        memo=memo[:300],
        payment_request=payment_request,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    JournalLine.objects.bulk_create(
        [JournalLine(entry=entry, account=account, amount_vnd=amount) for account, amount in rows]
    )
    return entry


def _pct(amount: int, percent: Decimal) -> int:
    return int((Decimal(amount) * Decimal(percent) / 100).to_integral_value(rounding=ROUND_FLOOR))


def split_amount(
    amount: int, *, exchange_percent: Decimal, broker_percent: Decimal, authors_percent: Decimal
) -> dict[str, int]:
    """Split a received amount: the exchange's commission and the broker's share come off the gross; the
    authors' share (state-funded results) is taken from what remains for the seller; the seller gets the
    rest, including every rounding remainder, so the parts always add up to ``amount`` exactly."""
    commission = _pct(amount, exchange_percent)
    broker = _pct(amount, broker_percent)
    net = amount - commission - broker
    authors = _pct(net, authors_percent)
    return {"commission": commission, "broker": broker, "authors": authors, "seller": net - authors}


def receipt_lines(
    pr: PaymentRequest, *, provider: str, amount: int, applied: int
) -> list[tuple[Account, int]]:
    """The lines for ``amount`` received, of which ``applied`` counts towards the request (the rest was
    paid in excess and is owed back to the buyer)."""
    if pr.service_quote_id:
        return service_fee_receipt_lines(pr, provider=provider, amount=amount, applied=applied)
    deal = pr.deal
    parts = split_amount(
        applied,
        exchange_percent=pr.exchange_percent,
        broker_percent=pr.broker_percent if pr.broker_id else Decimal("0"),
        authors_percent=pr.authors_percent,
    )
    lines = [
        (provider_account(provider), amount),
        (account_for(AccountKind.EXCHANGE_COMMISSION), -parts["commission"]),
        (account_for(AccountKind.SELLER, organization=deal.seller_organization), -parts["seller"]),
    ]
    if parts["broker"]:
        lines.append((account_for(AccountKind.BROKER, user=pr.broker), -parts["broker"]))
    if parts["authors"]:
        lines.append(
            (account_for(AccountKind.AUTHORS, organization=deal.seller_organization), -parts["authors"])
        )
    if amount > applied:
        lines.append(
            (
                account_for(AccountKind.BUYER_CLEARING, organization=deal.buyer_organization),
                -(amount - applied),
            )
        )
    return lines


def service_fee_receipt_lines(
    pr: PaymentRequest, *, provider: str, amount: int, applied: int
) -> list[tuple[Account, int]]:
    """A support-service fee (an accepted quote of #6) is the exchange's own income: everything applied,
    VAT included as the quote states it, goes to the commission account. There is no seller, broker or
    authors' share, and no rule in force gives an appraiser a share of a valuation fee — the exchange
    pays its appraisers under its own contracts, outside this ledger. An excess is owed back to the
    payer: the requesting organisation, or the requester in person when they asked for themselves."""
    request = pr.service_quote.request
    lines = [
        (provider_account(provider), amount),
        (account_for(AccountKind.EXCHANGE_COMMISSION), -applied),
    ]
    if amount > applied:
        payer = (
            {"organization": request.requester_organization}
            if request.requester_organization_id
            else {"user": request.requester}
        )
        lines.append((account_for(AccountKind.BUYER_CLEARING, **payer), -(amount - applied)))
    return lines


def reversal_lines(pr: PaymentRequest, *, provider: str, amount: int) -> list[tuple[Account, int]]:
    """Undo ``amount`` of what ``pr`` credited to the parties, in proportion to what each got, paid out
    of ``provider``'s clearing account. Refunding everything nets every party account of ``pr`` to zero."""
    credited: dict[int, list] = {}
    lines = (
        JournalLine.objects.filter(entry__payment_request=pr)
        .exclude(account__kind=AccountKind.PROVIDER_CLEARING)
        .select_related("account")
    )
    for line in lines:
        credited.setdefault(line.account_id, [line.account, 0])[1] += -line.amount_vnd
    owed = [(account, total) for account, total in credited.values() if total > 0]
    total_owed = sum(total for _, total in owed)
    if amount > total_owed:
        raise ValidationError("Refund larger than what was received.")
    result: list[tuple[Account, int]] = [(provider_account(provider), -amount)]
    remaining = amount
    # Largest share last so it absorbs the rounding remainder.
    owed.sort(key=lambda row: row[1])
    for i, (account, total) in enumerate(owed):
        share = remaining if i == len(owed) - 1 else min(amount * total // total_owed, remaining)
        remaining -= share
        if share:
            result.append((account, share))
    return result


__all__ = [
    "Provider",
    "account_for",
    "post_entry",
    "provider_account",
    "receipt_lines",
    "reversal_lines",
    "service_fee_receipt_lines",
    "split_amount",
]
