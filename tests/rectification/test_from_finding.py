"""A reviewer's finding marked 列为问题 becomes an item on the unit's list: only by the admin of
the campaign's committee, once, and the board's section lists exactly the findings still waiting."""

# ruff: noqa: F811

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mofan.audit.models import AuditEntry
from mofan.evaluations.models import Finding
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.selectors import findings_to_list
from mofan.rectification.services import problem_item_from_finding
from tests.evaluations.campaign_fixtures import world  # noqa: F401
from tests.world import logged_in

pytestmark = pytest.mark.django_db
DEADLINE = datetime.date(2031, 3, 31)


def finding(w, text="党员学习记录缺三个月", *, is_problem=True, node="1.2", assignment=None):
    return Finding.objects.create(
        assignment=assignment or w.assignment_a,
        node=w.node(node) if node else None,
        text=text,
        is_problem=is_problem,
        created_by=w.user("assigned"),
    )


def test_the_committee_lists_a_finding(world):
    w = world
    f = finding(w)
    admin = w.actor("committee_admin")
    assert list(findings_to_list(admin)) == [f]
    item = problem_item_from_finding(
        finding=f,
        deadline=DEADLINE,
        severity="serious",
        required_measures="补齐学习记录",
        actor=admin,
    )
    assert item.unit == w.unit_a and item.campaign == w.campaign and item.node == w.node("1.2")
    assert item.source == ProblemSource.REVIEW_FINDING
    assert (item.origin_type, item.origin_id) == ("evaluations.finding", f.pk)
    assert (item.description, item.severity, item.required_measures, item.deadline) == (
        "党员学习记录缺三个月",
        "serious",
        "补齐学习记录",
        DEADLINE,
    )
    assert AuditEntry.objects.filter(action="problem.create", object_id=str(item.pk)).exists()
    assert Notice.objects.filter(recipient=w.user("owner"), kind="problem.new").exists()
    # listed once only; the section no longer offers it
    assert list(findings_to_list(admin)) == []
    with pytest.raises(ValidationError):
        problem_item_from_finding(
            finding=f, deadline=DEADLINE, severity="general", required_measures="", actor=admin
        )
    assert ProblemItem.objects.count() == 1


def test_a_finding_without_an_indicator_is_listed_too(world):
    w = world
    f = finding(w, "整体台账不规范", node=None)
    item = problem_item_from_finding(
        finding=f,
        deadline=DEADLINE,
        severity="general",
        required_measures="",
        actor=w.actor("committee_admin"),
    )
    assert item.node is None and item.origin_id == f.pk


@pytest.mark.parametrize(
    "persona", ["committee_leader", "other_admin", "owner", "colleague", "assigned", "leader"]
)
def test_nobody_else_lists_a_finding(world, persona):
    w = world
    f = finding(w)
    with pytest.raises(PermissionDenied):
        problem_item_from_finding(
            finding=f,
            deadline=DEADLINE,
            severity="general",
            required_measures="",
            actor=w.actor(persona),
        )
    assert not ProblemItem.objects.exists()
    assert list(findings_to_list(w.actor(persona))) == []


def test_a_finding_not_marked_as_a_problem_is_refused(world):
    w = world
    f = finding(w, "亮点：三会一课规范", is_problem=False)
    admin = w.actor("committee_admin")
    assert list(findings_to_list(admin)) == []
    with pytest.raises(ValidationError):
        problem_item_from_finding(
            finding=f, deadline=DEADLINE, severity="general", required_measures="", actor=admin
        )
    assert not ProblemItem.objects.exists()


def test_the_section_shows_each_committee_its_own_findings(world):
    w = world
    ours = finding(w, "本工委的发现")
    other_assignment = w.ex.assignment
    theirs = finding(w, "外工委的发现", node=None, assignment=other_assignment)
    assert list(findings_to_list(w.actor("committee_admin"))) == [ours]
    assert list(findings_to_list(w.actor("other_admin"))) == [theirs]


def test_the_board_offers_the_finding_and_lists_it(world):
    w = world
    f = finding(w, "评审发现：台账混乱")
    finding(w, "亮点：制度健全", is_problem=False)
    client = logged_in(w.user("committee_admin"))
    board = reverse("rectification:item_board")
    page = client.get(board).content.decode()
    assert "评审发现：台账混乱" in page and "亮点：制度健全" not in page
    target = reverse("rectification:item_from_finding", args=[f.pk])
    assert target in page
    # a bad deadline lists nothing and says why
    response = client.post(target, {"deadline": "", "severity": "general"}, follow=True)
    assert "未能列入问题清单" in response.content.decode()
    assert not ProblemItem.objects.exists()
    response = client.post(target, {"deadline": "2031-01-01", "severity": "general"})
    item = ProblemItem.objects.get(origin_id=f.pk)
    assert response["Location"] == reverse("rectification:item_detail", args=[item.pk])
    assert "评审发现：台账混乱" not in client.get(board).content.decode().split('id="findings"')[1]
    # nothing left to list: a second post is a 404
    response = client.post(target, {"deadline": "2031-01-01", "severity": "general"})
    assert response.status_code == 404
    assert ProblemItem.objects.count() == 1
