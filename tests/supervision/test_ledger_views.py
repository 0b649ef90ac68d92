"""Every page of the ledger, 约谈 and yellow cards against every persona, with the data that
could leak created first: unit A's, unit B's and another committee's items, 约谈 records, cards
and (B's) evidence, each carrying a marker text.

Per URL and persona: the expected status; on a page that opens, exactly the markers that
persona may see and none of the others; on a refusal, no marker at all. POSTs run in a savepoint
rolled back afterwards, and a refused POST changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from mofan.rectification.models import ProblemItem
from mofan.supervision import ledger
from mofan.supervision.models import Interview, LedgerItem, ProgressReport, YellowCard
from tests.supervision.ledger_world import (
    World,
    build_world,
    local_today,
    make_evidence,
    make_item,
    make_org,
)
from tests.world import logged_in

pytestmark = pytest.mark.django_db

A = {"甲督办事项标记", "甲约谈对象标记", "甲黄牌理由标记", "甲党支部标记"}
B = {"乙督办事项标记", "乙约谈对象标记", "乙黄牌理由标记", "乙党支部标记", "乙证据标记"}
C = {"丙督办事项标记", "丙约谈对象标记", "丙黄牌理由标记", "丙党支部标记"}
MARKERS = A | B | C
PERSONAS = (
    "anonymous",
    "committee_admin",
    "committee_leader",
    "a_admin",
    "a_leader",
    "a_member",
    "b_admin",
    "other_admin",
    "auditor",
    "reviewer",
)
LOGIN = 1302  # "redirected to the login page"


@dataclass
class Objects:
    item_a: LedgerItem
    interview_a: Interview
    card_a: YellowCard
    free_org_a: Any


def _interview(w: World, unit, who: str) -> Interview:
    persona = "other_admin" if unit.committee_id == w.other.pk else "committee_admin"
    return ledger.interview_create(
        unit=unit,
        interviewer="工委副书记",
        interviewee=who,
        held_on=local_today(),
        points=f"{who}：问题",
        actor=w.actor(persona),
    )


def _card(w: World, unit, org_name: str, reasons: str) -> YellowCard:
    persona = "other_admin" if unit.committee_id == w.other.pk else "committee_admin"
    return ledger.yellow_card_issue(
        party_org=make_org(unit, org_name), reasons=reasons, actor=w.actor(persona)
    )


@pytest.fixture
def scene(committee, unit_a, unit_b):
    w = build_world(committee, unit_a, unit_b)
    item_a = make_item(w, w.a, task="甲督办事项标记：整改")
    make_item(w, w.b, task="乙督办事项标记：整改")
    make_item(w, w.c, task="丙督办事项标记：整改")
    make_evidence(w.b, w.users["b_admin"], "乙证据标记.pdf")
    objects = Objects(
        item_a=item_a,
        interview_a=_interview(w, w.a, "甲约谈对象标记"),
        card_a=_card(w, w.a, "甲党支部标记", "甲黄牌理由标记"),
        free_org_a=make_org(w.a, "甲单位另一支部"),
    )
    _interview(w, w.b, "乙约谈对象标记")
    _interview(w, w.c, "丙约谈对象标记")
    _card(w, w.b, "乙党支部标记", "乙黄牌理由标记")
    _card(w, w.c, "丙党支部标记", "丙黄牌理由标记")
    clients = {p: Client() if p == "anonymous" else logged_in(w.users[p]) for p in PERSONAS}
    return w, objects, clients


STAFF_SEES = {"committee_admin": A | B, "committee_leader": A | B, "other_admin": C}
UNITS_SEE = {"a_admin": A, "a_leader": A, "b_admin": B}


@dataclass
class Spec:
    name: str
    method: str
    ok: dict[str, set[str]]  # persona -> the markers its page shows (for a 200/302)
    statuses: dict[str, int] = field(default_factory=dict)  # persona -> expected status
    obj: Callable[[Objects], Any] | None = None
    data: Callable[[World, Objects], dict[str, Any]] | None = None
    kind: Callable[[str], set[str]] = lambda _: set()

    def expected(self, persona: str) -> int:
        if persona in self.statuses:
            return self.statuses[persona]
        if persona == "anonymous":
            return LOGIN
        if persona in self.ok:
            return 302 if self.method == "post" else 200
        return 403


def _only(markers: set[str], word: str) -> set[str]:
    return {m for m in markers if word in m}


def _tasks(d: dict[str, set[str]]) -> dict[str, set[str]]:
    return {p: _only(m, "督办事项") for p, m in d.items()}


def _interviews(d: dict[str, set[str]]) -> dict[str, set[str]]:
    return {p: _only(m, "约谈对象") for p, m in d.items()}


def _cards(d: dict[str, set[str]]) -> dict[str, set[str]]:
    return {p: _only(m, "黄牌理由") | _only(m, "党支部") for p, m in d.items()}


def _future() -> str:
    return (local_today() + datetime.timedelta(days=40)).isoformat()


ADMIN_OUTSIDE_404 = {"other_admin": 404}
READ_A = {"committee_admin", "committee_leader", "a_admin", "a_leader"}
A_DETAIL_404 = {"b_admin": 404, "other_admin": 404}

SPECS = [
    Spec("ledger_board", "get", _tasks(STAFF_SEES)),
    Spec("ledger_unit", "get", _tasks(UNITS_SEE)),
    Spec("ledger_create", "get", {"committee_admin": set(), "other_admin": set()}),
    Spec(
        "ledger_create",
        "post",
        {"committee_admin": set()},
        statuses={"other_admin": 200},  # unit A is not among its choices: the form says no
        data=lambda w, o: {
            "unit": w.a.pk,
            "task": "新任务",
            "leader_in_charge": "王",
            "deadline": _future(),
            "cadence": "monthly",
        },
    ),
    Spec(
        "ledger_detail",
        "get",
        {p: {"甲督办事项标记"} for p in READ_A},
        statuses=A_DETAIL_404,
        obj=lambda o: o.item_a,
    ),
    Spec(
        "ledger_edit",
        "get",
        {"committee_admin": {"甲督办事项标记"}},
        statuses=ADMIN_OUTSIDE_404,
        obj=lambda o: o.item_a,
    ),
    Spec(
        "ledger_edit",
        "post",
        {"committee_admin": set()},
        statuses=ADMIN_OUTSIDE_404,
        obj=lambda o: o.item_a,
        data=lambda w, o: {
            "deadline": _future(),
            "cadence": "weekly",
            "leader_in_charge": "李",
            "version": "1",
        },
    ),
    Spec(
        "ledger_report",
        "post",
        {"a_admin": set(), "a_leader": set()},
        statuses={"b_admin": 404},
        obj=lambda o: o.item_a,
        data=lambda w, o: {"text": "已完成一半", "percent": "50"},
    ),
    Spec(
        "ledger_transition",
        "post",
        {"committee_admin": set()},
        statuses=ADMIN_OUTSIDE_404,
        obj=lambda o: o.item_a,
        data=lambda w, o: {"to": "done", "note": "办结", "version": "1"},
    ),
    Spec("interview_list", "get", _interviews({**STAFF_SEES, **UNITS_SEE})),
    Spec("interview_create", "get", {"committee_admin": set(), "other_admin": set()}),
    Spec(
        "interview_create",
        "post",
        {"committee_admin": set()},
        statuses={"other_admin": 200},
        data=lambda w, o: {
            "unit": w.a.pk,
            "interviewer": "甲",
            "interviewee": "乙",
            "held_on": local_today().isoformat(),
            "points": "问题",
        },
    ),
    Spec(
        "interview_detail",
        "get",
        {p: {"甲约谈对象标记"} for p in READ_A},
        statuses=A_DETAIL_404,
        obj=lambda o: o.interview_a,
    ),
    Spec("yellow_card_list", "get", _cards({**STAFF_SEES, **UNITS_SEE})),
    Spec(
        "yellow_card_create",
        "get",
        # the org choice list: every organisation of the committee without an active card
        {"committee_admin": set(), "other_admin": set()},
    ),
    Spec(
        "yellow_card_create",
        "post",
        {"committee_admin": set()},
        statuses={"other_admin": 200},
        data=lambda w, o: {
            "party_org": o.free_org_a.pk,
            "reasons": "软弱涣散",
            "issued_on": local_today().isoformat(),
        },
    ),
    Spec(
        "yellow_card_detail",
        "get",
        {p: {"甲黄牌理由标记", "甲党支部标记"} for p in READ_A},
        statuses=A_DETAIL_404,
        obj=lambda o: o.card_a,
    ),
    Spec(
        "yellow_card_lift",
        "post",
        {"committee_admin": set()},
        statuses=ADMIN_OUTSIDE_404,
        obj=lambda o: o.card_a,
        data=lambda w, o: {"lifted_on": local_today().isoformat(), "note": "整改到位"},
    ),
]


def test_every_url_of_this_part_has_a_spec():
    from mofan.supervision.urls_ledger import urlpatterns

    names = {p.name for p in urlpatterns}
    assert names == {s.name for s in SPECS}


def _state() -> tuple[Any, ...]:
    return tuple(
        list(model.objects.order_by("pk").values())
        for model in (LedgerItem, ProgressReport, Interview, YellowCard, ProblemItem)
    )


class _Rollback(Exception):
    pass


def _request(client: Client, spec: Spec, url: str, data: dict[str, Any]) -> Any:
    box: list[Any] = []
    try:
        with transaction.atomic():
            before = _state()
            response = getattr(client, spec.method)(url, data)
            box.append((response, before, _state()))
            raise _Rollback
    except _Rollback:
        pass
    return box[0]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.name}-{s.method}")
def test_every_persona_gets_exactly_its_scope(scene, spec):
    w, objects, clients = scene
    args = [spec.obj(objects).pk] if spec.obj else []
    url = reverse(f"supervision:{spec.name}", args=args)
    data = spec.data(w, objects) if spec.data else {}
    failures = []
    for persona in PERSONAS:
        response, before, after = _request(clients[persona], spec, url, data)
        status = response.status_code
        if status == 302 and "/accounts/login/" in response.get("Location", ""):
            status = LOGIN
        expected = spec.expected(persona)
        if status != expected:
            failures.append(f"{persona}: {status} (expected {expected})")
            continue
        body = response.content.decode()
        shown = {m for m in MARKERS if m in body}
        allowed = spec.ok.get(persona, set()) if status == 200 else set()
        if status == 200 and spec.method == "get" and not allowed <= shown:
            failures.append(f"{persona}: misses {sorted(allowed - shown)}")
        if shown - allowed:
            failures.append(f"{persona}: leaks {sorted(shown - allowed)}")
        changed = before != after
        if spec.method == "post" and changed != (status == 302):
            failures.append(f"{persona}: {'changed' if changed else 'did not change'} data")
    assert not failures, f"{spec.name} {spec.method}:\n" + "\n".join(failures)


def test_get_on_post_only_pages_is_405(scene):
    _w, objects, clients = scene
    for name, obj in (
        ("ledger_report", objects.item_a),
        ("ledger_transition", objects.item_a),
        ("yellow_card_lift", objects.card_a),
    ):
        url = reverse(f"supervision:{name}", args=[obj.pk])
        assert clients["committee_admin"].get(url).status_code == 405


def test_the_create_forms_offer_only_the_own_committees_units_and_orgs(scene):
    """The forms list no unit themselves; their choosers search the scopes the forms accept."""
    _w, _objects, clients = scene
    units_url = reverse("choosers:choose", args=["unit"]) + "?scope=ledger"
    page = clients["other_admin"].get(reverse("supervision:ledger_create")).content.decode()
    assert "丙单位" not in page and units_url.replace("&", "&amp;") in page
    listed = clients["other_admin"].get(units_url).content.decode()
    assert "丙单位" in listed and "甲单位" not in listed and "乙单位" not in listed
    orgs_url = reverse("choosers:choose", args=["party_org"]) + "?scope=cardable"
    page = clients["committee_admin"].get(reverse("supervision:yellow_card_create"))
    assert orgs_url in page.content.decode()
    body = clients["committee_admin"].get(orgs_url).content.decode()
    assert "甲单位另一支部" in body and "甲党支部标记" not in body  # already carded
    assert "丙党支部标记" not in body


def test_a_unit_leader_reports_with_only_its_own_evidence_offered(scene):
    w, objects, clients = scene
    own = make_evidence(w.a, w.users["a_admin"], "甲会议纪要.pdf")
    url = reverse("supervision:ledger_detail", args=[objects.item_a.pk])
    page = clients["a_leader"].get(url).content.decode()
    assert "甲会议纪要.pdf" in page and "乙证据标记" not in page
    theirs = w.b.evidence.get()
    response = clients["a_leader"].post(
        reverse("supervision:ledger_report", args=[objects.item_a.pk]),
        {"text": "进展", "percent": "30", "evidence": [theirs.pk]},
    )
    assert response.status_code == 200 and not ProgressReport.objects.exists()
    response = clients["a_leader"].post(
        reverse("supervision:ledger_report", args=[objects.item_a.pk]),
        {"text": "进展", "percent": "30", "evidence": [own.pk]},
    )
    assert response.status_code == 302
    assert list(ProgressReport.objects.get().evidence.all()) == [own]
    page = clients["committee_leader"].get(url).content.decode()
    assert "甲会议纪要.pdf" in page and reverse("evidence:download", args=[own.pk]) in page


def test_lifting_through_the_page_shows_the_chinese_refusal(scene):
    w, objects, clients = scene
    card = ledger.yellow_card_issue(
        party_org=objects.free_org_a, reasons="x", problems=["问题甲"], actor=w.admin
    )
    url = reverse("supervision:yellow_card_lift", args=[card.pk])
    response = clients["committee_admin"].post(
        url, {"lifted_on": local_today().isoformat(), "note": "y"}
    )
    assert response.status_code == 200
    assert "还有 1 项挂牌整改问题未销号" in response.content.decode()
    assert YellowCard.objects.get(pk=card.pk).lifted_on is None


def test_pages_carry_no_inline_script_or_style(scene):
    from tests.core.test_headers import _inline_problems

    _w, objects, clients = scene
    pages = {
        "committee_admin": [
            reverse("supervision:ledger_board"),
            reverse("supervision:ledger_create"),
            reverse("supervision:ledger_detail", args=[objects.item_a.pk]),
            reverse("supervision:ledger_edit", args=[objects.item_a.pk]),
            reverse("supervision:interview_list"),
            reverse("supervision:interview_create") + f"?ledger={objects.item_a.pk}",
            reverse("supervision:interview_detail", args=[objects.interview_a.pk]),
            reverse("supervision:yellow_card_list") + "?show=all",
            reverse("supervision:yellow_card_create") + f"?org={objects.free_org_a.pk}",
            reverse("supervision:yellow_card_detail", args=[objects.card_a.pk]),
        ],
        "a_admin": [
            reverse("supervision:ledger_unit"),
            reverse("supervision:ledger_detail", args=[objects.item_a.pk]),
        ],
    }
    for persona, urls in pages.items():
        for url in urls:
            response = clients[persona].get(url)
            assert response.status_code == 200, url
            assert _inline_problems(response.content.decode()) == [], url
