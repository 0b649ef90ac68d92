"""Campaigns (年度创建活动): a pinned indicator version, enrolled units, phases, the formula that
turns scores into results, and each unit's own work (实施方案, leadership group, task list)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import committee_ref, reference, unit_ref, user_ref

DEFAULT_WEIGHTS = {"review": 1}
DEFAULT_BANDS = [
    {"label": "优秀", "min_ratio": 0.9},
    {"label": "良好", "min_ratio": 0.8},
    {"label": "达标", "min_ratio": 0.6},
    {"label": "不达标", "min_ratio": 0},
]


def default_weights() -> dict[str, int]:
    return dict(DEFAULT_WEIGHTS)


def default_bands() -> list[dict[str, object]]:
    return [dict(b) for b in DEFAULT_BANDS]


def default_rectify_grades() -> list[str]:
    return ["不达标"]


def default_veto_blocks() -> list[str]:
    return ["优秀", "advanced"]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("筹备")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class Cadence(models.TextChoices):
    """How the campaign runs (issue 14): the label every page and document shows."""

    ANNUAL = "annual", _("一年一考评")
    CONTINUOUS = "continuous", _("常态化开展")
    PHASED = "phased", _("分阶段推进")


class QuotaTiePolicy(models.TextChoices):
    """What happens to units tied on the 先进 quota line, set in advance or decided each time."""

    DECIDE = "decide", _("出现并列时由工委决定")
    ALL = "all", _("并列单位全部入选")
    NONE = "none", _("并列单位全部不入选")


class Campaign(models.Model):
    committee = committee_ref("campaigns")
    name = models.CharField(_("名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    cycle_start_year = models.PositiveSmallIntegerField(
        _("三年一总评周期起始年"), null=True, blank=True
    )
    indicator_version = reference(
        "indicators.IndicatorVersion", "campaigns", verbose_name=_("指标体系版本")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    cadence = models.CharField(
        _("考评节奏"), max_length=16, choices=Cadence.choices, default=Cadence.ANNUAL
    )
    submission_deadline = models.DateTimeField(_("自评提交截止"), null=True, blank=True)
    composite_weights = models.JSONField(_("综合得分权重"), default=default_weights)
    grade_bands = models.JSONField(_("等次划分"), default=default_bands)
    level_rules = models.JSONField(_("定性等次规则"), default=list, blank=True)
    veto_blocks = models.JSONField(_("一票否决影响"), default=default_veto_blocks)
    honours_quota = models.DecimalField(
        _("先进单位比例上限"), max_digits=4, decimal_places=3, default=Decimal("0.200")
    )
    review_spread = models.DecimalField(
        _("评审分差提示阈值"), max_digits=6, decimal_places=2, default=Decimal("2.00")
    )
    evidence_max_mb = models.PositiveSmallIntegerField(_("佐证文件大小上限（MB）"), default=20)
    evidence_cap_per_indicator = models.PositiveSmallIntegerField(
        _("每项指标佐证数量上限"), null=True, blank=True
    )
    rectify_grades = models.JSONField(_("需整改的等次"), default=default_rectify_grades, blank=True)
    rectify_lowest = models.PositiveSmallIntegerField(
        _("自动列入问题清单的最低分指标数"), default=5
    )
    rectify_days = models.PositiveSmallIntegerField(_("整改期限（天）"), default=60)
    approved_by = models.CharField(_("批准机关"), max_length=100, blank=True)
    document_number = models.CharField(_("批准文号"), max_length=100, blank=True)
    document_title = models.CharField(_("文件标题"), max_length=200, blank=True)
    tie_policy = models.CharField(
        _("先进名额线并列的处理"),
        max_length=8,
        choices=QuotaTiePolicy.choices,
        default=QuotaTiePolicy.DECIDE,
    )
    results_published = models.BooleanField(_("结果已公布"), default=False)
    ranking_published = models.BooleanField(_("排名已公布"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("创建活动")
        verbose_name_plural = _("创建活动")

    def __str__(self) -> str:
        return self.name

    @property
    def continuous(self) -> bool:
        return self.cadence == Cadence.CONTINUOUS

    @property
    def cycle_end_year(self) -> int | None:
        return self.cycle_start_year + 2 if self.cycle_start_year else None

    @property
    def cadence_label(self) -> str:
        """一年一考评 (、三年一总评 when part of a cycle), 常态化开展 or 分阶段推进."""
        label = str(Cadence(self.cadence).label)
        if self.cycle_start_year and self.cadence != Cadence.CONTINUOUS:
            label += str(_("、三年一总评（%(a)d—%(b)d年）")) % {
                "a": self.cycle_start_year,
                "b": self.cycle_start_year + 2,
            }
        return label


class Phase(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    key = models.CharField(max_length=32)
    name = models.CharField(_("阶段"), max_length=50)
    due_text = models.CharField(_("时限（原文）"), max_length=50, blank=True)
    starts_on = models.DateField(_("开始"), null=True, blank=True)
    ends_on = models.DateField(_("截止"), null=True, blank=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="phase_key_unique")]

    def __str__(self) -> str:
        return self.name


class EnrollmentState(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("填报中")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    REVIEWED = "reviewed", _("已评审")
    APPROVED = "approved", _("已审定")
    INCOMPLETE = "incomplete", _("未完成")  # the committee closed approval without this unit
    # The unit left the campaign before it ever submitted (`administration.enrollment_withdraw`):
    # kept with what it entered, read-only, and outside the field (no composite, grade, rank
    # or 先进, not in the quota's base, not counted as taking part, never waited for).
    WITHDRAWN = "withdrawn", _("已退出")


class Enrollment(models.Model):
    """One unit taking part in one campaign; its state is the unit's progress."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="enrollments")
    unit = unit_ref("enrollments")
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=EnrollmentState.choices,
        default=EnrollmentState.NOT_STARTED,
    )
    extended_until = models.DateTimeField(_("延期至"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = user_ref(optional=True)
    returned_reason = models.TextField(_("退回原因"), blank=True)
    on_behalf_reason = models.TextField(_("代为提交理由"), blank=True)
    withdrawn_reason = models.TextField(_("退出理由"), blank=True)
    withdrawn_at = models.DateTimeField(_("退出时间"), null=True, blank=True)
    plan = reference(
        "evidence.Evidence", on_delete=models.SET_NULL, optional=True, verbose_name=_("实施方案")
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "unit__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="enrollment_unique")
        ]
        # Counts by state per campaign (approval summary, dashboard progress) read the index.
        indexes = [models.Index(fields=["campaign", "state"], name="enrollment_campaign_state")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit}"


class LeadershipRole(models.TextChoices):
    LEADER = "leader", _("组长")
    DEPUTY = "deputy", _("副组长")
    MEMBER = "member", _("成员")
    OFFICE = "office", _("办公室主任")


class LeadershipMember(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="leadership")
    role = models.CharField(_("职务"), max_length=16, choices=LeadershipRole.choices)
    name = models.CharField(_("姓名"), max_length=50)
    post = models.CharField(_("单位职务"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["enrollment", "order", "id"]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    TODO = "todo", _("未开始")
    DOING = "doing", _("推进中")
    DONE = "done", _("已完成")


class Task(models.Model):
    """项目到人到时到位: a task, the person responsible, a deadline, a status."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("任务"), max_length=300)
    person = models.CharField(_("责任人"), max_length=50)
    deadline = models.DateField(_("完成时限"))
    status = models.CharField(
        _("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.TODO
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["enrollment", "deadline", "id"]

    def __str__(self) -> str:
        return self.title
