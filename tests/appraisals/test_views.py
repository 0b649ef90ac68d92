"""Every 述职评议 page for every persona: unit A's 联络员 (owner) and leader (colleague), unit
B's 联络员 (outsider), a member, the committee admin and leader, another committee's admin, a
reviewer who is not on the panel, the panel member, and the anonymous visitor.

The data that could leak is made first (unit A's and unit B's reports with their texts, the
panel member's own rating and another panel member's, another committee's round and report);
then each page shows it to exactly the people allowed and every write refuses everybody else."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.accounts.access import actor_for
from mofan.appraisals import services
from mofan.appraisals.models import Appraisal, AppraisalState, Rating
from tests.appraisals.world import (
    appraisal_of,
    build_world,
    new_round,
    outsider_admin,
    step,
    submit,
)
from tests.factories import MemberFactory, PartyOrgFactory, UnitFactory, make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db

PERSONAS = (
    "unit_admin",
    "unit_leader",
    "outsider",
    "member",
    "committee_admin",
    "committee_leader",
    "other_admin",
    "reviewer",
    "panelist",
    "anonymous",
)
LOGIN = 302


def scene():
    w = build_world()
    admin = w.users["committee_admin"]
    r = step(new_round(w), "open", admin)
    second = make_user("reviewer", committee=w.committee, username="panelist2")
    services.round_panel_set(round=r, usernames=["panelist", "panelist2"], actor=actor_for(admin))
    a = submit(appraisal_of(r, w.unit_a), w.users["unit_admin"], report="甲单位述职机密正文")
    b = submit(appraisal_of(r, w.unit_b), w.users["outsider"], report="乙单位述职机密正文")
    r = step(r, "rate", admin)
    services.rating_cast(appraisal=a, level="fairly_good", actor=actor_for(w.panelist))
    services.rating_cast(appraisal=b, level="poor", actor=actor_for(second))
    services.ballots_record(appraisal=a, counts={"good": 7}, actor=actor_for(admin))
    x = step(new_round(w, other=True), "open", w.users["other_admin"])
    xa = submit(appraisal_of(x, w.other_unit), outsider_admin(w), report="外单位述职机密正文")
    users = {**w.users, "panelist": w.panelist}
    clients = {p: logged_in(None if p == "anonymous" else users[p]) for p in PERSONAS}
    return w, clients, {"round": r, "a": a, "b": b, "x": x, "xa": xa}


def expect(clients, url, statuses, *, shows=(), hides=()):
    bad = []
    for persona, client in clients.items():
        response = client.get(url)
        want = statuses.get(persona, 200)
        if response.status_code != want:
            bad.append(f"{persona}: {response.status_code} != {want}")
            continue
        body = response.content.decode() if response.status_code == 200 else ""
        for text, who in shows:
            if persona in who and text not in body:
                bad.append(f"{persona}: {text!r} missing")
        for text, who in hides:
            if persona in who and text in body:
                bad.append(f"{persona}: {text!r} leaked")
    assert bad == [], url


def test_every_page_shows_each_persona_only_its_own():
    _w, clients, s = scene()
    everybody_but = lambda *keep: tuple(p for p in PERSONAS if p not in keep)  # noqa: E731
    expect(
        clients,
        "/appraisals/",
        {"anonymous": LOGIN},
        shows=[
            ("2026年度书记述职评议", ("committee_admin", "committee_leader", "panelist")),
            ("甲书记", ("unit_admin", "unit_leader")),
        ],
        hides=[
            ("甲书记", everybody_but("unit_admin", "unit_leader")),
            ("乙书记", everybody_but("outsider")),
            ("2026年度书记述职评议", ("member", "reviewer")),
        ],
    )
    round_page = f"/appraisals/rounds/{s['round'].pk}/"
    staff_only = {
        p: 403 for p in ("unit_admin", "unit_leader", "outsider", "member", "reviewer", "panelist")
    }
    expect(
        clients,
        round_page,
        staff_only | {"other_admin": 404, "anonymous": LOGIN},
        shows=[
            ("甲单位", ("committee_admin", "committee_leader")),
            ("乙书记", ("committee_admin",)),
        ],
    )
    expect(
        clients,
        f"/appraisals/rounds/{s['x'].pk}/",
        staff_only | {"committee_admin": 404, "committee_leader": 404, "anonymous": LOGIN},
    )
    a_page = f"/appraisals/secretaries/{s['a'].pk}/"
    expect(
        clients,
        a_page,
        {
            "outsider": 404,
            "other_admin": 404,
            "member": 403,
            "reviewer": 403,
            "panelist": 403,
            "anonymous": LOGIN,
        },
        shows=[("甲单位述职机密正文", ("unit_admin", "unit_leader", "committee_admin"))],
        hides=[("乙单位述职机密正文", PERSONAS)],
    )
    expect(
        clients,
        f"/appraisals/secretaries/{s['xa'].pk}/",
        {
            p: 404
            for p in (
                "unit_admin",
                "unit_leader",
                "outsider",
                "committee_admin",
                "committee_leader",
            )
        }
        | {"member": 403, "reviewer": 403, "panelist": 403, "anonymous": LOGIN},
        shows=[("外单位述职机密正文", ("other_admin",))],
    )
    rate_page = f"/appraisals/rounds/{s['round'].pk}/rate/"
    expect(
        clients,
        rate_page,
        {p: 404 for p in everybody_but("panelist", "anonymous")} | {"anonymous": LOGIN},
        shows=[("甲单位述职机密正文", ("panelist",)), ("乙单位述职机密正文", ("panelist",))],
        # the panel member sees their own rating marked, nobody else's, and no tallies
        hides=[("外单位述职机密正文", ("panelist",))],
    )
    body = clients["panelist"].get(rate_page).content.decode()
    assert body.count('aria-pressed="true"') == 1  # their own 较好 on A; B's 差 is not theirs
    assert 'value="fairly_good" aria-pressed="true"' in body


def test_writes_refuse_everybody_but_the_allowed():
    _w, clients, s = scene()
    a, r = s["a"], s["round"]
    for persona in PERSONAS:
        if persona == "committee_admin":
            continue
        client = clients[persona]
        want = (302,) if persona == "anonymous" else (403, 404)
        assert (
            client.post(f"/appraisals/rounds/{r.pk}/transition/", {"action": "close"}).status_code
            in want
        ), persona
        assert (
            client.post(f"/appraisals/secretaries/{a.pk}/return/", {"reason": "x"}).status_code
            in want
        ), persona
        assert (
            client.post(
                f"/appraisals/secretaries/{a.pk}/ballots/",
                {"good": 1, "fairly_good": 0, "average": 0, "poor": 0},
            ).status_code
            in want
        ), persona
        assert (
            client.post(f"/appraisals/rounds/{r.pk}/panel/", {"usernames": ""}).status_code in want
        ), persona
    a.refresh_from_db()
    assert (a.state, a.ballots_good) == (AppraisalState.SUBMITTED, 7)
    # the other committee's admin cannot rate or touch this committee's reports
    status = (
        clients["panelist"]
        .post(f"/appraisals/rounds/{s['x'].pk}/rate/", {"appraisal": s["xa"].pk, "level": "good"})
        .status_code
    )
    assert status == 404
    # a panel member may rate only reports of the round they sit on
    status = (
        clients["panelist"]
        .post(f"/appraisals/rounds/{r.pk}/rate/", {"appraisal": s["xa"].pk, "level": "good"})
        .status_code
    )
    assert status == 404
    assert not Rating.objects.filter(appraisal=s["xa"]).exists()


def test_unit_submits_on_its_page_bad_input_keeps_the_text():
    w = build_world()
    r = step(new_round(w), "open", w.users["committee_admin"])
    a = appraisal_of(r, w.unit_a)
    client = logged_in(w.users["unit_leader"])
    url = f"/appraisals/secretaries/{a.pk}/"
    response = client.post(url, {"report": "保留的草稿文字", "way": ""})
    body = response.content.decode()
    assert response.status_code == 200 and "保留的草稿文字" in body
    assert "请选择" in body or "必填" in body or "这个字段是必填项" in body
    assert Appraisal.objects.get(pk=a.pk).state == AppraisalState.PENDING
    response = client.post(url, {"report": "正式述职", "way": "written"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.state, a.way, a.report) == (AppraisalState.SUBMITTED, "written", "正式述职")
    # locked: posting again is refused, the text stays
    assert client.post(url, {"report": "改写", "way": "on_site"}).status_code == 404
    assert Appraisal.objects.get(pk=a.pk).report == "正式述职"
    # the outsider cannot post to it
    assert (
        logged_in(w.users["outsider"]).post(url, {"report": "x", "way": "written"}).status_code
        == 404
    )


def test_committee_returns_and_enters_ballots_panel_rates_on_the_page():
    w = build_world()
    admin = w.users["committee_admin"]
    r = step(new_round(w), "open", admin)
    services.round_panel_set(round=r, usernames=["panelist"], actor=actor_for(admin))
    a = submit(appraisal_of(r, w.unit_a), w.users["unit_admin"])
    committee = logged_in(admin)
    response = committee.post(f"/appraisals/secretaries/{a.pk}/return/", {"reason": "内容不全"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.state, a.return_reason) == (AppraisalState.RETURNED, "内容不全")
    a = submit(a, w.users["unit_admin"])
    submit(appraisal_of(r, w.unit_b), w.users["outsider"])
    assert (
        committee.post(f"/appraisals/rounds/{r.pk}/transition/", {"action": "rate"}).status_code
        == 302
    )
    ballots = {"good": 3, "fairly_good": 1, "average": 0, "poor": 0}
    assert committee.post(f"/appraisals/secretaries/{a.pk}/ballots/", ballots).status_code == 302
    panel = logged_in(w.panelist)
    page = panel.get(f"/appraisals/rounds/{r.pk}/rate/")
    assert page.status_code == 200 and "甲书记" in page.content.decode()
    response = panel.post(f"/appraisals/rounds/{r.pk}/rate/", {"appraisal": a.pk, "level": "good"})
    assert response.status_code == 302
    assert Rating.objects.get(appraisal=a).level == "good"
    table = committee.get(f"/appraisals/rounds/{r.pk}/?state=submitted").content.decode()
    assert "甲单位" in table and "96.00" in table  # paper 3 好 1 较好 + online 好: 480 / 5
    assert "乙单位" in table  # submitted too, no votes yet


def round_page_queries(w, r) -> int:
    client = logged_in(w.users["committee_admin"])
    url = f"/appraisals/rounds/{r.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_round_page_queries_do_not_grow_with_the_units():
    w = build_world()
    admin = w.users["committee_admin"]
    UnitFactory(committee=w.committee, name="丙单位")
    r = step(new_round(w), "open", admin)
    services.round_panel_set(round=r, usernames=["panelist"], actor=actor_for(admin))
    few = round_page_queries(w, r)
    assert Appraisal.objects.filter(round=r).count() == 3
    w2 = build_world_more(w, 6)
    r2 = step(new_round(w, year=2027), "open", admin)
    for a in r2.appraisals.filter(member__isnull=False)[:5]:
        owner = make_user("unit_admin", unit=a.unit)
        submit(a, owner)
    assert Appraisal.objects.filter(round=r2).count() == 9
    assert round_page_queries(w2, r2) == few


def build_world_more(w, n):
    for i in range(n):
        unit = UnitFactory(committee=w.committee, name=f"增单位{i}")
        org = PartyOrgFactory(unit=unit, name=f"增{i}党委")
        MemberFactory(unit=unit, party_org=org, name=f"增书记{i}", post="书记")
    return w
