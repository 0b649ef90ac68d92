"""Problem lists (问题清单) and rectification (整改): items from any source, their life from open
to closed (销号), and the re-review (复核) of a failing unit once its items are closed.

Fields and constraints only; every write is in `services.py` (one state-transition function).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import campaign_ref, committee_ref, reference, unit_ref, user_ref


class ProblemSource(models.TextChoices):
    """Where an item came from (seed 004: 自己找、群众提、相互帮、上级点, plus the committee's own
    checks and the evaluation)."""

    REVIEW_FINDING = "review_finding", _("评审发现")
    RESULT = "result", _("考评不达标")
    COMMITTEE_CHECK = "committee_check", _("工委检查（上级点）")
    SPOT_CHECK = "spot_check", _("随机抽查")
    SURVEY = "survey", _("满意度测评（群众提）")
    SELF_CHECK = "self_check", _("自查自纠（自己找）")
    PEER = "peer", _("互查互评（相互帮）")
    INTERVIEW = "interview", _("约谈")
    YELLOW_CARD = "yellow_card", _("挂牌整改")


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较重")
    CRITICAL = "critical", _("严重")


class ProblemState(models.TextChoices):
    OPEN = "open", _("待报整改措施")
    MEASURES_SUBMITTED = "measures_submitted", _("措施已报")
    IN_PROGRESS = "in_progress", _("整改中")
    REPORTED_DONE = "reported_done", _("已报完成")
    CLOSED = "closed", _("已销号")


OPEN_STATES = (
    ProblemState.OPEN,
    ProblemState.MEASURES_SUBMITTED,
    ProblemState.IN_PROGRESS,
    ProblemState.REPORTED_DONE,
)


class ProblemItem(models.Model):
    committee = committee_ref("problem_items")
    unit = unit_ref("problem_items", verbose_name=_("单位"))
    party_org = reference(
        "organizations.PartyOrganization", "problem_items", optional=True, verbose_name=_("党组织")
    )
    campaign = campaign_ref("problem_items", optional=True, verbose_name=_("创建活动"))
    node = reference("indicators.IndicatorNode", optional=True, verbose_name=_("对应指标"))
    source = models.CharField(_("来源"), max_length=20, choices=ProblemSource.choices)
    # What the item was made from, e.g. ("evaluations.finding", 12): one item per origin and node.
    origin_type = models.CharField(max_length=40, blank=True)
    origin_id = models.PositiveBigIntegerField(null=True, blank=True)
    description = models.TextField(_("问题描述"))
    severity = models.CharField(
        _("严重程度"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    required_measures = models.TextField(_("整改要求"), blank=True)
    responsible_person = models.CharField(_("整改责任人"), max_length=50, blank=True)
    deadline = models.DateField(_("整改时限"))
    state = models.CharField(
        _("状态"), max_length=20, choices=ProblemState.choices, default=ProblemState.OPEN
    )
    measures = models.TextField(_("整改措施"), blank=True)
    done_report = models.TextField(_("整改完成情况"), blank=True)
    evidence = models.ManyToManyField(
        "evidence.Evidence", blank=True, related_name="problem_items", verbose_name=_("佐证")
    )
    reopen_reason = models.TextField(_("退回理由"), blank=True)
    created_by = user_ref(optional=True)
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = user_ref(optional=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("问题清单项")
        verbose_name_plural = _("问题清单")
        constraints = [
            models.UniqueConstraint(
                fields=["origin_type", "origin_id", "node"],
                condition=~models.Q(origin_type=""),
                name="problem_item_origin_unique",
            )
        ]
        indexes = [
            models.Index(fields=["committee", "state", "deadline"]),
            models.Index(fields=["unit", "state"]),
        ]

    def __str__(self) -> str:
        return self.description[:40]


class ProblemEvent(models.Model):
    """The visible history of an item (the audit trail holds the same, signed)."""

    item = models.ForeignKey(ProblemItem, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    actor = user_ref(optional=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state}→{self.to_state}"


class ReReviewState(models.TextChoices):
    WAITING = "waiting", _("待整改销号")
    OPEN = "open", _("复核中")
    SUBMITTED = "submitted", _("复核已提交")
    APPROVED = "approved", _("已批准（替换原结果）")
    REJECTED = "rejected", _("未批准（保留原结果）")
    CLOSED = "closed", _("已结束整改（工委决定）")


class ReReview(models.Model):
    """复核 of the indicators behind a failing unit's problem list. `before` keeps the original
    result; `after` the result the re-review produced; on approval `after` replaces the unit's
    result and both stay here."""

    enrollment = reference("campaigns.Enrollment", "rereviews")
    state = models.CharField(
        _("状态"), max_length=12, choices=ReReviewState.choices, default=ReReviewState.WAITING
    )
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    node_ids = models.JSONField(default=list)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason = models.TextField(_("审批意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = user_ref(optional=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("复核")
        verbose_name_plural = _("复核")

    def __str__(self) -> str:
        return f"复核 {self.enrollment_id}"


class ReReviewScore(models.Model):
    rereview = models.ForeignKey(ReReview, on_delete=models.CASCADE, related_name="scores")
    node = models.ForeignKey("indicators.IndicatorNode", on_delete=models.PROTECT, related_name="+")
    input = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    level = models.CharField(max_length=20, blank=True)
    comment = models.TextField(_("复核意见"), blank=True)
    scored_by = user_ref()
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rereview", "node"], name="rereview_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.score}"
