"""`core.gcpause.gc_paused`: no automatic cyclic collection inside, the collector's state
restored after it (also after an error, and when it was already off)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mofan.core.gcpause import gc_paused


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection that starts while the test runs, with the collector
    set to start one after every allocation (what a bulk read does to it, compressed)."""
    seen: list[int] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    threshold = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*threshold)


def allocate() -> list[list[object]]:
    cycles = []
    for _ in range(2_000):
        a: list[object] = []
        a.append(a)
        cycles.append(a)
    return cycles


def test_nothing_is_collected_inside_and_the_collector_runs_after(collections):
    allocate()
    assert collections, "the collector was expected to run at threshold 1"
    with gc_paused():
        collections.clear()  # here: entering the block allocates, and may start one before
        allocate()
        during = list(collections)  # read inside: leaving the block may start one at once
    assert during == []
    assert gc.isenabled()
    allocate()
    assert collections


def test_the_state_is_restored_after_an_error_and_nesting():
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()  # the inner block did not switch it back on
        1 / 0  # noqa: B018
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()
