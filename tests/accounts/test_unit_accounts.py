"""Issue 14 point 3, the account side: bulk creation from the unit list makes, by default, both
a 联络员 (fills in) and a 单位领导 (submits) for every unit, so no unit is left with nobody who
may submit; the placeholder names are corrected afterwards on the account page (audited)."""

from __future__ import annotations

import re

from django.urls import reverse

from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from tests.task_worker import run_queued_tasks
from tests.world import logged_in, persona


def _checked_roles(page: str) -> list[str]:
    """The role checkboxes the form shows ticked, as a clerk who changes nothing would post them."""
    tags = re.findall(r'<input[^>]*name="roles"[^>]*>', page)
    return [re.search(r'value="([^"]+)"', t).group(1) for t in tags if "checked" in t]


def test_bulk_creation_by_default_makes_a_liaison_and_a_leader_per_unit(
    committee, unit_a, unit_b, django_capture_on_commit_callbacks
):
    admin = persona("committee_admin", committee=committee, unit_a=unit_a, username="gw")
    client = logged_in(admin)
    url = reverse("accounts_manage:bulk_units")
    roles = _checked_roles(client.get(url).content.decode())
    assert sorted(roles) == sorted([Role.UNIT_ADMIN, Role.UNIT_LEADER])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"units": [unit_a.pk, unit_b.pk], "roles": roles})
    assert response.status_code == 302
    assert run_queued_tasks() == 1  # the accounts are made by the worker
    for unit in (unit_a, unit_b):
        held = sorted(
            User.objects.filter(role_assignments__unit=unit).values_list(
                "role_assignments__role", flat=True
            )
        )
        assert held == sorted([Role.UNIT_ADMIN, Role.UNIT_LEADER]), unit


def test_bulk_creation_for_every_unit_on_roll_or_the_units_typed(
    committee, unit_a, unit_b, django_capture_on_commit_callbacks
):
    from tests.factories import CommitteeFactory, UnitFactory

    gone = UnitFactory(committee=committee, name="已撤销单位", is_active=False)
    UnitFactory(committee=CommitteeFactory(), name="外委单位")
    admin = persona("committee_admin", committee=committee, unit_a=unit_a, username="gw")
    client = logged_in(admin)
    url = reverse("accounts_manage:bulk_units")
    page = client.post(url, {"roles": [Role.UNIT_ADMIN]}).content.decode()
    assert "请选择单位" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"units_text": "乙单位", "roles": [Role.UNIT_ADMIN]})
    assert response.status_code == 302
    assert run_queued_tasks() == 1
    assert set(
        User.objects.filter(role_assignments__unit__isnull=False).values_list(
            "role_assignments__unit_id", flat=True
        )
    ) == {unit_b.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"all_units": "on", "roles": [Role.UNIT_LEADER]})
    assert response.status_code == 302
    assert run_queued_tasks() == 1
    leaders = User.objects.filter(role_assignments__role=Role.UNIT_LEADER)
    assert set(leaders.values_list("role_assignments__unit_id", flat=True)) == {
        unit_a.pk,
        unit_b.pk,
    }  # not the closed unit, not another committee's
    assert not User.objects.filter(role_assignments__unit=gone).exists()


def test_the_committee_admin_corrects_a_bulk_made_name_audited(committee, unit_a):
    admin = persona("committee_admin", committee=committee, unit_a=unit_a, username="gw")
    leader = persona("unit_leader", unit_a=unit_a, username="jia_leader", full_name="甲单位领导")
    client = logged_in(admin)
    detail = client.get(reverse("accounts_manage:detail", args=[leader.pk])).content.decode()
    assert reverse("accounts_manage:profile", args=[leader.pk]) in detail
    assert 'value="甲单位领导"' in detail  # the form starts from the current name
    url = reverse("accounts_manage:profile", args=[leader.pk])
    client.post(url, {"full_name": "  ", "phone": ""})
    leader.refresh_from_db()
    assert leader.full_name == "甲单位领导"  # a blank name is refused
    response = client.post(url, {"full_name": "李明", "phone": "13812345678"}, follow=True)
    assert "李明" in response.content.decode()
    leader.refresh_from_db()
    assert (leader.full_name, leader.phone) == ("李明", "13812345678")
    [entry] = AuditEntry.objects.filter(action="account.profile", object_id=str(leader.pk))
    assert entry.actor_id == admin.pk
    assert entry.data["before"]["full_name"] == "甲单位领导"
    assert entry.data["after"]["full_name"] == "李明"
