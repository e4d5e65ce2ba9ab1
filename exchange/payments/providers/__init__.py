"""Payment providers behind one interface (``base.PaymentProvider``); ``get_provider(code)`` finds one."""

from __future__ import annotations

from .base import PaymentProvider, ProviderRefused, ProviderUnavailable


def get_provider(code: str) -> PaymentProvider:
    from .bank_transfer import BankTransferProvider
    from .stripe_card import StripeCardProvider

    providers = {p.code: p for p in (BankTransferProvider(), StripeCardProvider())}
    return providers[code]


__all__ = ["PaymentProvider", "ProviderRefused", "ProviderUnavailable", "get_provider"]
