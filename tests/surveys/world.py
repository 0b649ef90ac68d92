"""The surveys world: a committee with units A and B in a campaign, a published questionnaire
from the 群众满意度测评 template opened as a survey, and another committee with a survey of its
own (the data that could leak)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign
from mofan.organizations.models import Committee, Unit
from mofan.surveys import services
from mofan.surveys.models import Questionnaire, Survey, SurveyUnit
from mofan.surveys.responses import opened_by_code, response_submit
from mofan.surveys.rules import questions_of
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import CommitteeFactory, UnitFactory
from tests.world import active_campaign, persona


@dataclasses.dataclass
class SurveysWorld:
    committee: Committee
    unit_a: Unit
    unit_b: Unit
    campaign: Campaign
    questionnaire: Questionnaire
    survey: Survey
    users: dict[str, User]
    other_survey: Survey

    def actor(self, name: str) -> Any:
        return actor_for(self.users[name])

    def su(self, unit: Unit, survey: Survey | None = None) -> SurveyUnit:
        return SurveyUnit.objects.get(survey=survey or self.survey, unit=unit)


def open_survey(committee: Committee, admin: User, campaign: Campaign, **kw: Any) -> Survey:
    actor = actor_for(admin)
    q = services.questionnaire_create(committee=committee, template="public", actor=actor)
    services.questionnaire_transition(questionnaire=q, action="publish", actor=actor)
    today = timezone.localdate()
    return services.survey_open(
        questionnaire=q,
        campaign=campaign,
        title=kw.get("title", "2026年度群众满意度测评"),
        starts_on=kw.get("starts_on", today - dt.timedelta(days=1)),
        ends_on=kw.get("ends_on", today + dt.timedelta(days=30)),
        actor=actor,
    )


def form_data(survey: Survey, level: str = "满意", text: str = "") -> dict[str, list[str]]:
    """A complete answer: `level` to every choice, `text` to the free-text question."""
    data = {"version": [str(survey.version)]}
    for q in questions_of(survey.frozen):
        data[q["key"]] = [text] if q["kind"] == "text" else [level]
    return data


def answer(w: SurveysWorld, unit: Unit, level: str = "满意", text: str = "", n: int = 1) -> None:
    """`n` responses of `unit` through its open link."""
    opened = opened_by_code(w.su(unit).code)
    assert opened is not None
    for _i in range(n):
        data = form_data(w.survey, level, text)
        errors = response_submit(
            opened=opened, version=str(w.survey.version), data=data, today=timezone.localdate()
        )
        assert errors == {}


def build_world() -> SurveysWorld:
    committee = CommitteeFactory(name="测评工委", code="surveys")
    unit_a = UnitFactory(committee=committee, name="甲单位", short_name="甲")
    unit_b = UnitFactory(committee=committee, name="乙单位", short_name="乙")
    other = CommitteeFactory(name="外工委", code="other-surveys")
    other_unit = UnitFactory(committee=other, name="外单位", short_name="外")
    users = {
        name: persona(name, committee=committee, unit_a=unit_a, unit_b=unit_b, other=other)
        for name in (
            "committee_admin",
            "committee_leader",
            "reviewer",
            "unit_admin",
            "unit_leader",
            "member",
            "outsider",
            "other_admin",
        )
    }
    version = small_version()
    campaign = active_campaign(
        committee=committee, version=version, admin=users["committee_admin"], name="创建", year=2026
    )
    other_campaign = active_campaign(
        committee=other, version=version, admin=users["other_admin"], name="外创建", year=2026
    )
    survey = open_survey(committee, users["committee_admin"], campaign)
    other_survey = open_survey(other, users["other_admin"], other_campaign, title="外工委测评")
    assert SurveyUnit.objects.filter(survey=other_survey, unit=other_unit).exists()
    q = survey.questionnaire
    return SurveysWorld(committee, unit_a, unit_b, campaign, q, survey, users, other_survey)


def fuzz_objects(committee: Committee, admin: User) -> dict[str, list[Any]]:
    """A survey of the committee's campaign with a response and a free text: ids for the fuzz
    sweep (tests/core/test_fuzz_inputs.py)."""
    from mofan.surveys.models import Answer, Question

    campaign = Campaign.objects.filter(committee=committee).order_by("pk").first()
    assert campaign is not None
    survey = open_survey(committee, admin, campaign)
    su = SurveyUnit.objects.filter(survey=survey).order_by("pk").first()
    assert su is not None
    opened = opened_by_code(su.code)
    assert opened is not None
    response_submit(
        opened=opened,
        version=str(survey.version),
        data=form_data(survey, text="建议"),
        today=timezone.localdate(),
    )
    [token] = services.tokens_issue(survey_unit=su, count=1, actor=actor_for(admin))
    draft = services.questionnaire_create(
        committee=committee, template="public", actor=actor_for(admin)
    )
    return {
        "surveys": [survey.pk],
        "questionnaires": [draft.pk, survey.questionnaire_id],
        "questions": list(
            Question.objects.filter(section__questionnaire=draft).values_list("pk", flat=True)[:1]
        ),
        "survey-units": [su.pk],
        "s": [token.key],  # a respondent's one-time link
        "q": [su.code],  # a unit's open link
        "answers": list(
            Answer.objects.filter(response__survey=survey)
            .exclude(text="")
            .values_list("pk", flat=True)
        ),
    }
