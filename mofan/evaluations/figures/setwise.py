"""The full recompute of a campaign's stored figures (`UnitTotals`, issue 7): every unit from
the stored leaf scores in one pass, with the same pure code as the incremental refresh of
`evaluations.figures.unit` (see its docstring for the design and the figures).

The tree is flattened once (`Compiled`) and summed in integer cents when every weight is whole;
the scores are read as three columns straight from the cursor; the rows are written with one
DELETE and batched INSERTs in rank order (SQLite) or COPY (PostgreSQL). Used by `manage.py
recompute_results`, on enrolment and setting changes, by the bulk seed, and by approval only
for a campaign that weighs a component computed on reading (`figures_settle`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction

from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.core.gcpause import gc_paused
from mofan.evaluations import external
from mofan.evaluations import results as res
from mofan.evaluations.figures.unit import (
    BATCH,
    CENT,
    FIGURE_FIELDS,
    REVIEWED_STATES,
    Context,
    campaign_ranks,
    context_for,
    figures_from_rollups,
    stored_values,
    tie_decision,
)
from mofan.evaluations.models import ConsolidatedScore, SelfScore, UnitTotals, VetoInput
from mofan.indicators.tree import NodeData, walk

_TEXT: dict[int, str] = {}


def _text(cents: int) -> str:
    """Cents as `str(q(Decimal))` shows them: 1600 -> "16.00"."""
    shown = _TEXT.get(cents)
    if shown is None:
        shown = _TEXT[cents] = str(Decimal(cents).scaleb(-2))
    return shown


class Compiled:
    """The tree flattened for the full recompute: leaves are slots 0..L-1, inner nodes follow
    in post-order, each with its (child slot, weight, counted) list. Valid for leaves as
    approval reads them (`leaf_score`: no bonus, no level rank), where `indicators.rollup`
    reduces to: an inner node's score is the capped, rounded weighted sum of its non-bonus
    children that have a score (None when none has), a veto anywhere below vetoes, and the
    grand total is the weighted sum of the top-level scores. `unit_figures` (the real roll-up)
    stays the reference; tests hold the two equal."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.slot: dict[int, int] = {}  # leaf node id -> slot
        self.qualitative: set[int] = set()  # slots of qualitative leaves
        leaf_codes = {leaf.code for leaf in ctx.leaves}
        by_code = {leaf.code: i for i, leaf in enumerate(ctx.leaves)}
        for pk, code in ctx.code_of.items():
            if code in leaf_codes:
                self.slot[pk] = by_code[code]
        for i, leaf in enumerate(ctx.leaves):
            if leaf.method_type == "qualitative":
                self.qualitative.add(i)
        self.size = len(ctx.leaves)
        self.plan: list[tuple[str, int, Decimal | None, list[tuple[int, Decimal, bool]]]] = []
        slot_of: dict[str, int] = dict(by_code)

        def visit(node: NodeData) -> int:
            if not node.children:
                return slot_of[node.code]
            children = [
                (visit(child), child.weight, child.method_type != "bonus")
                for child in node.children
            ]
            here = self.size + len(self.plan)
            slot_of[node.code] = here
            self.plan.append((node.code, here, node.points, children))
            return here

        self.roots = [(visit(root), root.weight) for root in ctx.roots]
        self.type_codes = [(root.code, slot_of[root.code]) for root in ctx.roots]
        self.root_leaves = {slot_of[root.code] for root in ctx.roots if not root.children}
        self.width = self.size + len(self.plan)
        leaf_pks = {i: pk for pk, i in self.slot.items()}
        self.level_pks = sorted(leaf_pks[i] for i in self.qualitative | self.root_leaves)
        # Integer cents when every weight is a whole number and every cap a whole cent: the
        # sums are then exact in ints, which is several times faster than Decimal.
        nodes = [node for node, _d in walk(ctx.roots)]
        # The bounds keep the packed read exact (`_read_keyed`): weights below 1000 (the
        # column's own limit) and fewer than 2^15 children a node.
        self.cents = all(
            n.weight == int(n.weight) and abs(n.weight) < 1000 and len(n.children) < 1 << 15
            for n in nodes
        ) and all(n.points is None or n.points * 100 == int(n.points * 100) for n in nodes)
        self.iplan = [
            (
                code,
                here,
                None if points is None or not self.cents else int(points * 100),
                [(child, int(weight)) for child, weight, counted in children if counted],
            )
            for code, here, points, children in self.plan
        ]
        self.iroots = [(here, int(weight)) for here, weight in self.roots]
        # The grouped plan (integer cents only): the read adds each leaf's weighted score into
        # its parent's slot (`_read_keyed`), so the roll-up adds only the inner children. A leaf
        # maps to (group slot, weight, counted): its parent, or itself when it is a root.
        self.leaf_group: dict[int, tuple[int, int, bool]] = {}
        self.gplan: list[tuple[str, int, int | None, list[tuple[int, int]]]] = []
        if self.cents:
            for code, here, cap, children in self.iplan:
                self.gplan.append(
                    (code, here, cap, [(c, w) for c, w in children if c >= self.size])
                )
            for _code, here, _points, all_children in self.plan:
                for child, weight, counted in all_children:
                    if child < self.size:
                        self.leaf_group[leaf_pks[child]] = (here, int(weight), counted)
            for i in self.root_leaves:
                self.leaf_group[leaf_pks[i]] = (i, 1, True)

    def evaluate_grouped(
        self,
        values: list[Any],
        present: int,
        veto: bool,
        counts: dict[str, int],
        levels: Mapping[int, str],
    ) -> tuple[Decimal | None, dict[str, str], dict[str, str], dict[str, int], bool, bool]:
        """The integer-cents roll-up over what `_read_keyed` leaves in `values`: each inner node's
        slot holds the weighted sum of its counted leaf children (None when none has a score),
        each top-level leaf's slot its score."""
        nodes: dict[str, str] = {}
        text = _TEXT
        for code, here, cap, children in self.gplan:
            total = values[here]
            seen = total is not None
            if not seen:
                total = 0
            for child, weight in children:
                value = values[child]
                if value is not None:
                    total += value * weight
                    seen = True
            if seen:
                if cap is not None and total > cap:
                    total = cap
                values[here] = total
                nodes[code] = text.get(total) or _text(total)
            else:
                values[here] = None
        grand, types = self._top_level(values, self.iroots, levels, 0, _text)
        grand_total = Decimal(grand).scaleb(-2) if grand is not None else None
        return grand_total, nodes, types, counts, veto, present == self.size

    def evaluate(
        self,
        values: list[Any],
        present: int,
        veto: bool,
        counts: dict[str, int],
        levels: Mapping[int, str],
    ) -> tuple[Decimal | None, dict[str, str], dict[str, str], dict[str, int], bool, bool]:
        """As `_kind`, over `values` (leaf scores by slot, then room for the inner nodes)."""
        nodes: dict[str, str] = {}
        for code, here, points, children in self.plan:
            total = Decimal(0)
            seen = False
            for child, weight, counted in children:
                value = values[child]
                if counted and value is not None:
                    total += value * weight
                    seen = True
            if seen:
                if points is not None and total > points:
                    total = points
                score = total.quantize(CENT, rounding=ROUND_HALF_UP)
                values[here] = score
                nodes[code] = str(score)
            else:
                values[here] = None
        grand, types = self._top_level(values, self.roots, levels, Decimal(0), str)
        grand_total = grand.quantize(CENT, rounding=ROUND_HALF_UP) if grand is not None else None
        return grand_total, nodes, types, counts, veto, present == self.size

    def _top_level(
        self,
        values: list[Any],
        roots: list[tuple[int, Any]],
        levels: Mapping[int, str],
        zero: Any,
        shown: Callable[[Any], str],
    ) -> tuple[Any, dict[str, str]]:
        """The weighted sum of the top-level values (None when none has one), and the type
        scores as shown (a level where a type has no score)."""
        grand = zero
        seen = False
        for here, weight in roots:
            value = values[here]
            if value is not None:
                grand += value * weight
                seen = True
        types = {}
        for code, here in self.type_codes:
            if values[here] is not None:
                types[code] = shown(values[here])
            elif here in levels:
                types[code] = levels[here]
        return (grand if seen else None), types


class _Unit:
    __slots__ = ("counts", "levels", "present", "values", "veto")

    def __init__(self, width: int) -> None:
        self.values: list[Any] = [None] * width
        self.present = 0
        self.veto = False
        self.counts: dict[str, int] = {}
        self.levels: dict[int, str] = {}  # levels of the top-level leaves, if any


def _unit_in(units: dict[int, _Unit], enrollment_id: int, width: int) -> _Unit:
    """The unit's accumulator, made on its first row."""
    found = units.get(enrollment_id)
    if found is None:
        found = units[enrollment_id] = _Unit(width)
    return found


class _Stream:
    """The units of one read in enrolment order, taken in the same order: a unit with no row
    (nothing scored yet) is a blank one."""

    def __init__(self, units: Iterator[tuple[int, _Unit]], width: int) -> None:
        self.units = units
        self.blank = _Unit(width)
        self.head = next(units, None)

    def take(self, enrollment_id: int) -> _Unit:
        head = self.head
        while head is not None and head[0] < enrollment_id:  # enrolled after the list was read
            head = self.head = next(self.units, None)
        if head is None or head[0] != enrollment_id:
            return self.blank
        self.head = next(self.units, None)
        return head[1]


def _read(compiled: Compiled, table: str, campaign_id: int) -> Iterator[tuple[int, _Unit]]:
    """The campaign's units with their leaf scores of `table`, by enrolment id: one row a unit
    when the tree sums in integer cents (`_read_keyed`, streamed); otherwise (Decimal) in one
    unordered stream of three columns straight from the cursor (Django's per-row converters
    would cost more than the whole roll-up), then the few rows that carry a veto or a level."""
    if compiled.cents:
        return _read_keyed(compiled, table, campaign_id)
    units = _read_decimal(compiled, table, campaign_id)
    return iter(sorted(units.items()))


def _read_decimal(compiled: Compiled, table: str, campaign_id: int) -> dict[int, _Unit]:
    """The Decimal path of `_read`: each leaf's score into its own slot."""
    enrollments = Enrollment._meta.db_table
    units: dict[int, _Unit] = {}
    converted: dict[Any, Any] = {None: None}
    slot = compiled.slot
    width = compiled.width
    where = (
        f"FROM {table} s JOIN {enrollments} e ON e.id = s.enrollment_id WHERE e.campaign_id = %s"
    )
    last = None
    unit = _Unit(0)
    with connection.cursor() as cursor:
        # PostgreSQL: the score as text, which psycopg hands over as is (building a Decimal
        # per row cost half of the read); the few distinct values are converted once below.
        column = "s.score::text" if connection.vendor == "postgresql" else "s.score"
        cursor.execute(f"SELECT s.enrollment_id, s.node_id, {column} {where}", [campaign_id])
        while True:
            batch = cursor.fetchmany(20000)
            if not batch:
                break
            for enrollment_id, node_id, score in batch:
                i = slot.get(node_id)
                if i is None:
                    continue
                if enrollment_id != last:
                    last = enrollment_id
                    unit = _unit_in(units, enrollment_id, width)
                unit.present += 1
                value = converted.get(score, False)
                if value is False:
                    value = converted[score] = Decimal(str(score)).quantize(CENT)
                unit.values[i] = value
    _read_marks(compiled, where, campaign_id, units)
    return units


SHIFT = 1 << 32  # a row's key: node id * SHIFT + its score in cents + OFFSET (0: no score)
OFFSET = 1 << 31
# A unit's leaf rows add up to one packed integer: the row count in the lowest PACK_PRESENT bits,
# then one PACK_FIELD-bit field per slot a leaf adds to (`Compiled.leaf_group`). Each counted
# score adds PACK_UNIT + its weighted cents to its slot's field, so the field holds
# count * PACK_UNIT + sum: count says whether any child had a score (None otherwise), and sum
# comes back exactly, sign included, since |sum| < 2^15 children * 2^41 (31-bit cents times a
# weight below 1000) < PACK_UNIT / 2, and the field (< 2^74) never reaches the next one.
PACK_PRESENT = 32
PACK_FIELD = 80
PACK_SHIFT = 58
PACK_UNIT = 1 << PACK_SHIFT
READ_BATCH = 2000  # units a fetch


class _Terms(dict[str, int]):
    """A row's key as the database wrote it -> what the row adds to its unit's packed sum, made
    on first sight (a campaign has a few thousand distinct keys for a million rows). A node
    outside the tree adds nothing, not even to the row count."""

    def __init__(self, groups: dict[int, tuple[int, int, bool]], offsets: dict[int, int]) -> None:
        super().__init__()
        self.groups = groups
        self.offsets = offsets

    def __missing__(self, text: str) -> int:
        node, pair, score = text.partition(" ")
        cents: int | None
        if pair:  # "node score" (PostgreSQL; the score empty when there is none)
            node_id = int(node)
            cents = int(Decimal(score) * 100) if score else None
        else:  # node * SHIFT + cents + OFFSET, or 0 for no score (SQLite)
            node_id, low = divmod(int(text), SHIFT)
            cents = low - OFFSET if low else None
        group = self.groups.get(node_id)
        term = 0
        if group is not None:
            here, weight, counted = group
            term = 1
            if cents is not None and counted:
                term += (PACK_UNIT + cents * weight) << self.offsets[here]
        self[text] = term
        return term


def _read_keyed(compiled: Compiled, table: str, campaign_id: int) -> Iterator[tuple[int, _Unit]]:
    """The integer-cents read: one row per unit, its leaf rows as one comma-separated list of
    keys (leaf, score in cents) that the database builds while it walks the unit's index range;
    Python splits the list and adds up each key's packed term in C (`sum(map(...))`), then
    unpacks each slot the unit's leaves add to (their parent; itself for a top-level leaf).
    The few vetoes and levels come in a second list of the same row (`_mark`). The units are
    yielded in enrolment order, fetched in batches (a server-side cursor on PostgreSQL,
    `connection.chunked_cursor`), so that only the units being rolled up are held: reading the
    whole campaign first peaked at 849 MB at 100,000 units (issue 20 point 5).

    Measured at 20,000 units (1.06 M rows a table, SQLite, a noisy machine), against the earlier
    read of one (unit, key) row per leaf score with a Python loop over the rows: 0.82-0.95 s
    against 1.27-1.80 s a table, mostly fewer rows crossing into Python (fetching 1.06 M rows
    alone took 0.9 s); counted in instructions (callgrind, 2,000 units), the whole recompute went
    from 1.75 to 1.41 times the floor's (`devtools.bench_floor`). Grouping by the enrolment (not
    the score's column) lets SQLite walk the campaign's enrolments in order and each one's rows
    by index, with no sort; filtering the leaves in SQL made it probe the index once per leaf,
    so foreign nodes are dropped by `_Terms` instead.
    Letting the database GROUP BY (unit, parent) and sum sorts in a temporary B-tree: twice
    the read on SQLite, 1.7-2.3 times on PostgreSQL (issue 20)."""
    enrollments = Enrollment._meta.db_table
    groups = compiled.leaf_group
    width = compiled.width
    heres = sorted({here for here, _w, counted in groups.values() if counted})
    offsets = {here: PACK_PRESENT + k * PACK_FIELD for k, here in enumerate(heres)}
    # The few rows that carry a veto or a level that counts, as a second list (NULL for most
    # units): "node veto level" items, separated by control characters no label holds.
    postgresql = connection.vendor == "postgresql"
    agg, char = ("string_agg", "chr") if postgresql else ("group_concat", "char")
    mark = f"s.node_id || {char}(30) || CAST(s.veto AS INTEGER) || {char}(30) || s.level"
    marks = f"{agg}(CASE WHEN {_marked(compiled)} THEN {mark} END, {char}(31))"
    if postgresql:
        # numeric arithmetic is slow there: the score's own text went 1.06 -> 0.60 s a table
        keys = "string_agg(s.node_id || ' ' || COALESCE(s.score::text, ''), ',')"
    else:
        # and on SQLite one integer (0.46-0.55 s) beat the pair as text (0.59-0.83 s)
        key = f"s.node_id * {SHIFT} + COALESCE(CAST(ROUND(s.score * 100) AS INTEGER) + {OFFSET}, 0)"
        keys = f"group_concat({key}, ',')"
    sql = f"""
        SELECT e.id, {keys}, {marks}
        FROM {table} s JOIN {enrollments} e ON e.id = s.enrollment_id
        WHERE e.campaign_id = %s
        GROUP BY e.id
        ORDER BY e.id
    """  # noqa: S608 (the table names and the integers are ours)
    term = _Terms(groups, offsets).__getitem__
    present = (1 << PACK_PRESENT) - 1
    field_mask = (1 << PACK_FIELD) - 1
    half = PACK_UNIT >> 1
    fields = list(offsets.items())
    if postgresql:  # every row is read: plan the cursor for all of them, not the first tenth
        with connection.cursor() as setting:
            setting.execute("SET LOCAL cursor_tuple_fraction = 1")
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [campaign_id])
        while rows := cursor.fetchmany(READ_BATCH):
            for enrollment_id, listed, listed_marks in rows:
                total = sum(map(term, listed.split(",")))
                unit = _Unit(width)
                unit.present = total & present
                values = unit.values
                for here, offset in fields:
                    field = (total >> offset) & field_mask
                    count = (field + half) >> PACK_SHIFT
                    if count:
                        values[here] = field - (count << PACK_SHIFT)
                if listed_marks:
                    for item in listed_marks.split("\x1f"):
                        node, veto, level = item.split("\x1e", 2)
                        _mark(compiled, unit, int(node), level, veto == "1")
                yield enrollment_id, unit


def _read_marks(compiled: Compiled, where: str, campaign_id: int, units: dict[int, _Unit]) -> None:
    """The few rows that carry a veto or a level that counts (the Decimal path)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.enrollment_id, s.node_id, s.level, s.veto {where} AND ({_marked(compiled)})",
            [campaign_id],
        )
        for enrollment_id, node_id, level, veto in cursor.fetchall():
            _mark(compiled, units[enrollment_id], node_id, level, veto)


def _marked(compiled: Compiled) -> str:
    """The SQL condition of a row that carries a veto or a level that counts."""
    levels = ", ".join(str(int(pk)) for pk in compiled.level_pks)
    return f"s.veto OR s.node_id IN ({levels})" if levels else "s.veto"


def _mark(compiled: Compiled, unit: _Unit, node_id: int, level: str, veto: bool) -> None:
    """A row's veto and level (a row of a node outside the tree's leaves counts for nothing)."""
    i = compiled.slot.get(node_id)
    if i is None:
        return
    if veto:
        unit.veto = True
    if level and i in compiled.qualitative:
        unit.counts[level] = unit.counts.get(level, 0) + 1
    if level and i in compiled.root_leaves:
        unit.levels[i] = level


COLUMNS = ("enrollment_id", "campaign_id", *FIGURE_FIELDS, "rank", "advanced")
# One encoder for the 60,000 JSON values of a 20,000-unit recompute (`json.dumps` with an
# option builds a new encoder per call).
_JSON = json.JSONEncoder(ensure_ascii=False)
JSON_FIELDS = ("self_nodes", "review_nodes", "type_scores", "level_counts", "self_level_counts")


@gc_paused()  # the rows hold no cycles: no full collection in the middle (`core.gcpause`)
@transaction.atomic
def campaign_recompute(*, campaign: Campaign) -> int:
    """Every enrolled unit's figures, grades and ranks from the stored leaf scores, written in
    one transaction. Approved results (`UnitResult`) are not touched. Returns the unit count."""
    campaign = Campaign.objects.select_related("indicator_version__system").get(pk=campaign.pk)
    ctx = context_for(campaign)
    compiled = Compiled(ctx)
    listed = list(
        Enrollment.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list("pk", "state", "unit_id")
    )
    enrollments = [(pk, state) for pk, state, _unit in listed]
    unit_of = {pk: unit_id for pk, _state, unit_id in listed}
    survey = external.points(
        "survey",
        campaign_id=campaign.pk,
        unit_ids=list(unit_of.values()),
        weights=ctx.weights,
        top=ctx.top,
    )
    vetoed = set(
        VetoInput.objects.filter(enrollment__campaign=campaign, vetoed=True).values_list(
            "enrollment_id", flat=True
        )
    )
    own = _Stream(_read(compiled, SelfScore._meta.db_table, campaign.pk), compiled.width)
    final = _Stream(_read(compiled, ConsolidatedScore._meta.db_table, campaign.pk), compiled.width)
    evaluate = compiled.evaluate_grouped if compiled.cents else compiled.evaluate
    memo: dict[Any, res.Result] = {}
    field_ = []  # (enrolment, composite, grade, veto) for the ranks
    rows: list[tuple[Any, ...]] = []  # each unit's stored row, without its rank yet
    for pk, state in enrollments:  # by id, as the reads stream
        a = own.take(pk)
        b = final.take(pk)
        f = figures_from_rollups(
            ctx,
            evaluate(a.values, a.present, a.veto, a.counts, a.levels),
            evaluate(b.values, b.present, b.veto, b.counts, b.levels),
            vetoed_by_input=pk in vetoed,
            reviewed=state in REVIEWED_STATES,
            memo=memo,
            survey=survey.get(unit_of[pk]),
        )
        field_.append((pk, f.composite, f.grade, f.veto))
        values = stored_values(f)
        for name in JSON_FIELDS:
            values[name] = _JSON.encode(values[name]) if values[name] else "{}"
        rows.append((pk, campaign.pk, *(values[name] for name in FIGURE_FIELDS)))
    ranks = campaign_ranks(
        ctx,
        field_,
        enrolled=sum(1 for _pk, state in enrollments if state != EnrollmentState.WITHDRAWN),
        decision=tie_decision(campaign),
    )
    table = UnitTotals._meta.db_table
    json_cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    placeholders = ", ".join(json_cast if c in JSON_FIELDS else "%s" for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign.pk])  # noqa: S608
        if connection.vendor == "postgresql":
            # COPY: a third of the time of batched INSERTs at 20,000 rows (the JSON columns go
            # as their text, which COPY parses as jsonb).
            with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *ranks[row[0]]))
        else:
            # In rank order: the rank index and those of the totals and the composite, which
            # follow the rank closely, then grow at their ends instead of at random places,
            # and the next recompute's DELETE walks the table in the order it was written. At
            # 100,000 units, where those indexes outgrow SQLite's page cache, the DELETE went
            # from 1.0 to 0.4 s and the INSERTs from 1.9-2.4 to 1.6-1.8 s; the whole recompute
            # from 13.05 to 12.81 s, medians of six (issue 20 point 5, docs/performance.md).
            rows.sort(key=lambda row: _rank_order(ranks[row[0]][0]))
            for start in range(0, len(rows), BATCH):
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})",  # noqa: S608
                    [(*row, *ranks[row[0]]) for row in rows[start : start + BATCH]],
                )
    return len(rows)


def _rank_order(rank: int | None) -> tuple[bool, int]:
    return (rank is None, rank or 0)


def figures_settle(*, campaign: Campaign) -> int:
    """The stored figures made current before approval freezes them (`approval`, a prepared
    round). Every write that changes a unit's figures refreshes them in its own transaction
    (`unit.unit_refresh` and `ranks_refresh`; an enrolment or a scoring setting recomputes the
    field), so there is nothing to do, except for a component another app computes on reading
    (`external`: the survey share moves with every answer and announces nothing): when the
    campaign weighs one, the whole field is recomputed. Returns how many units were.

    The full recompute on every approval was 5.7 s of a 20-second approval at 20,000 units."""
    weights = campaign.composite_weights or {}
    if any(Decimal(str(weights.get(name) or 0)) for name in external.COMPONENTS):
        return campaign_recompute(campaign=campaign)
    return 0
