from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mofan.indicators.doc_import.draft import propose
from mofan.indicators.doc_import.extract import ExtractError, decode_text, document_text


class Command(BaseCommand):
    help = (
        "Propose a draft indicator system from a plan document (.docx, .pdf with a text layer, "
        ".txt or any text file); writes the draft YAML, with the unrecognised lines as comments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
        parser.add_argument("--name", default="", help="the system's name (default: guessed)")
        parser.add_argument("--year", type=int, help="the year (default: the first one named)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        data = path.read_bytes()
        try:
            if path.suffix.lower() in (".docx", ".pdf"):
                text = document_text(path.name, data)
            else:
                text = decode_text(data)
        except ExtractError as exc:
            raise CommandError(str(exc)) from exc
        proposal = propose(
            text,
            name=options["name"],
            year=options["year"],
            source=path.name,
            default_year=timezone.localdate().year,
        )
        output = proposal.yaml()
        if options["output"]:
            options["output"].write_text(output, encoding="utf-8")
            unknown = sum(1 for line in proposal.unrecognised if line.text.strip())
            self.stderr.write(
                f"{options['output']}: {sum(1 for _ in _nodes(proposal))} 个节点，"
                f"{len(proposal.mismatches)} 处分值不一致，{unknown} 行未识别。"
            )
        else:
            sys.stdout.write(output)


def _nodes(proposal: Any) -> Any:
    from mofan.indicators.tree import walk

    return walk(proposal.document.roots)
