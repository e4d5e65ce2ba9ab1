"""Every write of payments: payment requests, money received (by hand, from a bank statement, from Stripe),
cancellations with refunds, payouts, and the Stripe webhook.

Services are keyword-only and run in one transaction, except where a provider must be called over the
network: then the database work is split around the call (never holding a transaction open while
talking to Stripe) and the call carries an idempotency key built from our ids, so a retry cannot charge
or refund twice. Every state change writes an audit row and posts a balanced ledger entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import logging
from decimal import Decimal
from typing import Any

import stripe
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.accounts import permissions as perms
from exchange.core.services import audit_record, notify
from exchange.deals import permissions as dperms
from exchange.deals.lifecycle import DealState
from exchange.deals.models import Deal, DealMilestone, MilestoneKind, MilestoneStatus, RevenueShareRule, Side
from exchange.support import permissions as sperms
from exchange.support import services as support_services
from exchange.support.models import ServiceQuote
from listings.validators import safe_filename

from . import conf, ledger, references
from .models import (
    Account,
    AccountKind,
    BankLineStatus,
    BankStatementImport,
    BankStatementLine,
    CommissionRule,
    JournalEntry,
    Payment,
    PaymentRequest,
    PaymentRequestStatus,
    Payout,
    Provider,
    Refund,
    RefundStatus,
    StripeEvent,
)
from .providers import ProviderRefused, ProviderUnavailable, get_provider
from .providers.stripe_card import StripeCardProvider

logger = logging.getLogger(__name__)

S = PaymentRequestStatus
#: A milestone of a deal in one of these states can be invoiced.
PAYABLE_DEAL_STATES = frozenset({DealState.SIGNED, DealState.EXECUTING})
STATEMENT_MAX_LINES = 10_000


def _vnd(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def _snapshot(pr: PaymentRequest) -> dict[str, Any]:
    return {
        "status": pr.status,
        "amount_vnd": pr.amount_vnd,
        "paid_vnd": pr.paid_vnd,
        "refunded_vnd": pr.refunded_vnd,
    }


def _lock(pr: PaymentRequest | int) -> PaymentRequest:
    pk = pr.pk if isinstance(pr, PaymentRequest) else pr
    return (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related(
            "deal",
            "deal__listing",
            "deal__buyer_organization",
            "deal__seller_organization",
            "milestone",
            "service_quote",
            "service_quote__request",
            "service_quote__request__requester",
        )
        .get(pk=pk)
    )


def _people(deal: Deal, sides, exclude=None) -> list:
    """Who hears of a payment of the deal: the sides asked for, and the assigned broker only once they
    accepted the deal's NDA (the emails carry the amounts, which the room keeps from them until then)."""
    from exchange.deals import permissions as dperms
    from exchange.deals.services import _recipients

    people = _recipients(deal, sides=sides, exclude=exclude)
    return [p for p in people if not (p.pk == deal.broker_id and dperms.broker_nda_outstanding(p, deal))]


def _payers_of_quote(pr: PaymentRequest, sides, exclude=None) -> list:
    """For a support-service fee the only "side" is the requester (the payer); the exchange's staff hear
    about the payment through the support request's own notification."""
    if Side.BUYER not in sides:
        return []
    requester = pr.service_quote.request.requester
    if not requester.is_active or (exclude is not None and requester.pk == getattr(exclude, "pk", None)):
        return []
    return [requester]


def _notify(pr: PaymentRequest, kind: str, sides, actor=None, **context) -> None:
    base = {
        "deal": pr.context_ref,
        "reference": pr.reference,
        "label": pr.label,
        "amount": _vnd(pr.amount_vnd),
        "remaining": _vnd(pr.remaining_vnd),
        "reason": "",
        **context,
    }
    if pr.service_quote_id:
        people = _payers_of_quote(pr, sides, exclude=actor)
    else:
        people = _people(pr.deal, sides, exclude=actor)
    for user in people:
        notify(recipient=user, kind=kind, context=base, url=pr.get_absolute_url(), target=pr)


def _require_staff(actor) -> None:
    if not perms.is_staff(actor):
        raise PermissionDenied(_("Chỉ nhân viên sàn được thực hiện thao tác này."))


def _require_payer(actor, pr: PaymentRequest) -> None:
    if not can_pay_request(actor, pr):
        raise PermissionDenied(_("Chỉ bên nhận chuyển giao / người yêu cầu dịch vụ được thanh toán."))


def can_request_payment(user, deal: Deal) -> bool:
    return perms.is_staff(user) or dperms.side_of(user, deal) == Side.SELLER


def can_pay(user, deal: Deal) -> bool:
    return dperms.side_of(user, deal) == Side.BUYER


def can_pay_request(user, pr: PaymentRequest) -> bool:
    """The buyer side of a deal milestone; for a support-service fee, the requester (the person who asked,
    or a signatory / TTO manager of the requesting organisation)."""
    if pr.service_quote_id:
        return sperms.is_requester(user, pr.service_quote.request)
    return can_pay(user, pr.deal)


def can_view_request(user, pr: PaymentRequest) -> bool:
    """Who may see a payment request: the deal's parties (and staff); for a support-service fee, the
    requester side and staff only."""
    if pr.service_quote_id:
        return perms.is_staff(user) or sperms.is_requester(user, pr.service_quote.request)
    return dperms.can_view(user, pr.deal)


# --- rules ----------------------------------------------------------------------------------------------
def _valid_today(rows):
    today = timezone.localdate()
    return [
        r
        for r in rows
        if (r.valid_from is None or r.valid_from <= today) and (r.valid_to is None or r.valid_to >= today)
    ]


def split_rule_for(deal: Deal) -> dict[str, Decimal]:
    """The percentages that apply to this deal now: the most specific active commission rule, the authors'
    minimum share for a state-funded result, and the broker's share capped by the legal maximum there."""
    state_funded = bool(deal.listing.state_funded)
    specific = CommissionRule.AppliesTo.STATE_FUNDED if state_funded else CommissionRule.AppliesTo.OTHER
    rules = _valid_today(CommissionRule.objects.filter(active=True, applies_to__in=[specific, "all"]))
    rules.sort(key=lambda r: (r.applies_to != specific, r.code))
    if not rules:
        raise ValidationError(_("Chưa có quy định phí sàn đang áp dụng; vui lòng liên hệ sàn."))
    rule = rules[0]
    broker = rule.broker_percent if deal.broker_id else Decimal("0")
    authors = Decimal("0")
    if state_funded:
        shares = _valid_today(RevenueShareRule.objects.filter(active=True))
        authors = max(
            (r.percent for r in shares if r.party == "authors" and r.bound == "min"), default=Decimal("0")
        )
        caps = [r.percent for r in shares if r.party == "broker" and r.bound == "max"]
        if caps:
            broker = min(broker, min(caps))
    return {"exchange_percent": rule.exchange_percent, "broker_percent": broker, "authors_percent": authors}


# --- payment requests -----------------------------------------------------------------------------------
@transaction.atomic
def payment_request_create(
    *, actor, milestone: DealMilestone, due_date: dt.date | None = None
) -> PaymentRequest:
    """The seller side (or staff) asks the buyer to pay one payment milestone of a signed deal."""
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("listing", "buyer_organization", "seller_organization", "broker")
        .get(pk=milestone.deal_id)
    )
    if not can_request_payment(actor, deal):
        raise PermissionDenied(_("Chỉ bên chuyển giao hoặc nhân viên sàn được yêu cầu thanh toán."))
    if deal.state not in PAYABLE_DEAL_STATES:
        raise ValidationError(_("Chỉ yêu cầu thanh toán khi hợp đồng đã ký và đang thực hiện."))
    milestone = DealMilestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.kind != MilestoneKind.PAYMENT or milestone.amount_vnd <= 0:
        raise ValidationError(_("Mốc này không phải là một khoản thanh toán."))
    if milestone.status == MilestoneStatus.DONE:
        raise ValidationError(_("Mốc này đã được xác nhận hoàn thành."))
    if milestone.payment_requests.exclude(status__in=[S.CANCELLED, S.REFUNDED]).exists():
        raise ValidationError(_("Mốc này đã có yêu cầu thanh toán."))
    for _attempt in range(10):
        reference = references.new_reference()
        if not PaymentRequest.objects.filter(reference=reference).exists():
            break
    pr = PaymentRequest.objects.create(
        reference=reference,
        deal=deal,
        milestone=milestone,
        description=f"GD-{deal.pk} {milestone.label}"[:300],
        amount_vnd=milestone.amount_vnd,
        currency="vnd",
        vat_percent=Decimal(conf.vat_percent()),
        broker=deal.broker,
        due_date=due_date or milestone.due_date,
        created_by=actor,
        **split_rule_for(deal),
    )
    audit_record(
        actor=actor,
        action="payment_request.create",
        target=pr,
        after=_snapshot(pr),
        data={"deal": deal.pk, "milestone": milestone.pk, "reference": pr.reference},
    )
    _notify(pr, "payment_requested", (Side.BUYER,), actor)
    return pr


@transaction.atomic
def payment_request_for_service_quote(*, actor, quote: ServiceQuote) -> PaymentRequest:
    """The live payment request of an accepted support-service quote, made on first use.

    The requester side pays the exchange the quote's total (VAT as the quote states it). The whole fee is
    the exchange's income: ``exchange_percent`` is 100 and nobody else gets a share — no rule in force
    gives an appraiser a share of a valuation fee; the exchange pays its appraisers outside this ledger.
    """
    quote = ServiceQuote.objects.select_for_update().select_related("request").get(pk=quote.pk)
    request = quote.request
    if not (sperms.is_requester(actor, request) or perms.is_staff(actor)):
        raise PermissionDenied(_("Chỉ người yêu cầu dịch vụ được thanh toán."))
    live = (
        PaymentRequest.objects.filter(service_quote=quote)
        .exclude(status__in=[S.CANCELLED, S.REFUNDED])
        .first()
    )
    if live is not None:
        return live
    payable = support_services.service_quote_payable(quote)  # WrongState unless accepted and current
    for _attempt in range(10):
        reference = references.new_reference()
        if not PaymentRequest.objects.filter(reference=reference).exists():
            break
    pr = PaymentRequest.objects.create(
        reference=reference,
        service_quote=quote,
        description=payable.description[:300],
        amount_vnd=payable.amount_vnd,
        currency=payable.currency.lower(),
        vat_percent=quote.vat_percent,
        exchange_percent=Decimal("100"),
        broker_percent=Decimal("0"),
        authors_percent=Decimal("0"),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="payment_request.create",
        target=pr,
        after=_snapshot(pr),
        data={"service_request": request.pk, "service_quote": quote.pk, "reference": pr.reference},
    )
    return pr


def _apply_received(
    pr: PaymentRequest, *, provider: str, amount: int, external_id: str, received_at, actor, note: str = ""
) -> Payment | None:
    """Record money received for ``pr`` (already locked) and post its split; None if already recorded."""
    if Payment.objects.filter(provider=provider, external_id=external_id).exists():
        return None
    before = _snapshot(pr)
    applied = min(amount, pr.remaining_vnd) if pr.is_payable else 0
    entry = ledger.post_entry(
        kind=JournalEntry.Kind.RECEIPT,
        memo=f"{pr.reference} {external_id}",
        lines=ledger.receipt_lines(pr, provider=provider, amount=amount, applied=applied),
        payment_request=pr,
        actor=actor,
    )
    payment = Payment.objects.create(
        payment_request=pr,
        provider=provider,
        amount_vnd=amount,
        external_id=external_id,
        received_at=received_at,
        note=note[:300],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        journal_entry=entry,
    )
    if pr.is_payable:
        pr.paid_vnd += amount
        if pr.paid_vnd < pr.amount_vnd:
            pr.status = S.PARTIALLY_PAID
        else:
            pr.status = S.OVERPAID if pr.paid_vnd > pr.amount_vnd else S.PAID
            pr.paid_at = timezone.now()
        pr.save(update_fields=["paid_vnd", "status", "paid_at", "updated_at"])
    audit_record(
        actor=actor,
        action="payment.receive",
        target=pr,
        before=before,
        after=_snapshot(pr),
        data={"provider": provider, "external_id": external_id, "amount_vnd": amount, "applied_vnd": applied},
    )
    _notify(pr, "payment_received", (Side.BUYER, Side.SELLER), actor, amount=_vnd(amount))
    if pr.service_quote_id and before["status"] != pr.status and pr.status in (S.PAID, S.OVERPAID):
        # Paying a support fee moves nothing in the support workflow: it is only announced there.
        support_services.service_request_note_paid(
            request=pr.service_quote.request, reference=pr.reference, amount_vnd=pr.paid_vnd, actor=actor
        )
    return payment


def _positive_int(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError({field: _("Số tiền là số nguyên VND dương.")})
    return value


@transaction.atomic
def payment_confirm_receipt(
    *, actor, payment_request: PaymentRequest, amount_vnd: int, bank_txn_id: str, note: str = ""
) -> Payment:
    """Staff saw the transfer on the bank account and confirm it by hand (with the bank's transaction id,
    so the same line arriving later in a statement is recognised as a duplicate)."""
    _require_staff(actor)
    amount_vnd = _positive_int(amount_vnd, "amount_vnd")
    bank_txn_id = (bank_txn_id or "").strip()
    if not bank_txn_id:
        raise ValidationError({"bank_txn_id": _("Cần mã giao dịch của ngân hàng.")})
    pr = _lock(payment_request)
    if not pr.is_payable:
        raise ValidationError(_("Yêu cầu thanh toán này không còn nhận tiền."))
    if BankStatementLine.objects.filter(bank_txn_id=bank_txn_id).exists():
        raise ValidationError({"bank_txn_id": _("Giao dịch ngân hàng này đã được ghi nhận.")})
    payment = _apply_received(
        pr,
        provider=Provider.BANK_TRANSFER,
        amount=amount_vnd,
        external_id=bank_txn_id,
        received_at=timezone.now(),
        actor=actor,
        note=note or _("Xác nhận thủ công"),
    )
    if payment is None:
        raise ValidationError({"bank_txn_id": _("Giao dịch ngân hàng này đã được ghi nhận.")})
    payment_request.refresh_from_db()
    return payment


# --- bank statements ------------------------------------------------------------------------------------
_COLUMNS = {
    "date": ("date", "ngày", "ngay", "transaction date"),
    "amount": ("amount", "số tiền", "so tien", "credit"),
    "description": ("description", "nội dung", "noi dung", "details"),
    "bank_txn_id": (
        "bank transaction id",
        "bank_txn_id",
        "transaction id",
        "mã giao dịch",
        "ma giao dich",
        "id",
    ),
}


def _parse_amount(text: str) -> int:
    cleaned = (text or "").strip().replace(" ", "")
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("+-")
    # Vietnamese statements write 1.500.000 or 1,500,000; VND has no minor unit.
    if "." in cleaned and "," in cleaned:
        raise ValueError(text)
    digits = cleaned.replace(".", "").replace(",", "")
    if not digits.isdigit():
        raise ValueError(text)
    return -int(digits) if negative else int(digits)


def _parse_date(text: str) -> dt.date:
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_statement(data: bytes) -> list[dict[str, Any]]:
    """Rows of a statement CSV (UTF-8, with or without BOM; comma or semicolon); ``ValidationError``
    naming every bad line — nothing is imported from a file with any."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("Tệp sao kê phải là CSV mã hóa UTF-8.")) from exc
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ValidationError(_("Tệp sao kê trống."))
    names = [h.strip().lower() for h in header]
    index = {}
    for key, aliases in _COLUMNS.items():
        found = [i for i, name in enumerate(names) if name in aliases]
        if not found:
            raise ValidationError(_("Thiếu cột “%(column)s” trong tệp sao kê.") % {"column": aliases[0]})
        index[key] = found[0]
    rows, errors = [], []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(rows) >= STATEMENT_MAX_LINES:
            raise ValidationError(_("Tệp sao kê quá dài (tối đa %(n)s dòng).") % {"n": STATEMENT_MAX_LINES})
        try:
            cell = {key: row[i] for key, i in index.items()}
            txn = cell["bank_txn_id"].strip()
            if not txn:
                raise ValueError("bank_txn_id")
            rows.append(
                {
                    "line": number,
                    "date": _parse_date(cell["date"]),
                    "amount": _parse_amount(cell["amount"]),
                    "description": cell["description"].strip()[:500],
                    "bank_txn_id": txn[:100],
                }
            )
        except (IndexError, ValueError):
            errors.append(number)
    if errors:
        raise ValidationError(
            _("Dòng không đọc được (ngày, số tiền hoặc mã giao dịch sai): %(lines)s")
            % {"lines": ", ".join(map(str, errors[:20]))}
        )
    return rows


@transaction.atomic
def bank_statement_import(*, actor, data: bytes, filename: str) -> BankStatementImport:
    """Import a bank statement and match each incoming line on the payment reference in its description.

    Every line ends up in the report: matched in full, partial (the request stays partly paid with its
    remaining amount), overpaid, unknown reference (kept for staff), for a request that no longer takes
    money, outgoing, or duplicate (a bank transaction id already imported — ignored). One transaction:
    a file that fails anywhere changes nothing.
    """
    _require_staff(actor)
    rows = parse_statement(data)
    statement = BankStatementImport.objects.create(
        filename=safe_filename(filename)[:255], sha256=hashlib.sha256(data).hexdigest(), imported_by=actor
    )
    known = set(
        BankStatementLine.objects.filter(bank_txn_id__in=[r["bank_txn_id"] for r in rows]).values_list(
            "bank_txn_id", flat=True
        )
    )
    known |= set(
        Payment.objects.filter(
            provider=Provider.BANK_TRANSFER, external_id__in=[r["bank_txn_id"] for r in rows]
        ).values_list("external_id", flat=True)
    )
    refs = {row["bank_txn_id"]: references.find_references(row["description"]) for row in rows}
    by_reference = {
        pr.reference: pr
        for pr in PaymentRequest.objects.filter(
            reference__in={ref for found in refs.values() for ref in found}
        )
    }
    # A payer of a support fee may write the quote's own reference (DV-<request>-v<version>) instead of
    # the TX code: it stands for the live payment request of that quote.
    quote_refs = {row["bank_txn_id"]: references.find_quote_references(row["description"]) for row in rows}
    wanted = {ref for found in quote_refs.values() for ref in found}
    if wanted:
        request_ids = {request_id for request_id, _version in wanted}
        for pr in (
            PaymentRequest.objects.filter(service_quote__request_id__in=request_ids)
            .exclude(status__in=[S.CANCELLED, S.REFUNDED])
            .select_related("service_quote")
        ):
            key = (pr.service_quote.request_id, pr.service_quote.version)
            if key in wanted:
                label = references.quote_reference(*key)
                by_reference[label] = pr
                for txn, found in quote_refs.items():
                    if key in found:
                        refs[txn].append(label)
    report: dict[str, list] = {
        key: []
        for key in ("matched", "partial", "overpaid", "unknown", "not_payable", "outgoing", "duplicate")
    }
    seen: set[str] = set()
    for row in rows:
        txn = row["bank_txn_id"]
        item = {
            "line": row["line"],
            "bank_txn_id": txn,
            "date": row["date"].isoformat(),
            "amount_vnd": row["amount"],
            "description": row["description"],
        }
        if txn in known or txn in seen:
            report["duplicate"].append(item)
            continue
        seen.add(txn)
        line = BankStatementLine(
            statement=statement,
            bank_txn_id=txn,
            date=row["date"],
            amount_vnd=row["amount"],
            description=row["description"],
        )
        pr = next((by_reference[r] for r in refs[txn] if r in by_reference), None)
        if row["amount"] <= 0:
            line.status = BankLineStatus.OUTGOING
        elif pr is None:
            line.status = BankLineStatus.UNKNOWN
        else:
            pr = _lock(pr)
            line.payment_request = pr
            item["reference"] = pr.reference
            if not pr.is_payable:
                line.status = BankLineStatus.NOT_PAYABLE
            else:
                line.payment = _apply_received(
                    pr,
                    provider=Provider.BANK_TRANSFER,
                    amount=row["amount"],
                    external_id=txn,
                    received_at=timezone.make_aware(dt.datetime.combine(row["date"], dt.time(12))),
                    actor=actor,
                    note=row["description"][:300],
                )
                line.status = {
                    S.PAID: BankLineStatus.MATCHED,
                    S.OVERPAID: BankLineStatus.OVERPAID,
                }.get(pr.status, BankLineStatus.PARTIAL)
                item["remaining_vnd"] = pr.remaining_vnd
                item["overpaid_vnd"] = pr.overpaid_vnd
                by_reference[pr.reference] = pr
        line.save()
        report[line.status].append(item)
    statement.report = {"counts": {k: len(v) for k, v in report.items()}, **report}
    statement.save(update_fields=["report"])
    audit_record(
        actor=actor,
        action="bank_statement.import",
        target=statement,
        data={"filename": filename, "sha256": statement.sha256, "counts": statement.report["counts"]},
    )
    return statement


# --- Stripe -----------------------------------------------------------------------------------------------
def _stripe() -> StripeCardProvider:
    return get_provider(Provider.STRIPE)


#: Stripe failures that say nothing about the card: the network, Stripe's own errors, its rate limit.
_STRIPE_RETRYABLE = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


def _stripe_outage_is_retryable(service):
    """Stripe being unreachable becomes ``ProviderUnavailable``: nothing was recorded (our writes commit
    only around Stripe's answers), so the person may retry, and the retry reuses our idempotency keys."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except _STRIPE_RETRYABLE as exc:
            logger.warning("Stripe unreachable in %s", service.__name__, exc_info=True)
            raise ProviderUnavailable(
                _(
                    "Không kết nối được cổng thanh toán thẻ. Chưa có khoản tiền nào bị trừ; "
                    "vui lòng thử lại sau ít phút."
                )
            ) from exc

    return wrapper


@_stripe_outage_is_retryable
def stripe_payment_start(*, actor, payment_request: PaymentRequest) -> dict[str, Any]:
    """Create (or reuse) the PaymentIntent for what remains to pay; the amount is ours, never the client's.

    Refused with ``ProviderRefused`` above Stripe's per-charge cap (the message offers bank transfer).
    """
    with transaction.atomic():
        pr = _lock(payment_request)
        _require_payer(actor, pr)
        if not pr.is_payable:
            raise ValidationError(_("Yêu cầu thanh toán này không còn nhận tiền."))
        refusal = _stripe().refusal(pr)
        if refusal:
            raise ProviderRefused(refusal, code="stripe_cap")
        reuse = pr.stripe_payment_intent if pr.stripe_amount_vnd == pr.remaining_vnd else ""
        if not reuse:
            pr.stripe_attempt += 1
            pr.save(update_fields=["stripe_attempt", "updated_at"])
        attempt = pr.stripe_attempt
    if reuse:
        intent = _plain(_stripe().retrieve_intent(reuse))
        if intent["status"] in ("requires_payment_method", "requires_confirmation", "requires_action"):
            return {
                "intent_id": intent["id"],
                "client_secret": intent["client_secret"],
                "amount_vnd": intent["amount"],
            }
        if intent["status"] == "succeeded":
            stripe_intent_settle(intent=intent)
            return {
                "intent_id": intent["id"],
                "client_secret": "",
                "amount_vnd": intent["amount"],
                "status": "succeeded",
            }
        with transaction.atomic():
            pr = _lock(payment_request)
            pr.stripe_attempt += 1
            pr.save(update_fields=["stripe_attempt", "updated_at"])
            attempt = pr.stripe_attempt
    intent = _stripe().create_intent(pr, attempt=attempt)
    with transaction.atomic():
        pr = _lock(payment_request)
        before = {"stripe_payment_intent": pr.stripe_payment_intent}
        pr.stripe_payment_intent = intent["id"]
        pr.stripe_amount_vnd = int(intent["amount"])
        pr.save(update_fields=["stripe_payment_intent", "stripe_amount_vnd", "updated_at"])
        audit_record(
            actor=actor,
            action="payment_request.stripe_intent",
            target=pr,
            before=before,
            after={"stripe_payment_intent": intent["id"], "amount_vnd": pr.stripe_amount_vnd},
            data={"attempt": attempt},
        )
    payment_request.refresh_from_db()
    return {
        "intent_id": intent["id"],
        "client_secret": intent["client_secret"],
        "amount_vnd": intent["amount"],
    }


@_stripe_outage_is_retryable
def stripe_payment_confirm(
    *, actor, payment_request: PaymentRequest, payment_method: str = "", token: str = ""
) -> dict[str, Any]:
    """Attach the card the browser collected and confirm the PaymentIntent on the server.

    Answers ``{"status": "succeeded" | "requires_action" | "failed", ...}``; a success is recorded at once
    (the webhook that follows finds it recorded and does nothing)."""
    with transaction.atomic():
        pr = _lock(payment_request)
        _require_payer(actor, pr)
        if not pr.is_payable or not pr.stripe_payment_intent:
            raise ValidationError(_("Yêu cầu thanh toán này không còn nhận tiền."))
        intent_id, attempt = pr.stripe_payment_intent, pr.stripe_attempt
    provider = _stripe()
    if token:
        if not token.startswith("tok_"):
            raise ValidationError(_("Thông tin thẻ không hợp lệ."))
        payment_method = provider.card_from_token(token)
    if not payment_method.startswith(("pm_", "card_")):
        raise ValidationError(_("Thông tin thẻ không hợp lệ."))
    key = f"techex-pr-{pr.pk}-intent-{attempt}-{hashlib.sha256(payment_method.encode()).hexdigest()[:12]}"
    try:
        intent = provider.confirm_intent(intent_id, payment_method=payment_method, attempt_key=key)
    except stripe.CardError as exc:
        message = exc.user_message or str(exc)
        _record_failure(pr, intent_id=intent_id, message=message, actor=actor)
        return {"status": "failed", "message": message}
    intent = _plain(intent)
    if intent["status"] == "succeeded":
        stripe_intent_settle(intent=intent, actor=actor)
        return {"status": "succeeded"}
    if intent["status"] == "requires_action":
        return {"status": "requires_action", "client_secret": intent["client_secret"]}
    message = (intent.get("last_payment_error") or {}).get("message") or intent["status"]
    _record_failure(pr, intent_id=intent_id, message=message, actor=actor)
    return {"status": "failed", "message": message}


@transaction.atomic
def _record_failure(pr: PaymentRequest, *, intent_id: str, message: str, actor=None) -> None:
    pr = _lock(pr)
    # The next attempt gets a new PaymentIntent (a fresh idempotency key), which works everywhere —
    # localstripe cannot re-confirm a failed intent.
    if pr.stripe_payment_intent == intent_id:
        pr.stripe_payment_intent, pr.stripe_amount_vnd = "", 0
        pr.save(update_fields=["stripe_payment_intent", "stripe_amount_vnd", "updated_at"])
    audit_record(
        actor=actor,
        action="payment.card_failed",
        target=pr,
        data={"intent": intent_id, "message": message[:300]},
    )
    _notify(pr, "payment_failed", (Side.BUYER,), None, reason=message[:300])


class IntentMismatch(ValidationError):
    """A PaymentIntent that does not match what we asked for (amount, currency, request) — never paid."""

    def __init__(self, message, *, code, payment_request=None, data=None):
        super().__init__(message, code=code)
        self.payment_request = payment_request
        self.data = data or {}


def stripe_intent_settle(*, intent, actor=None) -> Payment | None:
    """Record a succeeded PaymentIntent against its payment request, once.

    Only an intent we created for this request, for the amount and currency we set, counts: anything
    else is audited (``payment.stripe_rejected``), pays nothing and raises ``IntentMismatch``."""
    intent = _plain(intent)
    try:
        with transaction.atomic():
            return _settle(intent, actor)
    except IntentMismatch as exc:
        audit_record(
            actor=actor,
            action="payment.stripe_rejected",
            target=exc.payment_request,
            data={"intent": intent["id"], "why": exc.code, **exc.data},
        )
        raise


def _plain(obj):
    """Stripe objects (stripe-python ≥ 15 no longer subclass dict) as plain dicts."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _settle(intent, actor) -> Payment | None:
    intent = _plain(intent)
    metadata = intent.get("metadata") or {}
    pr_id = str(metadata.get("payment_request") or "")
    pr = PaymentRequest.objects.filter(pk=int(pr_id)).first() if pr_id.isdigit() else None
    if pr is None or metadata.get("reference") != pr.reference:
        raise IntentMismatch("PaymentIntent does not belong to a payment request.", code="unknown_request")
    pr = _lock(pr)
    amount = int(intent.get("amount_received") or intent["amount"])
    problems = []
    if intent["id"] != pr.stripe_payment_intent:
        problems.append("intent")
    if str(intent["currency"]).lower() != pr.currency:
        problems.append("currency")
    if int(intent["amount"]) != pr.stripe_amount_vnd or amount != pr.stripe_amount_vnd:
        problems.append("amount")
    if problems:
        raise IntentMismatch(
            f"PaymentIntent does not match: {', '.join(problems)}",
            code="mismatch",
            payment_request=pr,
            data={"problems": problems, "amount": amount, "currency": str(intent["currency"])},
        )
    return _apply_received(
        pr,
        provider=Provider.STRIPE,
        amount=amount,
        external_id=intent["id"],
        received_at=timezone.now(),
        actor=actor,
    )


class WebhookSignatureError(Exception):
    pass


def stripe_webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verify, de-duplicate and process one webhook delivery; returns the outcome.

    ``WebhookSignatureError`` for a bad signature or body (answer 400); any other exception means the
    processing failed and rolled back, including the event row, so Stripe's retry is processed again
    (answer 500)."""
    try:
        event = stripe.Webhook.construct_event(payload, signature or "", conf.stripe_webhook_secret())
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise WebhookSignatureError(str(exc)) from exc
    try:
        with transaction.atomic():
            row = StripeEvent.objects.create(
                event_id=event["id"], type=event["type"], payload=json.loads(payload.decode("utf-8"))
            )
            handler = WEBHOOK_HANDLERS.get(event["type"])
            data = json.loads(payload.decode("utf-8"))
            outcome = handler(data["data"]["object"]) if handler else "ignored"
            row.outcome = outcome
            row.save(update_fields=["outcome"])
    except IntegrityError:
        if StripeEvent.objects.filter(event_id=event["id"]).exists():
            return "duplicate"
        raise
    return outcome


def _on_intent_succeeded(intent) -> str:
    try:
        payment = stripe_intent_settle(intent=intent)
    except IntentMismatch as exc:
        # Acknowledged, not retried: a retry would not change it. Audited by stripe_intent_settle.
        return f"rejected:{exc.code}"
    return "recorded" if payment else "already_recorded"


def _on_intent_failed(intent) -> str:
    metadata = intent.get("metadata") or {}
    pr = PaymentRequest.objects.filter(reference=metadata.get("reference") or "").first()
    if pr is None:
        return "ignored"
    message = (intent.get("last_payment_error") or {}).get("message") or ""
    audit_record(
        action="payment.card_failed",
        target=pr,
        data={"intent": intent["id"], "message": message[:300], "source": "webhook"},
    )
    return "failed_noted"


def _on_charge_refunded(charge) -> str:
    intent_id = charge.get("payment_intent") or ""
    payment = Payment.objects.filter(provider=Provider.STRIPE, external_id=intent_id).first()
    if payment is None:
        return "ignored"
    audit_record(
        action="payment.stripe_refund_seen",
        target=payment.payment_request,
        data={"intent": intent_id, "amount_refunded": charge.get("amount_refunded")},
    )
    return "noted"


WEBHOOK_HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "charge.refunded": _on_charge_refunded,
}


# --- cancellation and refunds ---------------------------------------------------------------------------
def _refundable_by_payment(pr: PaymentRequest) -> list[tuple[Payment, int]]:
    refunded: dict[str, int] = {}
    for refund in pr.refunds.exclude(status=RefundStatus.FAILED):
        refunded[refund.provider] = refunded.get(refund.provider, 0) + refund.amount_vnd
    rows = []
    for payment in pr.payments.order_by("id"):
        taken = min(refunded.get(payment.provider, 0), payment.amount_vnd)
        refunded[payment.provider] = refunded.get(payment.provider, 0) - taken
        if payment.amount_vnd - taken > 0:
            rows.append((payment, payment.amount_vnd - taken))
    return rows


def payment_request_cancel(
    *, actor, payment_request: PaymentRequest, reason: str, bank_refund_reference: str = ""
) -> PaymentRequest:
    """Staff cancel a payment request (the milestone was cancelled) and refund what was received, through
    the provider that took it: a Stripe refund, or the outgoing bank transfer staff made (its id given)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do hủy.")})
    with transaction.atomic():
        _require_staff(actor)
        pr = _lock(payment_request)
        if pr.status in (S.CANCELLED, S.REFUNDED):
            raise ValidationError(_("Yêu cầu thanh toán đã hủy."))
        before = _snapshot(pr)
        owed = _refundable_by_payment(pr)
        bank_total = sum(amount for p, amount in owed if p.provider == Provider.BANK_TRANSFER)
        if bank_total and not bank_refund_reference.strip():
            raise ValidationError(
                {
                    "bank_refund_reference": _(
                        "Đã nhận chuyển khoản: cần mã giao dịch của lệnh chuyển hoàn lại."
                    )
                }
            )
        pending = []
        if bank_total:
            pending.append(
                (
                    Refund.objects.create(
                        payment_request=pr,
                        provider=Provider.BANK_TRANSFER,
                        amount_vnd=bank_total,
                        reason=reason,
                        created_by=actor,
                    ),
                    bank_refund_reference.strip(),
                )
            )
        for payment, amount in owed:
            if payment.provider == Provider.STRIPE:
                pending.append(
                    (
                        Refund.objects.create(
                            payment_request=pr,
                            provider=Provider.STRIPE,
                            amount_vnd=amount,
                            reason=reason,
                            created_by=actor,
                        ),
                        payment.external_id,
                    )
                )
        pr.status = S.CANCELLED
        pr.cancel_reason = reason
        pr.save(update_fields=["status", "cancel_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="payment_request.cancel",
            target=pr,
            before=before,
            after=_snapshot(pr),
            data={"reason": reason, "refunds": [r.pk for r, _ in pending]},
        )
        _notify(pr, "payment_cancelled", (Side.BUYER, Side.SELLER), actor, reason=reason)
    for refund, external in pending:
        refund_execute(refund_id=refund.pk, external_id=external, actor=actor)
    payment_request.refresh_from_db()
    return payment_request


def refund_execute(*, refund_id: int, external_id: str = "", actor=None) -> Refund:
    """Send one pending refund through its provider (outside any transaction), then record the outcome
    and post the reversal. Safe to run again: the provider call's idempotency key is the refund id."""
    refund = Refund.objects.select_related("payment_request").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    ok, provider_id, error = get_provider(refund.provider).refund(refund, external_id=external_id)
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != RefundStatus.PENDING:
            return refund
        pr = _lock(refund.payment_request_id)
        before = _snapshot(pr)
        if not ok:
            refund.status = RefundStatus.FAILED
            refund.error = error[:1000]
            refund.save(update_fields=["status", "error"])
            audit_record(
                actor=actor, action="refund.fail", target=pr, data={"refund": refund.pk, "error": error[:300]}
            )
            return refund
        refund.journal_entry = ledger.post_entry(
            kind=JournalEntry.Kind.REFUND,
            memo=f"{pr.reference} refund {provider_id}",
            lines=ledger.reversal_lines(pr, provider=refund.provider, amount=refund.amount_vnd),
            payment_request=pr,
            actor=actor,
        )
        refund.status = RefundStatus.SUCCEEDED
        refund.external_id = provider_id
        refund.completed_at = timezone.now()
        refund.save(update_fields=["status", "external_id", "completed_at", "journal_entry"])
        pr.refunded_vnd += refund.amount_vnd
        if pr.refunded_vnd >= pr.paid_vnd and not pr.refunds.filter(status=RefundStatus.PENDING).exists():
            pr.status = S.REFUNDED
        pr.save(update_fields=["refunded_vnd", "status", "updated_at"])
        audit_record(
            actor=actor,
            action="refund.succeed",
            target=pr,
            before=before,
            after=_snapshot(pr),
            data={
                "refund": refund.pk,
                "provider": refund.provider,
                "external_id": provider_id,
                "amount_vnd": refund.amount_vnd,
            },
        )
        _notify(pr, "payment_refunded", (Side.BUYER, Side.SELLER), actor, amount=_vnd(refund.amount_vnd))
    return refund


# --- payouts ------------------------------------------------------------------------------------------------
PAYABLE_ACCOUNT_KINDS = (
    AccountKind.SELLER,
    AccountKind.AUTHORS,
    AccountKind.BROKER,
    AccountKind.BUYER_CLEARING,
)


@transaction.atomic
def payout_record(*, actor, account: Account, amount_vnd: int, bank_reference: str, note: str = "") -> Payout:
    """Staff record a transfer made from the exchange's bank account to a party it owed money to."""
    _require_staff(actor)
    amount_vnd = _positive_int(amount_vnd, "amount_vnd")
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("Cần mã giao dịch của lệnh chuyển tiền.")})
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .get(pk=account.pk)
    )
    if account.kind not in PAYABLE_ACCOUNT_KINDS:
        raise ValidationError(_("Chỉ chi trả cho một bên mà sàn đang nợ."))
    owed = -(account.lines.aggregate(total=Sum("amount_vnd"))["total"] or 0)
    if amount_vnd > owed:
        raise ValidationError(
            {"amount_vnd": _("Số tiền vượt quá số sàn đang nợ (%(owed)s VND).") % {"owed": _vnd(owed)}}
        )
    entry = ledger.post_entry(
        kind=JournalEntry.Kind.PAYOUT,
        memo=f"payout {bank_reference}",
        lines=[(account, amount_vnd), (ledger.provider_account(Provider.BANK_TRANSFER), -amount_vnd)],
        actor=actor,
    )
    payout = Payout.objects.create(
        account=account,
        amount_vnd=amount_vnd,
        bank_reference=bank_reference[:100],
        note=note[:300],
        made_by=actor,
        journal_entry=entry,
    )
    audit_record(
        actor=actor,
        action="payout.record",
        target=payout,
        before={"owed_vnd": owed},
        after={"owed_vnd": owed - amount_vnd},
        data={"account": account.pk, "amount_vnd": amount_vnd, "bank_reference": bank_reference},
    )
    recipients = []
    if account.user_id:
        recipients = [account.user]
    elif account.organization_id:
        from exchange.accounts.models import MembershipRole, MembershipStatus

        recipients = [
            m.user
            for m in account.organization.memberships.filter(
                status=MembershipStatus.ACTIVE,
                role__in=[MembershipRole.TTO_MANAGER, MembershipRole.SIGNATORY],
            ).select_related("user")
            if m.user.is_active
        ]
    for user in recipients:
        notify(
            recipient=user,
            kind="payout_made",
            context={"amount": _vnd(amount_vnd), "account": str(account), "reference": bank_reference},
            target=payout,
        )
    return payout
