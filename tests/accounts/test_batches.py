"""Accounts created in bulk by a background task (mofan/accounts/batches.py, issue 19 point 1):
the request only validates and queues; the worker makes the passwords with progress and creates
every account or none; the requester alone sees the batch and collects the initial passwords,
once; a failed batch says why in Chinese and can be tried again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.accounts import batches
from mofan.accounts.access import actor_for
from mofan.accounts.models import AccountBatch, BatchState, User
from mofan.accounts.roles import Role
from mofan.accounts.services import AccountSpec
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from tests.factories import make_user
from tests.task_worker import run_queued_tasks
from tests.world import committee_with_units, logged_in, persona

pytestmark = pytest.mark.django_db


def _bulk_units(client, capture, unit_ids: list[int], roles: list[str]):
    with capture(execute=True):
        return client.post(
            reverse("accounts_manage:bulk_units"), {"units": unit_ids, "roles": roles}
        )


@pytest.fixture
def admins(committee, unit_a, unit_b):
    """The requester, a colleague (another admin of the same committee) and an outsider (the
    admin of another committee)."""
    other, _units = committee_with_units(name="另一市直机关工委", code="other", units=("丙",))
    return (
        persona("committee_admin", committee=committee, username="owner"),
        persona("committee_admin", committee=committee, username="colleague"),
        persona("committee_admin", committee=other, username="outsider"),
    )


def test_the_request_queues_and_the_worker_creates(
    admins, unit_a, unit_b, django_capture_on_commit_callbacks
):
    owner, _colleague, _outsider = admins
    client = logged_in(owner)
    before = User.objects.count()
    response = _bulk_units(
        client, django_capture_on_commit_callbacks, [unit_a.pk, unit_b.pk], [Role.UNIT_ADMIN]
    )
    batch = AccountBatch.objects.get()
    assert response["Location"] == reverse("accounts_manage:batch", args=[batch.pk])
    # Nothing created in the request: the batch waits with its rows.
    assert User.objects.count() == before
    assert (batch.state, batch.total, batch.prepared) == (BatchState.QUEUED, 2, 0)
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page
    assert AuditEntry.objects.filter(action="account.batch_request").count() == 1

    assert run_queued_tasks() == 1
    batch.refresh_from_db()
    assert (batch.state, batch.created, batch.prepared, batch.error) == ("done", 2, 2, "")
    assert batch.specs == ""  # the rows are forgotten once created
    assert User.objects.count() == before + 2
    created = User.objects.filter(role_assignments__unit__in=[unit_a, unit_b]).exclude(
        pk__in=[owner.pk]
    )
    assert {u.role_assignments.get().role for u in created} == {Role.UNIT_ADMIN}
    assert AuditEntry.objects.filter(action="account.create").count() == 2

    page = client.get(response["Location"]).content.decode()
    assert "已创建 2 个账号" in page and "hx-trigger" not in page
    collect = client.post(reverse("accounts_manage:batch_collect", args=[batch.pk]))
    assert collect["Location"] == reverse("accounts_manage:credentials")
    shown = client.get(collect["Location"]).content.decode()
    for user in created:
        assert user.username in shown
    # Collected once: the batch forgets the passwords, a second collection is refused.
    batch.refresh_from_db()
    assert batch.credentials == "" and batch.collected_at is not None
    again = client.post(reverse("accounts_manage:batch_collect", args=[batch.pk]), follow=True)
    assert "初始密码已被取走" in again.content.decode()
    assert "初始密码已于" in client.get(response["Location"]).content.decode()
    assert audit_verify().ok


def test_rows_and_passwords_are_encrypted_at_rest(committee, unit_a, committee_admin):
    actor = actor_for(committee_admin)
    spec = AccountSpec(
        username="wang1", full_name="王一", role=Role.MEMBER, unit=unit_a, phone="13812345678"
    )
    batch = batches.account_batch_request(
        committee=committee, specs=[spec], source="测试", actor=actor
    )
    with connection.cursor() as cursor:
        cursor.execute("select specs from accounts_accountbatch where id = %s", [batch.pk])
        (stored,) = cursor.fetchone()
    assert stored and "13812345678" not in stored and "王一" not in stored
    assert batches.account_batch_task.call(batch.pk) == "done"
    batch.refresh_from_db()
    password = json.loads(batch.credentials)[0]["initial"]
    with connection.cursor() as cursor:
        cursor.execute(
            "select specs, credentials from accounts_accountbatch where id = %s", [batch.pk]
        )
        specs, stored = cursor.fetchone()
    assert specs == "" and stored and password not in stored
    assert User.objects.get(username="wang1").check_password(password)


def test_progress_is_counted_as_the_passwords_are_made(
    committee, unit_a, committee_admin, monkeypatch
):
    monkeypatch.setattr(batches, "PROGRESS_SECONDS", 0)
    specs = [
        AccountSpec(username=f"m{i}", full_name=f"党员{i}", role=Role.MEMBER, unit=unit_a)
        for i in range(3)
    ]
    batch = batches.account_batch_request(
        committee=committee, specs=specs, source="测试", actor=actor_for(committee_admin)
    )
    made = batches.prepare_passwords(batch.pk, 3)  # the step the page shows
    assert len({password for password, _hash in made}) == 3
    batch.refresh_from_db()
    assert (batch.prepared, batch.percent) == (3, 100)


def test_a_failed_batch_says_why_creates_nothing_and_can_be_retried(
    admins, unit_a, django_capture_on_commit_callbacks
):
    owner, _colleague, _outsider = admins
    client = logged_in(owner)
    actor = actor_for(owner)
    specs = [
        AccountSpec(username="wang1", full_name="王一", role=Role.MEMBER, unit=unit_a),
        AccountSpec(username="li2", full_name="李二", role=Role.MEMBER, unit=unit_a),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = batches.account_batch_request(
            committee=unit_a.committee, specs=specs, source="测试", actor=actor
        )
    # Another clerk takes one of the names between the check and the worker.
    taken = make_user(Role.MEMBER, unit=unit_a, username="LI2")
    before = User.objects.count()
    assert run_queued_tasks() == 1
    batch.refresh_from_db()
    assert batch.state == BatchState.FAILED
    assert "用户名“li2”已被使用" in batch.error
    assert User.objects.count() == before  # not even wang1
    page = client.get(reverse("accounts_manage:batch", args=[batch.pk])).content.decode()
    assert "用户名“li2”已被使用" in page and 'id="batch-retry"' in page

    taken.username = "someone_else"
    taken.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts_manage:batch_retry", args=[batch.pk]))
    assert run_queued_tasks() == 1
    batch.refresh_from_db()
    assert (batch.state, batch.created, batch.error) == (BatchState.DONE, 2, "")
    assert User.objects.filter(username__in=["wang1", "li2"]).count() == 2


def test_only_the_requester_reaches_the_batch(admins, unit_a, django_capture_on_commit_callbacks):
    """The data that could leak first: a finished batch holding initial passwords, and a failed
    one still holding its rows. The colleague and the outsider get 404 on every batch URL and
    change nothing; the owner's collection still works afterwards."""
    owner, colleague, outsider = admins
    actor = actor_for(owner)
    done = batches.account_batch_request(
        committee=unit_a.committee,
        specs=[AccountSpec(username="wang1", full_name="王一", role=Role.MEMBER, unit=unit_a)],
        source="测试",
        actor=actor,
    )
    assert batches.account_batch_task.call(done.pk) == "done"
    failed = batches.account_batch_request(
        committee=unit_a.committee,
        specs=[AccountSpec(username="wang1", full_name="王一", role=Role.MEMBER, unit=unit_a)],
        source="测试",
        actor=actor,
    )
    assert batches.account_batch_task.call(failed.pk) == "failed"
    snapshot = list(AccountBatch.objects.order_by("pk").values())
    for intruder in (colleague, outsider):
        client = logged_in(intruder)
        for batch in (done, failed):
            assert client.get(reverse("accounts_manage:batch", args=[batch.pk])).status_code == 404
            for name in ("batch_collect", "batch_retry"):
                url = reverse(f"accounts_manage:{name}", args=[batch.pk])
                assert client.post(url).status_code == 404, (intruder.username, name)
        listing = client.get(reverse("accounts_manage:bulk_units")).content.decode()
        assert 'id="recent-batches"' not in listing
    assert list(AccountBatch.objects.order_by("pk").values()) == snapshot
    owner_client = logged_in(owner)
    listing = owner_client.get(reverse("accounts_manage:bulk_units")).content.decode()
    assert 'id="recent-batches"' in listing and "初始密码待领取" in listing
    collect = owner_client.post(reverse("accounts_manage:batch_collect", args=[done.pk]))
    assert collect["Location"] == reverse("accounts_manage:credentials")


def test_a_batch_left_in_the_queue_is_failed_with_a_reason(committee, unit_a, committee_admin):
    batch = batches.account_batch_request(
        committee=committee,
        specs=[AccountSpec(username="wang1", full_name="王一", role=Role.MEMBER, unit=unit_a)],
        source="测试",
        actor=actor_for(committee_admin),
    )
    assert batches.account_batches_recover() == 0
    later = timezone.now() + batches.STALE + timedelta(minutes=1)
    assert batches.account_batches_recover(now=later) == 1
    batch.refresh_from_db()
    assert batch.state == BatchState.FAILED and "后台任务服务可能未在运行" in batch.error
    assert batch.specs  # kept, so that it can be tried again
    # The worker that finally comes along does not create it behind the clerk's back.
    assert batches.account_batch_task.call(batch.pk) == "skipped"
    assert not User.objects.filter(username="wang1").exists()


def test_the_polled_page_writes_only_when_its_batch_was_left_behind(
    committee, unit_a, committee_admin
):
    """The batch page is polled every second while the worker writes: a look at a live batch
    only reads; a look at one left in the queue for over an hour fails it, with its reason."""
    make = lambda name: batches.account_batch_request(  # noqa: E731
        committee=committee,
        specs=[AccountSpec(username=name, full_name="王一", role=Role.MEMBER, unit=unit_a)],
        source="测试",
        actor=actor_for(committee_admin),
    )
    live, left = make("wang1"), make("wang2")
    AccountBatch.objects.filter(pk=left.pk).update(
        queued_at=timezone.now() - batches.STALE - timedelta(minutes=1)
    )
    left.refresh_from_db()
    assert not batches.is_stale(live) and batches.is_stale(left)
    client = logged_in(committee_admin)
    with CaptureQueriesContext(connection) as looked:
        assert client.get(reverse("accounts_manage:batch", args=[live.pk])).status_code == 200
    table = AccountBatch._meta.db_table
    writes = [q["sql"] for q in looked.captured_queries if q["sql"].lstrip().startswith("UPDATE")]
    assert not [sql for sql in writes if table in sql], writes
    assert AccountBatch.objects.get(pk=left.pk).state == BatchState.QUEUED
    page = client.get(reverse("accounts_manage:batch", args=[left.pk])).content.decode()
    assert "后台任务服务可能未在运行" in page
    assert AccountBatch.objects.get(pk=left.pk).state == BatchState.FAILED
