from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The signed-in workspace of researchers, TTO managers and businesses (not the Wagtail admin)."""

    name = "exchange.portal"
    label = "portal"
    verbose_name = "Cổng người dùng"
