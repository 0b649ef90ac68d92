from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mofan.api"
    label = "api"
    verbose_name = "REST API"
