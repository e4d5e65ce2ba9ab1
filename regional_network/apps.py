from django.apps import AppConfig


class RegionalNetworkConfig(AppConfig):
    """Federation with the Southeast region's exchanges and the national exchange (issue #9)."""

    name = "regional_network"
    verbose_name = "Mạng lưới sàn vùng"

    def ready(self) -> None:
        from listings.services import register_public_change_hook

        from . import changelog, notifications  # noqa: F401 - registers notification kinds

        # After commit, whenever one of our listings' public version changes: append to the change log.
        register_public_change_hook(changelog.on_public_change)
