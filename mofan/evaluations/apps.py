from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "mofan.evaluations"
    label = "evaluations"
    verbose_name = "考评"

    def ready(self) -> None:
        from mofan.campaigns import events
        from mofan.evaluations import receivers

        events.units_enrolled.connect(
            receivers.on_units_enrolled, dispatch_uid="evaluations.units_enrolled"
        )
