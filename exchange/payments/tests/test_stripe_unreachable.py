"""Fault test (issue #11): Stripe unreachable. The real ``stripe`` library is pointed at a closed loopback
port (nothing listens, so every call fails the way a network outage does), then back at the real
localstripe. The person gets a retryable answer they understand, nothing is recorded as paid, and the
retry once Stripe is back makes exactly one charge."""

import json
import socket

import pytest
from django.urls import reverse

from exchange.deals.models import DealMilestone
from exchange.payments import services
from exchange.payments.models import Payment

from .test_stripe import raw_intent

pytestmark = pytest.mark.django_db
AMOUNT = 5_000_000


def _closed_port_url() -> str:
    """A loopback URL where nothing listens: the port was bound once, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def small_pr(p, executing, stripe_settings):
    milestone = DealMilestone.objects.create(
        deal=executing, kind="payment", label="Phí dịch vụ hỗ trợ", amount_vnd=AMOUNT, position=9
    )
    return services.payment_request_create(actor=p.seller_signatory, milestone=milestone)


def _confirm(client, pr):
    return client.post(
        reverse("payments:card_confirm", args=[pr.reference]),
        data=json.dumps({"payment_method": "pm_card_visa"}),
        content_type="application/json",
    )


def test_card_page_with_stripe_down_redirects_with_message(p, small_pr, stripe_settings, client):
    stripe_settings.STRIPE_API_BASE = _closed_port_url()
    client.force_login(p.buyer)
    response = client.get(reverse("payments:card", args=[small_pr.reference]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == small_pr.get_absolute_url()
    assert "Không kết nối được cổng thanh toán thẻ" in response.content.decode()
    small_pr.refresh_from_db()
    assert small_pr.status == "open" and small_pr.paid_vnd == 0
    assert not small_pr.stripe_payment_intent
    assert not Payment.objects.filter(payment_request=small_pr).exists()


def test_confirm_with_stripe_down_is_retryable_and_retry_charges_once(
    p, small_pr, stripe_settings, localstripe_server, client
):
    client.force_login(p.buyer)
    assert client.get(reverse("payments:card", args=[small_pr.reference])).status_code == 200
    small_pr.refresh_from_db()
    intent_id = small_pr.stripe_payment_intent
    assert intent_id

    # Stripe goes away between the card page and the confirmation.
    stripe_settings.STRIPE_API_BASE = _closed_port_url()
    down = _confirm(client, small_pr)
    assert down.status_code == 503 and down["Retry-After"]
    body = down.json()
    assert body["status"] == "retry" and body["retryable"] is True
    assert "Chưa có khoản tiền nào bị trừ" in body["message"]
    small_pr.refresh_from_db()
    assert small_pr.status == "open" and small_pr.paid_vnd == 0
    assert small_pr.stripe_payment_intent == intent_id  # kept: the retry confirms the same intent
    assert not Payment.objects.filter(payment_request=small_pr).exists()
    assert raw_intent(localstripe_server, intent_id)["status"] != "succeeded"

    # Stripe is back: the same button press succeeds, once.
    stripe_settings.STRIPE_API_BASE = localstripe_server
    again = _confirm(client, small_pr)
    assert again.status_code == 200 and again.json()["status"] == "succeeded"
    # A second press (a double click, a browser retry) is refused and charges nothing more.
    third = _confirm(client, small_pr)
    assert third.status_code == 400
    small_pr.refresh_from_db()
    assert small_pr.status == "paid" and small_pr.paid_vnd == AMOUNT
    assert Payment.objects.filter(payment_request=small_pr).count() == 1
    intent = raw_intent(localstripe_server, intent_id)
    assert intent["status"] == "succeeded" and intent["amount"] == AMOUNT
    charges = intent.get("charges", {}).get("data") or [intent.get("latest_charge")]
    assert len([c for c in charges if c]) == 1
