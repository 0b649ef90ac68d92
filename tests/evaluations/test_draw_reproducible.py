"""Recorded draws (双随机、一公开, issue 4 point 4): `assignment_draw` records its inputs and
seed with the result, `draw_verify` re-derives the result from them, a tampered record no longer
verifies (and the groups page says so), and the same seed on a fresh, identical campaign gives
the same assignment — so anyone can check a published draw."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.campaigns.models import Campaign, Enrollment
from mofan.campaigns.services import campaign_create
from mofan.evaluations import review_groups
from mofan.evaluations.models import Assignment, Draw, ReviewGroup
from mofan.indicators.models import IndicatorVersion
from mofan.organizations.models import Committee, Unit
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, UnitFactory, make_user
from tests.world import logged_in

UNITS = 12


def fresh_campaign(code: str, version: IndicatorVersion) -> tuple[Campaign, list[Unit]]:
    """A committee with twelve units and six reviewers in three groups of two, the first of
    them also the admin of unit 1 (so unit 1 may never go to group 1)."""
    committee: Committee = CommitteeFactory(name=f"工委{code}", code=code)
    units = [
        UnitFactory(committee=committee, name=f"单位{i:02d}", sort_order=i)
        for i in range(1, UNITS + 1)
    ]
    admin_user = make_user(Role.COMMITTEE_ADMIN, committee=committee)
    admin = actor_for(admin_user)
    reviewers = [
        make_user(Role.REVIEWER, committee=committee, username=f"{code}-r{i}") for i in range(6)
    ]
    make_user(Role.UNIT_ADMIN, unit=units[0])  # an ordinary unit admin, not in the pool
    RoleAssignment.objects.create(
        user=reviewers[0], role=Role.UNIT_ADMIN, committee=committee, unit=units[0]
    )
    campaign = campaign_create(
        committee=committee, name="年度创建", year=2024, version=version, actor=admin
    )
    for n in range(3):
        review_groups.review_group_create(
            campaign=campaign,
            name=f"第{n + 1}组",
            leader=reviewers[2 * n],
            reviewers=[reviewers[2 * n + 1]],
            actor=admin,
        )
    return campaign, units


def by_name(campaign: Campaign) -> dict[str, str]:
    """The assignment as unit name → group name (independent of database ids)."""
    return dict(
        Assignment.objects.filter(enrollment__campaign=campaign).values_list(
            "enrollment__unit__name", "group__name"
        )
    )


def admin_of(campaign: Campaign) -> Actor:
    return actor_for(campaign.committee.accounts.get(role_assignments__role=Role.COMMITTEE_ADMIN))


@pytest.fixture
def version(db) -> IndicatorVersion:
    return small_version()


@pytest.mark.parametrize("method", ["random", "balanced"])
def test_draw_records_inputs_seed_and_result(version: IndicatorVersion, method: str) -> None:
    campaign, units = fresh_campaign("d1", version)
    admin = admin_of(campaign)
    draw = review_groups.assignment_draw(
        campaign=campaign, method=method, seed="2024-公开抽签", actor=admin
    )
    groups = list(ReviewGroup.objects.filter(campaign=campaign).order_by("pk"))
    assert draw.seed == "2024-公开抽签" and draw.method == method
    assert draw.purpose == "assignment" and draw.created_by == admin.user
    assert draw.inputs["method"] == method
    assert draw.inputs["units"] == sorted(u.pk for u in units)
    recorded_groups = {g["id"]: g["member_home_units"] for g in draw.inputs["groups"]}
    assert recorded_groups == {
        groups[0].pk: [units[0].pk],  # the reviewer who administers unit 1
        groups[1].pk: [],
        groups[2].pk: [],
    }
    made = dict(Assignment.objects.filter(draw=draw).values_list("enrollment__unit_id", "group_id"))
    assert draw.result == {str(unit): group for unit, group in made.items()}
    assert len(made) == UNITS
    assert made[units[0].pk] != groups[0].pk
    if method == "balanced":
        sizes = sorted(list(made.values()).count(g.pk) for g in groups)
        assert sizes == [4, 4, 4]
    [entry] = AuditEntry.objects.filter(action="review.assignment.draw")
    assert entry.data["after"] == {"method": method, "seed": "2024-公开抽签", "units": UNITS}
    assert entry.object_id == str(draw.pk)


def test_verify_rederives_and_catches_tampering(version: IndicatorVersion) -> None:
    campaign, units = fresh_campaign("d2", version)
    draw = review_groups.assignment_draw(
        campaign=campaign, method="balanced", seed="abc", actor=admin_of(campaign)
    )
    assert review_groups.draw_verify(draw)
    # verification uses only the record: later changes to groups or enrollments do not matter
    Enrollment.objects.filter(campaign=campaign, unit=units[-1]).delete()
    assert review_groups.draw_verify(Draw.objects.get(pk=draw.pk))

    original = dict(draw.result)
    moved = dict(original)
    unit = str(units[1].pk)
    others = [g for g in {*original.values()} if g != original[unit]]
    moved[unit] = others[0]
    tampered = [
        {"result": moved},
        {"seed": "abd"},
        {"method": "random"},
        {"inputs": {**draw.inputs, "method": "random"}},
        {"inputs": {**draw.inputs, "units": draw.inputs["units"][:-1]}},
    ]
    for change in tampered:
        Draw.objects.filter(pk=draw.pk).update(**change)
        assert not review_groups.draw_verify(Draw.objects.get(pk=draw.pk)), change
        Draw.objects.filter(pk=draw.pk).update(
            result=original, seed="abc", method="balanced", inputs=draw.inputs
        )
    assert review_groups.draw_verify(Draw.objects.get(pk=draw.pk))

    # the committee's groups page shows the check
    client = logged_in(campaign.committee.accounts.get(role_assignments__role="committee_admin"))
    page = reverse("reviews:groups", args=[campaign.pk])
    html = client.get(page).content.decode()
    assert "一致" in html and "不一致" not in html
    Draw.objects.filter(pk=draw.pk).update(result=moved)
    assert "不一致" in client.get(page).content.decode()


def test_same_seed_on_a_fresh_identical_campaign_gives_the_same_mapping(
    version: IndicatorVersion,
) -> None:
    first, _units = fresh_campaign("d3", version)
    second, _units = fresh_campaign("d4", version)
    assert first.pk != second.pk
    for method in ("random", "balanced"):
        mappings = []
        for campaign in (first, second):
            Assignment.objects.filter(enrollment__campaign=campaign).delete()
            draw = review_groups.assignment_draw(
                campaign=campaign, method=method, seed="焦作2020", actor=admin_of(campaign)
            )
            assert review_groups.draw_verify(draw)
            mappings.append(by_name(campaign))
        assert mappings[0] == mappings[1], method
        assert len(mappings[0]) == UNITS
    # and another seed gives another mapping (fixed seeds: not a matter of chance)
    Assignment.objects.filter(enrollment__campaign=second).delete()
    review_groups.assignment_draw(
        campaign=second, method="balanced", seed="焦作2021", actor=admin_of(second)
    )
    assert by_name(second) != mappings[1]


def test_reviewer_draw_is_recorded_and_reproducible(version: IndicatorVersion) -> None:
    picks = []
    for code in ("r1", "r2"):
        campaign, _units = fresh_campaign(code, version)
        ReviewGroup.objects.filter(campaign=campaign).delete()
        draw = review_groups.review_groups_draw(
            campaign=campaign, groups=2, per_group=3, seed="s", actor=admin_of(campaign)
        )
        assert draw.purpose == "reviewers" and draw.seed == "s"
        assert sorted(draw.inputs["pool"]) == draw.inputs["pool"]
        usernames = dict(campaign.committee.accounts.values_list("pk", "username"))
        picks.append([[usernames[uid][3:] for uid in group] for group in draw.result["groups"]])
        groups = ReviewGroup.objects.filter(campaign=campaign).order_by("pk")
        assert [g.leader_id for g in groups] == [ids[0] for ids in draw.result["groups"]]
    assert picks[0] == picks[1]


def test_only_the_committee_admin_draws(version: IndicatorVersion) -> None:
    campaign, units = fresh_campaign("d5", version)
    other, _units = fresh_campaign("d6", version)
    for actor in (
        admin_of(other),
        actor_for(make_user(Role.COMMITTEE_LEADER, committee=campaign.committee)),
        actor_for(make_user(Role.REVIEWER, committee=campaign.committee)),
    ):
        with pytest.raises(PermissionDenied):
            review_groups.assignment_draw(campaign=campaign, method="random", seed="x", actor=actor)
    assert not Draw.objects.exists()
    admin = admin_of(campaign)
    with pytest.raises(ValidationError):
        review_groups.assignment_draw(campaign=campaign, method="lottery", seed="x", actor=admin)
    review_groups.assignment_draw(campaign=campaign, method="random", seed="x", actor=admin)
    with pytest.raises(ValidationError, match="都已分配"):
        review_groups.assignment_draw(campaign=campaign, method="random", seed="y", actor=admin)
    assert Draw.objects.count() == 1 and Assignment.objects.count() == len(units)


def test_the_draw_log_speaks_chinese_and_shows_the_buttons_to_the_admin_only(
    version: IndicatorVersion,
) -> None:
    campaign, _units = fresh_campaign("d7", version)
    admin = admin_of(campaign)
    review_groups.assignment_draw(campaign=campaign, method="balanced", seed="x", actor=admin)
    review_groups.review_groups_draw(
        campaign=campaign, groups=1, per_group=2, seed="y", actor=admin
    )
    url = reverse("reviews:groups", args=[campaign.pk])
    body = logged_in(admin.user).get(url).content.decode()
    assert "<td>分配评审单位</td><td>均衡（各组数量相近）</td>" in body
    assert "<td>抽取评审员</td><td>随机</td>" in body
    for code in ("assignment", "balanced", "reviewers", "random"):
        assert f"<td>{code}</td>" not in body
    leader = make_user(Role.COMMITTEE_LEADER, committee=campaign.committee)
    seen = logged_in(leader).get(url).content.decode()
    assert "分配评审单位" in seen  # the log is public to the committee's staff ...
    for action in ("reviews:draw", "reviews:draw_reviewers"):  # ... the buttons are not
        assert reverse(action, args=[campaign.pk]) not in seen
