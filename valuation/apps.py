from django.apps import AppConfig


class ValuationConfig(AppConfig):
    """Valuation support (issue #8): methods engine, workspace and reports."""

    name = "valuation"
    verbose_name = "Định giá công nghệ"
