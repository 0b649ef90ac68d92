"""The pure derivation of a spot-check draw: a function of the recorded inputs and the seed only
(the same in another process with another hash seed), stratified proportionally, never sending an
inspector to a unit they belong to, with clear Chinese errors when it cannot be made."""

from __future__ import annotations

import copy
import datetime
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mofan.evaluations.draws import DrawError
from mofan.supervision.spotcheck import ALGORITHM, derive, months_before

ROOT = Path(__file__).resolve().parents[2]


def inputs(
    *,
    units: int = 4,
    inspectors: int = 2,
    candidates: list[dict[str, Any]] | None = None,
    pool: list[dict[str, Any]] | None = None,
    stratify_by: str = "",
) -> dict[str, Any]:
    return {
        "algorithm": ALGORITHM,
        "committee": 1,
        "campaign": 1,
        "reference_date": "2024-06-01",
        "exclude_months": 0,
        "stratify_by": stratify_by,
        "units": units,
        "inspectors": inspectors,
        "mode": "unannounced",
        "candidates": candidates
        if candidates is not None
        else [{"id": i, "stratum": ""} for i in range(1, 21)],
        "excluded": [],
        "pool": pool
        if pool is not None
        else [{"id": 100 + i, "home_units": [i]} for i in range(1, 9)],
    }


def test_same_seed_and_inputs_give_the_same_draw_even_after_a_json_round_trip():
    first = derive(inputs(), "abc123")
    again = derive(json.loads(json.dumps(inputs())), "abc123")
    assert first == again
    assert len(first["units"]) == 4 and len(first["inspectors"]) == 2
    assert first["units"] == sorted(first["units"])


def test_the_order_of_the_recorded_lists_does_not_matter():
    shuffled = inputs()
    shuffled["candidates"] = list(reversed(shuffled["candidates"]))
    shuffled["pool"] = list(reversed(shuffled["pool"]))
    assert derive(shuffled, "s1") == derive(inputs(), "s1")


def test_a_second_process_with_another_hash_seed_re_derives_the_same_draw():
    """No per-process state (hash salts, module-level generators) enters the draw."""
    data = inputs(units=6, inspectors=3)
    expected = derive(data, "published-seed")
    script = (
        "import json, sys, django; django.setup();"
        "from mofan.supervision.spotcheck import derive;"
        "print(json.dumps(derive(json.load(sys.stdin), 'published-seed')))"
    )
    env = {
        **os.environ,
        "PYTHONHASHSEED": "12345",
        "DJANGO_SETTINGS_MODULE": "mofan.settings",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout) == expected


def test_different_seeds_usually_give_different_draws():
    results = {json.dumps(derive(inputs(), f"seed-{i}")) for i in range(20)}
    # 20 units choose 4: 4845 possible unit sets; twenty seeds give (nearly) twenty draws.
    assert len(results) >= 18


def test_stratified_allocation_is_proportional_to_the_strata():
    candidates = (
        [{"id": i, "stratum": "government"} for i in range(1, 11)]
        + [{"id": i, "stratum": "party"} for i in range(11, 16)]
        + [{"id": i, "stratum": "mass"} for i in range(16, 21)]
    )
    of = {c["id"]: c["stratum"] for c in candidates}
    for seed in ("a", "b", "c", "d"):
        result = derive(inputs(units=8, candidates=candidates, stratify_by="category"), seed)
        assert Counter(of[u] for u in result["units"]) == {"government": 4, "party": 2, "mass": 2}
    # 3 seats over 10/5/5: the floors are 1/0/0 with remainders .5/.75/.75, so the two seats
    # left go to party and mass (largest remainder), not a second one to government.
    result = derive(inputs(units=3, candidates=candidates, stratify_by="category"), "e")
    assert Counter(of[u] for u in result["units"]) == {"government": 1, "party": 1, "mass": 1}


def test_without_stratification_the_strata_are_ignored():
    candidates = [{"id": i, "stratum": "x" if i < 19 else "y"} for i in range(1, 21)]
    plain = [{"id": i, "stratum": ""} for i in range(1, 21)]
    assert derive(inputs(candidates=candidates), "q") == derive(inputs(candidates=plain), "q")


@settings(max_examples=60, deadline=None)
@given(
    seed=st.text(alphabet="0123456789abcdef", min_size=1, max_size=16),
    homes=st.lists(
        st.lists(st.integers(min_value=1, max_value=20), max_size=3), min_size=10, max_size=10
    ),
)
def test_inspectors_are_never_from_a_drawn_unit(seed: str, homes: list[list[int]]):
    pool = [{"id": 100 + i, "home_units": sorted(set(h))} for i, h in enumerate(homes)]
    data = inputs(units=5, inspectors=2, pool=pool)
    try:
        result = derive(data, seed)
    except DrawError as exc:
        assert "检查人员不足" in str(exc)
        return
    drawn = set(result["units"])
    homes_of = {p["id"]: set(p["home_units"]) for p in pool}
    for inspector in result["inspectors"]:
        assert not homes_of[inspector] & drawn


def test_an_inspector_with_several_home_units_avoids_every_one_of_them():
    # Inspector 101 belongs to units 1 and 2; all units are drawn, so only 102 can go.
    pool = [{"id": 101, "home_units": [1, 2]}, {"id": 102, "home_units": []}]
    candidates = [{"id": 1, "stratum": ""}, {"id": 2, "stratum": ""}]
    result = derive(inputs(units=2, inspectors=1, candidates=candidates, pool=pool), "z")
    assert result == {"units": [1, 2], "inspectors": [102]}


def test_clear_errors_when_the_units_or_the_pool_are_too_few():
    with pytest.raises(DrawError, match="可抽取的对象不足：需要抽取 21 个，只有 20 个可选"):
        derive(inputs(units=21), "s")
    with pytest.raises(DrawError, match="可抽取的检查人员不足：需要 9 名"):
        derive(inputs(inspectors=9), "s")
    with pytest.raises(DrawError, match="评审库中没有评审员"):
        derive(inputs(pool=[]), "s")


def test_inputs_of_another_algorithm_are_refused():
    other = copy.deepcopy(inputs())
    other["algorithm"] = "something-else"
    with pytest.raises(ValueError, match="unknown spot-check algorithm"):
        derive(other, "s")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2024-06-15", 3, "2024-03-15"),
        ("2024-05-31", 3, "2024-02-29"),
        ("2024-01-10", 1, "2023-12-10"),
        ("2024-03-31", 13, "2023-02-28"),
        ("2024-06-15", 0, "2024-06-15"),
    ],
)
def test_months_before(day: str, months: int, expected: str):
    assert months_before(datetime.date.fromisoformat(day), months) == datetime.date.fromisoformat(
        expected
    )
