"""The accuracy of importing plan documents (issue 21), for `make bench`: each corpus file under
`tests/indicators/corpus/` is imported and its tree compared with the hand-checked expected
tree beside it (`<name>.expected.yaml`), node by node: precision and recall of titles, points
and methods (`mofan.indicators.doc_import.measure`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mofan.indicators.doc_import.draft import propose
from mofan.indicators.doc_import.extract import document_text
from mofan.indicators.doc_import.measure import ASPECTS, score, tree_nodes

SUFFIXES = (".txt", ".docx", ".pdf")


def corpus_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES)


def expected_for(path: Path) -> Path:
    return path.with_name(path.name[: -len(path.suffix)] + ".expected.yaml")


def measure_file(path: Path) -> dict[str, Any]:
    text = document_text(path.name, path.read_bytes())
    want = yaml.safe_load(expected_for(path).read_text(encoding="utf-8"))["nodes"]
    return {"file": path.name, **score(tree_nodes(propose(text).document.roots), want)}


def measure_corpus(directory: Path) -> list[dict[str, Any]]:
    return [measure_file(path) for path in corpus_files(directory)]


def summary(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    """The mean precision and recall per aspect over the corpus."""
    out = {}
    for aspect in ASPECTS:
        values = [row[aspect] for row in rows]
        out[aspect] = [
            round(sum(v[0] for v in values) / len(values), 3) if values else 0.0,
            round(sum(v[1] for v in values) / len(values), 3) if values else 0.0,
        ]
    return out
