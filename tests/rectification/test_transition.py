"""problem_item_transition and problem_item_update: the whole life of an item, who may take each
step, in which state, with which version and inputs; the events, audit entries and notices."""

# ruff: noqa: F811

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from mofan.rectification import services
from mofan.rectification.models import ProblemEvent, ProblemItem, ProblemState
from mofan.rectification.services import (
    TRANSITIONS,
    actions_for,
    problem_item_transition,
    problem_item_update,
)
from tests.rectification.item_fixtures import (
    PAST,
    make_evidence,
    make_item,
    people,  # noqa: F401  (fixture)
    walk,
)

pytestmark = pytest.mark.django_db
S = ProblemState


def audit_actions(item: ProblemItem) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="rectification.problemitem", object_id=str(item.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def notices(user, kind: str | None = None) -> list[Notice]:
    found = Notice.objects.filter(recipient=user).order_by("pk")
    if kind:
        found = found.filter(kind=kind)
    return list(found)


def test_the_full_life_of_an_item(people, monkeypatch):
    closed_calls = []

    def on_closed(*, item, actor):
        # called inside the transition's transaction, with the item already closed
        assert transaction.get_connection().in_atomic_block
        assert ProblemItem.objects.get(pk=item.pk).state == S.CLOSED
        closed_calls.append((item.pk, actor.user.pk))

    monkeypatch.setattr(services, "rereview_on_item_closed", on_closed)
    owner, leader, admin = people.actor("owner"), people.actor("unit_leader"), people.actor("admin")
    item = make_item(people)
    assert item.state == S.OPEN and item.version == 1
    file_1 = make_evidence(people.unit_a, owner.user, "整改会议纪要.pdf")
    file_2 = make_evidence(people.unit_a, owner.user, "制度文件.pdf")

    item = problem_item_transition(
        item=item, action="submit_measures", actor=owner, expected_version=1, measures=" 措施一 "
    )
    assert (item.state, item.measures, item.version) == (S.MEASURES_SUBMITTED, "措施一", 2)
    item = problem_item_transition(
        item=item, action="return_measures", actor=admin, expected_version=2, reason="不具体"
    )
    assert item.state == S.OPEN and item.reopen_reason == "不具体"
    # the unit's leader may act for the unit as well
    item = problem_item_transition(
        item=item, action="submit_measures", actor=leader, measures="措施二：逐月补齐记录"
    )
    item = problem_item_transition(item=item, action="accept_measures", actor=admin)
    assert item.state == S.IN_PROGRESS
    item = problem_item_transition(
        item=item, action="report_done", actor=owner, report="已整改", evidence_ids=[file_1.pk]
    )
    assert item.state == S.REPORTED_DONE and item.done_report == "已整改"
    assert list(item.evidence.all()) == [file_1]
    item = problem_item_transition(item=item, action="reopen", actor=admin, reason="记录仍缺三月")
    assert item.state == S.IN_PROGRESS and item.reopen_reason == "记录仍缺三月"
    assert closed_calls == []
    item = problem_item_transition(
        item=item,
        action="report_done",
        actor=owner,
        report="三月记录已补",
        evidence_ids=[file_1.pk, file_2.pk],
    )
    assert set(item.evidence.all()) == {file_1, file_2}
    item = problem_item_transition(item=item, action="verify", actor=admin, reason="整改到位")
    assert item.state == S.CLOSED and item.closed_by == admin.user and item.closed_at
    assert item.version == 9
    assert closed_calls == [(item.pk, admin.user.pk)]

    steps = [(e.from_state, e.to_state, e.actor_id) for e in item.events.all()]
    assert steps == [
        ("", S.OPEN, admin.user.pk),
        (S.OPEN, S.MEASURES_SUBMITTED, owner.user.pk),
        (S.MEASURES_SUBMITTED, S.OPEN, admin.user.pk),
        (S.OPEN, S.MEASURES_SUBMITTED, leader.user.pk),
        (S.MEASURES_SUBMITTED, S.IN_PROGRESS, admin.user.pk),
        (S.IN_PROGRESS, S.REPORTED_DONE, owner.user.pk),
        (S.REPORTED_DONE, S.IN_PROGRESS, admin.user.pk),
        (S.IN_PROGRESS, S.REPORTED_DONE, owner.user.pk),
        (S.REPORTED_DONE, S.CLOSED, admin.user.pk),
    ]
    notes = [e.note for e in item.events.all()]
    assert notes[2] == "不具体" and notes[6] == "记录仍缺三月" and notes[8] == "整改到位"
    assert audit_actions(item) == [
        "problem.create",
        "problem.submit_measures",
        "problem.return_measures",
        "problem.submit_measures",
        "problem.accept_measures",
        "problem.report_done",
        "problem.reopen",
        "problem.report_done",
        "problem.verify",
    ]
    last_report = AuditEntry.objects.filter(action="problem.report_done").order_by("id").last()
    assert last_report.data["before"]["evidence"] == [file_1.pk]
    assert last_report.data["after"]["evidence"] == sorted([file_1.pk, file_2.pk])
    verify = AuditEntry.objects.get(action="problem.verify")
    assert verify.data["before"] == {"state": S.REPORTED_DONE}
    assert verify.data["after"] == {"state": S.CLOSED}

    # Notices: the unit hears of returns, acceptance and verification; the committee admins
    # of each submission of measures and report of completion; nobody of steps they took
    # themselves.
    for person in ("owner", "unit_leader"):
        kinds = [n.kind for n in notices(people.user(person))]
        assert kinds == [
            "problem.new",
            "problem.return_measures",
            "problem.accept_measures",
            "problem.reopen",
            "problem.verify",
        ]
    assert "不具体" in notices(people.user("owner"), "problem.return_measures")[0].body
    assert notices(people.user("owner"), "problem.verify")[0].url.endswith(f"/items/{item.pk}/")
    admin_kinds = [n.kind for n in notices(admin.user)]
    assert admin_kinds == [
        "problem.measures_submitted",
        "problem.measures_submitted",
        "problem.reported_done",
        "problem.reported_done",
    ]
    for name in ("outsider", "member", "reviewer", "committee_leader", "other_admin"):
        assert notices(people.user(name)) == [], name


def test_a_failing_rereview_hook_rolls_the_closing_back(people, monkeypatch):
    def broken(*, item, actor):
        raise RuntimeError("re-review failed")

    monkeypatch.setattr(services, "rereview_on_item_closed", broken)
    item = walk(people, make_item(people), "submit_measures", "accept_measures", "report_done")
    with pytest.raises(RuntimeError):
        problem_item_transition(item=item, action="verify", actor=people.actor("admin"))
    item.refresh_from_db()
    assert item.state == S.REPORTED_DONE and item.closed_at is None
    assert not AuditEntry.objects.filter(action="problem.verify").exists()


# Who may take each step: every other persona is refused, and nothing changes.
ALLOWED = {
    "submit_measures": {"owner", "unit_leader"},
    "accept_measures": {"admin"},
    "return_measures": {"admin"},
    "report_done": {"owner", "unit_leader"},
    "verify": {"admin"},
    "reopen": {"admin"},
}
BEFORE = {
    "submit_measures": (),
    "accept_measures": ("submit_measures",),
    "return_measures": ("submit_measures",),
    "report_done": ("submit_measures", "accept_measures"),
    "verify": ("submit_measures", "accept_measures", "report_done"),
    "reopen": ("submit_measures", "accept_measures", "report_done"),
}
OTHERS = (
    "owner",
    "unit_leader",
    "member",
    "reviewer",
    "outsider",
    "admin",
    "committee_leader",
    "other_admin",
    "auditor",
)


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_only_the_right_people_take_each_step(people, action):
    item = walk(people, make_item(people), *BEFORE[action])
    for name in OTHERS:
        actor = people.actor(name)
        assert (action in actions_for(actor, item)) == (name in ALLOWED[action]), name
        if name in ALLOWED[action]:
            continue
        with pytest.raises(PermissionDenied):
            problem_item_transition(
                item=item, action=action, actor=actor, measures="x", report="x", reason="x"
            )
    item.refresh_from_db()
    assert item.state == TRANSITIONS[action][0]
    assert not AuditEntry.objects.filter(
        action=f"problem.{action}", object_id=str(item.pk)
    ).exists()


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_each_step_is_refused_from_every_other_state(people, action):
    source = TRANSITIONS[action][0]
    who = "owner" if action in ("submit_measures", "report_done") else "admin"
    paths = {
        S.OPEN: (),
        S.MEASURES_SUBMITTED: ("submit_measures",),
        S.IN_PROGRESS: ("submit_measures", "accept_measures"),
        S.REPORTED_DONE: ("submit_measures", "accept_measures", "report_done"),
        S.CLOSED: ("submit_measures", "accept_measures", "report_done", "verify"),
    }
    for state, path in paths.items():
        if state == source:
            continue
        item = walk(people, make_item(people, description=f"问题 {state}"), *path)
        assert item.state == state
        with pytest.raises(ValidationError) as caught:
            problem_item_transition(
                item=item,
                action=action,
                actor=people.actor(who),
                measures="x",
                report="x",
                reason="x",
            )
        assert "不能" in caught.value.messages[0]
        item.refresh_from_db()
        assert item.state == state


def test_a_stale_version_is_refused(people):
    item = make_item(people)
    shown = item.version
    walk(people, item, "submit_measures", "return_measures")  # somebody else, meanwhile
    with pytest.raises(ValidationError) as caught:
        problem_item_transition(
            item=item,
            action="submit_measures",
            actor=people.actor("owner"),
            expected_version=shown,
            measures="按旧页面填写的措施",
        )
    assert caught.value.code == "stale"
    item.refresh_from_db()
    assert item.state == S.OPEN and item.measures == "召开专题会议，补齐记录"
    assert ProblemEvent.objects.filter(item=item).count() == 3


@pytest.mark.parametrize(
    ("action", "blank"),
    [
        ("submit_measures", {"measures": "  "}),
        ("return_measures", {"reason": " "}),
        ("report_done", {"report": ""}),
        ("reopen", {"reason": ""}),
    ],
)
def test_text_is_required_where_the_step_needs_it(people, action, blank):
    item = walk(people, make_item(people), *BEFORE[action])
    who = "owner" if action in ("submit_measures", "report_done") else "admin"
    with pytest.raises(ValidationError):
        problem_item_transition(item=item, action=action, actor=people.actor(who), **blank)
    item.refresh_from_db()
    assert item.state == TRANSITIONS[action][0]


def test_evidence_must_be_the_units_own(people):
    item = walk(people, make_item(people), "submit_measures", "accept_measures")
    theirs = make_evidence(people.unit_b, people.user("outsider"), "乙的文件.pdf")
    ours = make_evidence(people.unit_a, people.user("owner"))
    for ids in ([theirs.pk], [ours.pk, theirs.pk], [999999]):
        with pytest.raises(ValidationError):
            problem_item_transition(
                item=item,
                action="report_done",
                actor=people.actor("owner"),
                report="完成",
                evidence_ids=ids,
            )
    item.refresh_from_db()
    assert item.state == S.IN_PROGRESS and not item.evidence.exists()


def test_an_unknown_action_is_refused(people):
    item = make_item(people)
    with pytest.raises(ValidationError):
        problem_item_transition(item=item, action="close", actor=people.actor("admin"))


def test_the_committee_extends_a_deadline(people):
    item = walk(people, make_item(people, deadline=PAST), "submit_measures")
    admin = people.actor("admin")
    new = datetime.date(2031, 12, 31)
    item = problem_item_update(
        item=item,
        actor=admin,
        expected_version=item.version,
        deadline=new,
        severity="serious",
        responsible_person="张三",
        reason="单位申请延期",
    )
    assert (item.deadline, item.severity, item.responsible_person) == (new, "serious", "张三")
    assert item.state == S.MEASURES_SUBMITTED
    entry = AuditEntry.objects.get(action="problem.update")
    assert entry.data["before"] == {
        "deadline": PAST.isoformat(),
        "severity": "general",
        "responsible_person": "",
    }
    assert entry.data["after"]["deadline"] == new.isoformat()
    assert entry.data["extra"] == {"reason": "单位申请延期"}
    event = item.events.last()
    assert event.from_state == event.to_state == S.MEASURES_SUBMITTED
    assert "2031-12-31" in event.note and "单位申请延期" in event.note
    told = notices(people.user("owner"), "problem.deadline")
    assert len(told) == 1 and "2031-12-31" in told[0].body
    # nothing changed: no entry, no notice, no new version
    version = item.version
    item = problem_item_update(item=item, actor=admin, deadline=new)
    assert (
        item.version == version and AuditEntry.objects.filter(action="problem.update").count() == 1
    )


def test_only_the_committee_admin_adjusts_and_never_a_closed_item(people):
    item = make_item(people)
    for name in ("owner", "unit_leader", "committee_leader", "other_admin", "outsider"):
        with pytest.raises(PermissionDenied):
            problem_item_update(
                item=item, actor=people.actor(name), deadline=datetime.date(2040, 1, 1)
            )
    with pytest.raises(ValidationError):
        problem_item_update(
            item=item,
            actor=people.actor("admin"),
            expected_version=item.version + 1,
            severity="serious",
        )
    closed = walk(
        people,
        make_item(people, description="已整改的问题"),
        "submit_measures",
        "accept_measures",
        "report_done",
        "verify",
    )
    with pytest.raises(ValidationError):
        problem_item_update(
            item=closed, actor=people.actor("admin"), deadline=datetime.date(2040, 1, 1)
        )
    item.refresh_from_db()
    assert item.deadline != datetime.date(2040, 1, 1)
    assert not AuditEntry.objects.filter(action="problem.update").exists()
