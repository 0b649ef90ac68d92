from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.indicators.fileformat import dump_yaml
from mofan.indicators.fileformat_xlsx import dump_xlsx
from mofan.indicators.models import IndicatorVersion
from mofan.indicators.selectors import document_for


class Command(BaseCommand):
    help = "Export an indicator system version as YAML or xlsx."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--format", choices=["yaml", "xlsx"], default="yaml")
        parser.add_argument(
            "-o", "--output", type=Path, help="file to write (default: stdout, YAML only)"
        )
        parser.add_argument("--committee", help="committee code (default: the built-in template)")
        parser.add_argument(
            "--number", dest="number", type=int, help="version number (default: latest)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        versions = IndicatorVersion.objects.filter(system__slug=options["slug"]).select_related(
            "system"
        )
        if options["committee"]:
            versions = versions.filter(system__committee__code=options["committee"])
        else:
            versions = versions.filter(system__committee__isnull=True)
        if options["number"]:
            versions = versions.filter(number=options["number"])
        version = versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"找不到指标体系“{options['slug']}”。")
        doc = document_for(version)
        if options["format"] == "xlsx":
            if not options["output"]:
                raise CommandError("导出 xlsx 须用 -o 指定文件。")
            options["output"].write_bytes(dump_xlsx(doc))
        else:
            text = dump_yaml(doc)
            if options["output"]:
                options["output"].write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
        if options["output"]:
            self.stdout.write(f"已导出 {version}：{options['output']}")
