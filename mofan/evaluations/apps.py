from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "mofan.evaluations"
    label = "evaluations"
    verbose_name = "考评"
