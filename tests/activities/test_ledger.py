"""The activity ledger (issue 15 point 1): records of a unit's organisations and people, kinds as
data, attendance from the roster with absentees' reasons, hours and the political-theory mark
where the kind asks for them, files linked from the evidence library; scoped like every
unit-owned object, every write audited."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.activities import services
from mofan.activities.builtin_kinds import BUILTIN_KINDS
from mofan.activities.models import ActivityKind, ActivityRecord, Participation
from mofan.audit.models import AuditEntry
from mofan.evidence.services import evidence_delete
from tests.factories import MemberFactory, PartyOrgFactory
from tests.supervision.ledger_world import make_evidence
from tests.world import committee_with_units, logged_in, persona

pytestmark = pytest.mark.django_db

PERSONAS = (
    "owner",  # unit A's 联络员
    "colleague",  # unit A's 单位领导
    "outsider",  # unit B's 联络员
    "committee_admin",
    "committee_leader",
    "other_admin",
    "reviewer",
    "member",
    "anonymous",
)


class World:
    def __init__(self) -> None:
        self.committee, (self.unit_a, self.unit_b) = committee_with_units(
            name="测试工委", code="act-test"
        )
        where = {"committee": self.committee, "unit_a": self.unit_a, "unit_b": self.unit_b}
        self.users = {
            "owner": persona("unit_admin", **where, full_name="李联络"),
            "colleague": persona("unit_leader", **where, full_name="张书记"),
            "outsider": persona("outsider", **where, full_name="赵联络"),
            "committee_admin": persona("committee_admin", **where),
            "committee_leader": persona("committee_leader", **where),
            "other_admin": persona("other_admin", **where),
            "reviewer": persona("reviewer", **where),
            "member": persona("member", **where),
        }
        self.org_a = PartyOrgFactory(unit=self.unit_a, name="甲单位第一支部")
        self.org_b = PartyOrgFactory(unit=self.unit_b, name="乙单位支部")
        self.members_a = [
            MemberFactory(unit=self.unit_a, party_org=self.org_a, name=n)
            for n in ("王一", "王二", "王三")
        ]
        self.member_b = MemberFactory(unit=self.unit_b, party_org=self.org_b, name="乙一")

    def actor(self, name: str):
        return actor_for(self.users[name])

    def client(self, name: str):
        return logged_in(None if name == "anonymous" else self.users[name])


@pytest.fixture
def w() -> World:
    return World()


def kind(code: str) -> ActivityKind:
    return ActivityKind.objects.get(committee=None, code=code)


def meeting(w: World, **changes) -> services.RecordInput:
    values = {
        "party_org": w.org_a,
        "kind": kind("branch-committee"),
        "held_on": timezone.localdate() - datetime.timedelta(days=3),
        "topic": "研究发展党员工作",
        "present": [w.members_a[0].pk, w.members_a[1].pk],
        "absent": {w.members_a[2].pk: "出差"},
        **changes,
    }
    return services.RecordInput(**values)


def record_a(w: World) -> ActivityRecord:
    return services.activity_record_create(data=meeting(w), actor=w.actor("owner"))


# --- kinds are data -------------------------------------------------------------------------


def test_the_builtin_kinds_are_loaded_by_the_migration():
    stored = list(
        ActivityKind.objects.filter(committee=None).values_list(
            "code", "name", "group", "attendance", "absence_reasons", "hours", "theory_flag"
        )
    )
    assert sorted(stored) == sorted(BUILTIN_KINDS)
    names = {row[1] for row in stored}
    for name in ("党员大会", "支委会", "党小组会", "党课", "主题党日", "第一议题", "中心组学习"):
        assert name in names
    for name in ("专题研究", "联系点调研", "志愿服务", "谈心谈话", "民主评议党员", "培训"):
        assert name in names
    assert "调研文章" in names


def test_a_committee_adds_its_own_kind_and_only_its_admin_may(w):
    values = {
        "name": "安全演练",
        "code": "safety-drill",
        "attendance": "roster",
        "hours": "optional",
        "absence_reasons": True,
    }
    for name in ("owner", "committee_leader", "other_admin"):
        with pytest.raises(PermissionDenied):
            services.activity_kind_create(committee=w.committee, values=values, actor=w.actor(name))
    own = services.activity_kind_create(
        committee=w.committee, values=values, actor=w.actor("committee_admin")
    )
    assert own.committee == w.committee and own.absence_reasons
    with pytest.raises(ValidationError):  # the code is taken
        services.activity_kind_create(
            committee=w.committee, values=values, actor=w.actor("committee_admin")
        )
    with pytest.raises(ValidationError):  # a built-in code
        services.activity_kind_create(
            committee=w.committee,
            values={**values, "code": "theme-day"},
            actor=w.actor("committee_admin"),
        )
    # it is offered to the committee's units, and records of it can be made
    record = services.activity_record_create(
        data=meeting(w, kind=own, absent={}), actor=w.actor("owner")
    )
    assert record.kind == own
    # stopped: no new records of it; the old ones stay
    services.activity_kind_set_active(kind=own, active=False, actor=w.actor("committee_admin"))
    with pytest.raises(ValidationError):
        services.activity_record_create(
            data=meeting(w, kind=own, absent={}), actor=w.actor("owner")
        )
    assert ActivityRecord.objects.filter(pk=record.pk).exists()
    with pytest.raises(ValidationError):  # built-in kinds are shared and stay
        services.activity_kind_set_active(
            kind=kind("theme-day"), active=False, actor=w.actor("committee_admin")
        )
    assert AuditEntry.objects.filter(action="activity_kind.create").count() == 1


def test_another_committees_own_kind_is_not_offered(w):
    theirs = ActivityKind.objects.create(
        committee=w.users["other_admin"].committee, code="x", name="外工委类型"
    )
    with pytest.raises(ValidationError, match="该活动类型不可用"):
        services.activity_record_create(
            data=meeting(w, kind=theirs, absent={}), actor=w.actor("owner")
        )


# --- records ---------------------------------------------------------------------------------


def test_a_meeting_is_recorded_with_attendance_absentees_and_files(w):
    file = make_evidence(w.unit_a, w.users["owner"])
    data = meeting(w, evidence=[file.pk], minutes="会议决定：确定两名发展对象。")
    record = services.activity_record_create(data=data, actor=w.actor("owner"))
    assert (record.unit, record.committee, record.kind.code) == (
        w.unit_a,
        w.committee,
        "branch-committee",
    )
    rows = {p.member_id: (p.present, p.absence_reason) for p in record.participations.all()}
    assert rows == {
        w.members_a[0].pk: (True, ""),
        w.members_a[1].pk: (True, ""),
        w.members_a[2].pk: (False, "出差"),
    }
    assert list(record.evidence.all()) == [file]
    assert record.hours is None and record.political_theory is None  # the kind asks for neither
    entry = AuditEntry.objects.get(action="activity.create")
    assert entry.data["after"]["absent"] == {str(w.members_a[2].pk): "出差"}
    # a linked file is in use: it is not deleted
    with pytest.raises(ValidationError, match="活动台账"):
        evidence_delete(evidence=file, actor=w.actor("owner"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topic": "  "}, "请填写主题"),
        ({"held_on": timezone.localdate() + datetime.timedelta(days=1)}, "不能晚于今天"),
        ({"present": []}, "请勾选出席人员"),
        ({"kind": "training", "present": [], "absent": {}}, "请选择本条记录的人员"),
        ({"kind": "training", "absent": {}, "hours": None}, "请填写学时"),
        ({"kind": "training", "absent": {}, "hours": Decimal(500)}, "不超过 200"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_is_written(w, changes, message):
    if "kind" in changes:
        changes["kind"] = kind(changes["kind"])
        if changes["kind"].attendance == "person" and changes.get("present") != []:
            changes["present"] = [w.members_a[0].pk]
    with pytest.raises(ValidationError, match=message):
        services.activity_record_create(data=meeting(w, **changes), actor=w.actor("owner"))
    assert not ActivityRecord.objects.exists() and not Participation.objects.exists()


def test_people_and_files_of_another_unit_are_refused(w):
    with pytest.raises(ValidationError, match="名册"):
        services.activity_record_create(
            data=meeting(w, present=[w.member_b.pk]), actor=w.actor("owner")
        )
    theirs = make_evidence(w.unit_b, w.users["outsider"])
    with pytest.raises(ValidationError, match="佐证库"):
        services.activity_record_create(
            data=meeting(w, evidence=[theirs.pk]), actor=w.actor("owner")
        )
    assert not ActivityRecord.objects.exists()


def test_hours_and_theory_where_the_kind_asks_for_them(w):
    training = services.activity_record_create(
        data=meeting(
            w,
            kind=kind("training"),
            present=[w.members_a[0].pk],
            absent={},
            hours=Decimal("3.5"),
            political_theory=True,
        ),
        actor=w.actor("colleague"),
    )
    assert (training.hours, training.political_theory) == (Decimal("3.5"), True)
    assert list(training.participations.values_list("member_id", "present")) == [
        (w.members_a[0].pk, True)
    ]
    # a kind without them drops what was given
    plain = services.activity_record_create(
        data=meeting(w, hours=Decimal(2), political_theory=True), actor=w.actor("owner")
    )
    assert (plain.hours, plain.political_theory) == (None, None)


@pytest.mark.parametrize(
    "name", ["outsider", "committee_admin", "committee_leader", "other_admin", "reviewer", "member"]
)
def test_only_the_units_own_people_write_its_records(w, name):
    with pytest.raises(PermissionDenied):
        services.activity_record_create(data=meeting(w), actor=w.actor(name))
    record = record_a(w)
    with pytest.raises(PermissionDenied):
        services.activity_record_update(
            record=record, data=meeting(w, topic="改"), expected_version=1, actor=w.actor(name)
        )
    with pytest.raises(PermissionDenied):
        services.activity_record_delete(record=record, actor=w.actor(name))
    record.refresh_from_db()
    assert record.topic == "研究发展党员工作" and record.version == 1


def test_a_correction_is_audited_with_before_and_after_and_a_stale_one_is_refused(w):
    record = record_a(w)
    services.activity_record_update(
        record=record,
        data=meeting(w, topic="研究发展党员和党费收缴工作", absent={w.members_a[2].pk: "病假"}),
        expected_version=1,
        actor=w.actor("colleague"),
    )
    record.refresh_from_db()
    assert record.version == 2
    entry = AuditEntry.objects.get(action="activity.update")
    assert entry.data["before"]["topic"] == "研究发展党员工作"
    assert entry.data["after"]["absent"] == {str(w.members_a[2].pk): "病假"}
    with pytest.raises(ValidationError, match="已被他人修改"):
        services.activity_record_update(
            record=record,
            data=meeting(w, topic="旧页面"),
            expected_version=1,
            actor=w.actor("owner"),
        )
    services.activity_record_delete(record=record, actor=w.actor("owner"))
    assert not ActivityRecord.objects.exists()
    assert AuditEntry.objects.filter(action="activity.delete").count() == 1


# --- pages, persona by persona ------------------------------------------------------------------


def test_the_ledger_shows_each_persona_only_what_it_may(w):
    record_a(w)
    services.activity_record_create(
        data=meeting(w, party_org=w.org_b, present=[w.member_b.pk], absent={}, topic="乙的会议"),
        actor=w.actor("outsider"),
    )
    url = reverse("activities:ledger")
    expect = {
        "owner": (200, True, False),
        "colleague": (200, True, False),
        "outsider": (200, False, True),
        "committee_admin": (200, True, True),
        "committee_leader": (200, True, True),
        "other_admin": (200, False, False),
        "reviewer": (403, False, False),
        "member": (403, False, False),
        "anonymous": (302, False, False),
    }
    for name, (status, sees_a, sees_b) in expect.items():
        response = w.client(name).get(url)
        assert response.status_code == status, name
        body = response.content.decode()
        assert ("研究发展党员工作" in body) == sees_a, name
        assert ("乙的会议" in body) == sees_b, name


def test_a_record_page_answers_only_those_who_may_read_it(w):
    record = record_a(w)
    url = reverse("activities:detail", args=[record.pk])
    expect = {
        "owner": 200,
        "colleague": 200,
        "committee_admin": 200,
        "committee_leader": 200,
        "outsider": 404,
        "other_admin": 404,
        "reviewer": 403,
        "member": 403,
        "anonymous": 302,
    }
    for name, status in expect.items():
        response = w.client(name).get(url)
        assert response.status_code == status, name
        if status == 200:
            body = response.content.decode()
            assert "王三（出差）" in body
            assert ('id="delete-record"' in body) == (name in ("owner", "colleague")), name
    for name in ("outsider", "committee_admin", "other_admin"):
        response = w.client(name).post(reverse("activities:delete", args=[record.pk]))
        assert response.status_code in (403, 404), name
        edit = w.client(name).post(
            reverse("activities:edit", args=[record.pk]), {"topic": "x", "version": 1}
        )
        assert edit.status_code in (403, 404), name
    assert ActivityRecord.objects.get(pk=record.pk).topic == "研究发展党员工作"


def test_recording_on_the_page_in_two_steps_and_an_error_keeps_what_was_typed(w):
    client = w.client("owner")
    start = client.get(reverse("activities:new"))
    assert start.status_code == 200 and "甲单位第一支部" in start.content.decode()
    assert "乙单位支部" not in start.content.decode()
    committee_kind = kind("branch-committee")
    url = reverse("activities:new")
    form = client.get(url, {"org": w.org_a.pk, "kind": committee_kind.pk}).content.decode()
    for m in w.members_a:
        assert f'value="{m.pk}"' in form
    assert "乙一" not in form
    posted = {
        "org": w.org_a.pk,
        "kind": committee_kind.pk,
        "held_on": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
        "topic": "研究年度工作要点",
        "minutes": "很长的会议纪要" * 20,
        "present": [w.members_a[0].pk],
        f"reason-{w.members_a[1].pk}": "病假",
    }
    refused = client.post(url, posted)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "不能晚于今天" in body
    assert "很长的会议纪要" * 20 in body and "研究年度工作要点" in body and "病假" in body
    assert f'value="{w.members_a[0].pk}" checked' in body
    assert not ActivityRecord.objects.exists()
    posted["held_on"] = timezone.localdate().isoformat()
    done = client.post(url, posted)
    record = ActivityRecord.objects.get()
    assert done.status_code == 302 and done.url == reverse("activities:detail", args=[record.pk])
    assert dict(record.participations.values_list("member_id", "absence_reason")) == {
        w.members_a[0].pk: "",
        w.members_a[1].pk: "病假",
        w.members_a[2].pk: "",
    }
    # an organisation of another unit cannot be chosen by its id
    client.post(url, {**posted, "org": w.org_b.pk})
    assert ActivityRecord.objects.count() == 1


def test_the_kinds_page_lets_only_the_committee_admin_add(w):
    url = reverse("activities:kinds")
    for name in ("owner", "committee_leader"):
        response = w.client(name).get(url)
        assert response.status_code == 200 and 'id="kind-form"' not in response.content.decode()
        assert w.client(name).post(url, {"name": "x", "code": "x"}).status_code == 403
    admin = w.client("committee_admin")
    assert 'id="kind-form"' in admin.get(url).content.decode()
    response = admin.post(
        url, {"name": "安全演练", "code": "safety-drill", "attendance": "roster", "hours": "none"}
    )
    assert response.status_code == 302
    assert ActivityKind.objects.filter(committee=w.committee, code="safety-drill").exists()
    assert w.client("member").get(url).status_code == 403


def test_the_ledgers_query_count_does_not_grow_with_records(w):
    client = w.client("committee_admin")
    url = reverse("activities:ledger")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    record_a(w)
    few = count()
    for i in range(30):
        services.activity_record_create(data=meeting(w, topic=f"会议{i}"), actor=w.actor("owner"))
    assert count() == few


def test_a_member_who_leaves_the_roll_stays_on_the_records_by_name(w):
    record = record_a(w)
    w.members_a[2].delete()  # transferred out
    rows = sorted(record.participations.values_list("name", "member_id", "absence_reason"))
    assert rows == [
        ("王一", w.members_a[0].pk, ""),
        ("王三", None, "出差"),
        ("王二", w.members_a[1].pk, ""),
    ]
    body = w.client("owner").get(reverse("activities:detail", args=[record.pk])).content.decode()
    assert "王三（出差）" in body


def test_a_year_out_of_range_filters_nothing_instead_of_failing(w):
    """?year=99999 used to reach the ORM, whose date bounds fail (a 500); a year outside
    1–9999 (or not a number) is no filter, like any other malformed value."""
    record_a(w)
    client = w.client("owner")
    url = reverse("activities:ledger")
    for year in ("99999", "0", "２０２０", "-1", "1_000"):
        response = client.get(url, {"year": year})
        assert response.status_code == 200, year
