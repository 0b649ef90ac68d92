from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "mofan.indicators"
    label = "indicators"
    verbose_name = "考评指标体系"
