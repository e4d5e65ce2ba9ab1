from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Trang thông tin"

    def ready(self) -> None:
        from . import notifications  # noqa: F401 - registers the event notification kinds
