from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "mofan.reports"
    label = "reports"
    verbose_name = "统计报表与公文"

    def ready(self) -> None:
        # Exporters and documents register themselves when their modules are imported.
        from mofan.reports import registry

        registry.autodiscover()
