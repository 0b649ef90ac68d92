"""The corpus of further schemes (tests/indicators/corpus/, README there): each file imported
and compared node by node with its hand-checked expected tree stays at or above the precision
and recall recorded in levels.json (raise a level when the importer gets better)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from mofan.devtools.bench_import import corpus_files, expected_for, measure_file
from mofan.indicators.doc_import.measure import ASPECTS, score

CORPUS = Path(__file__).parents[1] / "corpus"
LEVELS = json.loads((CORPUS / "levels.json").read_text(encoding="utf-8"))


def test_the_corpus_has_at_least_twelve_schemes_each_with_its_expected_tree():
    files = corpus_files(CORPUS)
    assert len(files) >= 12
    assert {p.name for p in files} == set(LEVELS)
    for path in files:
        assert expected_for(path).is_file(), path.name


@pytest.mark.parametrize("name", sorted(LEVELS))
def test_each_file_holds_its_recorded_level(name):
    got = measure_file(CORPUS / name)
    for aspect in ASPECTS:
        precision, recall = got[aspect]
        floor_p, floor_r = LEVELS[name][aspect]
        assert precision >= floor_p and recall >= floor_r, (name, aspect, got[aspect])


def test_the_measure_counts_misplaced_and_missing_nodes():
    want = [
        {"code": "1", "title": "政治建设", "points": 20, "method": "rollup"},
        {"code": "1.1", "title": "学习", "points": 20, "method": "manual"},
    ]
    got = [
        {"code": "1", "title": "政治建设（20分）", "points": 20, "method": "rollup"},
        {"code": "2", "title": "学习", "points": 20, "method": "manual"},
    ]
    result = score(got, want)
    assert result["titles"] == [0.5, 0.5]  # 1.1 read at the top is wrong at both codes
    assert result["points"] == [0.5, 0.5]
    assert score(want, want)["methods"] == [1.0, 1.0]


def test_bench_import_prints_a_line_per_file_and_a_summary():
    out = io.StringIO()
    call_command("bench_import", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(LEVELS) + 1
    assert lines[-1].startswith(f"doc_import: {len(LEVELS)} files, titles P=")
