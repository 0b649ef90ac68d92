"""Province-scale data (issue 7 point 1): a committee with N units, their party organisations and
members, and a campaign whose every unit has its self-evaluation, every reviewer's scores, the
consolidated scores and a frozen approved result — written in bulk, fast enough for 20,000 units.

The bulk path keeps the invariants of the services it stands in for:

* the committee, its accounts, the campaign (with its enrolments), the review groups and the
  assignment draw are made by the services themselves (`campaign_create`,
  `review_group_create`, `assignment_draw`: already bulk, one audit entry each);
* leaf inputs come from the simulation's value functions (`simulate.synthetic_value` /
  `reviewer_value`) and are scored by the services' own `score_fields` (cached per distinct
  input), so every stored score is what `self_score_save` / `review_score_save` would have
  stored;
* consolidated scores are the reviewers' mean (or common level) exactly as
  `consolidation_preview` computes it, a flagged leaf decided by the leader as the simulation
  does (the mean, with a reason);
* results come from `approval.campaign_rows` over the stored rows — the same pure results code
  as `campaign_approve` — and are written frozen, the enrolments APPROVED;
* approval's rectification hook runs through the service itself (`results_approved`: the
  problem lists and re-reviews of the failing units);
* instead of one audit entry per row, each bulk step appends ONE entry ("scale.seed.*") to the
  hash chain with its counts and a SHA-256 digest of the rows it wrote, so `verify_audit` holds.

Speed: units, branches and members go through `bulk_create` (which encrypts each member's phone
and fills its blind index, mofan/core/fields.py: about 60 µs a member); the ~5 million score
rows of 20,000 units skip the model layer (`_Table`: values prepared once per distinct value by
the fields' own `get_db_prep_save`, then `executemany` on SQLite, COPY on PostgreSQL), a few
transactions in all.

Not done here (documented limits): findings, visits and evidence (`campaign_simulate` runs
those through the services at small sizes); the campaign is approved but not published.

Deterministic for a given seed: the same seed gives the same values, totals, grades and row
digests (digests name units by their order and leaves by their code, never by database id)."""

from __future__ import annotations

import datetime
import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import connection, models, transaction
from django.db.models import F, Min
from django.utils import timezone

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.devtools.simulate import (
    REVIEW_GROUPS,
    REVIEWERS_PER_GROUP,
    actor_of,
    groups_and_draw,
    open_campaign,
    reviewer_value,
    synthetic_people,
    synthetic_value,
)
from mofan.evaluations import approval
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    ReviewerSeat,
    ReviewScore,
    ReviewSubmission,
    SelfScore,
    UnitResult,
)
from mofan.evaluations.score_write import clean_input, score_fields
from mofan.evaluations.scoring import consensus_level
from mofan.evaluations.summary import result_summary_rebuild
from mofan.indicators.builtin import load_templates
from mofan.indicators.methods import OPTIONAL_IN_SELF
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.indicators.selectors import published_leaves
from mofan.organizations.models import (
    Committee,
    Gender,
    Member,
    PartyOrganization,
    PartyOrgKind,
    Unit,
)
from mofan.rectification.auto import results_approved

BATCH = 5000  # rows per bulk_create call (Django splits further to the backend's limits)
CHUNK = 200  # units generated and written together
DEFAULT_TEMPLATE = "yueqing-2020"
DEFAULT_MEMBERS = 10
DECISION_REASON = "组长综合评审组意见裁定"  # the simulation's leader decision on flagged leaves
# enrolment version after not_started → in_progress → submitted → reviewed → approved
APPROVED_VERSION = 4

SCORE_COLUMNS = ("enrollment", "node")
LEAF_COLUMNS = ("input", "score", "level", "veto")
MERGED_COLUMNS = ("score", "level", "veto", "mean", "spread", "flagged")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
POSTS = ("科员", "副科长", "科长", "副主任", "主任", "干部")


class _Digest:
    """Counts and hashes the rows of one bulk step for its audit entry."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, *parts: Any) -> None:
        self.rows += 1
        self._hash.update("|".join("" if p is None else str(p) for p in parts).encode())
        self._hash.update(b"\n")

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass
class _Timer:
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - started
        return now


def _insert(model: type[models.Model], rows: list[Any]) -> None:
    for i in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[i : i + BATCH], batch_size=BATCH)  # type: ignore[attr-defined]


class _Table:
    """A plain multi-row INSERT for the big score tables: Django's bulk_create spends most of its
    time building model instances and preparing each field of each row. Here every value is
    prepared once by the field's own `get_db_prep_save` (scores and inputs repeat, so the
    prepared forms are cached by the callers) and rows go to the database as tuples."""

    def __init__(self, model: type[models.Model], names: list[str]) -> None:
        meta = model._meta
        self.fields: dict[str, models.Field[Any, Any]] = {
            name: cast("models.Field[Any, Any]", meta.get_field(name)) for name in names
        }
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields.values())
        self.row_marks = "(" + ", ".join(["%s"] * len(names)) + ")"
        # identifiers from the model's own metadata, quoted; values go as parameters
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def prep(self, name: str, value: Any) -> Any:
        return self.fields[name].get_db_prep_save(value, connection)

    def flush(self) -> None:
        """SQLite: one prepared statement run per row (`executemany`, no round trips).
        PostgreSQL: COPY … FROM STDIN, the values adapted by psycopg as for an INSERT."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                for i in range(0, len(self.rows), BATCH):
                    cursor.executemany(self.sql + self.row_marks, self.rows[i : i + BATCH])
        self.written += len(self.rows)
        self.rows = []


class _Scorer:
    """The services' scoring of one leaf input, cached with its prepared database values:
    inputs repeat across units."""

    def __init__(self, table: _Table) -> None:
        self.table = table
        self._cache: dict[tuple[int, str], tuple[dict[str, Any], tuple[Any, ...]]] = {}

    def __call__(self, node: IndicatorNode, value: dict[str, Any]) -> tuple[dict[str, Any], tuple]:
        key = (node.pk, repr(value))
        found = self._cache.get(key)
        if found is None:
            fields = score_fields(node, value)
            prepared = (
                self.table.prep("input", clean_input(value)),
                self.table.prep("score", fields["score"]),
                fields["level"],
                fields["veto"],
            )
            found = self._cache[key] = (fields, prepared)
        return found


def consolidated_leaf(
    node: IndicatorNode, scores: list[tuple[Decimal | None, str, bool]], spread_limit: Decimal
) -> dict[str, Any]:
    """One leaf of `services.consolidation_preview` over (score, level, veto) of every reviewer
    (in reviewer order), and the stored consolidated values after the leader's decision."""
    numeric = [s for s, _l, _v in scores if s is not None]
    levels = [lv for _s, lv, _v in scores if lv]
    mean = spread = None
    level = ""
    flagged = False
    if numeric:
        mean = (sum(numeric, Decimal(0)) / len(numeric)).quantize(Decimal("0.01"))
        spread = max(numeric) - min(numeric)
        flagged = spread > spread_limit
    elif levels:
        level, flagged = consensus_level(levels, node.method)
    votes = [v for _s, _l, v in scores]
    if votes and len(set(votes)) > 1:
        flagged = True
    return {
        "score": mean,
        "level": level,
        "veto": any(votes) and all(votes),
        "mean": mean,
        "spread": spread,
        "flagged": flagged,
        "reason": DECISION_REASON if flagged else "",
    }


def _organizations(
    committee: Committee, units: int, members_per_unit: int, rng: random.Random, timer: _Timer
) -> tuple[list[int], int]:
    """Units, one party branch each and its members (the first is its secretary)."""
    started = time.perf_counter()
    digest = _Digest()
    _insert(
        Unit,
        [
            Unit(committee=committee, name=f"规模单位{i:05d}", short_name=f"单位{i}", sort_order=i)
            for i in range(1, units + 1)
        ],
    )
    unit_ids = list(
        Unit.objects.filter(committee=committee).order_by("sort_order").values_list("pk", flat=True)
    )
    _insert(
        PartyOrganization,
        [
            PartyOrganization(
                unit_id=unit_id,
                kind=PartyOrgKind.BRANCH,
                name=f"规模单位{i:05d}机关党支部",
                elected_on=datetime.date(2023 + i % 3, 1 + i % 12, 1 + i % 28),
                election_due_on=datetime.date(2026 + i % 3, 1 + i % 12, 1 + i % 28),
            )
            for i, unit_id in enumerate(unit_ids, start=1)
        ],
    )
    org_of = dict(
        PartyOrganization.objects.filter(unit__committee=committee).values_list("unit_id", "pk")
    )
    members: list[Member] = []
    for i, unit_id in enumerate(unit_ids, start=1):
        for j in range(members_per_unit):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if j % 2 else "")
            gender = Gender.MALE if rng.random() < 0.55 else Gender.FEMALE
            born = datetime.date(1965 + rng.randrange(35), 1 + rng.randrange(12), 1 + j % 28)
            members.append(
                Member(
                    unit_id=unit_id,
                    party_org_id=org_of[unit_id],
                    name=name,
                    gender=gender,
                    birth_date=born,
                    post=POSTS[j % len(POSTS)],
                    # Derived from (i, j), so the digest below already covers it.
                    phone=f"13{i % 100_000:05d}{j % 10_000:04d}",
                )
            )
            digest.add(i, j, name, gender, born)
        if len(members) >= BATCH:
            _insert(Member, members)
            members = []
    _insert(Member, members)
    # The first member of each branch is its secretary. One grouped scan, then a bulk update: a
    # correlated subquery per row is planned as a sequential scan on PostgreSQL's fresh,
    # un-analysed tables (minutes at 20,000 units).
    first = dict(
        Member.objects.filter(unit__committee=committee)
        .values("party_org")
        .annotate(first=Min("pk"))
        .values_list("party_org", "first")
    )
    PartyOrganization.objects.bulk_update(
        [PartyOrganization(pk=org, secretary_id=member) for org, member in first.items()],
        ["secretary"],
        batch_size=1000,
    )
    audit_record(
        action="scale.seed.organizations",
        actor_name="seed_scale",
        target=committee,
        committee_id=committee.pk,
        extra={
            "units": units,
            "party_orgs": len(org_of),
            "members": digest.rows,
            "sha256": digest.hexdigest,
        },
    )
    timer.add("organizations", started)
    return unit_ids, digest.rows


@dataclass
class _Sheets:
    """The digests of every score row written."""

    self_digest: _Digest = field(default_factory=_Digest)
    review_digest: _Digest = field(default_factory=_Digest)
    consolidated_digest: _Digest = field(default_factory=_Digest)
    submissions: int = 0


def _scores(
    *,
    campaign: Campaign,
    leaves: list[IndicatorNode],
    liaison: User,
    rng: random.Random,
    timer: _Timer,
) -> _Sheets:
    """Every unit's self-evaluation, every reviewer's scores and submission, and the
    consolidated scores, chunk by chunk in unit order."""
    sheets = _Sheets()
    spread_limit = campaign.review_spread
    self_leaves = [n for n in leaves if n.method_type not in OPTIONAL_IN_SELF]
    own = _Table(
        SelfScore,
        [*SCORE_COLUMNS, *LEAF_COLUMNS, "narrative", "updated_by", "updated_at", "version"],
    )
    reviews = _Table(
        ReviewScore,
        ["assignment", "reviewer", "node", *LEAF_COLUMNS, "comment", "updated_at", "version"],
    )
    submitted = _Table(ReviewSubmission, ["assignment", "reviewer", "submitted_at"])
    merged = _Table(
        ConsolidatedScore,
        [*SCORE_COLUMNS, *MERGED_COLUMNS, "reason", "decided_by", "version"],
    )
    own_score, review_score = _Scorer(own), _Scorer(reviews)
    now = own.prep("updated_at", timezone.now())
    merged_cache: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[Any, ...]]] = {}
    assignments = list(
        Assignment.objects.filter(enrollment__campaign=campaign)
        .select_related("group", "enrollment__unit")
        .order_by("enrollment__unit__sort_order")
    )
    seats: dict[int, list[int]] = {}
    for group_id, reviewer_id in ReviewerSeat.objects.filter(group__campaign=campaign).values_list(
        "group_id", "reviewer_id"
    ):
        seats.setdefault(group_id, []).append(reviewer_id)
    groups = {a.group_id: a.group for a in assignments}
    reviewers_by_group = {
        gid: sorted({g.leader_id, *seats.get(gid, [])}) for gid, g in groups.items()
    }
    for start in range(0, len(assignments), CHUNK):
        started = time.perf_counter()
        generated: list[tuple[Assignment, int, dict[int, dict[str, Any]]]] = []
        for assignment in assignments[start : start + CHUNK]:
            order = assignment.enrollment.unit.sort_order
            quality = rng.random()
            values = {node.pk: synthetic_value(node, quality, rng) for node in self_leaves}
            for node in self_leaves:
                fields, prepared = own_score(node, values[node.pk])
                own.rows.append(
                    (assignment.enrollment_id, node.pk, *prepared, "", liaison.pk, now, 1)
                )
                sheets.self_digest.add(order, node.code, fields["score"], fields["level"])
            generated.append((assignment, order, values))
        started = timer.add("self_scores", started)
        own.flush()
        started = timer.add("self_scores", started)
        for assignment, order, values in generated:
            per_reviewer = []
            for seat, reviewer_id in enumerate(reviewers_by_group[assignment.group_id]):
                row = []
                for node in leaves:
                    value = reviewer_value(
                        values.get(node.pk) or synthetic_value(node, 0.5, rng), node, rng
                    )
                    fields, prepared = review_score(node, value)
                    reviews.rows.append(
                        (assignment.pk, reviewer_id, node.pk, *prepared, "", now, 1)
                    )
                    row.append((fields["score"], fields["level"], fields["veto"]))
                    sheets.review_digest.add(
                        order, seat, node.code, fields["score"], fields["level"]
                    )
                per_reviewer.append(row)
                submitted.rows.append((assignment.pk, reviewer_id, now))
            started = timer.add("review_scores", started)
            for index, node in enumerate(leaves):
                votes = tuple(r[index] for r in per_reviewer)
                key = (node.pk, votes)
                found = merged_cache.get(key)
                if found is None:
                    leaf = consolidated_leaf(node, list(votes), spread_limit)
                    found = merged_cache[key] = (
                        leaf,
                        (
                            *(merged.prep(name, leaf[name]) for name in MERGED_COLUMNS),
                            leaf["reason"],
                        ),
                    )
                leaf, prepared = found
                merged.rows.append(
                    (assignment.enrollment_id, node.pk, *prepared, assignment.group.leader_id, 1)
                )
                sheets.consolidated_digest.add(
                    order, node.code, leaf["score"], leaf["level"], leaf["veto"], leaf["flagged"]
                )
            started = timer.add("consolidation", started)
        reviews.flush()
        submitted.flush()
        started = timer.add("review_scores", started)
        merged.flush()
        timer.add("consolidation", started)
    sheets.submissions = submitted.written
    return sheets


def _audit_sheets(campaign: Campaign, sheets: _Sheets, units: int) -> None:
    for action, digest, extra in (
        ("scale.seed.self_scores", sheets.self_digest, {}),
        ("scale.seed.review_scores", sheets.review_digest, {"submissions": sheets.submissions}),
        ("scale.seed.consolidated", sheets.consolidated_digest, {}),
    ):
        audit_record(
            action=action,
            actor_name="seed_scale",
            target=campaign,
            committee_id=campaign.committee_id,
            extra={"units": units, "rows": digest.rows, "sha256": digest.hexdigest, **extra},
        )


def _approve(
    campaign: Campaign, admin: User, liaison: User, timer: _Timer, today: datetime.date | None
) -> tuple[list[UnitResult], int]:
    """Reviewed, then the results as `campaign_approve` computes them, frozen; APPROVED."""
    started = time.perf_counter()
    now = timezone.now()
    enrollments = Enrollment.objects.filter(campaign=campaign)
    enrollments.update(state=EnrollmentState.REVIEWED, submitted_at=now, submitted_by=liaison)
    # The figures exactly as campaign_approve freezes them (recomputed set-wise, read back).
    rows, _top = approval.approval_figures(campaign)
    started = timer.add("approval_compute", started)
    digest = _Digest()
    results = []
    for row in rows:
        result = row.result
        assert result is not None
        results.append(
            UnitResult(
                enrollment=row.enrollment,
                campaign=campaign,
                self_total=row.self_totals.total,
                review_total=row.review_totals.total,
                composite=result.score,
                type_scores=row.review_totals.type_scores,
                level_counts=row.review_totals.level_counts,
                grade=result.grade,
                rank=result.rank,
                veto=result.veto,
                advanced=result.advanced,
                frozen=True,
                approved_at=now,
                approved_by=admin,
            )
        )
        digest.add(
            row.enrollment.unit.sort_order, result.score, result.grade, result.rank, result.advanced
        )
    _insert(UnitResult, results)
    result_summary_rebuild(campaign=campaign)  # as campaign_approve does
    enrollments.update(state=EnrollmentState.APPROVED, version=F("version") + APPROVED_VERSION)
    # campaign_approve's rectification hook, through the service: problem lists and re-reviews of
    # the failing units (the others get nothing from it in a fresh campaign, so only those go).
    failing = [r for r in results if r.grade in set(campaign.rectify_grades or [])]
    problems = results_approved(campaign=campaign, results=failing, today=today)
    audit_record(
        action="scale.seed.results",
        actor=admin,
        target=campaign,
        extra={
            "units": len(results),
            "grades": dict(sorted(Counter(r.grade for r in results).items())),
            "problems": problems,
            "sha256": digest.hexdigest,
        },
    )
    timer.add("approval_write", started)
    return results, problems


CHECK_FINDINGS = (
    "党建工作责任制落实不到位，述职评议材料不完整",
    "“三会一课”记录不规范，部分支部党员大会未按期召开",
    "主题党日活动与业务工作结合不紧密",
    "发展党员工作程序材料缺少支部委员会意见",
    "党费收缴台账未按月更新",
)


def _committee_checks(
    *,
    campaign: Campaign,
    admin: Any,
    leaves: list[IndicatorNode],
    rng: random.Random,
    today: datetime.date | None,
) -> int:
    """The committee's own check (工委检查) lists two problems for one unit in fifty (at least
    30 units), through `problem_item_create`, so that the problem-list board has more than a
    page of open items at every size, a quarter of them overdue. Returns the items made."""
    from mofan.rectification.models import ProblemSource
    from mofan.rectification.services import problem_item_create

    today = today or timezone.localdate()
    enrollments = list(
        Enrollment.objects.filter(campaign=campaign).select_related("unit").order_by("pk")
    )
    checked = rng.sample(enrollments, min(len(enrollments), max(30, len(enrollments) // 50)))
    made = 0
    for enrollment in checked:
        for _i in range(2):
            overdue = rng.random() < 0.25
            problem_item_create(
                unit=enrollment.unit,
                source=ProblemSource.COMMITTEE_CHECK,
                description=rng.choice(CHECK_FINDINGS),
                deadline=today + datetime.timedelta(days=-7 if overdue else rng.randint(14, 60)),
                actor=admin,
                campaign=campaign,
                node=rng.choice(leaves),
                one_per_origin=False,
            )
            made += 1
    return made


def seed_scale(
    *,
    units: int,
    members_per_unit: int = DEFAULT_MEMBERS,
    template: str = DEFAULT_TEMPLATE,
    seed: int = 1,
    today: datetime.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the committee, its units and a fully scored, approved campaign; return a summary
    with the row counts and the seconds spent in each phase."""
    say = progress or (lambda _m: None)
    timer = _Timer()
    rng = random.Random(seed)
    began = started = time.perf_counter()
    load_templates()
    version = IndicatorVersion.objects.get(system__committee__isnull=True, system__slug=template)
    leaves = published_leaves(version)
    with transaction.atomic():
        number = Committee.objects.count() + 1
        committee = Committee.objects.create(
            name=f"规模测试工委 {units} {seed} #{number}", code=f"scale-{seed}-{number}"
        )
        admin_user = synthetic_people(committee, "admin", 1)[0]
        liaison = synthetic_people(committee, "liaison", 1)[0]
        reviewers = synthetic_people(committee, "reviewer", REVIEW_GROUPS * REVIEWERS_PER_GROUP)
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=admin_user, role=Role.COMMITTEE_ADMIN, committee=committee)]
            + [RoleAssignment(user=r, role=Role.REVIEWER, committee=committee) for r in reviewers]
        )
        started = timer.add("setup", started)
        say("单位、党组织和成员……")
        _unit_ids, members = _organizations(committee, units, members_per_unit, rng, timer)
        started = time.perf_counter()
    started = timer.add("commit", started)
    say("创建活动、评审组和分配……")
    admin = actor_of(admin_user, committee, Role.COMMITTEE_ADMIN)
    with transaction.atomic():
        campaign = open_campaign(
            committee=committee,
            version=version,
            admin=admin,
            name=f"规模测试活动（{template}，{units} 个单位）",
            issuer="规模测试",
            number=f"规模〔{seed}〕1号",
        )
        groups_and_draw(campaign=campaign, reviewers=reviewers, admin=admin, seed=f"scale-{seed}")
    timer.add("campaign", started)
    say("自评、评审评分和汇总……")
    with transaction.atomic():
        sheets = _scores(campaign=campaign, leaves=leaves, liaison=liaison, rng=rng, timer=timer)
        started = time.perf_counter()
        _audit_sheets(campaign, sheets, units)
        started = timer.add("consolidation", started)
    started = timer.add("commit", started)
    say("预计算汇总与综合审定……")
    with transaction.atomic():
        results, problems = _approve(campaign, admin_user, liaison, timer, today)
        started = time.perf_counter()
    started = timer.add("commit", started)
    say("工委检查问题清单……")
    with transaction.atomic():
        checks = _committee_checks(
            campaign=campaign, admin=admin, leaves=leaves, rng=rng, today=today
        )
    started = timer.add("committee_checks", started)
    # After a bulk load the planner's statistics are those of empty tables (PostgreSQL
    # estimated 20 units where there were 20,000 and sorted them all for the dashboard's first
    # page): gather them, as autovacuum or a DBA would after such a load.
    # PostgreSQL also VACUUMs (marking the freshly written pages all-visible lets counts read
    # the indexes alone) when it can: not inside a transaction, as in the tests.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    timer.add("analyze", started)
    grades = Counter(r.grade for r in results)
    composite = sum((r.composite for r in results if r.composite is not None), Decimal(0))
    return {
        "committee_id": committee.pk,
        "campaign_id": campaign.pk,
        "template": template,
        "seed": seed,
        "units": units,
        "party_orgs": units,
        "members": members,
        "leaves": len(leaves),
        "self_scores": sheets.self_digest.rows,
        "review_scores": sheets.review_digest.rows,
        "review_submissions": sheets.submissions,
        "consolidated_scores": sheets.consolidated_digest.rows,
        "score_rows": sheets.self_digest.rows
        + sheets.review_digest.rows
        + sheets.consolidated_digest.rows,
        "results": len(results),
        "problems": problems,
        "committee_checks": checks,
        "grades": dict(sorted(grades.items())),
        "composite_sum": str(composite),
        "digests": {
            "self_scores": sheets.self_digest.hexdigest,
            "review_scores": sheets.review_digest.hexdigest,
            "consolidated_scores": sheets.consolidated_digest.hexdigest,
        },
        "seconds": {k: round(v, 2) for k, v in timer.seconds.items()},
        "total_seconds": round(time.perf_counter() - began, 2),
    }
