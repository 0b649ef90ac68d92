"""Every problem-list URL, GET and POST, for every persona: the owner (unit A's admin) and its
colleagues (A's leader, A's member, the reviewers), the outsider (unit B's admin), committee
staff and another committee's admin, the auditor and the anonymous visitor.

The data that could leak (items of A, B and another committee, findings of both committees) is
created first; each response is checked for its status and for which of them it shows. Each
case runs in a savepoint that is rolled back, so every case meets the same data."""

# ruff: noqa: F811

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, reverse

from mofan.accounts.access import actor_for
from mofan.evaluations.models import Finding
from mofan.rectification import urls_items
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from mofan.rectification.services import problem_item_create
from tests.evaluations.campaign_fixtures import World, world  # noqa: F401
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db

A_DESC = "甲单位问题：学习记录缺失"
B_DESC = "乙单位问题：台账不全"
X_DESC = "外工委问题：制度未建"
FINDING_A = "评审发现：甲的组织生活不规范"
FINDING_X = "外工委评审发现：乙的问题"
MARKERS = (A_DESC, B_DESC, X_DESC, FINDING_A, FINDING_X)
DEADLINE = datetime.date(2031, 6, 30)

PERSONAS = (
    "owner",
    "colleague",
    "member",
    "assigned",
    "outsider",
    "committee_admin",
    "committee_leader",
    "other_admin",
    "auditor",
    "anonymous",
)


@dataclass
class Leaky:
    w: World
    item_a: ProblemItem
    item_b: ProblemItem
    item_x: ProblemItem
    finding_a: Finding
    finding_x: Finding


@pytest.fixture
def leaky(world) -> Leaky:
    w = world
    w.users["member"] = persona("member", unit_a=w.unit_a, full_name="甲党员")
    admin = w.actor("committee_admin")

    def item(unit, text, actor):
        return problem_item_create(
            unit=unit,
            source=ProblemSource.COMMITTEE_CHECK,
            description=text,
            deadline=DEADLINE,
            actor=actor,
        )

    unit_x = w.ex.unit
    item_x = item(unit_x, X_DESC, w.actor("other_admin"))
    finding_a = Finding.objects.create(
        assignment=w.assignment_a, text=FINDING_A, is_problem=True, created_by=w.user("assigned")
    )
    finding_x = Finding.objects.create(
        assignment=w.ex.assignment,
        text=FINDING_X,
        is_problem=True,
        created_by=w.ex.assignment.group.leader,
    )
    return Leaky(
        w,
        item(w.unit_a, A_DESC, admin),
        item(w.unit_b, B_DESC, admin),
        item_x,
        finding_a,
        finding_x,
    )


def client_for(leaky: Leaky, persona: str) -> Client:
    return logged_in(None if persona == "anonymous" else leaky.w.user(persona))


@dataclass(frozen=True)
class Case:
    method: str
    url: Any  # (Leaky) -> str
    expect: dict[str, int]  # persona -> status; missing personas: `default`
    default: int
    shows: dict[str, tuple[str, ...]]  # persona -> markers the response shows (the rest: none)
    data: Any = None  # (Leaky) -> POST data
    changed: Any = None  # (Leaky, persona) -> whether the POST changed what it should


def _state(leaky: Leaky) -> str:
    return ProblemItem.objects.get(pk=leaky.item_a.pk).state


def _submit(leaky: Leaky) -> dict[str, Any]:
    return {"action": "submit_measures", "version": 1, "measures": "召开专题会议"}


def _edit(leaky: Leaky) -> dict[str, Any]:
    return {"version": 1, "deadline": "2032-01-31", "severity": "serious", "responsible_person": ""}


def _new_committee(leaky: Leaky) -> dict[str, Any]:
    return {
        "unit": leaky.w.unit_a.pk,
        "source": "committee_check",
        "description": "新列入的问题",
        "severity": "general",
        "deadline": "2031-12-31",
    }


def _new_unit(leaky: Leaky) -> dict[str, Any]:
    return {
        "unit": leaky.w.unit_a.pk,
        "source": "self_check",
        "description": "新列入的问题",
        "severity": "general",
        "deadline": "2031-12-31",
    }


def _finding(leaky: Leaky) -> dict[str, Any]:
    return {"deadline": "2031-12-31", "severity": "general"}


def _new_item_made(leaky: Leaky, persona: str) -> bool:
    return ProblemItem.objects.filter(description="新列入的问题", unit=leaky.w.unit_a).exists()


STAFF_OK = {"committee_admin": 200, "committee_leader": 200, "other_admin": 200, "anonymous": 302}
CASES: dict[str, list[Case]] = {
    "item_board": [
        Case(
            "get",
            lambda k: reverse("rectification:item_board"),
            STAFF_OK,
            403,
            {
                "committee_admin": (A_DESC, B_DESC, FINDING_A),
                "committee_leader": (A_DESC, B_DESC),
                "other_admin": (X_DESC, FINDING_X),
            },
        ),
        Case(
            "post",
            lambda k: reverse("rectification:item_board"),
            {"committee_admin": 405, "committee_leader": 405, "other_admin": 405, "anonymous": 302},
            403,
            {},
        ),
    ],
    "item_new": [
        Case(
            "get",
            lambda k: reverse("rectification:item_new"),
            {"committee_admin": 200, "other_admin": 200, "anonymous": 302},
            403,
            {},
        ),
        Case(
            "post",
            lambda k: reverse("rectification:item_new"),
            # the other committee's admin gets the form back: unit A is not among its choices
            {"committee_admin": 302, "other_admin": 200, "anonymous": 302},
            403,
            {},
            data=_new_committee,
            changed=_new_item_made,
        ),
    ],
    "item_from_finding": [
        Case(
            "get",
            lambda k: reverse("rectification:item_from_finding", args=[k.finding_a.pk]),
            {"committee_admin": 405, "other_admin": 405, "anonymous": 302},
            403,
            {},
        ),
        Case(
            "post",
            lambda k: reverse("rectification:item_from_finding", args=[k.finding_a.pk]),
            {"committee_admin": 302, "other_admin": 404, "anonymous": 302},
            403,
            {},
            data=_finding,
            changed=lambda k, p: ProblemItem.objects.filter(origin_id=k.finding_a.pk).exists(),
        ),
    ],
    "items_from_findings": [
        Case(
            "get",
            lambda k: reverse("rectification:items_from_findings"),
            {"committee_admin": 405, "other_admin": 405, "anonymous": 302},
            403,
            {},
        ),
        Case(
            "post",
            lambda k: reverse("rectification:items_from_findings"),
            {"committee_admin": 302, "other_admin": 302, "anonymous": 302},
            403,
            {},
            # the committee's admin lists A's finding; the other committee's admin answers the
            # same page, and it lists nothing of this committee
            changed=lambda k, p: (
                ProblemItem.objects.filter(origin_id=k.finding_a.pk).exists()
                != (p == "other_admin")
            ),
        ),
    ],
    "unit_items": [
        Case(
            "get",
            lambda k: reverse("rectification:unit_items"),
            {"owner": 200, "colleague": 200, "outsider": 200, "anonymous": 302},
            403,
            {"owner": (A_DESC,), "colleague": (A_DESC,), "outsider": (B_DESC,)},
        ),
        Case(
            "get",  # asking for unit A by its id
            lambda k: reverse("rectification:unit_items") + f"?unit={k.w.unit_a.pk}",
            {"owner": 200, "colleague": 200, "outsider": 404, "anonymous": 302},
            403,
            {"owner": (A_DESC,), "colleague": (A_DESC,)},
        ),
        Case(
            "post",
            lambda k: reverse("rectification:unit_items"),
            {"owner": 405, "colleague": 405, "outsider": 405, "anonymous": 302},
            403,
            {},
        ),
    ],
    "unit_item_new": [
        Case(
            "get",
            lambda k: reverse("rectification:unit_item_new"),
            {"owner": 200, "outsider": 200, "anonymous": 302},
            403,
            {},
        ),
        Case(
            "post",
            lambda k: reverse("rectification:unit_item_new"),
            # the outsider gets the form back: unit A is not among its choices
            {"owner": 302, "outsider": 200, "anonymous": 302},
            403,
            {},
            data=_new_unit,
            changed=_new_item_made,
        ),
    ],
    "item_detail": [
        Case(
            "get",
            lambda k: reverse("rectification:item_detail", args=[k.item_a.pk]),
            {
                "owner": 200,
                "colleague": 200,
                "committee_admin": 200,
                "committee_leader": 200,
                "anonymous": 302,
            },
            404,
            {
                "owner": (A_DESC,),
                "colleague": (A_DESC,),
                "committee_admin": (A_DESC,),
                "committee_leader": (A_DESC,),
            },
        ),
        Case(
            "post",
            lambda k: reverse("rectification:item_detail", args=[k.item_a.pk]),
            {"anonymous": 302},
            405,
            {},
        ),
    ],
    "item_act": [
        Case(
            "get",
            lambda k: reverse("rectification:item_act", args=[k.item_a.pk]),
            {"anonymous": 302},
            405,
            {},
        ),
        Case(
            "post",
            lambda k: reverse("rectification:item_act", args=[k.item_a.pk]),
            {
                "owner": 302,
                "colleague": 302,
                "committee_admin": 403,
                "committee_leader": 403,
                "anonymous": 302,
            },
            404,
            {},
            data=_submit,
            changed=lambda k, p: _state(k) == ProblemState.MEASURES_SUBMITTED,
        ),
    ],
    "item_edit": [
        Case(
            "get",
            lambda k: reverse("rectification:item_edit", args=[k.item_a.pk]),
            {"committee_admin": 405, "other_admin": 405, "anonymous": 302},
            403,
            {},
        ),
        Case(
            "post",
            lambda k: reverse("rectification:item_edit", args=[k.item_a.pk]),
            {"committee_admin": 302, "other_admin": 404, "anonymous": 302},
            403,
            {},
            data=_edit,
            changed=lambda k, p: ProblemItem.objects.get(pk=k.item_a.pk).severity == "serious",
        ),
    ],
}


def test_every_item_url_has_cases():
    names = {p.name for p in urls_items.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(CASES)
    for name, cases in CASES.items():
        assert {c.method for c in cases} == {"get", "post"}, name


def check(leaky: Leaky, persona: str, name: str, case: Case, client: Client) -> None:
    url = case.url(leaky)
    data = case.data(leaky) if case.data else {}
    response = client.get(url) if case.method == "get" else client.post(url, data)
    expected = case.expect.get(persona, case.default)
    assert response.status_code == expected, (persona, name, url, response.status_code)
    body = response.content.decode()
    shown = case.shows.get(persona, ())
    for marker in MARKERS:
        assert (marker in body) == (marker in shown), (persona, name, url, marker)
    if case.changed is not None:
        assert case.changed(leaky, persona) == (expected == 302 and persona != "anonymous"), (
            persona,
            name,
        )


@pytest.mark.parametrize("persona", PERSONAS)
def test_scope(leaky, persona):
    client = client_for(leaky, persona)
    failures = []
    for name, cases in CASES.items():
        for case in cases:
            try:
                with transaction.atomic():
                    check(leaky, persona, name, case, client)
                    transaction.set_rollback(True)
            except AssertionError as exc:
                failures.append(f"{name} {case.method}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("persona", ["committee_admin", "committee_leader", "other_admin"])
def test_the_boards_htmx_partial_holds_only_the_scope(leaky, persona):
    client = client_for(leaky, persona)
    response = client.get(reverse("rectification:item_board"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "<nav" not in body and "<tr" in body
    ours = persona != "other_admin"
    assert (A_DESC in body) == ours and (B_DESC in body) == ours and (X_DESC in body) != ours
    assert FINDING_A not in body and FINDING_X not in body


@pytest.mark.parametrize(("persona", "sees"), [("owner", A_DESC), ("outsider", B_DESC)])
def test_the_unit_lists_htmx_partial_holds_only_the_unit(leaky, persona, sees):
    client = client_for(leaky, persona)
    response = client.get(reverse("rectification:unit_items"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert [m for m in MARKERS if m in body] == [sees]


def test_a_unit_never_searches_its_way_into_another_unit(leaky):
    client = client_for(leaky, "owner")
    for params in ({"q": "乙单位"}, {"q": B_DESC}, {"unit": leaky.w.unit_b.pk}):
        response = client.get(reverse("rectification:unit_items"), params)
        body = response.content.decode().replace(f'value="{params.get("q", "")}"', "")
        assert response.status_code in (200, 404)
        assert B_DESC not in body and X_DESC not in body


def test_tampered_ids_reach_nothing(leaky, tmp_path, settings):
    """Hidden and choice fields name objects of another unit: refused by validation."""
    settings.MEDIA_ROOT = str(tmp_path)
    k = leaky
    w = k.w
    admin = actor_for(w.user("committee_admin"))
    from mofan.evidence.models import Evidence
    from mofan.rectification.services import problem_item_transition

    item = k.item_a
    item = problem_item_transition(
        item=item, action="submit_measures", actor=w.actor("owner"), measures="措施"
    )
    item = problem_item_transition(item=item, action="accept_measures", actor=admin)
    theirs = Evidence.objects.create(
        unit=w.unit_b,
        sha256="b" * 64,
        original_name="乙的佐证.pdf",
        stored_name="evidence/x/b.pdf",
        kind="pdf",
        size=10,
        uploaded_by=w.user("outsider"),
    )
    client = client_for(k, "owner")
    response = client.post(
        reverse("rectification:item_act", args=[item.pk]),
        {"action": "report_done", "version": item.version, "report": "完成", "evidence": theirs.pk},
    )
    assert response.status_code == 200
    assert "乙的佐证" not in response.content.decode()
    item.refresh_from_db()
    assert item.state == ProblemState.IN_PROGRESS and not item.evidence.exists()
    # an unknown action is a 404, not a server error
    response = client.post(
        reverse("rectification:item_act", args=[item.pk]), {"action": "verify_all"}
    )
    assert response.status_code == 404
