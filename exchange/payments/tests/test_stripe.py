"""Card payments with the real ``stripe`` library against a real localstripe: success, decline, refund,
webhooks (signed by us like Stripe, replayed, forged, altered; and one delivered by localstripe itself),
amount tampering, and the per-charge cap."""

import hashlib
import hmac
import json
import time
import urllib.request

import pytest
from django.urls import reverse

from exchange.core.models import AuditLog, Notification
from exchange.deals.models import DealMilestone
from exchange.payments import selectors, services
from exchange.payments.models import Account, AccountKind, PaymentRequest, StripeEvent
from exchange.payments.providers import ProviderRefused
from exchange.payments.providers.stripe_card import client

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
AMOUNT = 5_000_000
WEBHOOK = "/payments/stripe/webhook/"


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def raw_intent(base: str, intent_id: str) -> dict:
    request = urllib.request.Request(
        f"{base}/v1/payment_intents/{intent_id}", headers={"Authorization": "Bearer sk_test_payments"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def event_for(intent: dict, kind: str = "payment_intent.succeeded", event_id: str = "") -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{intent['id']}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "api_version": "2017-08-15",
            "data": {"object": intent},
        }
    ).encode()


def post_webhook(client_, payload: bytes, signature: str):
    return client_.post(
        WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@pytest.fixture
def small_pr(p, executing, stripe_settings):
    milestone = DealMilestone.objects.create(
        deal=executing, kind="payment", label="Phí dịch vụ hỗ trợ", amount_vnd=AMOUNT, position=9
    )
    return services.payment_request_create(actor=p.seller_signatory, milestone=milestone)


def test_card_success_then_webhook_twice(p, small_pr, stripe_settings, localstripe_server, client):
    started = services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)
    assert started["amount_vnd"] == AMOUNT and started["client_secret"]
    # Starting again before paying reuses the same PaymentIntent (same amount).
    assert (
        services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)["intent_id"]
        == started["intent_id"]
    )
    result = services.stripe_payment_confirm(
        actor=p.buyer, payment_request=small_pr, payment_method="pm_card_visa"
    )
    assert result == {"status": "succeeded"}
    small_pr.refresh_from_db()
    assert small_pr.status == "paid" and small_pr.paid_vnd == AMOUNT
    stripe_account = Account.objects.get(kind=AccountKind.PROVIDER_CLEARING, provider="stripe")
    assert sum(stripe_account.lines.values_list("amount_vnd", flat=True)) == AMOUNT

    payload = event_for(raw_intent(localstripe_server, started["intent_id"]))
    first = post_webhook(client, payload, sign(payload))
    assert first.status_code == 200 and first.content == b"already_recorded"
    second = post_webhook(client, payload, sign(payload))
    assert second.status_code == 200 and second.content == b"duplicate"
    assert StripeEvent.objects.count() == 1
    small_pr.refresh_from_db()
    assert small_pr.paid_vnd == AMOUNT and small_pr.payments.count() == 1


def test_webhook_records_payment_when_browser_confirmed(p, small_pr, localstripe_server, client):
    started = services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)
    # The browser confirmed with Stripe directly; only the webhook tells us.
    stripe = client_ = None  # noqa: F841
    c = __import__("exchange.payments.providers.stripe_card", fromlist=["client"]).client()
    c.v1.payment_intents.update(started["intent_id"], params={"payment_method": "pm_card_visa"})
    c.v1.payment_intents.confirm(started["intent_id"])
    payload = event_for(raw_intent(localstripe_server, started["intent_id"]))
    response = post_webhook(client, payload, sign(payload))
    assert response.status_code == 200 and response.content == b"recorded"
    small_pr.refresh_from_db()
    assert small_pr.status == "paid"


def test_card_declined(p, small_pr):
    services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)
    result = services.stripe_payment_confirm(
        actor=p.buyer, payment_request=small_pr, payment_method="pm_card_chargeCustomerFail"
    )
    assert result["status"] == "failed" and "declined" in result["message"].lower()
    small_pr.refresh_from_db()
    assert small_pr.status == "open" and small_pr.paid_vnd == 0
    assert Notification.objects.filter(recipient=p.buyer_signatory, kind="payment_failed").exists()
    assert AuditLog.objects.filter(action="payment.card_failed", target_id=str(small_pr.pk)).exists()


def test_declined_card_number_then_retry(p, small_pr):
    # localstripe 1.15 declines 4000000000000002 only when attaching it to a customer (no charge is
    # made); the card it declines when charging is 4000000000000341, used here.
    pm = client().v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4000000000000341", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)
    result = services.stripe_payment_confirm(actor=p.buyer, payment_request=small_pr, payment_method=pm["id"])
    assert result["status"] == "failed"
    # Retry with 4242… on the same request succeeds.
    pm_ok = client().v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)
    assert (
        services.stripe_payment_confirm(actor=p.buyer, payment_request=small_pr, payment_method=pm_ok["id"])[
            "status"
        ]
        == "succeeded"
    )


def test_refund_on_cancel_and_reconciliation(p, small_pr):
    services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)
    services.stripe_payment_confirm(actor=p.buyer, payment_request=small_pr, payment_method="pm_card_visa")
    services.payment_request_cancel(actor=p.staff, payment_request=small_pr, reason="Mốc hỗ trợ bị hủy")
    small_pr.refresh_from_db()
    assert small_pr.status == "refunded" and small_pr.refunded_vnd == AMOUNT
    refund = small_pr.refunds.get()
    assert refund.status == "succeeded" and refund.external_id.startswith("re_")
    for account in Account.objects.all():
        assert sum(account.lines.values_list("amount_vnd", flat=True)) == 0
    recon = selectors.reconciliation(stripe_client=client())
    assert recon["stripe"]["ok"], recon["stripe"]
    assert recon["stripe"]["ledger"]["received"] == AMOUNT and recon["stripe"]["ledger"]["refunded"] == AMOUNT


def test_forged_and_altered_webhooks_rejected(p, small_pr, localstripe_server, client):
    started = services.stripe_payment_start(actor=p.buyer, payment_request=small_pr)
    c = __import__("exchange.payments.providers.stripe_card", fromlist=["client"]).client()
    c.v1.payment_intents.update(started["intent_id"], params={"payment_method": "pm_card_visa"})
    c.v1.payment_intents.confirm(started["intent_id"])
    payload = event_for(raw_intent(localstripe_server, started["intent_id"]))
    assert post_webhook(client, payload, sign(payload, secret="whsec_wrong")).status_code == 400
    assert post_webhook(client, payload, "").status_code == 400
    altered = payload.replace(str(AMOUNT).encode(), b"1", 1)
    assert post_webhook(client, altered, sign(payload)).status_code == 400
    stale = post_webhook(client, payload, sign(payload, t=int(time.time()) - 3600))
    assert stale.status_code == 400
    assert not StripeEvent.objects.exists()
    small_pr.refresh_from_db()
    assert small_pr.status == "open" and small_pr.paid_vnd == 0


def test_unknown_event_type_acknowledged(client, stripe_settings, db):
    payload = json.dumps(
        {"id": "evt_x1", "object": "event", "type": "customer.created", "data": {"object": {}}}
    ).encode()
    response = post_webhook(client, payload, sign(payload))
    assert response.status_code == 200 and response.content == b"ignored"
    assert StripeEvent.objects.get(event_id="evt_x1").outcome == "ignored"


def test_processing_error_answers_500_and_keeps_no_event(client, small_pr):
    # A succeeded intent for our request missing fields we read makes the handler fail: 500, no event
    # row, so Stripe's retry is processed again.
    intent = {
        "id": "pi_1",
        "metadata": {"payment_request": str(small_pr.pk), "reference": small_pr.reference},
    }
    payload = json.dumps(
        {
            "id": "evt_broken",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": intent},
        }
    ).encode()
    response = post_webhook(client, payload, sign(payload))
    assert response.status_code == 500
    assert not StripeEvent.objects.filter(event_id="evt_broken").exists()


def test_amount_tampering_refused(p, small_pr, localstripe_server, client):
    # From the browser: an amount in the confirm request is ignored; the intent carries our amount.
    client.force_login(p.buyer)
    page = client.get(reverse("payments:card", args=[small_pr.reference]))
    assert page.status_code == 200
    small_pr.refresh_from_db()
    response = client.post(
        reverse("payments:card_confirm", args=[small_pr.reference]),
        data=json.dumps({"payment_method": "pm_card_visa", "amount": 1, "currency": "usd"}),
        content_type="application/json",
    )
    assert response.json()["status"] == "succeeded"
    intent = raw_intent(localstripe_server, small_pr.stripe_payment_intent)
    assert intent["amount"] == AMOUNT and intent["currency"] == "vnd"

    # An intent for 1 VND pointing at another request (made with our key, e.g. by a compromised
    # script) is never counted, even with a valid signature.
    milestone = DealMilestone.objects.create(
        deal=small_pr.deal, kind="payment", label="Khác", amount_vnd=AMOUNT
    )
    other = services.payment_request_create(actor=p.staff, milestone=milestone)
    services.stripe_payment_start(actor=p.buyer, payment_request=other)
    forged = client_intent = client_ = None  # noqa: F841
    c = __import__("exchange.payments.providers.stripe_card", fromlist=["client"]).client()
    cheap = c.v1.payment_intents.create(
        params={
            "amount": 1,
            "currency": "vnd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"payment_request": str(other.pk), "reference": other.reference},
        }
    )
    payload = event_for(raw_intent(localstripe_server, cheap["id"]))
    response = post_webhook(client, payload, sign(payload))
    assert response.status_code == 200 and response.content.startswith(b"rejected")
    other.refresh_from_db()
    assert other.status == "open" and other.paid_vnd == 0
    assert AuditLog.objects.filter(action="payment.stripe_rejected", target_id=str(other.pk)).exists()


def test_cap_refuses_with_bank_transfer_offer(p, milestones, stripe_settings, client):
    big = services.payment_request_create(actor=p.staff, milestone=milestones[0])  # 500,000,000 VND
    with pytest.raises(ProviderRefused) as exc:
        services.stripe_payment_start(actor=p.buyer, payment_request=big)
    assert "chuyển khoản" in exc.value.messages[0] and "99.999.999" in exc.value.messages[0]
    client.force_login(p.buyer)
    response = client.get(reverse("payments:card", args=[big.reference]), follow=True)
    assert response.redirect_chain and "chuyển khoản" in response.content.decode()
    stripe_settings.PAYMENTS_STRIPE_MAX_AMOUNT = {"vnd": 600_000_000}
    assert services.stripe_payment_start(actor=p.buyer, payment_request=big)["amount_vnd"] == 500_000_000


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_localstripe_delivers_webhook_to_live_server(
    p, flow, live_server, stripe_settings, localstripe_server
):
    from exchange.payments.management.commands.payments_dev_stripe import register_webhook

    deal = flow.executing()
    milestone = DealMilestone.objects.create(deal=deal, kind="payment", label="Live", amount_vnd=AMOUNT)
    pr = services.payment_request_create(actor=p.staff, milestone=milestone)
    register_webhook(
        localstripe_server, name="pytest-live", url=f"{live_server.url}{WEBHOOK}", secret=WEBHOOK_SECRET
    )
    try:
        started = services.stripe_payment_start(actor=p.buyer, payment_request=pr)
        c = client()
        c.v1.payment_intents.update(started["intent_id"], params={"payment_method": "pm_card_visa"})
        c.v1.payment_intents.confirm(started["intent_id"])
        # Only this intent's event: localstripe may still be delivering other tests' events.
        mine = StripeEvent.objects.filter(
            type="payment_intent.succeeded", payload__data__object__id=started["intent_id"]
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if mine.exists():
                break
            time.sleep(0.3)
        event = mine.get()
        assert event.outcome == "recorded"
        assert PaymentRequest.objects.get(pk=pr.pk).status == "paid"
    finally:
        register_webhook(localstripe_server, name="pytest-live", url="http://127.0.0.1:9/", secret="x")
