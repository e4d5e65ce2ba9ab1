from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "exchange.core"
    label = "core"
    verbose_name = "Nhật ký, thông báo và tác vụ"
