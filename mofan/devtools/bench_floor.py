"""The floor of the full recompute (issue 20): the same outputs — each unit's self and review
totals, its per-type review totals, its composite and its rank — computed by the database alone,
with plain SQL over the same stored leaf-score rows, and stored in a table as the recompute
stores its own. Nothing in Python touches a row.

It is not a second implementation of the figures (it ignores caps, vetoes, qualitative levels,
survey points and tie decisions, which cost the database little next to reading 2 million rows):
it is what the hardware and the database need to read every leaf score of a campaign, group it,
rank it and write one row per unit. `make bench` prints the recompute as a multiple of it, per
database, so "close to the floor" is a number instead of a feeling.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from mofan.campaigns.models import Campaign
from mofan.evaluations.figures.unit import context_for
from mofan.evaluations.models import ConsolidatedScore, SelfScore
from mofan.indicators.tree import NodeData, walk

TABLE = "bench_recompute_floor"
# The jobs printed as a multiple of a floor: job name prefix -> floor name.
FLOOR_MULTIPLE = 2.0
FLOORS = {"full recompute": "recompute floor (plain SQL)"}


def leaf_types(campaign: Campaign) -> list[tuple[int, str, Decimal]]:
    """(leaf node id, code of its top-level type, weight along its path) for every leaf."""
    ctx = context_for(campaign)
    pk_of = {code: pk for pk, code in ctx.code_of.items()}
    out: list[tuple[int, str, Decimal]] = []

    def visit(node: NodeData, type_code: str, weight: Decimal) -> None:
        weight = weight * node.weight
        if not node.children:
            out.append((pk_of[node.code], type_code, weight))
        for child in node.children:
            visit(child, type_code, weight)

    for root in ctx.roots:
        visit(root, root.code, Decimal(1))
    assert len(out) == sum(1 for node, _depth in walk(ctx.roots) if not node.children)
    return out


def floor_sql(campaign: Campaign) -> tuple[str, list[Any]]:
    """One statement that creates `TABLE` with one row per enrolled unit: enrollment, self
    total, review total, the per-type review totals (as one text column, the way the recompute
    stores its JSON map), composite and rank."""
    leaves = leaf_types(campaign)
    # Each leaf's type and weight as CASE expressions over the node id: on SQLite a fifth
    # faster than joining a VALUES table (which it reads through the node index, row by row).
    quoted = {code: "'" + code.replace("'", "''") + "'" for _pk, code, _w in leaves}
    type_of = " ".join(f"WHEN {int(pk)} THEN {quoted[code]}" for pk, code, _w in leaves)
    weight_of = " ".join(f"WHEN {int(pk)} THEN {weight}" for pk, _code, weight in leaves)
    ids = ", ".join(str(int(pk)) for pk, _code, _w in leaves)
    params: list[Any] = []
    weights = context_for(campaign).weights
    w_self = Decimal(weights.get("self", 0))
    w_review = Decimal(weights.get("review", 0)) or Decimal(1)
    concat = (
        "string_agg(t.type_code || ':' || CAST(t.total AS text), ',')"
        if connection.vendor == "postgresql"
        else "group_concat(t.type_code || ':' || CAST(t.total AS text), ',')"
    )
    self_table = SelfScore._meta.db_table
    final_table = ConsolidatedScore._meta.db_table
    sql = f"""
        CREATE TEMPORARY TABLE {TABLE} AS
        WITH enrolled AS (
            SELECT id FROM campaigns_enrollment WHERE campaign_id = %s
        ),
        own AS (
            SELECT s.enrollment_id AS e,
                   ROUND(SUM(s.score * CASE s.node_id {weight_of} END), 2) AS total
            FROM {self_table} s JOIN enrolled ON enrolled.id = s.enrollment_id
            WHERE s.node_id IN ({ids})
            GROUP BY s.enrollment_id
        ),
        t AS (
            SELECT c.enrollment_id AS e, CASE c.node_id {type_of} END AS type_code,
                   ROUND(SUM(c.score * CASE c.node_id {weight_of} END), 2) AS total
            FROM {final_table} c JOIN enrolled ON enrolled.id = c.enrollment_id
            WHERE c.node_id IN ({ids})
            GROUP BY c.enrollment_id, CASE c.node_id {type_of} END
        ),
        final AS (
            SELECT t.e, SUM(t.total) AS total, {concat} AS types FROM t GROUP BY t.e
        ),
        figures AS (
            SELECT enrolled.id AS enrollment_id, own.total AS self_total,
                   final.total AS review_total, final.types AS type_scores,
                   ROUND((COALESCE(own.total, 0) * {w_self} + final.total * {w_review})
                         / ({w_self} + {w_review}), 2) AS composite
            FROM enrolled
            LEFT JOIN own ON own.e = enrolled.id
            LEFT JOIN final ON final.e = enrolled.id
        )
        SELECT figures.*, RANK() OVER (ORDER BY composite DESC) AS rank FROM figures
    """  # noqa: S608 (table names and weights are ours, not input)
    params.append(campaign.pk)
    return sql, params


def recompute_floor(*, campaign: Campaign) -> int:
    """Run the floor statement once; returns the number of rows it stored."""
    sql, params = floor_sql(campaign)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(sql, params)
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")  # noqa: S608
        (count,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE {TABLE}")
    return int(count)


def floor_multiples(rows: list[dict[str, Any]]) -> None:
    """Add `x_floor` (median / the floor's median, same database and size) to each job that has
    a floor, so the bench prints how far the job sits above what the database alone needs."""
    medians = {row["name"]: row["median_ms"] for row in rows}
    for row in rows:
        for prefix, floor in FLOORS.items():
            if row["name"].startswith(prefix) and medians.get(floor):
                row["x_floor"] = round(row["median_ms"] / medians[floor], 2)
