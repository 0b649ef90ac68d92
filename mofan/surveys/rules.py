"""Pure rules of the surveys: reading a respondent's form against the frozen questionnaire and
a unit's satisfaction figure. No database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

MAX_TEXT = 1000  # characters of a free-text answer
SCALE = ("1", "2", "3", "4", "5")
DEFAULT_SATISFIED = ("满意", "比较满意")


@dataclass(frozen=True)
class Given:
    """One answer as stored: a question key and an option, a scale value or a text."""

    question: str
    option: str = ""
    scale: int | None = None
    text: str = ""


def questions_of(frozen: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [q for section in frozen.get("sections", []) for q in section.get("questions", [])]


def read_form(
    frozen: Mapping[str, Any], data: Mapping[str, Sequence[str]]
) -> tuple[list[Given], dict[str, str]]:
    """The answers of a form (`data`: field name → submitted values) and the errors by question
    key. A question's field is its key."""
    given: list[Given] = []
    errors: dict[str, str] = {}
    for q in questions_of(frozen):
        key, kind = q["key"], q["kind"]
        values = [v.strip() for v in data.get(key, []) if v.strip()]
        if not values:
            if q.get("required"):
                errors[key] = _("此题为必答题。")
            continue
        if kind == "text":
            text = values[0]
            if len(text) > MAX_TEXT:
                errors[key] = _("意见建议不能超过%(n)d个字。") % {"n": MAX_TEXT}
            else:
                given.append(Given(key, text=text))
        elif kind == "scale":
            if len(values) != 1 or values[0] not in SCALE:
                errors[key] = _("请在1到5分之间选择一个分值。")
            else:
                given.append(Given(key, scale=int(values[0])))
        else:
            options = q.get("options", [])
            if any(v not in options for v in values) or (kind == "single" and len(values) > 1):
                errors[key] = _("所选选项无效，请重新选择。")
            else:
                given.extend(Given(key, option=v) for v in dict.fromkeys(values))
    return given, errors


def satisfaction(
    frozen: Mapping[str, Any], answers: Iterable[tuple[str, str, int]]
) -> Decimal | None:
    """The share (0–1, rounded to 0.0001) of the answers to the scored questions (those naming
    satisfied options) that chose a satisfied option; `answers` are (question key, option or
    scale value as text, how many times given). None without any answer to a scored question."""
    satisfied = {q["key"]: set(q.get("satisfied") or ()) for q in questions_of(frozen)}
    scored = good = 0
    for key, value, count in answers:
        wanted = satisfied.get(key)
        if not wanted:
            continue
        scored += count
        good += count if value in wanted else 0
    if scored == 0:
        return None
    return (Decimal(good) / Decimal(scored)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
