"""The re-review pages (issue 5 point 2): eleven personas against unit A's re-review — the unit's
own people (owner, colleague) and another unit's (outsider); the members of A's review group
(assigned, leader) and another group's leader (unassigned); the committee's staff and another
committee's admin; the auditor and the anonymous visitor. The leaking data exists first; who may
not see it gets 403/404 and not a trace of it, and a refused POST changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mofan.campaigns.models import Enrollment
from mofan.evaluations import approval
from mofan.evaluations.models import UnitResult
from mofan.rectification.models import ProblemItem, ReReview, ReReviewScore, ReReviewState
from mofan.rectification.rereview import rereview_score_save, rereview_transition
from tests.evaluations.campaign_fixtures import PERSONAS, world
from tests.factories import UnitFactory
from tests.rectification.rereview_fixtures import approve, close_all, finish_review
from tests.world import logged_in

__all__ = ["world"]

pytestmark = pytest.mark.django_db
R = ReReviewState

SEES = frozenset(
    {"owner", "colleague", "assigned", "leader", "committee_admin", "committee_leader"}
)
MARKERS = ("甲单位", "台账不全")


@pytest.fixture
def opened(world):
    finish_review(world)
    approve(world)
    close_all(world, "A")
    return world


def client_of(world, persona):
    return logged_in(None if persona == "anonymous" else world.user(persona))


def state() -> list[Any]:
    return [
        list(ReReview.objects.order_by("pk").values()),
        list(ReReviewScore.objects.order_by("pk").values()),
        list(UnitResult.objects.order_by("pk").values()),
        list(ProblemItem.objects.order_by("pk").values("pk", "state")),
    ]


def rereview_a(world) -> ReReview:
    return ReReview.objects.get(enrollment=world.ea, round=1)


def test_the_list_shows_each_persona_only_its_own(opened):
    url = reverse("rectification:rereview_list")
    for persona in PERSONAS:
        response = client_of(opened, persona).get(url)
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
            continue
        if persona == "auditor":
            assert response.status_code == 403, persona
            continue
        assert response.status_code == 200, persona
        body = response.content.decode()
        link = reverse("rectification:rereview_detail", args=[rereview_a(opened).pk])
        assert (link in body) == (persona in SEES), persona
        if persona not in SEES:
            assert "甲单位" not in body, persona


def test_the_list_filters_by_campaign_and_state(opened):
    client = client_of(opened, "committee_admin")
    url = reverse("rectification:rereview_list")
    link = reverse("rectification:rereview_detail", args=[rereview_a(opened).pk])
    assert link in client.get(url, {"campaign": opened.campaign.pk}).content.decode()
    assert link not in client.get(url, {"campaign": opened.other_campaign.pk}).content.decode()
    assert link in client.get(url, {"state": "open"}).content.decode()
    assert link not in client.get(url, {"state": "approved"}).content.decode()
    assert client.get(url, {"campaign": "x", "state": "?", "page": "z"}).status_code == 200


def test_the_detail_page_is_scoped(opened):
    rereview = rereview_a(opened)
    url = reverse("rectification:rereview_detail", args=[rereview.pk])
    for persona in PERSONAS:
        response = client_of(opened, persona).get(url)
        body = response.content.decode()
        if persona == "anonymous":
            assert response.status_code == 302
        elif persona in SEES:
            assert response.status_code == 200, persona
            assert all(m in body for m in MARKERS), persona
        else:
            assert response.status_code == 404, persona
            assert not any(m in body for m in MARKERS), persona


def test_only_the_group_gets_the_scoring_form_and_only_its_leader_the_submit(opened):
    url = reverse("rectification:rereview_detail", args=[rereview_a(opened).pk])
    score_url = reverse("rectification:rereview_score", args=[rereview_a(opened).pk])
    submit_url = reverse("rectification:rereview_submit", args=[rereview_a(opened).pk])
    for persona in SEES:
        body = client_of(opened, persona).get(url).content.decode()
        assert (score_url in body) == (persona in ("assigned", "leader")), persona
        assert (submit_url in body) == (persona == "leader"), persona


def post_matrix(world, name: str, data: dict[str, Any], allowed: set[str]) -> None:
    """Every persona but the `allowed` ones POSTs `data` to `name`: 403 for those who see the
    re-review, 404 for the others, the login page for the anonymous; nothing changes."""
    url = reverse(f"rectification:{name}", args=[rereview_a(world).pk])
    for persona in PERSONAS:
        if persona in allowed:
            continue
        before = state()
        response = client_of(world, persona).post(url, data)
        expected = 302 if persona == "anonymous" else 403 if persona in SEES else 404
        assert response.status_code == expected, (name, persona, response.status_code)
        assert not any(m in response.content.decode() for m in MARKERS), (name, persona)
        assert state() == before, (name, persona)
        assert client_of(world, persona).get(url).status_code in (302, 405), (name, persona)


def test_scoring_through_the_page_by_the_group_only(opened):
    node = opened.node("1.1")
    data = {"node": node.pk, "value": "8", "comment": "整改到位", "version": ""}
    post_matrix(opened, "rereview_score", data, allowed={"assigned", "leader"})
    url = reverse("rectification:rereview_score", args=[rereview_a(opened).pk])
    client = client_of(opened, "assigned")
    response = client.post(url, data)
    assert response.status_code == 302
    saved = ReReviewScore.objects.get(rereview=rereview_a(opened), node=node)
    assert (saved.score, saved.comment) == (Decimal("8.00"), "整改到位")
    # the group's leader may correct it (the form carries the version it showed)
    leader = client_of(opened, "leader")
    leader.post(url, {**data, "value": "7.5", "version": saved.version})
    saved.refresh_from_db()
    assert (saved.score, saved.scored_by) == (Decimal("7.50"), opened.user("leader"))
    # a node outside the re-review, and a nonsense id: 404, nothing saved
    for bad in (opened.node("2.2").pk, opened.node("1.1", opened.other_version).pk, "x"):
        assert client.post(url, {**data, "node": bad}).status_code == 404
    # a stale form is refused with the newer value in the message
    response = client.post(url, {**data, "value": "9", "version": ""}, follow=True)
    assert "7.5" in response.content.decode() and "未保存" in response.content.decode()
    assert ReReviewScore.objects.get(pk=saved.pk).score == Decimal("7.50")


def scored(world) -> ReReview:
    rereview = rereview_a(world)
    for code, value in (("1.1", 8), ("1.2", 8), ("2.1", 10)):
        rereview_score_save(
            rereview=rereview,
            node=world.node(code),
            value={"value": str(value)},
            comment="",
            expected_version=None,
            actor=world.actor("assigned"),
        )
    return rereview


def test_only_the_group_leader_submits(opened):
    rereview = scored(opened)
    data = {"version": rereview.version}
    post_matrix(opened, "rereview_submit", data, allowed={"leader"})
    response = client_of(opened, "leader").post(
        reverse("rectification:rereview_submit", args=[rereview.pk]), data
    )
    assert response.status_code == 302
    assert rereview_a(opened).state == R.SUBMITTED


def submitted(world) -> ReReview:
    return rereview_transition(rereview=scored(world), to=R.SUBMITTED, actor=world.actor("leader"))


def test_only_the_committee_admin_approves(opened):
    rereview = submitted(opened)
    data = {"version": rereview.version}
    post_matrix(opened, "rereview_approve", data, allowed={"committee_admin"})
    post_matrix(opened, "rereview_reject", {**data, "reason": "不实"}, allowed={"committee_admin"})
    client = client_of(opened, "committee_admin")
    page = client.get(reverse("rectification:rereview_detail", args=[rereview.pk]))
    assert reverse("rectification:rereview_approve", args=[rereview.pk]) in page.content.decode()
    response = client.post(reverse("rectification:rereview_approve", args=[rereview.pk]), data)
    assert response.status_code == 302
    assert rereview_a(opened).state == R.APPROVED
    result = UnitResult.objects.get(enrollment=opened.ea)
    assert (result.composite, result.grade) == (Decimal("26.00"), "良好")


def test_a_rejection_needs_a_reason_and_keeps_the_result(opened):
    rereview = submitted(opened)
    client = client_of(opened, "committee_admin")
    url = reverse("rectification:rereview_reject", args=[rereview.pk])
    response = client.post(url, {"version": rereview.version, "reason": ""}, follow=True)
    assert "理由" in response.content.decode()
    assert rereview_a(opened).state == R.SUBMITTED
    client.post(url, {"version": rereview.version, "reason": "整改不实"})
    assert rereview_a(opened).state == R.REJECTED
    assert UnitResult.objects.get(enrollment=opened.ea).grade == "不达标"


def test_the_unit_sees_both_results_once_they_are_published(opened):
    rereview = submitted(opened)
    admin = opened.actor("committee_admin")
    rereview_transition(rereview=rereview, to=R.APPROVED, actor=admin)
    url = reverse("rectification:rereview_detail", args=[rereview.pk])
    owner = client_of(opened, "owner")
    body = owner.get(url).content.decode()
    assert "已批准" in body and 'id="rereview-results"' not in body and "26.00" not in body
    assert 'id="rereview-results"' in client_of(opened, "leader").get(url).content.decode()
    approval.campaign_publish(campaign=opened.campaign, actor=admin)
    body = owner.get(url).content.decode()
    assert 'id="rereview-results"' in body
    assert "17.00" in body and "不达标" in body and "26.00" in body and "良好" in body


def test_the_score_trace_shows_the_original_and_the_rereview(opened):
    rereview = submitted(opened)
    rereview_transition(rereview=rereview, to=R.APPROVED, actor=opened.actor("committee_admin"))
    url = reverse("reviews:trace", args=[opened.ea.pk])
    body = client_of(opened, "committee_admin").get(url).content.decode()
    assert "复核记录" in body
    history = body[body.index(f'id="rereview-{rereview.pk}"') :]
    row = history[history.index('data-code="1.1"') :]
    row = row[: row.index("</tr>")]
    assert "<td>2.00</td>" in row and "<td>8.00</td>" in row
    assert "17.00" in history and "26.00" in history
    # another unit's trace shows none of it
    other = client_of(opened, "committee_admin").get(reverse("reviews:trace", args=[opened.eb.pk]))
    assert "复核记录" not in other.content.decode()


def test_the_list_queries_do_not_grow_with_the_rereviews(opened):
    client = client_of(opened, "committee_admin")
    url = reverse("rectification:rereview_list")

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count()
    for i in range(12):
        unit = UnitFactory(committee=opened.committee, name=f"加测单位{i}")
        enrollment = Enrollment.objects.create(campaign=opened.campaign, unit=unit)
        ReReview.objects.create(enrollment=enrollment, node_ids=[opened.node("1.1").pk])
    assert ReReview.objects.count() == 13
    assert count() == small
