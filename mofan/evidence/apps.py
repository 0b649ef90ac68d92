from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "mofan.evidence"
    label = "evidence"
    verbose_name = "佐证材料"

    def ready(self) -> None:
        # The apps whose records point at evidence files say so from their own
        # `evidence_uses.py` (usage.register, selectors.register_readers); evidence names none.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("evidence_uses")
