from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = "Công nghệ và nhu cầu"

    def ready(self) -> None:
        from . import (
            notifications,  # noqa: F401 - registers the notification kinds
            privacy,
        )

        privacy.register()
        from .search import indexing  # search: reindex on every public change (issue #5)

        indexing.connect()
        from . import saved_searches  # alerts for saved searches on every public change (issue #5)

        saved_searches.connect()
        from . import cache  # cached public fragments and choice lists go stale on every change (#10)

        cache.connect()
