from django.apps import AppConfig


class ValuationConfig(AppConfig):
    """Valuation support (issue #8): methods engine, workspace and reports."""

    name = "valuation"
    verbose_name = "Định giá công nghệ"

    def ready(self):
        from exchange.support.models import ServiceKind
        from exchange.support.services import register_assign_hook

        from . import notifications  # noqa: F401  (registers the notification kinds)
        from .services import valuation_open_for_service_request

        # Expert valuation (#6 × #8): assigning an appraiser to a valuation request opens its workspace.
        register_assign_hook(ServiceKind.VALUATION, valuation_open_for_service_request)
