"""`make faulttest` (scripts/faulttest.py): its per-fault figures. The run itself (its own
PostgreSQL cluster, gunicorn, 90 s of rush) takes minutes and is not part of the suite; one
run's figures are in docs/performance.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))  # faulttest imports loadtest from beside it
_spec = importlib.util.spec_from_file_location("mofan_faulttest_script", SCRIPTS / "faulttest.py")
assert _spec is not None and _spec.loader is not None
faulttest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(faulttest)


def test_a_fault_window_counts_errors_503s_silence_refusals_and_the_recovery():
    samples = [
        {"kind": "page", "at": 8.0, "ms": 500, "status": 500},  # done before the fault
        {"kind": "save", "at": 9.5, "ms": 900, "status": 0},  # in flight at the fault
        {"kind": "page", "at": 10.2, "ms": 100, "status": 200},
        {"kind": "save", "at": 10.5, "ms": 100, "status": 503},
        {"kind": "upload", "at": 11.0, "ms": 100, "status": 200},  # the form with its error
        {"kind": "upload", "at": 11.5, "ms": 100, "status": 302},
        {"kind": "page", "at": 12.4, "ms": 600, "status": 502},
        {"kind": "page", "at": 29.9, "ms": 50, "status": 200},
        {"kind": "page", "at": 30.0, "ms": 50, "status": 500},  # after the window
    ]
    ready = [[9.0, 200], [10.5, 503], [11.0, 503], [12.5, 200], [31.0, 503]]
    figures = faulttest.fault_window(samples, start=10.0, window=20.0, ready=ready)
    assert figures == {
        "requests": 7,
        "server_errors": 1,
        "unavailable_503": 1,
        "no_answer": 1,
        "uploads_refused": 1,
        "recovery_s": 3.0,
        "readyz_503_s": 2.0,
    }


def test_a_fault_nobody_noticed_recovers_at_once():
    figures = faulttest.fault_window(
        [{"kind": "page", "at": 5.0, "ms": 10, "status": 200}], start=4.0, window=20.0, ready=[]
    )
    assert figures["recovery_s"] == 0.0 and figures["server_errors"] == 0


def test_a_stored_save_that_got_no_answer_is_not_a_lost_update():
    loadtest = faulttest.loadtest
    acks = [{"key": "self:1:2", "version": 3, "token": "acked"}]
    stored = {"self:1:2": {"version": 4, "token": "sent, then the worker died"}}
    lost = loadtest.lost_updates(acks, stored)
    assert lost == ["self:1:2"]
    unanswered = [{"key": "self:1:2", "token": "sent, then the worker died"}]
    assert loadtest.unacknowledged_stored(lost, stored, unanswered) == ["self:1:2"]
    # an older stored row (the acknowledged write vanished) stays lost
    vanished = {"self:1:2": {"version": 2, "token": "older"}}
    assert loadtest.unacknowledged_stored(["self:1:2"], vanished, unanswered) == []
