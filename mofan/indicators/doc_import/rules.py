"""Scoring rules read from a node's words: per-incident deductions (每…扣N分, 扣完为止), floors
(不得分), bonuses (加N分, with a cap), vetoes (一票否决, 撤销…称号), grade bands (优/良/一般/不合格
with their deductions, 好/较好/一般/差 tiers), and quantitative thresholds (每年不少于12次) as
candidate rules over the activity ledger. Each finder returns plain format values and the
character spans it read, for the review page's highlighting."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

NUM = r"(\d+(?:\.\d+)?)"
CLAUSES = re.compile(r"[^，。；;,]+")
DEDUCT = re.compile(rf"扣\s*(?:除\s*)?{NUM}\s*分")
ZERO = re.compile(r"不得分|不计分|得0分|记0分|计0分")
ADD = re.compile(rf"(?:加|(?<=[每次篇项分])积)\s*{NUM}\s*分")  # 加2分; 积分制: 每次积1分
EARNED = re.compile(rf"(?<![每次篇项条个人分])积\s*{NUM}\s*分")
BONUS_CAP = re.compile(
    rf"(?:最高|最多|累计|合计|总分)?\s*(?:加分)?\s*(?:不超过|不得超过|最高|最多|封顶|为限)\s*{NUM}\s*分|{NUM}\s*分封顶"
)
DEDUCT_CAP = re.compile(rf"(?:最多|最高|累计)\s*扣\s*{NUM}\s*分|扣分不超过\s*{NUM}\s*分")
VETO = re.compile(r"一票否决|实行否决|取消.{0,12}(?:资格|称号)|撤销.{0,12}称号")
GRADE_WORDS = (
    "优秀",
    "优",
    "良好",
    "良",
    "较好",
    "好",
    "一般",
    "合格",
    "基本合格",
    "较差",
    "差",
    "不合格",
)
GRADE_LABELS = "|".join(sorted(GRADE_WORDS, key=len, reverse=True))
GRADE_FULL = re.compile(rf"({GRADE_LABELS})(?:的)?(?:按|得|计)?满分")
GRADE_DEDUCT = re.compile(rf"({GRADE_LABELS})(?:的)?扣\s*{NUM}\s*[-—~～至到]\s*{NUM}\s*分")
GRADE_HALF = re.compile(rf"({GRADE_LABELS})(?:的)?按?(?:一半|50%|50％)以下")
GRADE_TIER = re.compile(rf"({GRADE_LABELS})(?:的)?\s*[（(：:]?\s*(?:得|计|为)?\s*{NUM}\s*分")
OVERALL_BAND = re.compile(
    rf"({GRADE_LABELS})\s*[（(：:]?\s*{NUM}\s*分\s*(?:以上|及以上|\(含\)以上|（含）以上)"
)
PERIODS = (
    ("每年", "year"),
    ("年度", "year"),
    ("全年", "year"),
    ("每半年", "half_year"),
    ("半年", "half_year"),
    ("每季度", "quarter"),
    ("每季", "quarter"),
    ("每五年", "five_years"),
    ("5年", "five_years"),
    ("五年", "five_years"),
    ("每月", "year"),
)
THRESHOLD = re.compile(
    r"(每年|年度|全年|每半年|半年|每季度|每季|每月|每五年|五年|5年)[^，。；;]{0,16}?"
    r"(?:不少于|至少|不低于|达到|不得少于)[^，。；;\d一二两三四五六七八九十]{0,6}?"
    r"(\d+|[一二两三四五六七八九十]+)\s*(次|课|期|篇|天|学时|小时|个)"
)
RATIO = re.compile(r"([^，。；;]{2,16}?)(?:达到|不低于|不少于)\s*(\d+(?:\.\d+)?)\s*[%％]")
SUBJECTS = (
    ("党支部", "branch"),
    ("支部", "branch"),
    ("班子成员", "leader"),
    ("领导干部", "leader"),
    ("书记", "leader"),
    ("党组", "party_group"),
    ("党员", "member"),
    ("干部", "cadre"),
)
_CN_SMALL = {
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


def _number(text: str) -> Decimal:
    if text.isdigit():
        return Decimal(text)
    if text in _CN_SMALL:
        return Decimal(_CN_SMALL[text])
    if text.startswith("十") and len(text) == 2:
        return Decimal(10 + _CN_SMALL.get(text[1], 0))
    return Decimal(
        _CN_SMALL.get(text[0], 1) * 10 + (_CN_SMALL.get(text[-1], 0) if len(text) == 3 else 0)
    )


Span = tuple[int, int, str]


COUNT = r"(\d+|[一二两三四五六七八九十]+)"
STEP = re.compile(
    rf"(?:累计|达到|满)?\s*(第)?\s*{COUNT}\s*(?:次|项|回|人次|例)\s*(?:[（(]含[)）])?\s*(及以上|以上|或以上|起)?\s*"
    rf"(?:的)?\s*(?:各|共|累计)?\s*(每次|每项)?\s*(?:扣\s*(?:除\s*)?{NUM}\s*分|(不得分|不计分|得0分|扣完为止))"
)
ONWARD = re.compile(r"以此类推|依此类推|依次类推")
# "每次各扣0.5分，以此类推，四次以上不得分": the first step of a scale written per time
EACH_STEP = re.compile(rf"每(?:次|人次)\s*各?\s*扣\s*{NUM}\s*分")


# A clause of a scale: split at commas, and at 、 only before the next step (第2次…), so
# "迟到、早退一次各扣0.5分" stays one clause.
SCALE_CLAUSES = re.compile(r"(?:[^，。；;,、]|、(?!\s*第?\s*[\d一二两三四五六七八九十]+\s*次))+")


def _scale_of(steps: list[tuple[int, Decimal | None]], ordinal: bool) -> list[Any]:
    """Cumulative totals for 1..n incidents from the steps read (count, amount; None = all
    the points); an ordinal amount (第2次扣2分) is that incident's own. A gap (以此类推) is
    filled at the last rate."""
    scale: list[Any] = []
    rate = Decimal(0)
    for count, amount in steps:
        while len(scale) < count - 1:
            scale.append(None if scale[-1] is None else scale[-1] + rate)
        previous = scale[-1] if scale else Decimal(0)
        if amount is None or previous is None:
            scale.append(None)
            continue
        value = previous + amount if ordinal else amount
        rate = value - previous
        scale.append(value)
    return scale


def scales(text: str) -> tuple[list[dict[str, Any]], list[Span]]:
    """Non-linear scales, one rule per run of clauses: "无故缺席一次扣3分，两次扣5分，三次（含）
    以上不得分", "迟到一次各扣0.5分，以此类推，四次以上不得分", "第1次扣1分、第2次扣2分，第3次起
    每次扣3分": {label, scale (the total after 1..n incidents; None = all the points),
    per_incident (each further one, when stated)}."""
    clauses = list(SCALE_CLAUSES.finditer(text))
    found: list[dict[str, Any]] = []
    spans: list[Span] = []
    i = 0
    steps: list[tuple[int, Decimal | None]]
    while i < len(clauses):
        first = STEP.search(clauses[i].group(0))
        each = EACH_STEP.search(clauses[i].group(0)) if not first else None
        if each is not None and i + 1 < len(clauses) and ONWARD.fullmatch(clauses[i + 1].group(0)):
            start, steps, ordinal = each.start(), [(1, Decimal(each.group(1)))], False
        elif first is not None and _number(first.group(2)) == 1:
            start, steps, ordinal = first.start(), [(1, _amount(first))], bool(first.group(1))
        else:
            i += 1
            continue
        per_incident = None
        j = i + 1
        while j < len(clauses):
            part = clauses[j].group(0).strip()
            if ONWARD.fullmatch(part):
                j += 1
                continue
            match = STEP.match(part)
            if not match or _number(match.group(2)) <= steps[-1][0]:
                break
            steps.append((int(_number(match.group(2))), _amount(match)))
            j += 1
            if match.group(3) and match.group(4) and match.group(5):  # 起每次扣N分
                per_incident = Decimal(match.group(5))
                break
        if len(steps) < 2:
            i += 1
            continue
        rule: dict[str, Any] = {
            "label": _clean_label(clauses[i].group(0)[:start]),
            "scale": _scale_of(steps, ordinal),
        }
        if per_incident is not None:
            rule["per_incident"] = per_incident
        found.append(rule)
        spans.extend((c.start(), c.end(), "rule-deduct") for c in clauses[i:j])
        i = j
    return found, spans


def _amount(match: re.Match[str]) -> Decimal | None:
    return Decimal(match.group(5)) if match.group(5) else None


def _clean_label(label: str) -> str:
    label = re.sub(r"^(发现|对|凡|如|若|有)", "", label.strip())
    return label.strip(" 的、") or label


def _in_scales(text: str) -> Callable[[re.Match[str]], bool]:
    """Whether a clause is part of a scale (read by `scales`, not again per clause)."""
    taken = [(start, end) for start, end, _css in scales(text)[1]]
    return lambda clause: any(s < clause.end() and clause.start() < e for s, e in taken)


def deductions(text: str) -> tuple[list[dict[str, Any]], list[Span]]:
    """Per-incident deductions, one rule per clause: {label, per_incident}; the clauses of a
    non-linear scale are read by `scales`."""
    found: list[dict[str, Any]] = []
    spans: list[Span] = []
    taken = _in_scales(text)
    before = ""
    for clause in CLAUSES.finditer(text):
        part = clause.group(0)
        match = DEDUCT.search(part)
        if taken(clause) or not match:
            before = part
            continue
        label = part[: match.start()]
        label = re.sub(
            r"(的)?(每|一|1)\s*(例|次|项|人|个|起|处|条|份|篇|名|天|件|期|批)?\s*$", "", label
        )
        label = re.sub(r"^(发现|对|凡|如|若|有)", "", label.strip())
        # "无故不参加理论学习，一次扣2分": the incident is the clause before
        label = label.strip(" 的") or _clean_label(before)[:40] or part.strip()
        before = part
        found.append({"label": label, "per_incident": Decimal(match.group(1))})
        spans.append((clause.start(), clause.end(), "rule-deduct"))
    return found, spans


def floors(text: str) -> tuple[list[str], list[Span]]:
    """Clauses that take all the points (…不得分)."""
    found, spans = [], []
    taken = _in_scales(text)
    for clause in CLAUSES.finditer(text):
        if taken(clause):
            continue
        part = clause.group(0)
        match = ZERO.search(part)
        if match:
            label = part[: match.start()].strip(" 的，,") or part.strip()
            found.append(label)
            spans.append((clause.start(), clause.end(), "rule-floor"))
    return found, spans


def bonus(text: str) -> tuple[Decimal | None, Decimal | None, list[Span]]:
    """(the points one bonus adds, the cap) when the text grants points."""
    adds = list(ADD.finditer(text))
    if not adds:
        return None, None, []
    spans: list[Span] = [(m.start(), m.end(), "rule-bonus") for m in adds]
    cap_match = BONUS_CAP.search(text)
    cap = None
    if cap_match:
        cap = Decimal(cap_match.group(1) or cap_match.group(2))
        spans.append((cap_match.start(), cap_match.end(), "rule-bonus"))
    return Decimal(adds[0].group(1)), cap, spans


def earned(text: str) -> Decimal | None:
    """The points a 积分制 item grants once ("按时足额交纳党费积5分"), not per incident."""
    match = EARNED.search(text)
    return Decimal(match.group(1)) if match else None


def deduct_cap(text: str) -> Decimal | None:
    match = DEDUCT_CAP.search(text)
    return Decimal(match.group(1) or match.group(2)) if match else None


def veto(text: str) -> list[Span]:
    return [(m.start(), m.end(), "rule-veto") for m in VETO.finditer(text)]


def grade_bands(
    text: str, points: Decimal | None = None
) -> tuple[list[dict[str, Any]], list[Span]]:
    """Bands best first: "优按满分，良扣1-3分、一般扣3-5分，不合格按一半以下分值计分", or tiers
    with their points ("好10分、较好8分、一般5分、差0分") when the item's points are known."""
    bands: dict[str, dict[str, Any]] = {}
    order: list[tuple[int, str]] = []
    spans: list[Span] = []
    for match in GRADE_FULL.finditer(text):
        bands[match.group(1)] = {"label": match.group(1), "deduct": [Decimal(0), Decimal(0)]}
        order.append((match.start(), match.group(1)))
        spans.append((match.start(), match.end(), "rule-grade"))
    for match in GRADE_DEDUCT.finditer(text):
        low, high = Decimal(match.group(2)), Decimal(match.group(3))
        bands[match.group(1)] = {"label": match.group(1), "deduct": [low, high]}
        order.append((match.start(), match.group(1)))
        spans.append((match.start(), match.end(), "rule-grade"))
    for match in GRADE_HALF.finditer(text):
        bands[match.group(1)] = {"label": match.group(1), "ratio": [Decimal(0), Decimal("0.5")]}
        order.append((match.start(), match.group(1)))
        spans.append((match.start(), match.end(), "rule-grade"))
    if not bands and points is not None:
        tiers = [m for m in GRADE_TIER.finditer(text) if Decimal(m.group(2)) <= points]
        if len(tiers) >= 2:
            for match in tiers:
                off = points - Decimal(match.group(2))
                bands[match.group(1)] = {"label": match.group(1), "deduct": [off, off]}
                order.append((match.start(), match.group(1)))
                spans.append((match.start(), match.end(), "rule-grade"))
    if len(bands) < 2:
        return [], []
    labels = []
    for _start, label in sorted(order):
        if label not in labels:
            labels.append(label)
    return [bands[label] for label in labels], spans


OVERALL_AFTER = re.compile(
    rf"{NUM}\s*分(?:及|\(含\)|（含）)?以上(?:的)?(?:为|评为|定为)\s*([^\s，。；、,]{{1,6}})"
)


def overall_bands(text: str) -> tuple[list[dict[str, Any]], list[Span]]:
    """The scheme's result grades ("优秀（90分以上）", "90分以上为五星级"): [{label, min}] best
    first."""
    after = [
        (m.start(), m.end(), m.group(2), Decimal(m.group(1))) for m in OVERALL_AFTER.finditer(text)
    ]
    if len(after) >= 2:
        return (
            [{"label": label, "min": value} for _s, _e, label, value in after],
            [(s, e, "rule-grade") for s, e, _l, _v in after],
        )
    found = [
        (m.start(), m.end(), m.group(1), Decimal(m.group(2))) for m in OVERALL_BAND.finditer(text)
    ]
    if not found:
        return [], []
    return (
        [{"label": label, "min": value} for _s, _e, label, value in found],
        [(s, e, "rule-grade") for s, e, _l, _v in found],
    )


def thresholds(text: str) -> tuple[list[dict[str, Any]], list[Span]]:
    """Candidate ledger rules: "每年不少于12次" → {measure: count, threshold: 12, period: year,
    subject}; "…达到90%" → {measure: ratio, threshold: 0.9}."""
    found: list[dict[str, Any]] = []
    spans: list[Span] = []
    for match in THRESHOLD.finditer(text):
        word = match.group(1)
        period = next(p for w, p in PERIODS if word.startswith(w) or word == w)
        count = _number(match.group(2))
        if word == "每月":
            count *= 12
        before = text[text.rfind("。", 0, match.start()) + 1 : match.end()]
        subject = next((s for w, s in SUBJECTS if w in before), "unit")
        found.append(
            {
                "label": _label(text, match.start(), match.end()),
                "measure": "count",
                "threshold": count,
                "period": period,
                "subject": subject,
                "source": match.group(0),
            }
        )
        spans.append((match.start(), match.end(), "rule-threshold"))
    for match in RATIO.finditer(text):
        value = Decimal(match.group(2)) / 100
        if value > 1:
            continue
        before = text[max(0, match.start() - 10) : match.end()]
        found.append(
            {
                "label": match.group(1).strip(),
                "measure": "ratio",
                "threshold": value,
                "period": "year",
                "subject": next((s for w, s in SUBJECTS if w in before), "unit"),
                "source": match.group(0),
            }
        )
        spans.append((match.start(), match.end(), "rule-threshold"))
    return found, spans


def _label(text: str, start: int, end: int) -> str:
    """The clause a threshold sits in, as the rule's label."""
    left = max(text.rfind(c, 0, start) for c in "，。；;,") + 1
    rights = [i for i in (text.find(c, end) for c in "，。；;,") if i >= 0]
    right = min(rights) if rights else len(text)
    return text[left:right].strip()[:60]
