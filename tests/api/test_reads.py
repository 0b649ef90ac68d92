"""Every read endpoint through the page's own scoped selector (issue 19 point 4): three personas
— the owner unit's 联络员, a colleague (单位领导 of the same unit) and an outsider (联络员 of
unit B in the same committee) — and data of both units created first, so that a leak would
show. By list, by id and by filter, the other unit's rows never come back."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.activities.models import ActivityKind
from mofan.activities.services import RecordInput, activity_record_create
from mofan.evaluations.models import UnitResult
from mofan.organizations.models import Member
from mofan.rectification.models import ProblemSource
from mofan.rectification.services import problem_item_create
from tests.api.helpers import api_for, ids, with_2fa
from tests.evaluations.campaign_fixtures import world  # noqa: F401
from tests.factories import MemberFactory, PartyOrgFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(world):  # noqa: F811
    """Rows of units A and B in every family; the three personas' API clients."""
    w = world
    w.org_a = PartyOrgFactory(unit=w.unit_a, name="甲支部")
    w.org_b = PartyOrgFactory(unit=w.unit_b, name="乙支部")
    w.mem_a = MemberFactory(unit=w.unit_a, party_org=w.org_a, name="甲党员")
    w.mem_b = MemberFactory(unit=w.unit_b, party_org=w.org_b, name="乙党员")
    admin = actor_for(w.users["committee_admin"])
    deadline = timezone.localdate() + datetime.timedelta(days=30)
    w.item_a, w.item_b = (
        problem_item_create(
            unit=u,
            source=ProblemSource.COMMITTEE_CHECK,
            description=f"{u.short_name}的问题",
            deadline=deadline,
            actor=admin,
        )
        for u in (w.unit_a, w.unit_b)
    )
    kind = ActivityKind.objects.get(committee=None, code="branch-committee")
    held = timezone.localdate() - datetime.timedelta(days=3)
    w.rec_a, w.rec_b = (
        activity_record_create(
            data=RecordInput(
                party_org=org, kind=kind, held_on=held, topic="支委会", present=[m.pk]
            ),
            actor=actor_for(w.users[who]),
        )
        for org, m, who in ((w.org_a, w.mem_a, "owner"), (w.org_b, w.mem_b, "outsider"))
    )
    w.api = {name: api_for(w.users[name]) for name in ("owner", "colleague", "outsider")}
    return w


def test_units(both):
    w = both
    for name in ("owner", "colleague"):
        assert ids(w.api[name].get("/units")) == {w.unit_a.pk}
        assert w.api[name].get(f"/units/{w.unit_b.pk}").status_code == 404
    assert ids(w.api["outsider"].get("/units")) == {w.unit_b.pk}
    assert w.api["outsider"].get(f"/units/{w.unit_a.pk}").status_code == 404
    staff = api_for(with_2fa(w.users["committee_leader"]))
    assert {w.unit_a.pk, w.unit_b.pk, w.unit_c.pk} <= ids(staff.get("/units"))


def test_party_organisations_and_members(both):
    w = both
    for name in ("owner", "colleague"):
        assert ids(w.api[name].get("/party-organisations")) == {w.org_a.pk}
        assert ids(w.api[name].get("/party-organisations", unit_id=w.unit_b.pk)) == set()
        assert ids(w.api[name].get("/members")) == {w.mem_a.pk}
        assert ids(w.api[name].get("/members", party_org_id=w.org_b.pk)) == set()
    assert ids(w.api["outsider"].get("/members")) == {w.mem_b.pk}
    assert ids(w.api["outsider"].get("/members", unit_id=w.unit_a.pk)) == set()
    body = w.api["owner"].get("/members").json()
    assert body["count"] == 1 and body["items"][0]["name"] == "甲党员"


def test_campaigns_and_enrollments(both):
    w = both
    for name in ("owner", "colleague"):
        assert ids(w.api[name].get("/campaigns")) == {w.campaign.pk}
        assert ids(w.api[name].get("/enrollments")) == {w.ea.pk}
        assert ids(w.api[name].get("/enrollments", unit_id=w.unit_b.pk)) == set()
        assert w.api[name].get(f"/campaigns/{w.other_campaign.pk}").status_code == 404
    assert ids(w.api["outsider"].get("/enrollments")) == {w.eb.pk}


def test_self_scores(both):
    w = both
    for name in ("owner", "colleague"):
        rows = w.api[name].get(f"/enrollments/{w.ea.pk}/self-scores")
        assert rows.status_code == 200 and len(rows.json()) >= 3
        assert {r["node_code"] for r in rows.json()} >= {"1.1", "1.2"}
        assert w.api[name].get(f"/enrollments/{w.eb.pk}/self-scores").status_code == 404
    assert w.api["outsider"].get(f"/enrollments/{w.ea.pk}/self-scores").status_code == 404
    assert w.api["outsider"].get(f"/enrollments/{w.eb.pk}/self-scores").status_code == 200


def test_problem_items(both):
    w = both
    for name in ("owner", "colleague"):
        assert ids(w.api[name].get("/problem-items")) == {w.item_a.pk}
        assert ids(w.api[name].get("/problem-items", unit_id=w.unit_b.pk)) == set()
    assert ids(w.api["outsider"].get("/problem-items")) == {w.item_b.pk}


def test_activity_records(both):
    w = both
    for name in ("owner", "colleague"):
        assert ids(w.api[name].get("/activity-records")) == {w.rec_a.pk}
        assert ids(w.api[name].get("/activity-records", unit_id=w.unit_b.pk)) == set()
    assert ids(w.api["outsider"].get("/activity-records")) == {w.rec_b.pk}
    future = timezone.localdate() + datetime.timedelta(days=1)
    assert ids(w.api["owner"].get("/activity-records", since=future.isoformat())) == set()


def test_results_and_rankings(both):
    w = both
    for enrollment in (w.ea, w.eb):
        UnitResult.objects.update_or_create(
            enrollment=enrollment,
            defaults={
                "campaign": w.campaign,
                "composite": Decimal("80"),
                "grade": "优秀",
                "rank": 1 if enrollment == w.ea else 2,
                "frozen": True,
            },
        )
    for name in ("owner", "colleague"):
        rows = w.api[name].get(f"/campaigns/{w.campaign.pk}/results")
        assert rows.status_code == 200, rows.content
        assert [r["unit_id"] for r in rows.json()] == [w.unit_a.pk]
        assert rows.json()[0]["rank"] is None  # the ranking is not published: a band only
    outsider = w.api["outsider"].get(f"/campaigns/{w.campaign.pk}/results").json()
    assert [r["unit_id"] for r in outsider] == [w.unit_b.pk]
    staff = api_for(with_2fa(w.users["committee_leader"]))
    rows = staff.get(f"/campaigns/{w.campaign.pk}/results").json()
    assert {w.unit_a.pk, w.unit_b.pk} <= {r["unit_id"] for r in rows}
    assert w.api["owner"].get(f"/campaigns/{w.other_campaign.pk}/results").status_code == 404


def test_pagination_is_bounded(both):
    w = both
    api = w.api["owner"]
    assert api.get("/members", page=99999).json()["items"] == []
    assert api.get("/members", page="99999999999999999999").status_code == 422
    assert api.get("/members", page_size=1000).status_code == 422
    assert Member.objects.filter(unit=w.unit_b).exists()


def test_query_counts_do_not_grow_with_rows(both):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = both
    api = w.api["owner"]

    def counted(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    paths = ("/members", "/party-organisations", "/problem-items", "/activity-records")
    api.get("/units")  # the token's first use notes it (one UPDATE, once a minute)
    few = {p: counted(p) for p in paths}
    org = PartyOrgFactory(unit=w.unit_a)
    for _ in range(8):
        MemberFactory(unit=w.unit_a, party_org=org)
        PartyOrgFactory(unit=w.unit_a)
    assert {p: counted(p) for p in paths} == few
