from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "mofan.cases"
    label = "cases"
    verbose_name = "党建品牌案例"
