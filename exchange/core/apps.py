from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "exchange.core"
    label = "core"
    verbose_name = "Nhật ký, thông báo và tác vụ"

    def ready(self):
        # Register the shared notification kinds before any app's own kinds or any notify() call.
        from . import notifications  # noqa: F401
