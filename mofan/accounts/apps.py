from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mofan.accounts"
    label = "accounts"
    verbose_name = "账号"
