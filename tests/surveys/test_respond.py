"""Answering without an account: the form, the thank-you page and every refusal with the
answers kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from mofan.accounts.access import actor_for
from mofan.surveys import services
from mofan.surveys.models import Answer, Response
from mofan.surveys.responses import rate_key
from tests.surveys.world import build_world, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_open_link_answers_and_thanks() -> None:
    w = build_world()
    url = f"/q/{w.su(w.unit_b).code}/"
    page = Client().get(url)
    assert page.status_code == 200
    assert "您对本单位的服务态度是否满意？" in page.content.decode()
    done = Client().post(url, form_data(w.survey, "比较满意", "很好"), follow=True)
    assert "提交成功" in done.content.decode()
    response = Response.objects.get(survey=w.survey)
    assert response.unit_id == w.unit_b.pk and response.answered_on == dt.date.today()
    assert Answer.objects.filter(response=response, option="比较满意").count() == 4
    # the open link is not one-time
    Client().post(url, form_data(w.survey))
    assert Response.objects.filter(survey=w.survey).count() == 2


def test_garbage_is_refused_with_every_answer_kept() -> None:
    w = build_world()
    data = form_data(w.survey, "满意", "我的建议")
    keys = [k for k in data if k.startswith("q")]
    data[keys[0]] = ["非常满意"]  # not an option
    del data[keys[1]]  # a required one missing
    page = Client().post(f"/q/{w.su(w.unit_a).code}/", data)
    body = page.content.decode()
    assert page.status_code == 200
    assert "所选选项无效，请重新选择。" in body and "此题为必答题。" in body
    assert "我的建议" in body and 'value="满意" checked' in body
    assert not Response.objects.exists()


def test_outdated_version_is_refused() -> None:
    w = build_world()
    data = form_data(w.survey)
    data["version"] = [str(w.survey.version - 1)]
    page = Client().post(f"/q/{w.su(w.unit_a).code}/", data)
    assert "问卷已更新，请重新打开链接后填写。" in page.content.decode()
    assert not Response.objects.exists()


def test_closed_survey_takes_nothing() -> None:
    w = build_world()
    w.survey.ends_on = dt.date.today() - dt.timedelta(days=1)
    w.survey.save()
    url = f"/q/{w.su(w.unit_a).code}/"
    assert "不在答题期内" in Client().get(url).content.decode()
    Client().post(url, form_data(w.survey))
    assert not Response.objects.exists()


def test_unknown_links_are_404() -> None:
    build_world()
    assert Client().get("/q/nothing/").status_code == 404
    assert Client().get("/s/nothing/").status_code == 404


@override_settings(MOFAN_SURVEY_RATE_LIMIT=3)
def test_rate_limit_per_address_in_cache_only() -> None:
    w = build_world()
    url = f"/q/{w.su(w.unit_a).code}/"
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _i in range(3):
        assert client.post(url, form_data(w.survey)).status_code == 302
    page = client.post(url, form_data(w.survey))
    assert "提交过于频繁，请稍后再试。" in page.content.decode()
    assert Response.objects.count() == 3
    # another address is not held back
    assert Client(REMOTE_ADDR="203.0.113.8").post(url, form_data(w.survey)).status_code == 302
    # the key is keyed by a daily salt: not the address, and not the same tomorrow
    today = dt.date.today()
    key = rate_key("203.0.113.7", today)
    assert "203.0.113.7" not in key
    assert key != rate_key("203.0.113.7", today + dt.timedelta(days=1))
    assert cache.get(key) == 4


def test_a_draft_questionnaire_bumps_its_version_and_a_survey_freezes_it() -> None:
    w = build_world()
    actor = actor_for(w.users["committee_admin"])
    q = services.questionnaire_create(committee=w.committee, template="public", actor=actor)
    section = q.sections.first()
    assert section is not None
    services.question_add(
        section=section,
        kind="scale",
        text="总体评分",
        options=[],
        satisfied=["4", "5"],
        required=True,
        actor=actor,
    )
    q.refresh_from_db()
    assert q.version == 2
    services.questionnaire_transition(questionnaire=q, action="publish", actor=actor)
    survey = services.survey_open(
        questionnaire=q,
        campaign=w.campaign,
        title="",
        starts_on=dt.date.today(),
        ends_on=dt.date.today(),
        actor=actor,
    )
    assert survey.version == 2
    assert [qq["text"] for qq in survey.frozen["sections"][0]["questions"]][-1] == "总体评分"
    with pytest.raises(Exception, match="问卷已发布"):
        services.section_add(questionnaire=q, title="新部分", actor=actor)
