from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development-only code: the demo data (`load_demo`, `demo_accounts`), the campaign
    simulation (`campaign_simulate`), the province-scale seed (`seed_scale`) and the timed bench
    (`bench`). The top layer beside `home`: it may import every app, and no production module
    imports it. Installed only outside production (settings.py), so in production its commands
    do not exist."""

    name = "mofan.devtools"
    label = "devtools"
    verbose_name = "开发工具"
