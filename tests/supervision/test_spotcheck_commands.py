"""`spotcheck_draw` records and prints a draw (JSON with exactly draw_id, seed, units,
inspectors), as the system or a named committee admin, audited either way; `spotcheck_verify`
exits 0 on a draw that re-derives and 1 on a tampered or unknown one."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mofan.audit.models import AuditEntry
from mofan.supervision.models import SpotCheckDraw
from tests.supervision.spotcheck_world import SpotWorld, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> SpotWorld:
    return build()


def run_draw(w: SpotWorld, *args: str) -> dict:
    out = io.StringIO()
    call_command(
        "spotcheck_draw",
        "--campaign",
        str(w.campaign.pk),
        "--units",
        "3",
        "--inspectors",
        "2",
        "--json",
        *args,
        stdout=out,
    )
    return json.loads(out.getvalue())


def exit_code(*argv: str) -> tuple[int, str, str]:
    """`manage.py spotcheck_verify ...`: the exit status a shell sees (SystemExit), out and err."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("spotcheck_verify", *argv, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_json_output_has_exactly_the_four_keys_and_matches_the_record(w):
    printed = run_draw(w, "--seed", "cli-seed")
    assert set(printed) == {"draw_id", "seed", "units", "inspectors"}
    d = SpotCheckDraw.objects.get(pk=printed["draw_id"])
    assert printed["seed"] == "cli-seed" == d.seed
    assert printed["units"] == d.result["units"] and len(printed["units"]) == 3
    assert printed["inspectors"] == d.result["inspectors"] and len(printed["inspectors"]) == 2
    assert all(isinstance(i, int) for i in printed["units"] + printed["inspectors"])


def test_the_same_seed_prints_the_same_units_and_inspectors(w):
    first = run_draw(w, "--seed", "again")
    second = run_draw(w, "--seed", "again")
    assert (first["units"], first["inspectors"]) == (second["units"], second["inspectors"])
    assert first["draw_id"] != second["draw_id"]


def test_without_actor_the_system_draws_and_is_audited(w):
    printed = run_draw(w)
    d = SpotCheckDraw.objects.get(pk=printed["draw_id"])
    assert d.created_by is None and len(printed["seed"]) == 16
    entry = AuditEntry.objects.get(action="spotcheck.draw", object_id=str(d.pk))
    assert entry.actor_id is None and entry.actor_name == "system"


def test_with_actor_the_committee_admin_draws_and_is_audited(w):
    printed = run_draw(w, "--actor", w.users["committee_admin"].username)
    d = SpotCheckDraw.objects.get(pk=printed["draw_id"])
    assert d.created_by == w.users["committee_admin"]
    entry = AuditEntry.objects.get(action="spotcheck.draw", object_id=str(d.pk))
    assert entry.actor_id == w.users["committee_admin"].pk


@pytest.mark.parametrize("who", ["other_admin", "committee_leader", "admin0"])
def test_an_actor_who_is_not_the_committee_admin_is_refused(w, who):
    with pytest.raises(CommandError, match="只有本工委管理员可以组织随机抽查"):
        run_draw(w, "--actor", w.users[who].username)
    with pytest.raises(CommandError, match="没有用户名为 nobody 的在用账号"):
        run_draw(w, "--actor", "nobody")
    assert not SpotCheckDraw.objects.exists()


def test_options_stratify_exclude_months_and_reference_date(w):
    first = run_draw(w, "--units", "8", "--today", "2024-06-15")
    SpotCheckDraw.objects.filter(pk=first["draw_id"]).update(
        created_at=datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.UTC)
    )
    printed = run_draw(
        w,
        "--units",
        "2",
        "--stratify",
        "category",
        "--exclude-months",
        "3",
        "--mode",
        "announced",
        "--today",
        "2024-06-15",
    )
    d = SpotCheckDraw.objects.get(pk=printed["draw_id"])
    assert d.inputs["stratify_by"] == "category" and d.inputs["mode"] == "announced"
    assert d.inputs["reference_date"] == "2024-06-15"
    assert {e["id"] for e in d.inputs["excluded"]} == set(first["units"])
    assert not set(printed["units"]) & set(first["units"])


def test_errors_are_chinese_command_errors(w):
    with pytest.raises(CommandError, match="需要抽取 30 个，只有 10 个可选"):
        run_draw(w, "--units", "30")
    with pytest.raises(CommandError, match="没有编号为 999999 的创建活动"):
        call_command("spotcheck_draw", "--campaign", "999999", "--units", "1", "--inspectors", "1")


def test_human_output_names_units_inspectors_and_the_verify_command(w):
    out = io.StringIO()
    call_command(
        "spotcheck_draw",
        "--campaign",
        str(w.campaign.pk),
        "--units",
        "2",
        "--inspectors",
        "1",
        "--seed",
        "human",
        stdout=out,
    )
    d = SpotCheckDraw.objects.get()
    text = out.getvalue()
    assert "随机种子 human" in text and f"spotcheck_verify {d.pk}" in text
    assert all(u.name in text for u in w.units if u.pk in d.result["units"])


def test_verify_exits_0_on_a_recorded_draw(w):
    printed = run_draw(w, "--seed", "ok")
    code, out, err = exit_code(str(printed["draw_id"]))
    assert code == 0 and err == ""
    assert "复核一致" in out and "ok" in out


def test_verify_exits_1_after_a_raw_sql_update_of_the_result(w):
    printed = run_draw(w, "--seed", "tampered")
    others = [u.pk for u in w.units if u.pk not in printed["units"]][:3]
    forged = json.dumps({"units": sorted(others), "inspectors": printed["inspectors"]})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_spotcheckdraw SET result = %s WHERE id = %s",
            [forged, printed["draw_id"]],
        )
    code, _out, err = exit_code(str(printed["draw_id"]))
    assert code == 1
    assert "复核不一致" in err


def test_verify_exits_1_when_the_inputs_or_seed_were_changed(w):
    printed = run_draw(w, "--seed", "inputs")
    d = SpotCheckDraw.objects.get(pk=printed["draw_id"])
    inputs = dict(d.inputs)
    inputs["candidates"] = [c for c in inputs["candidates"] if c["id"] != printed["units"][0]]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_spotcheckdraw SET inputs = %s WHERE id = %s",
            [json.dumps(inputs), d.pk],
        )
    assert exit_code(str(d.pk))[0] == 1
    second = run_draw(w, "--seed", "seed-changed")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_spotcheckdraw SET seed = %s WHERE id = %s",
            ["another", second["draw_id"]],
        )
    assert exit_code(str(second["draw_id"]))[0] == 1


def test_verify_exits_1_with_a_message_for_an_unknown_draw(w):
    code, _out, err = exit_code("424242")
    assert code == 1
    assert "没有编号为 424242 的抽查记录" in err
