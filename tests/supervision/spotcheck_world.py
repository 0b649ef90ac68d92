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
from mofan.campaigns.services import campaign_activate, campaign_create
from mofan.indicators.models import IndicatorVersion
from mofan.organizations.models import Committee, Unit, UnitCategory
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, MemberFactory, UnitFactory, make_user

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
    admin_user = make_user(Role.COMMITTEE_ADMIN, committee=committee, username=f"{code}-admin")
    users = {
        "committee_admin": admin_user,
        "committee_leader": make_user(
            Role.COMMITTEE_LEADER, committee=committee, username=f"{code}-leader"
        ),
        "auditor": make_user(Role.AUDITOR, committee=committee, username=f"{code}-auditor"),
        "security_admin": make_user(
            Role.SECURITY_ADMIN, committee=committee, username=f"{code}-sec"
        ),
    }
    reviewers = [
        make_user(
            Role.REVIEWER, committee=committee, username=f"{code}-r{i}", full_name=f"检查员{i}号"
        )
        for i in range(6)
    ]
    RoleAssignment.objects.create(
        user=reviewers[0], role=Role.UNIT_ADMIN, committee=committee, unit=units[0]
    )
    reviewers[1].member = MemberFactory(unit=units[1], name="检查员1号")
    reviewers[1].save(update_fields=["member"])
    for i, unit in enumerate(units):
        users[f"admin{i}"] = make_user(Role.UNIT_ADMIN, unit=unit, username=f"{code}-ua{i}")
        users[f"leader{i}"] = make_user(Role.UNIT_LEADER, unit=unit, username=f"{code}-ul{i}")
        users[f"member{i}"] = make_user(Role.MEMBER, unit=unit, username=f"{code}-um{i}")
    admin = actor_for(admin_user)
    campaign = campaign_create(
        committee=committee, name=f"{code}年度创建", year=2024, version=version, actor=admin
    )
    campaign_activate(campaign=campaign, actor=admin)

    other = CommitteeFactory(name=f"另一工委{code}", code=f"{code}-other")
    other_units = [UnitFactory(committee=other, name=f"{code}外单位{i}") for i in range(3)]
    other_admin = make_user(Role.COMMITTEE_ADMIN, committee=other, username=f"{code}-oadmin")
    users["other_admin"] = other_admin
    users["other_reviewer"] = make_user(Role.REVIEWER, committee=other, username=f"{code}-orev")
    users["other_unit_admin"] = make_user(
        Role.UNIT_ADMIN, unit=other_units[0], username=f"{code}-oua"
    )
    other_campaign = campaign_create(
        committee=other,
        name=f"{code}外工委活动",
        year=2024,
        version=version,
        actor=actor_for(other_admin),
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
