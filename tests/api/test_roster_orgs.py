"""Roster sync of units (committee admin) and party organisations (the unit's 联络员): all rows
checked first, all or nothing, faults by row number in Chinese; other committees' and units'
rows out of reach."""

from __future__ import annotations

import pytest

from mofan.audit.models import AuditEntry
from mofan.organizations.models import PartyOrganization, Unit
from tests.api.helpers import api_for, counts, sync, with_2fa
from tests.factories import PartyOrgFactory, valid_credit_code
from tests.world import persona

pytestmark = pytest.mark.django_db


def test_units_sync(committee_admin, unit_a, unit_b, unit_admin):
    other_admin = persona("other_admin")
    api = api_for(with_2fa(committee_admin), name="组织部单位库")
    before = list(Unit.objects.order_by("pk").values())
    rows = [
        {"name": unit_a.name, "short_name": "新简称"},
        {"name": "新单位", "category": "外星机构"},
        {"name": "新单位"},
        {"name": "另一单位", "credit_code": "BAD"},
    ]
    refused = sync(api, "/roster/units", {"rows": rows})
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert {e["row"] for e in errors} == {3, 4, 5}
    assert any("第 3 行" in e["message"] for e in errors if e["row"] == 4)
    assert list(Unit.objects.order_by("pk").values()) == before
    good = [
        {"name": unit_a.name, "short_name": "新简称"},
        {"name": "新单位", "category": "事业单位"},
    ]
    done = sync(api, "/roster/units", {"rows": good})
    assert counts(done) == {"created": 1, "updated": 1, "unchanged": 0}
    assert Unit.objects.get(pk=unit_a.pk).short_name == "新简称"
    assert Unit.objects.get(name="新单位").committee_id == unit_a.committee_id
    assert AuditEntry.objects.filter(action="unit.create", data__via_api="组织部单位库").exists()
    # the same sheet again (a daily sync): nothing to write; audited is only the sheet handed
    # to the worker
    last = AuditEntry.objects.latest("pk").pk
    again = sync(api, "/roster/units", {"rows": good})
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 2}
    new = list(AuditEntry.objects.filter(pk__gt=last).values_list("action", "data__via_api"))
    assert new == [("api.roster_sync_request", "组织部单位库")]
    # another committee's admin writes into its own committee only; a unit's admin not at all
    other = sync(api_for(with_2fa(other_admin)), "/roster/units", {"rows": [{"name": unit_b.name}]})
    assert counts(other)["created"] == 1
    assert Unit.objects.filter(name=unit_b.name).count() == 2
    assert Unit.objects.get(pk=unit_b.pk).committee_id == unit_a.committee_id
    assert sync(api_for(unit_admin), "/roster/units", {"rows": good}).status_code == 403


def test_credit_codes_stay_unique_across_the_sheet_and_every_committee(
    committee_admin, unit_a, unit_b
):
    other_admin = persona("other_admin")
    api = api_for(with_2fa(other_admin))
    held, fresh = unit_b.credit_code, valid_credit_code(9_999_001)
    assert held
    before = list(Unit.objects.order_by("pk").values())
    rows = [
        {"name": "新单位甲", "credit_code": held.lower()},  # another committee's unit has it
        {"name": "新单位乙", "credit_code": fresh},
        {"name": "新单位丙", "credit_code": fresh},  # the same as row 3
    ]
    refused = sync(api, "/roster/units", {"rows": rows})
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert [e["row"] for e in errors] == [2, 4]
    assert "已被其他单位使用" in errors[0]["message"] and "第 3 行" in errors[1]["message"]
    assert list(Unit.objects.order_by("pk").values()) == before
    # the unit that holds a code keeps it through its own committee's sync
    own = sync(
        api_for(with_2fa(committee_admin)),
        "/roster/units",
        {"rows": [{"name": unit_b.name, "credit_code": held}]},
    )
    assert counts(own)["created"] == 0 and Unit.objects.get(pk=unit_b.pk).credit_code == held
    done = sync(api, "/roster/units", {"rows": rows[1:2]})
    assert counts(done) == {"created": 1, "updated": 0, "unchanged": 0}
    assert Unit.objects.get(name="新单位乙").credit_code == fresh


def test_party_organisations_sync(unit_admin, unit_leader, outsider, unit_a, unit_b):
    PartyOrgFactory(unit=unit_b, name="乙机关党委", kind="organ_committee")
    api = api_for(unit_admin)
    rows = [
        {"name": "机关党委", "kind": "机关党委"},
        {"name": "第一支部", "kind": "党支部", "parent": "机关党委", "elected_on": "2024-03-01"},
        {"name": "第一小组", "kind": "党小组", "parent": "第一支部"},
        {"name": "坏小组", "kind": "党小组"},
        {"name": "错支部", "kind": "党支部", "parent": "乙机关党委"},
        {"name": "怪组织", "kind": "委员会"},
    ]
    refused = sync(api, "/roster/party-organisations", {"unit_id": unit_a.pk, "rows": rows})
    assert refused.status_code == 400
    assert {e["row"] for e in refused.json()["errors"]} == {5, 6, 7}
    assert not PartyOrganization.objects.filter(unit=unit_a).exists()
    done = sync(api, "/roster/party-organisations", {"unit_id": unit_a.pk, "rows": rows[:3]})
    assert counts(done) == {"created": 3, "updated": 0, "unchanged": 0}
    group = PartyOrganization.objects.get(unit=unit_a, name="第一小组")
    assert group.parent.name == "第一支部" and group.parent.parent.name == "机关党委"
    for other in (outsider, unit_leader):
        response = sync(
            api_for(other), "/roster/party-organisations", {"unit_id": unit_a.pk, "rows": rows[:1]}
        )
        assert response.status_code == 404
    assert PartyOrganization.objects.filter(unit=unit_a).count() == 3
