from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "mofan.evaluations"
    label = "evaluations"
    verbose_name = "考评"

    def ready(self) -> None:
        from mofan.activities import events as ledger
        from mofan.campaigns import events
        from mofan.evaluations import receivers
        from mofan.organizations import events as roster

        events.units_enrolled.connect(
            receivers.on_units_enrolled, dispatch_uid="evaluations.units_enrolled"
        )
        events.campaign_changed.connect(
            receivers.on_campaign_changed, dispatch_uid="evaluations.campaign_changed"
        )
        events.units_enrolled.connect(
            receivers.on_units_enrolled_ledger, dispatch_uid="evaluations.units_enrolled.ledger"
        )
        events.campaign_changed.connect(
            receivers.on_campaign_changed_ledger, dispatch_uid="evaluations.campaign_changed.ledger"
        )
        events.leadership_changed.connect(
            receivers.on_leadership_changed, dispatch_uid="evaluations.leadership_changed"
        )
        ledger.records_changed.connect(
            receivers.on_ledger_changed, dispatch_uid="evaluations.records_changed"
        )
        roster.roster_changed.connect(
            receivers.on_ledger_changed, dispatch_uid="evaluations.roster_changed"
        )
