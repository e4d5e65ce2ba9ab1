"""Support-service quotes (#6) paid through payments (#7): the payment request of an accepted quote, who may
pay it, bank transfer (by hand and from a statement, by the TX code or the quote's own DV reference),
cards against localstripe with the webhook, the ledger (all income of the exchange) and the support page."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from exchange.accounts.models import MembershipRole
from exchange.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from exchange.core.models import AuditLog, Notification
from exchange.payments import selectors, services
from exchange.payments.models import Account, AccountKind, PaymentRequest
from exchange.support import services as support_services
from exchange.support.lifecycle import RequestState

from .test_stripe import event_for, post_webhook, raw_intent, sign

pytestmark = pytest.mark.django_db
NET, TOTAL, VAT = 10_000_000, 11_000_000, 1_000_000


class People(dict):
    def __getattr__(self, name):
        return self[name]


@pytest.fixture
def sp(db):
    org = OrganizationFactory()
    return People(
        org=org,
        requester=MembershipFactory(organization=org).user,
        org_signatory=MembershipFactory(organization=org, role=MembershipRole.SIGNATORY).user,
        colleague=MembershipFactory(organization=org).user,
        third=MembershipFactory(organization=OrganizationFactory()).user,
        stranger=UserFactory(),
        staff=UserFactory(roles=["staff"]),
        other_staff=UserFactory(roles=["staff"]),
        appraiser=UserFactory(roles=["appraiser"]),
    )


def _request(sp, *, accept=True, description="Tư vấn hợp đồng li-xăng"):
    request = support_services.service_request_create(
        actor=sp.requester, kind="consulting", description=description, organization=sp.org
    )
    quote = support_services.service_request_quote(
        actor=sp.staff,
        request=request,
        amount_vnd=NET,
        description="Gói tư vấn",
        valid_until=timezone.localdate() + dt.timedelta(days=3),
    )
    if accept:
        support_services.service_request_accept_quote(actor=sp.requester, request=request, quote=quote)
    request.refresh_from_db()
    return request, quote


@pytest.fixture
def accepted(sp):
    return _request(sp)


def balance(kind, **kw) -> int:
    account = Account.objects.filter(kind=kind, **kw).first()
    return sum(account.lines.values_list("amount_vnd", flat=True)) if account else 0


def csv_bytes(*rows) -> bytes:
    lines = ["date,amount,description,bank transaction id"] + [",".join(map(str, r)) for r in rows]
    return ("\n".join(lines) + "\n").encode()


# --- the payment request -----------------------------------------------------------------------------
def test_requester_pays_by_bank_transfer_nothing_moves_in_support(client, sp, accepted):
    request, quote = accepted
    client.force_login(sp.requester)
    response = client.post(reverse("payments:pay_service_quote", args=[quote.pk]))
    pr = PaymentRequest.objects.get(service_quote=quote)
    assert response.status_code == 302 and response["Location"] == pr.get_absolute_url()
    assert pr.deal_id is None and pr.milestone_id is None
    assert (pr.amount_vnd, pr.vat_vnd, pr.vat_percent) == (TOTAL, VAT, quote.vat_percent)
    # Clicking again gives the same live request.
    client.post(reverse("payments:pay_service_quote", args=[quote.pk]))
    assert PaymentRequest.objects.filter(service_quote=quote).count() == 1

    page = client.get(pr.get_absolute_url()).content.decode()
    assert pr.reference in page and f"DV-{request.pk}" in page and "VietQR" in page
    assert reverse("payments:card", args=[pr.reference]) in page
    assert client.get(reverse("payments:qr", args=[pr.reference])).status_code == 200

    services.payment_confirm_receipt(
        actor=sp.staff, payment_request=pr, amount_vnd=TOTAL, bank_txn_id="VCB-SQ-1"
    )
    pr.refresh_from_db()
    assert pr.status == "paid"
    # All of it is the exchange's income; nothing owed to anyone.
    assert balance(AccountKind.EXCHANGE_COMMISSION) == -TOTAL
    assert balance(AccountKind.PROVIDER_CLEARING, provider="bank_transfer") == TOTAL
    assert not Account.objects.filter(kind__in=["seller", "authors", "broker"]).exists()
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED and request.delivered_at is None
    # The staff member who confirmed it is not told; the rest of the staff (no assignee yet) are.
    assert Notification.objects.filter(recipient=sp.other_staff, kind="support_request_paid").exists()
    assert not Notification.objects.filter(recipient=sp.staff, kind="support_request_paid").exists()
    assert Notification.objects.filter(recipient=sp.requester, kind="payment_received").exists()
    assert AuditLog.objects.filter(action="service_request.paid", data__reference=pr.reference).exists()

    invoice = selectors.invoice_data(selectors.invoice_queryset().get(pk=pr.pk))
    assert invoice["deal"] == f"DV-{request.pk}" and invoice["buyer"]["name"] == sp.org.name
    assert invoice["items"][0]["unit_price_vnd"] == NET and invoice["vat_vnd"] == VAT
    assert selectors.invoices_csv(selectors.invoice_queryset()).count("\n") == 2


def test_support_page_shows_payment_state_and_button(client, sp, accepted):
    request, quote = accepted
    client.force_login(sp.requester)
    page = client.get(request.get_absolute_url()).content.decode()
    assert reverse("payments:pay_service_quote", args=[quote.pk]) in page and "Thanh toán" in page
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    page = client.get(request.get_absolute_url()).content.decode()
    assert pr.get_absolute_url() in page and "Chờ thanh toán" in page
    services.payment_confirm_receipt(actor=sp.staff, payment_request=pr, amount_vnd=TOTAL, bank_txn_id="T1")
    client.force_login(sp.staff)
    page = client.get(request.get_absolute_url()).content.decode()
    assert "Đã thanh toán" in page and pr.get_absolute_url() in page
    assert reverse("payments:pay_service_quote", args=[quote.pk]) not in page
    # Staff see it in their list too.
    assert pr.reference in client.get(reverse("payments:staff_list")).content.decode()


@pytest.mark.parametrize("who", ["requester", "org_signatory"])
def test_requester_side_may_pay(client, sp, accepted, who):
    _request_, quote = accepted
    client.force_login(sp[who])
    response = client.post(reverse("payments:pay_service_quote", args=[quote.pk]))
    pr = PaymentRequest.objects.get(service_quote=quote)
    assert response.status_code == 302
    assert client.get(pr.get_absolute_url()).status_code == 200
    assert services.can_pay_request(sp[who], pr)


@pytest.mark.parametrize("who", ["colleague", "third", "stranger", "appraiser"])
def test_others_get_404(client, sp, accepted, who):
    _request_, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    client.force_login(sp[who])
    assert client.post(reverse("payments:pay_service_quote", args=[quote.pk])).status_code == 404
    for name in ("detail", "qr", "card", "invoice"):
        assert client.get(reverse(f"payments:{name}", args=[pr.reference])).status_code == 404
    assert client.post(reverse("payments:card_confirm", args=[pr.reference])).status_code == 404
    assert selectors.payment_request_for_user(user=sp[who], reference=pr.reference) is None
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied from the service
        services.payment_request_for_service_quote(actor=sp[who], quote=quote)


def test_anonymous_redirected(client, sp, accepted):
    _request_, quote = accepted
    response = client.post(reverse("payments:pay_service_quote", args=[quote.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_staff_sees_but_cannot_pay(client, sp, accepted):
    _request_, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    client.force_login(sp.staff)
    page = client.get(pr.get_absolute_url())
    assert (
        page.status_code == 200 and reverse("payments:card", args=[pr.reference]) not in page.content.decode()
    )
    assert client.get(reverse("payments:card", args=[pr.reference])).status_code == 403


def test_quote_not_accepted_is_not_payable(client, sp):
    request, quote = _request(sp, accept=False)
    client.force_login(sp.requester)
    response = client.post(reverse("payments:pay_service_quote", args=[quote.pk]))
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert not PaymentRequest.objects.exists()
    assert (
        reverse("payments:pay_service_quote", args=[quote.pk])
        not in client.get(request.get_absolute_url()).content.decode()
    )


def test_exactly_one_of_milestone_or_quote(sp, accepted):
    _request_, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    with transaction.atomic(), pytest.raises(IntegrityError):
        PaymentRequest.objects.filter(pk=pr.pk).update(service_quote=None)
    with transaction.atomic(), pytest.raises(IntegrityError):
        PaymentRequest.objects.create(
            reference="TXZZZZZZZ",
            amount_vnd=1,
            description="x",
            exchange_percent=100,
            broker_percent=0,
            authors_percent=0,
        )


def test_cancel_refunds_and_nets_the_ledger(sp, accepted):
    _request_, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    services.payment_confirm_receipt(actor=sp.staff, payment_request=pr, amount_vnd=TOTAL, bank_txn_id="T9")
    services.payment_request_cancel(
        actor=sp.staff, payment_request=pr, reason="Hủy dịch vụ", bank_refund_reference="OUT-9"
    )
    pr.refresh_from_db()
    assert pr.status == "refunded" and pr.refunded_vnd == TOTAL
    assert balance(AccountKind.EXCHANGE_COMMISSION) == 0
    # A new payment request may be made for the quote afterwards.
    again = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    assert again.pk != pr.pk and again.is_payable


# --- bank statements -----------------------------------------------------------------------------------
def test_statement_matches_tx_code_and_quote_reference(sp, accepted):
    request_a, quote_a = accepted
    request_b, quote_b = _request(sp, description="Rà soát hợp đồng")
    pr_a = services.payment_request_for_service_quote(actor=sp.requester, quote=quote_a)
    pr_b = services.payment_request_for_service_quote(actor=sp.requester, quote=quote_b)
    data = csv_bytes(
        ("2026-11-20", TOTAL, f"CONG TY A CK {pr_a.reference}", "BANK-1"),
        ("2026-11-20", 5_000_000, f"thanh toan dv {request_b.pk} v{quote_b.version}", "BANK-2"),
        ("2026-11-21", 3_000_000, "khong ro", "BANK-3"),
    )
    statement = services.bank_statement_import(actor=sp.staff, data=data, filename="sk.csv")
    counts = statement.report["counts"]
    assert counts["matched"] == 1 and counts["partial"] == 1 and counts["unknown"] == 1
    pr_a.refresh_from_db()
    pr_b.refresh_from_db()
    assert (
        pr_a.status == "paid" and pr_b.status == "partially_paid" and pr_b.remaining_vnd == TOTAL - 5_000_000
    )
    assert statement.report["partial"][0]["reference"] == pr_b.reference
    # The rest by the hyphenated quote reference.
    data = csv_bytes(("2026-11-22", TOTAL - 5_000_000, f"DV-{request_b.pk}-v{quote_b.version}", "BANK-4"))
    services.bank_statement_import(actor=sp.staff, data=data, filename="sk2.csv")
    pr_b.refresh_from_db()
    assert pr_b.status == "paid"
    assert balance(AccountKind.EXCHANGE_COMMISSION) == -2 * TOTAL
    assert selectors.reconciliation()["bank"]["difference"] == 0


def test_statement_overpayment_owed_back_to_requesting_org(sp, accepted):
    _request_, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    data = csv_bytes(("2026-11-20", TOTAL + 500_000, pr.reference, "BANK-O"))
    services.bank_statement_import(actor=sp.staff, data=data, filename="sk.csv")
    pr.refresh_from_db()
    assert pr.status == "overpaid"
    assert balance(AccountKind.BUYER_CLEARING, organization=sp.org) == -500_000
    assert balance(AccountKind.EXCHANGE_COMMISSION) == -TOTAL


# --- cards (localstripe) ---------------------------------------------------------------------------------
def test_card_payment_and_webhook(sp, accepted, stripe_settings, localstripe_server, client):
    request, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.org_signatory, quote=quote)
    started = services.stripe_payment_start(actor=sp.org_signatory, payment_request=pr)
    assert started["amount_vnd"] == TOTAL
    intent = raw_intent(localstripe_server, started["intent_id"])
    assert intent["metadata"]["service_quote"] == str(quote.pk)
    result = services.stripe_payment_confirm(
        actor=sp.org_signatory, payment_request=pr, payment_method="pm_card_visa"
    )
    assert result == {"status": "succeeded"}
    pr.refresh_from_db()
    assert pr.status == "paid"
    assert balance(AccountKind.PROVIDER_CLEARING, provider="stripe") == TOTAL
    assert balance(AccountKind.EXCHANGE_COMMISSION) == -TOTAL
    payload = event_for(raw_intent(localstripe_server, started["intent_id"]))
    response = post_webhook(client, payload, sign(payload))
    assert response.status_code == 200 and response.content == b"already_recorded"
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED


def test_webhook_records_quote_payment(sp, accepted, stripe_settings, localstripe_server, client):
    _request_, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    started = services.stripe_payment_start(actor=sp.requester, payment_request=pr)
    from exchange.payments.providers.stripe_card import client as stripe_client

    c = stripe_client()
    c.v1.payment_intents.update(started["intent_id"], params={"payment_method": "pm_card_visa"})
    c.v1.payment_intents.confirm(started["intent_id"])
    payload = event_for(raw_intent(localstripe_server, started["intent_id"]))
    response = post_webhook(client, payload, sign(payload))
    assert response.status_code == 200 and response.content == b"recorded"
    pr.refresh_from_db()
    assert pr.status == "paid" and pr.payments.get().provider == "stripe"
    assert Notification.objects.filter(recipient=sp.staff, kind="support_request_paid").exists()


@pytest.mark.parametrize("who", ["colleague", "stranger", "staff"])
def test_only_requester_side_starts_a_card_payment(sp, accepted, stripe_settings, who):
    from django.core.exceptions import PermissionDenied

    _request_, quote = accepted
    pr = services.payment_request_for_service_quote(actor=sp.requester, quote=quote)
    with pytest.raises(PermissionDenied):
        services.stripe_payment_start(actor=sp[who], payment_request=pr)
