"""Approval as a background task (issue 19 point 1, issue 20 point 2): the leader's signature is
checked in the request, which only records the run and enqueues its task; the django-tasks
database worker runs the approval service (audited as before); the run's page shows its state
and result; a failure says why in Chinese and can be signed again; one run at a time; who sees
a run's page (the committee's staff only)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mofan.audit.models import AuditEntry
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations import approval, approval_tasks
from mofan.evaluations.approval_rounds import approval_prepare
from mofan.evaluations.models import ApprovalRun, RunKind, RunState, UnitResult
from tests.evaluations.campaign_fixtures import World, world
from tests.evaluations.test_approval_rounds import _c_still_in_review
from tests.task_worker import run_queued_tasks
from tests.world import PASSWORD, logged_in

__all__ = ["world"]

S = EnrollmentState


def _prepared(world: World):
    _c_still_in_review(world)
    return approval_prepare(campaign=world.campaign, actor=world.actor("committee_admin"))


def _sign(world: World, client, capture, password: str = PASSWORD):
    url = reverse("reviews:approval_sign", args=[world.campaign.pk])
    with capture(execute=True):
        return client.post(url, {"password": password})


def test_signing_enqueues_the_approval_and_the_worker_runs_it(
    world, django_capture_on_commit_callbacks
):
    batch = _prepared(world)
    leader = logged_in(world.user("committee_leader"))
    response = _sign(world, leader, django_capture_on_commit_callbacks)
    run = ApprovalRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:approval_run", args=[run.pk])
    # The request did no approving: the run waits in the queue with its task.
    assert (run.kind, run.state, run.units, run.batch_id) == (RunKind.SIGN, "queued", 2, batch.pk)
    assert run.reauthenticated == "password"
    assert not UnitResult.objects.filter(campaign=world.campaign).exists()
    task = DBTaskResult.objects.get()
    assert task.task_path == "mofan.evaluations.approval_tasks.approval_task"
    assert (task.status, task.args_kwargs["args"]) == ("READY", [run.pk])
    request_entry = AuditEntry.objects.get(action="approval.run_request")
    assert request_entry.actor_id == world.user("committee_leader").pk
    page = leader.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page
    assert '<progress id="run-progress"' in page

    assert run_queued_tasks() == 1
    run.refresh_from_db()
    assert (run.state, run.approved, run.error) == (RunState.DONE, 2, "")
    assert run.started_at and run.finished_at and run.worker.endswith(":task")
    assert UnitResult.objects.filter(campaign=world.campaign).count() == 2
    signed = AuditEntry.objects.get(action="approval.sign")
    assert signed.actor_id == world.user("committee_leader").pk
    assert signed.data["extra"]["reauthenticated"] == "password"
    assert DBTaskResult.objects.get().return_value == "done"
    page = leader.get(response["Location"]).content.decode()
    assert "已签批，2 个单位的结果已审定并冻结。" in page
    assert "hx-trigger" not in page and 'value="100"' in page
    # The page that polled sees the end and goes back to the approval table, with the result.
    polled = leader.get(response["Location"], headers={"HX-Request": "true"})
    assert polled.content.decode().lstrip().startswith('<div id="run-status"')
    approval_url = reverse("reviews:approval", args=[world.campaign.pk])
    assert polled["HX-Redirect"] == approval_url
    assert "已签批，2 个单位的结果已审定并冻结。" in leader.get(approval_url).content.decode()


def test_a_wrong_password_enqueues_nothing(world, django_capture_on_commit_callbacks):
    _prepared(world)
    leader = logged_in(world.user("committee_leader"))
    response = _sign(world, leader, django_capture_on_commit_callbacks, password="wrong")
    assert response["Location"] == reverse("reviews:approval", args=[world.campaign.pk])
    assert not ApprovalRun.objects.exists() and not DBTaskResult.objects.exists()
    page = leader.get(response["Location"]).content.decode()
    assert "密码不正确" in page


def test_a_failed_run_says_why_and_is_signed_again_from_its_page(
    world, django_capture_on_commit_callbacks
):
    _prepared(world)
    leader_user = world.user("committee_leader")
    leader = logged_in(leader_user)
    _sign(world, leader, django_capture_on_commit_callbacks)
    run = ApprovalRun.objects.get()
    # The leader's role is withdrawn before the worker takes the task: checked again there.
    roles = list(leader_user.role_assignments.values("role", "committee_id", "unit_id"))
    leader_user.role_assignments.all().delete()
    assert run_queued_tasks() == 1
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert run.error == "只有本工委领导可以签批审定。"
    assert not UnitResult.objects.filter(campaign=world.campaign).exists()
    assert not AuditEntry.objects.filter(action="approval.sign").exists()

    for role in roles:
        leader_user.role_assignments.create(**role)
    approval_page = leader.get(reverse("reviews:approval", args=[world.campaign.pk]))
    assert (
        "上次签批后的后台审定未完成：只有本工委领导可以签批审定。" in approval_page.content.decode()
    )
    page = leader.get(reverse("reviews:approval_run", args=[run.pk])).content.decode()
    assert "只有本工委领导可以签批审定。" in page and "重试签批" in page
    assert "hx-trigger" not in page
    response = _sign(world, leader, django_capture_on_commit_callbacks)
    again = ApprovalRun.objects.exclude(pk=run.pk).get()
    assert response["Location"] == reverse("reviews:approval_run", args=[again.pk])
    assert run_queued_tasks() == 1
    again.refresh_from_db()
    assert again.state == RunState.DONE, again.error
    assert UnitResult.objects.filter(campaign=world.campaign).count() == 2


def test_a_change_after_the_signature_fails_the_run_with_the_reason(
    world, django_capture_on_commit_callbacks
):
    _prepared(world)
    _sign(world, logged_in(world.user("committee_leader")), django_capture_on_commit_callbacks)
    approval.veto_input_record(
        enrollment=world.eb,
        source="audit",
        vetoed=True,
        opinion="审计发现问题",
        actor=world.actor("committee_admin"),
    )
    run_queued_tasks()
    run = ApprovalRun.objects.get()
    assert run.state == RunState.FAILED
    assert "发生了变化" in run.error
    assert Enrollment.objects.filter(campaign=world.campaign, state=S.APPROVED).count() == 0


def test_one_run_at_a_time_per_campaign(world, django_capture_on_commit_callbacks):
    batch = _prepared(world)
    leader = logged_in(world.user("committee_leader"))
    _sign(world, leader, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="正在后台进行"):
        approval_tasks.approval_sign_request(
            batch=batch, actor=world.actor("committee_leader"), password=PASSWORD
        )
    page = leader.get(reverse("reviews:approval", args=[world.campaign.pk])).content.decode()
    assert 'id="approval-running"' in page and 'id="sign"' not in page
    assert ApprovalRun.objects.count() == 1


def test_a_stale_run_is_failed_and_no_longer_blocks(world, django_capture_on_commit_callbacks):
    batch = _prepared(world)
    _sign(world, logged_in(world.user("committee_leader")), django_capture_on_commit_callbacks)
    ApprovalRun.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    run = approval_tasks.approval_sign_request(
        batch=batch, actor=world.actor("committee_leader"), password=PASSWORD
    )
    stale = ApprovalRun.objects.exclude(pk=run.pk).get()
    assert stale.state == RunState.FAILED and "排队时间过长" in stale.error
    assert run.state == RunState.QUEUED


def test_the_run_page_is_for_the_committees_staff_only(world, django_capture_on_commit_callbacks):
    """Owner: the leader who signed. Colleague: the committee's admin (staff, sees it).
    Outsiders: a unit's admin, another committee's admin: 404, nothing leaks."""
    _prepared(world)
    _sign(world, logged_in(world.user("committee_leader")), django_capture_on_commit_callbacks)
    url = reverse("reviews:approval_run", args=[ApprovalRun.objects.get().pk])
    assert logged_in(world.user("committee_leader")).get(url).status_code == 200
    assert logged_in(world.user("committee_admin")).get(url).status_code == 200
    for who in ("owner", "other_admin"):
        response = logged_in(world.user(who)).get(url)
        assert response.status_code in (403, 404), who
        assert world.campaign.name not in response.content.decode()


def test_the_whole_campaign_is_approved_by_a_task(world, django_capture_on_commit_callbacks):
    from tests.rectification.rereview_fixtures import finish_review

    finish_review(world)
    admin = world.actor("committee_admin")
    with pytest.raises(Exception, match="只有本工委管理员"):
        approval_tasks.campaign_approve_request(
            campaign=world.campaign, actor=world.actor("committee_leader")
        )
    with django_capture_on_commit_callbacks(execute=True):
        run = approval_tasks.campaign_approve_request(campaign=world.campaign, actor=admin)
    assert run.kind == RunKind.CAMPAIGN and run.state == RunState.QUEUED
    assert not UnitResult.objects.filter(campaign=world.campaign).exists()
    assert run_queued_tasks() == 1
    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    assert run.approved == UnitResult.objects.filter(campaign=world.campaign).count() > 0
    assert AuditEntry.objects.filter(action="approval.campaign").exists()
