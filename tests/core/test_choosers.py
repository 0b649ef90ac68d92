"""The province-scale chooser (core/choosers.py): one search endpoint per kind, scoped like the
pages; the forms refuse a forged id outside the scope and resolve a typed name without JS.

Every test first makes what could leak: units, party organisations, people and reviewers of
another committee (and of the colleague's unit), then proves the endpoint never lists them and
the forms refuse their ids."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import Role
from mofan.core.choosers import SEARCH_LIMIT
from mofan.rectification.models import ProblemItem
from mofan.supervision.models import LedgerItem, YellowCard
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, MemberFactory, PartyOrgFactory, UnitFactory, make_user
from tests.world import active_campaign, logged_in, persona

pytestmark = pytest.mark.django_db

OUTSIDE_UNIT = "外委单位标记"
OUTSIDE_ORG = "外委支部标记"
OUTSIDE_PERSON = "外委党员标记"
OUTSIDE_REVIEWER = "外委评审标记"


@pytest.fixture
def scene(committee, unit_a, unit_b):
    other = CommitteeFactory(name="另一工委", code="other")
    outside = UnitFactory(committee=other, name=OUTSIDE_UNIT, short_name="外委")
    gone = UnitFactory(committee=committee, name="已撤销单位", is_active=False)
    users = {
        name: persona(name, committee=committee, unit_a=unit_a, unit_b=unit_b, other=other)
        for name in (
            "committee_admin",
            "committee_leader",
            "security_admin",
            "auditor",
            "reviewer",
            "unit_admin",
            "unit_leader",
            "member",
            "outsider",
            "other_admin",
        )
    }
    orgs = {
        "a": PartyOrgFactory(unit=unit_a, name="甲党支部"),
        "b": PartyOrgFactory(unit=unit_b, name="乙党支部"),
        "x": PartyOrgFactory(unit=outside, name=OUTSIDE_ORG),
    }
    people = {
        "a": MemberFactory(unit=unit_a, name="甲党员", post="办公室主任"),
        "b": MemberFactory(unit=unit_b, name="乙党员"),
        "x": MemberFactory(unit=outside, name=OUTSIDE_PERSON),
    }
    make_user(Role.REVIEWER, committee=other, full_name=OUTSIDE_REVIEWER)
    return {
        "other": other,
        "outside": outside,
        "gone": gone,
        "users": users,
        "orgs": orgs,
        "people": people,
    }


def choose(client, kind: str, q: str = "", **params: object) -> str:
    response = client.get(reverse("choosers:choose", args=[kind]), {"q": q, **params})
    assert response.status_code == 200
    return response.content.decode()


def picks(html: str) -> list[str]:
    return re.findall(r'data-label="([^"]*)"', html)


# which units each persona finds in each unit scope
UNIT_SCOPES = {
    "ledger": {
        "committee_admin": {"甲单位", "乙单位", "已撤销单位"},
        "other_admin": {OUTSIDE_UNIT},
    },
    "listable": {"committee_admin": {"甲单位", "乙单位"}, "other_admin": {OUTSIDE_UNIT}},
    "grants": {
        "committee_admin": {"甲单位", "乙单位", "已撤销单位"},
        "security_admin": {"甲单位", "乙单位", "已撤销单位"},
        "other_admin": {OUTSIDE_UNIT},
    },
}


@pytest.mark.parametrize("scope", sorted(UNIT_SCOPES))
def test_unit_search_lists_exactly_the_scope_of_each_persona(scene, scope):
    failures = []
    for name, user in scene["users"].items():
        client = logged_in(user)
        shown = set(picks(choose(client, "unit", "单位", scope=scope)))
        expected = UNIT_SCOPES[scope].get(name, set())
        if shown != expected:
            failures.append(f"{name}: {sorted(shown)} != {sorted(expected)}")
    assert not failures, "\n".join(failures)


def test_party_org_search_offers_the_committees_uncarded_orgs_only(scene, unit_a):
    users, orgs = scene["users"], scene["orgs"]
    YellowCard.objects.create(
        party_org=orgs["b"],
        committee=unit_a.committee,
        reasons="软弱涣散",
        issued_on="2026-01-05",
        issued_by=users["committee_admin"],
    )
    admin = logged_in(users["committee_admin"])
    assert picks(choose(admin, "party_org", "支部", scope="cardable")) == ["甲 · 甲党支部"]
    other = logged_in(users["other_admin"])
    assert picks(choose(other, "party_org", "", scope="cardable")) == [f"外委 · {OUTSIDE_ORG}"]
    for name in ("committee_leader", "unit_admin", "reviewer", "auditor"):
        assert picks(choose(logged_in(users[name]), "party_org", "", scope="cardable")) == []


def test_person_search_is_one_roster_the_actor_may_change(scene, unit_a, unit_b):
    users, outside = scene["users"], scene["outside"]
    owner = logged_in(users["unit_admin"])
    assert picks(choose(owner, "person", "党员", scope="roster", unit=unit_a.pk)) == [
        "甲党员（办公室主任）"
    ]
    assert picks(choose(owner, "person", "党员", scope="roster", unit=unit_b.pk)) == []
    assert picks(choose(owner, "person", "", scope="roster", unit=outside.pk)) == []
    admin = logged_in(users["committee_admin"])
    assert picks(choose(admin, "person", "", scope="roster", unit=unit_b.pk)) == ["乙党员"]
    assert picks(choose(admin, "person", "", scope="roster", unit=outside.pk)) == []
    for name in ("unit_leader", "member", "outsider", "committee_leader"):
        client = logged_in(users[name])
        assert picks(choose(client, "person", "", scope="roster", unit=unit_a.pk)) == [], name


def test_reviewer_search_is_the_pool_of_a_campaign_the_admin_runs(scene, committee):
    users = scene["users"]
    campaign = active_campaign(
        committee=committee,
        version=small_version(),
        admin=users["committee_admin"],
        name="2026年创建",
        year=2026,
    )
    admin = logged_in(users["committee_admin"])
    found = picks(choose(admin, "reviewer", "", scope="campaign", campaign=campaign.pk))
    assert found == [str(users["reviewer"])]
    for name in ("other_admin", "committee_leader", "reviewer", "unit_admin"):
        client = logged_in(users[name])
        assert picks(choose(client, "reviewer", "", scope="campaign", campaign=campaign.pk)) == []
    assert picks(choose(admin, "reviewer", "", scope="campaign", campaign="x")) == []


def test_unknown_kinds_and_scopes_are_404_and_anonymous_is_sent_to_log_in(scene):
    admin = logged_in(scene["users"]["committee_admin"])
    assert (
        admin.get(reverse("choosers:choose", args=["planet"]), {"scope": "ledger"}).status_code
        == 404
    )
    assert (
        admin.get(reverse("choosers:choose", args=["unit"]), {"scope": "nope"}).status_code == 404
    )
    anonymous = logged_in(None)
    response = anonymous.get(reverse("choosers:choose", args=["unit"]), {"scope": "ledger"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_search_is_capped_and_its_queries_do_not_grow_with_the_units(scene, committee):
    admin = logged_in(scene["users"]["committee_admin"])
    counts = []
    for total in (30, 60):
        UnitFactory.create_batch(total - committee.units.count(), committee=committee)
        with CaptureQueriesContext(connection) as captured:
            html = choose(admin, "unit", "", scope="ledger")
        assert len(picks(html)) == SEARCH_LIMIT and "仅显示前" in html
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


# --- the forms --------------------------------------------------------------------------------


def ledger_post(unit: object = "", text: str = "") -> dict[str, object]:
    return {
        "unit": unit,
        "unit_text": text,
        "task": "落实整改",
        "leader_in_charge": "张三",
        "deadline": "2099-12-31",
        "cadence": "monthly",
    }


def test_the_ledger_form_takes_a_picked_id_and_refuses_a_forged_one(scene, unit_a):
    admin = logged_in(scene["users"]["committee_admin"])
    url = reverse("supervision:ledger_create")
    page = admin.get(url).content.decode()
    assert "甲单位" not in page and 'name="unit_text"' in page  # no list of every unit
    forged = admin.post(url, ledger_post(scene["outside"].pk))
    assert forged.status_code == 200
    assert "不在您可以选择的范围内" in forged.content.decode()
    assert not LedgerItem.objects.exists()
    response = admin.post(url, ledger_post(unit_a.pk, "甲单位"))
    assert response.status_code == 302
    assert LedgerItem.objects.get().unit == unit_a


def test_without_js_the_typed_name_or_code_is_resolved_or_the_candidates_listed(scene, unit_b):
    admin = logged_in(scene["users"]["committee_admin"])
    url = reverse("supervision:ledger_create")
    page = admin.post(url, ledger_post(text="单位")).content.decode()
    assert "对应多个单位" in page and "甲单位" in page and "乙单位" in page
    assert OUTSIDE_UNIT not in page
    page = admin.post(url, ledger_post(text=OUTSIDE_UNIT)).content.decode()
    assert "没有找到" in page and not LedgerItem.objects.exists()
    assert admin.post(url, ledger_post(text=unit_b.credit_code)).status_code == 302
    assert LedgerItem.objects.get().unit == unit_b
    # a stale hidden id does not win over a name typed afterwards
    assert admin.post(url, ledger_post(scene["outside"].pk, "乙")).status_code == 302
    assert LedgerItem.objects.filter(unit=unit_b).count() == 2


def test_the_yellow_card_form_refuses_another_committees_org(scene):
    admin = logged_in(scene["users"]["committee_admin"])
    url = reverse("supervision:yellow_card_create")
    data = {"reasons": "软弱涣散", "issued_on": "2026-01-05"}
    page = admin.post(url, {**data, "party_org": scene["orgs"]["x"].pk}).content.decode()
    assert "不在您可以选择的范围内" in page and not YellowCard.objects.exists()
    response = admin.post(url, {**data, "party_org_text": "甲 · 甲党支部"})
    assert response.status_code == 302
    assert YellowCard.objects.get().party_org == scene["orgs"]["a"]


def test_the_problem_list_form_refuses_an_inactive_or_outside_unit(scene, unit_a):
    admin = logged_in(scene["users"]["committee_admin"])
    url = reverse("rectification:item_new")
    data = {"source": "committee_check", "description": "问题", "severity": "general"}
    data["deadline"] = "2099-01-01"
    for unit in (scene["outside"], scene["gone"]):
        page = admin.post(url, {**data, "unit": unit.pk}).content.decode()
        assert "不在您可以选择的范围内" in page
    assert not ProblemItem.objects.exists()
    assert admin.post(url, {**data, "unit_text": "甲"}).status_code == 302
    assert ProblemItem.objects.get().unit == unit_a


def test_the_role_grant_takes_a_typed_unit_and_refuses_another_committees(scene, unit_a, unit_b):
    target = make_user(Role.MEMBER, unit=unit_a, full_name="待授权")
    security = logged_in(scene["users"]["security_admin"])
    url = reverse("accounts_manage:role_grant", args=[target.pk])
    forged = {"role": Role.UNIT_LEADER, "unit": scene["outside"].pk}
    page = security.post(url, forged, follow=True).content.decode()
    assert "不在您可以选择的范围内" in page
    assert not RoleAssignment.objects.filter(user=target, role=Role.UNIT_LEADER).exists()
    security.post(url, {"role": Role.UNIT_LEADER, "unit_text": "乙单位"})
    assert RoleAssignment.objects.get(user=target, role=Role.UNIT_LEADER).unit == unit_b


def test_the_party_org_form_picks_its_secretary_from_its_own_roster(scene, unit_a):
    owner = logged_in(scene["users"]["unit_admin"])
    org = scene["orgs"]["a"]
    url = reverse("organizations:party_org_edit", args=[org.pk])
    data = {"kind": org.kind, "name": org.name, "sort_order": 0, "term_years": 3}
    page = owner.post(url, {**data, "secretary": scene["people"]["b"].pk}).content.decode()
    assert "不在您可以选择的范围内" in page
    org.refresh_from_db()
    assert org.secretary is None
    assert owner.post(url, {**data, "secretary_text": "甲党员"}).status_code == 302
    org.refresh_from_db()
    assert org.secretary == scene["people"]["a"]


def test_the_review_group_form_picks_its_members_within_the_pool(scene, committee):
    from mofan.accounts.models import User
    from mofan.evaluations.models import ReviewGroup

    users = scene["users"]
    campaign = active_campaign(
        committee=committee,
        version=small_version(),
        admin=users["committee_admin"],
        name="2026年创建",
        year=2026,
    )
    second = make_user(Role.REVIEWER, committee=committee, full_name="第二评审")
    third = make_user(Role.REVIEWER, committee=committee, full_name="第三评审")
    outsider = User.objects.get(full_name=OUTSIDE_REVIEWER)
    admin = logged_in(users["committee_admin"])
    url = reverse("reviews:groups", args=[campaign.pk])
    page = admin.get(url).content.decode()
    assert OUTSIDE_REVIEWER not in page and "第二评审" not in page  # no list of the pool
    base = {"name": "一组", "leader": users["reviewer"].pk}
    refused = admin.post(url, {**base, "reviewers": [second.pk, outsider.pk]}).content.decode()
    assert "不在您可以选择的范围内" in refused and not ReviewGroup.objects.exists()
    typed = admin.post(url, {**base, "reviewers_text": f"{OUTSIDE_REVIEWER}、第三评审"})
    assert "没有找到" in typed.content.decode() and not ReviewGroup.objects.exists()
    response = admin.post(url, {**base, "reviewers": [second.pk], "reviewers_text": "第三评审"})
    assert response.status_code == 302
    group = ReviewGroup.objects.get()
    members = set(group.seats.values_list("reviewer_id", flat=True))
    assert members == {users["reviewer"].pk, second.pk, third.pk}


def test_the_party_org_committee_members_come_from_its_own_roster(scene, unit_a):
    owner = logged_in(scene["users"]["unit_admin"])
    org, own, theirs = scene["orgs"]["a"], scene["people"]["a"], scene["people"]["b"]
    url = reverse("organizations:party_org_edit", args=[org.pk])
    data = {"kind": org.kind, "name": org.name, "sort_order": 0, "term_years": 3}
    page = owner.post(url, {**data, "committee_members": [theirs.pk]}).content.decode()
    assert "不在您可以选择的范围内" in page and not org.committee_members.exists()
    assert owner.post(url, {**data, "committee_members_text": "甲党员"}).status_code == 302
    assert list(org.committee_members.all()) == [own]
    page = owner.get(url).content.decode()  # the seat held shows as a checked box
    assert f'name="committee_members" value="{own.pk}" checked' in page
    assert theirs.name not in page


def test_the_campaign_form_enrols_the_units_typed_or_picked_within_the_committee(
    scene, committee, unit_a, unit_b
):
    from mofan.campaigns.models import Campaign, Enrollment

    admin = logged_in(scene["users"]["committee_admin"])
    url = reverse("campaigns:create")
    data = {
        "name": "新活动",
        "year": 2026,
        "version": small_version().pk,
        "all_units": "",
        "honours_quota": "0.2",
        "weight_self": "0",
        "weight_review": "1",
        "band_excellent": "0.9",
        "band_good": "0.8",
        "band_pass": "0.6",
    }
    page = admin.get(url).content.decode()
    assert "甲单位" not in page and 'name="units_text"' in page  # no box per unit
    for forged in (scene["outside"], scene["gone"]):
        page = admin.post(url, {**data, "units": [unit_a.pk, forged.pk]}).content.decode()
        assert "不在您可以选择的范围内" in page
    assert not Campaign.objects.exists()
    response = admin.post(url, {**data, "units": [unit_a.pk], "units_text": "乙单位"})
    assert response.status_code == 302
    enrolled = set(Enrollment.objects.values_list("unit_id", flat=True))
    assert enrolled == {unit_a.pk, unit_b.pk}
