"""What the records say about a candidate: the facts a nomination is prefilled with and that
eligibility is judged on, read from the campaign results, the organisation tree, the activity
ledger and the supervision yellow cards. Reads only; the rules are in `rules.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from mofan.activities.models import ActivityRecord, Participation
from mofan.appraisals.models import Level
from mofan.appraisals.selectors import results_of
from mofan.evaluations.selectors_ranking import approved_results
from mofan.honours import rules
from mofan.honours.models import HonourKind, HonourProgramme
from mofan.organizations.models import Member, PartyOrganization, Unit
from mofan.supervision.models import YellowCard


@dataclass
class Facts:
    """A candidate's record (label → value, as shown and kept with the nomination) and why it
    may not be put forward (empty: eligible)."""

    name: str
    record: dict[str, Any] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)


def unit_facts(programme: HonourProgramme, unit: Unit) -> Facts:
    facts = Facts(name=unit.name)
    grade = None
    if programme.campaign_id is not None:
        result = approved_results(programme.campaign, unit_ids=[unit.pk]).first()
        if result is not None:
            grade = result.grade
            facts.record = {
                _("创建活动"): programme.campaign.name,
                _("审定等次"): result.grade or "—",
                _("综合得分"): str(result.composite) if result.composite is not None else "—",
                _("排名"): result.rank or "—",
            }
        else:
            facts.record = {_("创建活动"): programme.campaign.name}
    facts.refusals = rules.unit_refusals(grade, programme.grades())
    return facts


def org_facts(programme: HonourProgramme, org: PartyOrganization) -> Facts:
    card = YellowCard.objects.filter(party_org=org, lifted_on__isnull=True).exists()
    has_card = org.secretary_id is not None and org.elected_on is not None
    records = ActivityRecord.objects.filter(party_org=org, held_on__year=programme.year).count()
    facts = Facts(
        name=org_full_name(org),
        record={
            _("组织类型"): org.get_kind_display(),
            _("书记"): org.secretary.name if org.secretary_id else "—",
            _("选举日期"): org.elected_on.isoformat() if org.elected_on else "—",
            _("换届到期日"): org.election_due_on.isoformat() if org.election_due_on else "—",
            _("党员人数"): org.members.count(),
            _("本年度活动记录"): records,
            _("黄牌警示"): _("是") if card else _("否"),
        },
    )
    facts.refusals = rules.org_refusals(
        has_file_card=has_card,
        yellow_card=card,
        require_file_card=programme.require_file_card,
        exclude_yellow_card=programme.exclude_yellow_card,
    )
    return facts


def org_full_name(org: PartyOrganization) -> str:
    """The organisation with its unit in front (市委办公室第一党支部), unless its name already
    starts with the unit's name."""
    return org.name if org.name.startswith(org.unit.name) else f"{org.unit.name}{org.name}"


def appraisal_result(member: Member, year: int) -> tuple[int, str] | None:
    """The person's 述职评议 result used for a programme of `year`: that year's, or, while the
    year has none (its round not closed yet), the year before's; (year, level) or None."""
    for candidate in (year, year - 1):
        level = results_of([member.pk], candidate).get(member.pk)
        if level:
            return candidate, level
    return None


def person_facts(programme: HonourProgramme, member: Member, unit: Unit) -> Facts:
    appraisal = appraisal_result(member, programme.year) if programme.appraisal_level else None
    attended = Participation.objects.filter(
        member=member, present=True, record__held_on__year=programme.year
    ).count()
    facts = Facts(
        name=f"{member.name}（{unit.name}）",
        record={
            _("姓名"): member.name,
            _("性别"): member.get_gender_display(),
            _("政治面貌"): member.get_political_status_display(),
            _("职务"): member.post or "—",
            _("所在党组织"): member.party_org.name if member.party_org_id else "—",
            _("本年度参加活动"): attended,
        },
    )
    if programme.appraisal_level:
        facts.record[_("述职评议结果")] = (
            f"{Level(appraisal[1]).label}（{appraisal[0]}）" if appraisal else "—"
        )
    facts.refusals = rules.person_refusals(
        on_roster=member.unit_id == unit.pk,
        post=member.post,
        required_post=programme.required_post,
        appraisal_level=appraisal[1] if appraisal else None,
        required_appraisal=programme.appraisal_level,
    )
    return facts


def facts_of(
    programme: HonourProgramme,
    unit: Unit,
    *,
    party_org: PartyOrganization | None = None,
    member: Member | None = None,
) -> Facts:
    """The facts of the candidate a unit puts forward for `programme`."""
    if programme.kind == HonourKind.UNIT:
        return unit_facts(programme, unit)
    if programme.kind == HonourKind.PARTY_ORG:
        if party_org is None or party_org.unit_id != unit.pk:
            return Facts(name="", refusals=[_("请选择本单位的党组织。")])
        return org_facts(programme, party_org)
    if member is None:
        return Facts(name="", refusals=[_("请选择本单位成员名册中的人员。")])
    return person_facts(programme, member, unit)
