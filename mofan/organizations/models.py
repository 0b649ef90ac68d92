"""Committee → unit (机关) → party organisation tree → member."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mofan.core.fields import (
    BlindIndexField,
    BlindIndexModelMixin,
    BlindIndexQuerySet,
    EncryptedCharField,
)
from mofan.core.references import reference
from mofan.organizations.validators import validate_credit_code, validate_mobile

ELECTION_WARNING_DAYS = 90


class Committee(models.Model):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    code = models.SlugField(_("代码"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("工委")
        verbose_name_plural = _("工委")

    def __str__(self) -> str:
        return self.name


class UnitCategory(models.TextChoices):
    PARTY = "party", _("党委部门")
    LEGISLATURE = "legislature", _("人大、政协机关")
    GOVERNMENT = "government", _("政府部门")
    JUDICIAL = "judicial", _("审判、检察机关")
    MASS = "mass", _("群团组织")
    INSTITUTION = "institution", _("事业单位")
    OTHER = "other", _("其他")


class Unit(models.Model):
    committee = reference(Committee, "units", verbose_name=_("工委"))
    name = models.CharField(_("单位全称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    category = models.CharField(
        _("单位类别"), max_length=20, choices=UnitCategory.choices, default=UnitCategory.GOVERNMENT
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "name"],
                name="unit_name_unique",
                violation_error_message=_("本工委已有同名单位。"),
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="unit_credit_code_unique",
                violation_error_message=_("该统一社会信用代码已被其他单位使用。"),
            ),
        ]
        # a committee's units in its own order: the dashboard's unit table walks it (issue 7)
        indexes = [
            models.Index(fields=["committee", "sort_order", "name"], name="unit_committee_order")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.credit_code = (self.credit_code or "").strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class PartyOrgKind(models.TextChoices):
    ORGAN_COMMITTEE = "organ_committee", _("机关党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    GROUP = "group", _("党小组")


# Which kinds may sit under which (a 党小组 only under a 党支部, and so on).
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    PartyOrgKind.ORGAN_COMMITTEE: {None},
    PartyOrgKind.GENERAL_BRANCH: {None, PartyOrgKind.ORGAN_COMMITTEE},
    PartyOrgKind.BRANCH: {None, PartyOrgKind.ORGAN_COMMITTEE, PartyOrgKind.GENERAL_BRANCH},
    PartyOrgKind.GROUP: {PartyOrgKind.BRANCH},
}


class PartyOrganization(models.Model):
    """A party organisation with its file card (建档立卡)."""

    unit = reference(Unit, "party_orgs", on_delete=models.CASCADE, verbose_name=_("所属单位"))
    parent = reference("self", "children", optional=True, verbose_name=_("上级组织"))
    kind = models.CharField(_("组织类型"), max_length=20, choices=PartyOrgKind.choices)
    name = models.CharField(_("组织名称"), max_length=100)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    secretary = reference(
        "Member", on_delete=models.SET_NULL, optional=True, verbose_name=_("书记")
    )
    committee_members = models.ManyToManyField(  # type: ignore[var-annotated]
        "Member", blank=True, related_name="committee_seats", verbose_name=_("委员")
    )
    elected_on = models.DateField(_("选举日期"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("任期（年）"), default=3)
    election_due_on = models.DateField(
        _("换届到期日"), null=True, blank=True, help_text=_("留空时按选举日期加任期计算。")
    )

    class Meta:
        ordering = ["unit", "sort_order", "id"]
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if self.elected_on and not self.election_due_on:
            self.election_due_on = add_years(self.elected_on, self.term_years)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def election_status(self, today: datetime.date | None = None) -> str:
        """'overdue', 'due_soon' (within 90 days), 'ok' or 'unknown' (no date on file)."""
        return election_status(self.election_due_on, today or timezone.localdate())


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def election_status(due: datetime.date | None, today: datetime.date) -> str:
    if due is None:
        return "unknown"
    if due < today:
        return "overdue"
    if (due - today).days <= ELECTION_WARNING_DAYS:
        return "due_soon"
    return "ok"


class Gender(models.TextChoices):
    # GB/T 2261.1-2003
    MALE = "1", _("男")
    FEMALE = "2", _("女")


class PoliticalStatus(models.TextChoices):
    # GB/T 4762-1984 政治面貌代码
    CPC_MEMBER = "01", _("中共党员")
    CPC_PROBATIONARY = "02", _("中共预备党员")
    CYL_MEMBER = "03", _("共青团员")
    RCCK = "04", _("民革会员")
    CDL = "05", _("民盟盟员")
    CNDCA = "06", _("民建会员")
    CAPD = "07", _("民进会员")
    CPWDP = "08", _("农工党党员")
    CZGP = "09", _("致公党党员")
    JSS = "10", _("九三学社社员")
    TDSL = "11", _("台盟盟员")
    NON_PARTY = "12", _("无党派民主人士")
    MASSES = "13", _("群众")


class Member(BlindIndexModelMixin, models.Model):
    """A person on a unit's roll: only the fields a committee needs."""

    unit = reference(Unit, "members", on_delete=models.CASCADE, verbose_name=_("所属单位"))
    party_org = reference(PartyOrganization, "members", optional=True, verbose_name=_("所在党组织"))
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    political_status = models.CharField(
        _("政治面貌"),
        max_length=2,
        choices=PoliticalStatus.choices,
        default=PoliticalStatus.CPC_MEMBER,
    )
    post = models.CharField(_("职务"), max_length=50, blank=True)
    # Encrypted at rest (SM4-GCM); found by its full number through the blind index below,
    # kept in step by save(), bulk_create(), update() and bulk_update().
    phone = EncryptedCharField(
        _("联系电话"), max_length=20, blank=True, validators=[validate_mobile]
    )
    phone_digest = BlindIndexField(source="phone", normalize="digits")

    objects = BlindIndexQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "party_org", "id"]
        verbose_name = _("成员")
        verbose_name_plural = _("成员")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def phone_digest_of(phone: str) -> str:
        """The `phone_digest` a member with this phone number has ("" for none)."""
        field = Member._meta.get_field("phone_digest")
        assert isinstance(field, BlindIndexField)
        return field.digest_of(phone)
