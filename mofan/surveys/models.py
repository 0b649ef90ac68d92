"""Satisfaction surveys (满意度测评): questionnaires built by the committee, surveys opened per
campaign, the links handed to a unit's public, and the anonymous responses.

Anonymity (issue 17 point 2): `Response` and `Answer` hold no account, no address, no user agent,
no time of day and no reference to the token that opened the form; only the survey, the unit
and the day. `tests/surveys/test_anonymity.py` walks their fields."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import campaign_ref, committee_ref, unit_ref


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    SCALE = "scale", _("1–5分量表")
    TEXT = "text", _("文字")


class QuestionnaireState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Questionnaire(models.Model):
    committee = committee_ref("questionnaires")
    title = models.CharField(_("标题"), max_length=200)
    intro = models.TextField(_("说明"), blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=QuestionnaireState.choices, default="draft"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("问卷")
        ordering = ("-pk",)

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="sections"
    )
    title = models.CharField(_("部分标题"), max_length=200)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("题型"), max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=300)
    options = models.JSONField(_("选项"), default=list, blank=True)
    # which options count as satisfied for the satisfaction figure; empty: not scored
    satisfied = models.JSONField(_("计为满意的选项"), default=list, blank=True)
    required = models.BooleanField(_("必答"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.text


class Survey(models.Model):
    """A published questionnaire opened for a campaign's units for a period; the questionnaire
    as it stood is frozen in `frozen` (its version in `version`)."""

    committee = committee_ref("surveys")
    campaign = campaign_ref("surveys")
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="surveys"
    )
    title = models.CharField(_("标题"), max_length=200)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    version = models.PositiveIntegerField(_("问卷版本"))
    frozen = models.JSONField(_("问卷内容"))

    class Meta:
        verbose_name = _("满意度测评")
        ordering = ("-starts_on", "-pk")

    def __str__(self) -> str:
        return self.title


class SurveyUnit(models.Model):
    """A unit taking part in a survey, with the code of its open (QR) link."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="units")
    unit = unit_ref("survey_units")
    code = models.CharField(_("扫码链接代码"), max_length=32, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("survey", "unit"), name="survey_unit_once")]
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.unit_id}"


class Token(models.Model):
    """A one-time link of a unit; burned (`used`) when a response is stored. Nothing points from
    the response back to it."""

    survey_unit = models.ForeignKey(SurveyUnit, on_delete=models.CASCADE, related_name="tokens")
    key = models.CharField(max_length=43, unique=True)
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return "used" if self.used else "open"


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    unit = unit_ref("survey_responses")
    answered_on = models.DateField(_("日期"))

    class Meta:
        indexes = [models.Index(fields=("survey", "unit"))]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.answered_on}"


class Answer(models.Model):
    """One answer: a chosen option (one row per option of a multiple choice), a scale value, or
    a text. `question` is the key of the question in the survey's frozen questionnaire."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=16)
    option = models.CharField(max_length=100, blank=True)
    scale = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.question
