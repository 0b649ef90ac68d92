"""The expert panel's pages for every persona: the committee admin, an expert on the panel, a
reviewer of the committee not on it, a unit's 联络员, another committee's admin (and the
anonymous visitor). What could leak is made first — the committee's own score and note from
before the panel, another expert's score and note, the nominating unit's name on a blind panel,
who else sits on the panel, another committee's panel — then each page shows each persona only
its own, every write refuses everybody else, and the scoring page's queries stay flat."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.honours import nominations as writes
from mofan.honours import panel, services
from mofan.honours.models import ExpertPanel, PanelScore, PanelState
from tests.factories import MemberFactory, make_user
from tests.honours.panel_world import build_panel_world, to_review
from tests.honours.world import nominate, open_programme, programme
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def scene(*, kind="person", blind=True):
    pw = build_panel_world(reviewers=3, kind=kind)  # a pool of five
    w = pw.w
    admin = w.actor("committee_admin")
    to_review(pw)
    writes.nomination_review(
        nomination=pw.nom_b, score=Decimal("66.66"), note="工委意见机密", actor=admin
    )
    expert_panel = panel.panel_draw(
        programme=pw.programme, size=3, blind=blind, seed="s-3", actor=admin
    )
    seated = [s.expert for s in expert_panel.seats.order_by("expert_id")]
    free = [u for u in pw.pool if u not in seated and u != pw.conflicted]
    expert = next(u for u in seated if u != pw.conflicted)
    colleague = next(u for u in seated if u != expert)
    panel.panel_score(
        panel=expert_panel,
        nomination=pw.nom_b,
        score=Decimal("77.77"),
        note="同组专家评语机密",
        actor=pw.actor(colleague),
    )
    # another committee's panel
    other_reviewer = make_user("reviewer", committee=w.other_committee, username="outexpert")
    other = open_programme(
        programme(w, committee=w.other_committee, name="外工委评选项目"), w.users["other_admin"]
    )
    other_unit_admin = make_user("unit_admin", unit=w.other_unit)
    nominate(other, w.other_unit, other_unit_admin, member=MemberFactory(unit=w.other_unit))
    other_panel = panel.panel_draw(
        programme=other, size=1, blind=False, actor=w.actor("other_admin")
    )
    users = {
        "committee_admin": w.users["committee_admin"],
        "expert": expert,
        "free_reviewer": free[0],
        "unit_admin": w.users["unit_admin"],
        "other_admin": w.users["other_admin"],
        "other_expert": other_reviewer,
    }
    clients = {name: logged_in(user) for name, user in users.items()}
    clients["anonymous"] = logged_in(None)
    return pw, expert_panel, other_panel, clients, users, colleague


def get_all(clients, url):
    return {
        name: (r.status_code, r.content.decode() if r.status_code == 200 else "")
        for name, r in ((n, c.get(url)) for n, c in clients.items())
    }


def test_the_programme_page_shows_the_panel_to_the_committee_only():
    pw, _expert_panel, _other, clients, users, colleague = scene()
    got = get_all(clients, f"/honours/programmes/{pw.programme.pk}/")
    codes = {name: code for name, (code, _body) in got.items()}
    assert codes == {
        "committee_admin": 200,
        "expert": 403,
        "free_reviewer": 403,
        "unit_admin": 200,
        "other_admin": 404,
        "other_expert": 403,
        "anonymous": 302,
    }
    admin_page = got["committee_admin"][1]
    assert "专家评审组" in admin_page and "s-3" in admin_page
    assert colleague.full_name in admin_page and users["expert"].full_name in admin_page
    assert "1/" in admin_page and "结束专家评分" in admin_page
    unit_page = got["unit_admin"][1]
    assert "专家评审组" not in unit_page and colleague.full_name not in unit_page


def test_the_committee_page_offers_the_draw_before_a_panel_exists():
    pw = build_panel_world(reviewers=1)
    client = logged_in(pw.w.users["committee_admin"])
    body = client.get(f"/honours/programmes/{pw.programme.pk}/").content.decode()
    assert "抽取专家" in body and "panel/draw/" in body
    leader = logged_in(pw.w.users["committee_leader"])
    body = leader.get(f"/honours/programmes/{pw.programme.pk}/").content.decode()
    assert "专家评审组" in body and "panel/draw/" not in body


def test_the_expert_pages_show_the_expert_only_their_own():
    pw, expert_panel, other_panel, clients, _users, colleague = scene()
    listing = get_all(clients, "/honours/panels/")
    assert {n: c for n, (c, _b) in listing.items()} == {
        "committee_admin": 403,
        "expert": 200,
        "free_reviewer": 200,
        "unit_admin": 403,
        "other_admin": 403,
        "other_expert": 200,
        "anonymous": 302,
    }
    assert pw.programme.title in listing["expert"][1]
    assert pw.programme.title not in listing["free_reviewer"][1]
    assert pw.programme.title not in listing["other_expert"][1]
    assert "外工委评选项目" not in listing["expert"][1]
    url = f"/honours/panels/{expert_panel.pk}/"
    got = get_all(clients, url)
    assert {n: c for n, (c, _b) in got.items()} == {
        "committee_admin": 403,
        "expert": 200,
        "free_reviewer": 404,
        "unit_admin": 403,
        "other_admin": 403,
        "other_expert": 404,
        "anonymous": 302,
    }
    page = got["expert"][1]
    assert "乙党员" in page and "甲党员" in page and "事迹突出" in page
    for leak in (
        "77.77",
        "同组专家评语机密",
        "66.66",
        "工委意见机密",
        colleague.full_name,
        colleague.username,
        "乙单位",
        "甲单位",
    ):
        assert leak not in page, leak
    assert clients["expert"].get(f"/honours/panels/{other_panel.pk}/").status_code == 404


def test_a_blind_unit_programme_shows_letters_for_the_units():
    _pw, expert_panel, *_rest, clients, _users, _colleague = scene(kind="unit")
    page = clients["expert"].get(f"/honours/panels/{expert_panel.pk}/").content.decode()
    assert "候选对象 A" in page and "候选对象 B" in page
    assert "甲单位" not in page and "乙单位" not in page


def test_an_open_panel_shows_the_unit_but_never_the_other_scores():
    _pw, expert_panel, *_rest, clients, _users, _colleague = scene(blind=False)
    page = clients["expert"].get(f"/honours/panels/{expert_panel.pk}/").content.decode()
    assert "乙单位" in page and "77.77" not in page and "66.66" not in page


def test_only_the_seated_expert_scores_and_bad_input_keeps_what_was_typed():
    pw, expert_panel, _other, clients, users, _colleague = scene()
    url = f"/honours/panels/{expert_panel.pk}/"
    data = {"nomination": pw.nom_b.pk, "score": "88.5", "note": "我的评语"}
    codes = {n: c.post(url, data).status_code for n, c in clients.items() if n != "expert"}
    assert codes == {
        "committee_admin": 403,
        "free_reviewer": 404,
        "unit_admin": 403,
        "other_admin": 403,
        "other_expert": 404,
        "anonymous": 302,
    }
    assert PanelScore.objects.count() == 1  # the colleague's
    bad = clients["expert"].post(url, {**data, "score": "120"})
    body = bad.content.decode()
    assert bad.status_code == 200 and "我的评语" in body and "120" in body
    assert PanelScore.objects.count() == 1
    done = clients["expert"].post(url, data)
    assert done.status_code == 302 and done["Location"].endswith(f"#c{pw.nom_b.pk}")
    row = PanelScore.objects.get(seat__expert=users["expert"])
    assert (row.score, row.note) == (Decimal("88.5"), "我的评语")
    page = clients["expert"].get(url).content.decode()
    assert "88.5" in page and "77.77" not in page
    stray = clients["expert"].post(url, {**data, "nomination": 999999})
    assert stray.status_code == 200 and "不在本次评分之列" in stray.content.decode()


def test_only_the_committee_admin_draws_and_closes():
    pw, expert_panel, _other, clients, _users, _colleague = scene()
    others = {n: c for n, c in clients.items() if n != "committee_admin"}
    for url, data in (
        (f"/honours/programmes/{pw.programme.pk}/panel/draw/", {"size": 1, "blind": "on"}),
        (f"/honours/programmes/{pw.programme.pk}/panel/close/", {"accept_missing": "on"}),
    ):
        codes = {n: c.post(url, data).status_code for n, c in others.items()}
        assert codes == {
            "expert": 403,
            "free_reviewer": 403,
            "unit_admin": 403,
            "other_admin": 404,
            "other_expert": 403,
            "anonymous": 302,
        }, url
    expert_panel.refresh_from_db()
    assert expert_panel.state == PanelState.SCORING and ExpertPanel.objects.count() == 2
    admin = clients["committee_admin"]
    refused = admin.post(f"/honours/programmes/{pw.programme.pk}/panel/close/", {}, follow=True)
    assert "没有任何专家评分" in refused.content.decode()
    again = admin.post(
        f"/honours/programmes/{pw.programme.pk}/panel/draw/", {"size": 1}, follow=True
    )
    assert "已抽取" in again.content.decode()


def test_the_committee_draws_and_closes_through_the_pages():
    pw = build_panel_world(reviewers=1)
    to_review(pw)
    admin = logged_in(pw.w.users["committee_admin"])
    response = admin.post(
        f"/honours/programmes/{pw.programme.pk}/panel/draw/",
        {"size": 2, "blind": "on", "seed": "页面种子"},
    )
    assert response.status_code == 302
    expert_panel = ExpertPanel.objects.get(programme=pw.programme)
    assert expert_panel.seed == "页面种子" and expert_panel.blind
    for seat in expert_panel.seats.all():
        expert = logged_in(seat.expert)
        for nomination in (pw.nom_a, pw.nom_b):
            expert.post(
                f"/honours/panels/{expert_panel.pk}/",
                {"nomination": nomination.pk, "score": "80", "note": ""},
            )
    admin.post(f"/honours/programmes/{pw.programme.pk}/panel/close/", {"accept_missing": "on"})
    expert_panel.refresh_from_db()
    assert expert_panel.state == PanelState.CLOSED
    pw.nom_b.refresh_from_db()
    assert pw.nom_b.score == Decimal("80.00")


def test_the_scoring_page_queries_do_not_grow_with_the_candidates():
    """The same expert on two panels: one with three candidates, one with nine."""
    pw = build_panel_world(reviewers=0, per_unit_limit=2)  # pool: the reviewer, the conflicted
    w = pw.w
    admin = w.actor("committee_admin")
    larger = open_programme(
        programme(w, name="九名候选", per_unit_limit=9), w.users["committee_admin"]
    )
    nominate(pw.programme, w.unit_b, pw.b_admin, member=MemberFactory(unit=w.unit_b, name="乙二"))
    for i in range(9):
        nominate(larger, w.unit_b, pw.b_admin, member=MemberFactory(unit=w.unit_b, name=f"乙{i}"))
    expert = w.users["reviewer"]
    counts = []
    for p, n in ((pw.programme, 3), (larger, 9)):
        services.programme_transition(programme=p, action="review", actor=admin)
        expert_panel = panel.panel_draw(programme=p, size=2, blind=True, seed="q", actor=admin)
        for nomination in p.nominations.all()[:2]:
            panel.panel_score(
                panel=expert_panel,
                nomination=nomination,
                score=Decimal(70),
                note="x",
                actor=pw.actor(expert),
            )
        client = logged_in(expert)
        url = f"/honours/panels/{expert_panel.pk}/"
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.content.decode().count('<article id="c') == n
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_with_a_panel_the_nomination_page_offers_no_committee_score():
    pw = build_panel_world(reviewers=0)
    to_review(pw)
    admin = logged_in(pw.w.users["committee_admin"])
    url = f"/honours/nominations/{pw.nom_b.pk}/"
    assert "保存评分" in admin.get(url).content.decode()
    panel.panel_draw(
        programme=pw.programme, size=1, blind=True, actor=pw.w.actor("committee_admin")
    )
    assert "保存评分" not in admin.get(url).content.decode()


def test_the_expert_home_page_lists_the_candidates_left_to_score():
    pw, expert_panel, _other, clients, _users, _colleague = scene()
    home = clients["expert"].get("/").content.decode()
    assert "为评选推荐对象评分" in home and f"/honours/panels/{expert_panel.pk}/" in home
    assert pw.programme.title in home
    for name in ("free_reviewer", "other_expert", "unit_admin"):
        assert f"/honours/panels/{expert_panel.pk}/" not in clients[name].get("/").content.decode()
