"""A term's records imported in the background (mofan/activities/imports_task.py, issue 19
point 1): the request checks the sheet and queues it, writing no record; the worker records every
row or none; the import's page is its requester's alone, polled while it runs; a failed import
says why in Chinese and can be tried again; one left behind by a dead worker is failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.models import BatchState
from mofan.activities import importing, imports_task, services
from mofan.activities.models import ActivityImport, ActivityRecord
from mofan.audit.models import AuditEntry
from tests.activities.test_import import row, sheet
from tests.activities.test_ledger import World
from tests.task_worker import run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return World()


def post(client, content: bytes):
    """Upload and import, without running the worker."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("activities:import"),
            {"file": SimpleUploadedFile("第一学期.xlsx", content), "action": "import"},
            format="multipart",
        )


def two_rows() -> bytes:
    return sheet(row(), row(**{importing.TOPIC: "第二次", importing.ABSENT: ""}))


def test_the_request_queues_and_the_worker_records(w):
    client = w.client("owner")
    response = post(client, two_rows())
    job = ActivityImport.objects.get()
    assert response["Location"] == reverse("activities:import_job", args=[job.pk])
    # Checked, kept and queued; nothing recorded in the request.
    assert not ActivityRecord.objects.exists()
    assert (job.state, job.total, job.source, job.committee) == (
        "queued",
        2,
        "第一学期.xlsx",
        w.committee,
    )
    assert job.requested_by == w.users["owner"] and job.rows
    assert AuditEntry.objects.filter(action="activity.import_request").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page and "第一学期.xlsx" in page

    assert run_queued_tasks() == 1
    job.refresh_from_db()
    assert (job.state, job.imported, job.error, job.rows) == ("done", 2, "", "")
    assert job.started_at and job.finished_at and job.worker
    assert set(ActivityRecord.objects.values_list("topic", flat=True)) == {
        "学习贯彻全会精神",
        "第二次",
    }
    record = ActivityRecord.objects.get(topic="学习贯彻全会精神")
    people = {p.name: (p.present, p.absence_reason) for p in record.participations.all()}
    assert people == {"王一": (True, ""), "王二": (True, ""), "王三": (False, "出差")}
    assert record.created_by == w.users["owner"]
    entry = AuditEntry.objects.get(action="activity.import")
    assert entry.actor_id == w.users["owner"].pk and entry.data["extra"]["count"] == 2

    page = client.get(response["Location"]).content.decode()
    assert "已导入 2 条活动记录" in page and "hx-trigger" not in page
    # the polled partial, as htmx asks for it, ends the polling with a full refresh
    polled = client.get(response["Location"], headers={"HX-Request": "true"})
    assert polled["HX-Refresh"] == "true" and "<html" not in polled.content.decode()
    listed = client.get(reverse("activities:import")).content.decode()
    assert (
        'id="recent-imports"' in listed
        and reverse("activities:import_job", args=[job.pk]) in listed
    )


def test_the_import_is_its_requesters_alone(w):
    """The owner's import holds names and minutes of the unit: a colleague of the same unit, a
    liaison of another unit and the committee see none of it."""
    post(w.client("owner"), two_rows())
    job = ActivityImport.objects.get()
    url = reverse("activities:import_job", args=[job.pk])
    assert w.client("owner").get(url).status_code == 200
    for name in ("colleague", "outsider"):
        client = w.client(name)
        assert client.get(url).status_code == 404
        assert client.post(reverse("activities:import_retry", args=[job.pk])).status_code == 404
        assert "第一学期.xlsx" not in client.get(reverse("activities:import")).content.decode()
    for name in ("committee_admin", "reviewer", "member"):
        assert w.client(name).get(url).status_code == 403
    assert w.client("anonymous").get(url).status_code == 302
    assert ActivityImport.objects.get().state == BatchState.QUEUED  # nobody's look changed it


def test_a_meeting_recorded_meanwhile_fails_the_import_whole_and_a_retry_records_it(w):
    """Between the check and the worker, the colleague records one of the sheet's meetings by
    hand: the import writes nothing and says why; once that record is gone, a retry records
    the whole sheet."""
    client = w.client("owner")
    post(client, two_rows())
    job = ActivityImport.objects.get()
    first = imports_task.rows_of(job.rows)[0]
    by_hand = services.activity_record_create(data=first, actor=w.actor("colleague"))

    assert run_queued_tasks() == 1
    job.refresh_from_db()
    assert job.state == BatchState.FAILED and "重复记录或已登记过的记录" in job.error
    assert job.rows and ActivityRecord.objects.count() == 1  # only the one made by hand
    page = client.get(reverse("activities:import_job", args=[job.pk])).content.decode()
    assert 'id="job-error"' in page and 'id="job-retry"' in page

    services.activity_record_delete(record=by_hand, actor=w.actor("colleague"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("activities:import_retry", args=[job.pk]))
    assert response.status_code == 302
    assert run_queued_tasks() == 1
    job.refresh_from_db()
    assert (job.state, job.imported) == (BatchState.DONE, 2)
    assert ActivityRecord.objects.count() == 2
    assert AuditEntry.objects.filter(action="activity.import_retry").count() == 1
    # a finished import is not tried again
    response = client.post(reverse("activities:import_retry", args=[job.pk]), follow=True)
    assert "只有失败且仍保留数据的任务可以重试" in response.content.decode()


def test_a_writer_who_lost_the_unit_meanwhile_is_refused_by_the_worker(w):
    post(w.client("owner"), two_rows())
    w.users["owner"].role_assignments.all().delete()
    assert run_queued_tasks() == 1
    job = ActivityImport.objects.get()
    assert job.state == BatchState.FAILED and "本单位联络员或单位领导" in job.error
    assert not ActivityRecord.objects.exists()


def test_an_import_left_behind_is_failed_when_looked_at(w):
    client = w.client("owner")
    post(client, two_rows())
    job = ActivityImport.objects.get()
    url = reverse("activities:import_job", args=[job.pk])
    assert "排队中" in client.get(url).content.decode()  # fresh: left alone
    ActivityImport.objects.filter(pk=job.pk).update(
        queued_at=timezone.now() - imports_task.STALE - timedelta(minutes=1)
    )
    page = client.get(url).content.decode()
    job.refresh_from_db()
    assert job.state == BatchState.FAILED and "后台任务服务可能未在运行" in page
    assert not ActivityRecord.objects.exists()
    # the worker that turns up late does not record a failed import
    assert run_queued_tasks() == 1
    job.refresh_from_db()
    assert job.state == BatchState.FAILED and not ActivityRecord.objects.exists()


def test_kept_rows_read_back_as_they_were_checked(w):
    report = importing.parse_records_sheet(
        sheet(row(**{importing.KIND: "党课", importing.HOURS: 2.5, importing.THEORY: "是"})),
        actor=w.actor("owner"),
        today=timezone.localdate(),
    )
    checked = [r.data for r in report.rows]
    assert imports_task.rows_of(imports_task.rows_json(checked)) == checked
