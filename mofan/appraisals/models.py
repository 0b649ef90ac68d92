"""述职评议: the yearly report of each unit's party secretary (党组（党委）书记抓基层党建工作述职)
and the panel's appraisal of it.

A committee runs one round a year (`AppraisalRound`); opening it gives every active unit of the
committee one `Appraisal` (its secretary, the report, the ballots and the frozen result);
panel members rate online (`Rating`), paper ballots are entered as tallies on the appraisal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import committee_ref, reference, unit_ref, user_ref


class RoundState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REPORTING = "reporting", _("述职中")
    RATING = "rating", _("评议中")
    CLOSED = "closed", _("已完成")


class Level(models.TextChoices):
    """The rating levels, best first (the order `rules.LEVELS` relies on)."""

    GOOD = "good", _("好")
    FAIRLY_GOOD = "fairly_good", _("较好")
    AVERAGE = "average", _("一般")
    POOR = "poor", _("差")


class ReportWay(models.TextChoices):
    ON_SITE = "on_site", _("现场述职")
    WRITTEN = "written", _("书面述职")


class AppraisalState(models.TextChoices):
    PENDING = "pending", _("待提交")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    RATED = "rated", _("已评定")


class AppraisalRound(models.Model):
    """One committee's 述职评议 of one year."""

    committee = committee_ref("appraisal_rounds", verbose_name=_("工委"))
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=100)
    state = models.CharField(
        _("状态"), max_length=20, choices=RoundState.choices, default=RoundState.DRAFT
    )
    panel = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="appraisal_panels"
    )
    created_by = user_ref()
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "-pk"]
        verbose_name = _("述职评议")
        verbose_name_plural = _("述职评议")
        constraints = [
            models.UniqueConstraint(fields=["committee", "year"], name="appraisal_round_year")
        ]

    def __str__(self) -> str:
        return self.title


class Appraisal(models.Model):
    """One unit's secretary in a round: who (the roster row, and the name as text so the
    history outlives the row), the report, the paper-ballot tallies and, once the round is
    closed, the frozen result."""

    round = reference(AppraisalRound, "appraisals", on_delete=models.CASCADE)
    unit = unit_ref("appraisals", verbose_name=_("单位"))
    member = reference(
        "organizations.Member",
        "appraisals",
        optional=True,
        on_delete=models.SET_NULL,
        verbose_name=_("书记"),
    )
    secretary_name = models.CharField(_("书记姓名"), max_length=50, blank=True)
    secretary_post = models.CharField(_("职务"), max_length=50, blank=True)
    state = models.CharField(
        _("状态"), max_length=20, choices=AppraisalState.choices, default=AppraisalState.PENDING
    )
    report = models.TextField(_("述职报告"), blank=True)
    way = models.CharField(_("述职方式"), max_length=20, choices=ReportWay.choices, blank=True)
    evidence = models.ManyToManyField(
        "evidence.Evidence", related_name="appraisal_reports", blank=True
    )
    submitted_by = user_ref(optional=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    # paper ballots (纸质票), entered by the committee as tallies
    ballots_good = models.PositiveIntegerField(_("好"), default=0)
    ballots_fairly_good = models.PositiveIntegerField(_("较好"), default=0)
    ballots_average = models.PositiveIntegerField(_("一般"), default=0)
    ballots_poor = models.PositiveIntegerField(_("差"), default=0)
    # frozen when the round closes
    result_level = models.CharField(_("评议结果"), max_length=20, choices=Level.choices, blank=True)
    result_score = models.DecimalField(
        _("综合得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    distribution = models.JSONField(_("票数分布"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["round", "unit__sort_order", "unit_id"]
        verbose_name = _("书记述职")
        verbose_name_plural = _("书记述职")
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="appraisal_round_unit")
        ]

    def __str__(self) -> str:
        return f"{self.secretary_name}（{self.unit_id}）"

    def ballots(self) -> dict[str, int]:
        return {
            Level.GOOD: self.ballots_good,
            Level.FAIRLY_GOOD: self.ballots_fairly_good,
            Level.AVERAGE: self.ballots_average,
            Level.POOR: self.ballots_poor,
        }


class Rating(models.Model):
    """One panel member's rating of one secretary; changed freely until the round closes."""

    appraisal = reference(Appraisal, "ratings", on_delete=models.CASCADE)
    rater = user_ref("appraisal_ratings")
    level = models.CharField(_("评议等次"), max_length=20, choices=Level.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["appraisal", "pk"]
        verbose_name = _("评议票")
        verbose_name_plural = _("评议票")
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "rater"], name="appraisal_rating_once")
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}: {self.level}"
