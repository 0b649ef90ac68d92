from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "mofan.organizations"
    label = "organizations"
    verbose_name = "组织"
