"""约谈 records: recorded by the committee admin, the points raised become a problem-list item,
and a linked ledger item at 需约谈 gets an audited record that the 约谈 took place."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.supervision import ledger
from mofan.supervision.models import Escalation, Interview, LedgerItem
from tests.supervision.ledger_world import audit_actions, local_today, make_item, world

__all__ = ["world"]
pytestmark = pytest.mark.django_db


def _record(w, persona="committee_admin", **kw):
    data = dict(
        unit=w.a,
        interviewer="工委副书记李某",
        interviewee="甲单位党组书记张某",
        held_on=local_today(),
        points="督办事项逾期未完成，主体责任落实不到位",
        commitments="两周内拿出整改方案",
    )
    data.update(kw)
    return ledger.interview_create(actor=w.actor(persona), **data)


def test_an_interview_puts_its_points_on_the_units_problem_list(world):
    w = world
    rectify_by = local_today() + datetime.timedelta(days=45)
    interview = _record(w, rectify_by=rectify_by)
    problem = ProblemItem.objects.get()
    assert (problem.unit_id, problem.source, problem.origin_type, problem.origin_id) == (
        w.a.pk,
        ProblemSource.INTERVIEW,
        "supervision.interview",
        interview.pk,
    )
    assert problem.description == "督办事项逾期未完成，主体责任落实不到位"
    assert problem.required_measures == "两周内拿出整改方案"
    assert problem.responsible_person == "甲单位党组书记张某"
    assert problem.deadline == rectify_by
    entry = AuditEntry.objects.get(action="interview.create")
    assert entry.data["after"]["problem_item"] == problem.pk
    assert Notice.objects.filter(kind="problem.new", recipient=w.users["a_admin"]).exists()


def test_without_a_date_the_problem_is_due_in_thirty_days(world):
    day = local_today() - datetime.timedelta(days=3)
    _record(world, held_on=day - datetime.timedelta(days=2), today=day)
    assert ProblemItem.objects.get().deadline == day + datetime.timedelta(days=30)


def test_a_linked_item_at_interview_level_records_that_the_interview_took_place(world):
    w = world
    due = make_item(w, w.a, task="逾期事项")
    LedgerItem.objects.filter(pk=due.pk).update(escalation=Escalation.INTERVIEW)
    due.refresh_from_db()
    interview = _record(w, ledger_item=due)
    assert interview.ledger_item_id == due.pk
    entry = AuditEntry.objects.get(action="ledger.interview_held")
    assert entry.object_id == str(due.pk) and entry.data["after"]["interview"] == interview.pk
    assert audit_actions(due) == ["ledger.create", "ledger.interview_held"]
    # linked to an item that is not yet due for one: recorded, but no "held" entry
    other = make_item(w, w.a, task="未逾期事项")
    _record(w, ledger_item=other, points="另一个问题")
    assert audit_actions(other) == ["ledger.create"]


@pytest.mark.parametrize(
    "persona", ["committee_leader", "a_admin", "a_leader", "other_admin", "auditor"]
)
def test_only_the_committee_admin_records_interviews(world, persona):
    with pytest.raises(PermissionDenied):
        _record(world, persona)
    assert not Interview.objects.exists() and not ProblemItem.objects.exists()


def test_bad_interviews_are_refused_and_leave_nothing(world):
    w = world
    item_b = make_item(w, w.b)
    cases = [
        ({"ledger_item": item_b}, "不属于该单位"),
        ({"held_on": local_today() + datetime.timedelta(days=1)}, "不能晚于今天"),
        ({"points": " "}, "指出的问题"),
        ({"interviewee": ""}, "被约谈人"),
        ({"rectify_by": local_today() - datetime.timedelta(days=1)}, "整改时限"),
    ]
    for kw, message in cases:
        with pytest.raises(ValidationError) as exc:
            _record(w, **kw)
        assert message in str(exc.value), kw
    assert not Interview.objects.exists() and not ProblemItem.objects.exists()


def test_the_item_page_asks_for_an_interview_until_one_is_recorded(world):
    from django.urls import reverse

    from tests.world import logged_in

    w = world
    due = make_item(w, w.a, task="逾期事项")
    LedgerItem.objects.filter(pk=due.pk).update(escalation=Escalation.INTERVIEW)
    client = logged_in(w.users["committee_admin"])
    url = reverse("supervision:ledger_detail", args=[due.pk])
    assert "需约谈。约谈后请登记约谈记录" in client.get(url).content.decode()
    due.refresh_from_db()
    interview = _record(w, ledger_item=due)
    page = client.get(url).content.decode()
    assert "需约谈。约谈后请登记约谈记录" not in page
    assert reverse("supervision:interview_detail", args=[interview.pk]) in page
