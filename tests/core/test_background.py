"""Rows handed to a background task (mofan/core/background.py), on a real model built on it
(`activities.ActivityImport`): one worker claims a queued record, a second finds nothing; only
the requester may queue a failed record that keeps its rows again; records left behind are
failed with their own messages, live ones are left alone; a failure reads in Chinese and keeps
the internals out of the page."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.utils import timezone

from mofan.activities.models import ActivityImport
from mofan.core import background
from mofan.core.background import BatchState
from tests.activities.test_ledger import World

pytestmark = pytest.mark.django_db

LOG = logging.getLogger("tests.core.background")


@pytest.fixture
def w() -> World:
    return World()


def handed(w: World, **fields) -> ActivityImport:
    values = {
        "committee": w.committee,
        "requested_by": w.users["owner"],
        "source": "a.xlsx",
        "total": 1,
        "rows": "[]",
    }
    return ActivityImport.objects.create(**{**values, **fields})


def test_a_queued_record_is_claimed_once(w):
    work = handed(w)
    assert background.claim(ActivityImport, work.pk, what="t") is True
    assert background.claim(ActivityImport, work.pk, what="t") is False
    work.refresh_from_db()
    assert work.state == BatchState.RUNNING and work.started_at and work.worker.endswith(":task")
    background.finish(ActivityImport, work.pk, state=BatchState.DONE, what="t", imported=1)
    work.refresh_from_db()
    assert (work.state, work.imported, work.error) == (BatchState.DONE, 1, "")
    assert work.finished_at is not None


def test_only_the_requester_requeues_a_failed_record_that_keeps_its_rows(w):
    work = handed(w, state=BatchState.FAILED, error="旧的原因", rows='[{"x": 1}]')
    with pytest.raises(PermissionDenied, match="只有提交人"):
        background.requeue(ActivityImport, work.pk, user_id=w.users["colleague"].pk, rows="rows")
    again = background.requeue(
        ActivityImport, work.pk, user_id=w.users["owner"].pk, rows="rows", imported=0
    )
    assert (again.state, again.error, again.started_at) == (BatchState.QUEUED, "", None)
    done = handed(w, state=BatchState.DONE)
    emptied = handed(w, state=BatchState.FAILED, rows="")
    for other in (done, emptied):
        with pytest.raises(ValidationError, match="只有失败且仍保留数据"):
            background.requeue(ActivityImport, other.pk, user_id=w.users["owner"].pk, rows="rows")


def test_records_left_behind_are_failed_and_live_ones_left_alone(w):
    long_ago = timezone.now() - background.STALE - timedelta(minutes=1)
    left_queued = handed(w)
    left_running = handed(w, state=BatchState.RUNNING, started_at=long_ago)
    started_late = handed(w, state=BatchState.RUNNING, started_at=timezone.now())
    live = handed(w)
    ActivityImport.objects.exclude(pk=live.pk).update(created_at=long_ago, queued_at=long_ago)
    for work in (left_queued, left_running, started_late, live):
        work.refresh_from_db()
    assert background.is_stale(left_queued) and background.is_stale(left_running)
    assert not background.is_stale(started_late) and not background.is_stale(live)
    assert background.recover(ActivityImport, queued="无人处理", running="中断") == 2
    states = {
        w.pk: (w.state, w.error)
        for w in ActivityImport.objects.filter(pk__in=[left_queued.pk, left_running.pk])
    }
    assert states == {
        left_queued.pk: (BatchState.FAILED, "无人处理"),
        left_running.pk: (BatchState.FAILED, "中断"),
    }
    assert ActivityImport.objects.get(pk=live.pk).state == BatchState.QUEUED
    assert ActivityImport.objects.get(pk=started_late.pk).state == BatchState.RUNNING


def test_a_failure_reads_in_chinese_without_the_internals(caplog):
    text = background.failure_text
    refused = ValidationError(["第一条", "第二条"])
    assert text(refused, what="t", nothing="未导入任何记录", logger=LOG) == "第一条；第二条"
    assert "无权" in text(PermissionDenied(), what="t", nothing="x", logger=LOG)
    locked = OperationalError("database is locked")
    assert text(locked, what="t", nothing="未导入任何记录", logger=LOG) == (
        "数据库暂时不可用，多次重试仍未成功；未导入任何记录。请稍后重试。"
    )
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        said = text(KeyError("secret_column"), what="job 7", nothing="未导入任何记录", logger=LOG)
    assert "secret_column" not in said and "程序出错" in said and "未导入任何记录" in said
    assert "job 7 failed" in caplog.text and "secret_column" in caplog.text


def test_a_record_queued_again_counts_its_wait_from_then(w):
    """A failed record created long ago and queued again now is not "left behind": its wait
    counts from the requeue, not from when it was first made."""
    long_ago = timezone.now() - background.STALE - timedelta(hours=1)
    work = handed(w, state=BatchState.FAILED, error="旧的原因", rows='[{"x": 1}]')
    ActivityImport.objects.filter(pk=work.pk).update(created_at=long_ago)
    again = background.requeue(ActivityImport, work.pk, user_id=w.users["owner"].pk, rows="rows")
    again.refresh_from_db()
    assert not background.is_stale(again)
    assert background.recover(ActivityImport, queued="无人处理", running="中断") == 0
    assert ActivityImport.objects.get(pk=work.pk).state == BatchState.QUEUED
    # and an hour after the requeue, it is
    later = timezone.now() + background.STALE + timedelta(minutes=1)
    assert background.is_stale(again, now=later)
    assert background.recover(ActivityImport, queued="无人处理", running="中断", now=later) == 1
