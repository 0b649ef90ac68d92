"""Escalation of overdue ledger items, with time frozen by passing `today`.

The pure decision (`escalation_decide`) is checked with hypothesis; the service
(`ledger_escalate`) day by day around a deadline: a reminder 7 and 1 days before, 已提醒 the day
after, 已预警 after 7 days (on the unit's home page, the leader and the committee told), 需约谈
after 14; every run twice on the same day, the second changing nothing. Then late progress
reports, the command, and the wording of every notice."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from mofan.supervision import ledger
from mofan.supervision.ledger import LedgerFacts, escalation_decide, level_on
from mofan.supervision.models import Cadence, Escalation, LedgerItem, LedgerState
from mofan.supervision.selectors_ledger import home_warnings
from tests.supervision.ledger_world import local_today, make_item, world
from tests.task_worker import run_queued_tasks

__all__ = ["world"]

D = datetime.date
days = datetime.timedelta

# --- the pure decision ---------------------------------------------------------------------------

dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))
levels = st.sampled_from(list(Escalation.values))
cadences = st.sampled_from([None, 7, 14, 30, 91])


@st.composite
def facts(draw):
    deadline = draw(dates)
    created = deadline - days(draw(st.integers(0, 400)))
    last = draw(st.none() | st.builds(lambda n: created + days(n), st.integers(0, 400)))
    return LedgerFacts(
        deadline=deadline,
        level=draw(levels),
        cadence_days=draw(cadences),
        created_on=created,
        last_report_on=last,
    )


@given(facts())
def test_the_level_follows_the_calendar_and_never_goes_down(f):
    for offset in range(-30, 31):
        _check_level(f, offset)


def _check_level(f, offset):
    today = f.deadline + days(offset)
    decision = escalation_decide(f, today)
    assert decision.level == max(f.level, level_on(f.deadline, today))
    assert decision.level >= f.level
    assert decision.reached == tuple(range(f.level + 1, decision.level + 1))
    if offset <= 0:
        assert decision.reached == ()
    expected = (
        Escalation.INTERVIEW
        if offset > 14
        else Escalation.WARNED
        if offset > 7
        else Escalation.REMINDED
        if offset > 0
        else Escalation.NONE
    )
    assert level_on(f.deadline, today) == expected


@given(facts(), st.integers(-60, 60), st.integers(0, 60))
def test_the_level_is_monotone_in_time(f, offset, later):
    first = f.deadline + days(offset)
    assert escalation_decide(f, first).level <= escalation_decide(f, first + days(later)).level


@given(facts())
def test_reminders_only_in_the_last_week_before_the_deadline(f):
    for left in range(-30, 31):
        decision = escalation_decide(f, f.deadline - days(left))
        if decision.reminder == 1:
            assert left in (0, 1)
        elif decision.reminder == 7:
            assert 2 <= left <= 7
        else:
            assert left < 0 or left > 7


@given(facts(), st.integers(-400, 60))
def test_a_report_is_late_only_after_its_cadence_plus_three_days_and_before_the_deadline(f, offset):
    today = f.deadline + days(offset)
    decision = escalation_decide(f, today)
    since = f.last_report_on or f.created_on
    if decision.report_due_since is not None:
        assert f.cadence_days is not None
        assert decision.report_due_since == since
        assert today >= since + days(f.cadence_days + 3)
        assert today <= f.deadline
    elif f.cadence_days and since and today <= f.deadline:
        assert today < since + days(f.cadence_days + 3)


@given(facts())
def test_no_daily_nagging_over_a_whole_year(f):
    """Run every day from creation to 200 days past the deadline: the distinct notices (their
    dedupe keys) are at most two reminders, three levels and one late-report reminder per
    reporting reference date — whatever the cadence, never one a day."""
    keys: set[str] = set()
    level = f.level
    day = f.created_on
    while day <= f.deadline + days(200):
        decision = escalation_decide(
            LedgerFacts(f.deadline, level, f.cadence_days, f.created_on, f.last_report_on), day
        )
        if decision.reminder:
            keys.add(f"due{decision.reminder}")
        keys.update(f"level{n}" for n in decision.reached)
        if decision.report_due_since:
            keys.add(f"report{decision.report_due_since}")
        level = decision.level
        day += days(1)
    assert len(keys) <= 2 + 3 + 1


# --- the service, day by day ----------------------------------------------------------------------


def _notices(**kw):
    return sorted(Notice.objects.filter(**kw).values_list("kind", "recipient__username"))


def _run_twice(today):
    first = ledger.ledger_escalate(today=today)
    state = (Notice.objects.count(), AuditEntry.objects.count(), list(LedgerItem.objects.values()))
    second = ledger.ledger_escalate(today=today)
    assert (
        Notice.objects.count(),
        AuditEntry.objects.count(),
        list(LedgerItem.objects.values()),
    ) == state, f"second run on {today} changed something"
    assert second.reminders == {7: 0, 1: 0} and sum(second.reached.values()) == 0
    return first


@pytest.mark.django_db
def test_each_level_on_its_day_and_every_run_idempotent(world):
    w = world
    deadline = local_today() + days(20)
    item = make_item(w, w.a, task="整改巡察反馈问题", deadline=deadline, cadence=Cadence.ONCE)
    Notice.objects.all().delete()
    a_admin, a_leader = w.users["a_admin"].username, w.users["a_leader"].username
    admin = w.users["committee_admin"].username

    def level():
        return LedgerItem.objects.get(pk=item.pk).escalation

    expected_new = {
        -8: [],
        -7: [("ledger.due", a_admin), ("ledger.due", a_leader)],
        -6: [],
        -2: [],
        -1: [("ledger.due", a_admin), ("ledger.due", a_leader)],
        0: [],
        1: [("ledger.overdue", a_admin), ("ledger.overdue", a_leader)],
        7: [],
        8: [("ledger.warned", a_leader), ("ledger.warned", admin)],
        14: [],
        15: [("ledger.interview_due", admin)],
        30: [],
    }
    expected_level = {-8: 0, -7: 0, -6: 0, -2: 0, -1: 0, 0: 0, 1: 1, 7: 1, 8: 2, 14: 2, 15: 3}
    for offset, new in expected_new.items():
        before = set(Notice.objects.values_list("pk", flat=True))
        summary = _run_twice(deadline + days(offset))
        added = sorted(
            Notice.objects.exclude(pk__in=before).values_list("kind", "recipient__username")
        )
        assert added == sorted(new), offset
        assert level() == expected_level.get(offset, Escalation.INTERVIEW), offset
        if offset == -7:
            assert summary.reminders[7] == 1
        if offset == 8:
            assert summary.reached[Escalation.WARNED] == 1
    escalations = AuditEntry.objects.filter(action="ledger.escalate", object_id=str(item.pk))
    assert [(e.data["before"], e.data["after"]) for e in escalations.order_by("id")] == [
        ({"escalation": 0}, {"escalation": 1}),
        ({"escalation": 1}, {"escalation": 2}),
        ({"escalation": 2}, {"escalation": 3}),
    ]
    assert {e.actor_id for e in escalations} == {None}
    assert {e.actor_name for e in escalations} == {"system"}
    assert {e.committee_id for e in escalations} == {w.committee.pk}
    day_minus_one = Notice.objects.filter(kind="ledger.due", key__contains=":due1:").first()
    assert "还有 1 天" in day_minus_one.body


@pytest.mark.django_db
def test_the_warning_shows_on_the_units_home_page_from_the_warned_level(world):
    w = world
    deadline = local_today() + days(5)
    item = make_item(w, w.a, task="整改巡察反馈问题", deadline=deadline)
    make_item(w, w.b, task="乙单位的逾期事项", deadline=deadline)
    ledger.ledger_escalate(today=deadline + days(7))
    assert home_warnings(w.actor("a_admin")) == []
    ledger.ledger_escalate(today=deadline + days(8))
    warnings = home_warnings(w.actor("a_admin"), today=deadline + days(8))
    assert [(x.kind, x.title, x.url) for x in warnings] == [
        ("ledger", "整改巡察反馈问题", f"/supervision/ledger/{item.pk}/")
    ]
    assert "已逾期 8 天" in warnings[0].detail
    assert [x.title for x in home_warnings(w.actor("b_admin"))] == ["乙单位的逾期事项"]
    assert home_warnings(w.actor("a_member")) == []
    assert home_warnings(w.actor("committee_admin")) == []


@pytest.mark.django_db
def test_a_late_first_run_reaches_every_level_at_once_with_one_audit_entry(world):
    w = world
    deadline = local_today() + days(3)
    item = make_item(w, w.a, deadline=deadline, cadence=Cadence.ONCE)
    summary = ledger.ledger_escalate(today=deadline + days(20))
    assert LedgerItem.objects.get(pk=item.pk).escalation == Escalation.INTERVIEW
    assert summary.reached == {1: 1, 2: 1, 3: 1}
    assert AuditEntry.objects.filter(action="ledger.escalate").count() == 1
    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert {"ledger.overdue", "ledger.warned", "ledger.interview_due"} <= kinds
    assert "ledger.due" not in kinds  # no pre-deadline reminder once it is past


@pytest.mark.django_db
def test_closed_items_are_left_alone(world):
    w = world
    deadline = local_today() + days(3)
    item = make_item(w, w.a, deadline=deadline)
    ledger.ledger_item_transition(item=item, to=LedgerState.DONE, actor=w.admin, note="已完成")
    Notice.objects.all().delete()
    summary = ledger.ledger_escalate(today=deadline + days(30))
    assert summary.checked == 0 and not Notice.objects.exists()
    assert LedgerItem.objects.get(pk=item.pk).escalation == Escalation.NONE


@pytest.mark.django_db
def test_a_new_deadline_brings_new_reminders_and_starts_over(world):
    w = world
    deadline = local_today() + days(3)
    item = make_item(w, w.a, deadline=deadline, cadence=Cadence.ONCE)
    ledger.ledger_escalate(today=deadline + days(9))
    assert LedgerItem.objects.get(pk=item.pk).escalation == Escalation.WARNED
    new_deadline = deadline + days(30)
    ledger.ledger_item_update(
        item=item,
        actor=w.admin,
        deadline=new_deadline,
        cadence=item.cadence,
        leader_in_charge=item.leader_in_charge,
        today=deadline + days(9),
    )
    assert LedgerItem.objects.get(pk=item.pk).escalation == Escalation.NONE
    Notice.objects.all().delete()
    ledger.ledger_escalate(today=new_deadline - days(7))
    assert Notice.objects.filter(kind="ledger.due").count() == 2
    ledger.ledger_escalate(today=new_deadline + days(1))
    assert LedgerItem.objects.get(pk=item.pk).escalation == Escalation.REMINDED


def _set_created(item, day):
    LedgerItem.objects.filter(pk=item.pk).update(
        created_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    )


def _set_reported(item, day):
    LedgerItem.objects.filter(pk=item.pk).update(
        last_report_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    )


@pytest.mark.django_db
def test_a_late_progress_report_gets_one_reminder_per_missed_period(world):
    w = world
    start = local_today()
    item = make_item(w, w.a, deadline=start + days(120), cadence=Cadence.WEEKLY)
    _set_created(item, start)
    Notice.objects.all().delete()
    for offset in range(0, 10):  # 7 + 3 days: not late yet
        ledger.ledger_escalate(today=start + days(offset))
    assert not Notice.objects.filter(kind="ledger.report_due").exists()
    for offset in range(10, 20):  # late from day 10, told once (per recipient), not daily
        _run_twice(start + days(offset))
    assert _notices(kind="ledger.report_due") == [
        ("ledger.report_due", w.users["a_admin"].username),
        ("ledger.report_due", w.users["a_leader"].username),
    ]
    notice = Notice.objects.filter(kind="ledger.report_due").first()
    assert "每周" in notice.body and start.isoformat() in notice.body
    # a report on day 20 starts a new period: the next reminder comes 10 days later
    _set_reported(item, start + days(20))
    ledger.ledger_escalate(today=start + days(29))
    assert Notice.objects.filter(kind="ledger.report_due").count() == 2
    ledger.ledger_escalate(today=start + days(30))
    assert Notice.objects.filter(kind="ledger.report_due").count() == 4


@pytest.mark.django_db
def test_report_on_completion_items_are_never_reminded_of_reports(world):
    w = world
    item = make_item(w, w.a, deadline=local_today() + days(300), cadence=Cadence.ONCE)
    _set_created(item, local_today() - days(200))
    ledger.ledger_escalate(today=local_today() + days(100))
    assert not Notice.objects.filter(kind="ledger.report_due").exists()


@pytest.mark.django_db
def test_the_command_prints_a_chinese_summary_and_checks_its_date(world):
    w = world
    deadline = local_today() + days(3)
    make_item(w, w.a, deadline=deadline, cadence=Cadence.ONCE)
    make_item(w, w.b, deadline=deadline + days(6), cadence=Cadence.ONCE)
    out = io.StringIO()
    day = deadline + days(1)
    call_command("supervision_escalate", "--today", day.isoformat(), stdout=out)
    text = out.getvalue()
    assert f"督办升级（{day.isoformat()}）" in text
    assert "检查督办中事项 2 项" in text and "新逾期（已提醒）1 项" in text
    assert "到期前7天提醒 1 项" in text
    out = io.StringIO()
    call_command("supervision_escalate", "--today", day.isoformat(), stdout=out)
    assert "新逾期（已提醒）0 项" in out.getvalue() and "到期前7天提醒 0 项" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("supervision_escalate", "--today", "2026-13-01")


FORBIDDEN = re.compile("打卡|签到|拍照|照片|截图|每日|每天|日报")


@pytest.mark.django_db
def test_no_notice_asks_for_check_ins_photos_or_daily_reports(world):
    w = world
    deadline = local_today() + days(30)
    for cadence in Cadence.values:
        make_item(w, w.a, deadline=deadline, cadence=cadence)
    LedgerItem.objects.update(
        created_at=timezone.make_aware(datetime.datetime.combine(local_today(), datetime.time(9)))
    )
    for offset in range(0, 60):
        ledger.ledger_escalate(today=local_today() + days(offset))
    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert {"ledger.new", "ledger.due", "ledger.report_due", "ledger.warned"} <= kinds
    for title, body in Notice.objects.values_list("title", "body"):
        assert not FORBIDDEN.search(title + body), (title, body)


@pytest.mark.django_db
def test_the_command_queues_the_days_escalation_for_the_worker(
    world, django_capture_on_commit_callbacks
):
    """`--background` (the cron line of docs/deploy.md) only enqueues the run, with the day
    fixed when queued; the worker escalates as of that day."""
    w = world
    deadline = local_today() + days(3)
    item = make_item(w, w.a, deadline=deadline, cadence=Cadence.ONCE)
    day = deadline + days(1)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("supervision_escalate", "--today", day.isoformat(), "--background", stdout=out)
    assert f"escalation {day.isoformat()}: queued" in out.getvalue()
    item.refresh_from_db()
    assert item.escalation == Escalation.NONE  # the command itself changed nothing
    assert run_queued_tasks() == 1
    item.refresh_from_db()
    assert item.escalation == Escalation.REMINDED
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL" and "新逾期（已提醒）1 项" in result.return_value
