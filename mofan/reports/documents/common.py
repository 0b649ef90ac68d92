"""What the official documents share: who may have them, the issuer's data (name, document
number, date), the numbering of headings, and small text helpers the GB/T 9704 renderers use.

Documented choices
------------------
* Issuer (发文机关标志): the committee's full name followed by 文件 (a 红头文件), e.g.
  中共焦作市委市直机关工作委员会文件; the signature (署名) is the full name; the printer (印发机关)
  is the committee's office (…办公室). All from the committee record, nothing typed twice.
* Document number (发文字号) of a generated document: the prefix (机关代字) of the campaign's own
  number (e.g. 焦直文 from 焦直文〔2020〕140号), the year of the document's date in 六角括号, and
  the serial left blank for the office to fill in when it registers the document
  (焦直文〔2026〕　　号) on the export page's documents. A document drafted and issued through
  `reports.issuing` gets its serial from the committee's register instead. The campaign's
  number itself is cited in the body ("根据…焦直文〔2020〕140号文件要求").
  Brackets typed as [ ] ( ) ［ ］ 【 】 are normalised to 〔 〕 as the standard requires.
* Dates are written with Arabic numerals and no leading zeros: 2020年12月31日.
* Headings are numbered by the renderers in the order they occur: level 1 一、 二、…, level 2
  （一）（二）…, level 3 1. 2. …; a lower level restarts when a higher one begins. A heading
  whose text already starts with such a number is left as it is.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.roles import UNIT_READERS
from mofan.campaigns.models import Campaign
from mofan.core.exports.base import Block, Column, DatedExport, Doc, Document, Heading, Table
from mofan.evaluations.models import VetoInput, VetoSource
from mofan.evaluations.selectors import campaigns_for
from mofan.evaluations.selectors_ranking import approved_results
from mofan.organizations.models import Unit

_DIGITS = "零一二三四五六七八九"
BLANK_SERIAL = "\u3000\u3000"  # where the office writes the serial of the document number


# --- text helpers ------------------------------------------------------------------------------


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (1..999); other values in digits."""
    if not 1 <= n <= 999:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out = _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            return out + "零" + _DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


def cn_date(day: datetime.date) -> str:
    """2020年12月31日 (Arabic numerals, no leading zeros: GB/T 9704-2012 7.3.5.1)."""
    return f"{day.year}年{day.month}月{day.day}日"


_CN = "一二三四五六七八九十百"
_NUMBERED = re.compile(rf"^\s*([{_CN}]+、|（[{_CN}]+）|\d+[.．、]|（\d+）)")


def heading_label(level: int, n: int) -> str:
    if level <= 1:
        return f"{cn_number(n)}、"
    if level == 2:
        return f"（{cn_number(n)}）"
    if level == 3:
        return f"{n}."
    return f"（{n}）"


def numbered(blocks: Iterable[Block]) -> Iterator[tuple[Block, str]]:
    """Each block with the number its heading gets ("" for other blocks and for headings that
    carry their own number)."""
    counters = [0, 0, 0, 0]
    for block in blocks:
        if not isinstance(block, Heading):
            yield block, ""
            continue
        level = min(max(block.level, 1), 4)
        counters[level - 1] += 1
        for deeper in range(level, 4):
            counters[deeper] = 0
        if _NUMBERED.match(block.text):
            yield block, ""
        else:
            yield block, heading_label(level, counters[level - 1])


def width_em(text: str) -> float:
    """The width of a line in em of its font: full-width characters 1, half-width ones ½."""
    return sum(0.5 if unicodedata.east_asian_width(ch) in ("Na", "H", "N") else 1 for ch in text)


_BREAK_AFTER = "的于和与及暨、，"
# Words a title line must not end inside (no segmenter here: the words of these documents).
_WORDS = [
    "考评",
    "创建",
    "模范",
    "机关",
    "先进",
    "单位",
    "结果",
    "通报",
    "通知",
    "整改",
    "工作",
    "总结",
    "年度",
    "命名",
    "问题",
    "市直",
    "直属",
    "工委",
    "委员",
    "委员会",
    "党组",
    "党委",
    "活动",
    "实施",
    "方案",
    "有关",
    "事项",
    "决定",
    "情况",
    "问题清单",
    "清单",
    "通知书",
    "模范机关",
    "先进单位",
    "考评结果",
    "工作总结",
    "整改通知书",
]


_OPENING = "（(《〈「【〔“"
_CLOSING = "）)》〉」】〕”"


def _latin(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-_./")


def _inside_brackets(text: str, cut: int) -> bool:
    """Whether `cut` falls between an opening bracket or quote and its closing one."""
    depth = 0
    for char in text[:cut]:
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING and depth:
            depth -= 1
    return depth > 0


def _cut_penalty(text: str, cut: int) -> float:
    """How bad it is to end a title line at `cut` (0: after a closing word)."""
    before, after = text[cut - 1], text[cut]
    if after in "）」》〉”’，。、：；" or before in "（「《〈“‘":
        return 100
    if before.isdigit() and (after.isdigit() or after in "年月日号"):
        return 100
    if _latin(before) and _latin(after):
        return 100  # inside a Latin word or code: yueqing-2020
    if _inside_brackets(text, cut):
        return 50  # inside a bracketed name: （乐清方案示例）, 《…》
    if any(
        text[start : start + len(w)] == w
        for w in _WORDS
        for start in range(max(0, cut - len(w) + 1), cut)
    ):
        return 4
    return 0 if before in _BREAK_AFTER or after in "关暨" else 1.5


def split_title(title: str, max_em: float) -> list[str]:
    """A title too long for one line split into lines of at most `max_em` each, balanced in
    length and broken after a word that closes a phrase (的, 于, 和, 、 …) and never inside a
    common word or a number where possible (GB/T 9704-2012 7.3.1: 回行时要做到词意完整，排列
    对称，长短适宜，间距恰当)."""
    title = title.strip()
    if width_em(title) <= max_em:
        return [title]
    lines: list[str] = []
    rest = title
    while width_em(rest) > max_em:
        remaining = int(width_em(rest) // max_em) + 1
        target = width_em(rest) / remaining
        best: tuple[float, int] | None = None
        for cut in range(1, len(rest)):
            head = rest[:cut]
            if width_em(head) > max_em:
                break
            penalty = abs(width_em(head) - target) + _cut_penalty(rest, cut)
            if best is None or penalty < best[0]:
                best = (penalty, cut)
        cut = best[1] if best else max(1, int(max_em))
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(rest)
    return [line for line in lines if line]


_BRACKETS = re.compile(r"[\[（(［【〔]\s*(\d{4})\s*[\]）)］】〕]")
_NUMBER = re.compile(r"^(?P<prefix>.*?)〔(?P<year>\d{4})〕(?P<serial>\d*)\s*号?$")


def normalise_number(text: str) -> str:
    """焦直文[2020]140号, 焦直文（2020）140号 … → 焦直文〔2020〕140号."""
    return _BRACKETS.sub(lambda m: f"〔{m.group(1)}〕", text.strip())


def number_prefix(text: str) -> str:
    """The 机关代字 of a document number: 焦直文 from 焦直文〔2020〕140号 ("" if none)."""
    match = _NUMBER.match(normalise_number(text))
    return match.group("prefix").strip() if match else ""


def issued_number(campaign: Campaign, day: datetime.date) -> str:
    """The number of a document issued on `day`: the campaign number's prefix, the year, a blank
    serial for the office (see the module docstring); "" when the campaign has no number."""
    prefix = number_prefix(campaign.document_number)
    if not prefix:
        return ""
    return f"{prefix}〔{day.year}〕{BLANK_SERIAL}号"


def cited_basis(campaign: Campaign) -> str:
    """How the body cites the campaign's own document, the title first and the number after
    it in round brackets, as 公文 cite a document: "根据市委市直机关工委《关于…的通知》
    （焦直文〔2020〕140号）要求"; with only a number, "根据…焦直文〔2020〕140号文件要求"."""
    number = normalise_number(campaign.document_number)
    title = (campaign.document_title or "").strip().strip("《》")
    if title:
        cited = _("根据%(by)s《%(title)s》") % {"by": campaign.approved_by, "title": title}
        return cited + (_("（%(number)s）要求") % {"number": number} if number else _("要求"))
    if number:
        return _("根据%(by)s%(number)s文件要求") % {"by": campaign.approved_by, "number": number}
    return _("根据工作安排")


def attachment_lines(names: Sequence[str]) -> list[str]:
    """7.3.4: 附件：1.名称, 2.名称 … (no number for a single attachment, no punctuation after a
    name)."""
    many = len(names) > 1
    lines = []
    for i, name in enumerate(names, start=1):
        label = f"{i}." if many else ""
        lines.append((_("附件：") if i == 1 else "") + label + name.rstrip("。；;，,"))
    return lines


def cc_line(cc: str) -> str:
    """抄送：…。 of the 版记 ("" without copies)."""
    return _("抄送：%(cc)s。") % {"cc": cc.rstrip("。")} if cc else ""


def printed_line(day: datetime.date | None) -> str:
    """2020年10月15日印发 of the 版记."""
    return _("%(date)s印发") % {"date": cn_date(day)} if day else ""


def numbered_table(
    columns: list[Column],
    rows: Iterable[Sequence[Any]],
    *,
    number_width: int,
    caption: str = "",
) -> Table:
    """A table of a document whose first column numbers the rows (序号) from 1."""
    return Table(
        columns=[Column(_("序号"), "integer", number_width), *columns],
        rows=[(n, *row) for n, row in enumerate(rows, start=1)],
        caption=caption,
    )


def consulted(campaign: Campaign) -> str:
    """The departments whose opinions were recorded for the campaign (纪检监察、巡察、审计, in
    that order), joined; "" when none were: a document then says nothing of consulting them
    (issue 14)."""
    recorded = set(
        VetoInput.objects.filter(enrollment__campaign=campaign).values_list("source", flat=True)
    )
    return "、".join(str(s.label) for s in VetoSource if s.value in recorded)


def join_names(names: Iterable[str]) -> str:
    return "、".join(names)


def event_name(campaign: Campaign) -> str:
    """The campaign's name as the subject of 考评: without a trailing 考评/考评工作, also when a
    bracketed note follows it (…考评（乐清方案示例） → …（乐清方案示例）)."""
    name = campaign.name.strip()
    note = ""
    if name.endswith("）") and "（" in name:
        cut = name.rindex("（")
        name, note = name[:cut], name[cut:]
    for tail in ("考评工作", "考评"):
        if name.endswith(tail):
            return name[: -len(tail)] + note
    return name + note


# --- who may have a document -------------------------------------------------------------------


def is_staff_of(actor: Actor, campaign: Campaign) -> bool:
    return rules.is_staff_of(actor, campaign.committee_id)


def campaign_visible(actor: Actor, campaign: Campaign) -> bool:
    """The campaign pages' own rule (`evaluations.selectors.campaigns_for`)."""
    return campaigns_for(actor).filter(pk=campaign.pk).exists()


def require_staff(actor: Actor, campaign: Campaign) -> None:
    if not is_staff_of(actor, campaign):
        raise PermissionDenied(_("只有本工委的管理员和领导可以生成该公文。"))


def require_published_or_staff(actor: Actor, campaign: Campaign) -> None:
    """Staff always; an enrolled unit's admin or leader once the results are published — as on
    the unit's own page (`evaluations.views_campaign.enrollment_home`)."""
    if is_staff_of(actor, campaign):
        return
    units = actor.units_with(*UNIT_READERS)
    if not units or not campaign_visible(actor, campaign):
        raise PermissionDenied(_("您无权查看该创建活动的公文。"))
    if not campaign.enrollments.filter(unit_id__in=units).exists():
        raise PermissionDenied(_("您无权查看该创建活动的公文。"))
    if not campaign.results_published:
        raise PermissionDenied(_("考评结果尚未公布。"))


def require_unit_reader_or_staff(actor: Actor, campaign: Campaign, unit: Unit | None) -> Unit:
    """Staff for any unit of the committee; a unit's own admin or leader for its own unit."""
    if unit is None:
        raise ValueError("this document is addressed to one unit: pass unit=")
    if unit.committee_id != campaign.committee_id:
        raise PermissionDenied(_("该单位不属于本创建活动所在工委。"))
    if is_staff_of(actor, campaign):
        return unit
    if rules.reads_unit(actor, unit.pk) and campaign_visible(actor, campaign):
        return unit
    raise PermissionDenied(_("只能查看本单位的整改通知书。"))


# --- the base of the four documents ------------------------------------------------------------


class OfficialDocument(DatedExport, Document):
    """An official document of the campaign's committee. `today` dates it (default: today)."""

    formats: ClassVar[tuple[str, ...]] = ("docx", "pdf")

    @property
    def committee_name(self) -> str:
        return self.campaign.committee.name

    def issuer(self) -> str:
        return _("%(name)s文件") % {"name": self.committee_name}

    def signature(self) -> str:
        return self.committee_name

    def printer(self) -> str:
        return _("%(name)s办公室") % {"name": self.committee_name}

    def number(self) -> str:
        return issued_number(self.campaign, self.today)

    def issued(self, *, addressee: str, blocks: list[Block]) -> Doc:
        """The document as the committee issues it: red head, number, signature, date and the
        office as printer."""
        return Doc(
            title=self.title(),
            issuer=self.issuer(),
            number=self.number(),
            addressee=addressee,
            blocks=blocks,
            signature=self.signature(),
            date=self.today,
            printer=self.printer(),
        )


# --- the approved results ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitOutcome:
    """One unit's approved result, as the documents print it."""

    unit_id: int
    name: str
    grade: str
    composite: Decimal | None
    rank: int | None
    veto: bool
    advanced: bool
    sort_order: int


def outcomes(campaign: Campaign) -> list[UnitOutcome]:
    """Every approved result of the campaign in the committee's order of units (one query)."""
    rows = approved_results(campaign).values_list(
        "enrollment__unit_id",
        "enrollment__unit__name",
        "grade",
        "composite",
        "rank",
        "veto",
        "advanced",
        "enrollment__unit__sort_order",
    )
    return [UnitOutcome(*row) for row in rows]


class ResultsDocument(OfficialDocument):
    """A document of the campaign's approved results (the results bulletin, the naming notice):
    staff always, the units once the results are published; refused before any approval."""

    not_approved: ClassVar[Any]  # the refusal before approval (a lazy translation)

    def check(self) -> None:
        require_published_or_staff(self.actor, self.campaign)
        if not outcomes(self.campaign):
            raise ValidationError(self.not_approved)


def grade_order(campaign: Campaign, found: Iterable[str] = ()) -> list[str]:
    """The campaign's grades, best first (bands by their minimum ratio, then qualitative
    rules), then any other grade found in the results."""
    bands = sorted(
        campaign.grade_bands or [], key=lambda b: Decimal(str(b.get("min_ratio", 0))), reverse=True
    )
    labels = [str(b["label"]) for b in bands if b.get("label")]
    labels += [str(r["label"]) for r in campaign.level_rules or [] if r.get("label")]
    labels += list(found)
    seen: list[str] = []
    for label in labels:
        if label and label not in seen:
            seen.append(label)
    return seen


def quoted(text: str) -> str:
    return f"“{text}”"


def veto_consequence(campaign: Campaign) -> str:
    """What a veto blocks, in words: 不得评为“优秀”等次和先进单位."""
    grades = [quoted(b) for b in campaign.veto_blocks if b != "advanced"]
    parts = []
    if grades:
        parts.append(_("%(grades)s等次") % {"grades": "、".join(grades)})
    if "advanced" in campaign.veto_blocks:
        parts.append(_("先进单位"))
    if not parts:
        return ""
    return _("不得评为%(what)s") % {"what": "和".join(parts)}


def honour_name(campaign: Campaign) -> str:
    """The title the naming notice confers (seed 001: 市直机关创建模范机关先进单位)."""
    return _("%(year)d年度创建模范机关先进单位") % {"year": campaign.year}
