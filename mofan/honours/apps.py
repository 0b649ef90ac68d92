from django.apps import AppConfig


class HonoursConfig(AppConfig):
    name = "mofan.honours"
    label = "honours"
    verbose_name = "评先评优"

    def ready(self) -> None:
        from mofan.evaluations import events
        from mofan.honours import receivers

        events.results_approved.connect(
            receivers.on_results_approved, dispatch_uid="honours.results_approved"
        )
