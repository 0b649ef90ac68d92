"""命名决定: the committee's decision naming the honours of one named programme (关于命名2026年度
“优秀共产党员”的决定), a programme-scoped document (`core.exports.base.ProgrammeDocument`).

Documented choices
------------------
* It lists exactly the programme's nominations in state 已命名 when it is generated
  (`honours.selectors.named_now`): neither the candidates left out (未入选: over the quota,
  vetoed by 纪检监察/巡察/审计, an objection upheld) nor an honour revoked since, which is not
  marked but left out: the document is the decision as it stands, the revocation is its own
  document (`Nomination.revoke_document`).
* Number: the programme's naming number (`document_number`, typed at naming; brackets
  normalised to 〔 〕). Date: the naming date. Red head, signature and printer: the committee, as
  the campaign documents.
* The body says how they were chosen: nominated by the units and reviewed by the committee (a
  先进单位 programme: the campaign's 考评 results, reviewed), the departments actually consulted
  (those whose replies were recorded on the candidates, or for a 先进单位 programme on the
  campaign's units; none recorded, none named) and the 公示.
* The list: a numbered table of units for a unit programme; for party organisations and people,
  one line per nominating unit in the committee's order (甲单位：张三、李四).
* Who: the staff (工委管理员, 工委领导) of the programme's committee, once it is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts import rules
from mofan.core.exports.base import Block, Column, Doc, Paragraph, ProgrammeDocument
from mofan.core.exports.registry import register
from mofan.evaluations.models import VetoInput as CampaignVeto
from mofan.honours.models import (
    HonourKind,
    HonourProgramme,
    Nomination,
    ProgrammeSource,
    ProgrammeState,
    VetoSource,
)
from mofan.honours.selectors import consulted_sources, named_now
from mofan.reports.documents.common import normalise_number, numbered_table, quoted


def honour_of(programme: HonourProgramme) -> str:
    """The honour conferred, without the year (the title puts the year in front once):
    "2026年度优秀共产党员" → 优秀共产党员."""
    name = programme.name
    for year in (f"{programme.year}年度", f"{programme.year}年"):
        name = name.replace(year, "")
    return name.strip() or programme.name


def candidate_label(nomination: Nomination) -> str:
    """How the list names a candidate under its unit: the organisation's or the person's own
    name (the unit heads the line); a unit by its name."""
    if nomination.party_org_id is not None and nomination.party_org is not None:
        return nomination.party_org.name
    if nomination.member_id is not None and nomination.member is not None:
        return nomination.member.name
    return nomination.candidate_name


def consulted(programme: HonourProgramme) -> str:
    """The departments consulted, in the order 纪检监察、巡察、审计 ("" when none replied): on
    the programme's candidates, and for a 先进单位 programme also on the campaign's units."""
    recorded = consulted_sources(programme)
    if programme.source == ProgrammeSource.CAMPAIGN_RESULTS and programme.campaign_id:
        recorded |= set(
            CampaignVeto.objects.filter(enrollment__campaign_id=programme.campaign_id).values_list(
                "source", flat=True
            )
        )
    return "、".join(str(s.label) for s in VetoSource if s.value in recorded)


@register
class HonoursNamingDecision(ProgrammeDocument):
    identifier: ClassVar[str] = "honours_naming"
    label: ClassVar[str] = gettext_lazy("命名决定")  # type: ignore[assignment]

    def check(self) -> None:
        programme = self.programme
        if not rules.is_staff_of(self.actor, programme.committee_id):
            raise PermissionDenied(_("只有本工委的管理员和领导可以生成命名决定。"))
        if programme.state != ProgrammeState.NAMED:
            raise ValidationError(_("该评选尚未命名，不能生成命名决定。"))
        if not self.named():
            raise ValidationError(_("该评选没有已命名的对象（可能均已撤销）。"))

    def named(self) -> list[Nomination]:
        if not hasattr(self, "_named"):
            self._named = list(named_now(self.programme))
        return self._named

    def title(self) -> str:
        return _("关于命名%(year)d年度%(honour)s的决定") % {
            "year": self.programme.year,
            "honour": quoted(honour_of(self.programme)),
        }

    @property
    def committee_name(self) -> str:
        return str(self.programme.committee.name)

    def how(self, honour: str) -> str:
        """How they were chosen, up to the 公示."""
        programme = self.programme
        if programme.source == ProgrammeSource.CAMPAIGN_RESULTS and programme.campaign_id:
            steps = _("根据%(campaign)s考评结果，经我委审定") % {
                "campaign": quoted(programme.campaign.name)
            }
        else:
            steps = _("我委组织开展了%(honour)s评选工作。经各单位推荐、我委评审") % {
                "honour": honour
            }
        departments = consulted(programme)
        if departments:
            steps += _("，征求%(d)s部门意见") % {"d": departments}
        return steps + _("，并经公示")

    def whom(self, named: Sequence[Nomination]) -> str:
        """决定命名甲单位等3个单位 / 张三等5名同志 / 甲单位第一党支部等2个党组织."""
        first = named[0]
        kind = self.programme.kind
        if kind == HonourKind.PERSON:
            name = candidate_label(first)
            more = _("等%(n)d名同志") % {"n": len(named)}
        elif kind == HonourKind.PARTY_ORG:
            name = first.candidate_name
            more = _("等%(n)d个党组织") % {"n": len(named)}
        else:
            name = first.candidate_name
            more = _("等%(n)d个单位") % {"n": len(named)}
        return name + (more if len(named) > 1 else "")

    def listing(self, named: Sequence[Nomination], honour: str) -> list[Block]:
        if self.programme.kind == HonourKind.UNIT:
            return [
                Paragraph(_("%(honour)s名单如下：") % {"honour": honour}),
                numbered_table(
                    [Column(_("单位名称"), "text", 24)],
                    [(n.candidate_name,) for n in named],
                    number_width=4,
                    caption=_("%(honour)s名单（共%(n)d个）") % {"honour": honour, "n": len(named)},
                ),
            ]
        blocks: list[Block] = [
            Paragraph(
                _("%(honour)s名单如下（按推荐单位排列，共%(n)d%(m)s）：")
                % {
                    "honour": honour,
                    "n": len(named),
                    "m": _("名") if self.programme.kind == HonourKind.PERSON else _("个"),
                }
            )
        ]
        for _unit, group in groupby(named, key=lambda n: n.unit_id):
            rows = list(group)
            names = "、".join(candidate_label(n) for n in rows)
            blocks.append(Paragraph(f"{rows[0].unit.name}：{names}"))
        return blocks

    def build(self) -> Doc:
        self.check()
        programme = self.programme
        named = self.named()
        honour = _("%(year)d年度%(honour)s") % {
            "year": programme.year,
            "honour": quoted(honour_of(programme)),
        }
        decision = _("为表彰先进、树立典型，%(how)s，决定命名%(whom)s为%(honour)s。") % {
            "honour": honour,
            "how": self.how(honour),
            "whom": self.whom(named),
        }
        if programme.kind == HonourKind.PERSON:
            hope = _(
                "希望受到命名的同志珍惜荣誉、戒骄戒躁，继续发挥先锋模范作用。广大党员干部要以先进为"
                "榜样，立足岗位、担当作为，为推动机关党建工作高质量发展作出新的贡献。"
            )
        else:
            hope = _(
                "希望受到命名的%(who)s珍惜荣誉、再接再厉，充分发挥示范引领作用。各单位、各级"
                "党组织要以先进为榜样，比学赶超、争创一流，推动机关党建工作高质量发展。"
            ) % {"who": _("党组织") if programme.kind == HonourKind.PARTY_ORG else _("单位")}
        return Doc(
            title=self.title(),
            issuer=_("%(name)s文件") % {"name": self.committee_name},
            number=normalise_number(programme.document_number),
            addressee=_("各有关单位"),
            blocks=[Paragraph(decision), Paragraph(hope), *self.listing(named, honour)],
            signature=self.committee_name,
            date=programme.named_on or self.today,
            printer=_("%(name)s办公室") % {"name": self.committee_name},
        )
