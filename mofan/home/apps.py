from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The pages that gather everything: the home page per role, the navigation and the error
    pages. The top layer: it may import every app, and no app imports it."""

    name = "mofan.home"
    label = "home"
    verbose_name = "首页"
