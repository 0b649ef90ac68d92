"""The deadline-rush load test (`make loadtest`, scripts/loadtest.py): its figures, its lost-update
check, the evidence file it uploads, one tiny end-to-end run (gunicorn on SQLite, 3 unit
admins and 4 reviewers for 5 s) checking the report it prints, and a tiny scale-out run on
PostgreSQL (two servers, two task workers, a 200-unit approval as a task)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pypdfium2
import pytest

from mofan.evidence.checks import detect_kind
from mofan.evidence.models import EvidenceKind

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "loadtest.py"
_spec = importlib.util.spec_from_file_location("mofan_loadtest_script", SCRIPT)
assert _spec is not None and _spec.loader is not None
loadtest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(loadtest)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert loadtest.percentile(values, 50) == 50.0
    assert loadtest.percentile(values, 95) == 95.0
    assert loadtest.percentile(values, 99) == 99.0
    assert loadtest.percentile([7.0], 99) == 7.0
    assert loadtest.percentile([], 95) == 0.0


def test_the_last_acknowledged_write_is_the_highest_version():
    acks = [
        {"key": "self:1:10", "version": 2, "token": "a"},
        {"key": "self:1:10", "version": 4, "token": "c"},  # acknowledged out of order
        {"key": "self:1:10", "version": 3, "token": "b"},
    ]
    assert loadtest.lost_updates(acks, {"self:1:10": {"version": 4, "token": "c"}}) == []
    # an earlier acknowledged write is in the database: the last one was lost
    assert loadtest.lost_updates(acks, {"self:1:10": {"version": 3, "token": "b"}}) == ["self:1:10"]


def test_lost_updates_counts_missing_rows_other_text_and_unacknowledged_versions():
    acks = [
        {"key": "self:1:10", "version": 1, "token": "x"},
        {"key": "self:1:11", "version": 2, "token": "y"},
        {"key": "review:5:r1:10", "version": 1, "token": "z"},
        {"key": "review:5:r1:11", "version": 1, "token": "w"},
    ]
    stored = {
        "self:1:10": {"version": 1, "token": "x"},  # as acknowledged
        "self:1:11": {"version": 2, "token": "someone else"},  # same version, other text
        "review:5:r1:11": {"version": 2, "token": "w"},  # a write the client never saw
    }  # review:5:r1:10 is missing altogether
    assert loadtest.lost_updates(acks, stored) == [
        "review:5:r1:10",
        "review:5:r1:11",
        "self:1:11",
    ]
    assert loadtest.lost_updates([], stored) == []  # rows nobody acknowledged are not checked


def _samples(ms: list[float], failing: int = 0) -> list[dict]:
    return [
        {"kind": "self_save" if i % 2 else "dashboard", "ms": v, "ok": i >= failing}
        for i, v in enumerate(ms)
    ]


def test_report_line_has_the_figures_and_judges_the_budget():
    fast = _samples([10.0] * 99 + [400.0])
    line = loadtest.report(db="sqlite", samples=fast, duration_s=50.0, lost=0, locked=0)
    assert set(loadtest.REPORT_KEYS) <= set(line)
    assert line["requests"] == 100
    assert line["requests_per_s"] == 2.0
    assert (line["p50_ms"], line["p95_ms"], line["p99_ms"]) == (10.0, 10.0, 10.0)
    assert line["errors"] == 0
    assert line["ok"] is True
    assert line["by_kind"]["self_save"]["n"] == 50
    json.dumps(line)  # one JSON line

    slow = _samples([10.0] * 90 + [600.0] * 10)
    assert loadtest.report(db="sqlite", samples=slow, duration_s=1, lost=0, locked=0)["ok"] is False
    failed = loadtest.report(
        db="sqlite", samples=_samples([10.0] * 10, failing=1), duration_s=1, lost=0, locked=0
    )
    assert (failed["errors"], failed["ok"]) == (1, False)
    refused = loadtest.report(
        db="sqlite", samples=fast, failures=["upload"], duration_s=1, lost=0, locked=0
    )
    assert (refused["errors"], refused["by_kind"]["upload"]["errors"]) == (1, 1)
    assert refused["ok"] is False
    lost = loadtest.report(db="postgresql", samples=fast, duration_s=1, lost=1, locked=0)
    locked = loadtest.report(db="sqlite", samples=fast, duration_s=1, lost=0, locked=1)
    assert lost["ok"] is False and locked["ok"] is False
    assert loadtest.summary([line, lost, locked]) == "loadtest: 1 ok, 2 over budget"


def test_the_timeline_gives_each_ten_seconds_its_requests_and_p95():
    samples = [
        {"kind": "self_save", "ms": float(ms), "ok": True, "at": at}
        for at, ms in [(0.5, 10), (9.9, 30), (10.0, 500), (12.0, 20), (35.0, 7)]
    ]
    assert loadtest.timeline(samples) == [
        [0.0, 2, 30.0],
        [10.0, 2, 500.0],
        [30.0, 1, 7.0],  # a quiet window is left out, not shown as zero
    ]
    assert loadtest.timeline([]) == []


def test_cpu_use_is_the_difference_of_two_snapshots():
    before = {"driver": 1.0, "server": 10.0, "busy": 100.0, "total": 200.0}
    after = {"driver": 2.5, "server": 40.0, "busy": 190.0, "total": 320.0}
    used = loadtest.cpu_use(before, after)
    assert (used["driver_cpu_s"], used["server_cpu_s"], used["machine_busy_pct"]) == (
        1.5,
        30.0,
        75.0,
    )
    assert len(used["load_avg"]) == 3
    assert set(loadtest.cpu_use(None, after)) == {"load_avg"}  # no /proc: no CPU figures


def test_the_uploaded_evidence_is_a_real_one_page_pdf_different_each_time():
    first, second = loadtest.minimal_pdf("a 1"), loadtest.minimal_pdf("a 2")
    assert first != second  # the store deduplicates identical files
    assert detect_kind(first) == EvidenceKind.PDF
    document = pypdfium2.PdfDocument(first)
    assert len(document) == 1
    document.close()


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the scale-out run needs PostgreSQL: two servers and two task workers share one "
    "database, which SQLite cannot serve across processes; runs in the PostgreSQL pass",
)
def test_a_tiny_scale_out_run_approves_as_a_task_during_the_rush():
    """Two servers, two task workers, one PostgreSQL (a database of its own, next to the test
    database): the users answered by both servers, the 200-unit approval prepared and signed
    through the pages, done by one worker, every unit approved and frozen, nothing lost."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    own = parts._replace(path=f"{parts.path}_lt_scale_out", query="").geturl()
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--scale-out",
            "--pg-url",
            own,
            "--admins",
            "3",
            "--reviewers",
            "4",
            "--reviewed",
            "1",
            "--second-tabs",
            "0",
            "--duration",
            "8",
            "--think-min",
            "0.2",
            "--think-max",
            "0.8",
            "--upload-share",
            "0.3",
            "--approval-units",
            "200",
            "--approval-at",
            "1",
            "--approval-wait",
            "120",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    line = json.loads(lines[0])
    assert line["db"] == "postgresql-scale-out", line
    assert (line["servers"], line["task_workers"], line["task_workers_alive"]) == (2, 2, 2)
    assert all(n > 0 for n in line["requests_by_server"]), line["requests_by_server"]
    assert line["errors"] == 0, line.get("problems")
    assert line["lost_updates"] == 0
    assert line["acknowledged_scores"] > 0
    assert line["uploads_read_back"]["accepted"] > 0
    assert line["uploads_read_back"]["missing"] == 0  # every accepted file, byte for byte
    approval = line["approval"]
    assert approval["state"] == "done", approval
    assert approval["approved"] == approval["enrollments_approved"] == 200
    assert approval["results_frozen"] == 200
    assert len(approval["taken_by"]) == 1  # one worker took the task, the other did not
    assert {"approval_prepare", "approval_sign"} <= set(line["by_kind"])
    assert line["ok"] is True
    assert lines[-1] == "loadtest: 1 ok, 0 over budget"


def _step(rps: float, p95: float, errors: int = 0, busy: float = 50.0) -> dict:
    return {
        "requests_per_s": rps,
        "p95_ms": p95,
        "errors": errors,
        "machine_busy_pct": busy,
        "server_cpu_ms_per_request": 9.0,
        "within_budget": errors == 0 and p95 <= 200,
    }


def test_the_ramp_step_says_where_the_time_went():
    samples = [
        {"kind": "self_save", "ms": 30.0, "ok": True},
        {"kind": "self_save", "ms": 50.0, "ok": True},
        {"kind": "dashboard", "ms": 120.0, "ok": True},
        {"kind": "upload", "ms": 300.0, "ok": False},
    ]
    step = loadtest.ramp_step(
        factor=4,
        samples=samples,
        failures=[],
        elapsed_s=2.0,
        served_ms=[20.0, 40.0, 100.0],
        cpu={"server_cpu_s": 0.2, "machine_busy_pct": 71.5},
        budget_ms=200,
    )
    assert (step["requests"], step["requests_per_s"], step["errors"]) == (4, 2.0, 1)
    assert step["server_cpu_ms_per_request"] == 50.0
    assert step["time_by_kind_pct"] == {"upload": 60.0, "dashboard": 24.0, "self_save": 16.0}
    assert list(step["time_by_kind_pct"]) == ["upload", "dashboard", "self_save"]
    assert step["within_budget"] is False  # an error, though p95 (300 ms) alone would say so too


def test_the_ramp_reports_the_highest_rate_within_budget_and_what_stopped_it():
    cpu_bound = [_step(25, 60), _step(50, 80), _step(98, 150, busy=93), _step(120, 420, busy=99)]
    found = loadtest.ramp_summary(cpu_bound, 200)
    assert found["highest_within_budget_rps"] == 98
    assert found["p95_ms_there"] == 150
    assert found["limited_by"].startswith("CPU: the machine was 99% busy at 120 requests/s")
    failing = loadtest.ramp_summary([_step(25, 60), _step(50, 90, errors=3)], 200)
    assert failing["highest_within_budget_rps"] == 25
    assert failing["limited_by"] == "errors at 50 requests/s"
    waiting = loadtest.ramp_summary([_step(25, 260, busy=40)], 200)
    assert waiting["highest_within_budget_rps"] == 0.0
    assert "waiting, not computing" in waiting["limited_by"]
    assert "offer more" in loadtest.ramp_summary([_step(25, 60)], 200)["limited_by"]


ONCE_ON_SQLITE = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="builds its own SQLite database and server; run once, in the SQLite pass",
)


@pytest.fixture(scope="module")
def tiny_sqlite_ramp() -> tuple[dict, list[str]]:
    """One tiny run of scripts/loadtest.py on SQLite, in ramp mode (two steps, the think times
    divided by 1 then 3), with 3 unit admins, 4 reviewers and uploads: its first line (parsed)
    and all its lines. Building the database and starting gunicorn is most of its time, so the
    plain run's checks and the ramp's share it."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    args = [
        *("--db", "sqlite", "--admins", "3", "--reviewed", "1", "--second-tabs", "0"),
        *("--ramp", "--ramp-factors", "1,3", "--ramp-step-s", "3", "--ramp-warmup-s", "1"),
        *("--ramp-budget-ms", "60000", "--reviewers", "4", "--think-min", "0.2"),
        *("--think-max", "0.8", "--upload-share", "0.3"),
    ]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    return json.loads(lines[0]), lines


@ONCE_ON_SQLITE
def test_a_tiny_run_prints_a_report_with_no_errors_and_no_lost_updates(tiny_sqlite_ramp):
    line, lines = tiny_sqlite_ramp
    assert set(loadtest.REPORT_KEYS) <= set(line), line
    assert line["db"] == "sqlite-ramp"
    assert line["requests"] > 0
    assert line["errors"] == 0, line.get("problems")
    assert line["lost_updates"] == 0
    assert line["locked_errors"] == 0
    assert line["acknowledged_scores"] > 0  # the read-back compared real rows
    assert line["failed_logins"] == 0
    assert {"self_save", "review_save", "dashboard", "upload"} <= set(line["by_kind"])
    assert line["by_kind"]["review_save"]["errors"] == 0  # the htmx row answer was read
    assert line["cpu"]["server_cpu_s"] > 0  # gunicorn's workers were found and measured
    assert sum(n for _start, n, _p95 in line["timeline_10s"]) == line["requests"]
    assert lines[-1].startswith("loadtest: ")


@ONCE_ON_SQLITE
def test_a_tiny_ramp_steps_up_and_reads_every_step_back(tiny_sqlite_ramp):
    line, _lines = tiny_sqlite_ramp
    assert line["db"] == "sqlite-ramp"
    steps = line["ramp"]["steps"]
    assert [s["think_divided_by"] for s in steps] == [1.0, 3.0]
    assert all(s["within_budget"] and s["requests"] > 0 for s in steps), steps
    # the line counts every request; a step only those after its warm-up (the page opening)
    assert 0 < sum(s["requests"] for s in steps) < line["requests"]
    assert line["ramp"]["highest_within_budget_rps"] == max(s["requests_per_s"] for s in steps)
    assert "offer more" in line["ramp"]["limited_by"]
    assert line["acknowledged_scores"] > 0 and line["lost_updates"] == 0
    assert line["ok"] is True
