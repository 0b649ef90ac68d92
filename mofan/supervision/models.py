"""Supervision (督查督办): the ledger of key tasks (挂账督办) with progress reports and escalation,
约谈 records, yellow cards (黄牌警示) on weak party organisations, random spot checks
(双随机、一公开) and bulletins (通报). Fields and constraints only; writes live in the services.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.references import campaign_ref, committee_ref, reference, unit_ref, user_ref


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("每周")
    BIWEEKLY = "biweekly", _("每两周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    ONCE = "once", _("完成时报告")


CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30, "quarterly": 91, "once": None}


class LedgerState(models.TextChoices):
    OPEN = "open", _("督办中")
    DONE = "done", _("已办结")
    CANCELLED = "cancelled", _("已撤销")


class Escalation(models.IntegerChoices):
    NONE = 0, _("正常")
    REMINDED = 1, _("已提醒")
    WARNED = 2, _("已预警")
    INTERVIEW = 3, _("需约谈")


class LedgerItem(models.Model):
    committee = committee_ref("ledger_items")
    campaign = campaign_ref("ledger_items", optional=True, verbose_name=_("创建活动"))
    unit = unit_ref("ledger_items", verbose_name=_("单位"))
    task = models.TextField(_("督办事项"))
    leader_in_charge = models.CharField(_("分管领导"), max_length=50)
    deadline = models.DateField(_("完成时限"))
    cadence = models.CharField(
        _("进展报告频次"), max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=LedgerState.choices, default=LedgerState.OPEN
    )
    escalation = models.PositiveSmallIntegerField(
        _("督办升级"), choices=Escalation.choices, default=Escalation.NONE
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    last_report_at = models.DateTimeField(null=True, blank=True)
    created_by = user_ref()
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(_("办结说明"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办台账")
        indexes = [
            models.Index(fields=["committee", "state", "deadline"]),
            models.Index(fields=["unit", "state"]),
        ]

    def __str__(self) -> str:
        return self.task[:40]


class ProgressReport(models.Model):
    item = models.ForeignKey(LedgerItem, on_delete=models.CASCADE, related_name="reports")
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"), default=0)
    evidence = models.ManyToManyField("evidence.Evidence", blank=True, related_name="+")
    reported_by = user_ref()
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:40]


class Interview(models.Model):
    """约谈: who talked to whom, when, the points raised and the commitments made."""

    committee = committee_ref("interviews")
    unit = unit_ref("interviews", verbose_name=_("单位"))
    ledger_item = reference(LedgerItem, "interviews", optional=True, verbose_name=_("督办事项"))
    interviewer = models.CharField(_("约谈人"), max_length=100)
    interviewee = models.CharField(_("被约谈人"), max_length=100)
    held_on = models.DateField(_("约谈日期"))
    points = models.TextField(_("指出的问题"))
    commitments = models.TextField(_("整改承诺"), blank=True)
    rectify_by = models.DateField(_("整改时限"), null=True, blank=True)
    recorded_by = user_ref()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("约谈记录")
        verbose_name_plural = _("约谈记录")

    def __str__(self) -> str:
        return f"约谈 {self.interviewee}（{self.held_on}）"


class YellowCard(models.Model):
    """黄牌警示 on a 软弱涣散 party organisation, until the committee lifts it."""

    committee = committee_ref("yellow_cards")
    party_org = reference(
        "organizations.PartyOrganization", "yellow_cards", verbose_name=_("党组织")
    )
    reasons = models.TextField(_("认定理由"))
    issued_on = models.DateField(_("挂牌日期"))
    issued_by = user_ref()
    lifted_on = models.DateField(_("摘牌日期"), null=True, blank=True)
    lifted_by = user_ref(optional=True)
    lift_reason = models.TextField(_("摘牌说明"), blank=True)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("黄牌警示")
        verbose_name_plural = _("黄牌警示")
        constraints = [
            models.UniqueConstraint(
                fields=["party_org"],
                condition=models.Q(lifted_on__isnull=True),
                name="one_active_yellow_card_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"黄牌 {self.party_org_id}"


class ImmutableError(RuntimeError):
    pass


class SpotCheckDraw(models.Model):
    """A recorded 双随机 draw. `inputs` holds everything the draw used (candidate units with their
    strata, the excluded units, the inspector pool with home units, N, M); `result` the units and
    inspectors drawn. Never changed once saved: re-derive with `spotcheck_verify`."""

    committee = committee_ref("spot_check_draws")
    campaign = campaign_ref("spot_check_draws", verbose_name=_("创建活动"))
    title = models.CharField(_("抽查名称"), max_length=200, blank=True)
    seed = models.CharField(_("随机种子"), max_length=64)
    inputs = models.JSONField()
    result = models.JSONField()
    # None: drawn by the system (the `spotcheck_draw` command without --actor); audited as such.
    created_by = user_ref(optional=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("随机抽查")
        verbose_name_plural = _("随机抽查")

    def __str__(self) -> str:
        return self.title or f"随机抽查 {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableError("a recorded draw never changes")
        super().save(*args, **kwargs)


class VisitMode(models.TextChoices):
    ANNOUNCED = "announced", _("明察（事先通知）")
    UNANNOUNCED = "unannounced", _("暗访（不打招呼）")


class SpotCheckVisit(models.Model):
    draw = models.ForeignKey(SpotCheckDraw, on_delete=models.PROTECT, related_name="visits")
    unit = unit_ref()
    mode = models.CharField(_("方式"), max_length=12, choices=VisitMode.choices)
    visited_on = models.DateField(_("检查日期"))
    findings = models.TextField(_("检查情况"))
    recorded_by = user_ref()
    recorded_at = models.DateTimeField(auto_now_add=True)
    # A recorded visit may be corrected (findings, date) with a reason; the audit trail keeps
    # every before/after, the record shows the last correction.
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True)
    corrected_by = user_ref(optional=True)
    correction_reason = models.CharField(_("更正理由"), max_length=500, blank=True)
    corrections = models.PositiveIntegerField(_("更正次数"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-visited_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "unit"], name="spot_visit_unit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.visited_on}"


class BulletinKind(models.TextChoices):
    AD_HOC = "ad_hoc", _("专项通报")
    MONTHLY = "monthly", _("月度通报（周督查月通报）")


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Bulletin(models.Model):
    committee = committee_ref("bulletins")
    campaign = campaign_ref("bulletins", optional=True, verbose_name=_("创建活动"))
    kind = models.CharField(
        _("类别"), max_length=10, choices=BulletinKind.choices, default=BulletinKind.AD_HOC
    )
    title = models.CharField(_("标题"), max_length=200)
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    period_start = models.DateField(_("通报期间起"), null=True, blank=True)
    period_end = models.DateField(_("通报期间止"), null=True, blank=True)
    body = models.TextField(_("正文"))
    # What the draft was assembled from (problem item ids, ledger item ids), for the record.
    sources = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=BulletinState.choices, default=BulletinState.DRAFT
    )
    created_by = user_ref()
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = user_ref(optional=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = user_ref(optional=True)
    withdrawal_reason = models.CharField(_("撤回理由"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通报")
        verbose_name_plural = _("通报")

    def __str__(self) -> str:
        return self.title
