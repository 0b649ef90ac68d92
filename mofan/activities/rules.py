"""Rules computed from the activity ledger (取数, issue 15 point 3): pure functions over plain
data, so that a unit's figure is derived from the records it already keeps and nobody types a
result twice.

A rule names the kinds of record it counts and how:

* ``count`` — records of an organisation (``per="org"``: each organisation of the rule's
  set, e.g. every branch's 集体学习 ≥ 12 a year) or of the whole unit (``per="unit"``: the
  党组's 专题研究 ≥ 1 a quarter), in each period (year, half year or quarter) of the
  campaign's span; the value is the share of (organisation, period) pairs that meet the
  threshold;
* ``per_person`` — records a person took part in (present at a meeting, or their own record),
  for each person of the rule's set (every member: 志愿服务 ≥ 2 a year; the leadership team:
  联系点调研 ≥ 2 a year; leading cadres: 调研文章 ≥ 1 a year); the value is the share of persons
  meeting the threshold;
* ``hours_ratio`` — political-theory hours over all hours of the kinds (≥ 70 % of training);
  the value is the ratio itself.

Documented choices
------------------
* Periods are calendar years, halves and quarters cut to the campaign's span [start, end]; a
  record counts in the period its date falls in, both ends included. A five-year rule (培训 5 年
  内全覆盖) looks at the five calendar years ending with the campaign's last year (`window`).
* A person on the roll for part of a period (joined or left mid-year) owes a share of the
  threshold: threshold × days on the roll ÷ days of the period, rounded half up (2 a year for
  someone who joined on 1 July: 1); someone on the roll for no day of a period, or for so few
  that the share rounds to 0, owes nothing there. A person who owes nothing in any period is
  left out of the figure.
* Nothing to judge (no organisation, no person, no hours) gives value None: the rule does not
  apply, and the leaf is then scored by hand as before.
* From an indicator: a node's `rules` entry that names the activity `kinds` answering it
  (docs/indicator-format.md) becomes a ledger rule (`ledger_rule`): `ratio` is the theory share
  of hours; `count` is per person for members, leaders and cadres, per organisation for
  branches, for the whole unit otherwise (the 党组 is one body per unit: its records are the
  unit's, whichever organisation entered them).
* An indicator rule may say `scoring: all` (a rate that must reach 100 %, e.g. 四化达标率,
  全覆盖); the default is `share`.
* The score (`rule_score`): ``all`` gives the points only when the value is 1 (every pair or
  person met; for ``hours_ratio``, the ratio reached the threshold); ``share`` gives points ×
  value (for ``hours_ratio``: points × min(1, ratio ÷ threshold)).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

MEASURES = ("count", "per_person", "hours_ratio")
PERIODS = ("year", "half", "quarter", "five_years")
SCORINGS = ("all", "share")
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Rule:
    kinds: tuple[str, ...]  # activity kind codes
    measure: str  # MEASURES
    threshold: Decimal  # a count per period, or a ratio for hours_ratio
    period: str = "year"  # PERIODS
    per: str = "unit"  # count: "unit" or "org"
    scoring: str = "share"  # SCORINGS
    subject: str = "unit"  # whose records or which people: an indicator rule's `subject`

    def __post_init__(self) -> None:
        if self.measure not in MEASURES or self.period not in PERIODS:
            raise ValueError(f"unknown measure or period: {self.measure}, {self.period}")
        if self.scoring not in SCORINGS or self.per not in ("unit", "org"):
            raise ValueError(f"unknown scoring or per: {self.scoring}, {self.per}")
        if not self.kinds or self.threshold <= 0:
            raise ValueError("a rule needs kinds and a positive threshold")


class Record(NamedTuple):
    """A record as the rules read it (a tuple: hundreds of thousands are made per refresh)."""

    pk: int
    kind: str
    org_id: int
    held_on: datetime.date
    people: frozenset[int] = frozenset()  # present, or the person of a person-record
    hours: Decimal | None = None
    theory: bool | None = None


@dataclass(frozen=True)
class Person:
    pk: int
    joined: datetime.date | None = None  # on the roll from (None: before the span)
    left: datetime.date | None = None  # on the roll until, inclusive (None: still)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Outcome:
    """The computed figure: `value` 0..1 (a ratio for hours_ratio; None: the rule does not
    apply), whether it is met, the judged pairs and the records behind it (the drill-down)."""

    value: Decimal | None
    met: bool
    judged: int = 0  # (organisation or person, period) pairs or persons judged
    passed: int = 0
    records: list[int] = field(default_factory=list)
    short: list[tuple[int, datetime.date, int, int]] = field(default_factory=list)
    # (organisation or person, period start, found, owed) of the pairs below the threshold


def periods(start: datetime.date, end: datetime.date, period: str) -> list[Period]:
    """Calendar periods cut to [start, end]."""
    if end < start:
        return []
    months = {"year": 12, "half": 6, "quarter": 3, "five_years": 60}[period]
    found = []
    first = datetime.date(start.year, ((start.month - 1) // months) * months + 1, 1)
    while first <= end:
        month = first.month - 1 + months
        following = datetime.date(first.year + month // 12, month % 12 + 1, 1)
        found.append(Period(max(first, start), min(following - datetime.timedelta(1), end)))
        first = following
    return found


def owed(threshold: Decimal, person: Person, period: Period) -> int:
    """What a person owes in a period: the threshold, pro-rated to the days on the roll."""
    if person.joined is None and person.left is None:  # on the roll the whole period
        return int(threshold.quantize(Decimal(1), ROUND_HALF_UP))
    first = max(period.start, person.joined or period.start)
    last = min(period.end, person.left or period.end)
    if last < first:
        return 0
    share = Decimal((last - first).days + 1) / Decimal(period.days)
    return int((threshold * share).quantize(Decimal(1), ROUND_HALF_UP))


def evaluate(
    rule: Rule,
    records: Iterable[Record],
    *,
    start: datetime.date,
    end: datetime.date,
    orgs: Sequence[int] = (),
    people: Sequence[Person] = (),
) -> Outcome:
    """The rule over the records of [start, end]; `orgs` for count per organisation, `people`
    for per_person."""
    chosen = sorted(
        (r for r in records if r.kind in rule.kinds and start <= r.held_on <= end),
        key=lambda r: (r.held_on, r.pk),
    )
    if rule.measure == "hours_ratio":
        return _hours(rule, chosen)
    spans = periods(start, end, rule.period)
    if rule.measure == "count":
        return _count(rule, chosen, spans, orgs)
    return _per_person(rule, chosen, spans, people)


def _ratio(passed: int, judged: int) -> Decimal:
    return (Decimal(passed) / Decimal(judged)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _count(rule: Rule, chosen: list[Record], spans: list[Period], orgs: Sequence[int]) -> Outcome:
    keys: list[int] = [0] if rule.per == "unit" else list(dict.fromkeys(orgs))
    if not keys or not spans:
        return Outcome(value=None, met=False)
    need = math.ceil(rule.threshold)
    outcome = Outcome(value=None, met=False)
    for key in keys:
        mine = [r for r in chosen if rule.per == "unit" or r.org_id == key]
        for span in spans:
            found = [r for r in mine if span.start <= r.held_on <= span.end]
            outcome.judged += 1
            outcome.records.extend(r.pk for r in found)
            if len(found) >= need:
                outcome.passed += 1
            else:
                outcome.short.append((key, span.start, len(found), need))
    return _close(outcome)


def _per_person(
    rule: Rule, chosen: list[Record], spans: list[Period], people: Sequence[Person]
) -> Outcome:
    outcome = Outcome(value=None, met=False)
    by_person: dict[int, list[Record]] = {}
    for r in chosen:  # in date order, so each person's list is too
        for pk in r.people:
            by_person.setdefault(pk, []).append(r)
    for person in people:
        mine = by_person.get(person.pk, [])
        duties = [(span, owed(rule.threshold, person, span)) for span in spans]
        duties = [(span, need) for span, need in duties if need > 0]
        if not duties:
            continue
        outcome.judged += 1
        outcome.records.extend(r.pk for r in mine)
        missing = [
            (span, found, need)
            for span, need in duties
            if (found := sum(1 for r in mine if span.start <= r.held_on <= span.end)) < need
        ]
        if missing:
            outcome.short.extend((person.pk, s.start, f, n) for s, f, n in missing)
        else:
            outcome.passed += 1
    outcome.records = sorted(set(outcome.records))
    return _close(outcome)


def _close(outcome: Outcome) -> Outcome:
    if outcome.judged == 0:
        return Outcome(value=None, met=False)
    outcome.value = _ratio(outcome.passed, outcome.judged)
    outcome.met = outcome.passed == outcome.judged
    outcome.records = sorted(set(outcome.records))
    return outcome


def _hours(rule: Rule, chosen: list[Record]) -> Outcome:
    counted = [r for r in chosen if r.hours]
    total = sum((r.hours for r in counted if r.hours), Decimal(0))
    if total <= 0:
        return Outcome(value=None, met=False)
    theory = sum((r.hours for r in counted if r.hours and r.theory), Decimal(0))
    value = (theory / total).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return Outcome(
        value=value,
        met=value >= rule.threshold,
        judged=1,
        passed=int(value >= rule.threshold),
        records=sorted(r.pk for r in counted),
    )


# An indicator rule's `period` (docs/indicator-format.md) as a ledger period; `term` (a party
# organisation's term of office) has no fixed span and is not computed.
LEDGER_PERIODS = {
    "year": "year",
    "half_year": "half",
    "quarter": "quarter",
    "five_years": "five_years",
}
PEOPLE = ("member", "leader", "cadre")  # subjects counted per person
ORGANISATIONS = ("branch",)  # subjects counted per organisation (each 党支部)


def ledger_rule(entry: Mapping[str, Any]) -> Rule | None:
    """An indicator node's quantitative rule (its `rules` entry) as a rule over the ledger, or
    None when the ledger cannot answer it: no `kinds` named, a comparison other than ``>=``, or
    a period longer than a campaign. Those stay notes, scored by hand."""
    kinds = tuple(entry.get("kinds") or ())
    period = LEDGER_PERIODS.get(entry.get("period", "year"))
    if not kinds or period is None or entry.get("comparison", ">=") != ">=":
        return None
    subject = entry.get("subject", "unit")
    threshold = Decimal(str(entry["threshold"]))
    scoring = entry.get("scoring", "share")
    if entry.get("measure") == "ratio":
        return Rule(
            kinds=kinds,
            measure="hours_ratio",
            threshold=threshold,
            subject=subject,
            scoring=scoring,
        )
    common = {"kinds": kinds, "threshold": threshold, "period": period, "scoring": scoring}
    if subject in PEOPLE:
        return Rule(measure="per_person", subject=subject, **common)
    per = "org" if subject in ORGANISATIONS else "unit"
    return Rule(measure="count", per=per, subject=subject, **common)


def window(
    rule: Rule, start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The dates a rule looks at for a campaign of [start, end]: the campaign's span, or for a
    five-year rule the five calendar years ending with the campaign's last year."""
    if rule.period == "five_years":
        return min(start, datetime.date(end.year - 4, 1, 1)), end
    return start, end


def rule_score(rule: Rule, outcome: Outcome, points: Decimal) -> Decimal | None:
    """The points a computed figure earns (None: the rule does not apply; score by hand)."""
    if outcome.value is None:
        return None
    if rule.scoring == "all":
        return points if outcome.met else Decimal(0)
    share = outcome.value
    if rule.measure == "hours_ratio":
        share = min(Decimal(1), outcome.value / rule.threshold)
    return (points * share).quantize(TWO_PLACES, ROUND_HALF_UP)
