"""What every payment provider offers the services.

A provider knows how the buyer pays (``instructions``), whether it can take a given request at all
(``refusal``), and how money goes back (``refund``). Recording received money and posting the ledger is
the services' job, the same for every provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from ..models import PaymentRequest, Refund


class ProviderRefused(ValidationError):
    """The provider cannot take this payment (e.g. above Stripe's per-charge cap); the message says what
    to do instead."""


class ProviderUnavailable(Exception):
    """The provider could not be reached or failed on its side (network, its own errors, its rate limit):
    nothing was recorded and the same attempt may simply be retried; the message says so."""


class PaymentProvider:
    code: str = ""
    label: str = ""

    def refusal(self, payment_request: PaymentRequest) -> str | None:
        """Why this provider cannot take the request, or None."""
        return None

    def instructions(self, payment_request: PaymentRequest) -> dict[str, Any]:
        """What the payment page shows the buyer."""
        return {}

    def refund(self, refund: Refund, *, external_id: str = "") -> tuple[bool, str, str]:
        """Send ``refund`` back through this provider: ``(succeeded, external_id, error)``.

        Called outside any database transaction (it may talk to the network)."""
        raise NotImplementedError
