"""The one test world: the standard personas and the one way to log them in.

Personas are named once here; tests/conftest.py offers each as a fixture (committee, unit_a and
unit_b are the conftest's own), and modules with a world of their own make them with `persona()`.

| persona            | role                 | where                              |
|--------------------|----------------------|------------------------------------|
| `committee_admin`  | 工委管理员            | the committee                      |
| `committee_leader` | 工委领导              | the committee                      |
| `security_admin`   | 安全管理员            | the committee                      |
| `auditor`          | 审计员               | the committee                      |
| `reviewer`         | 评审组成员            | the committee                      |
| `unit_admin`       | 单位联络员 (owner)    | unit A                             |
| `unit_leader`      | 单位领导 (colleague)  | unit A                             |
| `member`           | 党员                 | unit A                             |
| `outsider`         | 单位联络员            | unit B, same committee             |
| `other_admin`      | 工委管理员            | another committee                  |

Logging in goes through the real login form (session fields, audit entry and all): the `login`
fixture for the test's own `client`, `logged_in(user)` for a fresh browser per persona, `log_in`
for a Playwright page. No test bypasses the form (`force_login`): the login is part of what the
suite checks.

The campaign worlds (tests/evaluations/campaign_fixtures.py is the standard one) are built of
the pieces at the end: `committee_with_units`, `active_campaign` and `review_group`.

A test that needs one of these people takes its fixture; a world of its own (the spot-check,
ledger, bulletin, problem-list and document worlds) makes them with `persona()`. The bare
`tests.factories.make_user` is left for accounts that are no persona: a role given as a test
parameter, or a second account of a role the test already has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.test import Client

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment
from mofan.campaigns.services import campaign_activate, campaign_create
from mofan.evaluations.models import Assignment, ReviewerSeat, ReviewGroup
from mofan.indicators.models import IndicatorVersion
from mofan.organizations.models import Committee, Unit
from tests.factories import PASSWORD, CommitteeFactory, UnitFactory, make_user

if TYPE_CHECKING:
    from playwright.sync_api import Page

# name: (role, where) — where is "committee", "a", "b" or "other" (another committee)
PERSONAS: dict[str, tuple[str, str]] = {
    "committee_admin": (Role.COMMITTEE_ADMIN, "committee"),
    "committee_leader": (Role.COMMITTEE_LEADER, "committee"),
    "security_admin": (Role.SECURITY_ADMIN, "committee"),
    "auditor": (Role.AUDITOR, "committee"),
    "reviewer": (Role.REVIEWER, "committee"),
    "unit_admin": (Role.UNIT_ADMIN, "a"),
    "unit_leader": (Role.UNIT_LEADER, "a"),
    "member": (Role.MEMBER, "a"),
    "outsider": (Role.UNIT_ADMIN, "b"),
    "other_admin": (Role.COMMITTEE_ADMIN, "other"),
}


def persona(
    name: str,
    *,
    committee: Committee | None = None,
    unit_a: Unit | None = None,
    unit_b: Unit | None = None,
    other: Committee | None = None,
    **kw: object,
) -> User:
    """A new account for the persona `name` (see PERSONAS); `kw` go to the user factory.

    The committee defaults to unit A's; `other_admin` gets a committee of its own unless
    `other` names one."""
    role, where = PERSONAS[name]
    if where == "a":
        return make_user(role, unit=unit_a, **kw)
    if where == "b":
        return make_user(role, unit=unit_b, **kw)
    if where == "other":
        return make_user(role, committee=other or CommitteeFactory(), **kw)
    return make_user(role, committee=committee or (unit_a.committee if unit_a else None), **kw)


def logged_in(
    user: User | None, client: Client | None = None, *, password: str = PASSWORD
) -> Client:
    """`client` (a fresh browser by default) logged in as `user` through the real login form;
    left anonymous for None."""
    if client is None:
        client = Client()
    if user is not None:
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": password}
        )
        assert response.status_code == 302, response.content.decode()[:500]
    return client


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """The same login in a real browser (Playwright `page`, live server at `base`)."""
    page.goto(f"{base}/accounts/login/")
    form = page.locator("main form")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码").fill(password)
    form.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


# --- the pieces every campaign world is built of ------------------------------------------------


def committee_with_units(
    *, name: str, code: str, units: Sequence[str] = ("甲", "乙")
) -> tuple[Committee, list[Unit]]:
    """A committee and its units, named after their short names: 甲 → 甲单位."""
    committee = CommitteeFactory(name=name, code=code)
    return committee, [
        UnitFactory(committee=committee, name=f"{short}单位", short_name=short) for short in units
    ]


def active_campaign(
    *,
    committee: Committee,
    version: IndicatorVersion,
    admin: User,
    name: str,
    year: int,
    **fields: Any,
) -> Campaign:
    """A campaign created and activated by the committee admin through the services (every
    active unit of the committee enrolled)."""
    actor = actor_for(admin)
    campaign = campaign_create(
        committee=committee, name=name, year=year, version=version, actor=actor, **fields
    )
    campaign_activate(campaign=campaign, actor=actor, past_deadline_confirmed=True)
    return campaign


def review_group(
    campaign: Campaign,
    name: str,
    leader: User,
    *,
    seats: Iterable[User] | None = None,
    enrollments: Iterable[Enrollment] = (),
) -> tuple[ReviewGroup, list[Assignment]]:
    """A review group written as plain rows: its leader, its seats (the leader alone by
    default) and the enrollments assigned to it."""
    group = ReviewGroup.objects.create(campaign=campaign, name=name, leader=leader)
    ReviewerSeat.objects.bulk_create(
        ReviewerSeat(group=group, reviewer=reviewer) for reviewer in seats or (leader,)
    )
    return group, [Assignment.objects.create(group=group, enrollment=e) for e in enrollments]


__all__ = [
    "PERSONAS",
    "active_campaign",
    "committee_with_units",
    "log_in",
    "logged_in",
    "persona",
    "review_group",
]
