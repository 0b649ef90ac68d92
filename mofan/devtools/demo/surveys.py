"""Demo satisfaction survey for `load_demo` (issue 17 point 6): the committee's administrator
builds a questionnaire from the 群众满意度测评 template, publishes it and opens it for the demo
committee's latest campaign, running from two weeks ago to a month ahead (so the demo's QR
links can still be answered); then a few hundred simulated respondents answer across the units
through the units' open links, each unit with a leaning of its own, a few with suggestions.

Everything goes through the services and `responses.response_submit`, so the stored rows are
exactly what a phone would leave (the survey, the unit and the day)."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.campaigns.models import Campaign
from mofan.organizations.models import Committee
from mofan.surveys import services
from mofan.surveys.models import Survey
from mofan.surveys.responses import Opened, response_submit
from mofan.surveys.rules import questions_of
from mofan.surveys.templates import LEVELS

SUGGESTIONS = (
    "希望进一步简化办事流程，减少群众跑腿。",
    "窗口工作人员态度很好，点赞！",
    "建议在网上公开办事指南和联系电话。",
    "个别工作人员回复不够及时，希望改进。",
    "希望多开展进社区服务活动。",
)


def load_demo_survey(committee: Committee, *, seed: int = 17) -> Survey | None:
    """One open survey with a few hundred responses; None without a campaign."""
    campaign = Campaign.objects.filter(committee=committee).order_by("-year", "-pk").first()
    if campaign is None:
        return None
    admin = actor_for(User.objects.get(username="gw_admin"))
    q = services.questionnaire_create(committee=committee, template="public", actor=admin)
    services.questionnaire_transition(questionnaire=q, action="publish", actor=admin)
    today = timezone.localdate()
    survey = services.survey_open(
        questionnaire=q,
        campaign=campaign,
        title=f"{campaign.year}年度机关作风群众满意度测评",
        starts_on=today - dt.timedelta(days=14),
        ends_on=today + dt.timedelta(days=30),
        actor=admin,
    )
    rng = random.Random(seed)
    questions = questions_of(survey.frozen)
    for su in survey.units.select_related("unit").order_by("pk"):
        opened = Opened(survey, su.unit_id, su.unit.name, None)
        leaning = rng.random()  # the unit's share of 满意
        for _i in range(rng.randint(0, 9)):
            data = {"version": [str(survey.version)]}
            for question in questions:
                if question["kind"] == "text":
                    if rng.random() < 0.25:
                        data[question["key"]] = [rng.choice(SUGGESTIONS)]
                    continue
                level = LEVELS[0] if rng.random() < leaning else rng.choice(LEVELS[1:])
                data[question["key"]] = [level]
            day = today - dt.timedelta(days=rng.randint(0, 14))
            response_submit(opened=opened, version=str(survey.version), data=data, today=day)
    return survey
