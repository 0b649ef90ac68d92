from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mofan.devtools.bench_import import measure_corpus, summary


class Command(BaseCommand):
    help = "Node-level precision and recall of document import over the corpus (make bench)."

    def add_arguments(self, parser: CommandParser) -> None:
        default = Path(settings.BASE_DIR) / "tests" / "indicators" / "corpus"
        parser.add_argument("--corpus", type=Path, default=default)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = measure_corpus(options["corpus"])
        for row in rows:
            self.stdout.write(json.dumps({"name": "doc_import", **row}, ensure_ascii=False))
        means = summary(rows)
        parts = ", ".join(f"{a} P={v[0]:.3f} R={v[1]:.3f}" for a, v in means.items())
        self.stdout.write(f"doc_import: {len(rows)} files, {parts}")
