"""Every honours page for every persona: the owner unit's 联络员, its leader (colleague), another
unit's 联络员 (outsider), a member, the committee admin, another committee's admin, a reviewer
and the anonymous visitor. The data that could leak is made first (unit A's nomination, a draft
programme, another committee's programme and nomination); then each page shows it to exactly
the people allowed, and every write refuses everybody else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mofan.honours import nominations as writes
from mofan.honours import services
from mofan.honours.models import Nomination, NominationState, Objection, VetoInput
from tests.factories import MemberFactory, make_user
from tests.honours.world import build_world, nominate, open_programme, programme
from tests.world import logged_in

pytestmark = pytest.mark.django_db

PERSONAS = (
    "unit_admin",
    "unit_leader",
    "outsider",
    "member",
    "committee_admin",
    "other_admin",
    "reviewer",
    "anonymous",
)


def scene():
    w = build_world()
    admin = w.actor("committee_admin")
    draft = programme(w, name="草稿评选项目")
    nominating = open_programme(programme(w, name="优秀党务工作者评选"), w.users["committee_admin"])
    nom_a = nominate(nominating, w.unit_a, w.users["unit_admin"], member=w.member_a)
    nom_a.statement = "甲单位推荐理由机密"
    nom_a.save()
    public = open_programme(
        programme(w, name="优秀共产党员评选", quota_value=2, publicity_days=3),
        w.users["committee_admin"],
    )
    pub_a = nominate(public, w.unit_a, w.users["unit_admin"], member=w.org_a.secretary)
    services.programme_transition(programme=public, action="review", actor=admin)
    writes.nomination_review(nomination=pub_a, score=Decimal(88), note="评审意见机密", actor=admin)
    writes.veto_record(
        nomination=pub_a,
        source="inspection",
        vetoes=False,
        document="巡察函机密",
        note="",
        actor=admin,
    )
    services.programme_transition(programme=public, action="publish", actor=admin)
    other = open_programme(
        programme(w, committee=w.other_committee, name="外工委评选项目"), w.users["other_admin"]
    )
    outsider_admin = persona_other_unit_admin(w)
    nom_x = nominate(other, w.other_unit, outsider_admin, member=other_member(w))
    clients = {p: logged_in(None if p == "anonymous" else w.users[p]) for p in PERSONAS}
    return (
        w,
        clients,
        {
            "draft": draft,
            "nominating": nominating,
            "public": public,
            "other": other,
            "nom_a": nom_a,
            "pub_a": pub_a,
            "nom_x": nom_x,
        },
    )


def persona_other_unit_admin(w):
    return make_user("unit_admin", unit=w.other_unit)


def other_member(w):
    return MemberFactory(unit=w.other_unit, name="外候选人")


def expect(clients, url, statuses, *, shows=(), hides=()):
    """GET `url` as each persona: the status given (default 200 for those not named), the
    texts `shows` on each 200 page of the personas listed first in `shows`."""
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
    login = 302
    unit_people = ("unit_admin", "unit_leader", "outsider", "member")
    expect(
        clients,
        "/honours/",
        {"anonymous": login, "reviewer": 403},
        shows=[("优秀党务工作者评选", ("unit_admin", "committee_admin", "outsider"))],
        hides=[
            ("草稿评选项目", unit_people),
            ("外工委评选项目", (*unit_people, "committee_admin")),
            ("优秀共产党员评选", ("other_admin",)),
            ("优秀党务工作者评选", ("member", "other_admin")),
        ],
    )
    expect(
        clients,
        f"/honours/programmes/{s['nominating'].pk}/",
        {"anonymous": login, "member": 404, "other_admin": 404, "reviewer": 403},
        shows=[("甲党员", ("unit_admin", "unit_leader", "committee_admin"))],
        hides=[("甲党员", ("outsider",))],
    )
    expect(
        clients,
        f"/honours/programmes/{s['draft'].pk}/",
        {p: 404 for p in (*unit_people, "other_admin")} | {"reviewer": 403, "anonymous": login},
    )
    expect(
        clients,
        f"/honours/programmes/{s['other'].pk}/",
        {p: 404 for p in PERSONAS if p != "other_admin"} | {"reviewer": 403, "anonymous": login},
    )
    forbidden = {p: 403 for p in (*unit_people, "reviewer")} | {"anonymous": login}
    expect(clients, "/honours/programmes/new/", forbidden)
    expect(clients, f"/honours/programmes/{s['draft'].pk}/edit/", forbidden | {"other_admin": 404})
    expect(
        clients,
        f"/honours/programmes/{s['nominating'].pk}/nominate/",
        {p: 403 for p in ("unit_leader", "member", "committee_admin", "other_admin", "reviewer")}
        | {"anonymous": login},
        shows=[("甲单位", ("unit_admin",)), ("乙单位", ("outsider",))],
        hides=[("甲单位", ("outsider",))],
    )
    for key in ("nom_a", "pub_a"):
        expect(
            clients,
            f"/honours/nominations/{s[key].pk}/",
            {p: 404 for p in ("outsider", "member", "other_admin")}
            | {"reviewer": 403}
            | {"anonymous": login},
            shows=[(s[key].candidate_name, ("unit_admin", "unit_leader", "committee_admin"))],
        )
    expect(
        clients,
        f"/honours/nominations/{s['pub_a'].pk}/",
        {p: 404 for p in ("outsider", "member", "other_admin")}
        | {"reviewer": 403}
        | {"anonymous": login},
        shows=[("评审意见机密", ("committee_admin",)), ("巡察函机密", ("committee_admin",))],
        hides=[("评审意见机密", ("unit_admin", "unit_leader")), ("巡察函机密", ("unit_admin",))],
    )
    expect(
        clients,
        f"/honours/nominations/{s['nom_x'].pk}/",
        {p: 404 for p in PERSONAS if p != "other_admin"} | {"reviewer": 403, "anonymous": login},
    )
    expect(
        clients,
        f"/honours/programmes/{s['public'].pk}/publicity/",
        {"other_admin": 404, "reviewer": 403, "anonymous": login},
        shows=[("甲书记", unit_people), ("提出异议", unit_people)],
        hides=[("评审意见机密", unit_people), ("提出异议", ("committee_admin",))],
    )
    expect(
        clients,
        f"/honours/programmes/{s['nominating'].pk}/publicity/",
        {p: 404 for p in PERSONAS} | {"reviewer": 403, "anonymous": login},
    )
    # the public 公示 page: anyone, no account; the list and nothing behind it
    everyone = tuple(PERSONAS)
    expect(
        clients,
        f"/honours/public/{s['public'].pk}/",
        {},
        shows=[("甲书记", everyone), ("甲单位", everyone), ("公示期为", everyone)],
        hides=[
            ("评审意见机密", everyone),
            ("巡察函机密", everyone),
            ("事迹突出", everyone),
            ("88.00", everyone),  # the score (a bare "88" can be part of a page's tokens)
            ("评审得分", everyone),
            ("提出异议", everyone),
        ],
    )
    for key in ("draft", "nominating", "other"):
        expect(clients, f"/honours/public/{s[key].pk}/", {p: 404 for p in PERSONAS})


def post_all(clients, url, data):
    return {p: c.post(url, data).status_code for p, c in clients.items()}


def test_every_write_refuses_all_but_the_committee_admin():
    _w, clients, s = scene()
    nom, pub = s["nom_a"], s["pub_a"]
    others = {p: c for p, c in clients.items() if p != "committee_admin"}
    cases = [
        (
            f"/honours/programmes/{s['nominating'].pk}/transition/",
            {"action": "close", "reason": "x"},
        ),
        (f"/honours/programmes/{s['nominating'].pk}/tie/", {"chosen": [nom.pk]}),
        (f"/honours/nominations/{nom.pk}/review/", {"score": "90", "note": "x"}),
        (
            f"/honours/nominations/{nom.pk}/veto/",
            {"source": "audit", "vetoes": "1", "document": "d"},
        ),
        (f"/honours/nominations/{pub.pk}/revoke/", {"reason": "x", "document": "d"}),
    ]
    for url, data in cases:
        codes = post_all(others, url, data)
        assert codes == {
            **{p: 403 for p in ("unit_admin", "unit_leader", "outsider", "member", "reviewer")},
            "other_admin": 404,
            "anonymous": 302,
        }, url
    s["nominating"].refresh_from_db()
    assert s["nominating"].state == "nominating"
    assert not VetoInput.objects.filter(nomination=nom).exists()
    assert Nomination.objects.get(pk=nom.pk).score is None
    # objections: people of the committee's units, on the 公示 list only
    url = f"/honours/nominations/{pub.pk}/object/"
    codes = post_all(clients, url, {"text": "有异议"})
    assert codes["other_admin"] == 404 and codes["reviewer"] == 403 and codes["anonymous"] == 302
    assert Objection.objects.filter(nomination=pub).count() == 4  # unit A's three and B's admin
    assert (
        clients["unit_admin"]
        .post(f"/honours/nominations/{nom.pk}/object/", {"text": "x"})
        .status_code
        == 404
    )
    # an objection received by phone or letter: recorded by the committee admin only
    url = f"/honours/nominations/{pub.pk}/objections/new/"
    data = {"channel": "letter", "source_name": "王某", "text": "来信反映的问题"}
    codes = post_all(others, url, data)
    assert codes == {
        **{p: 403 for p in ("unit_admin", "unit_leader", "outsider", "member", "reviewer")},
        "other_admin": 404,
        "anonymous": 302,
    }
    assert not Objection.objects.filter(channel="letter").exists()
    assert clients["committee_admin"].post(url, data).status_code == 302
    recorded = Objection.objects.get(channel="letter")
    assert (recorded.source_name, recorded.text) == ("王某", "来信反映的问题")
    detail = clients["committee_admin"].get(f"/honours/nominations/{pub.pk}/").content.decode()
    assert "来信，王某" in detail
    objection = Objection.objects.filter(nomination=pub).first()
    codes = post_all(
        others, f"/honours/objections/{objection.pk}/resolve/", {"upheld": "0", "resolution": "x"}
    )
    assert codes["other_admin"] == 404 and codes["outsider"] == 403 and codes["anonymous"] == 302
    objection.refresh_from_db()
    assert objection.upheld is None


def test_the_committee_runs_a_selection_through_the_pages():
    w, clients, _s = scene()
    admin, owner = clients["committee_admin"], clients["unit_admin"]
    response = admin.post(
        "/honours/programmes/new/",
        {
            "name": "五星级示范党支部",
            "kind": "party_org",
            "year": 2026,
            "quota_kind": "count",
            "quota_value": 1,
            "per_unit_limit": 1,
            "require_file_card": "on",
            "exclude_yellow_card": "on",
            "publicity_days": 5,
        },
    )
    assert response.status_code == 302
    p = w.committee.honour_programmes.get(name="五星级示范党支部")
    admin.post(f"/honours/programmes/{p.pk}/transition/", {"action": "open"})
    page = owner.get(f"/honours/programmes/{p.pk}/nominate/?unit={w.unit_a.pk}")
    assert "甲第一党支部" in page.content.decode()
    preview = owner.post(
        f"/honours/programmes/{p.pk}/nominate/?unit={w.unit_a.pk}",
        {"party_org": w.carded_org.pk, "statement": "事迹", "preview": "1"},
    )
    assert "黄牌警示期间" in preview.content.decode()
    # the records can be looked at before the statement is written: no error, nothing lost
    early = owner.post(
        f"/honours/programmes/{p.pk}/nominate/?unit={w.unit_a.pk}",
        {"party_org": w.org_a.pk, "statement": "", "preview": "1"},
    )
    text = early.content.decode()
    assert early.status_code == 200 and "符合参评条件" in text
    assert "这个字段是必填项" not in text and "errorlist" not in text
    assert f'value="{w.org_a.pk}" selected' in text
    assert not Nomination.objects.filter(programme=p).exists()
    done = owner.post(
        f"/honours/programmes/{p.pk}/nominate/?unit={w.unit_a.pk}",
        {"party_org": w.org_a.pk, "statement": "事迹突出"},
    )
    assert done.status_code == 302
    n = Nomination.objects.get(programme=p)
    admin.post(f"/honours/programmes/{p.pk}/transition/", {"action": "review"})
    admin.post(f"/honours/nominations/{n.pk}/review/", {"score": "92", "note": "好"})
    admin.post(
        f"/honours/nominations/{n.pk}/veto/",
        {"source": "discipline", "vetoes": "0", "document": "纪委函1号"},
    )
    admin.post(f"/honours/programmes/{p.pk}/transition/", {"action": "publish"})
    n.refresh_from_db()
    assert n.state == NominationState.SELECTED
    p.refresh_from_db()
    p.publicity_end = p.publicity_start - dt.timedelta(days=1)  # the 公示 period is over
    p.save()
    admin.post(
        f"/honours/programmes/{p.pk}/transition/",
        {"action": "name", "document_number": "工委〔2026〕5号"},
    )
    n.refresh_from_db()
    assert n.state == NominationState.NAMED
    admin.post(
        f"/honours/nominations/{n.pk}/revoke/",
        {"reason": "撤销原因", "document": "工委〔2026〕8号"},
    )
    for client in (owner, clients["outsider"]):
        body = client.get(f"/honours/programmes/{p.pk}/publicity/").content.decode()
        assert "已撤销" in body
    assert "已撤销" in owner.get(f"/honours/nominations/{n.pk}/").content.decode()
