"""Figures computed from the activity ledger (取数, issue 15 point 3), stored per enrollment.

For every leaf of a campaign's indicator version whose `rules` name activity kinds
(`activities.rules.ledger_rule`), `ledger_figures_refresh` evaluates the rule over the unit's
records of the campaign's period and stores the figure in `LedgerFigures` (one row per
enrollment). Set-wise: a chunk of units costs a fixed number of queries (records,
participations, roster, leadership, branches), so a 20,000-unit campaign is a few dozen queries
and its memory is bounded by the chunk.

Who is judged, per rule subject (documented in docs/indicator-format.md):

* ``member`` — the unit's 中共党员 and 预备党员 on the roster;
* ``leader`` and ``cadre`` — the unit's 创建领导小组 of the campaign (`LeadershipMember`), matched
  to the roster by name; names not on the roster are listed on the figure (``unmatched``) so the
  unit can add them, and are not judged (a person without a roster row cannot have records);
* ``branch`` — each 党支部 of the unit (every organisation but 党小组 when it has no 党支部);
* anything else (``unit``, ``party_group``) — the unit as a whole.

The period is the campaign's span: 1 January of its first year (`cycle_start_year`, else `year`)
to 31 December of `year`; rules count per calendar year, half year or quarter within it.

The suggested input (`suggestion`) turns a leaf's figures into what its scoring method takes,
so that the self-evaluation and scoring forms can be prefilled: the weakest of the leaf's
figures decides (a leaf is only as met as its least met rule). A saved input that differs from
the suggestion is an override and carries its reason (`OVERRIDE`).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, cast

from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connection, models, transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.activities.models import ActivityKind, ActivityRecord, Participation
from mofan.activities.rules import (
    Person,
    Record,
    Rule,
    evaluate,
    ledger_rule,
    rule_score,
    window,
)
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, LeadershipMember
from mofan.evaluations.models import LedgerFigures
from mofan.indicators.methods import labels_of
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import (
    Member,
    PartyOrganization,
    PartyOrgKind,
    PoliticalStatus,
    Unit,
)

CHUNK = 1000  # units per batch of queries
PARTY_MEMBERS = (PoliticalStatus.CPC_MEMBER, PoliticalStatus.CPC_PROBATIONARY)
LEADERS = ("leader", "cadre")
OVERRIDE = "override"  # the key of an input that departs from the suggestion: its reason
SHOWN_SHORT = 20  # who fell short: the first so many are stored for the page
UPSERTED = ["figures", "computed_leaves", "period_start", "period_end", "computed_at"]


@dataclass(frozen=True)
class LeafRule:
    node_id: int
    points: Decimal | None
    key: str
    label: str
    rule: Rule


def leaf_rules(version_id: int) -> list[LeafRule]:
    """The ledger rules of a version's leaves, in tree order."""
    found = []
    for pk, points, entries in (
        IndicatorNode.objects.filter(version_id=version_id)
        .exclude(rules=[])
        .order_by("order")
        .values_list("pk", "points", "rules")
    ):
        for entry in entries or []:
            rule = ledger_rule(entry) if isinstance(entry, Mapping) else None
            if rule is not None:
                label = str(entry.get("label") or entry.get("key", ""))
                found.append(LeafRule(pk, points, str(entry.get("key", "")), label, rule))
    return found


def span_of(campaign: Campaign) -> tuple[datetime.date, datetime.date]:
    first = campaign.cycle_start_year or campaign.year
    return datetime.date(min(first, campaign.year), 1, 1), datetime.date(campaign.year, 12, 31)


@dataclass
class _Chunk:
    """What one batch of units holds, read set-wise."""

    records: dict[int, list[Record]]  # unit -> records
    members: dict[int, list[tuple[int, str]]]  # unit -> party members (id, name)
    roster: dict[int, dict[str, int]]  # unit -> name -> member id (everyone on the roll)
    names: dict[int, str]  # member id -> name
    leaders: dict[int, list[str]]  # enrollment -> leadership names
    branches: dict[int, list[tuple[int, str]]]  # unit -> (organisation id, name)


def _read(
    units: Sequence[int],
    enrollments: Sequence[int],
    rules: Sequence[LeafRule],
    kind_codes: Mapping[int, str],
    span: tuple[datetime.date, datetime.date],
) -> _Chunk:
    person_kinds = {c for r in rules if r.rule.measure == "per_person" for c in r.rule.kinds}
    span = (min(window(r.rule, *span)[0] for r in rules), span[1])
    in_span = {"held_on__gte": span[0], "held_on__lte": span[1]}
    people: dict[int, set[int]] = defaultdict(set)
    if person_kinds:
        person_kind_ids = [k for k, c in kind_codes.items() if c in person_kinds]
        present = Participation.objects.filter(
            record__party_org_id__in=_orgs(units),
            record__kind_id__in=person_kind_ids,
            record__held_on__gte=span[0],
            record__held_on__lte=span[1],
            present=True,
            member__isnull=False,
        ).order_by()
        for record_id, member_id in _raw(present.values_list("record_id", "member_id")):
            people[record_id].add(member_id)
    records: dict[int, list[Record]] = defaultdict(list)
    hours_too = any(r.rule.measure == "hours_ratio" for r in rules)
    columns = ["pk", "unit_id", "party_org_id", "kind_id", "day"]
    # The date as text: SQLite's driver would parse every value, here each distinct day once.
    found = (
        ActivityRecord.objects.filter(
            party_org_id__in=_orgs(units),
            kind_id__in=list(kind_codes),
            **in_span,
        )
        .order_by()
        .annotate(day=Cast("held_on", CharField()))
    )
    nobody: frozenset[int] = frozenset()
    dates: dict[Any, datetime.date] = {}
    for row in _raw(found.values_list(*columns, *(["hours", "political_theory"] * hours_too))):
        pk, unit_id, org_id, kind_id, held_on = row[:5]
        if held_on not in dates:
            dates[held_on] = _date(held_on)
        hours: tuple[Any, ...] = ()
        if hours_too:
            hours = (_decimal(row[5]), None if row[6] is None else bool(row[6]))
        records[unit_id].append(
            Record(
                pk,
                kind_codes[kind_id],
                org_id,
                dates[held_on],
                frozenset(people[pk]) if pk in people else nobody,
                *hours,
            )
        )
    subjects = {r.rule.subject for r in rules}
    chunk = _Chunk(records, defaultdict(list), defaultdict(dict), {}, defaultdict(list), {})
    if subjects & {"member", *LEADERS}:
        # Sorted here, not by the query (which SQLite then ran over the whole roll's primary
        # key): first on the roll first.
        roll = Member.objects.filter(unit_id__in=units).order_by()
        for pk, unit_id, name, status in sorted(
            _raw(roll.values_list("pk", "unit_id", "name", "political_status"))
        ):
            chunk.names[pk] = name
            chunk.roster[unit_id].setdefault(name, pk)
            if status in PARTY_MEMBERS:
                chunk.members[unit_id].append((pk, name))
    if subjects & set(LEADERS):
        for enrollment_id, name in (
            LeadershipMember.objects.filter(enrollment_id__in=enrollments)
            .order_by("enrollment_id", "order", "pk")
            .values_list("enrollment_id", "name")
        ):
            chunk.leaders[enrollment_id].append(name)
    if "branch" in subjects:
        chunk.branches = _branches(units)
    return chunk


def _orgs(units: Sequence[int]) -> QuerySet[Any]:
    """The units' organisations, as a subquery: records are read through the (organisation,
    kind, date) index, which finds only the rules' kinds (a record's organisation is always one
    of its unit's)."""
    return PartyOrganization.objects.filter(unit_id__in=units).values("pk")


def _raw(rows: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """A values_list query's rows as the database driver gives them: without Django's converter
    of each value (at 20,000 units the records' dates alone took a second to convert)."""
    try:
        sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # a filter on an empty list (no kinds, no units): no rows
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(5000):
            yield from batch


def _date(value: Any) -> datetime.date:
    """A date column as the driver gives it: a date (PostgreSQL) or its ISO text (SQLite)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _branches(units: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """Each unit's 党支部; a unit without one: its organisations but 党小组."""
    by_unit: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for pk, unit_id, name, kind in (
        PartyOrganization.objects.filter(unit_id__in=units)
        .exclude(kind=PartyOrgKind.GROUP)
        .order_by("pk")
        .values_list("pk", "unit_id", "name", "kind")
    ):
        by_unit[unit_id].append((pk, name, kind))
    found: dict[int, list[tuple[int, str]]] = {}
    for unit_id, orgs in by_unit.items():
        branches = [(pk, name) for pk, name, kind in orgs if kind == PartyOrgKind.BRANCH]
        found[unit_id] = branches or [(pk, name) for pk, name, _kind in orgs]
    return found


def _figure(
    item: LeafRule,
    chunk: _Chunk,
    unit_id: int,
    enrollment_id: int,
    span: tuple[datetime.date, datetime.date],
) -> dict[str, Any]:
    rule = item.rule
    orgs: list[tuple[int, str]] = chunk.branches.get(unit_id, []) if rule.per == "org" else []
    people: list[tuple[int, str]] = []
    unmatched: list[str] = []
    if rule.subject == "member":
        people = chunk.members.get(unit_id, [])
    elif rule.subject in LEADERS:
        roster = chunk.roster.get(unit_id, {})
        for name in dict.fromkeys(chunk.leaders.get(enrollment_id, [])):
            if name in roster:
                people.append((roster[name], name))
            else:
                unmatched.append(name)
    start, end = window(rule, *span)
    outcome = evaluate(
        rule,
        chunk.records.get(unit_id, ()),
        start=start,
        end=end,
        orgs=[pk for pk, _name in orgs],
        people=[Person(pk) for pk, _name in people],
    )
    who = dict(orgs) | dict(people)
    score = rule_score(rule, outcome, item.points) if item.points is not None else None
    return {
        "key": item.key,
        "label": item.label,
        "measure": rule.measure,
        "subject": rule.subject,
        "period": rule.period,
        "window": [start.isoformat(), end.isoformat()],
        "threshold": str(rule.threshold),
        "value": None if outcome.value is None else str(outcome.value),
        "met": outcome.met,
        "judged": outcome.judged,
        "passed": outcome.passed,
        "score": None if score is None else str(score),
        "records": outcome.records,
        "short": [
            [who.get(key, ""), start.isoformat(), found, need]
            for key, start, found, need in outcome.short[:SHOWN_SHORT]
        ],
        "short_count": len(outcome.short),
        "unmatched": unmatched,
    }


def _kind_codes(campaign: Campaign, rules: Sequence[LeafRule]) -> dict[int, str]:
    codes = {c for r in rules for c in r.rule.kinds}
    return dict(
        ActivityKind.objects.filter(
            Q(committee__isnull=True) | Q(committee_id=campaign.committee_id), code__in=codes
        ).values_list("pk", "code")
    )


@transaction.atomic
def ledger_figures_refresh(
    *, campaign: Campaign, unit_ids: Iterable[int] | None = None, now: Any = None
) -> int:
    """Compute and store the ledger figures of the campaign's enrolled units (all, or those of
    `unit_ids`); returns how many enrollments were written. A version without ledger rules
    stores nothing (and drops figures a former version left)."""
    enrolled = Enrollment.objects.filter(campaign=campaign)
    if unit_ids is not None:
        enrolled = enrolled.filter(unit_id__in=list(unit_ids))
    pairs = list(enrolled.order_by("pk").values_list("pk", "unit_id"))
    rules = leaf_rules(campaign.indicator_version_id)
    if not rules:
        LedgerFigures.objects.filter(enrollment_id__in=[pk for pk, _u in pairs]).delete()
        return 0
    span = span_of(campaign)
    kinds = _kind_codes(campaign, rules)
    now = now or timezone.now()
    written = 0
    for start in range(0, len(pairs), CHUNK):
        batch = pairs[start : start + CHUNK]
        chunk = _read([u for _e, u in batch], [e for e, _u in batch], rules, kinds, span)
        rows = []
        for enrollment_id, unit_id in batch:
            figures: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for item in rules:
                figures[str(item.node_id)].append(
                    _figure(item, chunk, unit_id, enrollment_id, span)
                )
            computed = sum(1 for fs in figures.values() if any(f["value"] is not None for f in fs))
            rows.append((enrollment_id, dict(figures), computed))
        _store(rows, campaign_id=campaign.pk, span=span, now=now)
        written += len(rows)
    return written


def _store(
    rows: Sequence[tuple[int, dict[str, Any], int]],
    *,
    campaign_id: int,
    span: tuple[datetime.date, datetime.date],
    now: Any,
) -> None:
    """Insert or update the rows (enrollment, figures, computed leaves) in one statement run
    for all (`executemany`). An upsert, not delete-then-insert: two records saved at once for
    one unit (two transactions on PostgreSQL) must not both insert the unit's row. Written
    without the model layer, whose preparation of each field of each row took longer than the
    database at 20,000 units; each value is prepared by its field as Django would."""
    meta = LedgerFigures._meta
    names = ["enrollment", "campaign", "figures", "computed_leaves", *UPSERTED[2:]]
    fields = {n: cast("models.Field[Any, Any]", meta.get_field(n)) for n in names}
    quote = connection.ops.quote_name
    columns = [quote(fields[n].column) for n in names]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}"
    )
    fixed = [
        fields[name].get_db_prep_save(value, connection)
        for name, value in (
            ("period_start", span[0]),
            ("period_end", span[1]),
            ("computed_at", now),
        )
    ]
    prep = fields["figures"].get_db_prep_save
    params = [
        (enrollment_id, campaign_id, prep(value, connection), count, *fixed)
        for enrollment_id, value, count in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def may_refresh(actor: Actor, enrollment: Enrollment) -> bool:
    """Who may ask for 重新取数: the unit's 联络员 or 单位领导, the campaign's committee staff."""
    return (
        rules.is_unit_admin_of(actor, enrollment.unit_id)
        or rules.is_unit_leader_of(actor, enrollment.unit_id)
        or rules.is_staff_of(actor, enrollment.campaign.committee_id)
    )


@transaction.atomic
def ledger_figures_recompute(*, enrollment: Enrollment, actor: Actor) -> int:
    """重新取数 for one unit, on request (after a change the events do not carry, e.g. a kind
    deactivated), audited."""
    if not may_refresh(actor, enrollment):
        raise PermissionDenied(_("只有本单位联络员、单位领导或工委人员可以重新取数。"))
    written = ledger_figures_refresh(campaign=enrollment.campaign, unit_ids=[enrollment.unit_id])
    audit_record(
        action="ledger_figures.refresh",
        actor=actor.user,
        target=enrollment,
        committee_id=enrollment.campaign.committee_id,
    )
    return written


def units_refresh(*, unit_ids: Iterable[int]) -> int:
    """Refresh the figures of these units in every campaign still running (the ledger of a
    unit changed); a campaign without ledger rules costs one query."""
    units = set(unit_ids)
    written = 0
    with transaction.atomic():
        # One refresh of a unit at a time: on PostgreSQL two records saved at once are two
        # transactions, and without the lock the one that commits last would store figures
        # computed before the other's record was visible. The second waits here, then reads
        # both. (SQLite's IMMEDIATE transactions already serialise every writer.)
        list(
            Unit.objects.select_for_update()
            .filter(pk__in=units)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        campaigns = Campaign.objects.filter(
            status__in=(CampaignStatus.DRAFT, CampaignStatus.ACTIVE), enrollments__unit_id__in=units
        ).distinct()
        for campaign in campaigns:
            written += ledger_figures_refresh(campaign=campaign, unit_ids=units)
    return written


# --- reading the stored figures --------------------------------------------------------------


def figures_of(enrollment: Enrollment) -> dict[int, list[dict[str, Any]]]:
    """node id -> the leaf's figures (empty when nothing is computed)."""
    row = LedgerFigures.objects.filter(enrollment=enrollment).only("figures").first()
    if row is None:
        return {}
    return {int(k): v for k, v in row.figures.items()}


def share_of(figure: Mapping[str, Any]) -> Decimal | None:
    """How far a figure goes toward its rule, 0..1 (None: the rule does not apply)."""
    if figure.get("value") is None:
        return None
    value = Decimal(figure["value"])
    if figure.get("measure") == "hours_ratio":
        return min(Decimal(1), value / Decimal(figure["threshold"]))
    return value


def _rank(share: Decimal, met: bool, count: int) -> int:
    """Which of `count` levels (best first) a share reaches: all met → the best; otherwise
    the levels below it split the shortfall evenly."""
    if met or count <= 1:
        return 0
    return min(count - 1, max(1, math.ceil((1 - share) * count)))


def suggestion(
    method: Mapping[str, Any], points: Decimal | None, figures: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The input the leaf's method takes, as the figures suggest it (None: nothing to
    suggest — no figure applies, or the method is scored by incidents, bonus or veto)."""
    applied = [(f, s) for f in figures if (s := share_of(f)) is not None]
    if not applied:
        return None
    share = min(s for _f, s in applied)
    met = all(f["met"] for f, _s in applied)
    kind = method.get("type")
    if kind == "grade":
        labels = labels_of(method)
        return {"band": labels[_rank(share, met, len(labels))]} if labels else None
    if kind == "qualitative":
        labels = labels_of(method)
        return {"level": labels[_rank(share, met, len(labels))]}
    if kind == "quantitative":
        figure = next((f for f, _s in applied if f["key"] == method.get("rule")), None)
        if figure is None:
            return None
        if figure["measure"] == "hours_ratio":
            return {"value": figure["value"]}
        if figure["met"]:
            return {"value": str(math.ceil(Decimal(figure["threshold"])))}
        return {"value": str(min((s[2] for s in figure["short"]), default=0))}
    if kind == "manual" and points is not None:
        step = Decimal(str(method.get("step", "0.5")))
        earned = (points * share / step).to_integral_value(ROUND_FLOOR) * step
        return {"value": str(earned.normalize() if earned else 0)}
    return None


def departs(value: Mapping[str, Any], suggested: Mapping[str, Any] | None) -> bool:
    """Whether a saved input departs from the suggestion (only the suggested keys compare; a
    grade's score within the suggested band is not a departure)."""
    if not suggested:
        return False
    for key, expected in suggested.items():
        given = value.get(key)
        if key == "value":
            try:
                if Decimal(str(given)) != Decimal(str(expected)):
                    return True
            except ArithmeticError:
                return True
        elif given != expected:
            return True
    return False
