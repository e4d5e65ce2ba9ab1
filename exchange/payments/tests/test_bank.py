"""Payment requests, bank transfer reconciliation (by hand and from statements), splits, refunds, payouts."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exchange.core.models import AuditLog, Notification
from exchange.payments import ledger, selectors, services
from exchange.payments.models import (
    Account,
    AccountKind,
    BankStatementImport,
    BankStatementLine,
    JournalLine,
    Payment,
    PaymentRequest,
)

pytestmark = pytest.mark.django_db


def balance(kind, **kw) -> int:
    account = Account.objects.filter(kind=kind, **kw).first()
    if account is None:
        return 0
    return sum(account.lines.values_list("amount_vnd", flat=True))


def csv_bytes(*rows) -> bytes:
    lines = ["date,amount,description,bank transaction id"] + [",".join(map(str, r)) for r in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def pr(p, milestones):
    return services.payment_request_create(actor=p.seller_signatory, milestone=milestones[1])  # 200,000,000


def test_split_adds_up_exactly():
    parts = ledger.split_amount(
        1_000_001,
        exchange_percent=Decimal("5"),
        broker_percent=Decimal("3.33"),
        authors_percent=Decimal("30"),
    )
    assert sum(parts.values()) == 1_000_001
    assert parts == {"commission": 50_000, "broker": 33_300, "authors": 275_010, "seller": 641_691}


def test_unbalanced_entry_refused(db):
    a = ledger.account_for(AccountKind.EXCHANGE_COMMISSION)
    b = ledger.provider_account("bank_transfer")
    from django.db import transaction

    with transaction.atomic(), pytest.raises(ValidationError):
        ledger.post_entry(kind="receipt", memo="x", lines=[(a, 100), (b, -99)])
    with transaction.atomic(), pytest.raises(ValidationError):
        ledger.post_entry(kind="receipt", memo="x", lines=[(a, 1.5), (b, -1.5)])


def test_request_by_seller_notifies_buyer_and_audits(p, pr, executing):
    assert pr.amount_vnd == 200_000_000 and pr.status == "open" and pr.reference.startswith("TX")
    assert pr.exchange_percent == Decimal("5.00") and pr.authors_percent == 0 and pr.broker_percent == 0
    assert Notification.objects.filter(recipient=p.buyer_signatory, kind="payment_requested").exists()
    assert AuditLog.objects.filter(action="payment_request.create", target_id=str(pr.pk)).exists()
    with pytest.raises(ValidationError):  # one live request per milestone
        services.payment_request_create(actor=p.staff, milestone=pr.milestone)


@pytest.mark.parametrize("who", ["buyer", "buyer_signatory", "third", "stranger", "broker"])
def test_only_seller_side_or_staff_request(p, milestones, who):
    with pytest.raises(PermissionDenied):
        services.payment_request_create(actor=p[who], milestone=milestones[0])


def test_not_before_signature(p, flow):
    deal = flow.contract_ready()
    from exchange.deals.models import DealMilestone

    milestone = DealMilestone.objects.create(deal=deal, kind="payment", label="x", amount_vnd=10)
    with pytest.raises(ValidationError):
        services.payment_request_create(actor=p.staff, milestone=milestone)


def test_manual_confirmation_full(p, pr, executing):
    services.payment_confirm_receipt(
        actor=p.staff, payment_request=pr, amount_vnd=200_000_000, bank_txn_id="FT001"
    )
    pr.refresh_from_db()
    assert pr.status == "paid" and pr.remaining_vnd == 0
    assert balance(AccountKind.PROVIDER_CLEARING, provider="bank_transfer") == 200_000_000
    assert balance(AccountKind.EXCHANGE_COMMISSION) == -10_000_000
    assert balance(AccountKind.SELLER, organization=executing.seller_organization) == -190_000_000
    with pytest.raises(PermissionDenied):
        services.payment_confirm_receipt(
            actor=p.seller_signatory, payment_request=pr, amount_vnd=1, bank_txn_id="X"
        )


def test_statement_matching_partial_overpaid_unknown_duplicate(p, pr, milestones):
    other = services.payment_request_create(actor=p.staff, milestone=milestones[0])  # 500,000,000
    data = csv_bytes(
        ("2026-11-20", "150.000.000", f"CT DEN thanh toan {pr.reference.lower()}", "FT100"),
        ("2026-11-20", "500000000", f"{other.reference} GD", "FT101"),
        ("21/11/2026", "7000000", "chuyen tien khong ghi ma", "FT102"),
        ("2026-11-21", "-3000000", "phi", "FT103"),
        ("2026-11-21", "150.000.000", f"{pr.reference}", "FT100"),  # duplicate within the file
    )
    statement = services.bank_statement_import(actor=p.staff, data=data, filename="vcb-2026-11.csv")
    counts = statement.report["counts"]
    assert counts == {
        "matched": 1,
        "partial": 1,
        "overpaid": 0,
        "unknown": 1,
        "not_payable": 0,
        "outgoing": 1,
        "duplicate": 1,
    }
    pr.refresh_from_db()
    other.refresh_from_db()
    assert pr.status == "partially_paid" and pr.remaining_vnd == 50_000_000
    assert statement.report["partial"][0]["remaining_vnd"] == 50_000_000
    assert other.status == "paid"
    assert [line.bank_txn_id for line in selectors.unknown_bank_lines()] == ["FT102"]

    # The same lines again in the next file are duplicates; the rest of the payment overpays.
    data2 = csv_bytes(
        ("2026-11-20", "150000000", pr.reference, "FT100"),
        ("2026-11-22", "60000000", f"bo sung {pr.reference}", "FT104"),
    )
    statement2 = services.bank_statement_import(actor=p.staff, data=data2, filename="vcb-2.csv")
    assert statement2.report["counts"]["duplicate"] == 1 and statement2.report["counts"]["overpaid"] == 1
    pr.refresh_from_db()
    assert pr.status == "overpaid" and pr.overpaid_vnd == 10_000_000
    # The excess is owed back to the buyer, not split.
    assert balance(AccountKind.BUYER_CLEARING, organization=pr.deal.buyer_organization) == -10_000_000
    assert Payment.objects.filter(payment_request=pr).count() == 2
    assert selectors.ledger_check()["balanced"]


def test_failed_import_changes_nothing(p, pr):
    bad = csv_bytes(
        ("2026-11-20", "150000000", pr.reference, "FT200"),
        ("not a date", "1", "x", "FT201"),
    )
    with pytest.raises(ValidationError):
        services.bank_statement_import(actor=p.staff, data=bad, filename="bad.csv")
    assert not BankStatementImport.objects.exists() and not BankStatementLine.objects.exists()
    assert not JournalLine.objects.exists()
    pr.refresh_from_db()
    assert pr.status == "open"
    with pytest.raises(ValidationError):
        services.bank_statement_import(actor=p.staff, data=b"foo,bar\n1,2\n", filename="x.csv")


def test_statement_import_staff_only(p):
    with pytest.raises(PermissionDenied):
        services.bank_statement_import(actor=p.seller_signatory, data=csv_bytes(), filename="x.csv")


def test_broker_and_authors_shares_for_state_funded(p, flow):
    p.listing.state_funded = True
    p.listing.save(update_fields=["state_funded"])
    deal = flow.executing()
    from exchange.deals import services as deal_services

    deal_services.deal_assign_broker(actor=p.staff, deal=deal, broker=p.broker)
    milestone = deal.milestones.filter(kind="payment").first()
    pr = services.payment_request_create(actor=p.seller_signatory, milestone=milestone)
    assert pr.authors_percent == Decimal("30.00") and pr.broker_percent == Decimal("5.00")
    services.payment_confirm_receipt(
        actor=p.staff, payment_request=pr, amount_vnd=500_000_000, bank_txn_id="FT9"
    )
    assert balance(AccountKind.EXCHANGE_COMMISSION) == -25_000_000
    assert balance(AccountKind.BROKER, user=p.broker) == -25_000_000
    assert balance(AccountKind.AUTHORS, organization=deal.seller_organization) == -135_000_000
    assert balance(AccountKind.SELLER, organization=deal.seller_organization) == -315_000_000


def test_cancel_refunds_bank_transfer_and_reverses_split(p, pr):
    services.payment_confirm_receipt(
        actor=p.staff, payment_request=pr, amount_vnd=80_000_000, bank_txn_id="FT300"
    )
    with pytest.raises(ValidationError):  # bank money came in: the outgoing transfer's id is required
        services.payment_request_cancel(actor=p.staff, payment_request=pr, reason="Mốc bị hủy")
    with pytest.raises(PermissionDenied):
        services.payment_request_cancel(
            actor=p.seller_signatory, payment_request=pr, reason="x", bank_refund_reference="R"
        )
    services.payment_request_cancel(
        actor=p.staff, payment_request=pr, reason="Mốc bị hủy", bank_refund_reference="FT-OUT-1"
    )
    pr.refresh_from_db()
    assert pr.status == "refunded" and pr.refunded_vnd == 80_000_000
    for account in Account.objects.exclude(kind=AccountKind.PROVIDER_CLEARING):
        assert sum(account.lines.values_list("amount_vnd", flat=True)) == 0
    assert balance(AccountKind.PROVIDER_CLEARING, provider="bank_transfer") == 0
    assert Notification.objects.filter(recipient=p.buyer_signatory, kind="payment_refunded").exists()
    assert AuditLog.objects.filter(action="refund.succeed", target_id=str(pr.pk)).exists()
    # The milestone can be requested again.
    again = services.payment_request_create(actor=p.staff, milestone=pr.milestone)
    assert again.pk != pr.pk


def test_payout_to_seller(p, pr, executing):
    services.payment_confirm_receipt(
        actor=p.staff, payment_request=pr, amount_vnd=200_000_000, bank_txn_id="FT400"
    )
    seller = Account.objects.get(kind=AccountKind.SELLER, organization=executing.seller_organization)
    with pytest.raises(ValidationError):
        services.payout_record(actor=p.staff, account=seller, amount_vnd=190_000_001, bank_reference="OUT1")
    services.payout_record(actor=p.staff, account=seller, amount_vnd=190_000_000, bank_reference="OUT1")
    assert balance(AccountKind.SELLER, organization=executing.seller_organization) == 0
    assert balance(AccountKind.PROVIDER_CLEARING, provider="bank_transfer") == 10_000_000
    assert Notification.objects.filter(recipient=p.seller_signatory, kind="payout_made").exists()
    commission = Account.objects.get(kind=AccountKind.EXCHANGE_COMMISSION)
    with pytest.raises(ValidationError):
        services.payout_record(actor=p.staff, account=commission, amount_vnd=1, bank_reference="OUT2")
    recon = selectors.reconciliation()
    assert recon["bank"]["ledger"] == {
        "received": 200_000_000,
        "refunded": 0,
        "paid_out": 190_000_000,
        "balance": 10_000_000,
    }
    assert recon["bank"]["difference"] == 0 and recon["ledger"]["balanced"]


def test_invoice_data(p, pr):
    services.payment_confirm_receipt(
        actor=p.staff, payment_request=pr, amount_vnd=200_000_000, bank_txn_id="FT500"
    )
    pr = selectors.invoice_queryset().get(pk=pr.pk)
    data = selectors.invoice_data(pr)
    assert data["seller"]["name"] == pr.deal.seller_organization.name
    assert data["buyer"]["name"] == pr.deal.buyer_organization.name
    assert data["items"][0]["total_vnd"] == 200_000_000 and data["vat_vnd"] == 0
    assert data["exchange_fee"]["amount_vnd"] == 10_000_000
    text = selectors.invoices_csv(selectors.invoice_queryset())
    assert pr.reference in text and text.splitlines()[0].startswith("invoice_ref,")


def test_payment_request_unique_reference(p, milestones):
    a = services.payment_request_create(actor=p.staff, milestone=milestones[0])
    b = services.payment_request_create(actor=p.staff, milestone=milestones[1])
    assert a.reference != b.reference and PaymentRequest.objects.count() == 2
