"""A committee ready for spot checks, and the personas of the spot-check tests.

Ten units in three categories (5 government, 3 party, 2 mass), all enrolled in one campaign on a
small published indicator system; six reviewers in the inspector pool, the first of whom is also
the admin of unit 0 (so is never sent to unit 0) and the second a member of unit 1. Another
committee has its own campaign, units and reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign
from mofan.campaigns.services import campaign_create
from mofan.indicators.models import IndicatorVersion
from mofan.organizations.models import Committee, Unit, UnitCategory
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, MemberFactory, UnitFactory
from tests.world import active_campaign, committee_with_units, persona

CATEGORIES = [UnitCategory.GOVERNMENT] * 5 + [UnitCategory.PARTY] * 3 + [UnitCategory.MASS] * 2


@dataclass
class SpotWorld:
    committee: Committee
    units: list[Unit]
    campaign: Campaign
    version: IndicatorVersion
    reviewers: list[User]
    other_committee: Committee
    other_units: list[Unit]
    other_campaign: Campaign
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        return actor_for(self.users[name])

    @property
    def admin(self) -> Actor:
        return self.actor("committee_admin")


def build(code: str = "spot", version: IndicatorVersion | None = None) -> SpotWorld:
    version = version or small_version(f"spot-{code}")
    committee = CommitteeFactory(name=f"抽查测试工委{code}", code=code)
    units = [
        UnitFactory(committee=committee, name=f"{code}单位{i:02d}", category=cat, sort_order=i)
        for i, cat in enumerate(CATEGORIES)
    ]
    other, other_units = committee_with_units(
        name=f"另一工委{code}", code=f"{code}-other", units=[f"{code}外{i}" for i in range(3)]
    )
    users = {
        name: persona(name, committee=committee, other=other)
        for name in ("committee_admin", "committee_leader", "auditor", "security_admin")
    }
    users["other_admin"] = persona("other_admin", other=other)
    users["other_reviewer"] = persona("reviewer", committee=other)
    users["other_unit_admin"] = persona("unit_admin", unit_a=other_units[0])
    reviewers = [
        persona("reviewer", committee=committee, full_name=f"检查员{i}号") for i in range(6)
    ]
    RoleAssignment.objects.create(
        user=reviewers[0], role=Role.UNIT_ADMIN, committee=committee, unit=units[0]
    )
    reviewers[1].member = MemberFactory(unit=units[1], name="检查员1号")
    reviewers[1].save(update_fields=["member"])
    for i, unit in enumerate(units):
        for name, standard in (
            ("admin", "unit_admin"),
            ("leader", "unit_leader"),
            ("member", "member"),
        ):
            users[f"{name}{i}"] = persona(standard, unit_a=unit)
    campaign = active_campaign(
        committee=committee,
        version=version,
        admin=users["committee_admin"],
        name=f"{code}年度创建",
        year=2024,
    )
    other_campaign = campaign_create(
        committee=other,
        name=f"{code}外工委活动",
        year=2024,
        version=version,
        actor=actor_for(users["other_admin"]),
    )
    return SpotWorld(
        committee=committee,
        units=units,
        campaign=Campaign.objects.get(pk=campaign.pk),
        version=version,
        reviewers=reviewers,
        other_committee=other,
        other_units=other_units,
        other_campaign=other_campaign,
        users=users,
    )
