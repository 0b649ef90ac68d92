from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "mofan.evidence"
    label = "evidence"
    verbose_name = "佐证材料"
