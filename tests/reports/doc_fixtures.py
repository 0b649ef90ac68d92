"""A finished campaign for the official documents (issue 6 point 4), built on
`tests/evaluations/campaign_fixtures` and `tests/rectification/rereview_fixtures` (read them
for the personas and the scores).

After `build_doc_world()`:

* Units A 甲 (17/30, 不达标, problem list), B 乙 (27, 优秀), C 丙 (15, 不达标, vetoed by 纪检监察,
  problem list) and D 丁 (28, 优秀, enrolled after the campaign was created). Honours quota
  0.5 → floor(4 × 0.5) = 2 advanced units: B and D. The campaign cites 焦直文〔2024〕140号.
* Problem items: the automatic ones of A (4: two findings and the two lowest leaves) and of C
  (3 lowest leaves), deadline 2026-05-01; one of A's is closed (销号) and one in progress; B
  has one item of its own from a committee check (its text must never reach another unit).
* Review: two groups, three reviewers (leader, assigned, unassigned); four assignments; two
  on-site visits; four findings, three listed as problems.
* Supervision: one announced spot-check draw of A and B with one visit; one published monthly
  bulletin and one draft; two ledger items (one done) and one 约谈 on the open one.
* With `publish=True` (default) the results are published (without the ranking).

Documents are dated `DOC_DAY` (2026-05-20): the open items are then overdue.
"""

from __future__ import annotations

import ctypes
import datetime
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from django.utils import timezone
from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.exports.base import Column, Export, Exporter
from mofan.evaluations import approval
from mofan.evaluations.figures.setwise import campaign_recompute
from mofan.evaluations.models import Assignment, ConsolidatedScore, Visit
from mofan.organizations.models import Unit
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from mofan.rectification.services import problem_item_create
from mofan.reports.render import render
from mofan.supervision.models import (
    Bulletin,
    BulletinKind,
    BulletinState,
    Interview,
    LedgerItem,
    LedgerState,
    SpotCheckDraw,
    SpotCheckVisit,
)
from tests.evaluations.campaign_fixtures import LEAVES, World, build_world
from tests.factories import UnitFactory
from tests.rectification.rereview_fixtures import approve, finish_review
from tests.world import persona

DOC_DAY = datetime.date(2026, 5, 20)
NUMBER = "焦直文〔2024〕140号"
B_ITEM = "乙单位专项检查发现的问题：学习台账缺页"


@dataclass
class DocWorld:
    world: World
    unit_d: Unit
    ed: Enrollment
    b_item: ProblemItem
    users: dict[str, User]

    @property
    def campaign(self) -> Campaign:
        return Campaign.objects.get(pk=self.world.campaign.pk)

    def actor(self, name: str) -> Actor:
        if name in self.users:
            return actor_for(self.users[name])
        return self.world.actor(name)

    def unit(self, letter: str) -> Unit:
        return {
            "A": self.world.unit_a,
            "B": self.world.unit_b,
            "C": self.world.unit_c,
            "D": self.unit_d,
        }[letter]


def build_doc_world(*, publish: bool = True) -> DocWorld:
    world = build_world()
    campaign = world.campaign
    Campaign.objects.filter(pk=campaign.pk).update(
        honours_quota=Decimal("0.5"), approved_by="市委市直机关工委", document_number=NUMBER
    )
    unit_d = UnitFactory(committee=world.committee, name="丁单位", short_name="丁")
    ed = Enrollment.objects.create(campaign=campaign, unit=unit_d)
    users = {
        "d_admin": persona("unit_admin", unit_a=unit_d, full_name="丁联络员"),
        "a_member": persona("member", unit_a=world.unit_a, full_name="甲党员"),
    }
    finish_review(world)
    leader = world.user("leader")
    assignment_d = Assignment.objects.create(group=world.group2, enrollment=ed)
    ConsolidatedScore.objects.bulk_create(
        ConsolidatedScore(
            enrollment=ed,
            node=world.node(code),
            score={"1.1": Decimal(10), "1.2": Decimal(9), "2.1": Decimal(9)}.get(code),
            decided_by=leader,
        )
        for code in LEAVES
    )
    Enrollment.objects.filter(pk=ed.pk).update(state=EnrollmentState.REVIEWED)
    Visit.objects.create(
        assignment=world.assignment_a,
        visited_on=datetime.date(2026, 2, 10),
        place="甲单位会议室",
        recorded_by=leader,
    )
    Visit.objects.create(
        assignment=assignment_d,
        visited_on=datetime.date(2026, 2, 11),
        place="丁单位会议室",
        recorded_by=world.user("unassigned"),
    )
    campaign_recompute(campaign=campaign)  # D's rows and the quota were written directly
    approve(world)
    admin = world.actor("committee_admin")
    campaign.refresh_from_db()
    if publish:
        approval.campaign_publish(campaign=campaign, actor=admin)

    # The problem lists: A's first item closed, its second in progress; B's own item.
    a_items = list(ProblemItem.objects.filter(unit=world.unit_a).order_by("pk"))
    ProblemItem.objects.filter(pk=a_items[0].pk).update(
        # A fixed day, not today: the layout references hold the 销号日期 as text.
        state=ProblemState.CLOSED,
        closed_at=timezone.make_aware(datetime.datetime(2026, 5, 28, 10, 0)),
    )
    ProblemItem.objects.filter(pk=a_items[1].pk).update(
        state=ProblemState.IN_PROGRESS, measures="逐项补齐台账"
    )
    b_item = problem_item_create(
        unit=world.unit_b,
        source=ProblemSource.COMMITTEE_CHECK,
        description=B_ITEM,
        deadline=datetime.date(2026, 6, 30),
        actor=admin,
        required_measures="补齐学习台账",
        campaign=campaign,
    )

    # Supervision.
    admin_user = world.user("committee_admin")
    draw = SpotCheckDraw.objects.create(
        committee=world.committee,
        campaign=campaign,
        title="第一次随机抽查",
        seed="20260301",
        inputs={"mode": "announced"},
        result={"units": [world.unit_a.pk, world.unit_b.pk], "inspectors": []},
        created_by=admin_user,
    )
    SpotCheckVisit.objects.create(
        draw=draw,
        unit=world.unit_a,
        mode="announced",
        visited_on=datetime.date(2026, 3, 5),
        findings="台账基本齐全",
        recorded_by=admin_user,
    )
    for state in (BulletinState.PUBLISHED, BulletinState.DRAFT):
        Bulletin.objects.create(
            committee=world.committee,
            campaign=campaign,
            kind=BulletinKind.MONTHLY,
            title=f"月度通报（{state}）",
            body="正文",
            state=state,
            created_by=admin_user,
        )
    open_ledger = LedgerItem.objects.create(
        committee=world.committee,
        campaign=campaign,
        unit=world.unit_a,
        task="完善学习制度",
        leader_in_charge="甲领导",
        deadline=datetime.date(2026, 4, 30),
        created_by=admin_user,
    )
    LedgerItem.objects.create(
        committee=world.committee,
        campaign=campaign,
        unit=world.unit_c,
        task="整改组织生活",
        leader_in_charge="丙领导",
        deadline=datetime.date(2026, 4, 30),
        state=LedgerState.DONE,
        created_by=admin_user,
    )
    Interview.objects.create(
        committee=world.committee,
        unit=world.unit_a,
        ledger_item=open_ledger,
        interviewer="工委副书记",
        interviewee="甲单位书记",
        held_on=datetime.date(2026, 5, 6),
        points="整改进度慢",
        recorded_by=admin_user,
    )
    return DocWorld(world=world, unit_d=unit_d, ed=ed, b_item=b_item, users=users)


class SheetExporter(Exporter):
    """A score-sheet-like table of `n` rows; `wide` adds columns so it needs a landscape page."""

    identifier: ClassVar[str] = "test_sheet"
    label: ClassVar[str] = "测试评分表"
    formats: ClassVar[tuple[str, ...]] = ("docx", "pdf")
    n: int = 3
    wide: bool = False
    produced: int = 0

    def check(self) -> None:
        return None

    def columns(self) -> list[Column]:
        columns = [
            Column("序号", "integer", 4),
            Column("单位", "text", 14),
            Column("得分", "number", 6),
            Column("完成率", "percent", 6),
            Column("审定日期", "date", 9),
        ]
        if self.wide:
            columns += [Column(f"指标{i}", "number", 4) for i in range(1, 6)]
        return columns

    def rows(self) -> Iterator[Sequence[Any]]:
        for i in range(1, self.n + 1):
            self.produced += 1
            row: list[Any] = [
                i,
                f"第{i}单位",
                Decimal("27.5"),
                Decimal("87.25"),
                datetime.date(2026, 5, 20),
            ]
            if self.wide:
                row += [Decimal(i)] * 5
            yield row

    def count(self) -> int:
        return self.n


# --- reading what was rendered ------------------------------------------------------------------


def rendered(export: Export, fmt: str) -> bytes:
    """The file `export` renders as `fmt`, through the project's dispatcher."""
    stream = io.BytesIO()
    render(export, fmt, stream)
    return stream.getvalue()


def open_docx(data: bytes) -> DocxDocument:
    return new_document(io.BytesIO(data))


def east_asia(run: Any) -> str | None:
    """The East Asian font a run names (w:rFonts/@w:eastAsia)."""
    rpr = run._r.rPr
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def paragraph_with(document: DocxDocument, text: str) -> Any:
    """The first body paragraph whose text equals `text` (or starts with it, if none equals)."""
    paragraphs = document.paragraphs
    exact = [p for p in paragraphs if p.text == text]
    if exact:
        return exact[0]
    found = [p for p in paragraphs if p.text.startswith(text)]
    assert found, f"no paragraph {text!r} in {[p.text for p in paragraphs]}"
    return found[0]


def docx_tables(document: DocxDocument) -> list[list[list[str]]]:
    """The data tables, as rows of cell texts: not the 版记, a table floating at the page's foot
    (its ``w:tblpPr``)."""
    return [
        [[cell.text for cell in row.cells] for row in table.rows]
        for table in document.tables
        if table._tbl.tblPr.find(qn("w:tblpPr")) is None
    ]


@dataclass(frozen=True)
class PdfRun:
    """One text object of a PDF page: its text and its font."""

    page: int
    text: str
    font: str
    embedded: bool
    font_data: bytes


def pdf_pages_text(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def pdf_page_sizes(data: bytes) -> list[tuple[float, float]]:
    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_size() for i in range(len(pdf))]
    finally:
        pdf.close()


def pdf_runs(data: bytes) -> list[PdfRun]:
    """Every text object with the font it is drawn in, read through pdfium."""
    pdf = pdfium.PdfDocument(data)
    runs: list[PdfRun] = []
    fonts: dict[int, tuple[str, bool, bytes]] = {}
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
                font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
                key = ctypes.cast(font, ctypes.c_void_p).value or 0
                if key not in fonts:
                    size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
                    name = ctypes.create_string_buffer(size)
                    pdfium_c.FPDFFont_GetBaseFontName(font, name, size)
                    length = ctypes.c_size_t()
                    pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(length))
                    program = ctypes.create_string_buffer(length.value)
                    pdfium_c.FPDFFont_GetFontData(
                        font,
                        ctypes.cast(program, ctypes.POINTER(ctypes.c_uint8)),
                        length.value,
                        ctypes.byref(length),
                    )
                    fonts[key] = (
                        name.value.decode(),
                        bool(pdfium_c.FPDFFont_GetIsEmbedded(font)),
                        program.raw[: length.value],
                    )
                chars = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
                buffer = ctypes.create_string_buffer(chars * 2)
                pdfium_c.FPDFTextObj_GetText(
                    obj.raw,
                    textpage.raw,
                    ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)),
                    chars,
                )
                text = buffer.raw.decode("utf-16-le").split("\x00", 1)[0]
                runs.append(PdfRun(index + 1, text, *fonts[key]))
    finally:
        pdf.close()
    return runs


def uncovered(runs: list[PdfRun]) -> dict[str, set[str]]:
    """Per font, the characters drawn in it that its embedded program has no glyph for (what
    would print as a box): looked up in the embedded font's own cmap with fontTools."""
    from fontTools.ttLib import TTFont

    cmaps: dict[str, dict[int, str]] = {}
    missing: dict[str, set[str]] = {}
    for run in runs:
        if run.font not in cmaps:
            font = TTFont(io.BytesIO(run.font_data), fontNumber=0)
            cmaps[run.font] = font.getBestCmap() or {}
        cmap = cmaps[run.font]
        for char in run.text:
            if char.isspace():
                continue
            if cmap.get(ord(char)) in (None, ".notdef"):
                missing.setdefault(run.font, set()).add(char)
    return missing


@pytest.fixture
def docs(db) -> DocWorld:
    return build_doc_world()


@pytest.fixture
def docs_unpublished(db) -> DocWorld:
    return build_doc_world(publish=False)


__all__ = [
    "B_ITEM",
    "DOC_DAY",
    "NUMBER",
    "DocWorld",
    "PdfRun",
    "SheetExporter",
    "build_doc_world",
    "docs",
    "docs_unpublished",
    "docx_tables",
    "east_asia",
    "open_docx",
    "paragraph_with",
    "pdf_page_sizes",
    "pdf_pages_text",
    "pdf_runs",
    "rendered",
    "uncovered",
]
