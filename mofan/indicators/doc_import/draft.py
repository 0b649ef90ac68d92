"""The proposed tree as a `mofan-indicators/1` document, with what the clerk must check: the
declared totals that differ from their children's sum, and every source line that went into
no node (未识别)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from mofan.indicators.doc_import import highlight, rules
from mofan.indicators.doc_import.build import Built, PNode, build
from mofan.indicators.doc_import.lines import HEADER_WORDS, marker
from mofan.indicators.doc_import.phases import phases
from mofan.indicators.fileformat import Document, canonical, dump_yaml
from mofan.indicators.tree import NodeData, walk

NAME_END = re.compile(
    r"(方案|细则|标准|办法|意见|体系|指标|考核表|评分表|测评表|考评表)(（[^）]*）)?$"
)
ISSUER_END = re.compile(r"(委员会|工委|党委|党组|党工委|纪委|办公室|办公厅|中心|局|部|厅|委)$")
ISSUER_LEAD = re.compile(
    r"^(?:中共)?([^（）()“”《》\s]{2,30}?(?:委员会|工委|党委|党组|中心|局|厅|办公室))(?=关于|“|《|\S{2})"
)
YEAR = re.compile(r"(20\d\d)\s*年")


@dataclass
class Mismatch:
    code: str
    title: str
    declared: Decimal
    total: Decimal


@dataclass
class SourceLine:
    number: int
    text: str
    code: str = ""  # the node it went into
    status: str = (
        "unrecognised"  # node (in the tree) | layout (read: header, points, blank) | unrecognised
    )
    css: str = ""

    @property
    def segments(self) -> list[tuple[str, str]]:
        """The line cut into plain and highlighted pieces (only for lines that were read)."""
        if self.status != "node":
            return [(self.text, "")]
        return highlight.segments(self.text)


@dataclass
class Proposal:
    document: Document
    lines: list[SourceLine]
    mismatches: list[Mismatch] = field(default_factory=list)
    grades: list[dict[str, Any]] = field(default_factory=list)
    mode: str = ""

    @property
    def unrecognised(self) -> list[SourceLine]:
        return [line for line in self.lines if line.status == "unrecognised"]

    def yaml(self) -> str:
        return draft_yaml(self)


def _slug(name: str, text: str) -> str:
    stem = re.sub(r"\.(txt|docx|pdf)$", "", name.lower())
    ascii_part = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    base = ascii_part[:40].strip("-") if re.search(r"[a-z]", ascii_part) else "imported"
    return f"{base}-{digest}"


def _meta(lines: list[str]) -> tuple[str, str, int | None]:
    stripped = [
        re.sub(r"\s+", "", line)
        for line in lines
        if not line.startswith(("\t", "|")) and re.sub(r"\s+", "", line) not in HEADER_WORDS
    ]
    name = next(
        (
            s
            for s in stripped
            if NAME_END.search(s) and 4 <= len(s) <= 80 and "印发" not in s and "通知" not in s
        ),
        "",
    )
    if not name:  # a short first line is a title; a paragraph is not
        first = next((s for s in stripped if s), "")
        name = first if 0 < len(first) <= 40 else _("导入的指标体系")
    issuer = next(
        (
            s
            for s in stripped
            if ISSUER_END.search(s)
            and 4 <= len(s) <= 40
            and "关于" not in s
            and marker(s) is None
            and not s.startswith(("附件", "备注"))
        ),
        "",
    )
    if not issuer:  # "乐清市市政公用工程建设中心“模范机关”建设实施方案": the name's own issuer
        leading = ISSUER_LEAD.match(name)
        issuer = leading.group(1) if leading else ""
    years = [int(m.group(1)) for s in stripped for m in [YEAR.search(s)] if m]
    return name.strip("《》"), issuer or _("（待填写）"), years[0] if years else None


def propose(
    text: str,
    *,
    name: str = "",
    year: int | None = None,
    source: str = "",
    default_year: int = 2000,
) -> Proposal:
    """The draft for a document's text. Deterministic: the same text gives the same draft.
    The year is `year`, else the first one the text names, else `default_year` (the page and
    the command pass the current year)."""
    built = build(text)
    found_name, issuer, found_year = _meta(built.lines)
    note_text = "".join(u.text for u in built.notes)
    bands, _spans = rules.grade_bands(note_text)
    overall: list[dict[str, Any]] = []
    for unit in built.units:
        grades, _s = rules.overall_bands(unit.text)
        if len(grades) >= 2 and not overall:
            overall = grades
    scored = any(n.points is not None for root in built.roots for n in _pwalk(root))
    mismatches: list[Mismatch] = []
    roots = [
        _node(root, str(i), None, scored, bands, mismatches)
        for i, root in enumerate(built.roots, start=1)
    ]
    doc = Document(
        slug=_slug(name or source, text),
        name=(name or found_name)[:200],
        issuer=issuer[:100],
        year=year or found_year or default_year,
        version=1,
        roots=roots,
        source=(source or _("文档导入"))[:200],
        scoring="points" if scored else "qualitative",
    )
    if overall:
        doc.extra["grade_bands"] = overall
    doc.phases, phase_units = phases(built.units)
    built.used |= phase_units
    return Proposal(doc, _source_lines(built, roots), mismatches, overall, built.mode)


def _pwalk(node: PNode) -> list[PNode]:
    out = [node]
    for child in node.children:
        out.extend(_pwalk(child))
    return out


def _node(
    item: PNode,
    code: str,
    parent: str | None,
    scored: bool,
    bands: list[dict[str, Any]],
    mismatches: list[Mismatch],
    mood: str = "",
) -> NodeData:
    """`mood`: "veto" or "bonus" when an ancestor heads a list of vetoes ("有下列情形之一的，撤销
    …称号", "否决事项") or of bonuses ("加分项目"), for the leaves that do not say it again."""
    if _rules_only(item):
        item = _folded(item)
    title, group_cap = _strip_cap(item.title)
    node = NodeData(
        code=code,
        title=title.rstrip("。；;，, ") or item.title or "?",
        points=item.points,
        method={},
        parent=parent,
        criteria="".join(item.criteria).strip(),
        line=item.lines[0] if item.lines else None,
    )
    if group_cap is not None:
        node.note = _("原文：本类加分最多 %(n)s 分。") % {"n": _fmt(group_cap)}
    if item.each is not None:
        for child in item.children:
            if child.points is None:
                child.points = item.each
    if item.children and (
        rules.veto(title) or (rules.veto(item.text) and re.search(r"下列|以下|之一", item.text))
    ):  # a heading of vetoes, not one that only mentions them ("…和“一票否决”事项构成")
        mood = "veto"
    elif item.children and re.search(r"加分|奖励", title):
        mood = "bonus"
    node.children = [
        _node(child, f"{code}.{i}", code, scored, bands, mismatches, mood)
        for i, child in enumerate(item.children, start=1)
    ]
    node.extra["source_lines"] = sorted(set(item.lines))
    if node.children:
        node.method = {"type": "rollup", "mode": "sum" if scored else "worst"}
        counted = [c for c in node.children if c.method_type not in ("bonus", "veto")]
        if counted and all(c.points is not None for c in counted):
            total = sum(((c.points or Decimal(0)) * c.weight for c in counted), Decimal(0))
            if node.points is None:
                node.points = total
            elif node.points != total:
                mismatches.append(Mismatch(code, node.title, node.points, total))
        return node
    _leaf_method(node, item, scored, bands)
    if mood == "veto" and node.method_type in ("manual", "qualitative") and node.points is None:
        node.method = {"type": "veto"}
    elif mood == "bonus" and node.method_type in ("manual", "qualitative"):
        cap = node.points or group_cap
        if cap:
            node.method, node.points = {"type": "bonus", "cap": cap}, None
    node.method = canonical(node.method)  # plain numbers, as the database stores them
    node.rules = canonical(node.rules)
    return node


RULE_WORDS = re.compile(r"扣\s*(?:除\s*)?\d|不得分|不计分|加\s*\d+(?:\.\d+)?\s*分|一票否决")


def _rules_only(item: PNode) -> bool:
    """An item with points whose numbered lines are only its scoring rules, without points of
    their own ("（一）支部会议：10分" then "1.迟到…扣0.5分" "2.无故缺席…不得分"): one leaf."""
    return (
        item.points is not None
        and item.each is None
        and bool(item.children)
        and all(
            not c.children and c.points is None and RULE_WORDS.search(c.text) for c in item.children
        )
    )


def _folded(item: PNode) -> PNode:
    texts = [c.text if c.text.endswith(("。", "；", ";")) else c.text + "；" for c in item.children]
    return PNode(
        title=item.title,
        points=item.points,
        criteria=[*item.criteria, *texts],
        lines=item.lines + [n for c in item.children for n in c.lines],
        label=item.label,
        spans=item.spans,
    )


CAP_NOTE = re.compile(
    r"[（(][^（）()]*?(?:最高|最多|不超过|封顶)[^（）()]*?(\d+(?:\.\d+)?)\s*分[^（）()]*[）)]"
)


def _strip_cap(title: str) -> tuple[str, Decimal | None]:
    """ "加分项目（最高加10分）" → ("加分项目", 10)."""
    match = CAP_NOTE.search(title)
    if not match:
        return title, None
    return (title[: match.start()] + title[match.end() :]).strip(), Decimal(match.group(1))


def _key(code: str, n: int, prefix: str) -> str:
    return f"{prefix}_{code.replace('.', '_')}_{n}"


def _leaf_method(node: NodeData, item: PNode, scored: bool, bands: list[dict[str, Any]]) -> None:
    text = item.text
    points = node.points
    candidates, _spans = rules.thresholds(text)
    node.rules = [
        {"key": _key(node.code, i, "r"), **rule} for i, rule in enumerate(candidates, start=1)
    ]
    if rules.veto(text) and (points is None or points == 0):
        node.method = {"type": "veto"}
        node.points = None
        return
    earned = rules.earned(text) if points is None else None
    if earned is not None:  # 积分制: "廉洁自律积5分" states the item's points
        node.points = points = earned
    added, cap, _b = rules.bonus(text)
    if added is not None and (points is None or "加分" in item.title):
        node.method = {"type": "bonus", "cap": cap or points or added}
        node.points = None
        return
    if points is None:
        node.method = {"type": "qualitative"} if not scored else {"type": "manual"}
        if scored:
            node.note = _("原文未给出本项分值，请补填。")
        return
    found, _d = rules.deductions(text)
    scaled, _s = rules.scales(text)
    own, _g = rules.grade_bands(text, points)
    zeros, _z = rules.floors(text)
    if found or scaled or (zeros and not own):
        rule_list = [_scaled(r, points, node.title) for r in scaled]
        rule_list += [
            {"label": r["label"], "per_incident": min(r["per_incident"], points)} for r in found
        ]
        rule_list += [{"label": f"{label}（不得分）", "per_incident": points} for label in zeros]
        for i, rule in enumerate(rule_list, start=1):
            rule["key"] = _key(node.code, i, "d")
        method: dict[str, Any] = {"type": "deduction", "floor": 0, "rules": rule_list}
        limit = rules.deduct_cap(text)
        if limit is not None and limit <= points:
            method["cap"] = limit
        node.method = method
        return
    chosen = own or bands
    if chosen:
        node.method = {"type": "grade", "bands": [_fit(b, points) for b in chosen]}
        return
    node.method = {"type": "manual", "step": Decimal("0.5")}


def _scaled(rule: dict[str, Any], points: Decimal, title: str) -> dict[str, Any]:
    """A scale read from the text, its "不得分" steps as all the points and no step above
    them; named after the item when the text names no incident (第1次扣1分…)."""
    out = dict(rule)
    out["label"] = rule["label"] or title[:40]
    out["scale"] = [points if v is None else min(v, points) for v in rule["scale"]]
    return out


def _fit(band: dict[str, Any], points: Decimal) -> dict[str, Any]:
    """A band's deduction no larger than the item's points (一般扣3-5分 on a 4-point item
    takes 3-4)."""
    out = dict(band)
    if "deduct" in out:
        low, high = out["deduct"]
        out["deduct"] = [min(low, points), min(high, points)]
    return out


def _source_lines(built: Built, roots: list[NodeData]) -> list[SourceLine]:
    out = {
        n: SourceLine(n, text, status="layout" if not text.strip() else "unrecognised")
        for n, text in enumerate(built.lines, start=1)
    }
    for node, _depth in walk(roots):
        for number in node.extra.get("source_lines", []):
            line = out[number]
            if line.status != "node":
                line.status, line.code = "node", node.code
    for index, unit in enumerate(built.units):
        if index in built.used:
            for number in unit.lines:
                if out[number].status != "node":
                    out[number].status = "layout"
        for number, _s, _e, css in unit.spans:
            out[number].css = css
    return list(out.values())


def draft_yaml(proposal: Proposal) -> str:
    """The draft file: a header of what to check, the document, then the unrecognised lines,
    all as YAML comments (the file still loads with `indicators_import`)."""
    doc = proposal.document
    for node, _depth in walk(doc.roots):
        node.extra.pop("source_lines", None)
    head = [
        "# " + _("由文档导入生成的指标体系草稿（请核对后再导入）。"),
        "# "
        + _("识别方式：%(m)s；节点 %(n)d 个；未识别的行 %(u)d 行。")
        % {
            "m": proposal.mode,
            "n": sum(1 for _ in walk(doc.roots)),
            "u": sum(1 for line in proposal.unrecognised if line.text.strip()),
        },
    ]
    for item in proposal.mismatches:
        head.append(
            "# "
            + _("分值核对：%(c)s “%(t)s” 声明 %(d)s 分，下级合计 %(s)s 分。")
            % {"c": item.code, "t": item.title, "d": _fmt(item.declared), "s": _fmt(item.total)}
        )
    tail = ["", "# " + _("未识别的行（第 N 行：原文）：")]
    for line in proposal.unrecognised:
        if line.text.strip():
            tail.append(f"# {line.number}: {line.text.strip()}")
    return "\n".join(head) + "\n" + dump_yaml(doc) + "\n".join(tail) + "\n"


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")
