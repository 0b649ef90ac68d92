"""Review groups and the recorded draw that assigns units to them (双随机: random units and
random reviewers, reproducible from the recorded seed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment
from mofan.campaigns.selectors import taking_part
from mofan.evaluations import draws, notices
from mofan.evaluations.models import Assignment, Draw, ReviewerSeat, ReviewGroup


def home_units(user_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Each person's units (from any role held for a unit): the conflict-of-interest set."""
    found: dict[int, set[int]] = {uid: set() for uid in user_ids}
    for user_id, unit_id in RoleAssignment.objects.filter(
        user_id__in=user_ids, unit__isnull=False
    ).values_list("user_id", "unit_id"):
        found[user_id].add(unit_id)
    for user_id, unit_id in User.objects.filter(pk__in=user_ids, member__isnull=False).values_list(
        "pk", "member__unit_id"
    ):
        found[user_id].add(unit_id)
    return {uid: frozenset(units) for uid, units in found.items()}


def reviewers_of_committee(committee_id: int) -> QuerySet[User]:
    """The active accounts holding the 评审组成员 role in the committee."""
    return User.objects.filter(
        pk__in=RoleAssignment.objects.filter(role=Role.REVIEWER, committee_id=committee_id).values(
            "user_id"
        ),
        is_active=True,
    ).order_by("username")


def reviewer_pool(campaign: Campaign) -> list[User]:
    return list(reviewers_of_committee(campaign.committee_id))


def campaign_reviewers(actor: Actor, campaign_id: int | None) -> QuerySet[User]:
    """The pool of a campaign the actor may form review groups for (committee admin)."""
    if campaign_id is None:
        return User.objects.none()
    campaign = Campaign.objects.filter(
        pk=campaign_id, committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).first()
    if campaign is None:
        return User.objects.none()
    return reviewers_of_committee(campaign.committee_id)


def _check_admin(actor: Actor, campaign: Campaign) -> None:
    if not rules.administers(actor, campaign.committee_id):
        raise PermissionDenied(_("只有本工委管理员可以组建评审组。"))


@transaction.atomic
def review_group_create(
    *, campaign: Campaign, name: str, leader: User, reviewers: Sequence[User], actor: Actor
) -> ReviewGroup:
    _check_admin(actor, campaign)
    pool = {u.pk for u in reviewer_pool(campaign)}
    members = {leader.pk, *(r.pk for r in reviewers)}
    outside = members - pool
    if outside:
        raise ValidationError(_("评审组成员须是本工委评审库中的评审员。"))
    group = ReviewGroup.objects.create(campaign=campaign, name=name, leader=leader)
    ReviewerSeat.objects.bulk_create(
        ReviewerSeat(group=group, reviewer_id=uid) for uid in sorted(members)
    )
    audit_record(
        action="review_group.create",
        actor=actor.user,
        target=group,
        after={"name": name, "leader": leader.pk, "reviewers": sorted(members)},
    )
    notices.tell_seated([group])
    return group


@transaction.atomic
def review_groups_draw(
    *, campaign: Campaign, groups: int, per_group: int, seed: str | None, actor: Actor
) -> Draw:
    """Random reviewers from the pool into `groups` groups (the first of each leads)."""
    _check_admin(actor, campaign)
    pool = reviewer_pool(campaign)
    homes = home_units([u.pk for u in pool])
    seed = seed or draws.make_seed()
    candidates = [
        draws.Candidate(id=u.pk, home_unit_id=min(homes[u.pk], default=None)) for u in pool
    ]
    try:
        picked = draws.pick_reviewers(
            reviewers=candidates, groups=groups, per_group=per_group, seed=seed
        )
    except draws.DrawError as exc:
        raise ValidationError(str(exc)) from exc
    users = {u.pk: u for u in pool}
    made = []
    for index, ids in enumerate(picked, start=1):
        group = ReviewGroup.objects.create(
            campaign=campaign, name=_("第%(n)d评审组") % {"n": index}, leader=users[ids[0]]
        )
        ReviewerSeat.objects.bulk_create(ReviewerSeat(group=group, reviewer_id=uid) for uid in ids)
        made.append(group)
    draw = Draw.objects.create(
        campaign=campaign,
        purpose="reviewers",
        method="random",
        seed=seed,
        inputs={"pool": sorted(users), "groups": groups, "per_group": per_group},
        result={"groups": picked},
        created_by=actor.user,
    )
    audit_record(action="review_group.draw", actor=actor.user, target=draw, after=draw.result)
    notices.tell_seated(made)
    return draw


def _group_specs(campaign: Campaign) -> list[draws.GroupSpec]:
    groups = list(ReviewGroup.objects.filter(campaign=campaign).prefetch_related("seats"))
    people = {g.pk: {g.leader_id, *(s.reviewer_id for s in g.seats.all())} for g in groups}
    homes = home_units(sorted({uid for ids in people.values() for uid in ids}))
    return [
        draws.GroupSpec(
            id=g.pk, member_home_units=frozenset().union(*(homes[u] for u in people[g.pk]))
        )
        for g in groups
    ]


def _inputs_for(campaign: Campaign, method: str) -> dict[str, Any]:
    specs = _group_specs(campaign)
    unit_ids = sorted(
        # A withdrawn unit (已退出) is never reviewed: left out of the draw.
        taking_part(campaign).filter(assignment__isnull=True).values_list("unit_id", flat=True)
    )
    return {
        "method": method,
        "units": unit_ids,
        "groups": [{"id": g.id, "member_home_units": sorted(g.member_home_units)} for g in specs],
    }


def _run(inputs: dict[str, Any], seed: str) -> dict[int, int]:
    return draws.assign_units(
        unit_ids=inputs["units"],
        groups=[
            draws.GroupSpec(id=g["id"], member_home_units=frozenset(g["member_home_units"]))
            for g in inputs["groups"]
        ],
        seed=seed,
        method=inputs["method"],
    )


@transaction.atomic
def assignment_draw(*, campaign: Campaign, method: str, seed: str | None, actor: Actor) -> Draw:
    """Assign every not-yet-assigned unit to a review group; the draw is recorded so that anyone
    can re-run it with the same inputs and seed and get the same assignment."""
    _check_admin(actor, campaign)
    if method not in ("balanced", "random"):
        raise ValidationError(_("分配方式应为“均衡”或“随机”。"))
    inputs = _inputs_for(campaign, method)
    if not inputs["groups"]:
        raise ValidationError(_("请先组建评审组。"))
    if not inputs["units"]:
        raise ValidationError(_("所有单位都已分配评审组。"))
    seed = seed or draws.make_seed()
    try:
        mapping = _run(inputs, seed)
    except draws.DrawError as exc:
        raise ValidationError(str(exc)) from exc
    draw = Draw.objects.create(
        campaign=campaign,
        purpose="assignment",
        method=method,
        seed=seed,
        inputs=inputs,
        result={str(unit): group for unit, group in sorted(mapping.items())},
        created_by=actor.user,
    )
    enrollments = dict(
        Enrollment.objects.filter(campaign=campaign, unit_id__in=mapping).values_list(
            "unit_id", "pk"
        )
    )
    Assignment.objects.bulk_create(
        Assignment(group_id=group, enrollment_id=enrollments[unit], draw=draw)
        for unit, group in mapping.items()
    )
    audit_record(
        action="review.assignment.draw",
        actor=actor.user,
        target=draw,
        after={"method": method, "seed": seed, "units": len(mapping)},
    )
    notices.tell_assigned(campaign, Counter(mapping.values()))
    return draw


def draw_verify(draw: Draw) -> bool:
    """Re-derive an assignment draw from its recorded inputs and seed."""
    if draw.purpose != "assignment" or draw.inputs.get("method") != draw.method:
        return False  # the method shown with the draw must be the one it was run with
    mapping = _run(draw.inputs, draw.seed)
    return {str(unit): group for unit, group in sorted(mapping.items())} == draw.result
