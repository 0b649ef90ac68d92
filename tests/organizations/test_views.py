"""Happy paths of the organisation pages: units, the party organisation tree with its file card
(建档立卡, 换届 reminders) and the member roster, each change audited."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from mofan.organizations.models import Member, PartyOrganization, PartyOrgKind, Unit
from tests.factories import MemberFactory, PartyOrgFactory, UnitFactory

VALID_CODE = "91350100M000100Y43"  # a real, published unified social credit code


def field_block(body: str, field_name: str) -> str:
    """The form_fields.html block (label, widget, errors) of one field."""
    blocks = [b for b in re.split(r'<div class="field[ "]', body) if f'name="{field_name}"' in b]
    assert len(blocks) == 1, field_name
    return blocks[0]


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def unit_payload(unit: Unit, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": unit.name,
        "short_name": unit.short_name,
        "credit_code": unit.credit_code,
        "category": unit.category,
        "sort_order": unit.sort_order,
        "is_active": "on",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------------------------------------
# Units: the committee admin edits, with the GB 32100 check shown next to the field
# ---------------------------------------------------------------------------------------------


def test_committee_admin_edits_a_unit_with_a_valid_credit_code(login, committee_admin, unit_a):
    client = login(committee_admin)
    url = reverse("organizations:unit_edit", args=[unit_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, unit_payload(unit_a, credit_code=VALID_CODE, short_name="甲局"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:unit_detail", args=[unit_a.pk])
    unit_a.refresh_from_db()
    assert (unit_a.credit_code, unit_a.short_name) == (VALID_CODE, "甲局")
    (entry,) = entries("unit.update")
    assert entry.actor_name == committee_admin.username
    assert entry.data["after"]["credit_code"] == VALID_CODE
    assert entry.data["before"]["short_name"] == "甲"
    assert VALID_CODE in client.get(response["Location"]).content.decode()


def test_lowercase_credit_code_is_stored_upper_case(login, committee_admin, unit_a):
    client = login(committee_admin)
    url = reverse("organizations:unit_edit", args=[unit_a.pk])
    response = client.post(url, unit_payload(unit_a, credit_code=VALID_CODE.lower()))
    assert response.status_code == 302
    unit_a.refresh_from_db()
    assert unit_a.credit_code == VALID_CODE


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (VALID_CODE[:-1] + "4", "统一社会信用代码校验位不正确，请核对。"),
        (VALID_CODE[:-1], "统一社会信用代码应为18位，当前为17位。"),
        ("91350100M0001O0Y43", "统一社会信用代码含有不允许的字符：O（不使用 I、O、Z、S、V）。"),
        ("9135A100M000100Y43", "统一社会信用代码第3至8位应为行政区划码（数字）。"),
    ],
)
def test_invalid_credit_code_shows_the_chinese_error_next_to_the_field(
    login, committee_admin, unit_a, code, message
):
    client = login(committee_admin)
    before = unit_a.credit_code
    url = reverse("organizations:unit_edit", args=[unit_a.pk])
    response = client.post(url, unit_payload(unit_a, credit_code=code, name="不应保存"))
    assert response.status_code == 200
    block = field_block(response.content.decode(), "credit_code")
    assert "has-error" in block
    assert message in block
    unit_a.refresh_from_db()
    assert (unit_a.credit_code, unit_a.name) == (before, "甲单位")
    assert entries("unit.update") == []


@pytest.mark.parametrize("transform", [str, str.lower, lambda c: f"  {c.lower()} "])
def test_credit_code_of_another_unit_is_refused_with_a_chinese_error(
    login, committee_admin, unit_a, unit_b, transform
):
    """However it is typed, a code already in use is refused on the form (never a crash),
    without naming the unit that holds it (that unit may belong to another committee)."""
    other_committee_unit = UnitFactory(name="外工委单位")
    client = login(committee_admin)
    url = reverse("organizations:unit_edit", args=[unit_a.pk])
    for holder in (unit_b, other_committee_unit):
        response = client.post(url, unit_payload(unit_a, credit_code=transform(holder.credit_code)))
        assert response.status_code == 200
        block = field_block(response.content.decode(), "credit_code")
        assert "该统一社会信用代码已被其他单位使用。" in block
        assert holder.name not in response.content.decode()
    unit_a.refresh_from_db()
    assert unit_a.credit_code not in (unit_b.credit_code, other_committee_unit.credit_code)


def test_unit_save_service_refuses_a_lower_case_duplicate(committee_admin, unit_a, unit_b):
    """Without the form too: a duplicate is a validation error, never a database crash."""
    from django.core.exceptions import ValidationError

    from mofan.accounts.access import actor_for
    from mofan.organizations import services

    unit_a.credit_code = unit_b.credit_code.lower()
    with pytest.raises(ValidationError):
        services.unit_save(unit=unit_a, actor=actor_for(committee_admin))
    assert Unit.objects.get(pk=unit_a.pk).credit_code != unit_b.credit_code


def test_committee_admin_creates_a_unit_with_a_blank_credit_code(login, committee_admin):
    client = login(committee_admin)
    payload = {
        "name": "焦作市新设局",
        "short_name": "新设局",
        "credit_code": "",
        "category": "government",
        "sort_order": 80,
        "is_active": "on",
    }
    response = client.post(reverse("organizations:unit_create"), payload)
    assert response.status_code == 302
    unit = Unit.objects.get(name="焦作市新设局")
    assert (unit.committee_id, unit.credit_code) == (committee_admin.committee_id, "")
    assert entries("unit.create")[0].object_id == str(unit.pk)


def test_unit_name_is_unique_in_the_committee(login, committee_admin, unit_a, unit_b):
    client = login(committee_admin)
    url = reverse("organizations:unit_edit", args=[unit_a.pk])
    response = client.post(url, unit_payload(unit_a, name=unit_b.name))
    assert response.status_code == 200
    unit_a.refresh_from_db()
    assert unit_a.name == "甲单位"


# ---------------------------------------------------------------------------------------------
# The party organisation tree
# ---------------------------------------------------------------------------------------------


def org_payload(kind: str, name: str, parent: PartyOrganization | None = None, **extra):
    data = {
        "kind": kind,
        "name": name,
        "parent": parent.pk if parent else "",
        "sort_order": 0,
        "term_years": 3,
        "elected_on": "",
        "election_due_on": "",
    }
    data.update(extra)
    return data


def test_unit_admin_builds_a_party_org_tree(login, unit_admin, unit_a):
    client = login(unit_admin)
    create = reverse("organizations:party_org_create", args=[unit_a.pk])
    tree = [
        (PartyOrgKind.ORGAN_COMMITTEE, "甲单位机关党委", None),
        (PartyOrgKind.BRANCH, "甲单位第一党支部", "甲单位机关党委"),
        (PartyOrgKind.GROUP, "甲单位第一党小组", "甲单位第一党支部"),
    ]
    for kind, name, parent_name in tree:
        parent = PartyOrganization.objects.get(name=parent_name) if parent_name else None
        response = client.post(
            create, org_payload(kind, name, parent, elected_on="2023-07-01", term_years=5)
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        org = PartyOrganization.objects.get(name=name)
        assert response["Location"] == reverse("organizations:party_org_detail", args=[org.pk])
        assert (org.unit_id, org.parent, org.kind) == (unit_a.pk, parent, kind)
        # 换届 due date derived from the election date and the term
        assert org.election_due_on == datetime.date(2028, 7, 1)
    assert [e.data["after"]["name"] for e in entries("party_org.create")] == [n for _, n, _ in tree]

    body = client.get(reverse("organizations:unit_detail", args=[unit_a.pk])).content.decode()
    rows = re.findall(r'class="tree-depth-(\d)"><a [^>]*>([^<]+)</a>', body)
    assert rows == [("0", "甲单位机关党委"), ("1", "甲单位第一党支部"), ("2", "甲单位第一党小组")]


@pytest.mark.parametrize(
    ("kind", "parent_kind", "message"),
    [
        (PartyOrgKind.GROUP, None, "“党小组”不能设在“单位（顶层）”之下。"),
        (PartyOrgKind.ORGAN_COMMITTEE, PartyOrgKind.BRANCH, "“机关党委”不能设在“党支部”之下。"),
        (PartyOrgKind.GROUP, PartyOrgKind.ORGAN_COMMITTEE, "“党小组”不能设在“机关党委”之下。"),
        (PartyOrgKind.BRANCH, PartyOrgKind.GROUP, "“党支部”不能设在“党小组”之下。"),
    ],
)
def test_invalid_nesting_shows_a_chinese_error(
    login, unit_admin, unit_a, kind, parent_kind, message
):
    parent = PartyOrgFactory(unit=unit_a, kind=parent_kind) if parent_kind else None
    client = login(unit_admin)
    count = PartyOrganization.objects.count()
    response = client.post(
        reverse("organizations:party_org_create", args=[unit_a.pk]),
        org_payload(kind, "错误层级的组织", parent),
    )
    assert response.status_code == 200
    block = field_block(response.content.decode(), "parent")
    assert "has-error" in block and message in block
    assert PartyOrganization.objects.count() == count
    assert entries("party_org.create") == []


def test_changing_the_kind_keeps_the_children_validly_nested(login, unit_admin, unit_a):
    """A 党支部 with a 党小组 under it cannot become a 党总支: a 党小组 sits only under a 党支部."""
    branch = PartyOrgFactory(unit=unit_a, kind=PartyOrgKind.BRANCH, name="甲第一党支部")
    PartyOrgFactory(unit=unit_a, kind=PartyOrgKind.GROUP, parent=branch, name="甲第一党小组")
    client = login(unit_admin)
    response = client.post(
        reverse("organizations:party_org_edit", args=[branch.pk]),
        org_payload(PartyOrgKind.GENERAL_BRANCH, "甲第一党总支"),
    )
    assert response.status_code == 200
    assert "“党小组”不能设在“党总支”之下。" in field_block(response.content.decode(), "kind")
    branch.refresh_from_db()
    assert (branch.kind, branch.name) == (PartyOrgKind.BRANCH, "甲第一党支部")


def test_file_card_with_secretary_and_committee_members(login, unit_admin, unit_a):
    branch = PartyOrgFactory(unit=unit_a, kind=PartyOrgKind.BRANCH, name="甲第一党支部")
    secretary = MemberFactory(unit=unit_a, party_org=branch, name="王书记")
    deputy = MemberFactory(unit=unit_a, party_org=branch, name="李委员")
    client = login(unit_admin)
    payload = org_payload(
        PartyOrgKind.BRANCH,
        "甲第一党支部",
        secretary=secretary.pk,
        committee_members=[secretary.pk, deputy.pk],
        elected_on="2024-03-15",
    )
    response = client.post(reverse("organizations:party_org_edit", args=[branch.pk]), payload)
    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.secretary == secretary
    assert set(branch.committee_members.all()) == {secretary, deputy}
    (entry,) = entries("party_org.update")
    assert entry.data["before"]["committee_members"] == []
    assert entry.data["after"]["committee_members"] == sorted([secretary.pk, deputy.pk])
    body = client.get(reverse("organizations:party_org_detail", args=[branch.pk])).content.decode()
    assert "王书记" in body and "李委员" in body and "2027年3月15日" in body


def test_party_org_with_children_or_members_cannot_be_deleted(login, unit_admin, unit_a):
    branch = PartyOrgFactory(unit=unit_a, kind=PartyOrgKind.BRANCH)
    group = PartyOrgFactory(unit=unit_a, kind=PartyOrgKind.GROUP, parent=branch)
    MemberFactory(unit=unit_a, party_org=group)
    client = login(unit_admin)
    for org in (branch, group):
        response = client.post(
            reverse("organizations:party_org_delete", args=[org.pk]), follow=True
        )
        assert "该组织下还有下级组织或成员，不能删除。" in response.content.decode()
        assert PartyOrganization.objects.filter(pk=org.pk).exists()
    Member.objects.filter(party_org=group).delete()
    response = client.post(reverse("organizations:party_org_delete", args=[group.pk]))
    assert response.status_code == 302
    assert not PartyOrganization.objects.filter(pk=group.pk).exists()
    (entry,) = entries("party_org.delete")
    assert entry.object_id == str(group.pk) and entry.actor_name == unit_admin.username


# ---------------------------------------------------------------------------------------------
# 换届 reminders on the file card
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "badge", "listed"),
    [
        (-1, "换届逾期", True),
        (0, "90天内换届", True),
        (30, "90天内换届", True),
        (90, "90天内换届", True),
        (91, "任期内", False),
    ],
)
def test_election_flag_shows_on_the_file_card(login, unit_admin, unit_a, days, badge, listed):
    due = timezone.localdate() + datetime.timedelta(days=days)
    org = PartyOrgFactory(unit=unit_a, name="甲待换届党支部", elected_on=None, election_due_on=due)
    client = login(unit_admin)
    detail = client.get(reverse("organizations:party_org_detail", args=[org.pk])).content.decode()
    assert badge in detail
    unit_page = client.get(reverse("organizations:unit_detail", args=[unit_a.pk])).content.decode()
    assert badge in unit_page
    elections = client.get(reverse("organizations:elections")).content.decode()
    assert ("甲待换届党支部" in elections) == listed
    home = client.get(reverse("home:home")).content.decode()
    assert ("甲待换届党支部" in home) == listed


def test_file_card_without_dates_is_marked_not_on_file(login, unit_admin, unit_a):
    org = PartyOrgFactory(unit=unit_a, elected_on=None, election_due_on=None)
    client = login(unit_admin)
    body = client.get(reverse("organizations:party_org_detail", args=[org.pk])).content.decode()
    assert "未建档" in body


# ---------------------------------------------------------------------------------------------
# The roster: create, edit, delete, each audited
# ---------------------------------------------------------------------------------------------


def test_member_create_edit_delete_are_audited(login, unit_admin, unit_a):
    branch = PartyOrgFactory(unit=unit_a, kind=PartyOrgKind.BRANCH, name="甲第一党支部")
    client = login(unit_admin)
    payload = {
        "name": "张三",
        "gender": "1",
        "birth_date": "1980-05-01",
        "political_status": "01",
        "party_org": branch.pk,
        "post": "科长",
        "phone": "13812345678",
    }
    response = client.post(reverse("organizations:member_create", args=[unit_a.pk]), payload)
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:member_list", args=[unit_a.pk])
    member = Member.objects.get(name="张三")
    assert (member.unit_id, member.party_org_id, member.phone) == (
        unit_a.pk,
        branch.pk,
        "13812345678",
    )
    roster = client.get(response["Location"]).content.decode()
    assert "张三" in roster and "甲第一党支部" in roster and "科长" in roster

    payload.update(name="张三丰", post="处长", phone="")
    response = client.post(reverse("organizations:member_edit", args=[member.pk]), payload)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.post, member.phone) == ("张三丰", "处长", "")

    branch.secretary = member
    branch.save()
    response = client.post(reverse("organizations:member_delete", args=[member.pk]))
    assert response.status_code == 302
    assert not Member.objects.filter(pk=member.pk).exists()
    branch.refresh_from_db()
    assert branch.secretary is None

    created, updated, deleted = (
        entries("member.create"),
        entries("member.update"),
        entries("member.delete"),
    )
    assert len(created) == len(updated) == len(deleted) == 1
    for entry in (*created, *updated, *deleted):
        assert entry.actor_name == unit_admin.username
        assert entry.object_id == str(member.pk)
    assert created[0].data["after"]["name"] == "张三"
    assert (updated[0].data["before"]["name"], updated[0].data["after"]["name"]) == (
        "张三",
        "张三丰",
    )
    assert deleted[0].data["before"]["name"] == "张三丰"
    assert audit_verify().ok


def test_member_form_rejects_a_bad_phone_in_chinese(login, unit_admin, unit_a):
    client = login(unit_admin)
    payload = {"name": "李四", "gender": "2", "political_status": "01", "phone": "12ab"}
    response = client.post(reverse("organizations:member_create", args=[unit_a.pk]), payload)
    assert response.status_code == 200
    assert "请输入有效的电话号码" in field_block(response.content.decode(), "phone")
    assert not Member.objects.filter(name="李四").exists()
    assert entries("member.create") == []
