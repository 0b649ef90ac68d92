"""E-mail for notices: only with an SMTP host, only to recipients with an address, only after
the commit, in Chinese; a failing server never loses the notice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from mofan.notifications.models import Notice
from mofan.notifications.reminders import send_reminders
from mofan.notifications.services import notify, retry_notice_emails, send_notice_emails
from tests.notifications.helpers import problem
from tests.task_worker import run_queued_tasks
from tests.world import persona

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
WITH_SMTP = override_settings(
    EMAIL_BACKEND=LOCMEM, MOFAN_SMTP_HOST="smtp.test", MOFAN_SITE_URL="https://mofan.example"
)
NO_SMTP = override_settings(EMAIL_BACKEND=LOCMEM, MOFAN_SMTP_HOST=None)


@pytest.fixture
def users(unit_a):
    with_address = persona("unit_admin", unit_a=unit_a, email="liaison@example.org")
    without = persona("unit_leader", unit_a=unit_a, email="")
    return with_address, without


def tell(users, **kw):
    return notify(
        recipients=users,
        kind="test.mail",
        title=kw.get("title", "新的问题清单项：学习记录不全"),
        body="整改时限：2031-03-17。",
        url="/rectification/items/7/",
        key=kw.get("key", ""),
    )


@NO_SMTP
def test_without_an_smtp_host_nothing_is_mailed(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = tell(users)
    assert len(created) == 2 and not callbacks
    assert mail.outbox == []
    assert send_notice_emails([n.pk for n in created]) == 0
    assert retry_notice_emails() == 0
    assert mail.outbox == []
    assert not Notice.objects.filter(emailed_at__isnull=False).exists()


@WITH_SMTP
def test_with_an_smtp_host_a_chinese_mail_goes_out_after_the_commit(
    users, django_capture_on_commit_callbacks
):
    with_address, without = users
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = tell(users)
    assert len(created) == 2 and len(callbacks) == 1
    assert mail.outbox == []  # nothing before the commit
    callbacks[0]()
    assert mail.outbox == []  # the commit only enqueued the task: the request does not wait
    assert DBTaskResult.objects.get().task_path == (
        "mofan.notifications.services.notice_email_task"
    )
    assert run_queued_tasks() == 1  # the worker mails
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["liaison@example.org"]
    assert message.subject == "[模范机关创建平台] 新的问题清单项：学习记录不全"
    assert "整改时限：2031-03-17。" in message.body
    assert "查看详情：https://mofan.example/rectification/items/7/" in message.body
    assert "自动发送" in message.body
    assert Notice.objects.get(recipient=with_address).emailed_at is not None
    assert Notice.objects.get(recipient=without).emailed_at is None
    # mailed once: a second attempt sends nothing more
    assert send_notice_emails([n.pk for n in created]) == 0
    assert retry_notice_emails() == 0
    assert len(mail.outbox) == 1


@WITH_SMTP
def test_nobody_with_an_address_schedules_no_mail(unit_a, django_capture_on_commit_callbacks):
    user = persona("unit_admin", unit_a=unit_a, email="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tell([user])
    assert not callbacks and mail.outbox == []


@WITH_SMTP
def test_a_rolled_back_change_leaves_neither_notice_nor_mail(
    users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                tell(users)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert not Notice.objects.exists()
    assert not callbacks and mail.outbox == []


@WITH_SMTP
def test_a_line_break_in_the_title_does_not_break_the_mail(
    users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tell(users, title="新的问题清单项：第一行\n第二行")
    run_queued_tasks()
    assert mail.outbox[0].subject == "[模范机关创建平台] 新的问题清单项：第一行 第二行"


@pytest.mark.parametrize("backend", ["RefusingBackend", "UnreachableBackend"])
def test_a_failing_mail_server_does_not_lose_the_notice(
    users, backend, django_capture_on_commit_callbacks
):
    with_address, _ = users
    failing = f"tests.notifications.failing_backend.{backend}"
    with override_settings(EMAIL_BACKEND=failing, MOFAN_SMTP_HOST="smtp.test"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            created = tell(users)
        assert len(callbacks) == 1  # ran, and raised nothing
        assert run_queued_tasks() == 1  # the task too: the failure is logged, not raised
        assert DBTaskResult.objects.get().return_value == 0
        notice = Notice.objects.get(recipient=with_address)
        assert notice.emailed_at is None and notice.read_at is None
        assert {n.pk for n in created} == set(Notice.objects.values_list("pk", flat=True))
    # the server is back: the next daily run mails what was left
    with WITH_SMTP:
        assert retry_notice_emails() == 1
    assert [m.to for m in mail.outbox] == [["liaison@example.org"]]
    notice.refresh_from_db()
    assert notice.emailed_at is not None


@WITH_SMTP
def test_reminders_are_mailed_too(users, unit_a, django_capture_on_commit_callbacks):
    today = date(2031, 3, 10)
    item = problem(unit_a, today + timedelta(days=7), "学习记录不规范")
    mail.outbox.clear()
    Notice.objects.update(emailed_at=None)  # the "new item" mail does not count here
    Notice.objects.filter(kind="problem.new").delete()
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(today=today)
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [["liaison@example.org"]]
    assert "整改时限还有 7 天" in mail.outbox[0].subject
    assert f"/rectification/items/{item.pk}/" in mail.outbox[0].body
