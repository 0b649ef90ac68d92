"""Every survey page for every persona: the committee admin and leader, unit A's 联络员 and
leader, another unit's 联络员 (outsider), a member, a reviewer, another committee's admin and the
anonymous visitor. The data that could leak is made first (unit A's and unit B's free text
above the threshold, another committee's survey and answer); then each page shows it to exactly
the people allowed, and every write refuses everybody else."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.surveys import services
from mofan.surveys.models import Answer, Question, Questionnaire, SurveyUnit, Token
from mofan.surveys.responses import opened_by_code, response_submit
from mofan.surveys.services import tokens_issue
from tests.factories import UnitFactory
from tests.surveys.world import SurveysWorld, answer, build_world, form_data
from tests.world import logged_in

pytestmark = pytest.mark.django_db

PERSONAS = (
    "committee_admin",
    "committee_leader",
    "unit_admin",
    "unit_leader",
    "outsider",
    "member",
    "reviewer",
    "other_admin",
    "anonymous",
)


def scene() -> SurveysWorld:
    w = build_world()
    answer(w, w.unit_a, text="甲单位机密意见", n=5)
    answer(w, w.unit_b, level="一般", text="乙单位机密意见", n=5)

    su = SurveyUnit.objects.get(survey=w.other_survey)
    opened = opened_by_code(su.code)
    assert opened is not None
    for _i in range(5):
        response_submit(
            opened=opened,
            version=str(w.other_survey.version),
            data=form_data(w.other_survey, text="外工委机密意见"),
            today=dt.date.today(),
        )
    return w


def client(w: SurveysWorld, who: str):
    return logged_in(None if who == "anonymous" else w.users[who])


# who reads what: 200 with the texts named, else a refusal (302 to login, 403 or 404)
SEES_LIST = {
    "committee_admin",
    "committee_leader",
    "unit_admin",
    "unit_leader",
    "outsider",
    "other_admin",
}
SEES_DETAIL = {"committee_admin", "committee_leader", "unit_admin", "unit_leader", "outsider"}
TEXTS = {
    "committee_admin": {"甲单位机密意见", "乙单位机密意见"},
    "committee_leader": {"甲单位机密意见", "乙单位机密意见"},
    "unit_admin": {"甲单位机密意见"},
    "unit_leader": {"甲单位机密意见"},
    "outsider": {"乙单位机密意见"},
}
ALL_TEXTS = {"甲单位机密意见", "乙单位机密意见", "外工委机密意见"}


@pytest.mark.parametrize("who", PERSONAS)
def test_read_pages_per_persona(who: str) -> None:
    w = scene()
    c = client(w, who)
    listing = c.get("/surveys/")
    assert listing.status_code == (200 if who in SEES_LIST else 302 if who == "anonymous" else 403)
    if who in SEES_LIST:
        body = listing.content.decode()
        assert ("外工委测评" in body) == (who == "other_admin")
        assert ("2026年度群众满意度测评" in body) == (who != "other_admin")
    detail = c.get(f"/surveys/{w.survey.pk}/")
    if who in SEES_DETAIL:
        assert detail.status_code == 200
        body = detail.content.decode()
        for text in ALL_TEXTS:
            assert (text in body) == (text in TEXTS[who]), text
        assert ("乙单位" in body) == (who not in ("unit_admin", "unit_leader"))
    else:
        assert detail.status_code in (302, 403, 404)
    other = c.get(f"/surveys/{w.other_survey.pk}/")
    assert other.status_code == (
        200
        if who == "other_admin"
        else 302
        if who == "anonymous"
        else 403
        if who not in SEES_LIST
        else 404
    )
    builder = c.get(f"/surveys/questionnaires/{w.questionnaire.pk}/")
    staff = who in ("committee_admin", "committee_leader")
    assert builder.status_code == (
        200 if staff else 404 if who == "other_admin" else 302 if who == "anonymous" else 403
    )


@pytest.mark.parametrize("who", PERSONAS)
def test_writes_per_persona(who: str) -> None:
    w = scene()
    c = client(w, who)
    su = w.su(w.unit_a)
    text = Answer.objects.filter(response__unit=w.unit_a).exclude(text="").first()
    assert text is not None
    allowed = who == "committee_admin"
    draft = services.questionnaire_create(
        committee=w.committee, template="public", actor=w.actor("committee_admin")
    )
    question = Question.objects.filter(section__questionnaire=draft).first()
    assert question is not None
    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    responses = [
        c.post(f"/surveys/survey-units/{su.pk}/tokens/", {"count": "3"}),
        c.get(f"/surveys/survey-units/{su.pk}/links.xlsx"),
        c.post(f"/surveys/answers/{text.pk}/problem/", {"deadline": deadline}),
        c.post("/surveys/questionnaires/", {"template": "public"}),
        c.get("/surveys/open/"),
        c.post(f"/surveys/questions/{question.pk}/edit/", {"text": "篡改", "options": "甲\n乙"}),
    ]
    codes = [r.status_code for r in responses]
    if allowed:
        assert codes == [302, 200, 302, 302, 200, 302]
        assert Question.objects.filter(text="篡改").count() == 1
        assert Token.objects.filter(survey_unit=su).count() == 3
        item = ProblemItem.objects.get(unit=w.unit_a)
        assert item.source == ProblemSource.SURVEY and item.description == "甲单位机密意见"
        book = load_workbook(io.BytesIO(responses[1].content))
        rows = list(book.active.iter_rows(values_only=True))
        assert len(rows) == 2 + 3 and "/s/" in rows[2][1]
    else:
        assert all(code in (302, 403, 404) for code in codes[:3] + codes[5:]), codes
        assert not Question.objects.filter(text="篡改").exists()
        # another committee's admin works in its own committee only
        own = [302, 200] if who == "other_admin" else None
        assert own is None or codes[3:5] == own
        assert who == "other_admin" or all(code in (302, 403) for code in codes[3:5]), codes
        assert not Token.objects.exists()
        assert not ProblemItem.objects.filter(source=ProblemSource.SURVEY).exists()
        assert Questionnaire.objects.filter(committee=w.committee).count() == 2


def test_builder_flow_and_refusals() -> None:
    w = build_world()
    c = logged_in(w.users["committee_admin"])
    page = c.post("/surveys/questionnaires/", {"template": "public"})
    q = Questionnaire.objects.filter(committee=w.committee, state="draft").get()
    assert page.url == f"/surveys/questionnaires/{q.pk}/"
    section = q.sections.first()
    assert section is not None
    bad = c.post(
        f"/surveys/questionnaires/{q.pk}/questions/",
        {"section": section.pk, "kind": "single", "text": "只有一个选项", "options": "是"},
    )
    assert (
        "选择题至少需要两个选项。" in bad.content.decode()
        and "只有一个选项" in bad.content.decode()
    )
    good = c.post(
        f"/surveys/questionnaires/{q.pk}/questions/",
        {
            "section": section.pk,
            "kind": "multiple",
            "text": "您通过哪些渠道办事？",
            "options": "窗口\n网上\n电话",
            "required": "on",
        },
    )
    assert good.status_code == 302
    assert c.post(f"/surveys/questionnaires/{q.pk}/sections/", {"title": "补充"}).status_code == 302
    first = Question.objects.filter(section=section).first()
    assert first is not None
    edit = f"/surveys/questions/{first.pk}/edit/"
    assert "您对本单位的服务态度是否满意？" in c.get(edit).content.decode()
    kept = c.post(edit, {"text": "改过的题目", "options": "好\n坏", "satisfied": "很好"})
    assert "计为满意的选项必须是本题的选项" in kept.content.decode()
    assert "改过的题目" in kept.content.decode()
    assert (
        c.post(edit, {"text": "改过的题目", "options": "好\n坏", "satisfied": "好"}).status_code
        == 302
    )
    first.refresh_from_db()
    assert (first.text, first.options, first.satisfied, first.required) == (
        "改过的题目",
        ["好", "坏"],
        ["好"],
        False,
    )
    assert c.post(f"/surveys/questions/{first.pk}/delete/").status_code == 302
    q.refresh_from_db()
    assert q.version == 5
    assert c.post(f"/surveys/questionnaires/{q.pk}/publish/").status_code == 302
    refused = c.post(f"/surveys/questionnaires/{q.pk}/sections/", {"title": "迟到"})
    assert "问卷已发布，不能再修改。" in refused.content.decode()
    today = dt.date.today()
    opened = c.post(
        "/surveys/open/",
        {
            "questionnaire": q.pk,
            "campaign": w.campaign.pk,
            "title": "第二次测评",
            "starts_on": today.isoformat(),
            "ends_on": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert "结束日期不能早于开始日期。" in opened.content.decode()


@override_settings(MOFAN_SURVEY_MIN_RESPONSES=1)
def test_figures_on_the_page() -> None:
    w = build_world()
    answer(w, w.unit_a, level="满意", n=3)
    answer(w, w.unit_a, level="不满意", n=1)
    body = logged_in(w.users["committee_admin"]).get(f"/surveys/{w.survey.pk}/").content.decode()
    assert "75%" in body


def test_poster_pdf() -> None:
    w = build_world()
    su = w.su(w.unit_a)
    page = logged_in(w.users["committee_admin"]).get(f"/surveys/survey-units/{su.pk}/poster.pdf")
    assert page.status_code == 200 and page.content.startswith(b"%PDF")
    assert (
        logged_in(w.users["unit_admin"])
        .get(f"/surveys/survey-units/{su.pk}/poster.pdf")
        .status_code
        == 403
    )
    tokens_issue(survey_unit=su, count=1, actor=w.actor("committee_admin"))


def test_survey_page_queries_do_not_grow_with_units() -> None:

    w = build_world()
    answer(w, w.unit_a, text="意见", n=1)
    c = logged_in(w.users["committee_admin"])
    url = f"/surveys/{w.survey.pk}/"
    c.get(url)
    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    for i in range(10):
        unit = UnitFactory(committee=w.committee, name=f"新增单位{i}")
        SurveyUnit.objects.create(survey=w.survey, unit=unit, code=f"extra{i}")

        opened = opened_by_code(f"extra{i}")
        assert opened is not None
        response_submit(
            opened=opened,
            version=str(w.survey.version),
            data=form_data(w.survey, text=f"意见{i}"),
            today=dt.date.today(),
        )
    with CaptureQueriesContext(connection) as many:
        body = c.get(url).content.decode()
    assert "新增单位9" in body and "意见9" in body
    assert len(many) == len(few)


def test_links_sheet_keeps_a_formula_like_title_as_text() -> None:
    w = build_world()
    w.survey.title = '=HYPERLINK("http://evil.example","点我")'
    w.survey.save()
    su = w.su(w.unit_a)
    tokens_issue(survey_unit=su, count=2, actor=w.actor("committee_admin"))
    page = logged_in(w.users["committee_admin"]).get(f"/surveys/survey-units/{su.pk}/links.xlsx")
    sheet = load_workbook(io.BytesIO(page.content)).active
    assert sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix
    assert [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["未使用"] * 2
