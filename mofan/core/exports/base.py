"""What an export is. Two kinds, both registered by identifier (`registry.register`):

* `Exporter`: a table. `columns()` and `rows()` (a generator: rows are produced as they are
  read, so 20,000 units never sit in memory as objects); rendered as xlsx and CSV, and — for
  the score sheet — also as docx and PDF.
* `Document`: an official document (公文): `build()` returns a plain `Doc` (issuer, number,
  title, addressee, blocks, signature, date) that the GB/T 9704 docx renderer and the PDF
  renderer both lay out.

Both read only through the scoped selectors the pages use, checked in `check()`: an export never
shows a user more than the pages do. Construct with the campaign, the actor and (for per-unit
exports) the unit; `check()` raises PermissionDenied (or Http404-like `LookupError`) first.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from django.utils import timezone

# What an export is built from, named for the reader: core imports no app, so these are the
# campaign (campaigns.Campaign), the actor (accounts.access.Actor) and the unit
# (organizations.Unit) as the exports receive them.
Campaign = Any
Actor = Any
Unit = Any
Programme = Any  # honours.HonourProgramme
Call = Any  # cases.CaseCall

ColumnKind = Literal["text", "number", "integer", "date", "percent"]
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = "text"
    width: int = 12  # in Chinese characters; renderers size columns from it


class Export:
    """Common to tables and documents."""

    identifier: ClassVar[str]
    label: ClassVar[str]  # Chinese, shown in menus and `export --list`
    formats: ClassVar[tuple[str, ...]]
    per_unit: ClassVar[bool] = False  # needs a unit (`--unit`)
    # What it is built for: "campaign" (constructed with the campaign; offered on the campaign's
    # export page and by `manage.py export`), "programme" (`ProgrammeDocument`) or "case_call"
    # (`CallDocument`).
    scope: ClassVar[str] = "campaign"
    # Runs in the background from the web page when the campaign has more units than this.
    background_above_units: ClassVar[int] = 200

    def __init__(self, *, campaign: Campaign, actor: Actor, unit: Unit | None = None) -> None:
        self.campaign = campaign
        self.actor = actor
        self.unit = unit

    def check(self) -> None:
        """Raise PermissionDenied unless the actor may see everything this export shows."""
        raise NotImplementedError

    def title(self) -> str:
        return str(self.label)

    def heading(self) -> str:
        """The title printed above a table: the campaign's name and the title."""
        name = getattr(self.campaign, "name", "")
        return f"{name} {self.title()}" if name else self.title()

    def filename(self, fmt: str) -> str:
        parts = [self.campaign.name, str(self.label)]
        if self.unit is not None:
            parts.insert(1, self.unit.name)
        return "-".join(parts) + f".{fmt}"


class DatedExport(Export):
    """An export as of a day: `today` (default: today) dates a document and fixes the day
    overdue flags are computed for (tests, jobs)."""

    def __init__(
        self,
        *,
        campaign: Campaign,
        actor: Actor,
        unit: Unit | None = None,
        today: datetime.date | None = None,
    ) -> None:
        super().__init__(campaign=campaign, actor=actor, unit=unit)
        self.today = today or timezone.localdate()


class Exporter(Export):
    formats: ClassVar[tuple[str, ...]] = ("xlsx", "csv")

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def rows(self) -> Iterator[Sequence[Any]]:
        raise NotImplementedError

    def count(self) -> int:
        """How many rows `rows()` will yield (for the progress bar); 0 when unknown."""
        return 0


# --- the plain document model of an official document (公文) -------------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1: 一、 (黑体)  2: （一） (楷体)  3: 1. (仿宋 bold)


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[Sequence[Any]]
    caption: str = ""


Block = Heading | Paragraph | Table


@dataclass
class Doc:
    title: str
    issuer: str = ""  # 发文机关标志, printed red, e.g. "中共焦作市委市直机关工作委员会文件"
    number: str = ""  # 发文字号, e.g. 焦直文〔2020〕140号
    addressee: str = ""  # 主送机关
    blocks: list[Block] = field(default_factory=list)
    signature: str = ""  # 发文机关署名
    date: datetime.date | None = None  # 成文日期, printed in Arabic numerals
    attachments: list[str] = field(default_factory=list)  # 附件说明
    cc: str = ""  # 抄送
    printer: str = ""  # 印发机关


class Document(Export):
    formats: ClassVar[tuple[str, ...]] = ("docx",)

    def build(self) -> Doc:
        raise NotImplementedError


class ProgrammeDocument(Document):
    """An official document of one honour programme rather than of a campaign (the naming
    decision of a named programme): constructed with the programme and the actor, dated
    `today`; rendered synchronously by `reports.views_documents` (it is a page or two), not
    through the campaign's export jobs."""

    scope: ClassVar[str] = "programme"
    formats: ClassVar[tuple[str, ...]] = ("docx", "pdf")

    def __init__(
        self, *, programme: Programme, actor: Actor, today: datetime.date | None = None
    ) -> None:
        super().__init__(campaign=programme.campaign, actor=actor)
        self.programme = programme
        self.today = today or timezone.localdate()

    def filename(self, fmt: str) -> str:
        return f"{self.title()}.{fmt}"


class CallDocument(Document):
    """An official document of one call for brand cases (the compilation of its 优秀案例):
    constructed with the call and the actor, dated `today`; rendered synchronously by
    `reports.views_documents`, like `ProgrammeDocument`. A call belongs to no campaign."""

    scope: ClassVar[str] = "case_call"
    formats: ClassVar[tuple[str, ...]] = ("docx", "pdf")

    def __init__(self, *, call: Call, actor: Actor, today: datetime.date | None = None) -> None:
        super().__init__(campaign=None, actor=actor)
        self.call = call
        self.today = today or timezone.localdate()

    def filename(self, fmt: str) -> str:
        return f"{self.title()}.{fmt}"
