from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.indicators.fileformat import FormatError, parse_yaml, schema
from mofan.indicators.fileformat_xlsx import parse_xlsx
from mofan.indicators.services import system_import
from mofan.organizations.models import Committee


class Command(BaseCommand):
    help = "Import an indicator system version from YAML or xlsx; nothing is applied on error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="slug", help="store under this slug instead of the file's")
        parser.add_argument("--committee", help="committee code (default: a built-in template)")
        parser.add_argument("--publish", action="store_true", help="publish the imported version")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        slug_pattern = schema()["properties"]["slug"]["pattern"]
        if options["slug"] is not None and not re.fullmatch(slug_pattern, options["slug"]):
            raise CommandError(f"标识“{options['slug']}”无效：只能用小写字母、数字和“-”。")
        try:
            if path.suffix.lower() == ".xlsx":
                doc = parse_xlsx(path.read_bytes())
            else:
                doc = parse_yaml(path.read_text(encoding="utf-8"))
        except (FormatError, UnicodeDecodeError) as exc:
            if isinstance(exc, UnicodeDecodeError):
                raise CommandError("导入失败，未做任何修改：文件不是 UTF-8 编码的文本。") from exc
            where = "“指标”表的行号" if path.suffix.lower() == ".xlsx" else "文件的行号"
            lines = [f"  {p}" for p in exc.problems]
            raise CommandError(
                f"导入失败，未做任何修改（第 N 行为{where}）：\n" + "\n".join(lines)
            ) from exc
        committee = None
        if options["committee"]:
            committee = Committee.objects.filter(code=options["committee"]).first()
            if committee is None:
                raise CommandError(f"工委“{options['committee']}”不存在。")
        try:
            version = system_import(
                doc=doc,
                committee=committee,
                actor=None,
                publish=options["publish"],
                slug=options["slug"],
            )
        except ValidationError as exc:
            raise CommandError("导入失败，未做任何修改：\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(f"已导入 {version}（{version.nodes.count()} 个节点）。")
