from django.apps import AppConfig


class DealsConfig(AppConfig):
    """The trading floor: inquiries, NDAs, negotiation, contracts, signatures and execution."""

    name = "exchange.deals"
    label = "deals"
    verbose_name = "Giao dịch"

    def ready(self) -> None:
        from listings.permissions import register_confidential_grant

        from . import notifications  # noqa: F401 - registers the notification kinds
        from .permissions import nda_grants_confidential

        register_confidential_grant(nda_grants_confidential)
