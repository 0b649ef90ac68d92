"""Party-building brand cases (党建品牌案例, issue 17 point 5): the committee's call (征集) with
its criteria and quota, the units' cases, the expert panel drawn for the call and the experts'
scores per criterion."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import committee_ref, reference, unit_ref, user_ref


class CallState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COLLECTING = "collecting", _("征集中")
    REVIEWING = "reviewing", _("评审中")
    SELECTED = "selected", _("已评选")
    CLOSED = "closed", _("已终止")


class CaseCall(models.Model):
    """One call for cases of one year: the deadline, how many cases a unit may submit, the
    criteria the experts score against (`criteria`: [{"name": ..., "points": ...}]) and how many
    优秀案例 may be selected (`quota`)."""

    committee = committee_ref("case_calls", verbose_name=_("工委"))
    title = models.CharField(_("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    deadline = models.DateField(_("截止日期"))
    per_unit_limit = models.PositiveSmallIntegerField(_("每单位报送数"), default=1)
    criteria = models.JSONField(_("评审标准"), default=list)
    quota = models.PositiveSmallIntegerField(_("优秀案例名额"))
    notes = models.TextField(_("征集说明"), blank=True)
    state = models.CharField(
        _("状态"), max_length=20, choices=CallState.choices, default=CallState.DRAFT
    )
    # the committee's choice among cases tied across the quota line
    tie_choice = models.JSONField(default=list, blank=True)
    close_reason = models.TextField(_("终止原因"), blank=True)
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    created_by = user_ref()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-pk"]
        verbose_name = _("案例征集")
        verbose_name_plural = _("案例征集")

    def __str__(self) -> str:
        return self.title

    @property
    def max_total(self) -> int:
        return sum(int(c["points"]) for c in self.criteria)


class CaseState(models.TextChoices):
    DRAFT = "draft", _("未报送")
    SUBMITTED = "submitted", _("已报送")


class Case(models.Model):
    """A unit's case: editable by its 联络员 until submitted; `score` (the experts' mean) and
    `rank` are written when the scoring closes, `excellent` when the selection is published."""

    call = reference(CaseCall, "cases", on_delete=models.CASCADE)
    unit = unit_ref("brand_cases", verbose_name=_("报送单位"))
    title = models.CharField(_("案例标题"), max_length=100)
    brand = models.CharField(_("品牌名称"), max_length=50)
    summary = models.CharField(_("案例摘要"), max_length=300)
    body = models.TextField(_("案例正文"))
    tags = models.CharField(
        _("标签"), max_length=100, blank=True, help_text=_("多个标签用逗号分隔")
    )
    evidence = models.ManyToManyField("evidence.Evidence", related_name="brand_cases", blank=True)
    state = models.CharField(
        _("状态"), max_length=20, choices=CaseState.choices, default=CaseState.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(_("专家平均分"), max_digits=6, decimal_places=2, null=True)
    rank = models.PositiveIntegerField(_("名次"), null=True)
    excellent = models.BooleanField(_("优秀案例"), default=False)
    created_by = user_ref()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["call", "unit__sort_order", "unit_id", "pk"]
        verbose_name = _("品牌案例")
        verbose_name_plural = _("品牌案例")

    def __str__(self) -> str:
        return self.title

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.replace("，", ",").split(",") if t.strip()]


class CasePanel(models.Model):
    """The experts drawn for a call from the committee's reviewers (`evaluations.draws`):
    pool (id → home units), seed and result recorded so the draw can be repeated."""

    call = models.OneToOneField(CaseCall, on_delete=models.CASCADE, related_name="panel")
    size = models.PositiveSmallIntegerField(_("专家人数"))
    seed = models.CharField(_("随机种子"), max_length=64)
    pool = models.JSONField(_("专家库"), default=dict)
    drawn = models.JSONField(_("抽取结果"), default=list)
    closed = models.BooleanField(_("评分已结束"), default=False)
    drawn_by = user_ref()
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("案例评审专家组")
        verbose_name_plural = _("案例评审专家组")

    def __str__(self) -> str:
        return f"案例评审专家组 {self.call_id}"


class CaseSeat(models.Model):
    """An expert on a call's panel; `home_units` (at the draw): their cases are not shown to
    the expert nor scored by them (回避)."""

    panel = reference(CasePanel, "seats", on_delete=models.CASCADE)
    expert = user_ref("case_seats")
    home_units = models.JSONField(default=list)

    class Meta:
        ordering = ["panel", "pk"]
        constraints = [models.UniqueConstraint(fields=["panel", "expert"], name="cases_seat_once")]

    def __str__(self) -> str:
        return f"{self.panel_id}:{self.expert_id}"


class CaseScore(models.Model):
    """One expert's points per criterion (in the call's order) and comment on one case."""

    seat = reference(CaseSeat, "scores", on_delete=models.CASCADE)
    case = reference(Case, "scores", on_delete=models.CASCADE)
    points = models.JSONField(default=list)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("评语"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["seat", "case"], name="cases_score_once")]

    def __str__(self) -> str:
        return f"{self.seat_id}:{self.case_id}"
