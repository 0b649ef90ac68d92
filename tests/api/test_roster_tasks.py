"""The roster syncs as background tasks (issue 19 point 1): the request checks the sheet and
hands it to a worker (202 and the sync's address); the worker checks it again and writes it all
or nothing as the sender; the sync is the sender's alone to read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.models import RoleAssignment
from mofan.api.models import RosterSync
from mofan.core.background import STALE, BatchState
from mofan.organizations.models import Member
from tests.api.helpers import api_for, counts, sync, with_2fa
from tests.factories import MemberFactory
from tests.task_worker import run_queued_tasks
from tests.world import logged_in

pytestmark = pytest.mark.django_db

SHEET = [
    {"name": "赵一", "gender": "男"},
    {"name": "钱二", "gender": "女", "post": "组织委员"},
]


def post(api, rows=SHEET, *, unit):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.post("/roster/members", {"unit_id": unit.pk, "rows": rows})


def test_the_request_hands_the_sheet_over_and_the_worker_writes_it(unit_admin, unit_a):
    api = api_for(unit_admin)
    answer = post(api, unit=unit_a)
    assert answer.status_code == 202, answer.content
    queued = answer.json()
    assert (queued["state"], queued["total"], queued["kind"]) == ("queued", 2, "members")
    assert answer["Location"] == queued["url"] == f"/api/v1/roster/syncs/{queued['id']}"
    assert not Member.objects.filter(unit=unit_a).exists()  # nothing written yet
    assert api.get(f"/roster/syncs/{queued['id']}").json()["state"] == "queued"
    assert run_queued_tasks() == 1
    done = api.get(f"/roster/syncs/{queued['id']}").json()
    assert (done["state"], done["created"], done["updated"], done["detail"]) == ("done", 2, 0, "")
    assert done["finished_at"] is not None
    assert set(Member.objects.filter(unit=unit_a).values_list("name", flat=True)) == {
        "赵一",
        "钱二",
    }
    assert RosterSync.objects.get(pk=queued["id"]).rows == ""  # the sheet is not kept


def test_a_roster_changed_meanwhile_fails_the_sheet_whole_with_its_rows(unit_admin, unit_a):
    """Checked in the request, then two members named 赵一 appear on the page before the worker
    runs: the worker's check refuses the sheet by row and writes nothing."""
    api = api_for(unit_admin)
    answer = post(api, unit=unit_a)
    assert answer.status_code == 202
    MemberFactory(unit=unit_a, name="赵一")
    MemberFactory(unit=unit_a, name="赵一")
    assert run_queued_tasks() == 1
    failed = api.get(f"/roster/syncs/{answer.json()['id']}").json()
    assert failed["state"] == "failed" and "导入未执行" in failed["detail"]
    assert [e["row"] for e in failed["errors"]] == [2]
    assert "同名" in failed["errors"][0]["message"]
    assert not Member.objects.filter(unit=unit_a, name="钱二").exists()
    # corrected (the duplicate left out), the sheet goes through
    assert counts(sync(api, "/roster/members", {"unit_id": unit_a.pk, "rows": SHEET[1:]})) == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }


def test_a_sender_who_lost_the_unit_meanwhile_writes_nothing(unit_admin, unit_a):
    api = api_for(unit_admin)
    answer = post(api, unit=unit_a)
    assert answer.status_code == 202
    RoleAssignment.objects.filter(user=unit_admin, unit=unit_a).delete()
    assert run_queued_tasks() == 1
    sync_row = RosterSync.objects.get(pk=answer.json()["id"])
    assert sync_row.state == BatchState.FAILED and "无权" in sync_row.error
    assert not Member.objects.filter(unit=unit_a).exists()


def test_a_sync_is_its_senders_alone(unit_admin, unit_leader, outsider, committee_admin, unit_a):
    """The sender's other token reads it; the colleague of the same unit, the liaison of another
    unit and the committee's admin get 404, as for an id that does not exist."""
    answer = post(api_for(unit_admin), unit=unit_a)
    url = f"/roster/syncs/{answer.json()['id']}"
    assert api_for(unit_admin, name="另一个令牌", scope="read").get(url).status_code == 200
    for other in (unit_leader, outsider, with_2fa(committee_admin)):
        refused = api_for(other, scope="read").get(url)
        assert refused.status_code == 404, other
        assert "赵一" not in refused.content.decode()
    assert api_for(unit_admin).get("/roster/syncs/999999").status_code == 404


def test_a_sync_left_queued_is_failed_when_read(unit_admin, unit_a):
    api = api_for(unit_admin)
    answer = post(api, unit=unit_a)
    RosterSync.objects.filter(pk=answer.json()["id"]).update(
        queued_at=timezone.now() - STALE - timedelta(minutes=1)
    )
    failed = api.get(f"/roster/syncs/{answer.json()['id']}").json()
    assert failed["state"] == "failed" and "后台任务服务可能未在运行" in failed["detail"]
    assert run_queued_tasks() == 1  # the task comes too late: it finds the sync failed
    assert RosterSync.objects.get(pk=answer.json()["id"]).state == BatchState.FAILED
    assert not Member.objects.filter(unit=unit_a).exists()


def test_the_token_page_shows_the_accounts_own_recent_syncs(
    unit_admin, unit_leader, outsider, unit_a
):
    """The liaison sees the sync that went through and the one refused by row; the colleague of
    the same unit and the liaison of another unit, on their own token pages, see neither."""
    api = api_for(unit_admin, name="组织部夜间同步")
    counts(sync(api, "/roster/members", {"unit_id": unit_a.pk, "rows": SHEET}))
    refused = post(api, [{"name": "孙三", "gender": "男"}], unit=unit_a)
    MemberFactory(unit=unit_a, name="孙三")
    MemberFactory(unit=unit_a, name="孙三")
    assert refused.status_code == 202 and run_queued_tasks() == 1
    page = logged_in(unit_admin).get(reverse("accounts:tokens"))
    assert page.status_code == 200
    section = page.content.decode().split('id="roster-syncs"')[1]
    assert "新增 2，更新 0，未改动 0" in section
    assert "第 2 行：" in section and "同名" in section
    assert "组织部夜间同步" in section and section.count("<tr>") == 3  # the head and two syncs
    for other in (unit_leader, outsider):
        shown = logged_in(other).get(reverse("accounts:tokens")).content.decode()
        assert 'id="roster-syncs"' not in shown and "组织部夜间同步" not in shown


def test_the_check_runs_before_the_transaction_that_keeps_the_sheet(unit_admin, unit_a):
    """Checking 5,000 rows takes seconds; on SQLite a transaction holds the write lock from its
    first statement, so the check reads the roster outside it."""
    depths: dict[str, int] = {}

    def note(execute, sql, params, many, context):
        if '"organizations_member"' in sql:
            depths.setdefault("check", len(connection.atomic_blocks))
        if 'INSERT INTO "api_rostersync"' in sql:
            depths.setdefault("keep", len(connection.atomic_blocks))
        return execute(sql, params, many, context)

    api = api_for(unit_admin)
    outside = len(connection.atomic_blocks)
    with connection.execute_wrapper(note):
        assert post(api, unit=unit_a).status_code == 202
    assert depths == {"check": outside, "keep": outside + 1}
