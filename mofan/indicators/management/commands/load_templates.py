from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mofan.indicators.builtin import load_templates


class Command(BaseCommand):
    help = "Load the five built-in indicator templates (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for slug, created in load_templates():
            state = "已加载" if created else "已存在，未改动"
            self.stdout.write(f"{slug}: {state}")
