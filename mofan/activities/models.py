"""The activity ledger (活动台账): what a unit's party organisations and people actually did —
meetings of 三会一课, 主题党日, study, research, volunteer service, training, articles — entered
once by whoever did it. Later figures (rules computed from the ledger, issue 15) read these rows;
nobody types a result twice.

The kinds of record are data, not code (`ActivityKind`): the built-in kinds are loaded by a data
migration and shared by every committee; a committee adds its own. A kind says which fields its
records ask for (attendance with absentees' reasons, hours, whether the content is political
theory, whether the record is one person's own).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mofan.core.background import HandedWork
from mofan.core.references import committee_ref, reference, unit_ref, user_ref


class Attendance(models.TextChoices):
    NONE = "none", _("不记出席")
    ROSTER = "roster", _("从名册勾选出席人员")
    PERSON = "person", _("本人记录（一人一条）")


class Hours(models.TextChoices):
    NONE = "none", _("不记学时")
    OPTIONAL = "optional", _("可填学时")
    REQUIRED = "required", _("必填学时")


class ActivityKind(models.Model):
    """A kind of record and the fields it asks for. `committee` empty: a built-in kind."""

    committee = committee_ref("activity_kinds", null=True, blank=True)
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=40)
    group = models.CharField(_("类别"), max_length=20, blank=True)
    attendance = models.CharField(
        _("出席"), max_length=10, choices=Attendance.choices, default=Attendance.ROSTER
    )
    absence_reasons = models.BooleanField(_("记录缺席原因"), default=False)
    hours = models.CharField(_("学时"), max_length=10, choices=Hours.choices, default=Hours.NONE)
    theory_flag = models.BooleanField(_("区分是否政治理论"), default=False)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("活动类型")
        verbose_name_plural = _("活动类型")
        constraints = [
            models.UniqueConstraint(fields=["committee", "code"], name="activity_kind_code_unique"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(committee__isnull=True),
                name="activity_kind_builtin_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ActivityRecord(models.Model):
    """One thing done: a meeting, a study session, a visit, a service, a training, an article."""

    committee = committee_ref()
    unit = unit_ref("activity_records")
    party_org = reference("organizations.PartyOrganization", "activity_records")
    kind = reference(ActivityKind, "records")
    held_on = models.DateField(_("日期"))
    topic = models.CharField(_("主题"), max_length=200)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, null=True, blank=True)
    political_theory = models.BooleanField(_("政治理论学习"), null=True, blank=True)
    minutes = models.TextField(_("记录（纪要）"), blank=True)
    evidence = models.ManyToManyField(
        "evidence.Evidence", related_name="activity_records", blank=True
    )
    created_by = user_ref()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("活动记录")
        verbose_name_plural = _("活动记录")
        indexes = [
            models.Index(fields=["unit", "held_on"], name="activity_unit_date"),
            models.Index(fields=["party_org", "kind", "held_on"], name="activity_org_kind_date"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class Participation(models.Model):
    """A roster member on a record: present, or absent with a reason."""

    record = models.ForeignKey(
        ActivityRecord, on_delete=models.CASCADE, related_name="participations"
    )
    # Kept when the member leaves the roll (transferred out): the record keeps the name.
    member = reference(
        "organizations.Member", "participations", optional=True, on_delete=models.SET_NULL
    )
    name = models.CharField(_("姓名"), max_length=50)
    present = models.BooleanField(_("出席"), default=True)
    absence_reason = models.CharField(_("缺席原因"), max_length=100, blank=True)

    class Meta:
        ordering = ["record", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "member"], name="participation_unique")
        ]
        indexes = [models.Index(fields=["member", "record"], name="participation_member")]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.record_id}"


class ActivityImport(HandedWork):
    """A term's sheet of records imported in the background (issue 19 point 1,
    `activities/imports_task.py`): the request checks every row and records the checked rows
    here (`rows`, JSON); a worker then writes every record or none and says how many, or why
    not. The rows are emptied once imported; a failed import keeps them to be tried again."""

    committee = committee_ref()
    imported = models.PositiveIntegerField(default=0)  # records written, when done
    rows = models.TextField(blank=True)  # the checked rows as JSON, until imported

    class Meta(HandedWork.Meta):
        verbose_name = _("活动记录导入")
        verbose_name_plural = _("活动记录导入")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="activity_import_by")]

    def __str__(self) -> str:
        return f"ActivityImport({self.pk}, {self.state})"
