"""Test-only exports and renderers for the export-job tests (jobs, package, views, browser).

The real table and document renderers are other helpers' work; these tests exercise the job
machinery, so they register their own exports (under identifiers starting with `test_jobs_`,
or as stand-ins under the package's part identifiers) and their own small renderers for csv,
xlsx and docx. Both are installed through `monkeypatch`, so they are gone after each test:
nothing leaks into the registry or into `sys.modules` for other tests.

A stub renderer writes a recognisable text: tables as CSV lines behind a `STUB <fmt>` line,
calling `progress(done, total)` before the first row and after every row (as the real renderers
do); documents as `STUB <fmt> <identifier> <title>`.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, ClassVar

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.campaigns.models import Campaign
from mofan.core.exports import registry
from mofan.core.exports.base import Column, Doc, Document, Export, Exporter, Paragraph, Progress
from mofan.evaluations.selectors import campaigns_for
from mofan.organizations.models import Committee, Unit
from mofan.reports.models import ExportJob
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory
from tests.world import active_campaign, committee_with_units, persona

# --- renderers -------------------------------------------------------------------------------


def _render_table(fmt: str, export: Exporter, stream: BinaryIO, progress: Progress) -> None:
    total = export.count()
    stream.write(f"STUB {fmt}\n".encode())
    stream.write((",".join(c.header for c in export.columns()) + "\n").encode())
    progress(0, total)
    for done, row in enumerate(export.rows(), start=1):
        stream.write((",".join(str(v) for v in row) + "\n").encode())
        progress(done, total)


def _render_document(fmt: str, export: Document, stream: BinaryIO, progress: Progress) -> None:
    doc = export.build()
    progress(0, 1)
    stream.write(f"STUB {fmt} {export.identifier} {doc.title}\n".encode())
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            stream.write((block.text + "\n").encode())
    progress(1, 1)


def _stub_module(fmt: str) -> types.ModuleType:
    module = types.ModuleType(f"mofan.reports.render.{fmt}_format")

    def render(export: Export, stream: BinaryIO, progress: Progress) -> None:
        if isinstance(export, Document):
            _render_document(fmt, export, stream, progress)
        else:
            assert isinstance(export, Exporter)
            _render_table(fmt, export, stream, progress)

    module.render = render  # type: ignore[attr-defined]
    return module


@pytest.fixture
def stub_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    for fmt in ("csv", "xlsx", "docx"):
        monkeypatch.setitem(sys.modules, f"mofan.reports.render.{fmt}_format", _stub_module(fmt))


@pytest.fixture
def export_dir(settings: Any, tmp_path: Any) -> Any:
    settings.MOFAN_EXPORT_DIR = tmp_path / "exports"
    return settings.MOFAN_EXPORT_DIR


def register(monkeypatch: pytest.MonkeyPatch, *classes: type[Export]) -> None:
    """Register exports for this test only (restored by monkeypatch afterwards)."""
    for cls in classes:
        monkeypatch.setitem(registry._REGISTRY, cls.identifier, cls)


def unregister(monkeypatch: pytest.MonkeyPatch, identifier: str) -> None:
    monkeypatch.delitem(registry._REGISTRY, identifier, raising=False)


# --- exports ---------------------------------------------------------------------------------


def _readable(export: Export) -> None:
    if not campaigns_for(export.actor).filter(pk=export.campaign.pk).exists():
        raise PermissionDenied


class CountingTable(Exporter):
    """Any reader of the campaign may run it. Each row records what the job row in the
    database said at that moment (state, done, total): the progress the page would show."""

    identifier = "test_jobs_table"
    label = "测试统计表"
    formats = ("csv", "xlsx")
    size: ClassVar[int] = 10
    seen: ClassVar[list[tuple[str, int, int]]] = []

    def check(self) -> None:
        _readable(self)

    def columns(self) -> list[Column]:
        return [Column("序号", "integer"), Column("名称")]

    def count(self) -> int:
        return self.size

    def rows(self) -> Iterator[Sequence[Any]]:
        for n in range(1, self.size + 1):
            job = ExportJob.objects.filter(exporter=self.identifier).order_by("-pk").first()
            if job is not None:
                type(self).seen.append((job.state, job.done, job.total))
            yield (n, f"第{n}行")


class CommitteeTable(CountingTable):
    """Only the committee's staff may run it."""

    identifier = "test_jobs_committee"
    label = "测试工委专用表"

    def check(self) -> None:
        if self.campaign.committee_id not in self.actor.committees_with(*COMMITTEE_STAFF):
            raise PermissionDenied


class BackgroundTable(CountingTable):
    """Always goes to the background backend, however small the campaign."""

    identifier = "test_jobs_background"
    label = "测试后台报表"
    background_above_units = 0


class PerUnitTable(CountingTable):
    identifier = "test_jobs_per_unit"
    label = "测试单位表"
    per_unit = True

    def check(self) -> None:
        _readable(self)
        assert self.unit is not None
        staff = self.campaign.committee_id in self.actor.committees_with(*COMMITTEE_STAFF)
        own = self.unit.pk in self.actor.units_with(Role.UNIT_ADMIN, Role.UNIT_LEADER)
        if not (staff or own):
            raise PermissionDenied

    def rows(self) -> Iterator[Sequence[Any]]:
        assert self.unit is not None
        yield (1, self.unit.name)


class FailingTable(CountingTable):
    """Fails after three rows with an internal error."""

    identifier = "test_jobs_failing"
    label = "测试出错报表"

    def rows(self) -> Iterator[Sequence[Any]]:
        yield from list(super().rows())[:3]
        raise RuntimeError("internal detail: division by zero in row 4")


class RefusingTable(CountingTable):
    """Fails with a message meant for the user."""

    identifier = "test_jobs_refusing"
    label = "测试拒绝报表"

    def rows(self) -> Iterator[Sequence[Any]]:
        raise ValidationError("评审结果尚未审定，暂不能导出。")


@dataclass
class Gates:
    """Where GatedTable waits: after `first` rows for `one`, after `second` rows for `two`."""

    one: threading.Event
    two: threading.Event
    first: int = 2
    second: int = 4


class GatedTable(CountingTable):
    """A slow table whose pace the test sets: it stops at two gates the test opens."""

    identifier = "test_jobs_gated"
    label = "测试慢速报表"
    formats = ("csv",)
    size = 6
    background_above_units = 0
    gates: ClassVar[Gates | None] = None

    def rows(self) -> Iterator[Sequence[Any]]:
        gates = type(self).gates
        assert gates is not None
        for n in range(1, self.size + 1):
            if n == gates.first + 1:
                assert gates.one.wait(30), "gate one was never opened"
            if n == gates.second + 1:
                assert gates.two.wait(30), "gate two was never opened"
            yield (n, f"第{n}行")


# --- stand-ins for the package's parts ------------------------------------------------------


class _StandInDocument(Document):
    def check(self) -> None:
        if self.campaign.committee_id not in self.actor.committees_with(*COMMITTEE_STAFF):
            raise PermissionDenied

    def build(self) -> Doc:
        return Doc(title=f"{self.campaign.name}{self.label}", blocks=[Paragraph("正文")])


class WorkSummary(_StandInDocument):
    identifier = "work_summary"
    label = "工作总结"


class NamingNotice(_StandInDocument):
    identifier = "naming_notice"
    label = "命名通报"


class Ranking(CountingTable):
    identifier = "ranking"
    label = "考评排名表"
    formats = ("xlsx", "csv")


class EvidenceIndex(CountingTable):
    identifier = "evidence_index"
    label = "佐证材料索引"
    formats = ("xlsx", "csv")
    size = 3


PARTS = (WorkSummary, Ranking, NamingNotice, EvidenceIndex)


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    committee: Committee
    unit_a: Unit
    unit_b: Unit
    campaign: Campaign
    admin: Any  # committee admin
    leader: Any  # committee leader
    unit_admin: Any  # unit A's admin
    outsider: Any  # unit B's admin
    other_admin: Any  # another committee's admin

    def actor(self, name: str) -> Actor:
        return actor_for(getattr(self, name))


def build_world() -> World:
    committee, (unit_a, unit_b) = committee_with_units(
        name="岳阳市直机关工委（导出测试）", code="export-test"
    )
    admin = persona("committee_admin", committee=committee, full_name="王管理")
    campaign = active_campaign(
        committee=committee,
        version=small_version(),
        admin=admin,
        name="2026年模范机关创建",
        year=2026,
    )
    other = CommitteeFactory(name="另一个工委", code="export-other")
    where = {"committee": committee, "unit_a": unit_a, "unit_b": unit_b, "other": other}
    return World(
        committee=committee,
        unit_a=unit_a,
        unit_b=unit_b,
        campaign=campaign,
        admin=admin,
        leader=persona("committee_leader", **where, full_name="赵领导"),
        unit_admin=persona("unit_admin", **where, full_name="李联络"),
        outsider=persona("outsider", **where, full_name="孙联络"),
        other_admin=persona("other_admin", **where, full_name="钱管理"),
    )


@pytest.fixture
def world(db: Any) -> World:
    CountingTable.seen = []
    return build_world()


class FakeClock:
    """A monotonic clock that advances `step` seconds at every reading."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.readings = 0

    def __call__(self) -> float:
        value = self.readings * self.step
        self.readings += 1
        return value
