"""`manage.py bench` (what `make bench` runs): see mofan/devtools/bench.py and
docs/performance.md."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.devtools import bench, bench_items


class Command(BaseCommand):
    help = (
        "Time the fixed page and job suite at two sizes on SQLite and, when reachable, "
        "PostgreSQL; one JSON object per line, then 'bench: N ok, M over budget'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sizes",
            default=",".join(str(s) for s in bench.DEFAULT_SIZES),
            help="comma-separated unit counts (default 70,20000)",
        )
        parser.add_argument(
            "--db",
            choices=("auto", "sqlite", "postgresql"),
            default="auto",
            help="auto: SQLite, and PostgreSQL when reachable",
        )
        parser.add_argument(
            "--pg-url",
            default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            help="server of the PostgreSQL bench databases (mofan_bench_<units>)",
        )
        parser.add_argument(
            "--pg-prefix", default=bench.PG_PREFIX, help="PostgreSQL databases <prefix>_<units>"
        )
        parser.add_argument("--var", default=str(Path(settings.BASE_DIR) / "var" / "bench"))
        parser.add_argument("--repeat", type=int, default=bench.REPEAT)
        parser.add_argument(
            "--strict", action="store_true", help="exit with status 1 when a budget is missed"
        )
        # The child processes the suite starts (not for direct use).
        parser.add_argument("--worker", choices=("seed", "pages", "item"), help="internal")
        parser.add_argument("--item", choices=bench.ITEMS, help="internal")
        parser.add_argument("--campaign", type=int, help="internal")
        parser.add_argument("--units", type=int, help="internal")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = options["worker"]
        if worker == "seed":
            self.stdout.write(json.dumps({"campaign_id": bench.seed(options["units"])}))
            return
        if worker == "pages":
            for row in bench.time_pages(
                options["campaign"], options["units"], options["db"], options["repeat"]
            ):
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            return
        if worker == "item":
            row = bench_items.time_item(
                options["item"], options["campaign"], options["units"], options["db"]
            )
            self.stdout.write(json.dumps(row, ensure_ascii=False))
            return
        try:
            sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        except ValueError as exc:
            raise CommandError("--sizes: comma-separated whole numbers") from exc
        if not sizes or min(sizes) < 1:
            raise CommandError("--sizes: at least one positive size")
        if options["repeat"] < 1:
            raise CommandError("--repeat: at least 1")

        def out(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        def say(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        _ok, over = bench.run_suite(
            sizes=sizes,
            dbs=None if options["db"] == "auto" else [options["db"]],
            var=Path(options["var"]),
            pg_url=options["pg_url"],
            pg_prefix=options["pg_prefix"],
            repeat=options["repeat"],
            out=out,
            say=say,
        )
        if over and options["strict"]:
            raise SystemExit(1)
