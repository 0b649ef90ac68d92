"""Writes of the surveys: the questionnaire builder (every edit of a draft bumps its version),
publishing it, opening a survey for a campaign's units, issuing one-time links and turning a
free-text answer into a 群众提 problem item. Each is audited in its own transaction.

A respondent's answers (`responses.py`) are deliberately not audited: an audit entry carries a
time and an address, which would tie the response to a person."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, EnrollmentState
from mofan.organizations.models import Committee
from mofan.rectification.models import ProblemSource
from mofan.rectification.services import problem_item_create
from mofan.surveys.models import (
    Answer,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireState,
    Section,
    Survey,
    SurveyUnit,
    Token,
)
from mofan.surveys.rules import SCALE
from mofan.surveys.templates import TEMPLATES

MAX_TOKENS = 500  # one-time links issued at once per unit


def _admin(actor: Actor, committee_id: int) -> None:
    if not rules.administers(actor, committee_id):
        raise PermissionDenied(_("只有工委管理员可以管理满意度测评。"))


def _draft(questionnaire: Questionnaire, actor: Actor) -> Questionnaire:
    """The questionnaire locked for an edit: its committee's admin, still a draft."""
    _admin(actor, questionnaire.committee_id)
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.state != QuestionnaireState.DRAFT:
        raise ValidationError(_("问卷已发布，不能再修改。"))
    return locked


def _edited(q: Questionnaire, action: str, actor: Actor, after: Any) -> None:
    Questionnaire.objects.filter(pk=q.pk).update(version=F("version") + 1)
    audit_record(
        action=action, actor=actor.user, target=q, committee_id=q.committee_id, after=after
    )


@transaction.atomic
def questionnaire_create(*, committee: Committee, template: str, actor: Actor) -> Questionnaire:
    """A draft questionnaire copied from a built-in template."""
    _admin(actor, committee.pk)
    if template not in TEMPLATES:
        raise ValidationError(_("问卷模板无效。"))
    source = TEMPLATES[template]
    q = Questionnaire.objects.create(
        committee=committee, title=source["title"], intro=source["intro"]
    )
    for s_order, section in enumerate(source["sections"]):
        s = Section.objects.create(questionnaire=q, title=section["title"], order=s_order)
        Question.objects.bulk_create(
            Question(section=s, order=order, **question)
            for order, question in enumerate(section["questions"])
        )
    audit_record(
        action="survey.questionnaire.create",
        actor=actor.user,
        target=q,
        committee_id=committee.pk,
        after={"title": q.title, "template": template},
    )
    return q


@transaction.atomic
def section_add(*, questionnaire: Questionnaire, title: str, actor: Actor) -> Section:
    q = _draft(questionnaire, actor)
    title = title.strip()
    if not title:
        raise ValidationError(_("请填写部分标题。"))
    order = q.sections.count()
    section = Section.objects.create(questionnaire=q, title=title, order=order)
    _edited(q, "survey.questionnaire.edit", actor, {"section": title})
    return section


def _checked(
    kind: str, text: str, options: list[str], satisfied: list[str]
) -> tuple[str, list[str], list[str]]:
    """A question's text, options and satisfied options, cleaned; refused when invalid."""
    if kind not in QuestionKind.values:
        raise ValidationError(_("题型无效。"))
    text = text.strip()
    if not text:
        raise ValidationError(_("请填写题目。"))
    options = list(dict.fromkeys(o.strip() for o in options if o.strip()))
    satisfied = list(dict.fromkeys(o.strip() for o in satisfied if o.strip()))
    allowed = {"single": options, "multiple": options, "scale": list(SCALE), "text": []}[kind]
    if kind in ("single", "multiple") and len(options) < 2:
        raise ValidationError(_("选择题至少需要两个选项。"))
    if any(len(o) > 100 for o in options):
        raise ValidationError(_("每个选项不能超过100个字。"))
    if any(o not in allowed for o in satisfied):
        raise ValidationError(_("计为满意的选项必须是本题的选项（量表为1到5）。"))
    return text, options if kind in ("single", "multiple") else [], satisfied


@transaction.atomic
def question_add(
    *,
    section: Section,
    kind: str,
    text: str,
    options: list[str],
    satisfied: list[str],
    required: bool,
    actor: Actor,
) -> Question:
    """A question at the end of its section. Choice questions need two options or more; the
    satisfied options must be among them (a scale's are among 1–5)."""
    q = _draft(section.questionnaire, actor)
    text, options, satisfied = _checked(kind, text, options, satisfied)
    question = Question.objects.create(
        section=section,
        kind=kind,
        text=text,
        options=options,
        satisfied=satisfied,
        required=required,
        order=section.questions.count(),
    )
    _edited(q, "survey.questionnaire.edit", actor, {"question": text, "kind": kind})
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    text: str,
    options: list[str],
    satisfied: list[str],
    required: bool,
    actor: Actor,
) -> Question:
    """Change a draft's question (its kind stays; delete and add to change it)."""
    q = _draft(question.section.questionnaire, actor)
    before = {"text": question.text, "options": question.options, "required": question.required}
    text, options, satisfied = _checked(question.kind, text, options, satisfied)
    question.text, question.options, question.satisfied = text, options, satisfied
    question.required = required
    question.save(update_fields=["text", "options", "satisfied", "required"])
    _edited(q, "survey.questionnaire.edit", actor, {"before": before, "question": text})
    return question


@transaction.atomic
def question_delete(*, question: Question, actor: Actor) -> None:
    q = _draft(question.section.questionnaire, actor)
    text = question.text
    question.delete()
    _edited(q, "survey.questionnaire.edit", actor, {"deleted": text})


def frozen_of(q: Questionnaire) -> dict[str, Any]:
    """The questionnaire as data: what a survey keeps of it."""
    return {
        "title": q.title,
        "intro": q.intro,
        "version": q.version,
        "sections": [
            {
                "title": s.title,
                "questions": [
                    {
                        "key": f"q{question.pk}",
                        "kind": question.kind,
                        "text": question.text,
                        "options": question.options,
                        "satisfied": question.satisfied,
                        "required": question.required,
                    }
                    for question in s.questions.all()
                ],
            }
            for s in q.sections.prefetch_related("questions")
        ],
    }


@transaction.atomic
def questionnaire_transition(*, questionnaire: Questionnaire, action: str, actor: Actor) -> None:
    """The questionnaire's one transition: 草稿 → 已发布 ("publish"), once it has a question."""
    q = _draft(questionnaire, actor)
    if action != "publish":
        raise ValidationError(_("操作无效。"))
    if not Question.objects.filter(section__questionnaire=q).exists():
        raise ValidationError(_("问卷还没有题目，不能发布。"))
    q.state = questionnaire.state = QuestionnaireState.PUBLISHED
    q.save(update_fields=["state"])
    audit_record(
        action="survey.questionnaire.publish",
        actor=actor.user,
        target=q,
        committee_id=q.committee_id,
        after={"version": q.version},
    )


@transaction.atomic
def survey_open(
    *,
    questionnaire: Questionnaire,
    campaign: Campaign,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    actor: Actor,
) -> Survey:
    """Open a published questionnaire for the campaign's units (those not withdrawn) from
    `starts_on` to `ends_on`, freezing the questionnaire as it stands; each unit gets the code
    of its open (QR) link."""
    _admin(actor, questionnaire.committee_id)
    questionnaire.refresh_from_db()
    if campaign.committee_id != questionnaire.committee_id:
        raise PermissionDenied(_("只能为本工委的创建活动开展测评。"))
    if questionnaire.state != QuestionnaireState.PUBLISHED:
        raise ValidationError(_("问卷发布后才能开展测评。"))
    if ends_on < starts_on:
        raise ValidationError(_("结束日期不能早于开始日期。"))
    survey = Survey.objects.create(
        committee_id=questionnaire.committee_id,
        campaign=campaign,
        questionnaire=questionnaire,
        title=title.strip() or questionnaire.title,
        starts_on=starts_on,
        ends_on=ends_on,
        version=questionnaire.version,
        frozen=frozen_of(questionnaire),
    )
    unit_ids = campaign.enrollments.exclude(state=EnrollmentState.WITHDRAWN).values_list(
        "unit_id", flat=True
    )
    SurveyUnit.objects.bulk_create(
        SurveyUnit(survey=survey, unit_id=unit_id, code=secrets.token_urlsafe(12))
        for unit_id in unit_ids
    )
    audit_record(
        action="survey.open",
        actor=actor.user,
        target=survey,
        committee_id=survey.committee_id,
        after={"title": survey.title, "from": str(starts_on), "to": str(ends_on)},
    )
    return survey


@transaction.atomic
def tokens_issue(*, survey_unit: SurveyUnit, count: int, actor: Actor) -> list[Token]:
    """`count` new one-time links for a unit (1–500 at a time)."""
    _admin(actor, survey_unit.survey.committee_id)
    if not 1 <= count <= MAX_TOKENS:
        raise ValidationError(_("每次可生成1到%(n)d个链接。") % {"n": MAX_TOKENS})
    tokens = Token.objects.bulk_create(
        Token(survey_unit=survey_unit, key=secrets.token_urlsafe(24)) for _i in range(count)
    )
    audit_record(
        action="survey.tokens",
        actor=actor.user,
        target=survey_unit.survey,
        committee_id=survey_unit.survey.committee_id,
        after={"unit": survey_unit.unit_id, "count": count},
    )
    return tokens


@transaction.atomic
def answer_to_problem(*, answer: Answer, deadline: dt.date, actor: Actor) -> Any:
    """Put a free-text answer on the unit's problem list as a 群众提 item (the committee's
    admin; once per answer)."""
    survey = answer.response.survey
    _admin(actor, survey.committee_id)
    if not answer.text:
        raise ValidationError(_("只有意见建议可以列入问题清单。"))
    return problem_item_create(
        unit=answer.response.unit,
        source=ProblemSource.SURVEY,
        description=answer.text,
        deadline=deadline,
        actor=actor,
        campaign=survey.campaign,
        origin=("surveys.answer", answer.pk),
    )
