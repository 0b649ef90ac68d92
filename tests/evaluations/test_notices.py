"""The evaluation workflow's notices (issue 14 point 5): each fires once, from the transition
that makes the change, to the people whose work it is, and to nobody else. Every test starts
from the standard world (tests/evaluations/campaign_fixtures.py), whose other people (the other
unit, the reviewers, the other committee) exist before the change, so a notice that leaked to
them would be seen."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.campaigns.services import campaign_activate, campaign_create
from mofan.evaluations import approval, review_groups, services
from mofan.evaluations.models import Assignment
from mofan.notifications.models import Notice
from tests.evaluations.campaign_fixtures import World, score_all, world
from tests.factories import make_user

S = EnrollmentState
pytestmark = pytest.mark.django_db
__all__ = ["world"]


def told(kind: str) -> list[tuple[str, str]]:
    """(recipient username, url) of every notice of `kind`, sorted."""
    return sorted(Notice.objects.filter(kind=kind).values_list("recipient__username", "url"))


def names(world: World, *people: str) -> list[str]:
    return sorted(world.user(p).username for p in people)


def recipients(kind: str) -> list[str]:
    return sorted(name for name, _url in told(kind))


def enrollment_url(enrollment: Enrollment) -> str:
    return reverse("campaigns:enrollment", args=[enrollment.pk])


def test_a_launch_tells_the_admin_and_leader_of_each_enrolled_unit_with_their_own_link(world):
    c_admin = make_user(Role.UNIT_ADMIN, unit=world.unit_c)
    member = make_user(Role.MEMBER, unit=world.unit_a)
    actor = world.actor("committee_admin")
    campaign = campaign_create(
        committee=world.committee,
        name="2025年度创建",
        year=2025,
        version=world.version,
        actor=actor,
        units=[world.unit_a, world.unit_c],  # unit B is not enrolled
    )
    assert not Notice.objects.filter(key=f"campaign:{campaign.pk}:launched").exists()
    campaign_activate(campaign=campaign, actor=actor)

    sent = sorted(
        Notice.objects.filter(key=f"campaign:{campaign.pk}:launched").values_list(
            "recipient__username", "url", "kind"
        )
    )
    ea = Enrollment.objects.get(campaign=campaign, unit=world.unit_a)
    ec = Enrollment.objects.get(campaign=campaign, unit=world.unit_c)
    expected = [(world.user(p).username, enrollment_url(ea)) for p in ("owner", "colleague")]
    expected.append((c_admin.username, enrollment_url(ec)))
    assert [(n, u) for n, u, _k in sent] == sorted(expected)
    assert {k for _n, _u, k in sent} == {"campaign.launched"}
    assert member.username not in {n for n, _u, _k in sent}  # members have nothing to do here


def test_a_return_tells_the_unit_with_the_reason(world):
    services.enrollment_transition(
        enrollment=world.ea, to=S.RETURNED, actor=world.actor("committee_admin"), reason="缺佐证"
    )
    assert recipients("enrollment.returned") == names(world, "owner", "colleague")
    assert Notice.objects.filter(kind="enrollment.returned", body__contains="缺佐证").count() == 2


def test_a_submission_tells_the_committee_admins_and_confirms_to_the_unit(world):
    second_admin = make_user(Role.COMMITTEE_ADMIN, committee=world.committee)
    services.enrollment_transition(
        enrollment=world.ea, to=S.RETURNED, actor=world.actor("committee_admin"), reason="补充"
    )
    Notice.objects.all().delete()
    owner = world.actor("owner")
    node = world.node("1.1")
    score = world.ea.self_scores.get(node=node)
    services.self_score_save(
        enrollment=world.ea,
        node=node,
        value={"value": "9"},
        narrative="补充后",
        expected_version=score.version,
        actor=owner,
    )
    assert not Notice.objects.exists()  # saving is no news
    services.enrollment_transition(
        enrollment=world.ea, to=S.SUBMITTED, actor=world.actor("colleague")
    )

    assert recipients("enrollment.submitted") == sorted(
        [world.user("committee_admin").username, second_admin.username]
    )
    assert recipients("enrollment.received") == names(world, "owner", "colleague")
    assert Notice.objects.count() == 4  # not the leader, reviewers, unit B or the other committee


def test_a_submission_on_behalf_tells_the_unit_once(world):
    """The committee submitting for the unit: the admins are told of the submission, the unit
    gets the on-behalf notice (with the reason), not a second confirmation."""
    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.IN_PROGRESS)
    services.enrollment_transition(
        enrollment=world.ea, to=S.SUBMITTED, actor=world.actor("committee_admin"), reason="领导出差"
    )
    assert recipients("enrollment.submit_on_behalf") == names(world, "owner", "colleague")
    assert recipients("enrollment.received") == []
    assert recipients("enrollment.submitted") == names(world, "committee_admin")


def test_an_extension_tells_the_unit_whose_deadline_moved(world):
    # B has submitted in the shared world; an extension is for a unit still filling in
    Enrollment.objects.filter(pk=world.eb.pk).update(state="in_progress", submitted_at=None)
    until = timezone.now() + datetime.timedelta(days=10)
    services.enrollment_extend(
        enrollment=world.eb, until=until, actor=world.actor("committee_admin"), reason="系统故障"
    )
    assert told("enrollment.extended") == [
        (world.user("outsider").username, enrollment_url(world.eb))
    ]


def test_seating_in_a_review_group_tells_each_reviewer_once(world):
    review_groups.review_group_create(
        campaign=world.campaign,
        name="第三评审组",
        leader=world.user("unassigned"),
        reviewers=[world.user("assigned")],
        actor=world.actor("committee_admin"),
    )
    assert recipients("review.seated") == names(world, "unassigned", "assigned")
    leads = Notice.objects.get(kind="review.seated", recipient=world.user("unassigned"))
    assert "组长" in leads.title


def test_a_draw_tells_the_reviewers_of_the_group_the_units_went_to(world):
    review_groups.assignment_draw(
        campaign=world.campaign, method="random", seed="abc", actor=world.actor("committee_admin")
    )
    group = Assignment.objects.get(enrollment=world.ec).group
    people = {group.leader.username, *(s.reviewer.username for s in group.seats.all())}
    assert recipients("review.assigned") == sorted(people)
    others = {world.user(p).username for p in ("leader", "assigned", "unassigned")} - people
    assert others  # the other group's reviewers exist and were not told
    assert Notice.objects.filter(kind="review.assigned", title__contains="1 个单位").count() == len(
        people
    )


def test_the_group_leader_is_told_when_every_reviewer_is_done(world):
    leader, assigned = world.actor("leader"), world.actor("assigned")
    score_all(world.assignment_a, leader)
    services.review_submit(assignment=world.assignment_a, actor=leader)
    assert told("review.consolidate") == []  # the member has not submitted yet
    services.review_submit(assignment=world.assignment_a, actor=assigned)
    assert told("review.consolidate") == [
        (
            world.user("leader").username,
            reverse("reviews:consolidate", args=[world.assignment_a.pk]),
        )
    ]
    services.review_submit(assignment=world.assignment_a, actor=assigned)  # a double post
    assert len(told("review.consolidate")) == 1


def test_publishing_tells_each_approved_unit_with_its_own_result(world):
    c_admin = make_user(Role.UNIT_ADMIN, unit=world.unit_c)
    Enrollment.objects.filter(pk__in=[world.ea.pk, world.eb.pk]).update(state=S.APPROVED)
    Enrollment.objects.filter(pk=world.ec.pk).update(state=S.INCOMPLETE)
    actor = world.actor("committee_admin")
    approval.campaign_publish(campaign=world.campaign, actor=actor)
    approval.campaign_publish(campaign=world.campaign, actor=actor, ranking=True)  # once more

    assert told("results.published") == sorted(
        [
            (world.user("owner").username, enrollment_url(world.ea)),
            (world.user("colleague").username, enrollment_url(world.ea)),
            (world.user("outsider").username, enrollment_url(world.eb)),
        ]
    )
    assert not Notice.objects.filter(kind="results.published", recipient=c_admin).exists()


def test_every_new_kind_has_a_label():
    kinds = [
        "campaign.launched",
        "enrollment.submitted",
        "enrollment.received",
        "enrollment.returned",
        "enrollment.extended",
        "enrollment.due7",
        "enrollment.due1",
        "review.seated",
        "review.assigned",
        "review.consolidate",
        "review.due7",
        "review.due1",
        "results.published",
        "election.due",
    ]
    assert all(Notice(kind=kind).kind_label for kind in kinds)
