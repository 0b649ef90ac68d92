"""Scoring methods: validated parameters and pure scoring functions over plain data.

Nothing here touches the database. A method is a mapping `{"type": ..., **params}` as stored on
a node and in the YAML format (docs/indicator-format.md). Scores are Decimals rounded to 0.01.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CENT = Decimal("0.01")
DEFAULT_LEVELS = ("达标", "基本达标", "未达标")
METHOD_TYPES = (
    "rollup",
    "grade",
    "deduction",
    "quantitative",
    "manual",
    "qualitative",
    "bonus",
    "veto",
)
LEAF_TYPES = METHOD_TYPES[1:]
SCORED_TYPES = ("grade", "deduction", "quantitative", "manual")
# Leaves a unit may leave blank in its self-evaluation: units do not veto themselves, and a
# bonus is claimed only where there is one.
OPTIONAL_IN_SELF = ("veto", "bonus")


class ScoringInputError(ValueError):
    """The scorer's input does not fit the method; the message is shown to the user."""


@dataclass(frozen=True)
class LeafScore:
    score: Decimal | None = None  # points earned; None for qualitative and veto nodes
    level: str | None = None  # grade band or qualitative level
    level_rank: int | None = None  # 0 = best
    veto: bool = False
    bonus: Decimal = Decimal(0)


def dec(value: Any) -> Decimal:
    """A finite Decimal from a number or its text; anything else is the scorer's error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ScoringInputError(_("请填写数值。"))
    if isinstance(value, bool):
        raise ScoringInputError(_("“%(v)s”不是有效的数字。") % {"v": value})
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ScoringInputError(_("“%(v)s”不是有效的数字。") % {"v": value}) from exc
    if not result.is_finite():
        raise ScoringInputError(_("“%(v)s”不是有效的数字。") % {"v": value})
    return result


def fmt(value: Decimal) -> str:
    """A number for a message: `2`, `2.5`, never `2.00` or `1E+2`."""
    return format(value.normalize(), "f")


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def labels_of(method: Mapping[str, Any]) -> list[str]:
    if method.get("type") == "grade":
        return [str(b["label"]) for b in method.get("bands", [])]
    return [str(x) for x in method.get("labels", DEFAULT_LEVELS)]


# --- parameter checks -------------------------------------------------------------------------


def _grade_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    assert points is not None  # NEEDS_POINTS
    problems = []
    bands = method.get("bands") or []
    if not bands:
        problems.append(_("等次评分至少需要一个等次。"))
    for band in bands:
        label = band.get("label", "?")
        if "deduct" in band:
            low, high = (dec(x) for x in band["deduct"])
            if low < 0:
                problems.append(_("等次“%(l)s”的扣分不能为负。") % {"l": label})
            if low > high:
                problems.append(_("等次“%(l)s”的扣分范围下限大于上限。") % {"l": label})
            if high > points:
                problems.append(
                    _("等次“%(l)s”最多扣 %(h)s 分，超过了本项分值 %(p)s 分。")
                    % {"l": label, "h": fmt(high), "p": fmt(points)}
                )
        elif "ratio" in band:
            low, high = (dec(x) for x in band["ratio"])
            if not (0 <= low <= high <= 1):
                problems.append(_("等次“%(l)s”的比例范围应在 0 到 1 之间。") % {"l": label})
        else:
            problems.append(_("等次“%(l)s”缺少扣分范围或比例范围。") % {"l": label})
    return problems


def _deduction_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    assert points is not None  # NEEDS_POINTS
    problems = []
    items = method.get("rules") or []
    if not items:
        problems.append(_("扣分评分至少需要一条扣分规则。"))
    floor = dec(method.get("floor", 0))
    if floor < 0:
        problems.append(_("扣分下限不能为负。"))
    if floor > points:
        problems.append(
            _("扣分下限 %(f)s 超过了本项分值 %(p)s 分。") % {"f": fmt(floor), "p": fmt(points)}
        )
    if "cap" in method and dec(method["cap"]) < 0:
        problems.append(_("单项扣分上限不能为负。"))
    keys = set()
    for item in items:
        if "scale" in item:
            problems += _scale_problems(item, points)
        per = dec(item.get("per_incident", 0))
        if per <= 0 and "scale" not in item:
            problems.append(_("扣分规则“%(l)s”每次扣分应大于 0。") % {"l": item.get("label", "?")})
        if per > points:
            problems.append(
                _("扣分规则“%(l)s”每次扣 %(n)s 分，超过了本项分值 %(p)s 分。")
                % {"l": item.get("label", "?"), "n": fmt(per), "p": fmt(points)}
            )
        if item.get("key") in keys:
            problems.append(_("扣分规则标识“%(k)s”重复。") % {"k": item.get("key")})
        keys.add(item.get("key"))
    return problems


def _scale_problems(item: Mapping[str, Any], points: Decimal) -> list[str]:
    """A non-linear scale: the total taken after 1, 2, … incidents, never falling."""
    label = item.get("label", "?")
    steps = item.get("scale") or []
    if not isinstance(steps, list | tuple) or not steps:
        return [_("扣分规则“%(l)s”的累计扣分表不能为空。") % {"l": label}]
    values = [dec(v) for v in steps]
    if values[0] <= 0 or any(b < a for a, b in pairwise(values)):
        return [_("扣分规则“%(l)s”的累计扣分应大于 0 且逐次不减。") % {"l": label}]
    if values[-1] > points:
        return [
            _("扣分规则“%(l)s”累计扣 %(n)s 分，超过了本项分值 %(p)s 分。")
            % {"l": label, "n": fmt(values[-1]), "p": fmt(points)}
        ]
    return []


def _quantitative_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    problems = []
    if points is None:
        problems.append(_("量化评分需要分值。"))
    rule_keys = {r.get("key") for r in rules}
    if not method.get("rule"):
        problems.append(_("量化评分须指定一条量化规则。"))
    elif method["rule"] not in rule_keys:
        problems.append(_("量化评分引用的规则“%(k)s”不在本节点的规则中。") % {"k": method["rule"]})
    credit = method.get("credit", "none")
    if credit not in ("none", "linear", "steps"):
        problems.append(_("部分得分方式应为 none、linear 或 steps。"))
    if credit == "steps" and not method.get("steps"):
        problems.append(_("分档得分须列出各档。"))
    for step in method.get("steps") or []:
        if not 0 <= dec(step.get("ratio", -1)) <= 1:
            problems.append(_("分档得分比例应在 0 到 1 之间。"))
    return problems


def _manual_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    assert points is not None  # NEEDS_POINTS
    step = dec(method.get("step", "0.5"))
    maximum = dec(method.get("max", points))
    problems = []
    if step <= 0:
        problems.append(_("评分步长应大于 0。"))
    elif maximum % step != 0:
        problems.append(
            _("最高分 %(m)s 不是步长 %(s)s 的整数倍。") % {"m": fmt(maximum), "s": fmt(step)}
        )
    if "max" in method and maximum < 0:
        problems.append(_("最高分不能为负。"))
    if maximum > points:
        problems.append(
            _("最高分 %(m)s 超过了本项分值 %(p)s 分。") % {"m": fmt(maximum), "p": fmt(points)}
        )
    return problems


def _qualitative_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    labels = labels_of(method)
    problems = []
    if len(labels) < 2 or len(set(labels)) != len(labels):
        problems.append(_("定性等级至少两个且不能重复。"))
    if points is not None:
        problems.append(_("定性评价的节点不应有分值。"))
    return problems


def _bonus_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    if "cap" not in method or dec(method["cap"]) <= 0:
        return [_("加分项须设定大于 0 的加分上限。")]
    return []


def _veto_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    return [_("一票否决项不应有分值。")] if points not in (None, Decimal(0)) else []


def _rollup_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any]
) -> list[str]:
    if method.get("mode", "sum") not in ("sum", "worst", "counts"):
        return [_("汇总方式应为 sum、worst 或 counts。")]
    return []


# The methods that score within the node's points, and the refusal when it has none.
NEEDS_POINTS = {
    "grade": gettext_lazy("等次评分需要分值。"),
    "deduction": gettext_lazy("扣分评分需要分值。"),
    "manual": gettext_lazy("人工评分需要分值。"),
}

PARAM_CHECKS: dict[str, Callable[[Mapping[str, Any], Decimal | None, Sequence[Any]], list[str]]] = {
    "rollup": _rollup_problems,
    "grade": _grade_problems,
    "deduction": _deduction_problems,
    "quantitative": _quantitative_problems,
    "manual": _manual_problems,
    "qualitative": _qualitative_problems,
    "bonus": _bonus_problems,
    "veto": _veto_problems,
}


def param_problems(
    method: Mapping[str, Any], points: Decimal | None, rules: Sequence[Any] = ()
) -> list[str]:
    kind = method.get("type")
    check = PARAM_CHECKS.get(str(kind))
    if check is None:
        return [_("未知的评分方法“%(t)s”。") % {"t": kind}]
    if points is None and kind in NEEDS_POINTS:
        return [str(NEEDS_POINTS[str(kind)])]
    try:
        return check(method, points, rules)
    except (ScoringInputError, TypeError, ValueError, KeyError, AttributeError, IndexError):
        return [_("评分方法参数格式有误。")]


# --- scoring ----------------------------------------------------------------------------------


def _band_range(band: Mapping[str, Any], points: Decimal) -> tuple[Decimal, Decimal]:
    if "deduct" in band:
        low, high = (dec(x) for x in band["deduct"])
        return max(points - high, Decimal(0)), max(points - low, Decimal(0))
    low, high = (dec(x) for x in band["ratio"])
    return points * low, points * high


def score_grade(method: Mapping[str, Any], points: Decimal, value: Mapping[str, Any]) -> LeafScore:
    bands = list(method.get("bands", []))
    label = value.get("band")
    for rank, band in enumerate(bands):
        if band["label"] == label:
            low, high = _band_range(band, points)
            chosen = dec(value["value"]) if value.get("value") not in (None, "") else high
            if not low <= chosen <= high:
                raise ScoringInputError(
                    _("“%(l)s”等次的得分应在 %(a)s 到 %(b)s 之间。")
                    % {"l": label, "a": fmt(q(low)), "b": fmt(q(high))}
                )
            return LeafScore(score=q(chosen), level=str(label), level_rank=rank)
    raise ScoringInputError(_("请选择等次。"))


def score_deduction(
    method: Mapping[str, Any], points: Decimal, value: Mapping[str, Any]
) -> LeafScore:
    incidents = value.get("incidents") or {}
    if not isinstance(incidents, Mapping):
        raise ScoringInputError(_("扣分事项应逐项填写次数。"))
    total = Decimal(0)
    cap = dec(method["cap"]) if "cap" in method else None
    for rule in method.get("rules", []):
        taken = rule_deduction(rule, _count(incidents.get(rule["key"], 0), rule))
        total += min(taken, cap) if cap is not None else taken
    unknown = set(incidents) - {r["key"] for r in method.get("rules", [])}
    if unknown:
        raise ScoringInputError(_("未知的扣分事项：%(k)s。") % {"k": "、".join(sorted(unknown))})
    floor = dec(method.get("floor", 0))
    return LeafScore(score=q(max(points - total, floor)))


def rule_deduction(rule: Mapping[str, Any], count: int) -> Decimal:
    """What one rule takes for `count` incidents: `per_incident` each, or along its `scale`
    (the total after 1, 2, … n incidents; past n, `per_incident` more for each further one,
    or nothing more when the rule has none)."""
    if count <= 0:
        return Decimal(0)
    scale = rule.get("scale")
    if not scale:
        return dec(rule["per_incident"]) * count
    if count <= len(scale):
        return dec(scale[count - 1])
    return dec(scale[-1]) + dec(rule.get("per_incident", 0)) * (count - len(scale))


def rule_text(rule: Mapping[str, Any]) -> str:
    """How a rule deducts, in words: "每次扣 2 分", "1次扣 3 分、2次共扣 5 分、3次及以上共扣
    10 分"."""
    scale = rule.get("scale")
    if not scale:
        return _("每次扣 %(n)s 分") % {"n": fmt(dec(rule["per_incident"]))}
    parts = []
    for i, value in enumerate(scale, start=1):
        last = i == len(scale)
        if i == 1:
            text = _("1次扣 %(n)s 分")
        elif last and not rule.get("per_incident"):
            text = _("%(k)d次及以上共扣 %(n)s 分")
        else:
            text = _("%(k)d次共扣 %(n)s 分")
        parts.append(text % {"k": i, "n": fmt(dec(value))})
    if rule.get("per_incident"):
        parts.append(_("此后每次再扣 %(n)s 分") % {"n": fmt(dec(rule["per_incident"]))})
    return "、".join(parts)


def _count(raw: Any, rule: Mapping[str, Any]) -> int:
    error = ScoringInputError(_("“%(l)s”的次数应为非负整数。") % {"l": rule.get("label", "?")})
    if isinstance(raw, bool):
        raise error
    try:
        count = dec(0 if raw in (None, "") else raw)
    except ScoringInputError as exc:
        raise error from exc
    if count < 0 or count != count.to_integral_value():
        raise error
    return int(count)


COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


def score_quantitative(
    method: Mapping[str, Any],
    points: Decimal,
    value: Mapping[str, Any],
    threshold: Decimal,
    *,
    comparison: str = ">=",
    measure: str = "count",
) -> LeafScore:
    """Full points when the measured value meets the rule (`comparison` against `threshold`);
    otherwise no credit, proportional credit (`linear`: measured/threshold when more is better,
    threshold/measured when less is better) or the best step reached (`steps`: `at` is a floor
    when more is better, a ceiling when less is better). Never more than the points."""
    measured = dec(value.get("value"))
    if measured < 0:
        raise ScoringInputError(_("数值不能为负。"))
    if measure == "ratio" and measured > 1:
        raise ScoringInputError(_("比例应在 0 到 1 之间（例如 70% 填 0.7）。"))
    meets = COMPARISONS.get(comparison)
    if meets is None:
        raise ScoringInputError(_("量化规则的比较方式“%(c)s”无效。") % {"c": comparison})
    if meets(measured, threshold):
        return LeafScore(score=q(points))
    credit = method.get("credit", "none")
    more_is_better = comparison in (">=", ">")
    less_is_better = comparison in ("<=", "<")
    ratio = Decimal(0)
    if credit == "linear":
        if more_is_better and threshold > 0:
            ratio = measured / threshold
        elif less_is_better and measured > 0:
            ratio = threshold / measured
    elif credit == "steps":
        for step in method.get("steps", []):
            at = dec(step["at"])
            reached = (
                (more_is_better and measured >= at)
                or (less_is_better and measured <= at)
                or (comparison == "==" and measured == at)
            )
            if reached:
                ratio = max(ratio, dec(step["ratio"]))
    return LeafScore(score=q(points * min(max(ratio, Decimal(0)), Decimal(1))))


def score_manual(method: Mapping[str, Any], points: Decimal, value: Mapping[str, Any]) -> LeafScore:
    step = dec(method.get("step", "0.5"))
    maximum = dec(method.get("max", points))
    given = dec(value.get("value"))
    if not 0 <= given <= maximum:
        raise ScoringInputError(_("得分应在 0 到 %(m)s 之间。") % {"m": fmt(maximum)})
    if given % step != 0:
        raise ScoringInputError(_("得分应为 %(s)s 的整数倍。") % {"s": fmt(step)})
    return LeafScore(score=q(given))


def score_qualitative(method: Mapping[str, Any], value: Mapping[str, Any]) -> LeafScore:
    labels = labels_of(method)
    level = value.get("level")
    if level not in labels:
        raise ScoringInputError(_("请选择：%(l)s。") % {"l": "、".join(labels)})
    return LeafScore(level=str(level), level_rank=labels.index(level))


def score_bonus(method: Mapping[str, Any], value: Mapping[str, Any]) -> LeafScore:
    given = dec(value.get("value", 0))
    cap = dec(method["cap"])
    if not 0 <= given <= cap:
        raise ScoringInputError(_("加分应在 0 到 %(c)s 之间。") % {"c": fmt(cap)})
    return LeafScore(bonus=q(given))


_YES = ("1", "true", "yes", "on", "是")
_NO = ("", "0", "false", "no", "off", "否")


def _flag(raw: Any) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, int | Decimal):
        if raw in (0, 1):
            return bool(raw)
    elif str(raw).strip().lower() in _YES + _NO:
        return str(raw).strip().lower() in _YES
    raise ScoringInputError(_("请选择“是”或“否”。"))


def score_veto(method: Mapping[str, Any], value: Mapping[str, Any]) -> LeafScore:
    vetoed = _flag(value.get("vetoed"))
    if vetoed and method.get("reason_required", True) and not str(value.get("reason", "")).strip():
        raise ScoringInputError(_("一票否决须写明理由。"))
    return LeafScore(veto=vetoed)


def score_leaf(
    method: Mapping[str, Any],
    points: Decimal | None,
    value: Mapping[str, Any],
    rules: Sequence[Mapping[str, Any]] = (),
) -> LeafScore:
    """Score one leaf from the scorer's input."""
    kind = method.get("type")
    if not isinstance(value, Mapping):
        raise ScoringInputError(_("评分输入格式有误。"))
    if kind in SCORED_TYPES and points is None:
        raise ScoringInputError(_("该指标没有分值，无法计分。"))
    if kind == "grade":
        return score_grade(method, points, value)  # type: ignore[arg-type]
    if kind == "deduction":
        return score_deduction(method, points, value)  # type: ignore[arg-type]
    if kind == "quantitative":
        rule = next((r for r in rules if r.get("key") == method.get("rule")), None)
        if rule is None:
            raise ScoringInputError(
                _("量化规则“%(k)s”不存在，无法计分。") % {"k": method.get("rule", "")}
            )
        return score_quantitative(
            method,
            points,  # type: ignore[arg-type]
            value,
            dec(rule["threshold"]),
            comparison=str(rule.get("comparison", ">=")),
            measure=str(rule.get("measure", "count")),
        )
    if kind == "manual":
        return score_manual(method, points, value)  # type: ignore[arg-type]
    if kind == "qualitative":
        return score_qualitative(method, value)
    if kind == "bonus":
        return score_bonus(method, value)
    if kind == "veto":
        return score_veto(method, value)
    raise ScoringInputError(_("该节点不是可评分的指标。"))
