from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "mofan.rectification"
    label = "rectification"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from mofan.evaluations import events
        from mofan.rectification import events as own_events
        from mofan.rectification import receivers

        events.results_approved.connect(
            receivers.on_results_approved, dispatch_uid="rectification.results_approved"
        )
        own_events.rereview_decided.connect(
            receivers.on_rereview_decided, dispatch_uid="rectification.rereview_decided"
        )
