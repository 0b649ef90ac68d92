from django.apps import AppConfig


class HonoursConfig(AppConfig):
    name = "mofan.honours"
    label = "honours"
    verbose_name = "评先评优"
