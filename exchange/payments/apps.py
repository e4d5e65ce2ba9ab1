from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payment providers (bank transfer with VietQR, Stripe cards), the double-entry ledger, webhooks."""

    name = "exchange.payments"
    label = "payments"
    verbose_name = "Thanh toán"

    def ready(self) -> None:
        from . import notifications  # noqa: F401 - registers the notification kinds
