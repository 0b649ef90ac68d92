"""The chooser kinds organisations own (see `core.choosers`): units, party organisations and
people (members of a unit's roster), and the roster scope of the party-organisation form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.core.choosers import ChooserKind, ChooserScope
from mofan.core.params import parse_id
from mofan.organizations.models import Member, PartyOrganization, Unit
from mofan.organizations.selectors import members_editable_by

SEPARATOR = " · "


def _units_matching(qs: QuerySet[Unit], text: str) -> QuerySet[Unit]:
    return qs.filter(
        Q(name__icontains=text) | Q(short_name__icontains=text) | Q(credit_code__istartswith=text)
    ).order_by("sort_order", "pk")


def _units_named(qs: QuerySet[Unit], text: str) -> QuerySet[Unit]:
    return qs.filter(Q(name=text) | Q(short_name=text) | Q(credit_code=text.upper())).order_by(
        "sort_order", "pk"
    )


def _unit_detail(unit: Unit) -> str:
    return " ".join(part for part in (unit.short_name, unit.credit_code) if part)


UNIT = ChooserKind(
    name="unit",
    noun=_("单位"),
    search=_units_matching,
    exact=_units_named,
    label=lambda unit: unit.name,
    detail=_unit_detail,
    placeholder=_("输入单位名称、简称或统一社会信用代码"),
)


def _org_label(org: PartyOrganization) -> str:
    return f"{org.unit.short_name or org.unit.name}{SEPARATOR}{org.name}"


def _orgs_matching(qs: QuerySet[PartyOrganization], text: str) -> QuerySet[PartyOrganization]:
    unit_part, _sep, org_part = text.partition(SEPARATOR.strip())
    if org_part:
        unit_part, text = unit_part.strip(), org_part.strip()
        qs = qs.filter(
            Q(unit__short_name__icontains=unit_part) | Q(unit__name__icontains=unit_part)
        )
        return (
            qs.filter(name__icontains=text)
            .select_related("unit")
            .order_by("unit__sort_order", "unit_id", "sort_order", "pk")
        )
    return (
        qs.filter(
            Q(name__icontains=text)
            | Q(unit__name__icontains=text)
            | Q(unit__short_name__icontains=text)
        )
        .select_related("unit")
        .order_by("unit__sort_order", "unit_id", "sort_order", "pk")
    )


def _orgs_named(qs: QuerySet[PartyOrganization], text: str) -> QuerySet[PartyOrganization]:
    unit_part, _sep, org_part = text.partition(SEPARATOR.strip())
    if org_part:
        unit_part = unit_part.strip()
        qs = qs.filter(Q(unit__short_name=unit_part) | Q(unit__name=unit_part))
        text = org_part.strip()
    return qs.filter(name=text).select_related("unit").order_by("unit_id", "pk")


PARTY_ORG = ChooserKind(
    name="party_org",
    noun=_("党组织"),
    search=_orgs_matching,
    exact=_orgs_named,
    label=_org_label,
    detail=lambda org: org.get_kind_display(),
    placeholder=_("输入党组织或所在单位名称"),
)


def _person_label(member: Member) -> str:
    return f"{member.name}（{member.post}）" if member.post else member.name


def _people_matching(qs: QuerySet[Member], text: str) -> QuerySet[Member]:
    return qs.filter(Q(name__icontains=text) | Q(post__icontains=text)).order_by("name", "pk")


def _people_named(qs: QuerySet[Member], text: str) -> QuerySet[Member]:
    name, _sep, post = text.partition("（")
    if post.endswith("）"):
        return qs.filter(name=name.strip(), post=post[:-1].strip()).order_by("pk")
    return qs.filter(name=text).order_by("pk")


PERSON = ChooserKind(
    name="person",
    noun=_("人员"),
    search=_people_matching,
    exact=_people_named,
    label=_person_label,
    detail=lambda member: member.party_org.name if member.party_org_id else "",
    placeholder=_("输入姓名或职务"),
)


def roster_people(actor: Any, unit_id: int | None) -> QuerySet[Member]:
    """The members of one unit's roster the actor may change (secretary, committee members)."""
    if unit_id is None:
        return Member.objects.none()
    return members_editable_by(actor).filter(unit_id=unit_id).select_related("party_org")


def _roster_scope(actor: Any, params: Mapping[str, str]) -> QuerySet[Member]:
    return roster_people(actor, parse_id(params.get("unit")))


ROSTER = ChooserScope(kind="person", name="roster", queryset=_roster_scope)
