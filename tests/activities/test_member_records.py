"""我的活动 (issue 15 point 2, part): a 党员 linked to their roster row records their own volunteer
service, research, training or article, once, and sees the records they are on; the unit's
联络员 and 单位领导 see them in the ledger as usual. Who may link a member to an account, and who
may write what, persona by persona: the data that could leak or be changed is made first, then
each refusal is proved."""

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
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.activities import services
from mofan.activities.models import ActivityRecord
from mofan.audit.models import AuditEntry
from mofan.home.navigation import items_for
from mofan.organizations.services import member_account_link, member_account_unlink
from tests.activities.test_ledger import World, kind, meeting
from tests.factories import make_user
from tests.supervision.ledger_world import make_evidence

pytestmark = pytest.mark.django_db

YESTERDAY = datetime.timedelta(days=1)


class MemberWorld(World):
    """The ledger's world, and 党员 accounts: 王一 of unit A (linked), 王二 of unit A (linked),
    乙一 of unit B (linked), and an account of unit A linked to nobody."""

    def __init__(self) -> None:
        super().__init__()
        owner = self.actor("owner")
        self.users["wang1"] = make_user(Role.MEMBER, unit=self.unit_a, full_name="王一")
        self.users["wang2"] = make_user(Role.MEMBER, unit=self.unit_a, full_name="王二")
        self.users["b1"] = make_user(Role.MEMBER, unit=self.unit_b, full_name="乙一")
        self.users["unlinked"] = self.users["member"]
        member_account_link(member=self.members_a[0], account=self.users["wang1"], actor=owner)
        member_account_link(member=self.members_a[1], account=self.users["wang2"], actor=owner)
        member_account_link(
            member=self.member_b, account=self.users["b1"], actor=self.actor("outsider")
        )
        for name in ("wang1", "wang2", "b1"):
            self.users[name].refresh_from_db()


@pytest.fixture
def w() -> MemberWorld:
    return MemberWorld()


def own(w: MemberWorld, who: str = "wang1", **changes) -> services.RecordInput:
    """A volunteer service of `who`, as their own record."""
    member = {"wang1": w.members_a[0], "wang2": w.members_a[1], "b1": w.member_b}[who]
    values = {
        "party_org": member.party_org,
        "kind": kind("volunteer"),
        "held_on": timezone.localdate() - YESTERDAY,
        "topic": f"{member.name}社区志愿服务",
        "hours": Decimal(2),
        "present": [member.pk],
        "absent": {},
        **changes,
    }
    return services.RecordInput(**values)


# --- the link between a roster row and an account ----------------------------------------------


def test_the_units_people_and_the_committee_admin_link_and_unlink_audited(w):
    member = w.members_a[2]
    account = make_user(Role.MEMBER, unit=w.unit_a, full_name="王三")
    for name in ("owner", "colleague", "committee_admin"):
        member_account_link(member=member, account=account, actor=w.actor(name))
        assert User.objects.get(pk=account.pk).member_id == member.pk, name
        member_account_unlink(member=member, actor=w.actor(name))
        assert User.objects.get(pk=account.pk).member_id is None, name
    links = AuditEntry.objects.filter(action="member.account_link", object_id=str(member.pk))
    unlinks = AuditEntry.objects.filter(action="member.account_unlink", object_id=str(member.pk))
    assert links.count() == 3 and unlinks.count() == 3
    entry = links.order_by("pk").last()
    assert entry.data["before"] == {"account": None}
    assert entry.data["after"]["account_id"] == account.pk
    assert unlinks.order_by("pk").last().data["before"]["account_id"] == account.pk


@pytest.mark.parametrize(
    "name", ["outsider", "committee_leader", "other_admin", "reviewer", "unlinked", "wang1"]
)
def test_nobody_else_links_or_unlinks(w, name):
    account = make_user(Role.MEMBER, unit=w.unit_a)
    with pytest.raises(PermissionDenied):
        member_account_link(member=w.members_a[2], account=account, actor=w.actor(name))
    with pytest.raises(PermissionDenied):
        member_account_unlink(member=w.members_a[0], actor=w.actor(name))
    assert User.objects.get(pk=account.pk).member_id is None
    assert User.objects.get(pk=w.users["wang1"].pk).member_id == w.members_a[0].pk


def test_only_an_active_member_account_of_the_same_unit_not_linked_elsewhere(w):
    owner, target = w.actor("owner"), w.members_a[2]
    theirs = make_user(Role.MEMBER, unit=w.unit_b)
    liaison = make_user(Role.UNIT_ADMIN, unit=w.unit_a)
    retired = make_user(Role.MEMBER, unit=w.unit_a, is_active=False)
    for account in (theirs, liaison, retired):
        with pytest.raises(ValidationError, match="本单位在用的党员账号"):
            member_account_link(member=target, account=account, actor=owner)
    with pytest.raises(ValidationError, match="已关联成员“王二”"):
        member_account_link(member=target, account=w.users["wang2"], actor=owner)
    assert not User.objects.filter(member=target).exists()
    assert User.objects.get(pk=w.users["wang2"].pk).member_id == w.members_a[1].pk
    # relinking a member to another account frees the first one, audited with both
    spare = make_user(Role.MEMBER, unit=w.unit_a, username="spare")
    member_account_link(member=w.members_a[0], account=spare, actor=owner)
    assert User.objects.get(pk=w.users["wang1"].pk).member_id is None
    assert User.objects.get(pk=spare.pk).member_id == w.members_a[0].pk
    entry = AuditEntry.objects.filter(action="member.account_link").order_by("pk").last()
    assert entry.data["before"]["account"].startswith(w.users["wang1"].username)


def test_the_link_page_offers_only_the_units_free_accounts_and_a_tampered_id_fails(w):
    member = w.members_a[2]
    free = make_user(Role.MEMBER, unit=w.unit_a, username="free_a", full_name="王三")
    theirs = make_user(Role.MEMBER, unit=w.unit_b, username="free_b")
    url = reverse("organizations:member_account", args=[member.pk])
    client = w.client("colleague")  # the 单位领导, who does not edit the roll, links accounts
    body = client.get(url).content.decode()
    assert "free_a" in body and "free_b" not in body
    assert w.users["wang1"].username not in body  # linked to 王一 already
    refused = client.post(url, {"account": theirs.pk})
    assert refused.status_code == 400 and not User.objects.filter(member=member).exists()
    assert client.post(url, {"account": free.pk}).status_code == 302
    assert User.objects.get(pk=free.pk).member_id == member.pk
    roster = w.client("owner").get(reverse("organizations:member_list", args=[w.unit_a.pk]))
    assert "free_a" in roster.content.decode()
    edit = w.client("owner").get(reverse("organizations:member_edit", args=[member.pk]))
    assert "王三（free_a）" in edit.content.decode()
    assert client.post(url, {"unlink": "1"}).status_code == 302
    assert User.objects.get(pk=free.pk).member_id is None
    for name in ("outsider", "other_admin", "unlinked", "wang1", "committee_leader"):
        assert w.client(name).get(url).status_code in (403, 404), name
        w.client(name).post(url, {"account": free.pk})
    assert User.objects.get(pk=free.pk).member_id is None


# --- the rule in the services: a member writes their own one-person records only -------------


def test_a_linked_member_records_corrects_and_deletes_their_own(w):
    wang1 = w.actor("wang1")
    file = make_evidence(w.unit_a, w.users["owner"])
    record = services.activity_record_create(data=own(w, evidence=[file.pk]), actor=wang1)
    assert (record.unit, record.party_org, record.created_by) == (
        w.unit_a,
        w.org_a,
        w.users["wang1"],
    )
    assert list(record.participations.values_list("member_id", "present")) == [
        (w.members_a[0].pk, True)
    ]
    assert not record.evidence.exists()  # a member does not open the unit's library
    services.activity_record_update(
        record=record, data=own(w, topic="社区敬老志愿服务"), expected_version=1, actor=wang1
    )
    record.refresh_from_db()
    assert record.topic == "社区敬老志愿服务" and record.version == 2
    services.activity_record_delete(record=record, actor=wang1)
    assert not ActivityRecord.objects.exists()
    actions = list(
        AuditEntry.objects.filter(action__startswith="activity.", actor_id=w.users["wang1"].pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["activity.create", "activity.update", "activity.delete"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"present": "wang2"}, "不能替他人记录"),
        ({"present": "both"}, "不能替他人记录"),
        ({"kind": "branch-committee"}, "个人活动"),
        ({"party_org": "other"}, "本人所在党组织"),
    ],
)
def test_a_member_cannot_record_for_someone_else_or_another_kind(w, changes, message):
    from tests.factories import PartyOrgFactory

    values = {}
    if changes.get("present") == "wang2":
        values["present"] = [w.members_a[1].pk]
    if changes.get("present") == "both":
        values["present"] = [w.members_a[0].pk, w.members_a[1].pk]
    if "kind" in changes:
        values["kind"] = kind(changes["kind"])
    if "party_org" in changes:
        values["party_org"] = PartyOrgFactory(unit=w.unit_a, name="甲单位第二支部")
    with pytest.raises(PermissionDenied, match=message):
        services.activity_record_create(data=own(w, **values), actor=w.actor("wang1"))
    assert not ActivityRecord.objects.exists()


def test_a_member_touches_no_other_record(w):
    theirs = services.activity_record_create(data=own(w, "wang2"), actor=w.actor("wang2"))
    by_liaison = services.activity_record_create(data=own(w, "wang2"), actor=w.actor("owner"))
    attended = services.activity_record_create(data=meeting(w), actor=w.actor("owner"))
    unit_b = services.activity_record_create(data=own(w, "b1"), actor=w.actor("b1"))
    wang1 = w.actor("wang1")
    for record in (theirs, by_liaison, attended, unit_b):
        with pytest.raises(PermissionDenied):
            services.activity_record_update(
                record=record, data=own(w), expected_version=1, actor=wang1
            )
        with pytest.raises(PermissionDenied):
            services.activity_record_delete(record=record, actor=wang1)
    # unit B's member writes nothing of unit A, not even naming their own row
    with pytest.raises(PermissionDenied):
        services.activity_record_create(data=own(w, "b1", party_org=w.org_a), actor=w.actor("b1"))
    # the unlinked 党员 writes nothing at all
    with pytest.raises(PermissionDenied):
        services.activity_record_create(data=own(w), actor=w.actor("unlinked"))
    assert ActivityRecord.objects.count() == 4
    assert set(ActivityRecord.objects.values_list("version", flat=True)) == {1}


def test_a_member_corrects_a_record_of_them_made_by_the_liaison_keeping_its_files(w):
    file = make_evidence(w.unit_a, w.users["owner"])
    record = services.activity_record_create(
        data=own(w, evidence=[file.pk]), actor=w.actor("owner")
    )
    services.activity_record_update(
        record=record, data=own(w, hours=Decimal(3)), expected_version=1, actor=w.actor("wang1")
    )
    record.refresh_from_db()
    assert record.hours == Decimal(3) and list(record.evidence.all()) == [file]
    with pytest.raises(PermissionDenied, match="党组织"):
        services.activity_record_update(
            record=record,
            data=own(w, party_org=w.org_b),
            expected_version=2,
            actor=w.actor("wang1"),
        )


def test_a_role_revoked_or_a_link_removed_ends_the_right(w):
    services.activity_record_create(data=own(w), actor=w.actor("wang1"))
    member_account_unlink(member=w.members_a[0], actor=w.actor("owner"))
    w.users["wang1"].refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.activity_record_create(data=own(w), actor=actor_for(w.users["wang1"]))
    w.users["wang2"].role_assignments.all().delete()
    with pytest.raises(PermissionDenied):
        services.activity_record_create(data=own(w, "wang2"), actor=actor_for(w.users["wang2"]))
    assert ActivityRecord.objects.count() == 1


# --- the pages ---------------------------------------------------------------------------------


def test_an_unlinked_member_gets_a_chinese_message_and_others_no_page(w):
    for url in (reverse("activities:mine"), reverse("activities:mine_new")):
        response = w.client("unlinked").get(url)
        assert response.status_code == 200
        assert "还没有关联到本单位成员名册" in response.content.decode()
        assert w.client("unlinked").post(url, {"topic": "x"}).status_code == 200
        for name in ("owner", "colleague", "committee_admin", "reviewer", "other_admin"):
            assert w.client(name).get(url).status_code == 403, name
        assert w.client("anonymous").get(url).status_code == 302
    assert not ActivityRecord.objects.exists()


def test_the_menu_shows_my_activities_to_linked_members_only(w):
    def labels(name: str) -> list[str]:
        return [item.label for item in items_for(w.actor(name))]

    assert "我的活动" in labels("wang1") and "我的活动" in labels("b1")
    for name in ("unlinked", "owner", "colleague", "committee_admin"):
        assert "我的活动" not in labels(name), name


def test_my_activities_lists_my_records_and_the_meetings_i_attended_only(w):
    mine = services.activity_record_create(data=own(w), actor=w.actor("wang1"))
    theirs = services.activity_record_create(
        data=own(w, "wang2", topic="王二的调研"), actor=w.actor("wang2")
    )
    attended = services.activity_record_create(
        data=meeting(w, topic="支委会研究党费"), actor=w.actor("owner")
    )
    missed = services.activity_record_create(
        data=meeting(
            w, topic="缺席的会议", present=[w.members_a[1].pk], absent={w.members_a[0].pk: "病假"}
        ),
        actor=w.actor("owner"),
    )
    unit_b = services.activity_record_create(
        data=own(w, "b1", topic="乙一的服务"), actor=w.actor("b1")
    )
    body = w.client("wang1").get(reverse("activities:mine")).content.decode()
    assert "王一社区志愿服务" in body and "支委会研究党费" in body
    for hidden in ("王二的调研", "缺席的会议", "乙一的服务"):
        assert hidden not in body
    client = w.client("wang1")
    detail = client.get(reverse("activities:mine_detail", args=[attended.pk])).content.decode()
    assert "支委会研究党费" in detail and "王二" not in detail and "出差" not in detail
    assert 'id="edit-own-record"' not in detail  # a meeting is read-only
    assert (
        'id="edit-own-record"'
        in client.get(reverse("activities:mine_detail", args=[mine.pk])).content.decode()
    )
    for record in (theirs, missed, unit_b):
        assert client.get(reverse("activities:mine_detail", args=[record.pk])).status_code == 404
    for record in (theirs, attended, missed, unit_b):
        assert client.get(reverse("activities:mine_edit", args=[record.pk])).status_code == 404
        assert client.post(reverse("activities:mine_delete", args=[record.pk])).status_code == 404
    assert ActivityRecord.objects.count() == 5
    # the unit's own pages stay closed to a member
    assert client.get(reverse("activities:ledger")).status_code == 403
    assert client.get(reverse("activities:detail", args=[theirs.pk])).status_code == 403


def test_recording_on_the_page_and_a_tampered_post_records_only_oneself(w):
    client = w.client("wang1")
    start = client.get(reverse("activities:mine_new")).content.decode()
    assert "志愿服务" in start and "培训" in start and "调研文章" in start
    assert "支委会" not in start  # meetings are the unit's to record
    url = reverse("activities:mine_new")
    volunteer = kind("volunteer")
    form = client.get(url, {"kind": volunteer.pk}).content.decode()
    assert 'name="present"' not in form and 'name="org"' not in form
    posted = {
        "kind": volunteer.pk,
        "held_on": (timezone.localdate() + YESTERDAY).isoformat(),
        "topic": "社区文明创建志愿服务",
        "hours": "2.5",
        "minutes": "清理楼道小广告",
        # tampering: another member, another organisation, a file of the unit
        "present": [w.members_a[1].pk],
        "org": w.org_b.pk,
        "evidence": [make_evidence(w.unit_a, w.users["owner"]).pk],
    }
    refused = client.post(url, posted)
    assert refused.status_code == 400 and "不能晚于今天" in refused.content.decode()
    assert "清理楼道小广告" in refused.content.decode()
    posted["held_on"] = timezone.localdate().isoformat()
    assert client.post(url, posted).status_code == 302
    record = ActivityRecord.objects.get()
    assert record.party_org == w.org_a and record.hours == Decimal("2.5")
    assert list(record.participations.values_list("member_id", flat=True)) == [w.members_a[0].pk]
    assert not record.evidence.exists()
    # a meeting kind cannot be posted: the kinds are shown again, nothing written
    client.post(url, {**posted, "kind": kind("branch-committee").pk})
    assert ActivityRecord.objects.count() == 1
    # the unit's liaison and leader see it in the ledger, with who recorded it
    for name in ("owner", "colleague"):
        ledger = w.client(name).get(reverse("activities:ledger")).content.decode()
        assert "社区文明创建志愿服务" in ledger, name
    detail = w.client("owner").get(reverse("activities:detail", args=[record.pk])).content.decode()
    assert "王一" in detail
    assert (
        "社区文明创建志愿服务"
        not in w.client("outsider").get(reverse("activities:ledger")).content.decode()
    )


def test_correcting_and_deleting_on_the_page(w):
    record = services.activity_record_create(data=own(w), actor=w.actor("wang1"))
    client = w.client("wang1")
    url = reverse("activities:mine_edit", args=[record.pk])
    assert "王一社区志愿服务" in client.get(url).content.decode()
    changed = {
        "held_on": record.held_on.isoformat(),
        "topic": "改后的志愿服务",
        "hours": "3",
        "version": 1,
    }
    assert client.post(url, changed).status_code == 302
    record.refresh_from_db()
    assert record.topic == "改后的志愿服务" and record.version == 2
    stale = client.post(url, {**changed, "topic": "旧页面"})
    assert stale.status_code == 400 and "已被他人修改" in stale.content.decode()
    assert client.post(reverse("activities:mine_delete", args=[record.pk])).status_code == 302
    assert not ActivityRecord.objects.exists()


def test_my_activities_query_count_does_not_grow_with_records(w):
    client = w.client("wang1")
    url = reverse("activities:mine")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    services.activity_record_create(data=own(w), actor=w.actor("wang1"))
    services.activity_record_create(data=meeting(w), actor=w.actor("owner"))
    few = count()
    for i in range(12):
        services.activity_record_create(data=own(w, topic=f"服务{i}"), actor=w.actor("wang1"))
        services.activity_record_create(data=meeting(w, topic=f"会议{i}"), actor=w.actor("owner"))
    assert count() == few


def test_a_member_without_a_party_organisation_is_told_so(w):
    w.members_a[0].party_org = None
    w.members_a[0].save()
    client = w.client("wang1")
    body = client.get(reverse("activities:mine")).content.decode()
    assert "还没有你所在的党组织" in body and 'id="new-own-record"' not in body
    posted = {"kind": kind("volunteer").pk, "held_on": timezone.localdate(), "topic": "x"}
    assert client.post(reverse("activities:mine_new"), posted).status_code == 200
    assert not ActivityRecord.objects.exists()
