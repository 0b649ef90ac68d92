"""Every brand-case page for every persona: the committee admin, unit A's 联络员 (owner), unit
B's 联络员 (another unit), an expert on the panel, a reviewer of the committee not on it,
another committee's admin and the anonymous visitor. What could leak is made first — unit A's
draft, unit B's case, the unit's name in a case's text, another expert's comment, another
committee's call — then each page shows each persona only its own."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest

from mofan.accounts.access import actor_for
from mofan.accounts.roles import Role
from mofan.cases import panel
from tests.cases.world import Scene, build_scene, split, step
from tests.factories import make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def clients_of(s: Scene, *, off_panel: bool = True):
    w = s.w
    users = {
        "committee_admin": w.users["committee_admin"],
        "owner": w.users["unit_admin"],
        "another_unit": w.users["outsider"],
        "expert": w.users["reviewer"],
        "other_admin": w.users["other_admin"],
    }
    if off_panel:  # a reviewer of the committee who joined after the draw
        users["off_panel"] = make_user(Role.REVIEWER, committee=w.committee, username="offpanel")
    clients = {name: logged_in(user) for name, user in users.items()}
    clients["anonymous"] = logged_in(None)
    return clients


def get_all(clients, url):
    return {
        name: (r.status_code, r.content.decode() if r.status_code == 200 else "")
        for name, r in ((n, c.get(url)) for n, c in clients.items())
    }


def codes(got):
    return {name: code for name, (code, _body) in got.items()}


def test_the_call_list_and_page_show_each_unit_only_its_own_cases():
    s = build_scene(scored=True)
    clients = clients_of(s)
    listing = get_all(clients, "/cases/")
    assert codes(listing) == {
        "committee_admin": 200,
        "owner": 200,
        "another_unit": 200,
        "expert": 403,
        "other_admin": 200,
        "off_panel": 403,
        "anonymous": 302,
    }
    assert s.call.title in listing["owner"][1]
    assert "外工委征集" not in listing["committee_admin"][1] + listing["owner"][1]
    assert s.call.title not in listing["other_admin"][1]
    got = get_all(clients, f"/cases/calls/{s.call.pk}/")
    assert codes(got) == {
        "committee_admin": 200,
        "owner": 200,
        "another_unit": 200,
        "expert": 403,
        "other_admin": 404,
        "off_panel": 403,
        "anonymous": 302,
    }
    admin = got["committee_admin"][1]
    assert "甲案例" in admin and "乙案例" in admin and "scene" in admin
    assert "甲草稿" not in admin  # a unit's draft is its own
    owner = got["owner"][1]
    assert "甲案例" in owner and "甲草稿" in owner and "乙案例" not in owner
    assert "90.00" not in owner and "scene" not in owner
    another = got["another_unit"][1]
    assert "乙案例" in another and "甲案例" not in another and "甲草稿" not in another


def test_a_case_page_is_its_units_and_the_committees():
    s = build_scene()
    clients = clients_of(s)
    got = get_all(clients, f"/cases/cases/{s.case_a.pk}/")
    assert codes(got) == {
        "committee_admin": 200,
        "owner": 200,
        "another_unit": 404,
        "expert": 404,
        "other_admin": 404,
        "off_panel": 404,
        "anonymous": 302,
    }
    draft = get_all(clients, f"/cases/cases/{s.draft_a.pk}/")
    assert codes(draft)["owner"] == 200 and codes(draft)["committee_admin"] == 404
    edit = get_all(clients, f"/cases/cases/{s.draft_a.pk}/edit/")
    assert codes(edit)["another_unit"] == 404 and codes(edit)["committee_admin"] == 403


def test_the_expert_scores_blind_and_never_sees_another_experts_comment():
    s = build_scene()
    w = s.w
    colleague = w.users["reviewer"]
    expert = next(u for u in w.pool if u not in (colleague, w.conflicted))
    panel.case_score(
        case=s.case_b, points=split(77), comment="同组专家评语机密", actor=actor_for(colleague)
    )
    clients = clients_of(s)
    clients["expert"] = logged_in(expert)
    clients["conflicted"] = logged_in(w.conflicted)
    listing = get_all(clients, f"/cases/calls/{s.call.pk}/scoring/")
    assert codes(listing) == {
        "committee_admin": 403,
        "owner": 403,
        "another_unit": 403,
        "expert": 200,
        "other_admin": 403,
        "off_panel": 404,
        "conflicted": 200,
        "anonymous": 302,
    }
    assert f"/cases/score/{s.case_a.pk}/" not in listing["conflicted"][1]
    assert f"/cases/score/{s.case_b.pk}/" in listing["conflicted"][1]
    page = get_all(clients, f"/cases/score/{s.case_a.pk}/")
    assert codes(page)["expert"] == 200 and codes(page)["conflicted"] == 404
    assert codes(page)["off_panel"] == 404 and codes(page)["committee_admin"] == 403
    body = page["expert"][1]
    assert "坚持机密做法" in body and "甲单位" not in body
    b_page = get_all(clients, f"/cases/score/{s.case_b.pk}/")["expert"][1]
    assert "乙单位" not in b_page and "同组专家评语机密" not in b_page
    # The colleague's 77 (30 + 30 + 17 + 0) is neither shown nor filled in; looked for in the
    # text and the form values only, as the random CSRF token may hold "77" too.
    assert "77" not in re.sub(r"<[^>]*>", " ", b_page)
    assert not re.search(r'value="(77|17)"', b_page)
    response = clients["expert"].post(
        f"/cases/score/{s.case_a.pk}/", {"c0": 40, "c1": 1, "c2": 1, "c3": 1, "comment": ""}
    )
    assert response.status_code == 200 and "0–30" in response.content.decode()
    response = clients["expert"].post(
        f"/cases/score/{s.case_a.pk}/", {"c0": 30, "c1": 20, "c2": 10, "c3": 5, "comment": "好"}
    )
    assert response.status_code == 302
    assert s.case_a.scores.get(seat__expert=expert).total == 65


def test_writes_refuse_everybody_else():
    s = build_scene()
    clients = clients_of(s, off_panel=False)
    url = f"/cases/calls/{s.call.pk}/transition/"
    for name, code in (("owner", 403), ("another_unit", 403), ("other_admin", 404)):
        assert clients[name].post(url, {"action": "close", "reason": "x"}).status_code == code
    submit = f"/cases/cases/{s.draft_a.pk}/submit/"
    assert clients["another_unit"].post(submit).status_code == 404
    assert clients["committee_admin"].post(submit).status_code == 403
    s.call.refresh_from_db()
    s.draft_a.refresh_from_db()
    assert s.call.state == "reviewing" and s.draft_a.state == "draft"


def test_published_excellent_cases_show_to_everyone_of_the_committee_and_nobody_else():
    s = build_scene(published=True)
    clients = clients_of(s)
    b_member = make_user(Role.MEMBER, unit=s.w.unit_b)
    clients["b_member"] = logged_in(b_member)
    got = get_all(clients, "/cases/excellent/")
    assert all(code == 200 for name, code in codes(got).items() if name != "anonymous")
    for name in ("committee_admin", "owner", "another_unit", "expert", "b_member"):
        assert "甲案例" in got[name][1] and "乙案例" not in got[name][1], name
    assert "甲案例" not in got["other_admin"][1]
    detail = get_all(clients, f"/cases/cases/{s.case_a.pk}/")
    assert codes(detail)["b_member"] == 200 and codes(detail)["other_admin"] == 404
    assert codes(get_all(clients, f"/cases/cases/{s.case_b.pk}/"))["b_member"] == 404
    unit_page = clients["owner"].get(f"/org/units/{s.w.unit_a.pk}/").content.decode()
    assert "党建品牌优秀案例" in unit_page and "甲案例" in unit_page


def test_the_compilation_lists_exactly_the_selected_cases():
    s = build_scene(published=True)
    clients = clients_of(s, off_panel=False)
    url = f"/reports/case-calls/{s.call.pk}/document/?name=cases_compilation&format="
    page = clients["committee_admin"].get(f"/cases/calls/{s.call.pk}/").content.decode()
    assert "cases_compilation" in page
    response = clients["committee_admin"].get(url + "docx")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(b"".join(response.streaming_content)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "甲案例" in text and "甲案例" in cells and "甲单位" in cells
    assert "乙案例" not in text + cells
    assert "目录" in text + cells
    assert clients["owner"].get(url + "docx").status_code == 403
    assert clients["other_admin"].get(url + "docx").status_code == 404
    assert clients["committee_admin"].get(url + "xlsx").status_code == 404


def test_the_compilation_waits_for_the_published_selection():
    s = build_scene(scored=True)
    client = logged_in(s.w.users["committee_admin"])
    url = f"/reports/case-calls/{s.call.pk}/document/?name=cases_compilation&format=docx"
    response = client.get(url, follow=True)
    assert "尚未公布优秀案例" in response.content.decode()
    step(s.call, "publish", s.w.users["committee_admin"])
    assert client.get(url).status_code == 200


def test_the_package_holds_the_docx_and_the_pdf():
    s = build_scene(published=True)
    client = logged_in(s.w.users["committee_admin"])
    url = f"/reports/case-calls/{s.call.pk}/document/?name=cases_compilation&format=zip"
    response = client.get(url)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
        assert sorted(n.rsplit(".", 1)[1] for n in names) == ["docx", "pdf"]
        pdf = next(n for n in names if n.endswith(".pdf"))
        assert archive.read(pdf).startswith(b"%PDF")


def test_the_committee_creates_a_call_and_bad_criteria_lose_nothing():
    from tests.cases.world import build_world

    w = build_world()
    client = logged_in(w.users["committee_admin"])
    data = {
        "title": "2027年度品牌案例征集",
        "year": 2027,
        "deadline": "2027-06-30",
        "per_unit_limit": 1,
        "criteria_text": "特色鲜明:30\n成效显著",
        "quota": 3,
        "notes": "说明文字",
    }
    response = client.post("/cases/calls/new/", data)
    body = response.content.decode()
    assert response.status_code == 200 and "第2行" in body and "说明文字" in body
    assert calls_of(w) == 0
    data["criteria_text"] = "特色鲜明:60\n成效显著：40"
    response = client.post("/cases/calls/new/", data)
    assert response.status_code == 302
    from mofan.cases.models import CaseCall

    call = CaseCall.objects.get(title="2027年度品牌案例征集")
    assert call.criteria == [
        {"name": "特色鲜明", "points": 60},
        {"name": "成效显著", "points": 40},
    ]
    assert logged_in(w.users["unit_admin"]).get("/cases/calls/new/").status_code == 403


def calls_of(w) -> int:
    from mofan.cases.models import CaseCall

    return CaseCall.objects.filter(committee=w.committee).count()


def test_the_owner_writes_a_case_through_the_page():
    from tests.cases.world import build_world, new_call

    w = build_world()
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin), "open", admin)
    owner = logged_in(w.users["unit_admin"])
    url = f"/cases/calls/{call.pk}/cases/new/"
    assert logged_in(w.users["unit_leader"]).get(url).status_code == 403
    assert logged_in(w.users["other_unit_admin"]).get(url).status_code == 404
    response = owner.post(
        url, {"title": "甲案例", "brand": "甲品牌", "summary": "摘要", "body": "正文", "tags": ""}
    )
    assert response.status_code == 302
    from mofan.cases.models import Case

    case = Case.objects.get(call=call)
    assert case.unit == w.unit_a and case.state == "draft"
    assert owner.post(f"/cases/cases/{case.pk}/submit/").status_code == 302
    case.refresh_from_db()
    assert case.state == "submitted"
    assert owner.get(f"/cases/cases/{case.pk}/edit/").status_code == 404
