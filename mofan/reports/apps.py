from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "mofan.reports"
    label = "reports"
    verbose_name = "统计报表与公文"

    def ready(self) -> None:
        # Exporters and documents register themselves when their modules are imported: every
        # app's `exporters.py` (reports' own: mofan.reports.exporters), the documents and the
        # upper-level package.
        from mofan.core.exports import registry

        registry.autodiscover("mofan.reports.documents", "mofan.reports.package")
