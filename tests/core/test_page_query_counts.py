"""Query counts of the pages `make bench` times (issue 7, point 4): each issues the same number
of queries at 10 and at 80 units, and at 10 and 80 indicators where the page shows
indicators. Not timed.

Where each page of the bench suite is covered (units / indicators):

- login page: here, 10 vs 80 units (it shows neither).
- committee dashboard, its unit table (every sort, first and later page) and the unit view:
  tests/reports/test_dashboard_queries.py, 10 vs 100 units (unit view: 1 vs 3 earlier years);
  not repeated here.
- ranking page (approval table, 50 units a page): here, 10 vs 80 units and 10 vs 80
  indicators (also tests/evaluations/test_query_counts.py, 3 vs 12 units).
- self-evaluation page: one unit's page, so indicators only: here, 10 vs 80 (also
  tests/evaluations/test_query_counts.py, 5 vs 40 leaves with evidence files, editable and
  submitted).
- reviewer's scoring page: indicators only: here, 10 vs 80 (also
  tests/evaluations/test_query_counts.py, 5 vs 40).
- score sheet page (the score trace): here, 10 vs 80 units and 10 vs 80 indicators.
- problem-list board: tests/rectification/test_query_counts.py, 3 vs 30 units and 5 vs 60
  items; not repeated here.

The campaigns here are built through the bulk score paths the simulation uses
(`evaluations.bulk`), the state transitions, the draw and the consolidation service, without
evidence files (the evidence columns are covered by tests/evaluations/test_query_counts.py), so
80 units (more than a 50-row page) build in seconds. Every unit but the last submits; both
reviewers score every leaf of every submitted unit and submit; the leader consolidates all but
one of them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.campaigns.services import campaign_activate, campaign_create
from mofan.evaluations import bulk, services
from mofan.evaluations.models import Assignment, ConsolidatedScore, ReviewScore, SelfScore
from mofan.organizations.models import Unit
from tests.evaluations.test_query_counts import (
    drawn_assignments,
    enrollments_in_order,
    leaf_input,
    leaves_version,
    reviewer_pair,
)
from tests.factories import CommitteeFactory
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db

# (units, leaves)
SIZES = {
    "10 units": (10, 10),
    "80 units": (80, 10),
    "10 indicators": (3, 10),
    "80 indicators": (3, 80),
}
_tags = itertools.count(1)
MAX_QUERIES = 20


@dataclass
class World:
    campaign: Campaign
    admin: User
    unit_admin: User  # of the first unit (submitted, reviewed and consolidated)
    reviewer: User
    enrollment: Enrollment
    assignment: Assignment

    def pages(self) -> dict[str, tuple[User | None, str]]:
        return {
            "login page": (None, "/accounts/login/"),
            "ranking page (approval table)": (
                self.admin,
                f"/reviews/campaigns/{self.campaign.pk}/approval/",
            ),
            "self-evaluation page": (self.unit_admin, f"/reviews/self/{self.enrollment.pk}/"),
            "reviewer's scoring page": (
                self.reviewer,
                f"/reviews/assignments/{self.assignment.pk}/",
            ),
            "score sheet page (trace)": (
                self.admin,
                f"/reviews/enrollments/{self.enrollment.pk}/trace/",
            ),
        }


def build_world(units: int, leaves: int) -> World:
    tag = next(_tags)
    committee = CommitteeFactory(code=f"bench-q-{tag}")
    Unit.objects.bulk_create(
        Unit(committee=committee, name=f"查询单位{tag}-{i:03d}", sort_order=i)
        for i in range(1, units + 1)
    )
    first = Unit.objects.filter(committee=committee).order_by("sort_order").first()
    admin = persona("committee_admin", committee=committee, full_name="工委管理员")
    unit_admin = persona("unit_admin", unit_a=first)
    leader, member = reviewer_pair(committee)
    admin_actor = actor_for(admin)
    version, nodes = leaves_version(committee, f"bench-q-{tag}", leaves)
    campaign = campaign_create(
        committee=committee,
        name=f"查询计数 {units}×{leaves}",
        year=2026,
        version=version,
        actor=admin_actor,
    )
    Campaign.objects.filter(pk=campaign.pk).update(submission_deadline=None)
    campaign.refresh_from_db()
    campaign_activate(campaign=campaign, actor=admin_actor)
    values = {node.pk: leaf_input(node) for node in nodes}
    enrollments = enrollments_in_order(campaign)
    roles = frozenset({Role.UNIT_ADMIN, Role.UNIT_LEADER})
    liaison = Actor(
        user=unit_admin, roles=roles, unit_roles={e.unit_id: roles for e in enrollments}
    )
    for enrollment in enrollments:
        bulk.self_scores_bulk_save(
            enrollment=enrollment, values=values, actor=liaison, narrative="已落实。"
        )
    for enrollment in enrollments[:-1]:
        services.enrollment_transition(
            enrollment=enrollment, to=EnrollmentState.SUBMITTED, actor=liaison
        )
    assignments = drawn_assignments(campaign, leader, member, admin_actor, f"bench-q-{tag}")
    leader_actor, member_actor = actor_for(leader), actor_for(member)
    for index, enrollment in enumerate(enrollments[:-1]):
        assignment = assignments[enrollment.pk]
        for actor in (leader_actor, member_actor):
            bulk.review_scores_bulk_save(
                assignment=assignment, values=values, actor=actor, comment="与自评一致。"
            )
            services.review_submit(assignment=assignment, actor=actor)
        if index < units - 2:
            services.consolidate(assignment=assignment, actor=leader_actor)
    world = World(
        campaign=campaign,
        admin=admin,
        unit_admin=unit_admin,
        reviewer=member,
        enrollment=enrollments[0],
        assignment=assignments[enrollments[0].pk],
    )
    # What the pages will show, so that equal counts are not equal for want of rows.
    assert SelfScore.objects.filter(enrollment__campaign=campaign).count() == units * leaves
    assert ReviewScore.objects.filter(assignment=world.assignment).count() == 2 * leaves
    assert ConsolidatedScore.objects.filter(enrollment=world.enrollment).count() == leaves
    return world


@dataclass
class Measured:
    count: int
    sql: list[str]
    html: str


def measure(user: User | None, url: str) -> Measured:
    client = logged_in(user)
    assert client.get(url).status_code == 200  # warm-up: caches, session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:2000]
    return Measured(
        len(queries), [q["sql"] for q in queries.captured_queries], response.content.decode()
    )


@pytest.fixture(scope="module")
def measurements(django_db_setup, django_db_blocker):
    """Every page at every size, measured once for the module inside one transaction that is
    rolled back at the end."""
    found: dict[str, dict[str, Measured]] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        for size, (units, leaves) in SIZES.items():
            world = build_world(units, leaves)
            for page, (user, url) in world.pages().items():
                found.setdefault(page, {})[size] = measure(user, url)
        transaction.set_rollback(True)
    return found


def _report(page: str, runs: dict[str, Measured]) -> str:
    lines = [f"{page}: " + ", ".join(f"{size} {m.count}" for size, m in runs.items())]
    for size, m in runs.items():
        lines.append(f"--- {size} ({m.count} queries)")
        lines += [f"  {sql[:300]}" for sql in m.sql]
    return "\n".join(lines)


# Which comparisons apply to which page: units for pages listing units, indicators for pages
# listing a unit's indicators (the ranking and the trace show both).
COMPARED = {
    "login page": [("10 units", "80 units")],
    "ranking page (approval table)": [
        ("10 units", "80 units"),
        ("10 indicators", "80 indicators"),
    ],
    "self-evaluation page": [("10 indicators", "80 indicators")],
    "reviewer's scoring page": [("10 indicators", "80 indicators")],
    "score sheet page (trace)": [
        ("10 units", "80 units"),
        ("10 indicators", "80 indicators"),
    ],
}


@pytest.mark.parametrize("page", sorted(COMPARED))
def test_the_page_issues_the_same_queries_at_both_sizes(page, measurements):
    runs = measurements[page]
    for small, large in COMPARED[page]:
        pair = {small: runs[small], large: runs[large]}
        assert runs[small].count == runs[large].count, _report(page, pair)
        assert runs[large].count <= MAX_QUERIES, _report(page, pair)


def test_the_larger_pages_really_show_every_row(measurements):
    """The approval table shows a page of 50 units out of all of them; the unit's pages list
    every indicator."""
    ranking = measurements["ranking page (approval table)"]

    def rows(html: str) -> tuple[int, int]:  # (ranked, listed apart: not reviewed yet)
        return html.count("<tr data-unit="), html.count("<tr data-pending=")

    small, large = ranking["10 units"].html, ranking["80 units"].html
    assert sum(rows(small)) == 10
    ranked, apart = rows(large)
    assert ranked <= 50 and apart <= 50 and ranked + apart >= 50
    assert "第 1 / 2 页" in large  # 80 units, 50 a page, in one of the two tables
    for page in ("self-evaluation page", "reviewer's scoring page", "score sheet page (trace)"):
        html = measurements[page]["80 indicators"].html
        # the last leaf's code ("16.5" of 16 roots of five) is on the page
        assert "第16类第5项考评要点" in html, page
        assert "第16类第5项考评要点" not in measurements[page]["10 indicators"].html, page
