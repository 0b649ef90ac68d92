"""A whole campaign run through the same services the views use, with synthetic but plausible
inputs: enrolment, self-evaluation, submission, review groups and the draw, independent review
(with an on-site finding listed as a problem for the weakest units), consolidation, approval —
which puts the failing units' problem lists and re-reviews in place — and publication.
Deterministic for a given seed."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from mofan.accounts.access import Actor
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.campaigns.services import campaign_create
from mofan.devtools.ledger_fill import Shortfalls, fill_ledger, give_rolls, leadership_from_roll
from mofan.evaluations import approval, bulk, review_groups, services
from mofan.evaluations.ledger_figures import figures_of, ledger_figures_refresh, suggestion
from mofan.evaluations.models import Assignment, UnitResult
from mofan.indicators.builtin import load_templates
from mofan.indicators.methods import labels_of
from mofan.indicators.models import IndicatorNode, IndicatorVersion
from mofan.indicators.selectors import published_leaves
from mofan.organizations.models import Committee, Unit
from mofan.rectification import rereview as rereviews
from mofan.rectification.models import ProblemItem, ProblemState, ReReview, ReReviewState
from mofan.rectification.services import problem_item_transition

REVIEW_GROUPS = 3
REVIEWERS_PER_GROUP = 3
WEAK = 0.3  # units below this quality get an on-site finding listed as a problem
DECISION_REASON = "组长综合评审组意见裁定"  # the leader's decision on a flagged leaf


@dataclass
class Simulation:
    seed: int
    template: str
    units: int


def synthetic_value(node: IndicatorNode, quality: float, rng: random.Random) -> dict[str, Any]:
    """Plausible input for one leaf from a unit whose overall quality is in [0, 1]."""
    method = node.method
    kind = method.get("type")
    points = node.points or Decimal(0)
    roll = rng.random() * 0.3 + quality * 0.7
    if kind == "grade":
        bands = method["bands"]
        index = 0 if roll > 0.45 else 1 if roll > 0.25 else 2 if roll > 0.1 else len(bands) - 1
        return {"band": bands[min(index, len(bands) - 1)]["label"]}
    if kind == "deduction":
        rules = method["rules"]
        incidents = {r["key"]: 1 for r in rules[:1]} if roll < 0.1 else {}
        return {"incidents": incidents}
    if kind == "quantitative":
        rule = next(r for r in node.rules if r["key"] == method["rule"])
        threshold = Decimal(str(rule["threshold"]))
        factor = Decimal(str(round(0.6 + roll * 0.6, 2)))
        measured = (threshold * factor).quantize(Decimal("0.01"))
        if rule.get("measure") == "ratio":
            measured = min(measured, Decimal(1))
        return {"value": str(measured)}
    if kind == "manual":
        step = Decimal(str(method.get("step", "0.5")))
        top = Decimal(str(method.get("max", points)))
        steps = int(top / step)
        return {"value": str(step * round(steps * (0.5 + roll / 2)))}
    if kind == "qualitative":
        labels = labels_of(method)
        index = 0 if roll > 0.25 else 1 if roll > 0.08 else len(labels) - 1
        return {"level": labels[index]}
    if kind == "veto":
        return {"vetoed": False}
    return {}


def reviewer_value(
    value: dict[str, Any], node: IndicatorNode, rng: random.Random
) -> dict[str, Any]:
    """A reviewer's view: mostly the unit's own, sometimes one band or level stricter."""
    if rng.random() > 0.25:
        return dict(value)
    method = node.method
    kind = method.get("type")
    if kind == "grade":
        labels = labels_of(method)
        index = min(labels.index(value["band"]) + 1, len(labels) - 1)
        return {"band": labels[index]}
    if kind == "qualitative":
        labels = labels_of(method)
        index = min(labels.index(value["level"]) + 1, len(labels) - 1)
        return {"level": labels[index]}
    return dict(value)


def synthetic_people(committee: Committee, label: str, count: int) -> list[User]:
    users = [
        User(
            username=f"{committee.code}-{label}{i:03d}",
            full_name=f"模拟{label}{i}",
            committee=committee,
            must_change_password=False,
        )
        for i in range(1, count + 1)
    ]
    for user in users:
        user.set_unusable_password()
    return User.objects.bulk_create(users)


def synthetic_staff(committee: Committee) -> tuple[User, User, list[User]]:
    """The committee's administrator, a liaison (its unit roles are the caller's) and
    REVIEW_GROUPS × REVIEWERS_PER_GROUP reviewers, with their committee roles."""
    admin = synthetic_people(committee, "admin", 1)[0]
    liaison = synthetic_people(committee, "liaison", 1)[0]
    reviewers = synthetic_people(committee, "reviewer", REVIEW_GROUPS * REVIEWERS_PER_GROUP)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=admin, role=Role.COMMITTEE_ADMIN, committee=committee)]
        + [RoleAssignment(user=r, role=Role.REVIEWER, committee=committee) for r in reviewers]
    )
    return admin, liaison, reviewers


def new_committee(name: str, code: str) -> Committee:
    """A committee whose name and code end with its number (one more than the committees so
    far), so that repeated runs never collide."""
    number = Committee.objects.count() + 1
    return Committee.objects.create(name=f"{name}{number}", code=f"{code}-{number}")


def builtin_version(slug: str) -> IndicatorVersion:
    """The version of the built-in template `slug` (loaded by `load_templates`)."""
    return IndicatorVersion.objects.get(system__committee__isnull=True, system__slug=slug)


def actor_of(user: User, committee: Committee, role: str) -> Actor:
    return Actor(
        user=user, roles=frozenset({role}), committee_roles={committee.pk: frozenset({role})}
    )


def fill_self(
    *,
    enrollment: Enrollment,
    leaves: list[IndicatorNode],
    quality: float,
    rng: random.Random,
    actor: Actor,
    upto: int | None = None,
) -> dict[int, dict[str, Any]]:
    """The unit's self-evaluation of every leaf (or the first `upto`), through the service. A
    leaf whose rule is computed from the activity ledger takes the input the figures suggest
    (as the page prefills it), the others a synthetic one."""
    values: dict[int, dict[str, Any]] = {}
    figures = figures_of(enrollment)
    for node in leaves[:upto] if upto is not None else leaves:
        if node.method_type in services.OPTIONAL_IN_SELF:
            continue
        suggested = suggestion(node.method or {}, node.points, figures.get(node.pk, []))
        values[node.pk] = dict(suggested) if suggested else synthetic_value(node, quality, rng)
    if values:
        bulk.self_scores_bulk_save(enrollment=enrollment, values=values, actor=actor)
    return values


def review_and_consolidate(
    *,
    assignment: Assignment,
    leaves: list[IndicatorNode],
    unit_values: dict[int, dict[str, Any]],
    people: dict[int, User],
    committee: Committee,
    rng: random.Random,
    finding: bool = False,
) -> None:
    """Every reviewer of the group scores every leaf independently and submits; the leader
    (with `finding`: after recording an on-site finding listed as a problem on the first leaf)
    consolidates, deciding flagged leaves with a reason."""
    for reviewer_id in sorted(services.reviewers_of(assignment)):
        reviewer = actor_of(people[reviewer_id], committee, Role.REVIEWER)
        scores = {
            node.pk: reviewer_value(
                unit_values.get(node.pk) or synthetic_value(node, 0.5, rng), node, rng
            )
            for node in leaves
        }
        bulk.review_scores_bulk_save(assignment=assignment, values=scores, actor=reviewer)
        services.review_submit(assignment=assignment, actor=reviewer)
    leader = actor_of(people[assignment.group.leader_id], committee, Role.REVIEWER)
    if finding:
        services.finding_add(
            assignment=assignment,
            text="实地考评发现：台账资料不全，部分会议记录缺失",
            node=leaves[0],
            is_problem=True,
            actor=leader,
        )
    decisions = {
        row["node"].pk: {
            "reason": DECISION_REASON,
            "score": row["mean"],
            "level": row["level"],
        }
        for row in services.consolidation_preview(assignment)
        if row["flagged"]
    }
    services.consolidate(assignment=assignment, actor=leader, decisions=decisions)


def open_campaign(
    *,
    committee: Committee,
    version: IndicatorVersion,
    admin: Actor,
    name: str,
    issuer: str,
    number: str,
    title: str = "",
) -> Campaign:
    """A campaign of every unit of the committee on `version`, through the service, with no
    submission deadline (a simulation runs outside the calendar)."""
    campaign = campaign_create(
        committee=committee,
        name=name,
        year=version.system.year,
        version=version,
        actor=admin,
        approved_by=issuer,
        document_number=number,
        document_title=title,
    )
    Campaign.objects.filter(pk=campaign.pk).update(submission_deadline=None)
    campaign.refresh_from_db()
    return campaign


def groups_and_draw(*, campaign: Campaign, reviewers: list[User], admin: Actor, seed: str) -> None:
    """REVIEW_GROUPS groups of REVIEWERS_PER_GROUP (the first of each leads) and the recorded
    balanced assignment draw, through the services."""
    for g in range(REVIEW_GROUPS):
        seat = reviewers[g * REVIEWERS_PER_GROUP : (g + 1) * REVIEWERS_PER_GROUP]
        review_groups.review_group_create(
            campaign=campaign,
            name=f"第{g + 1}评审组",
            leader=seat[0],
            reviewers=seat[1:],
            actor=admin,
        )
    review_groups.assignment_draw(campaign=campaign, method="balanced", seed=seed, actor=admin)


def _chunks(items: list[Any], size: int = 200) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run(*, template: str, units: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    load_templates()
    version = builtin_version(template)
    with transaction.atomic():
        committee = new_committee(f"模拟工委 {template} {seed} ", f"sim-{template}-{seed}")
        Unit.objects.bulk_create(
            Unit(committee=committee, name=f"模拟单位{i:05d}", sort_order=i)
            for i in range(1, units + 1)
        )
        made = list(Unit.objects.filter(committee=committee).order_by("sort_order"))
        admin_user, unit_user, reviewers = synthetic_staff(committee)
        ledger = simulated_ledger(committee, made, version.system.year, unit_user, seed)
    admin = actor_of(admin_user, committee, Role.COMMITTEE_ADMIN)
    # One liaison account stands for every unit's admin and leader (a simulation shortcut; the
    # services check the same unit roles as for real accounts).
    unit_roles = frozenset({Role.UNIT_ADMIN, Role.UNIT_LEADER})
    liaison = Actor(user=unit_user, roles=unit_roles, unit_roles={u.pk: unit_roles for u in made})
    campaign = open_campaign(
        committee=committee,
        version=version,
        admin=admin,
        name=f"模拟活动（{template}）",
        # As a committee writes them: the issuing organ, the 文号 and the 《title》 cited.
        issuer="中共模拟市委市直机关工委",
        number=f"模直文〔{version.system.year}〕{seed}号",
        title=f"关于开展{version.system.year}年度模范机关创建考评的通知",
    )
    leadership_from_roll(campaign)
    ledger_figures_refresh(campaign=campaign)
    leaves = published_leaves(version)
    unit_values, quality = _self_evaluate_all(
        campaign=campaign, leaves=leaves, liaison=liaison, rng=rng
    )
    people = {r.pk: r for r in reviewers}
    groups_and_draw(campaign=campaign, reviewers=reviewers, admin=admin, seed=f"sim-{seed}")
    assignments = list(
        Assignment.objects.filter(enrollment__campaign=campaign)
        .select_related("group", "enrollment")
        .order_by("enrollment__unit__sort_order")
    )
    for chunk in _chunks(assignments):
        with transaction.atomic():
            for assignment in chunk:
                review_and_consolidate(
                    assignment=assignment,
                    leaves=leaves,
                    unit_values=unit_values[assignment.enrollment_id],
                    people=people,
                    committee=committee,
                    rng=rng,
                    finding=quality[assignment.enrollment_id] < WEAK,
                )
    approval.campaign_approve(campaign=campaign, actor=admin)
    approval.campaign_publish(campaign=campaign, actor=admin, ranking=True)
    close_the_loop(
        campaign=campaign, admin=admin, liaison=liaison, people=people, committee=committee, rng=rng
    )
    return {**summary(campaign), **ledger}


def simulated_ledger(
    committee: Committee, units: list[Unit], year: int, author: User, seed: int
) -> dict[str, int]:
    """A branch and a roll for each unit, and a year of ledger records (`ledger_fill`), some
    units short of a rule: their computed figures then differ."""
    rng = random.Random(seed)
    give_rolls(units, rng)
    count = len(units)
    short = Shortfalls(
        study=frozenset(range(1, count, 4)),
        sihua=frozenset(range(2, count, 6)),
        visits=frozenset(range(0, count, 5)),
        reports=frozenset(range(3, count, 7)),
        training=frozenset(range(2, count, 5)),
    )
    made = fill_ledger(
        committee=committee,
        unit_ids=[u.pk for u in units],
        year=year,
        rng=rng,
        author=author,
        shortfalls=short,
        action="simulate.ledger",
    )
    return {"ledger_records": made["records"], "participations": made["participations"]}


def _self_evaluate_all(
    *, campaign: Campaign, leaves: list[IndicatorNode], liaison: Actor, rng: random.Random
) -> tuple[dict[int, dict[int, dict[str, Any]]], dict[int, float]]:
    """Every unit, in order, fills in its self-evaluation at a random quality and submits;
    returns the values and the quality by enrolment id."""
    unit_values: dict[int, dict[int, dict[str, Any]]] = {}
    quality: dict[int, float] = {}
    enrollments = list(Enrollment.objects.filter(campaign=campaign).order_by("unit__sort_order"))
    for chunk in _chunks(enrollments):
        # Many units per transaction: the services nest as savepoints, the disk syncs once.
        with transaction.atomic():
            for enrollment in chunk:
                quality[enrollment.pk] = rng.random()
                unit_values[enrollment.pk] = fill_self(
                    enrollment=enrollment,
                    leaves=leaves,
                    quality=quality[enrollment.pk],
                    rng=rng,
                    actor=liaison,
                )
                services.enrollment_transition(
                    enrollment=enrollment, to=EnrollmentState.SUBMITTED, actor=liaison
                )
    return unit_values, quality


def close_the_loop(
    *,
    campaign: Campaign,
    admin: Actor,
    liaison: Actor,
    people: dict[int, User],
    committee: Committee,
    rng: random.Random,
) -> None:
    """Rectification to the end, through the services: every problem-list item of the campaign
    gets measures, is worked, reported done and verified (销号); each re-review that opens is
    scored by its group's leader (the unit did better after rectifying), submitted and approved
    by the committee, replacing the failing result."""
    # A unit still failing after its 复核 gets another round (rectification.auto.next_round):
    # worked the same way, until none is left (a few rounds at most).
    for _round in range(5):
        if not _rectify_round(
            campaign=campaign,
            admin=admin,
            liaison=liaison,
            people=people,
            committee=committee,
            rng=rng,
        ):
            break


def _rectify_round(
    *,
    campaign: Campaign,
    admin: Actor,
    liaison: Actor,
    people: dict[int, User],
    committee: Committee,
    rng: random.Random,
) -> bool:
    """One round: every unclosed item worked to 销号, every re-review that opens scored,
    submitted and approved. False when there was nothing left to do."""
    items = list(
        ProblemItem.objects.filter(campaign=campaign)
        .exclude(state=ProblemState.CLOSED)
        .order_by("pk")
    )
    steps: tuple[tuple[str, Actor, dict[str, str]], ...] = (
        ("submit_measures", liaison, {"measures": "对照问题逐项制定整改措施，明确责任人和时限。"}),
        ("accept_measures", admin, {}),
        ("report_done", liaison, {"report": "已按措施完成整改，建立长效机制。"}),
        ("verify", admin, {"reason": "整改到位"}),
    )
    for chunk in _chunks(items):
        with transaction.atomic():
            for item in chunk:
                for action, actor, text in steps:
                    item = problem_item_transition(
                        item=item,
                        action=action,
                        actor=actor,
                        measures=text.get("measures", ""),
                        report=text.get("report", ""),
                        reason=text.get("reason", ""),
                    )
    opened = (
        ReReview.objects.filter(enrollment__campaign=campaign, state=ReReviewState.OPEN)
        .select_related("enrollment")
        .order_by("pk")
    )
    if not items and not opened.exists():
        return False
    for rereview in opened:
        assignment = rereviews.assignment_of(rereview)
        if assignment is None:
            continue
        leader = actor_of(people[assignment.group.leader_id], committee, Role.REVIEWER)
        nodes = IndicatorNode.objects.filter(pk__in=rereview.node_ids).order_by("order")
        with transaction.atomic():
            for node in nodes:
                rereviews.rereview_score_save(
                    rereview=rereview,
                    node=node,
                    value=synthetic_value(node, 0.95, rng),
                    comment="复核：整改后达到要求",
                    expected_version=None,
                    actor=leader,
                )
            rereview = rereviews.rereview_transition(
                rereview=rereview, to=ReReviewState.SUBMITTED, actor=leader
            )
            rereviews.rereview_transition(
                rereview=rereview, to=ReReviewState.APPROVED, actor=admin, reason="同意复核结果"
            )
    return True


def summary(campaign: Campaign) -> dict[str, Any]:
    states = Counter(Enrollment.objects.filter(campaign=campaign).values_list("state", flat=True))
    results = list(
        UnitResult.objects.filter(enrollment__campaign=campaign)
        .select_related("enrollment__unit")
        .order_by("rank", "enrollment__unit__name")
    )
    grades = Counter(r.grade for r in results)
    return {
        "campaign_id": campaign.pk,
        "template": campaign.indicator_version.system.slug,
        "units": len(states and list(states.elements())),
        "states": dict(sorted(states.items())),
        "grades": dict(sorted(grades.items())),
        "top": [
            {
                "unit": r.enrollment.unit.name,
                "score": str(r.composite) if r.composite is not None else None,
                "rank": r.rank,
            }
            for r in results[:5]
        ],
        "advanced": [r.enrollment.unit.name for r in results if r.advanced],
        # problem-list items the run led to (failing units' automatic lists) and re-reviews
        "problems": ProblemItem.objects.filter(campaign=campaign).count(),
        "rereviews": ReReview.objects.filter(enrollment__campaign=campaign).count(),
        "problems_closed": ProblemItem.objects.filter(
            campaign=campaign, state=ProblemState.CLOSED
        ).count(),
        "rereviews_approved": ReReview.objects.filter(
            enrollment__campaign=campaign, state=ReReviewState.APPROVED
        ).count(),
    }
