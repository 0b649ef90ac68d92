from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mofan.notifications"
    label = "notifications"
    verbose_name = "站内通知"
