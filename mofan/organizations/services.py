"""Organisation writes: keyword-only, atomic, audited in the same transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.organizations.models import (
    ALLOWED_PARENT_KINDS,
    Member,
    PartyOrganization,
    PartyOrgKind,
    Unit,
)


def _snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    data = model_to_dict(obj, fields=fields)
    return {
        k: (str(v) if v is not None and not isinstance(v, int | bool | str) else v)
        for k, v in data.items()
        if k != "committee_members"
    }


UNIT_FIELDS = ["name", "short_name", "credit_code", "category", "sort_order", "is_active"]
ORG_FIELDS = [
    "unit",
    "parent",
    "kind",
    "name",
    "sort_order",
    "secretary",
    "elected_on",
    "term_years",
    "election_due_on",
]
MEMBER_FIELDS = [
    "unit",
    "party_org",
    "name",
    "gender",
    "birth_date",
    "political_status",
    "post",
    "phone",
]


@transaction.atomic
def unit_save(*, unit: Unit, actor: Actor) -> Unit:
    creating = unit.pk is None
    before = None if creating else _snapshot(Unit.objects.get(pk=unit.pk), UNIT_FIELDS)
    # Normalise before validating: Unit.save() upper-cases the code, so a lower-case duplicate
    # would pass the uniqueness check and then fail in the database.
    unit.credit_code = (unit.credit_code or "").strip().upper()
    unit.full_clean()
    unit.save()
    audit_record(
        action="unit.create" if creating else "unit.update",
        actor=actor.user,
        target=unit,
        before=before,
        after=_snapshot(unit, UNIT_FIELDS),
    )
    return unit


def check_party_org(org: PartyOrganization) -> None:
    parent = org.parent
    parent_kind = parent.kind if parent else None
    if parent is not None and parent.unit_id != org.unit_id:
        raise ValidationError({"parent": _("上级组织必须属于同一单位。")})
    if parent_kind not in ALLOWED_PARENT_KINDS[org.kind]:
        raise ValidationError(
            {
                "parent": _("“%(kind)s”不能设在“%(parent)s”之下。")
                % {
                    "kind": PartyOrgKind(org.kind).label,
                    "parent": PartyOrgKind(parent_kind).label if parent_kind else _("单位（顶层）"),
                }
            }
        )
    if org.pk:
        # A change of kind must keep the organisations already under this one validly nested.
        child_kinds = PartyOrganization.objects.filter(parent_id=org.pk).values_list(
            "kind", flat=True
        )
        for child_kind in sorted(set(child_kinds)):
            if org.kind not in ALLOWED_PARENT_KINDS[child_kind]:
                raise ValidationError(
                    {
                        "kind": _("该组织下有“%(child)s”，而“%(child)s”不能设在“%(kind)s”之下。")
                        % {
                            "child": PartyOrgKind(child_kind).label,
                            "kind": PartyOrgKind(org.kind).label,
                        }
                    }
                )
    ancestor = parent
    while ancestor is not None:
        if org.pk and ancestor.pk == org.pk:
            raise ValidationError({"parent": _("上级组织不能是它自己或它的下级。")})
        ancestor = ancestor.parent
    if org.secretary_id and org.secretary and org.secretary.unit_id != org.unit_id:
        raise ValidationError({"secretary": _("书记必须是本单位成员。")})


@transaction.atomic
def party_org_save(
    *, org: PartyOrganization, committee_members: list[Member] | None, actor: Actor
) -> PartyOrganization:
    creating = org.pk is None
    before = None
    if not creating:
        old = PartyOrganization.objects.get(pk=org.pk)
        before = _snapshot(old, ORG_FIELDS)
        before["committee_members"] = sorted(old.committee_members.values_list("pk", flat=True))
    check_party_org(org)
    if committee_members is not None and any(m.unit_id != org.unit_id for m in committee_members):
        raise ValidationError({"committee_members": _("委员必须是本单位成员。")})
    org.save()
    if committee_members is not None:
        org.committee_members.set(committee_members)
    after = _snapshot(org, ORG_FIELDS)
    after["committee_members"] = sorted(org.committee_members.values_list("pk", flat=True))
    audit_record(
        action="party_org.create" if creating else "party_org.update",
        actor=actor.user,
        target=org,
        before=before,
        after=after,
    )
    return org


@transaction.atomic
def party_org_delete(*, org: PartyOrganization, actor: Actor) -> None:
    if org.children.exists() or org.members.exists():
        raise ValidationError(_("该组织下还有下级组织或成员，不能删除。"))
    before = _snapshot(org, ORG_FIELDS)
    pk = org.pk
    org.delete()
    audit_record(
        action="party_org.delete",
        actor=actor.user,
        object_type="organizations.partyorganization",
        object_id=pk,
        before=before,
    )


@transaction.atomic
def member_save(*, member: Member, actor: Actor) -> Member:
    creating = member.pk is None
    if member.party_org_id and member.party_org and member.party_org.unit_id != member.unit_id:
        raise ValidationError({"party_org": _("所在党组织必须属于同一单位。")})
    before = None if creating else _snapshot(Member.objects.get(pk=member.pk), MEMBER_FIELDS)
    member.full_clean()
    member.save()
    audit_record(
        action="member.create" if creating else "member.update",
        actor=actor.user,
        target=member,
        before=before,
        after=_snapshot(member, MEMBER_FIELDS),
    )
    return member


@transaction.atomic
def member_delete(*, member: Member, actor: Actor) -> None:
    before = _snapshot(member, MEMBER_FIELDS)
    pk = member.pk
    PartyOrganization.objects.filter(secretary=member).update(secretary=None)
    member.delete()
    audit_record(
        action="member.delete",
        actor=actor.user,
        object_type="organizations.member",
        object_id=pk,
        before=before,
    )
