from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "exchange.accounts"
    label = "accounts"
    verbose_name = "Tài khoản và tổ chức"
