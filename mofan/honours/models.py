"""Honour programmes (评先评优: 五星级示范党支部, 优秀党务工作者, 优秀共产党员, ...), their
nominations, the veto inputs from 纪检监察/巡察/审计, and objections lodged during 公示."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.appraisals.models import Level
from mofan.core.references import campaign_ref, committee_ref, reference, unit_ref, user_ref


class HonourKind(models.TextChoices):
    UNIT = "unit", _("单位")
    PARTY_ORG = "party_org", _("党组织")
    PERSON = "person", _("个人")


class QuotaKind(models.TextChoices):
    COUNT = "count", _("名额（个）")
    SHARE = "share", _("比例（%，按推荐总数）")


class ProgrammeState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    NOMINATING = "nominating", _("推荐中")
    REVIEWING = "reviewing", _("评审中")
    PUBLICITY = "publicity", _("公示中")
    NAMED = "named", _("已命名")
    CLOSED = "closed", _("已终止")


class ProgrammeSource(models.TextChoices):
    NOMINATIONS = "nominations", _("单位推荐")
    CAMPAIGN_RESULTS = "campaign_results", _("创建活动考评审定的先进单位")


class HonourProgramme(models.Model):
    """One selection of one year: who may be put forward (eligibility from data), how many may be
    named (quota) and how many each unit may put forward."""

    committee = committee_ref("honour_programmes", verbose_name=_("工委"))
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("评选对象"), max_length=20, choices=HonourKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    quota_kind = models.CharField(
        _("名额方式"), max_length=10, choices=QuotaKind.choices, default=QuotaKind.COUNT
    )
    quota_value = models.PositiveIntegerField(_("名额数或比例"))
    per_unit_limit = models.PositiveSmallIntegerField(_("每单位推荐名额"), default=1)
    # eligibility, by kind
    campaign = campaign_ref(optional=True, verbose_name=_("依据的创建活动"))
    eligible_grades = models.CharField(
        _("参评等次"), max_length=100, blank=True, help_text=_("多个等次用逗号分隔，如：优秀,良好")
    )
    require_file_card = models.BooleanField(_("须已建档立卡"), default=True)
    exclude_yellow_card = models.BooleanField(_("黄牌警示的组织不得参评"), default=True)
    required_post = models.CharField(
        _("职务要求"), max_length=50, blank=True, help_text=_("留空不限；填写时职务须包含该文字")
    )
    appraisal_level = models.CharField(
        _("述职评议结果须达到"),
        max_length=20,
        choices=Level.choices,
        blank=True,
        help_text=_("仅对个人评选；留空不要求。按本年度述职评议结果，本年度尚无结果时按上一年度。"),
    )
    materials = models.TextField(_("申报材料要求"), blank=True)
    publicity_days = models.PositiveSmallIntegerField(_("公示天数"), default=5)
    publicity_contact = models.TextField(
        _("异议受理方式"),
        blank=True,
        help_text=_("公示期间受理异议的电话、地址或邮箱，显示在公开的公示页上"),
    )
    # where the candidates come from: units' nominations, or a campaign's approved advanced
    # units (先进单位, `campaign_results.campaign_programme_sync`; no nomination step)
    source = models.CharField(
        _("候选来源"),
        max_length=20,
        choices=ProgrammeSource.choices,
        default=ProgrammeSource.NOMINATIONS,
    )
    state = models.CharField(
        _("状态"), max_length=20, choices=ProgrammeState.choices, default=ProgrammeState.DRAFT
    )
    # the committee's choice of who is named among candidates tied across the quota line
    tie_choice = models.JSONField(default=list, blank=True)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示截止"), null=True, blank=True)
    named_on = models.DateField(_("命名日期"), null=True, blank=True)
    document_number = models.CharField(_("命名文号"), max_length=100, blank=True)
    close_reason = models.TextField(_("终止原因"), blank=True)
    created_by = user_ref()
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=models.Q(source="campaign_results"),
                name="honour_one_programme_per_campaign_results",
            )
        ]
        verbose_name = _("评选项目")
        verbose_name_plural = _("评选项目")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """The name with its year in front, unless the name already says the year."""
        return self.name if str(self.year) in self.name else f"{self.year}年度{self.name}"

    def grades(self) -> list[str]:
        text = self.eligible_grades.replace("，", ",")
        return [g.strip() for g in text.split(",") if g.strip()]


class NominationState(models.TextChoices):
    NOMINATED = "nominated", _("已推荐")
    SELECTED = "selected", _("拟命名（公示）")
    NOT_SELECTED = "not_selected", _("未入选")
    NAMED = "named", _("已命名")
    REVOKED = "revoked", _("已撤销")


class Nomination(models.Model):
    """A unit's nomination of a candidate (the unit itself, one of its party organisations or a
    person on its roster); `record` is what the records said when it was made."""

    programme = reference(HonourProgramme, "nominations", on_delete=models.CASCADE)
    unit = unit_ref("honour_nominations", verbose_name=_("推荐单位"))
    party_org = reference(
        "organizations.PartyOrganization", optional=True, verbose_name=_("党组织")
    )
    member = reference("organizations.Member", optional=True, verbose_name=_("人员"))
    candidate_name = models.CharField(_("推荐对象"), max_length=150)
    record = models.JSONField(_("记录数据"), default=dict)
    statement = models.TextField(_("推荐理由"))
    state = models.CharField(
        _("状态"), max_length=20, choices=NominationState.choices, default=NominationState.NOMINATED
    )
    score = models.DecimalField(_("评审得分"), max_digits=6, decimal_places=2, null=True)
    review_note = models.TextField(_("评审意见"), blank=True)
    nominated_by = user_ref()
    nominated_at = models.DateTimeField(auto_now_add=True)
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoke_reason = models.TextField(_("撤销原因"), blank=True)
    revoke_document = models.CharField(_("撤销文件"), max_length=100, blank=True)

    class Meta:
        ordering = ["programme", "unit__sort_order", "unit_id", "pk"]
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")

    def __str__(self) -> str:
        return self.candidate_name


class VetoSource(models.TextChoices):
    DISCIPLINE = "discipline", _("纪检监察")
    INSPECTION = "inspection", _("巡察")
    AUDIT = "audit", _("审计")


class VetoInput(models.Model):
    """The reply of 纪检监察, 巡察 or 审计 on one candidate: a veto (一票否决) or no objection."""

    nomination = reference(Nomination, "vetoes", on_delete=models.CASCADE)
    source = models.CharField(_("征求意见部门"), max_length=20, choices=VetoSource.choices)
    vetoes = models.BooleanField(_("否决"), default=False)
    document = models.CharField(_("来源文件"), max_length=150)
    note = models.TextField(_("说明"), blank=True)
    recorded_by = user_ref()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("征求意见")
        verbose_name_plural = _("征求意见")

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.nomination_id}"


class ObjectionChannel(models.TextChoices):
    PLATFORM = "platform", _("平台提交")
    PHONE = "phone", _("来电")
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    EMAIL = "email", _("电子邮件")


class Objection(models.Model):
    """An objection to a candidate on the 公示 list, and the committee's resolution of it:
    lodged on the platform by a unit's account, or received by phone, letter, visit or e-mail
    and recorded by the committee (`lodged_by` is then the clerk who recorded it)."""

    nomination = reference(Nomination, "objections", on_delete=models.CASCADE)
    text = models.TextField(_("异议内容"))
    channel = models.CharField(
        _("反映方式"),
        max_length=10,
        choices=ObjectionChannel.choices,
        default=ObjectionChannel.PLATFORM,
    )
    source_name = models.CharField(_("反映人"), max_length=100, blank=True)
    lodged_by = user_ref()
    lodged_at = models.DateTimeField(auto_now_add=True)
    upheld = models.BooleanField(_("异议成立"), null=True)
    resolution = models.TextField(_("处理意见"), blank=True)
    resolved_by = user_ref(optional=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")

    def __str__(self) -> str:
        return f"异议 {self.nomination_id}"


# --- the expert panel (专家评审组): drawn from the committee's reviewers, scoring blind --------


class PanelState(models.TextChoices):
    SCORING = "scoring", _("评分中")
    CLOSED = "closed", _("评分已结束")


class ExpertPanel(models.Model):
    """A programme's expert panel, drawn at random from the committee's reviewers (评审组成员)
    with a recorded seed: `pool` is the pool as drawn from (id → home units), `drawn` the ids
    drawn, so anyone holding them can repeat the draw (`evaluations.draws.pick_reviewers`).
    `blind`: the nominating unit's name is hidden from the experts (a unit programme's
    candidates are shown as 候选对象 A, B, ...)."""

    programme = models.OneToOneField(
        HonourProgramme, on_delete=models.CASCADE, related_name="panel"
    )
    size = models.PositiveSmallIntegerField(_("专家人数"))
    blind = models.BooleanField(_("盲评"), default=True)
    seed = models.CharField(_("随机种子"), max_length=64)
    pool = models.JSONField(_("专家库"), default=dict)
    drawn = models.JSONField(_("抽取结果"), default=list)
    state = models.CharField(
        _("状态"), max_length=20, choices=PanelState.choices, default=PanelState.SCORING
    )
    drawn_by = user_ref()
    drawn_at = models.DateTimeField(auto_now_add=True)
    closed_by = user_ref(optional=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("专家评审组")
        verbose_name_plural = _("专家评审组")

    def __str__(self) -> str:
        return f"专家评审组 {self.programme_id}"


class PanelSeat(models.Model):
    """An expert drawn onto a panel; `home_units` are the expert's units at the draw: the
    expert does not see or score candidates nominated by them (回避)."""

    panel = reference(ExpertPanel, "seats", on_delete=models.CASCADE)
    expert = user_ref("panel_seats")
    home_units = models.JSONField(default=list)

    class Meta:
        ordering = ["panel", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "expert"], name="honours_panel_seat_once")
        ]
        verbose_name = _("评审专家")
        verbose_name_plural = _("评审专家")

    def __str__(self) -> str:
        return f"{self.panel_id}:{self.expert_id}"


class PanelScore(models.Model):
    """One expert's score (0–100) and note on one candidate; changed in place until the
    committee closes the panel's scoring."""

    seat = reference(PanelSeat, "scores", on_delete=models.CASCADE)
    nomination = reference(Nomination, "panel_scores", on_delete=models.CASCADE)
    score = models.DecimalField(_("评分"), max_digits=5, decimal_places=2)
    note = models.TextField(_("评语"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["seat", "nomination"], name="honours_panel_score_once")
        ]
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")

    def __str__(self) -> str:
        return f"{self.seat_id}:{self.nomination_id}"
