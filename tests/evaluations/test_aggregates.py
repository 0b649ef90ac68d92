"""Precomputed figures (issue 7, point 2): the stored `UnitTotals` equal a from-scratch
recompute after any sequence of writes through the services, the full recompute equals what
approval computed before the figures were stored (`tests.evaluations.reference`), the
incremental path reads one unit only, and approved results are never touched."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations import approval, services
from mofan.evaluations.bulk import self_scores_bulk_save
from mofan.evaluations.figures import setwise as recompute
from mofan.evaluations.figures import unit as aggregates
from mofan.evaluations.models import ConsolidatedScore, SelfScore, UnitResult, UnitTotals
from mofan.evaluations.selectors_ranking import UnitRow, ranking_rows
from mofan.indicators.models import IndicatorNode
from tests.evaluations import reference
from tests.evaluations.aggregates_data import synthetic_campaign
from tests.evaluations.campaign_fixtures import (
    SCORED,
    World,
    in_savepoint,
    leaf_value,
    score_all,
    world,
)

__all__ = ["world"]

FIELDS = ("enrollment_id", *aggregates.FIGURE_FIELDS, "rank", "advanced")


def stored(campaign: Campaign) -> dict[int, tuple[Any, ...]]:
    return {
        row[0]: row for row in UnitTotals.objects.filter(campaign=campaign).values_list(*FIELDS)
    }


def from_scratch(campaign: Campaign) -> dict[int, tuple[Any, ...]]:
    """What the full recompute writes now (undone afterwards)."""
    return in_savepoint(
        lambda: (recompute.campaign_recompute(campaign=campaign), stored(campaign))[1]
    )


def assert_equals_approval(campaign: Campaign) -> None:
    rows, _top = reference.campaign_rows(campaign)
    figures = stored(campaign)
    assert len(figures) == len(rows)
    for row in rows:
        assert row.result is not None
        got = dict(zip(FIELDS, figures[row.enrollment.pk], strict=True))
        expected = {
            "self_total": row.self_totals.total,
            "review_total": row.review_totals.total,
            "composite": row.result.score,
            "type_scores": row.review_totals.type_scores,
            "level_counts": row.review_totals.level_counts,
            "self_level_counts": row.self_totals.level_counts,
            "self_complete": row.self_totals.complete,
            "review_complete": row.review_totals.complete,
            "grade": row.result.grade,
            "veto": row.result.veto,
            "rank": row.result.rank,
            "advanced": row.result.advanced,
        }
        assert {k: got[k] for k in expected} == expected, row.enrollment.unit.name


# --- the full recompute ---------------------------------------------------------------------


@pytest.mark.django_db
def test_full_recompute_equals_approval_on_the_yueqing_template() -> None:
    campaign = synthetic_campaign(40, seed=3)
    assert recompute.campaign_recompute(campaign=campaign) == 40
    assert_equals_approval(campaign)
    figures = stored(campaign)
    assert any(f[FIELDS.index("rank")] for f in figures.values())
    assert any(f[FIELDS.index("veto")] for f in figures.values())
    # per-node totals: every type of a complete self-evaluation has a score
    totals = UnitTotals.objects.filter(campaign=campaign, review_complete=True).first()
    assert totals is not None and totals.type_scores
    assert all(totals.review_nodes[code] == v for code, v in totals.type_scores.items())


@pytest.mark.django_db
def test_sqlite_stores_the_rows_in_rank_order_and_ranks_are_what_they_were() -> None:
    """On SQLite the rows are written in rank order, the unranked last (what keeps the
    indexes' writes local at 100,000 units); the order changes where they are, not what."""
    campaign = synthetic_campaign(30, seed=5)
    recompute.campaign_recompute(campaign=campaign)
    before = stored(campaign)
    # stored in a shuffled order first, as the incremental paths leave them over time
    rows = list(UnitTotals.objects.filter(campaign=campaign).order_by("?"))
    UnitTotals.objects.filter(campaign=campaign).delete()
    for row in rows:
        row.pk = None
        row.save()
    recompute.campaign_recompute(campaign=campaign)
    assert stored(campaign) == before
    by_id = [
        rank
        for rank in UnitTotals.objects.filter(campaign=campaign)
        .order_by("id")
        .values_list("rank", flat=True)
    ]
    ranked = [r for r in by_id if r is not None]
    assert ranked and None in by_id
    if connection.vendor == "sqlite":
        assert by_id == sorted(ranked) + [None] * (len(by_id) - len(ranked))


@pytest.mark.django_db
def test_full_recompute_equals_the_reference_roll_up_unit_by_unit() -> None:
    """The flattened evaluator of the full recompute and the real roll-up of the incremental
    path agree on every unit, every node."""
    campaign = synthetic_campaign(25, seed=11, all_reviewed=True)
    full = from_scratch(campaign)
    for enrollment in Enrollment.objects.filter(campaign=campaign):
        aggregates.unit_refresh(enrollment=enrollment)
    assert stored(campaign) == full


@pytest.mark.django_db
def test_full_recompute_reads_signs_gaps_and_stray_rows_exactly() -> None:
    """The set-wise read packs a unit's leaf rows into one integer (`setwise._read_keyed`):
    negative and large scores, rows without a score and rows on an inner node (outside the
    leaves) come out as the real roll-up reads them, unit by unit."""
    campaign = synthetic_campaign(12, seed=3, all_reviewed=True)
    rows = list(ConsolidatedScore.objects.filter(enrollment__campaign=campaign).order_by("pk"))
    for i, row in enumerate(rows):
        if row.score is None:
            continue
        if i % 5 == 0:
            row.score = -row.score - Decimal("0.25")
        elif i % 7 == 0:
            row.score = None
        elif i % 11 == 0:
            row.score = Decimal("999999.99")
    ConsolidatedScore.objects.bulk_update(rows, ["score"])
    inner = IndicatorNode.objects.filter(version=campaign.indicator_version, parent=None).first()
    assert inner is not None
    for enrollment in Enrollment.objects.filter(campaign=campaign)[:3]:
        ConsolidatedScore.objects.create(enrollment=enrollment, node=inner, score=Decimal(50))
    full = from_scratch(campaign)
    for enrollment in Enrollment.objects.filter(campaign=campaign):
        aggregates.unit_refresh(enrollment=enrollment)
    assert stored(campaign) == full
    shown = [v for row in full.values() for v in row[FIELDS.index("review_nodes")].values()]
    assert any(v.startswith("-") for v in shown)


@pytest.mark.django_db
def test_the_streamed_reads_meet_units_without_rows_across_fetches(monkeypatch) -> None:
    """The two reads stream units by enrolment id in fetches of `READ_BATCH` and the recompute
    takes them in step (`setwise._Stream`): units with no self rows, or no consolidated rows,
    at the start, the middle and the end, with fetches of five units, come out as the real
    roll-up reads them, unit by unit."""
    monkeypatch.setattr(recompute, "READ_BATCH", 5)
    campaign = synthetic_campaign(13, seed=4, all_reviewed=True)
    ids = list(
        Enrollment.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)
    )
    SelfScore.objects.filter(enrollment_id__in=[ids[i] for i in (0, 5, 6, 12)]).delete()
    ConsolidatedScore.objects.filter(enrollment_id__in=[ids[i] for i in (0, 4, 10)]).delete()
    full = from_scratch(campaign)
    for enrollment in Enrollment.objects.filter(campaign=campaign):
        aggregates.unit_refresh(enrollment=enrollment)
    assert stored(campaign) == full
    assert full[ids[0]][FIELDS.index("review_total")] is None
    assert full[ids[1]][FIELDS.index("review_total")] is not None


@pytest.mark.django_db
def test_the_full_recompute_runs_with_the_cyclic_collector_paused() -> None:
    """Its rows hold no cycles, and a full collection in the middle of reading them walked every
    object of the process (`core.gcpause`): every statement of the recompute runs with the
    collector paused, and it is running again afterwards."""
    campaign = synthetic_campaign(10, seed=5)
    states: list[bool] = []

    def note(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        states.append(gc.isenabled())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert recompute.campaign_recompute(campaign=campaign) == 10
    assert len(states) > 5 and not any(states)
    assert gc.isenabled()


def test_full_recompute_equals_approval_on_the_small_system(world: World) -> None:
    _consolidate_a(world)
    recompute.campaign_recompute(campaign=world.campaign)
    assert_equals_approval(world.campaign)
    a = UnitTotals.objects.get(enrollment=world.ea)
    assert a.review_total == Decimal("24.00") and a.self_nodes == {"1": "16.00", "2": "8.00"}


def test_the_command_recomputes_and_never_changes_frozen_results(world: World) -> None:
    _consolidate_a(world)
    frozen = UnitResult.objects.create(
        enrollment=world.ea,
        campaign_id=world.ea.campaign_id,
        self_total=Decimal(1),
        review_total=Decimal(2),
        composite=Decimal(3),
        grade="良好",
        rank=7,
        frozen=True,
    )
    UnitTotals.objects.all().delete()
    out = StringIO()
    call_command("recompute_results", campaign=world.campaign.pk, stdout=out)
    assert f"campaign {world.campaign.pk}: 3 units" in out.getvalue()
    assert UnitTotals.objects.filter(campaign=world.campaign).count() == 3
    assert UnitTotals.objects.get(enrollment=world.ea).composite == Decimal("24.00")
    after = UnitResult.objects.get(pk=frozen.pk)
    assert (after.composite, after.grade, after.rank, after.frozen) == (
        Decimal(3),
        "良好",
        7,
        True,
    )
    call_command("recompute_results", stdout=out)  # every campaign
    assert UnitTotals.objects.filter(campaign=world.other_campaign).count() == 1


def test_the_recompute_in_the_background_is_a_task_the_worker_runs(world: World) -> None:
    from django_tasks_db.models import DBTaskResult

    from tests.task_worker import run_queued_tasks

    _consolidate_a(world)
    UnitTotals.objects.all().delete()
    out = StringIO()
    call_command("recompute_results", "--background", campaign=world.campaign.pk, stdout=out)
    task = DBTaskResult.objects.get()
    assert out.getvalue().strip() == f"campaign {world.campaign.pk}: queued (task {task.id})"
    assert task.task_path == "mofan.evaluations.tasks.recompute_task"
    assert not UnitTotals.objects.exists()  # the command only enqueued
    assert run_queued_tasks() == 1
    task.refresh_from_db()
    assert (task.status, task.return_value) == ("SUCCESSFUL", 3)
    assert UnitTotals.objects.get(enrollment=world.ea).composite == Decimal("24.00")


# --- the incremental path -------------------------------------------------------------------


def _consolidate_a(w: World) -> None:
    score_all(w.assignment_a, w.actor("assigned"), {"1.1": 9, "1.2": 7, "2.1": 8})
    score_all(w.assignment_a, w.actor("leader"), {"1.1": 9, "1.2": 7, "2.1": 8})
    for name in ("assigned", "leader"):
        services.review_submit(assignment=w.assignment_a, actor=w.actor(name))
    services.consolidate(assignment=w.assignment_a, actor=w.actor("leader"))


def test_consolidation_updates_the_unit_and_the_ranks(world: World) -> None:
    recompute.campaign_recompute(campaign=world.campaign)
    assert UnitTotals.objects.get(enrollment=world.ea).composite is None
    _consolidate_a(world)
    a = UnitTotals.objects.get(enrollment=world.ea)
    assert (a.review_total, a.composite, a.rank) == (Decimal("24.00"),) * 2 + (1,)
    assert a.type_scores == {"1": "16.00", "2": "8.00"}
    assert stored(world.campaign) == from_scratch(world.campaign)


def test_a_veto_input_updates_the_unit(world: World) -> None:
    recompute.campaign_recompute(campaign=world.campaign)  # the fixture wrote plain rows
    _consolidate_a(world)
    assert UnitTotals.objects.get(enrollment=world.ea).veto is False
    approval.veto_input_record(
        enrollment=world.ea,
        source="audit",
        vetoed=True,
        opinion="审计发现问题",
        actor=world.actor("committee_admin"),
    )
    a = UnitTotals.objects.get(enrollment=world.ea)
    assert a.veto is True and a.advanced is False
    assert stored(world.campaign) == from_scratch(world.campaign)


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("self"), st.sampled_from(SCORED), st.integers(0, 10)),
        st.tuples(st.just("bulk"), st.sampled_from(SCORED), st.integers(0, 10)),
        st.tuples(st.just("veto"), st.sampled_from(["ea", "eb"]), st.booleans()),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_after_any_writes_the_stored_figures_equal_a_full_recompute(
    world: World, actions: list[tuple[str, str, Any]]
) -> None:
    def run() -> None:
        campaign = world.campaign
        recompute.campaign_recompute(campaign=campaign)  # the fixture wrote plain rows
        services.enrollment_transition(
            enrollment=world.eb, to="returned", actor=world.actor("committee_admin"), reason="改"
        )
        outsider = world.actor("outsider")
        for kind, key, value in actions:
            if kind == "veto":
                enrollment = world.ea if key == "ea" else world.eb
                approval.veto_input_record(
                    enrollment=enrollment,
                    source="discipline",
                    vetoed=value,
                    opinion="意见" if value else "",
                    actor=world.actor("committee_admin"),
                )
                continue
            node = world.node(key)
            if kind == "bulk":
                self_scores_bulk_save(
                    enrollment=world.eb, values={node.pk: leaf_value(key, value)}, actor=outsider
                )
                continue
            # unit A is submitted: write to B through the one-leaf service instead
            current = SelfScore.objects.filter(enrollment=world.eb, node=node).first()
            services.self_score_save(
                enrollment=world.eb,
                node=node,
                value=leaf_value(key, value),
                narrative="",
                expected_version=current.version if current else None,
                actor=outsider,
            )
        assert stored(campaign) == from_scratch(campaign)
        assert_equals_approval(campaign)

    in_savepoint(run)


def _refresh_queries(units: int, code: str) -> tuple[int, int]:
    """Queries of a self-score refresh (no re-rank), and of a consolidated change that takes
    the unit from the top of the field to its bottom (every other unit's rank moves)."""
    campaign = synthetic_campaign(units, seed=5, code=code, all_reviewed=True)
    enrollment = Enrollment.objects.filter(campaign=campaign).order_by("pk").first()
    assert enrollment is not None
    finals = ConsolidatedScore.objects.filter(enrollment=enrollment, score__isnull=False)
    finals.update(score=Decimal(99))  # capped at each node's points: full marks
    recompute.campaign_recompute(campaign=campaign)
    assert UnitTotals.objects.get(enrollment=enrollment).rank == 1
    own = SelfScore.objects.filter(enrollment=enrollment, score__gt=0).first()
    assert own is not None
    SelfScore.objects.filter(pk=own.pk).update(score=Decimal(0))
    with CaptureQueriesContext(connection) as self_only:
        aggregates.unit_refresh(enrollment=enrollment)
    finals.update(score=Decimal(0))
    with CaptureQueriesContext(connection) as reranked:
        aggregates.unit_refresh(enrollment=enrollment)
    assert UnitTotals.objects.get(enrollment=enrollment).rank == units
    assert stored(campaign) == from_scratch(campaign)
    return len(self_only), len(reranked)


@pytest.mark.django_db
def test_the_incremental_path_reads_one_unit_whatever_the_number_of_units() -> None:
    small = _refresh_queries(5, "q5")
    large = _refresh_queries(60, "q60")
    assert small == large
    assert small[0] < small[1]  # a changed composite re-ranks the field in one pass


# --- readers --------------------------------------------------------------------------------


def _by_enrollment(rows: Iterable[UnitRow]) -> list[UnitRow]:
    return sorted(rows, key=lambda r: r.enrollment.pk)


def _figures(rows: list[UnitRow]) -> list[tuple[Any, ...]]:
    return [
        (
            r.enrollment.pk,
            r.self_totals.total,
            r.self_totals.level_counts,
            r.review_totals.total,
            r.review_totals.type_scores,
            r.review_totals.level_counts,
            r.veto_inputs,
            r.result and (r.result.score, r.result.grade, r.result.rank, r.result.veto),
            r.result and r.result.advanced,
        )
        for r in rows
    ]


@pytest.mark.django_db
def test_the_approval_table_reads_the_stored_figures() -> None:
    campaign = synthetic_campaign(30, seed=13)
    # Every unit has its stored figures from the campaign's creation on, blank until the rows
    # written around the services (as the bulk paths do) are recomputed.
    blank = _by_enrollment(ranking_rows(campaign))
    assert len(blank) == 30
    assert {r.result.score for r in blank if r.result} == {None}
    assert _figures(blank) != _figures(_by_enrollment(reference.campaign_rows(campaign)[0]))
    recompute.campaign_recompute(campaign=campaign)
    assert _figures(_by_enrollment(ranking_rows(campaign))) == _figures(
        _by_enrollment(reference.campaign_rows(campaign)[0])
    )


@pytest.mark.django_db
def test_fractional_weights_take_the_decimal_path() -> None:
    """A tree with a weight of 0.5 (on every other type) cannot be summed in integer cents:
    the Decimal evaluator runs, and still agrees with approval."""
    version = yueqing_with_half_weights()
    campaign = synthetic_campaign(20, seed=17, version=version, code="half")
    compiled = recompute.Compiled(aggregates.context_for(campaign))
    assert not compiled.cents
    recompute.campaign_recompute(campaign=campaign)
    assert_equals_approval(campaign)
    assert stored(campaign) == in_savepoint(
        lambda: (
            [aggregates.unit_refresh(enrollment=e) for e in campaign.enrollments.all()],
            stored(campaign),
        )[1]
    )


def yueqing_with_half_weights() -> Any:
    from mofan.indicators.builtin import builtin_document
    from mofan.indicators.services import system_import

    doc = builtin_document("yueqing-2020")
    doc.slug = "yueqing-half"
    for i, root in enumerate(doc.roots):
        if i % 2 == 0:
            root.weight = Decimal("0.5")
    return system_import(doc=doc, committee=None, actor=None, publish=True)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["xinzhou-2022", "jiaozuo-2020", "bureau-2022", "yueyang-2020"])
def test_full_recompute_equals_the_reference_roll_up_on_every_builtin_template(slug: str) -> None:
    """The grouped read (the database sums each inner node's leaf children) against the real
    roll-up on the other four built-in trees: their bonus items, caps, qualitative leaves and
    depths differ from 乐清's."""
    from mofan.indicators.builtin import builtin_document
    from mofan.indicators.services import system_import

    version = system_import(doc=builtin_document(slug), committee=None, actor=None, publish=True)
    campaign = synthetic_campaign(18, seed=5, version=version, code=slug[:6])
    full = from_scratch(campaign)
    assert any(row[FIELDS.index("review_complete")] for row in full.values())
    for enrollment in Enrollment.objects.filter(campaign=campaign):
        aggregates.unit_refresh(enrollment=enrollment)
    assert stored(campaign) == full
