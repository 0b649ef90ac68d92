"""Data for the exporter tests: the small campaign of `tests/evaluations/campaign_fixtures.py`
(read it for the personas) taken through review and approval, plus problem-list items, ledger
items and evidence links whose every value the tests check.

Scores (the small system: 1 政治建设 = 1.1 + 1.2, 2 清廉建设 = 2.1 + 2.2 veto; full marks 30):

* A (甲单位, group 1 = 组长王 leader + 评审员张): self 8 / 8 / 8. 评审员张 8 / 8 / 8, 组长王
  9 / 9 / 10 (comment on 1.1 "组长意见", on 2.1 "台账规范"). Consolidated 8.5 / 8.5 / 10, 2.1
  ruled by the leader ("以组长意见为准"). Review total 27 (types 17 and 10): 优秀, rank 1,
  先进单位 (the quota is one unit).
* B (乙单位, group 2 = 评审员李): self 7 / 7 / 7; consolidated 8 / 8 / 8 = 24 (16 and 8): 良好,
  rank 2.
* C (丙单位, group 2): no self score; consolidated 5 / 5 / 5 = 15 (10 and 5), vetoed by 纪检监察:
  不达标, rank 3.

The campaign lists no problems on approval (`rectify_grades` is empty), so the problem list
holds exactly the items made here.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.exports.base import Column, Exporter
from mofan.evaluations import approval
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    EvidenceLink,
    ReviewScore,
    UnitResult,
    VetoInput,
)
from mofan.evidence.models import Evidence
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import Committee, Unit
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState, Severity
from mofan.supervision.models import Cadence, Escalation, LedgerItem, LedgerState
from tests.evaluations.campaign_fixtures import LEAVES, World, build_world, small_version
from tests.world import active_campaign, committee_with_units, persona

TODAY = datetime.date(2026, 3, 2)
CONSOLIDATED = {
    "A": {"1.1": "8.5", "1.2": "8.5", "2.1": "10"},
    "B": {"1.1": "8", "1.2": "8", "2.1": "8"},
    "C": {"1.1": "5", "1.2": "5", "2.1": "5"},
}
LEADER_SCORES = {"1.1": 9, "1.2": 9, "2.1": 10}
LEADER_COMMENTS = {"1.1": "组长意见", "2.1": "台账规范"}
RULING = "以组长意见为准"


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """An aware datetime at `hour` o'clock local time on `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _score(code: str, value: str | int) -> dict[str, Any]:
    if code == "2.2":
        return {"input": {"vetoed": False, "reason": ""}, "score": None, "veto": False}
    return {"input": {"value": str(value)}, "score": Decimal(str(value))}


def finish_review(world: World) -> None:
    """Every unit reviewed and consolidated (see the module's docstring)."""
    leader = world.user("leader")
    ReviewScore.objects.filter(assignment=world.assignment_a, reviewer=leader).delete()
    ReviewScore.objects.bulk_create(
        ReviewScore(
            assignment=world.assignment_a,
            reviewer=leader,
            node=world.node(code),
            comment=LEADER_COMMENTS.get(code, ""),
            **_score(code, LEADER_SCORES.get(code, 0)),
        )
        for code in LEAVES
    )
    ReviewScore.objects.bulk_create(
        ReviewScore(
            assignment=world.assignment_b,
            reviewer=world.user("unassigned"),
            node=world.node(code),
            **_score(code, 8),
        )
        for code in LEAVES
    )
    Assignment.objects.create(group=world.group2, enrollment=world.ec)
    for name, enrollment in (("A", world.ea), ("B", world.eb), ("C", world.ec)):
        ConsolidatedScore.objects.bulk_create(
            ConsolidatedScore(
                enrollment=enrollment,
                node=world.node(code),
                decided_by=leader,
                flagged=name == "A" and code == "2.1",
                reason=RULING if name == "A" and code == "2.1" else "",
                score=Decimal(CONSOLIDATED[name][code]) if code != "2.2" else None,
            )
            for code in LEAVES
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(state=EnrollmentState.REVIEWED)
        enrollment.refresh_from_db()
    VetoInput.objects.create(
        enrollment=world.ec,
        source="discipline",
        vetoed=True,
        opinion="违纪",
        recorded_by=world.user("committee_admin"),
    )
    Campaign.objects.filter(pk=world.campaign.pk).update(
        rectify_grades=[], honours_quota=Decimal("0.34")
    )
    world.campaign.refresh_from_db()
    # Rows written around the services: refresh the stored figures as a bulk path must.
    campaign_recompute(campaign=world.campaign)


def approve(world: World, *, publish: bool = False, ranking: bool = False) -> None:
    admin = actor_for(world.user("committee_admin"))
    world.campaign.refresh_from_db()
    approval.campaign_approve(campaign=world.campaign, actor=admin, today=TODAY)
    if publish:
        approval.campaign_publish(campaign=world.campaign, actor=admin, ranking=ranking)
    world.campaign.refresh_from_db()


def approved_world(*, publish: bool = False, ranking: bool = False) -> World:
    world = build_world()
    finish_review(world)
    approve(world, publish=publish, ranking=ranking)
    return world


# --- problem list and ledger --------------------------------------------------------------------


@dataclass
class Items:
    problems: dict[str, ProblemItem] = field(default_factory=dict)
    ledger: dict[str, LedgerItem] = field(default_factory=dict)


def problem(
    world: World,
    unit: Unit,
    description: str,
    *,
    campaign: Campaign | None,
    committee: Committee | None = None,
    **values: Any,
) -> ProblemItem:
    created = values.pop("created", TODAY - datetime.timedelta(days=30))
    item = ProblemItem.objects.create(
        committee=committee or world.committee,
        unit=unit,
        campaign=campaign,
        description=description,
        source=values.pop("source", ProblemSource.REVIEW_FINDING),
        deadline=values.pop("deadline", TODAY + datetime.timedelta(days=30)),
        **values,
    )
    ProblemItem.objects.filter(pk=item.pk).update(created_at=at(created))
    item.refresh_from_db()
    return item


def ledger_item(
    world: World,
    unit: Unit,
    task: str,
    *,
    campaign: Campaign | None,
    committee: Committee | None = None,
    **values: Any,
) -> LedgerItem:
    return LedgerItem.objects.create(
        committee=committee or world.committee,
        unit=unit,
        campaign=campaign,
        task=task,
        leader_in_charge=values.pop("leader_in_charge", "分管副局长"),
        deadline=values.pop("deadline", TODAY + datetime.timedelta(days=30)),
        created_by=world.user("committee_admin"),
        **values,
    )


def make_items(world: World) -> Items:
    """A's two items on the campaign (one closed, one overdue), B's one, a committee item of A
    without a campaign, and one of the other committee; the same shape on the ledger."""
    campaign = world.campaign
    items = Items()
    items.problems["a_closed"] = problem(
        world,
        world.unit_a,
        "台账不全",
        campaign=campaign,
        node=world.node("2.1"),
        severity=Severity.SERIOUS,
        responsible_person="甲书记",
        deadline=datetime.date(2026, 2, 1),
        state=ProblemState.CLOSED,
        closed_at=at(datetime.date(2026, 1, 20), 15),
        created=datetime.date(2026, 1, 5),
    )
    items.problems["a_overdue"] = problem(
        world,
        world.unit_a,
        "学习记录缺失",
        campaign=campaign,
        responsible_person="甲联络员",
        deadline=datetime.date(2026, 3, 1),
        state=ProblemState.IN_PROGRESS,
        created=datetime.date(2026, 1, 6),
    )
    items.problems["b_open"] = problem(
        world,
        world.unit_b,
        "乙单位的问题",
        campaign=campaign,
        source=ProblemSource.SPOT_CHECK,
        deadline=datetime.date(2026, 4, 1),
        created=datetime.date(2026, 1, 7),
    )
    items.problems["a_no_campaign"] = problem(
        world,
        world.unit_a,
        "工委检查发现的问题",
        campaign=None,
        source=ProblemSource.COMMITTEE_CHECK,
        deadline=datetime.date(2026, 5, 1),
        created=datetime.date(2026, 1, 8),
    )
    other_unit = Unit.objects.get(committee=world.other_committee)
    items.problems["other"] = problem(
        world,
        other_unit,
        "外工委的问题",
        campaign=None,
        committee=world.other_committee,
    )

    items.ledger["a_done"] = ledger_item(
        world,
        world.unit_a,
        "完善党建台账",
        campaign=campaign,
        leader_in_charge="王副局长",
        deadline=datetime.date(2026, 2, 15),
        cadence=Cadence.WEEKLY,
        state=LedgerState.DONE,
        last_report_at=at(datetime.date(2026, 2, 10), 9),
        closed_at=at(datetime.date(2026, 2, 12), 16),
    )
    items.ledger["a_late"] = ledger_item(
        world,
        world.unit_a,
        "整改学习制度",
        campaign=campaign,
        deadline=datetime.date(2026, 2, 28),
        escalation=Escalation.WARNED,
    )
    items.ledger["b_open"] = ledger_item(world, world.unit_b, "乙单位的督办事项", campaign=campaign)
    items.ledger["a_no_campaign"] = ledger_item(
        world, world.unit_a, "工委直接督办事项", campaign=None, deadline=datetime.date(2026, 6, 1)
    )
    items.ledger["other"] = ledger_item(
        world, other_unit, "外工委督办", campaign=None, committee=world.other_committee
    )
    return items


# --- evidence -----------------------------------------------------------------------------------


def evidence(unit: Unit, name: str, uploader: User, *, size: int = 1024, **values: Any) -> Evidence:
    digest = values.pop("sha256", hashlib.sha256(f"{unit.pk}/{name}".encode()).hexdigest())
    uploaded = values.pop("uploaded", TODAY)
    item = Evidence.objects.create(
        unit=unit,
        sha256=digest,
        original_name=name,
        stored_name=f"{unit.pk}-{digest[:32]}",
        kind=values.pop("kind", "pdf"),
        size=size,
        uploaded_by=uploader,
    )
    Evidence.objects.filter(pk=item.pk).update(uploaded_at=at(uploaded))
    item.refresh_from_db()
    return item


def link(item: Evidence, enrollment: Enrollment, node: IndicatorNode) -> EvidenceLink:
    return EvidenceLink.objects.create(evidence=item, enrollment=enrollment, node=node)


# --- many units, for the query counts -----------------------------------------------------------


def campaign_of(units: int, tag: str) -> Campaign:
    """A campaign of `units` units on the small system, each with an approved result and two
    evidence links, written as plain rows."""
    committee, _units = committee_with_units(
        name=f"查询计数工委{tag}",
        code=f"count-{tag}",
        units=[f"{tag}{n:03d}" for n in range(units)],
    )
    admin = persona("committee_admin", committee=committee)
    version = small_version(f"mofan-iss6-count-{tag}")
    campaign = active_campaign(
        committee=committee, version=version, admin=admin, name=f"{tag}活动", year=2026
    )
    nodes = list(IndicatorNode.objects.filter(version=version, code__in=("1.1", "2.1")))
    enrollments = list(Enrollment.objects.filter(campaign=campaign).select_related("unit"))
    UnitResult.objects.bulk_create(
        UnitResult(
            enrollment=e,
            campaign_id=e.campaign_id,
            self_total=Decimal(20),
            review_total=Decimal(20 + n % 10),
            composite=Decimal(20 + n % 10),
            type_scores={"1": str(10 + n % 10), "2": "10.00"},
            grade="良好",
            rank=n + 1,
            frozen=True,
        )
        for n, e in enumerate(enrollments)
    )
    Enrollment.objects.filter(campaign=campaign).update(state=EnrollmentState.APPROVED)
    for e in enrollments:
        for node in nodes:
            item = evidence(e.unit, f"{e.unit.name}-{node.code}.pdf", admin)
            link(item, e, node)
    ProblemItem.objects.bulk_create(
        ProblemItem(
            committee=committee,
            unit=e.unit,
            campaign=campaign,
            node=nodes[0],
            description=f"{e.unit.name}的问题",
            source=ProblemSource.RESULT,
            deadline=TODAY,
        )
        for e in enrollments
    )
    LedgerItem.objects.bulk_create(
        LedgerItem(
            committee=committee,
            unit=e.unit,
            campaign=campaign,
            task=f"{e.unit.name}的督办事项",
            leader_in_charge="分管领导",
            deadline=TODAY,
            created_by=admin,
        )
        for e in enrollments
    )
    return campaign


# --- reading the files back ----------------------------------------------------------------------


def render_bytes(export: Any, fmt: str) -> bytes:
    from mofan.reports.render import render

    stream = io.BytesIO()
    render(export, fmt, stream)
    return stream.getvalue()


def xlsx_sheet(data: bytes) -> Any:
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data)).worksheets[0]


def xlsx_rows(export: Any) -> list[list[Any]]:
    """The workbook's rows as values, the header first (checks the export first)."""
    export.check()
    sheet = xlsx_sheet(render_bytes(export, "xlsx"))
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]  # under the title


def xlsx_column(export: Any, header: str) -> list[Any]:
    """The values of the workbook's column headed `header` (the renderer leaves out a column
    empty in every row, so columns are found by their header, not their place)."""
    rows = xlsx_rows(export)
    return [row[rows[0].index(header)] for row in rows[1:]]


def csv_rows(export: Any) -> list[list[str]]:
    export.check()
    data = render_bytes(export, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- a plain in-memory table for the renderer tests (not registered) ------------------------------


class Table(Exporter):
    identifier = "test_table"
    label = "测试表"
    formats = ("xlsx", "csv")

    def __init__(
        self,
        columns: list[Column],
        rows: Sequence[Sequence[Any]] | Callable[[], Iterator[Sequence[Any]]],
        count: int | None = None,
        title: str = "测试表",
    ) -> None:
        self._columns = columns
        self._rows = rows
        self._count = count
        self._title = title
        self.campaign = None  # type: ignore[assignment]
        self.actor = None  # type: ignore[assignment]
        self.unit = None

    def check(self) -> None:
        return None

    def title(self) -> str:
        return self._title

    def columns(self) -> list[Column]:
        return self._columns

    def rows(self) -> Iterator[Sequence[Any]]:
        if callable(self._rows):
            yield from self._rows()
        else:
            yield from self._rows

    def count(self) -> int:
        if self._count is not None:
            return self._count
        return 0 if callable(self._rows) else len(self._rows)
