from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mofan.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from mofan.accounts import checks  # noqa: F401  (registers the deploy checks)
