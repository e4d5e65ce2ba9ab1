from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Trang thông tin"

    def ready(self) -> None:
        from . import checks, notifications  # noqa: F401 - register the deploy check and the event notification kinds
