from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Support-service requests (consulting, brokerage, valuation, …): staff workflow and quotes."""

    name = "exchange.support"
    label = "support"
    verbose_name = "Dịch vụ hỗ trợ"

    def ready(self) -> None:
        from . import notifications  # noqa: F401 - registers the notification kinds
