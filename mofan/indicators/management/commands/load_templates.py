from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mofan.indicators.builtin import CREATED, UNCHANGED, UPDATED, load_templates


class Command(BaseCommand):
    help = (
        "Load the five built-in indicator templates; a template whose shipped file changed "
        "gets a new published version (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        said = {CREATED: "已加载", UPDATED: "模板已更新，已发布新版本", UNCHANGED: "已存在，未改动"}
        for slug, state in load_templates():
            self.stdout.write(f"{slug}: {said[state]}")
