"""The evaluation deadline reminders (`manage.py send_reminders`, issue 14 point 5): 7 days and
1 day before each deadline that gates someone's work, to those people only, once.

The calendar of these tests, around a day D: phase "组织实施" ends D-10, the submission deadline
is D-3 (the evening), phase "考评验收" ends D (the review deadline: the first phase ending on or
after the submission), "总结巩固" ends D+20. Unit A has not submitted (填报中); unit B has
(its reviewer `unassigned` has not scored it); unit C has an extension to D+5 and an admin."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentState, Phase
from mofan.evaluations import reminders
from mofan.notifications.models import Notice
from mofan.notifications.reminders import send_reminders
from tests.evaluations.campaign_fixtures import World, world
from tests.factories import make_user
from tests.task_worker import run_queued_tasks

S = EnrollmentState
pytestmark = pytest.mark.django_db
__all__ = ["world"]
D = datetime.date(2031, 10, 31)


def evening(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


@pytest.fixture
def calendar(world: World) -> dict[str, object]:
    campaign = world.campaign
    campaign.submission_deadline = evening(D - datetime.timedelta(days=3))
    campaign.save(update_fields=["submission_deadline"])
    for order, (key, name, day) in enumerate(
        [("implement", "组织实施", -10), ("accept", "考评验收", 0), ("consolidate", "总结巩固", 20)]
    ):
        Phase.objects.create(
            campaign=campaign,
            key=key,
            name=name,
            order=order,
            ends_on=D + datetime.timedelta(days=day),
        )
    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.IN_PROGRESS)
    Enrollment.objects.filter(pk=world.ec.pk).update(
        extended_until=evening(D + datetime.timedelta(days=5))
    )
    # a draft campaign with the same dates reminds nobody
    draft = Campaign.objects.create(
        committee=world.committee,
        name="筹备中的活动",
        year=2031,
        indicator_version=world.version,
        status=CampaignStatus.DRAFT,
        submission_deadline=campaign.submission_deadline,
    )
    Enrollment.objects.create(campaign=draft, unit=world.unit_a)
    Notice.objects.all().delete()  # the launch notices of the world
    return {"c_admin": make_user(Role.UNIT_ADMIN, unit=world.unit_c)}


def sent() -> list[tuple[str, str, str]]:
    return sorted(Notice.objects.values_list("recipient__username", "kind", "key"))


def run(day: datetime.date) -> None:
    with_today = send_reminders(today=day)
    assert with_today.text()


def test_seven_days_before_the_submission_deadline_the_unsubmitted_unit_is_reminded(
    world, calendar
):
    today = D - datetime.timedelta(days=10)  # the phase ends today; the submission is in 7 days
    run(today)
    key = f"enrollment:{world.ea.pk}:due7:{(D - datetime.timedelta(days=3)).isoformat()}"
    assert sent() == sorted(
        (world.user(p).username, "enrollment.due7", key) for p in ("owner", "colleague")
    )
    notice = Notice.objects.filter(kind="enrollment.due7").first()
    assert notice is not None and "自评提交截止" in notice.title

    run(today)  # the daily job runs again: nothing new
    assert Notice.objects.count() == 2


def test_a_phase_deadline_reminds_the_units_it_gates_and_the_review_deadline_the_reviewers(
    world, calendar
):
    run(D - datetime.timedelta(days=7))
    c_admin = calendar["c_admin"].username  # type: ignore[attr-defined]
    assert sent() == sorted(
        [
            # unit C's own deadline is D+5, so the phase ending D still gates it
            (c_admin, "enrollment.due7", f"enrollment:{world.ec.pk}:due7:{D.isoformat()}"),
            # unit B is submitted and unscored by its group (`unassigned` alone); group 1's
            # unit A has not submitted, so its reviewers have nothing to do yet
            (
                world.user("unassigned").username,
                "review.due7",
                f"review:{world.campaign.pk}:due7:{D.isoformat()}",
            ),
        ]
    )
    run(D - datetime.timedelta(days=7))
    assert Notice.objects.count() == 2

    run(D - datetime.timedelta(days=1))
    assert sorted(
        Notice.objects.filter(kind__endswith="due1").values_list("recipient__username", flat=True)
    ) == sorted([c_admin, world.user("unassigned").username])


def test_an_extension_moves_the_reminder_to_the_new_date(world, calendar):
    run(D - datetime.timedelta(days=10))
    assert Notice.objects.filter(kind="enrollment.due7").count() == 2
    Enrollment.objects.filter(pk=world.ea.pk).update(
        extended_until=evening(D + datetime.timedelta(days=30))
    )
    run(D + datetime.timedelta(days=23))
    keys = set(Notice.objects.filter(kind="enrollment.due7").values_list("key", flat=True))
    assert f"enrollment:{world.ea.pk}:due7:{(D + datetime.timedelta(days=30)).isoformat()}" in keys


def test_no_reminder_on_other_days_or_for_submitted_units(world, calendar):
    for offset in (-12, -5, 2, 3):
        run(D + datetime.timedelta(days=offset))
    assert Notice.objects.count() == 0


def test_the_deadlines_of_a_unit():
    campaign = Campaign(submission_deadline=evening(D))
    phases = [
        Phase(name="一", ends_on=D - datetime.timedelta(days=5)),
        Phase(name="二", ends_on=D),
        Phase(name="三", ends_on=D + datetime.timedelta(days=9)),
    ]
    assert reminders.unit_deadlines(campaign, phases, None) == {
        D - datetime.timedelta(days=5): "“一”阶段截止",
        D: "自评提交截止",  # the shared date: one reminder, the submission's
    }
    assert reminders.review_deadline(campaign, phases) == D
    assert reminders.review_deadline(Campaign(), phases) is None


def test_the_command_prints_the_summary(world, calendar):
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "考评截止提醒" in out.getvalue()
    assert "换届提醒" in out.getvalue()


def test_the_command_queues_the_days_run_for_the_worker(
    world, calendar, django_capture_on_commit_callbacks
):
    """`--background` (the cron line of docs/deploy.md) only enqueues the run, with the day
    fixed; the worker sends the reminders of that day, and running it again sends nothing."""
    day = D - datetime.timedelta(days=10)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--today", day.isoformat(), "--background", stdout=out)
    assert f"reminders {day.isoformat()}: queued" in out.getvalue()
    assert not Notice.objects.exists()  # nothing sent by the command itself
    assert run_queued_tasks() == 1
    assert Notice.objects.filter(kind="enrollment.due7").count() == 2
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL" and "考评截止提醒" in result.return_value
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--today", day.isoformat(), "--background", stdout=out)
    assert run_queued_tasks() == 1
    assert Notice.objects.filter(kind="enrollment.due7").count() == 2
