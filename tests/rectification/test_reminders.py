"""Deadline reminders: 7 and 1 days before, once when overdue; idempotent; frozen dates through
the `today` parameter (no clock)."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem, ProblemState
from mofan.rectification.reminders import due_texts, overdue_texts, send_problem_reminders
from tests.notifications.helpers import problem
from tests.world import committee_with_units, persona

pytestmark = pytest.mark.django_db

TODAY = date(2031, 3, 10)


@pytest.fixture
def people(committee_admin, committee_leader, unit_admin, unit_leader, member, outsider):
    """The standard personas (tests/world.py); unit B's admin is the other unit's."""
    return SimpleNamespace(
        committee_admin=committee_admin,
        committee_leader=committee_leader,
        unit_admin=unit_admin,
        unit_leader=unit_leader,
        member=member,
        other_unit_admin=outsider,
    )


def reminders(**filters):
    return Notice.objects.exclude(kind="problem.new").filter(**filters)


def keys_of(user):
    return set(reminders(recipient=user).values_list("key", flat=True))


def test_seven_and_one_day_reminders_go_to_the_units_admin_and_leader(people, unit_a):
    in7 = problem(unit_a, TODAY + timedelta(days=7), "学习记录不规范")
    in1 = problem(unit_a, TODAY + timedelta(days=1), "台账未更新")
    problem(unit_a, TODAY + timedelta(days=3), "三天后到期，不提醒")
    problem(unit_a, TODAY + timedelta(days=30), "一个月后到期")
    summary = send_problem_reminders(today=TODAY)
    for user in (people.unit_admin, people.unit_leader):
        assert keys_of(user) == {f"problem:{in7.pk}:due7", f"problem:{in1.pk}:due1"}
    for user in (people.member, people.other_unit_admin, people.committee_admin):
        assert keys_of(user) == set()
    due7 = reminders(key=f"problem:{in7.pk}:due7", recipient=people.unit_admin).get()
    assert due7.kind == "problem.due7"
    assert "学习记录不规范" in due7.title and "7 天" in due7.title
    assert "2031-03-17" in due7.body and "甲单位" in due7.body
    assert due7.url == f"/rectification/items/{in7.pk}/"
    assert "1 天" in reminders(key=f"problem:{in1.pk}:due1").first().title
    assert summary.due == {7: (1, 2), 1: (1, 2)}
    assert summary.overdue_notices == 0


def test_an_overdue_item_is_reported_once_to_the_unit_and_the_committee_admins(people, unit_a):
    late = problem(unit_a, TODAY - timedelta(days=1), "整改逾期的问题")
    summary = send_problem_reminders(today=TODAY)
    key = f"problem:{late.pk}:overdue"
    told = set(reminders(key=key).values_list("recipient_id", flat=True))
    assert told == {people.unit_admin.pk, people.unit_leader.pk, people.committee_admin.pk}
    notice = reminders(key=key).first()
    assert notice.kind == "problem.overdue" and "已逾期" in notice.title
    assert "已逾期 1 天" in notice.body and "2031-03-09" in notice.body
    assert (summary.overdue_items, summary.overdue_notices) == (1, 3)
    # the next days: nothing more about the same item
    for day in (TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=20)):
        again = send_problem_reminders(today=day)
        assert again.notices == 0
    assert reminders(key=key).count() == 3


def test_a_second_run_on_the_same_day_sends_nothing(people, unit_a):
    problem(unit_a, TODAY + timedelta(days=7))
    problem(unit_a, TODAY + timedelta(days=1))
    problem(unit_a, TODAY - timedelta(days=5))
    first = send_problem_reminders(today=TODAY)
    count = Notice.objects.count()
    assert first.notices == 2 + 2 + 3
    second = send_problem_reminders(today=TODAY)
    assert second.notices == 0 and second.due == {7: (0, 0), 1: (0, 0)}
    assert Notice.objects.count() == count


def test_an_item_walks_through_its_reminders_day_by_day(people, unit_a):
    item = problem(unit_a, TODAY + timedelta(days=8))
    seen = []
    for offset in range(12):
        day = TODAY + timedelta(days=offset)
        send_problem_reminders(today=day)
        send_problem_reminders(today=day)  # cron ran twice: no difference
        seen.append(sorted(keys_of(people.unit_admin)))
    p = f"problem:{item.pk}"
    assert seen[0] == []
    assert seen[1] == [f"{p}:due7"]  # deadline in 7 days
    assert seen[6] == [f"{p}:due7"]
    assert seen[7] == [f"{p}:due1", f"{p}:due7"]  # deadline tomorrow
    assert seen[8] == [f"{p}:due1", f"{p}:due7"]  # deadline today: not yet overdue
    assert seen[9] == [f"{p}:due1", f"{p}:due7", f"{p}:overdue"]
    assert seen[11] == seen[9]


def test_closed_items_get_no_reminder_and_other_states_do(people, unit_a):
    closed = problem(unit_a, TODAY + timedelta(days=7), "已销号的问题")
    ProblemItem.objects.filter(pk=closed.pk).update(state=ProblemState.CLOSED)
    closed_late = problem(unit_a, TODAY - timedelta(days=2), "已销号的逾期问题")
    ProblemItem.objects.filter(pk=closed_late.pk).update(state=ProblemState.CLOSED)
    reported = problem(unit_a, TODAY - timedelta(days=2), "已报完成待销号")
    ProblemItem.objects.filter(pk=reported.pk).update(state=ProblemState.REPORTED_DONE)
    send_problem_reminders(today=TODAY)
    assert keys_of(people.unit_admin) == {f"problem:{reported.pk}:overdue"}


def test_reminders_stay_within_the_units_and_committees_people(people, unit_a):
    other_committee, (far_unit,) = committee_with_units(
        name="另一工委", code="other-reminders", units=("外工委",)
    )
    far_admin = persona("other_admin", other=other_committee)
    far_unit_admin = persona("unit_admin", unit_a=far_unit)
    mine = problem(unit_a, TODAY - timedelta(days=1), "本工委的逾期问题")
    theirs = problem(far_unit, TODAY - timedelta(days=1), "外工委的逾期问题")
    send_problem_reminders(today=TODAY)
    assert keys_of(far_admin) == {f"problem:{theirs.pk}:overdue"}
    assert keys_of(far_unit_admin) == {f"problem:{theirs.pk}:overdue"}
    assert keys_of(people.committee_admin) == {f"problem:{mine.pk}:overdue"}
    assert keys_of(people.other_unit_admin) == set()


def test_an_inactive_account_is_not_reminded(people, unit_a):
    people.unit_leader.is_active = False
    people.unit_leader.save()
    item = problem(unit_a, TODAY + timedelta(days=1))
    send_problem_reminders(today=TODAY)
    assert keys_of(people.unit_leader) == set()
    assert keys_of(people.unit_admin) == {f"problem:{item.pk}:due1"}


FORBIDDEN = ("打卡", "拍照", "照片", "签到", "每日", "每天", "日报", "定位")


def test_no_reminder_asks_anyone_to_check_in_take_photos_or_report_daily(people, unit_a):
    items = [
        problem(unit_a, TODAY + timedelta(days=7), "问题一"),
        problem(unit_a, TODAY + timedelta(days=1), "问题二"),
        problem(unit_a, TODAY - timedelta(days=3), "问题三"),
    ]
    send_problem_reminders(today=TODAY)
    texts = list(reminders().values_list("title", "body"))
    assert len(texts) == 2 + 2 + 3
    for item in items:
        texts += [due_texts(item, 7), due_texts(item, 1), overdue_texts(item, TODAY)]
    out = StringIO()
    call_command("send_reminders", "--today", TODAY.isoformat(), stdout=out)
    texts.append((out.getvalue(), ""))
    for title, body in texts:
        for word in FORBIDDEN:
            assert word not in title and word not in body, (word, title, body)


def test_the_command_prints_a_chinese_summary_and_takes_a_date(people, unit_a):
    problem(unit_a, TODAY + timedelta(days=7))
    problem(unit_a, TODAY - timedelta(days=1))
    out = StringIO()
    call_command("send_reminders", "--today", "2031-03-10", stdout=out)
    text = out.getvalue()
    assert "2031-03-10 整改时限提醒" in text
    assert "7 天到期提醒 2 条（1 项）" in text
    assert "1 天到期提醒 0 条（0 项）" in text
    assert "逾期提醒 3 条（1 项）" in text
    out = StringIO()
    call_command("send_reminders", "--today", "2031-03-10", stdout=out)
    assert "7 天到期提醒 0 条" in out.getvalue() and "逾期提醒 0 条" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--today", "10.03.2031")
