"""The activity ledger of the scale seed (`devtools.scale`, issue 15 point 5): about a hundred
records a unit for the campaign's year (2,000,000 at 20,000 units by default; `records` sets the
total), written as plain rows (`scale_bulk.Table`: `executemany` on SQLite, COPY on PostgreSQL)
with one audit entry and a digest of what was written.

Each unit's year, in this order and cut to the unit's share of `records` (more is filled with
谈心谈话): its branch's 集体学习 (12, but 9 in one unit of ten: short of the rule), “四化”验收
(1, none in one unit of 25), 党员大会 (4), 组织生活情况通报 (2), 专题研究 (4), 主题党日 (12),
支委会 (12), 党课 (4), 第一议题 (12), 民主评议 (1), then each member's 志愿服务 (2, one for about
one member in seven) and training (1, 16 hours, 80 % political theory), and 联系点调研 (2) for
the first three members.

Participations are kept compact: a one-person record has its person; of the roster meetings
only the 党员大会 lists its attendance (every member, one in ten absent with a reason). The
rules of the built-in templates count organisations' meetings and people's one-person records,
so nothing they read is missing; at 20,000 units that is about 1.5 million rows instead of 13.

Record and participation ids are assigned here (one past the largest so far) so the
participations can name their records without reading 2 million ids back; PostgreSQL's sequences
are moved past them afterwards. The helpers `spread` and `topic_of` serve the demo's and the
simulation's ledger too (`devtools.ledger_fill`).
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from mofan.activities.models import ActivityKind, ActivityRecord, Participation
from mofan.audit.services import audit_record
from mofan.devtools.scale_bulk import Digest, Timer, keys_checked_once
from mofan.devtools.scale_bulk import Table as _Table
from mofan.organizations.models import Committee, Member, PartyOrganization

PER_UNIT = 100  # records a unit by default
FLUSH = 50_000  # records per batch of inserts
ABSENCE_REASONS = ("出差", "病假", "公务外出", "休假", "参加培训")
TOPICS = {
    "party-congress": "党员大会：传达学习上级会议精神",
    "branch-committee": "支委会：研究部署支部重点工作",
    "group-meeting": "党小组会：交流学习体会",
    "party-lecture": "党课：学习贯彻党的创新理论",
    "theme-day": "主题党日：重温入党誓词",
    "first-topic": "第一议题：学习习近平总书记重要讲话精神",
    "central-group": "中心组学习：专题学习研讨",
    "collective-study": "集体学习：党章党规和业务知识",
    "special-study": "党组专题研究：党建工作",
    "contact-visit": "到党支部工作联系点调研指导",
    "volunteer": "社区志愿服务",
    "heart-talk": "谈心谈话",
    "democratic-review": "民主评议党员",
    "training": "党员干部教育培训",
    "article": "调研文章：关于提升机关党建质量的调研与思考",
    "life-report": "党员参加组织生活情况通报",
    "sihua-check": "“四化”党支部达标验收",
}
BRANCH_YEAR = (
    ("collective-study", 12),
    ("sihua-check", 1),
    ("party-congress", 4),
    ("life-report", 2),
    ("special-study", 4),
    ("theme-day", 12),
    ("branch-committee", 12),
    ("party-lecture", 4),
    ("first-topic", 12),
    ("democratic-review", 1),
)
SHORT_STUDY_EVERY = 10  # unit i (from 1) with i % 10 == 3 held 9 集体学习
NO_SIHUA_EVERY = 25  # unit i with i % 25 == 7 had no “四化”验收
LEADERS = 3


def topic_of(code: str, number: int) -> str:
    """A record's topic: its kind's, numbered within the year."""
    return f"{TOPICS.get(code, code)}（第{number}次）"


def spread(year: int, count: int, rng: random.Random, last_month: int = 12) -> list[datetime.date]:
    """`count` dates of the year up to the end of `last_month`, one in each of `count` equal
    slices (so a rule per half year or quarter sees them spread), ascending."""
    first = datetime.date(year, 1, 1)
    following = datetime.date(year + (last_month == 12), last_month % 12 + 1, 1)
    days = (following - first).days
    return [
        first + datetime.timedelta(days=(i * days) // count + rng.randrange(max(1, days // count)))
        for i in range(count)
    ]


def _plan(i: int, members: Sequence[tuple[int, str]], rng: random.Random) -> list[Any]:
    """Unit number i's year: (code, count) for its branch, then (code, member) one-person
    records."""
    plan: list[Any] = []
    for code, count in BRANCH_YEAR:
        if code == "collective-study" and i % SHORT_STUDY_EVERY == 3:
            count = 9
        if code == "sihua-check" and i % NO_SIHUA_EVERY == 7:
            continue
        plan.append((code, count))
    for person in members:
        plan.append(("volunteer", 1 if rng.random() < 0.15 else 2, person))
        plan.append(("training", 1, person))
    for person in members[:LEADERS]:
        plan.append(("contact-visit", 2, person))
    return plan


class _Writer:
    """Rows of both tables, ids assigned here, flushed by batch."""

    def __init__(self, author_id: int, year: int, rng: random.Random) -> None:
        self.records = _Table(
            ActivityRecord,
            [
                "id",
                "committee",
                "unit",
                "party_org",
                "kind",
                "held_on",
                "topic",
                "hours",
                "political_theory",
                "minutes",
                "created_by",
                "created_at",
                "updated_at",
                "version",
            ],
        )
        self.people = _Table(
            Participation, ["id", "record", "member", "name", "present", "absence_reason"]
        )
        self.record_id = (ActivityRecord.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        self.person_id = (Participation.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        now = self.records.prep("created_at", timezone.now())
        self.author, self.now, self.year, self.rng = author_id, now, year, rng
        self.kinds = dict(
            ActivityKind.objects.filter(committee__isnull=True).values_list("code", "pk")
        )
        self._dates: dict[datetime.date, Any] = {}
        self._hours = {h: self.records.prep("hours", Decimal(h)) for h in (2, 16)}
        self.digest = Digest()

    def date(self, day: datetime.date) -> Any:
        if day not in self._dates:
            self._dates[day] = self.records.prep("held_on", day)
        return self._dates[day]

    def record(
        self, committee: int, unit: int, org: int, code: str, count: int, people: list[Any]
    ) -> list[int]:
        """`count` records of a kind; `people`: (member, name, present, reason) on each."""
        made = []
        for number, day in enumerate(spread(self.year, count, self.rng), 1):
            hours = theory = None
            if code in ("party-lecture", "first-topic", "collective-study"):
                hours, theory = self._hours[2], True
            elif code == "training":
                hours, theory = self._hours[16], self.rng.random() < 0.8
            pk = self.record_id
            self.record_id += 1
            self.records.rows.append(
                (
                    pk,
                    committee,
                    unit,
                    org,
                    self.kinds[code],
                    self.date(day),
                    topic_of(code, number),
                    hours,
                    theory,
                    "",
                    self.author,
                    self.now,
                    self.now,
                    1,
                )
            )
            for member, name, present, reason in people:
                self.people.rows.append((self.person_id, pk, member, name, present, reason))
                self.person_id += 1
            made.append(day.toordinal())
        return made

    def flush(self) -> None:
        self.records.flush()
        self.people.flush()


def ledger(
    *,
    committee: Committee,
    unit_ids: Sequence[int],
    records: int,
    year: int,
    author_id: int,
    rng: random.Random,
    timer: Timer,
) -> dict[str, int]:
    """About `records` records for the units (in order), their participations, one audit
    entry; the counts written."""
    started = time.perf_counter()
    roll: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, unit_id, name in (
        Member.objects.filter(unit__committee=committee)
        .order_by("pk")
        .values_list("pk", "unit_id", "name")
    ):
        roll[unit_id].append((pk, name))
    org_of = dict(
        PartyOrganization.objects.filter(unit__committee=committee)
        .order_by("pk")
        .values_list("unit_id", "pk")
    )
    with keys_checked_once(ActivityRecord, Participation):
        w = _Writer(author_id, year, rng)
        share, extra = divmod(records, max(1, len(unit_ids)))
        for i, unit_id in enumerate(unit_ids, start=1):
            members, org = roll.get(unit_id, []), org_of[unit_id]
            want, days = share + (i <= extra), []
            for step in _plan(i, members, rng):
                if want <= 0:
                    break
                count = min(step[1], want)
                people: list[Any] = []
                if len(step) == 3:
                    people = [(step[2][0], step[2][1], True, "")]
                elif step[0] == "party-congress":
                    absent = {j for j in range(len(members)) if (i + j) % 10 == 9}
                    people = [
                        (pk, name, j not in absent, ABSENCE_REASONS[j % 5] if j in absent else "")
                        for j, (pk, name) in enumerate(members)
                    ]
                days += w.record(committee.pk, unit_id, org, step[0], count, people)
                want -= count
            for j in range(want):  # beyond the plan: one-person 谈心谈话
                person = members[j % len(members)] if members else None
                people = [(person[0], person[1], True, "")] if person else []
                days += w.record(committee.pk, unit_id, org, "heart-talk", 1, people)
            w.digest.add(i, len(days), sum(days))
            if len(w.records.rows) >= FLUSH:
                w.flush()
        w.flush()
    _move_sequences()
    counts = {"ledger_records": w.records.written, "participations": w.people.written}
    audit_record(
        action="scale.seed.ledger",
        actor_name="seed_scale",
        target=committee,
        committee_id=committee.pk,
        extra={"year": year, **counts, "sha256": w.digest.hexdigest},
    )
    timer.add("ledger", started)
    return counts


def _move_sequences() -> None:
    """PostgreSQL: the id sequences past the ids assigned here (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), [ActivityRecord, Participation])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
