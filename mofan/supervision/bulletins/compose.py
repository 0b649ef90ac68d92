"""The pure half of bulletins: `compose_bulletin` and `compose_monthly` turn plain facts (see
`selectors_bulletins`) into a Chinese draft text in the usual shape of a 通报 (一、基本情况 /
二、发现的主要问题 / 三、整改落实情况 / 四、逾期未完成事项 / 五、下一步工作要求). "Overdue" always
means: not closed and the deadline before the reference day (`today`, or the end of the period
for a monthly bulletin), so an item due today is not yet overdue."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from mofan.supervision.models import VisitMode
from mofan.supervision.selectors_bulletins import (
    FindingFact,
    ItemFact,
    MonthlyFacts,
    OverdueFact,
    UnitStatus,
)

INDENT = "\u3000\u3000"  # two full-width spaces open every paragraph of an official document
_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Draft:
    title: str
    body: str


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1..99)."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _percent(part: int, whole: int) -> int:
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


def _document(
    *, intro: str, sections: list[tuple[str, list[str]]], committee: str, dated: dt.date
) -> str:
    lines = [_("各单位："), INDENT + intro]
    for number, (heading, paragraphs) in enumerate(sections, start=1):
        lines.append(f"{INDENT}{cn_number(number)}、{heading}")
        lines.extend(paragraphs)
    lines += ["", committee, cn_date(dated)]
    return "\n".join(lines) + "\n"


def _numbered(rows: Iterable[str]) -> list[str]:
    return [f"{INDENT}{j}.{row}" for j, row in enumerate(rows, start=1)]


def _subsections(parts: list[tuple[str, list[str]]]) -> list[str]:
    """（一）…（二）… over the non-empty parts only, numbered consecutively."""
    lines: list[str] = []
    for number, (heading, rows) in enumerate(((h, r) for h, r in parts if r), start=1):
        lines.append(f"{INDENT}（{cn_number(number)}）{heading}")
        lines.extend(rows)
    return lines


def _overdue_section(overdue: Sequence[OverdueFact], today: dt.date) -> list[str]:
    if not overdue:
        return [INDENT + _("无逾期未完成事项。")]

    def row(f: OverdueFact, label: str) -> str:
        days = (today - f.deadline).days
        return f"{f.unit}：{_one_line(f.text)}（{label}{cn_date(f.deadline)}，已逾期{days}天）"

    return _subsections(
        [
            (
                _("问题清单"),
                _numbered(row(f, _("整改时限")) for f in overdue if f.kind == "problem"),
            ),
            (
                _("督办事项"),
                _numbered(row(f, _("完成时限")) for f in overdue if f.kind == "ledger"),
            ),
        ]
    )


def _overdue_counts(overdue: Sequence[OverdueFact]) -> tuple[int, int]:
    problems = sum(1 for f in overdue if f.kind == "problem")
    return problems, len(overdue) - problems


def next_steps() -> list[str]:
    return [
        INDENT
        + _(
            "（一）压实整改责任。各单位党组（党委）要切实履行主体责任，对通报指出的问题逐项"
            "对照检查，明确责任人和完成时限，做到问题不清零、整改不销号。"
        ),
        INDENT
        + _(
            "（二）抓紧办理逾期事项。对逾期未完成的事项，相关单位要查明原因、拿出措施，"
            "尽快整改到位，并在平台中如实更新整改进展，不再另行报送纸质材料。"
        ),
        INDENT
        + _(
            "（三）举一反三、建章立制。各单位要以通报问题为镜鉴，查漏补缺，健全长效机制，"
            "防止问题反弹回潮。"
        ),
    ]


# --- 专项通报 ---------------------------------------------------------------------------------


def _basic_facts(
    findings: Sequence[FindingFact],
    statuses: Sequence[UnitStatus] | None,
    overdue: Sequence[OverdueFact] | None,
) -> list[str]:
    """The clauses of 基本情况, one per part the bulletin includes."""
    facts: list[str] = []
    if findings:
        units = len({f.unit for f in findings})
        facts.append(
            _("评审组在实地考评中发现主要问题%(n)d条，涉及%(u)d个单位")
            % {"n": len(findings), "u": units}
        )
    if statuses is not None:
        total = sum(s.total for s in statuses)
        closed = sum(s.closed for s in statuses)
        late = sum(s.overdue for s in statuses)
        facts.append(
            _("问题清单共%(t)d项，已销号%(c)d项，尚未销号%(o)d项，其中逾期%(l)d项")
            % {"t": total, "c": closed, "o": total - closed, "l": late}
        )
    if overdue is not None:
        problems, ledger = _overdue_counts(overdue)
        facts.append(
            _("逾期未完成事项%(n)d项（问题清单%(p)d项、督办事项%(l)d项）")
            % {"n": len(overdue), "p": problems, "l": ledger}
        )
    return facts


def _findings_section(findings: Sequence[FindingFact]) -> list[str]:
    """发现的主要问题: one subsection per unit, its findings numbered."""
    by_unit: dict[str, list[FindingFact]] = {}
    for f in findings:
        by_unit.setdefault(f.unit, []).append(f)
    return _subsections(
        [
            (
                unit,
                _numbered(
                    _one_line(f.text) + (f"（{f.indicator}）" if f.indicator else "") for f in rows
                ),
            )
            for unit, rows in by_unit.items()
        ]
    )


def _status_row(s: UnitStatus) -> str:
    row = _("%(u)s：问题%(t)d项，已销号%(c)d项，尚未销号%(o)d项") % {
        "u": s.unit,
        "t": s.total,
        "c": s.closed,
        "o": s.open,
    }
    if s.overdue:
        row += _("，其中逾期%(l)d项") % {"l": s.overdue}
    return row + _("，销号率%(r)d%%。") % {"r": _percent(s.closed, s.total)}


def _status_section(statuses: Sequence[UnitStatus]) -> list[str]:
    """整改落实情况: one numbered row per unit."""
    rows = [_status_row(s) for s in statuses]
    return _numbered(rows) if rows else [INDENT + _("暂无问题清单项。")]


def compose_bulletin(
    *,
    committee: str,
    today: dt.date,
    campaign: str = "",
    findings: Sequence[FindingFact] = (),
    statuses: Sequence[UnitStatus] | None = None,
    overdue: Sequence[OverdueFact] | None = None,
    title: str = "",
) -> Draft:
    """A 专项通报 from the findings picked, the per-unit rectification status (None: left out)
    and the overdue items (None: left out), as of `today`."""
    scope = campaign or _("模范机关创建工作")
    title = title or _("关于%(scope)s有关问题及整改落实情况的通报") % {"scope": scope}
    intro = _(
        "为推动模范机关创建各项任务落到实处，现将%(scope)s有关问题及整改落实情况通报如下。"
    ) % {"scope": scope}
    facts = _basic_facts(findings, statuses, overdue)
    summary = "；".join(facts) if facts else _("暂无需要通报的事项")
    as_of = _("截至%(d)s，") % {"d": cn_date(today)}
    sections: list[tuple[str, list[str]]] = [(_("基本情况"), [f"{INDENT}{as_of}{summary}。"])]
    if findings:
        sections.append((_("发现的主要问题"), _findings_section(findings)))
    if statuses is not None:
        sections.append((_("整改落实情况"), _status_section(statuses)))
    if overdue is not None:
        sections.append((_("逾期未完成事项"), _overdue_section(overdue, today)))
    sections.append((_("下一步工作要求"), next_steps()))
    return Draft(
        title=title,
        body=_document(intro=intro, sections=sections, committee=committee, dated=today),
    )


# --- 周督查月通报 -------------------------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _monthly_summary(facts: MonthlyFacts, as_of: dt.date) -> str:
    """基本情况 of the month: visits, 约谈, problem items, ledger items, and what was overdue."""
    announced = sum(1 for v in facts.visits if v.mode == VisitMode.ANNOUNCED)
    problems_late, ledger_late = _overdue_counts(facts.overdue)
    return _(
        "本月共开展明察暗访%(v)d次（明察%(a)d次、暗访%(b)d次），涉及%(u)d个单位；开展约谈%(i)d次；"
        "新列入问题清单%(c)d项，销号%(d)d项；督办事项办结%(ld)d项。"
        "截至%(cut)s，逾期未完成问题清单%(po)d项、逾期未办结督办事项%(lo)d项。"
    ) % {
        "v": len(facts.visits),
        "a": announced,
        "b": len(facts.visits) - announced,
        "u": len({v.unit for v in facts.visits}),
        "i": len(facts.interviews),
        "c": len(facts.created),
        "d": len(facts.closed),
        "ld": len(facts.ledger_done),
        "cut": cn_date(as_of),
        "po": problems_late,
        "lo": ledger_late,
    }


def _monthly_found(facts: MonthlyFacts) -> list[str]:
    """发现的主要问题 of the month: what the visits found, new problem items, 约谈."""
    modes: dict[str, str] = {VisitMode.ANNOUNCED: _("明察"), VisitMode.UNANNOUNCED: _("暗访")}
    return _subsections(
        [
            (
                _("明察暗访发现的问题"),
                _numbered(
                    f"{v.unit}（{cn_date(v.visited_on)}，{modes.get(v.mode, v.mode)}）："
                    f"{_one_line(v.findings)}"
                    for v in facts.visits
                ),
            ),
            (
                _("新列入问题清单的问题"),
                _numbered(
                    f"{i.unit}：{_one_line(i.text)}（{cn_date(i.on)}列入）" for i in facts.created
                ),
            ),
            (
                _("约谈情况"),
                _numbered(
                    _("%(u)s：%(d)s约谈%(who)s，指出问题：%(p)s")
                    % {
                        "u": t.unit,
                        "d": cn_date(t.held_on),
                        "who": t.interviewee,
                        "p": _one_line(t.points),
                    }
                    for t in facts.interviews
                ),
            ),
        ]
    ) or [INDENT + _("本月未发现需要通报的问题。")]


def _done(items: list[ItemFact], lead: str, verb: str) -> list[str]:
    """A count line ("本月…%(n)d项") followed by the items, numbered."""
    head = f"{INDENT}{lead % {'n': len(items)}}" + ("：" if items else "。")
    rows = _numbered(f"{i.unit}：{_one_line(i.text)}（{cn_date(i.on)}{verb}）" for i in items)
    return [head, *rows]


def compose_monthly(
    *,
    committee: str,
    year: int,
    month: int,
    as_of: dt.date,
    facts: MonthlyFacts,
    dated: dt.date,
    campaign: str = "",
) -> Draft:
    """A 周督查月通报 for the month: visits (明察暗访) and 约谈 held in it, problem items listed and
    closed in it, ledger items done in it, and what was overdue at the end of day `as_of`."""
    start, end = month_bounds(year, month)
    title = _("关于%(y)d年%(m)d月督查情况的通报") % {"y": year, "m": month}
    scope = campaign or _("机关纪律作风和模范机关创建")
    intro = _(
        "按照“周督查、月通报”工作要求，现将%(y)d年%(m)d月（%(s)s至%(e)s）%(scope)s督查情况通报如下。"
    ) % {"y": year, "m": month, "s": cn_date(start), "e": cn_date(end), "scope": scope}
    rectified = _done(facts.closed, _("本月问题清单销号%(n)d项"), _("销号")) + _done(
        facts.ledger_done, _("本月督办事项办结%(n)d项"), _("办结")
    )
    sections = [
        (_("基本情况"), [INDENT + _monthly_summary(facts, as_of)]),
        (_("发现的主要问题"), _monthly_found(facts)),
        (_("整改落实情况"), rectified),
        (_("逾期未完成事项"), _overdue_section(facts.overdue, as_of)),
        (_("下一步工作要求"), next_steps()),
    ]
    return Draft(
        title=title,
        body=_document(intro=intro, sections=sections, committee=committee, dated=dated),
    )
