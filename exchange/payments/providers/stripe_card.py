"""Card payments through Stripe PaymentIntents with the real ``stripe`` library.

The server creates the PaymentIntent with the amount and currency of our payment request (the browser
never sends an amount), with an idempotency key built from our ids. The browser only collects the card
with Stripe.js and hands back a PaymentMethod id (or, with localstripe's fake Stripe.js, a card token);
the server attaches it and confirms. ``STRIPE_API_BASE`` points the library at localstripe locally.

localstripe 1.15 notes (checked in its source): ``confirm`` with a ``payment_method`` answers 500 "Not
implemented", so we set the method with an update first and confirm without one — valid on real Stripe
too. Its fake Stripe.js has no ``createPaymentMethod``; ``createToken`` works, and a token's card id
(``card_…``) is accepted as a PaymentIntent's payment method.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.utils.translation import gettext as _

from .. import conf
from .base import PaymentProvider


def client() -> stripe.StripeClient:
    base = conf.stripe_api_base()
    kwargs: dict[str, Any] = {"max_network_retries": 2}
    if base:
        kwargs["base_addresses"] = {"api": base}
    return stripe.StripeClient(conf.stripe_secret_key(), **kwargs)


def to_stripe_amount(amount_vnd: int, currency: str = "vnd") -> int:
    """VND is zero-decimal at Stripe: 500.000 VND is ``amount=500000``."""
    if currency.lower() not in conf.ZERO_DECIMAL_CURRENCIES:
        raise ValueError("Only zero-decimal currencies are charged here.")
    return int(amount_vnd)


class StripeCardProvider(PaymentProvider):
    code = "stripe"

    @property
    def label(self) -> str:
        return _("Thẻ quốc tế (Stripe)")

    def refusal(self, payment_request) -> str | None:
        cap = conf.stripe_max_amount(payment_request.currency)
        amount = payment_request.remaining_vnd
        if cap is not None and amount > cap:
            return _(
                "Số tiền %(amount)s VND vượt mức tối đa %(cap)s VND cho một lần thanh toán thẻ qua Stripe. "
                "Vui lòng thanh toán bằng chuyển khoản ngân hàng (VietQR), hoặc đề nghị bên chuyển giao chia "
                "mốc thanh toán thành nhiều khoản nhỏ hơn."
            ) % {"amount": f"{amount:,}".replace(",", "."), "cap": f"{cap:,}".replace(",", ".")}
        return None

    def instructions(self, payment_request) -> dict[str, Any]:
        return {"publishable_key": conf.stripe_publishable_key(), "js_url": conf.stripe_js_url()}

    # --- calls to Stripe (never inside a database transaction) ---------------------------------------
    def create_intent(self, payment_request, *, attempt: int) -> stripe.PaymentIntent:
        return client().v1.payment_intents.create(
            params={
                "amount": to_stripe_amount(payment_request.remaining_vnd, payment_request.currency),
                "currency": payment_request.currency,
                "payment_method_types": ["card"],
                "metadata": {
                    "payment_request": str(payment_request.pk),
                    "reference": payment_request.reference,
                    "deal": str(payment_request.deal_id or ""),
                    "service_quote": str(payment_request.service_quote_id or ""),
                    "attempt": str(attempt),
                },
            },
            options={"idempotency_key": f"techex-pr-{payment_request.pk}-intent-{attempt}"},
        )

    def retrieve_intent(self, intent_id: str) -> stripe.PaymentIntent:
        return client().v1.payment_intents.retrieve(intent_id)

    def confirm_intent(
        self, intent_id: str, *, payment_method: str, attempt_key: str
    ) -> stripe.PaymentIntent:
        c = client()
        c.v1.payment_intents.update(
            intent_id,
            params={"payment_method": payment_method},
            options={"idempotency_key": f"{attempt_key}-pm"},
        )
        return c.v1.payment_intents.confirm(intent_id, options={"idempotency_key": f"{attempt_key}-confirm"})

    def card_from_token(self, token_id: str) -> str:
        """The card id of a Stripe.js token (localstripe's fake Stripe.js gives tokens, not methods)."""
        token = client().v1.tokens.retrieve(token_id)
        return token["card"]["id"]

    def refund(self, refund, *, external_id: str = "") -> tuple[bool, str, str]:
        intent = external_id
        try:
            result = client().v1.refunds.create(
                params={
                    "payment_intent": intent,
                    "amount": to_stripe_amount(refund.amount_vnd),
                    "metadata": {"refund": str(refund.pk), "reference": refund.payment_request.reference},
                },
                options={"idempotency_key": f"techex-refund-{refund.pk}"},
            )
        except stripe.StripeError as exc:
            return False, "", str(getattr(exc, "user_message", None) or exc)
        result = result.to_dict()
        if result["status"] in ("succeeded", "pending"):
            return True, result["id"], ""
        return False, result["id"], result.get("failure_reason") or result["status"]
