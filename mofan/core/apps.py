from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mofan.core"
    label = "core"
    verbose_name = "平台"

    def ready(self) -> None:
        from mofan.core import (
            checks,  # noqa: F401  (registers deploy checks)
            extensions,
            lookups,
        )

        lookups.register()  # out-of-range ids and NUL text match no row (see lookups.py)
        extensions.discover()  # every app's extensions.py fills the registries
