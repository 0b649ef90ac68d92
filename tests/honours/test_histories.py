"""Histories of honours on the unit, party-organisation and roster-member pages, and the honours
register (xlsx) of a committee and a year.

The data that could leak is made first: unit B's honour, another committee's honour, a revoked
honour's reason; then each page and each register shows it to exactly the people allowed."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from mofan.accounts.access import actor_for
from mofan.audit.models import AuditEntry
from mofan.honours import nominations as writes
from mofan.honours import services
from mofan.honours.models import HonourProgramme, Nomination
from mofan.organizations.models import Committee
from tests.factories import MemberFactory, make_user
from tests.honours.world import HonoursWorld, build_world, nominate, programme
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def named(
    w: HonoursWorld,
    candidates: list[tuple[Any, Any, dict[str, Any]]],
    *,
    committee: Committee | None = None,
    **values: Any,
) -> tuple[HonourProgramme, list[Nomination]]:
    """A programme taken to 已命名 with every candidate (unit, its 联络员, the candidate) named."""
    committee = committee or w.committee
    admin = actor_for(w.users["committee_admin" if committee == w.committee else "other_admin"])
    fields = {"quota_value": len(candidates), "per_unit_limit": 20} | values
    p = programme(w, committee=committee, **fields)
    p = services.programme_transition(programme=p, action="open", actor=admin)
    made = [nominate(p, unit, user, **candidate) for unit, user, candidate in candidates]
    p = services.programme_transition(programme=p, action="review", actor=admin)
    for n in made:
        writes.nomination_review(nomination=n, score=Decimal(90), note="", actor=admin)
    p = services.programme_transition(programme=p, action="publish", actor=admin)
    p.publicity_end = p.publicity_start
    p.save()
    p = services.programme_transition(
        programme=p,
        action="name",
        actor=admin,
        document_number=f"工委〔{p.year}〕{p.pk}号",
        today=p.publicity_end,
    )
    return p, [Nomination.objects.get(pk=n.pk) for n in made]


def scene() -> tuple[HonoursWorld, dict[str, Any]]:
    w = build_world()
    admin = w.actor("committee_admin")
    b_member = MemberFactory(unit=w.unit_b, name="乙荣誉者")
    old, (old_a,) = named(
        w,
        [(w.unit_a, w.users["unit_admin"], {"member": w.member_a})],
        name="往年优秀党员",
        year=2025,
    )
    writes.honour_revoke(
        nomination=old_a, reason="撤销原因机密", document="撤销文件1号", actor=admin
    )
    people, _noms = named(
        w,
        [
            (w.unit_a, w.users["unit_admin"], {"member": w.org_a.secretary}),
            (w.unit_b, w.users["outsider"], {"member": b_member}),
        ],
        name="今年优秀党员",
    )
    orgs, _noms = named(
        w,
        [(w.unit_a, w.users["unit_admin"], {"party_org": w.org_a})],
        name="五星级示范党支部",
        kind="party_org",
    )
    other_admin = make_user("unit_admin", unit=w.other_unit)
    x_member = MemberFactory(unit=w.other_unit, name="外荣誉者")
    named(
        w,
        [(w.other_unit, other_admin, {"member": x_member})],
        committee=w.other_committee,
        name="外工委荣誉",
    )
    return w, {"old": old, "people": people, "orgs": orgs, "b_member": b_member}


def page(user: Any, url: str) -> tuple[int, str]:
    response = logged_in(user).get(url)
    return response.status_code, response.content.decode() if response.status_code == 200 else ""


def test_histories_show_each_subject_its_own_honours_newest_first():
    w, _s = scene()
    unit_page = f"/org/units/{w.unit_a.pk}/"
    for who in ("committee_admin", "committee_leader", "unit_admin", "unit_leader", "member"):
        status, body = page(w.users[who], unit_page)
        assert status == 200, who
        assert "今年优秀党员" in body and "五星级示范党支部" in body and "往年优秀党员" in body
        assert "已撤销" in body
        assert "乙荣誉者" not in body and "外荣誉者" not in body, who
        assert body.index("今年优秀党员") < body.index("往年优秀党员")  # newest first
        # the reason of a revocation: the committee's staff and the unit's admin and leader
        assert ("撤销原因机密" in body) == (who != "member"), who
    for who in ("outsider", "other_admin"):
        assert page(w.users[who], unit_page)[0] == 404, who

    status, body = page(w.users["committee_admin"], f"/org/units/{w.unit_b.pk}/")
    assert "乙荣誉者" in body and "甲书记" not in body and "往年优秀党员" not in body

    status, body = page(w.users["unit_admin"], f"/org/orgs/{w.org_a.pk}/")
    assert status == 200 and "五星级示范党支部" in body and "honour-history" in body
    assert "优秀党员" not in body  # the people's honours are on their own pages
    status, body = page(w.users["unit_admin"], f"/org/orgs/{w.carded_org.pk}/")
    assert status == 200 and "honour-history" not in body  # no honours, no section

    status, body = page(w.users["committee_admin"], f"/org/members/{w.member_a.pk}/edit/")
    assert status == 200 and "往年优秀党员" in body and "已撤销" in body
    assert "今年优秀党员" not in body
    assert page(w.users["other_admin"], f"/org/members/{w.member_a.pk}/edit/")[0] == 404
    # the read-only page of the person shows the same history to those who may read the roster
    for who in ("committee_admin", "committee_leader", "unit_leader"):
        status, body = page(w.users[who], f"/org/members/{w.member_a.pk}/")
        assert status == 200 and "往年优秀党员" in body and "已撤销" in body, who
    for who in ("outsider", "other_admin"):
        assert page(w.users[who], f"/org/members/{w.member_a.pk}/")[0] == 404, who


def test_history_queries_do_not_grow_with_the_honours():
    w, _s = scene()
    client = logged_in(w.users["committee_admin"])
    urls = [
        f"/org/units/{w.unit_a.pk}/",
        f"/org/orgs/{w.org_a.pk}/",
        f"/org/members/{w.member_a.pk}/edit/",
        f"/org/members/{w.member_a.pk}/",
    ]

    def counts() -> list[int]:
        found = []
        for url in urls:
            client.get(url)  # warm up
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    before = counts()
    more = [MemberFactory(unit=w.unit_a, name=f"甲先进{i}") for i in range(4)]
    named(w, [(w.unit_a, w.users["unit_admin"], {"member": m}) for m in more], name="再一年")
    named(
        w,
        [(w.unit_a, w.users["unit_admin"], {"party_org": w.org_a})],
        name="再一个示范支部",
        kind="party_org",
        year=2027,
    )
    named(
        w,
        [(w.unit_a, w.users["unit_admin"], {"member": w.member_a})],
        name="再一个优秀党员",
        year=2027,
    )
    body = client.get(urls[0]).content.decode()
    assert "甲先进3" in body and "再一个示范支部" in body
    assert counts() == before


def sheet_rows(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content))
    return list(book.active.iter_rows(values_only=True))


def register(user: Any, committee: Committee, year: Any) -> Any:
    return logged_in(user).get("/honours/register/", {"committee": committee.pk, "year": year})


def test_the_register_lists_the_committees_honours_of_the_year():
    w, s = scene()
    response = register(w.users["committee_admin"], w.committee, 2026)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = sheet_rows(b"".join(response.streaming_content))
    assert rows[0][0] == "2026年度评优工委荣誉命名登记册"
    assert rows[1][:6] == ("序号", "年度", "评选项目", "评选对象", "推荐单位", "荣誉获得者")
    data = rows[2:]
    assert {r[5] for r in data} == {"甲书记", "乙荣誉者", "甲第一党支部"}
    assert all(r[1] == 2026 and r[8] == "已命名" and r[9] is None for r in data)
    org_row = next(r for r in data if r[5] == "甲第一党支部")
    assert org_row[2:5] == ("五星级示范党支部", "党组织", "甲单位")
    assert org_row[6].date() == s["orgs"].named_on
    assert org_row[7] == s["orgs"].document_number
    assert [r[0] for r in data] == [1, 2, 3]

    old = sheet_rows(b"".join(register(w.users["committee_leader"], w.committee, 2025)))
    assert len(old) == 3
    row = old[2]
    assert row[5] == "甲党员" and row[8] == "已撤销"
    assert row[9] is not None and row[10] == "撤销原因机密" and row[11] == "撤销文件1号"
    assert AuditEntry.objects.filter(action="honour.register").count() == 2


def test_the_register_is_scoped_to_the_committee_and_the_units():
    w, _s = scene()
    # a unit's 联络员 gets its own unit's rows only
    rows = sheet_rows(b"".join(register(w.users["outsider"], w.committee, 2026)))
    assert rows[0][0].endswith("（本单位）")
    assert [r[5] for r in rows[2:]] == ["乙荣誉者"]
    # another committee's register is not exportable, and nor is ours by its admin
    assert register(w.users["committee_admin"], w.other_committee, 2026).status_code == 404
    assert register(w.users["other_admin"], w.committee, 2026).status_code == 404
    other = sheet_rows(b"".join(register(w.users["other_admin"], w.other_committee, 2026)))
    assert [r[5] for r in other[2:]] == ["外荣誉者"]
    for who in ("member", "reviewer"):
        assert register(w.users[who], w.committee, 2026).status_code == 403, who
    assert register(None, w.committee, 2026).status_code == 302
    for year in ("", "x", "99999999999999999999", "-1"):
        assert register(w.users["committee_admin"], w.committee, year).status_code == 404


def test_the_list_page_offers_the_register_by_year():
    w, _s = scene()
    body = logged_in(w.users["committee_admin"]).get("/honours/").content.decode()
    assert 'id="honours-register"' in body
    assert '<option value="2026">' in body and '<option value="2025">' in body
    body = logged_in(w.users["member"]).get("/honours/").content.decode()
    assert 'id="honours-register"' not in body
