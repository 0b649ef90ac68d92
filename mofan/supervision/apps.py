from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "mofan.supervision"
    label = "supervision"
    verbose_name = "督查督办"
