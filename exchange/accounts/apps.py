from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "exchange.accounts"
    label = "accounts"
    verbose_name = "Tài khoản và tổ chức"

    def ready(self):
        from . import audit, lockout, notifications  # noqa: F401  (audit receivers; notification kinds)

        lockout.connect()
