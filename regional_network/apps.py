from django.apps import AppConfig


class RegionalNetworkConfig(AppConfig):
    """Federation with the Southeast region's exchanges and the national exchange (issue #9)."""

    name = "regional_network"
    verbose_name = "Mạng lưới sàn vùng"
