"""The naming decision of an honour programme (issue 16 point 2): it lists exactly the honours
in state 已命名 — not the one revoked since, not the vetoed one, not the one left over the quota —
grouped by nominating unit; read back from the docx and from the PDF. Who may download it: the
staff of the programme's committee; a unit's people 403, another committee 404.

The world is the honours world (tests/honours/world.py): the data that could leak (another
committee with its own named programme, units' people) is made first."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.core.exports import registry
from mofan.honours import nominations as writes
from mofan.honours import services
from mofan.honours.models import HonourProgramme, NominationState
from mofan.reports.documents.honours_naming import HonoursNamingDecision, honour_of
from tests.factories import MemberFactory
from tests.honours.world import TODAY, HonoursWorld, build_world, nominate, open_programme
from tests.honours.world import programme as new_programme
from tests.reports.doc_fixtures import docx_tables, open_docx, pdf_pages_text, rendered
from tests.world import logged_in

pytestmark = pytest.mark.django_db

NUMBER = "评优[2026]7号"
NAMED_ON = TODAY + dt.timedelta(days=5)


def named_programme(w: HonoursWorld, committee=None) -> HonourProgramme:
    """优秀共产党员 (quota 3): 甲党员 95 and 甲书记 90 of 甲单位, 乙党员 92 of 乙单位 named; 甲三
    99 vetoed by 纪检监察, 甲四 70 over the quota; then 甲书记 revoked."""
    admin = w.actor("committee_admin")
    p = new_programme(w, name="2026年度优秀共产党员", quota_value=3, per_unit_limit=5)
    open_programme(p, w.users["committee_admin"])
    third = MemberFactory(unit=w.unit_a, name="甲三", post="科员")
    fourth = MemberFactory(unit=w.unit_a, name="甲四", post="科员")
    b_member = MemberFactory(unit=w.unit_b, name="乙党员", post="科员")
    owner, b_owner = w.users["unit_admin"], w.users["outsider"]
    scores = {
        nominate(p, w.unit_a, owner, member=w.member_a): 95,
        nominate(p, w.unit_a, owner, member=w.org_a.secretary): 90,
        nominate(p, w.unit_a, owner, member=third): 99,
        nominate(p, w.unit_a, owner, member=fourth): 70,
        nominate(p, w.unit_b, b_owner, member=b_member): 92,
    }
    services.programme_transition(programme=p, action="review", actor=admin)
    for n, score in scores.items():
        writes.nomination_review(nomination=n, score=Decimal(score), note="", actor=admin)
    vetoed = next(n for n in scores if n.member_id == third.pk)
    writes.veto_record(
        nomination=vetoed, source="discipline", vetoes=True, document="纪委函", note="", actor=admin
    )
    services.programme_transition(programme=p, action="publish", actor=admin, today=TODAY)
    services.programme_transition(
        programme=p, action="name", actor=admin, document_number=NUMBER, today=NAMED_ON
    )
    secretary = p.nominations.get(member=w.org_a.secretary)
    writes.honour_revoke(nomination=secretary, reason="受到处分", document="撤销文", actor=admin)
    p.refresh_from_db()
    return p


@pytest.fixture
def w() -> HonoursWorld:
    world = build_world()
    # the other committee's own named programme: must never reach this committee's people
    other = services.programme_create(
        committee=world.other_committee,
        values={"name": "外优秀党员", "kind": "person", "year": 2026, "quota_value": 1},
        actor=world.actor("other_admin"),
    )
    world.other_programme = other  # type: ignore[attr-defined]
    return world


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def docx_text(data: bytes) -> str:
    document = open_docx(data)
    cells = [c for table in docx_tables(document) for row in table for c in row]
    return squash("".join(p.text for p in document.paragraphs) + "".join(cells))


def test_the_decision_lists_exactly_the_named(w):
    p = named_programme(w)
    states = dict(p.nominations.values_list("candidate_name", "state"))
    assert sorted(s for s in states.values()) == sorted(
        [NominationState.NAMED] * 2
        + [NominationState.REVOKED, NominationState.NOT_SELECTED, NominationState.NOT_SELECTED]
    )
    document = HonoursNamingDecision(programme=p, actor=w.actor("committee_admin"))
    doc = document.build()
    assert doc.title == "关于命名2026年度“优秀共产党员”的决定"  # the year once
    assert doc.number == "评优〔2026〕7号" and doc.date == NAMED_ON
    assert doc.issuer == "评优工委文件" and doc.signature == "评优工委"
    text = docx_text(rendered(document, "docx"))
    assert "关于命名2026年度“优秀共产党员”的决定" in text
    assert "评优〔2026〕7号" in text
    assert (
        "为表彰先进、树立典型，我委组织开展了2026年度“优秀共产党员”评选工作。"
        "经各单位推荐、我委评审，征求纪检监察部门意见，并经公示，"
        "决定命名甲党员等2名同志为2026年度“优秀共产党员”。"
    ) in text
    assert "甲单位：甲党员" in text and "乙单位：乙党员" in text
    for absent in ("甲书记", "甲三", "甲四", "外"):
        assert absent not in text, absent
    assert "2026年6月6日" in text


def test_the_pdf_says_the_same(w):
    p = named_programme(w)
    data = rendered(HonoursNamingDecision(programme=p, actor=w.actor("committee_admin")), "pdf")
    assert data.startswith(b"%PDF-")
    text = squash("".join(pdf_pages_text(data)))
    for expected in ("评优工委文件", "评优〔2026〕7号", "甲单位：甲党员", "乙单位：乙党员"):
        assert expected in text, expected
    for absent in ("甲书记", "甲三", "甲四"):
        assert absent not in text, absent


def test_a_unit_programme_lists_its_units_in_a_table(w):
    admin = w.actor("committee_admin")
    p = new_programme(w, name="五星级示范单位", kind="unit", quota_value=1, campaign=w.campaign)
    open_programme(p, w.users["committee_admin"])
    a = nominate(p, w.unit_a, w.users["unit_admin"])
    b = nominate(p, w.unit_b, w.users["outsider"])
    services.programme_transition(programme=p, action="review", actor=admin)
    writes.nomination_review(nomination=a, score=Decimal(90), note="", actor=admin)
    writes.nomination_review(nomination=b, score=Decimal(80), note="", actor=admin)
    services.programme_transition(programme=p, action="publish", actor=admin, today=TODAY)
    services.programme_transition(
        programme=p, action="name", actor=admin, document_number="评优〔2026〕8号", today=NAMED_ON
    )
    p.refresh_from_db()
    document = open_docx(rendered(HonoursNamingDecision(programme=p, actor=admin), "docx"))
    rows = [row for table in docx_tables(document) for row in table]
    assert [r[1] for r in rows[1:]] == ["甲单位"]  # the header, then exactly the named
    text = squash("".join(par.text for par in document.paragraphs))
    assert "经各单位推荐、我委评审，并经公示，决定命名甲单位为" in text  # nobody consulted
    assert "希望受到命名的单位珍惜荣誉" in text


def test_not_before_naming_nor_with_everyone_revoked(w):
    p = new_programme(w)
    with pytest.raises(ValidationError, match="尚未命名"):
        HonoursNamingDecision(programme=p, actor=w.actor("committee_admin")).check()
    named = named_programme(w)
    admin = w.actor("committee_admin")
    for n in named.nominations.filter(state=NominationState.NAMED):
        writes.honour_revoke(nomination=n, reason="撤销", document="撤销文", actor=admin)
    with pytest.raises(ValidationError, match="没有已命名"):
        HonoursNamingDecision(programme=named, actor=admin).check()


def test_honour_without_the_year():
    p = HonourProgramme(name="2026年度优秀共产党员", year=2026)
    assert honour_of(p) == "优秀共产党员"
    assert honour_of(HonourProgramme(name="优秀党务工作者", year=2026)) == "优秀党务工作者"


def test_it_is_a_programme_document_not_a_campaign_export():
    assert registry.get("honours_naming", scope="programme") is HonoursNamingDecision
    assert HonoursNamingDecision not in registry.all_exports()
    with pytest.raises(LookupError):
        registry.get("honours_naming")


def test_only_the_committee_staff_may_have_it(w):
    p = named_programme(w)
    for name in ("committee_admin", "committee_leader"):
        HonoursNamingDecision(programme=p, actor=w.actor(name)).check()
    for name in ("reviewer", "unit_admin", "unit_leader", "member", "outsider", "other_admin"):
        with pytest.raises(PermissionDenied):
            HonoursNamingDecision(programme=p, actor=w.actor(name)).build()


def url(p: HonourProgramme, fmt: str = "docx", identifier: str = "honours_naming") -> str:
    return f"/reports/programmes/{p.pk}/document/?name={identifier}&format={fmt}"


def test_the_download_permission_matrix(w):
    p = named_programme(w)
    expected = {
        "committee_admin": 200,
        "committee_leader": 200,
        "reviewer": 403,
        "unit_admin": 403,
        "unit_leader": 403,
        "member": 403,
        "outsider": 403,
        "other_admin": 404,
    }
    for name, status in expected.items():
        response = logged_in(w.users[name]).get(url(p))
        assert response.status_code == status, name
    assert logged_in(None).get(url(p)).status_code == 302  # to the login page
    admin = logged_in(w.users["committee_admin"])
    response = admin.get(url(p))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert "甲党员" in docx_text(b"".join(response.streaming_content))
    entries = AuditEntry.objects.filter(action="report.programme_document", object_id=str(p.pk))
    assert entries.count() == 3  # admin twice, leader once
    # another committee's staff reach their own programmes only: this one is a 404 for them
    other = w.other_programme  # type: ignore[attr-defined]
    assert admin.get(url(other)).status_code == 404
    assert admin.get(url(p, fmt="xlsx")).status_code == 404
    assert admin.get(url(p, identifier="naming_notice")).status_code == 404


def test_a_programme_not_named_sends_back_with_a_message(w):
    p = new_programme(w)
    response = logged_in(w.users["committee_admin"]).get(url(p), follow=True)
    assert response.redirect_chain[-1][0] == f"/honours/programmes/{p.pk}/"
    assert "尚未命名" in response.content.decode()


def test_the_programme_page_offers_it_to_the_staff_only(w):
    p = named_programme(w)
    link = url(p).replace("&", "&amp;")
    for name in ("committee_admin", "committee_leader"):
        page = logged_in(w.users[name]).get(f"/honours/programmes/{p.pk}/").content.decode()
        assert link in page and url(p, "pdf").replace("&", "&amp;") in page, name
    for name in ("unit_admin", "unit_leader"):
        response = logged_in(w.users[name]).get(f"/honours/programmes/{p.pk}/")
        page = response.content.decode()
        assert response.status_code == 200 and "甲党员" in page, name
        assert f"/reports/programmes/{p.pk}/document/" not in page, name


def test_the_decision_of_a_campaign_results_programme():
    """先进单位 (issue 16 point 1) named through the programme: the body cites the campaign's
    考评 results and the department consulted on the campaign's units (C vetoed by 纪检监察);
    the list is its named units."""
    from tests.reports.doc_fixtures import build_doc_world

    dw = build_doc_world(publish=False)
    admin = dw.actor("committee_admin")
    p = HonourProgramme.objects.get(campaign=dw.campaign)
    services.programme_transition(programme=p, action="publish", actor=admin, today=TODAY)
    services.programme_transition(
        programme=p, action="name", actor=admin, document_number="焦直文〔2026〕9号", today=NAMED_ON
    )
    p.refresh_from_db()
    document = open_docx(rendered(HonoursNamingDecision(programme=p, actor=admin), "docx"))
    text = squash("".join(par.text for par in document.paragraphs))
    assert "关于命名2024年度“创建模范机关先进单位”的决定" in text
    assert (
        "为表彰先进、树立典型，根据“2024年度模范机关创建”考评结果，经我委审定，"
        "征求纪检监察部门意见，并经公示，"
        "决定命名乙单位等2个单位为2024年度“创建模范机关先进单位”。"
    ) in text
    rows = [row for table in docx_tables(document) for row in table]
    assert [r[1] for r in rows[1:]] == ["乙单位", "丁单位"]
