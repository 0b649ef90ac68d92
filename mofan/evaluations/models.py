"""Evaluation records: links of evidence files to indicators, self scores, review groups and
their scores, consolidation, veto inputs and the approved result of each enrolled unit.

Scores carry a `version` for optimistic locking: a save names the version it started from and
is refused when somebody saved in between (SQLite has no row locks worth the name).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EvidenceLink(models.Model):
    evidence = models.ForeignKey(
        "evidence.Evidence", on_delete=models.CASCADE, related_name="links"
    )
    enrollment = models.ForeignKey(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="evidence_links"
    )
    node = models.ForeignKey("indicators.IndicatorNode", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "enrollment", "node"], name="evidence_link_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} → {self.node_id}"


class SelfScore(models.Model):
    enrollment = models.ForeignKey(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="self_scores"
    )
    node = models.ForeignKey("indicators.IndicatorNode", on_delete=models.PROTECT, related_name="+")
    input = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    level = models.CharField(max_length=20, blank=True)
    veto = models.BooleanField(default=False)
    narrative = models.TextField(_("自评说明"), blank=True)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "node"], name="self_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}/{self.node_id}"


class ReviewGroup(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="review_groups"
    )
    name = models.CharField(_("评审组"), max_length=50)
    leader = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("组长")
    )

    class Meta:
        ordering = ["campaign", "name"]

    def __str__(self) -> str:
        return self.name


class ReviewerSeat(models.Model):
    group = models.ForeignKey(ReviewGroup, on_delete=models.CASCADE, related_name="seats")
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "reviewer"], name="reviewer_seat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.reviewer_id}"


# What the draw log shows for a draw's stored purpose and method (the codes stay in the row).
DRAW_PURPOSES = {"assignment": _("分配评审单位"), "reviewers": _("抽取评审员")}
DRAW_METHODS = {"balanced": _("均衡（各组数量相近）"), "random": _("随机")}


class Draw(models.Model):
    """A recorded random draw: its inputs and seed reproduce its result (双随机、一公开)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="draws"
    )
    purpose = models.CharField(max_length=32)
    method = models.CharField(max_length=16)
    seed = models.CharField(max_length=64)
    inputs = models.JSONField()
    result = models.JSONField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.seed}"

    @property
    def purpose_label(self) -> str:
        return str(DRAW_PURPOSES.get(self.purpose, self.purpose))

    @property
    def method_label(self) -> str:
        return str(DRAW_METHODS.get(self.method, self.method))


class Assignment(models.Model):
    group = models.ForeignKey(ReviewGroup, on_delete=models.PROTECT, related_name="assignments")
    enrollment = models.OneToOneField(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="assignment"
    )
    draw = models.ForeignKey(
        Draw, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.group} ← {self.enrollment}"


class Visit(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("考评日期"))
    place = models.CharField(_("地点"), max_length=200)
    people_met = models.TextField(_("座谈访谈对象"), blank=True)
    notes = models.TextField(_("实地考评情况"), blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["assignment", "visited_on"]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.visited_on}"


class ReviewScore(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey("indicators.IndicatorNode", on_delete=models.PROTECT, related_name="+")
    input = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    level = models.CharField(max_length=20, blank=True)
    veto = models.BooleanField(default=False)
    comment = models.TextField(_("评语"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "reviewer", "node"], name="review_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}/{self.reviewer_id}/{self.node_id}"


class ReviewSubmission(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "reviewer"], name="review_submit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}/{self.reviewer_id}"


class Finding(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="findings")
    node = models.ForeignKey(
        "indicators.IndicatorNode",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("发现的问题或亮点"))
    is_problem = models.BooleanField(_("列为问题"), default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.text[:30]


class ConsolidatedScore(models.Model):
    """The group leader's consolidated score of one leaf for one unit."""

    enrollment = models.ForeignKey(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="consolidated"
    )
    node = models.ForeignKey("indicators.IndicatorNode", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    level = models.CharField(max_length=20, blank=True)
    veto = models.BooleanField(default=False)
    mean = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    spread = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    flagged = models.BooleanField(default=False)
    reason = models.TextField(_("组长裁定理由"), blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "node"], name="consolidated_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}/{self.node_id}"


class VetoSource(models.TextChoices):
    DISCIPLINE = "discipline", _("纪检监察")
    INSPECTION = "inspection", _("巡察")
    AUDIT = "audit", _("审计")


class VetoInput(models.Model):
    enrollment = models.ForeignKey(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="veto_inputs"
    )
    source = models.CharField(_("征求意见部门"), max_length=16, choices=VetoSource.choices)
    vetoed = models.BooleanField(_("否决"), default=False)
    opinion = models.TextField(_("意见"), blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "source"], name="veto_input_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} {self.source}"


class UnitResult(models.Model):
    """A unit's result in a campaign, written by approval and frozen until reopened.

    `campaign` repeats the enrollment's campaign so that the dashboard's unit table can walk an
    index of the campaign's results by score (issue 7) instead of sorting every unit per view.
    Every writer of results keeps `ResultSummary` up to date in the same transaction."""

    enrollment = models.OneToOneField(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="result"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="unit_results",
        db_index=False,  # the indexes below start with it
    )
    self_total = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    review_total = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    composite = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    type_scores = models.JSONField(default=dict)
    level_counts = models.JSONField(default=dict)
    grade = models.CharField(max_length=20, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    veto = models.BooleanField(default=False)
    advanced = models.BooleanField(default=False)
    frozen = models.BooleanField(default=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "composite"], name="unit_result_composite"),
            models.Index(fields=["campaign", "rank"], name="unit_result_rank"),
            models.Index(fields=["campaign", "self_total"], name="unit_result_self"),
            models.Index(fields=["campaign", "review_total"], name="unit_result_review"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} {self.grade}"


class ResultSummary(models.Model):
    """The campaign-wide figures of its approved results (issue 7), stored so that the dashboard
    and the unit view never read every unit's result per view: how many results, the count and
    sum of their composites, the count per grade, the composite histogram (`bins` counts over
    [0, `top`], as `evaluations.figures.summary.bin_index`) and, per indicator type (top-level node
    code), the sum and count of the numeric type scores.

    Kept by `evaluations.figures.summary` in the same transaction as every write of a `UnitResult`
    (approval, re-review, the bulk seed) and rebuilt by `manage.py recompute_results`. Sums are
    exact decimals stored as text, so adding and removing one result's share is exact."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="result_summary"
    )
    results = models.PositiveIntegerField(default=0)
    composites = models.PositiveIntegerField(default=0)  # results with a composite
    composite_sum = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    top = models.DecimalField(max_digits=9, decimal_places=2)  # the histogram's upper edge
    bins = models.JSONField(default=list)  # counts per bin, HISTOGRAM_BINS of them
    grades = models.JSONField(default=dict)  # grade ("" ungraded) -> count
    type_sums = models.JSONField(default=dict)  # type code -> sum of numeric scores as text
    type_counts = models.JSONField(default=dict)  # type code -> how many numeric scores
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.results}"


class UnitTotals(models.Model):
    """The live, precomputed figures of one enrolled unit (issue 7): its self and review
    totals, per-node totals, composite, grade and provisional rank, computed from the stored
    leaf scores by `evaluations.figures.unit` whenever a score, a veto input or the enrollment's
    review state changes, and recomputed for a whole campaign by `manage.py recompute_results`.
    Pages read these instead of rolling the tree up per view.

    Not the approved result: `UnitResult` stays what approval (or a re-review) froze; these
    figures are what approval would compute now, for every unit, approved or not.

    Per-node totals are kept as one JSON map per kind (node code → score as text, or the level
    of a qualitative node) on this row rather than as one row per node: a full recompute then
    writes one row per unit instead of ~50, which is what keeps 20,000 units within seconds."""

    enrollment = models.OneToOneField(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="totals"
    )
    # No index of its own: every index below starts with the campaign (one fewer to keep up
    # on each of the 20,000 rows a full recompute writes).
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="unit_totals", db_index=False
    )
    self_total = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    review_total = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    composite = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    self_nodes = models.JSONField(default=dict)  # code -> score text (or level), inner nodes
    review_nodes = models.JSONField(default=dict)
    type_scores = models.JSONField(default=dict)  # of the review, as UnitResult.type_scores
    level_counts = models.JSONField(default=dict)
    self_level_counts = models.JSONField(default=dict)
    self_complete = models.BooleanField(default=False)
    review_complete = models.BooleanField(default=False)
    grade = models.CharField(max_length=20, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    veto = models.BooleanField(default=False)
    advanced = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "rank"], name="unit_totals_rank"),
            models.Index(fields=["campaign", "self_total"], name="unit_totals_self"),
            models.Index(fields=["campaign", "review_total"], name="unit_totals_review"),
            # The approval summary counts vetoed and advanced units of a campaign from these
            # small partial indexes instead of reading every unit's row.
            models.Index(fields=["campaign"], condition=Q(veto=True), name="unit_totals_veto"),
            models.Index(
                fields=["campaign"], condition=Q(advanced=True), name="unit_totals_advanced"
            ),
            # The 先进 candidates by composite: where the quota line falls, and who ties on it
            # (`figures.unit.current_tie`), walked in the index rather than sorted per view.
            models.Index(
                fields=["campaign", "grade", "composite"],
                condition=Q(veto=False),
                name="unit_totals_candidates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} {self.composite}"


class TiePolicy(models.TextChoices):
    ALL = "all", _("并列单位全部入选")
    NONE = "none", _("并列单位全部不入选")
    PICK = "pick", _("选定部分并列单位")


class QuotaTieDecision(models.Model):
    """The committee's decision on units tied across the 先进 quota line (issue 14): which of
    them it admits (all, none, or chosen ones with a reason). It holds for that very tie — the
    same score and the same tied enrollments — and is shown again to decide when scores change.
    Written by `approval.quota_tie_decide`; read by `evaluations.figures` when it ranks."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="quota_tie_decision"
    )
    score = models.DecimalField(max_digits=9, decimal_places=2)
    tied = models.JSONField(default=list)  # enrollment ids
    admitted = models.JSONField(default=list)  # enrollment ids
    policy = models.CharField(max_length=8, choices=TiePolicy.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.get_policy_display()}"

    def as_decision(self) -> tuple[Decimal, list[int], list[int]]:
        return (self.score, self.tied, self.admitted)


class BatchState(models.TextChoices):
    PREPARED = "prepared", _("待领导签批")
    SIGNED = "signed", _("已签批")
    WITHDRAWN = "withdrawn", _("已撤回")


class ApprovalBatch(models.Model):
    """One round of approval (综合审定, issue 14): the committee admin prepares the units ready
    (reviewed) with their figures as shown; the committee leader signs off with their password,
    which freezes exactly those figures. Several rounds approve a campaign while other units are
    still in review. Written by `approval.approval_prepare`, `approval_sign`, `approval_withdraw`.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="approval_batches"
    )
    enrollments = models.JSONField(default=list)  # enrollment ids
    figures = models.JSONField(default=dict)  # enrollment id -> [composite, grade] as prepared
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.PREPARED)
    prepared_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prepared_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)  # why it was withdrawn

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(state="prepared"),
                name="one_prepared_batch_per_campaign",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.pk} {self.get_state_display()}"


class LedgerFigures(models.Model):
    """What the activity ledger says about one enrolled unit's indicators (取数, issue 15): for
    every leaf whose `rules` name activity kinds, the figure computed from the unit's records by
    `evaluations.ledger_figures` (the value, whether it is met, how many organisations or people
    were judged and passed, the period, the records behind it and who fell short).

    One row per enrollment with the figures as one JSON map (node id → list of figures, one per
    rule), like `UnitTotals`: computing a 20,000-unit campaign writes 20,000 rows, not one per
    leaf. Refreshed in the transaction of every ledger write (`activities.events`), when units
    enrol, and on request (重新取数)."""

    enrollment = models.OneToOneField(
        "campaigns.Enrollment", on_delete=models.CASCADE, related_name="ledger_figures"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="ledger_figures"
    )
    figures = models.JSONField(default=dict)  # str(node id) -> [figure, ...]
    computed_leaves = models.PositiveIntegerField(default=0)  # leaves with a value (减负 report)
    period_start = models.DateField()
    period_end = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["campaign"], name="ledger_figures_campaign")]

    def __str__(self) -> str:
        return f"{self.enrollment_id}: {self.computed_leaves}"


class RunState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("审定中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RunKind(models.TextChoices):
    SIGN = "sign", _("签批一轮审定")
    CAMPAIGN = "campaign", _("审定全部单位")


class ApprovalRun(models.Model):
    """One approval run as a background task (issue 19/20): the leader's signature of a round
    (`SIGN`, re-authenticated in the request) or the approval of the whole campaign
    (`CAMPAIGN`), carried out by `approval_tasks.approval_task` on the task engine. What the
    page shows: state, how many units, when it started and ended, the result or why it failed."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="approval_runs"
    )
    batch = models.ForeignKey(
        ApprovalBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="runs"
    )
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reauthenticated = models.CharField(max_length=20, blank=True)  # how the signer confirmed
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    units = models.PositiveIntegerField(default=0)  # how many units the run approves
    approved = models.PositiveIntegerField(default=0)  # results written, when done
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(state__in=["queued", "running"]),
                name="one_active_approval_run_per_campaign",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.campaign_id} ({self.state})"
