"""Every write endpoint through the page's own service (issue 19 point 4): the owner unit writes
its own data, the outsider (unit B's 联络员) can touch none of it by any id, the colleague
(单位领导) is refused where the page refuses it; a stale version is a 409 with a Chinese
message; uploads get the page's checks and virus scan; the roster import is all or nothing
with row numbers."""

# ruff: noqa: F811
from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.activities.models import ActivityKind, ActivityRecord
from mofan.api.roster import roster_sync
from mofan.api.schemas import RosterRow
from mofan.audit.models import AuditEntry
from mofan.campaigns.models import EnrollmentState
from mofan.evaluations.models import SelfScore
from mofan.evidence.models import Evidence
from mofan.organizations.models import Member
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.services import problem_item_create
from tests.api.helpers import api_for, counts, sync
from tests.clamd import EICAR
from tests.evaluations.campaign_fixtures import world  # noqa: F401
from tests.evaluations.evidence_fixtures import make_pdf, media  # noqa: F401
from tests.factories import MemberFactory, PartyOrgFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    world.api = {name: api_for(world.users[name]) for name in ("owner", "colleague", "outsider")}
    return world


def test_self_score_write_with_optimistic_lock(w):
    type(w.ea).objects.filter(pk=w.ea.pk).update(state=EnrollmentState.IN_PROGRESS)
    node = w.node("1.1")
    stored = SelfScore.objects.get(enrollment=w.ea, node=node)
    path = f"/enrollments/{w.ea.pk}/self-scores/{node.pk}"
    body = {"input": {"value": "9"}, "narrative": "已完成", "version": stored.version}
    # neither the outsider nor the colleague (the page lets only the 联络员 fill in)
    assert w.api["outsider"].put(path, body).status_code == 404
    assert w.api["colleague"].put(path, body).status_code == 404
    saved = w.api["owner"].put(path, body)
    assert saved.status_code == 200, saved.content
    assert saved.json()["score"] == "9.00" and saved.json()["version"] == stored.version + 1
    entry = AuditEntry.objects.filter(action="self_score.save").latest("id")
    assert entry.data["via_api"] == "组织部同步"
    stale = w.api["owner"].put(path, {**body, "input": {"value": "5"}})
    assert stale.status_code == 409
    assert "您的修改未保存" in stale.json()["detail"]
    assert SelfScore.objects.get(pk=stored.pk).score == 9
    bad = w.api["owner"].put(path, {**body, "input": {"value": "99"}, "version": None})
    assert bad.status_code in (400, 409) and bad.json()["detail"]
    # the other unit's enrollment, by id
    other = f"/enrollments/{w.eb.pk}/self-scores/{node.pk}"
    assert w.api["owner"].put(other, body).status_code == 404


def test_problem_item_transitions(w):
    admin = actor_for(w.users["committee_admin"])
    deadline = timezone.localdate() + datetime.timedelta(days=30)
    item_a, item_b = (
        problem_item_create(
            unit=u,
            source=ProblemSource.COMMITTEE_CHECK,
            description="问题",
            deadline=deadline,
            actor=admin,
        )
        for u in (w.unit_a, w.unit_b)
    )
    body = {"action": "submit_measures", "measures": "立行立改", "version": item_a.version}
    refused = w.api["outsider"].post(f"/problem-items/{item_a.pk}/transitions", body)
    assert refused.status_code == 404
    moved = w.api["owner"].post(f"/problem-items/{item_a.pk}/transitions", body)
    assert moved.status_code == 200, moved.content
    assert moved.json()["state"] == ProblemItem.objects.get(pk=item_a.pk).state != "open"
    again = w.api["owner"].post(f"/problem-items/{item_a.pk}/transitions", body)
    assert again.status_code in (400, 409) and again.json()["detail"]
    assert ProblemItem.objects.get(pk=item_b.pk).state == item_b.state
    assert w.api["owner"].post(f"/problem-items/{item_b.pk}/transitions", body).status_code == 404


def test_evidence_upload_is_checked_and_scanned(w, media, clamd):
    upload = w.api["owner"].upload(
        "/evidence",
        {"unit_id": w.unit_a.pk, "file": SimpleUploadedFile("报告.pdf", make_pdf())},
    )
    assert upload.status_code == 201, upload.content
    assert Evidence.objects.get(pk=upload.json()["id"]).unit_id == w.unit_a.pk
    infected = w.api["owner"].upload(
        "/evidence", {"unit_id": w.unit_a.pk, "file": SimpleUploadedFile("x.pdf", EICAR)}
    )
    assert infected.status_code == 400 and "恶意代码" in infected.json()["detail"]
    wrong = w.api["owner"].upload(
        "/evidence", {"unit_id": w.unit_a.pk, "file": SimpleUploadedFile("x.exe", b"MZ" * 10)}
    )
    assert wrong.status_code == 400
    outsider = w.api["outsider"].upload(
        "/evidence", {"unit_id": w.unit_a.pk, "file": SimpleUploadedFile("y.pdf", make_pdf(b"%y"))}
    )
    assert outsider.status_code == 404
    assert Evidence.objects.count() == 1


def test_activity_record_create(w):
    org_a = PartyOrgFactory(unit=w.unit_a, name="甲支部")
    org_b = PartyOrgFactory(unit=w.unit_b, name="乙支部")
    member = MemberFactory(unit=w.unit_a, party_org=org_a)
    kind = ActivityKind.objects.get(committee=None, code="branch-committee")
    body = {
        "party_org_id": org_a.pk,
        "kind_id": kind.pk,
        "held_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "topic": "支委会",
        "present": [member.pk],
    }
    made = w.api["owner"].post("/activity-records", body)
    assert made.status_code == 201, made.content
    assert ActivityRecord.objects.get(pk=made.json()["id"]).unit_id == w.unit_a.pk
    assert w.api["outsider"].post("/activity-records", body).status_code == 404
    future = {**body, "held_on": (timezone.localdate() + datetime.timedelta(days=5)).isoformat()}
    refused = w.api["owner"].post("/activity-records", future)
    assert refused.status_code == 400 and "日期" in refused.json()["detail"]
    assert (
        w.api["owner"].post("/activity-records", {**body, "party_org_id": org_b.pk}).status_code
        == 404
    )
    assert ActivityRecord.objects.count() == 1


def test_roster_import_is_all_or_nothing_with_row_numbers(w):
    PartyOrgFactory(unit=w.unit_a, name="甲支部")
    MemberFactory(unit=w.unit_b, name="乙的人")
    before = list(Member.objects.order_by("pk").values())
    rows = [
        {"name": "赵一", "gender": "男", "party_org": "甲支部"},
        {"name": "钱二", "gender": "未知"},
        {"name": "孙三", "gender": "女", "birth_date": "1990-13-01"},
        {"name": "赵一", "gender": "男"},
        {"name": "李五", "gender": "女", "party_org": "乙支部"},
    ]
    refused = sync(w.api["owner"], "/roster/members", {"unit_id": w.unit_a.pk, "rows": rows})
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert {e["row"] for e in errors} == {3, 4, 5, 6}
    assert [e["message"] for e in errors if e["row"] == 3] == ["性别须为“男”或“女”。"]
    assert any("第 2 行" in e["message"] for e in errors if e["row"] == 5)
    assert list(Member.objects.order_by("pk").values()) == before  # nothing written
    ok = sync(w.api["owner"], "/roster/members", {"unit_id": w.unit_a.pk, "rows": rows[:1]})
    assert counts(ok) == {"created": 1, "updated": 0, "unchanged": 0}
    # another unit's roster, and the colleague (the page lets only the 联络员 edit)
    assert (
        w.api["owner"]
        .post("/roster/members", {"unit_id": w.unit_b.pk, "rows": rows[:1]})
        .status_code
        == 404
    )
    assert (
        w.api["colleague"]
        .post("/roster/members", {"unit_id": w.unit_a.pk, "rows": rows[:1]})
        .status_code
        == 404
    )
    assert not Member.objects.filter(unit=w.unit_b, name="赵一").exists()


def _roster_queries(w, rows: list[dict[str, str]]) -> tuple[int, dict[str, int]]:
    """The worker's write of a sheet (`roster_sync`, as `roster_sync_task` runs it): its
    queries and what it wrote."""
    sheet = [RosterRow(**row) for row in rows]
    with CaptureQueriesContext(connection) as queries:
        created, updated, unchanged = roster_sync(unit=w.unit_a, rows=sheet, actor=w.actor("owner"))
    return len(queries), {"created": created, "updated": updated, "unchanged": unchanged}


def test_the_roster_sync_is_set_wise_and_leaves_unchanged_rows_alone(w):
    """A sheet of 40 rows costs the queries of a sheet of 4 (5,000 rows took 24 s row by row);
    a row that matches what is stored is neither written nor audited."""
    PartyOrgFactory(unit=w.unit_a, name="甲支部")

    def sheet(n: int, tag: str, post: str = "") -> list[dict[str, str]]:
        return [
            {"name": f"{tag}{i}", "gender": "男", "party_org": "甲支部", "post": post}
            for i in range(n)
        ]

    _roster_queries(w, sheet(1, "热身"))  # the audit chain reads its checkpoint once
    small_created, answer = _roster_queries(w, sheet(4, "小"))
    assert answer == {"created": 4, "updated": 0, "unchanged": 0}
    large_created, answer = _roster_queries(w, sheet(40, "大"))
    assert answer == {"created": 40, "updated": 0, "unchanged": 0}
    assert large_created == small_created
    small_updated, _ = _roster_queries(w, sheet(4, "小", post="委员"))
    large_updated, answer = _roster_queries(w, sheet(40, "大", post="委员"))
    assert answer == {"created": 0, "updated": 40, "unchanged": 0}
    assert large_updated == small_updated
    member = Member.objects.get(unit=w.unit_a, name="大7")
    assert (member.post, member.party_org.name) == ("委员", "甲支部")
    update = AuditEntry.objects.filter(action="member.update", object_id=str(member.pk)).get()
    assert (update.data["before"]["post"], update.data["after"]["post"]) == ("", "委员")
    entries = AuditEntry.objects.count()
    changed = sheet(40, "大", post="委员")
    changed[5]["post"] = "组织委员"
    _queries, answer = _roster_queries(w, changed)
    assert answer == {"created": 0, "updated": 1, "unchanged": 39}
    assert AuditEntry.objects.count() == entries + 1
    assert AuditEntry.objects.latest("pk").object_id == str(
        Member.objects.get(unit=w.unit_a, name="大5").pk
    )


def test_the_openapi_schema_and_the_docs_page(w, client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/api/v1/units",
        "/api/v1/members",
        "/api/v1/enrollments/{enrollment_id}/self-scores/{node_id}",
        "/api/v1/problem-items/{item_id}/transitions",
        "/api/v1/evidence",
        "/api/v1/roster/members",
        "/api/v1/campaigns/{campaign_id}/results",
    ):
        assert path in doc["paths"], sorted(doc["paths"])
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "同步单位党员花名册" in body and "<script" not in body.split("</header>")[1]


def test_a_linked_member_records_and_reads_only_their_own(w):
    from mofan.organizations.services import member_account_link
    from tests.world import persona

    org_a = PartyOrgFactory(unit=w.unit_a, name="甲支部")
    me, colleague = (MemberFactory(unit=w.unit_a, party_org=org_a) for _ in range(2))
    account = persona("member", unit_a=w.unit_a)
    member_account_link(member=me, account=account, actor=actor_for(w.users["owner"]))
    api = api_for(account)
    held = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    volunteer = ActivityKind.objects.get(committee=None, code="volunteer")
    own = {"party_org_id": org_a.pk, "kind_id": volunteer.pk, "held_on": held, "topic": "志愿服务"}
    made = api.post("/activity-records", {**own, "present": [me.pk]})
    assert made.status_code == 201, made.content
    for_other = api.post("/activity-records", {**own, "present": [colleague.pk]})
    assert for_other.status_code in (400, 403)
    meeting = ActivityKind.objects.get(committee=None, code="branch-committee")
    assert api.post("/activity-records", {**own, "kind_id": meeting.pk}).status_code == 403
    w.api["owner"].post(
        "/activity-records",
        {**own, "kind_id": meeting.pk, "topic": "支委会", "present": [colleague.pk]},
    )
    listed = api.get("/activity-records").json()["items"]
    assert [r["id"] for r in listed] == [made.json()["id"]]
    assert ActivityRecord.objects.count() == 2
