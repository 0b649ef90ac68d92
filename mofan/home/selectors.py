"""Figures for each role's home page, read through the scoped selectors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from mofan.accounts import rules
from mofan.accounts.access import Actor
from mofan.accounts.models import LoginThrottle, TotpDevice
from mofan.accounts.roles import Role
from mofan.accounts.selectors import accounts_for
from mofan.accounts.selectors_audit import entries_for
from mofan.audit.models import AuditEntry, AuditResult
from mofan.core.extensions import HomePanel, panels_at
from mofan.organizations import selectors as org


def committee_overview(actor: Actor) -> dict[str, Any]:
    units = org.units_for(actor)
    return {
        "units": units.count(),
        "party_orgs": org.party_orgs_for(actor).count(),
        "members": org.members_for(actor).count(),
        "elections_due": org.elections_due(actor).count(),
        "accounts": accounts_for(actor).count() if actor.has(Role.COMMITTEE_ADMIN) else None,
        "units_without_admin": units.exclude(role_assignments__role=Role.UNIT_ADMIN).count(),
        "panels": _filled(panels_at("committee"), actor=actor, today=timezone.localdate()),
    }


def _filled(panels: list[HomePanel], **context: Any) -> list[dict[str, Any]]:
    filled = []
    for panel in panels:
        values = panel.context(**context)
        if values is not None:
            filled.append({"template": panel.template, **values})
    return filled


def alerts(actor: Actor) -> list[dict[str, Any]]:
    """The panels above the unit sections (supervision's warnings)."""
    return _filled(panels_at("alerts"), actor=actor, today=timezone.localdate())


def unit_overview(actor: Actor) -> list[dict[str, Any]]:
    today = timezone.localdate()
    result = []
    units = list(
        org.units_for(actor)
        .filter(pk__in=actor.unit_roles)
        .annotate(
            org_count=Count("party_orgs", distinct=True),
            member_count=Count("members", distinct=True),
        )
    )
    # Each app's panel is computed once for all the actor's units (rectification: two queries).
    unit_ids = [unit.pk for unit in units]
    per_panel = [
        (panel, panel.context(actor=actor, unit_ids=unit_ids, today=today) or {})
        for panel in panels_at("unit")
    ]
    due: dict[int, list[Any]] = {pk: [] for pk in unit_ids}
    for party_org in org.elections_due(actor, today=today).filter(unit_id__in=unit_ids):
        due[party_org.unit_id].append(party_org)
    for unit in units:
        result.append(
            {
                "unit": unit,
                "elections_due": due[unit.pk],
                "roles": actor.unit_roles[unit.pk],
                "reads_work": rules.reads_unit(actor, unit.pk),
                "panels": [
                    {"template": panel.template, **by_unit[unit.pk]}
                    for panel, by_unit in per_panel
                    if by_unit.get(unit.pk) is not None
                ],
            }
        )
    return result


def security_overview(actor: Actor) -> dict[str, Any]:
    accounts = accounts_for(actor)
    now = timezone.now()
    locked = LoginThrottle.objects.filter(key__startswith="account:", locked_until__gt=now).count()
    with_2fa = TotpDevice.objects.filter(user__in=accounts, confirmed_at__isnull=False).count()
    return {
        "accounts": accounts.count(),
        "inactive": accounts.filter(is_active=False).count(),
        "must_change": accounts.filter(must_change_password=True).count(),
        "locked": locked,
        "with_2fa": with_2fa,
    }


def auditor_overview(actor: Actor) -> dict[str, Any]:
    since = timezone.now() - timedelta(days=1)
    entries = entries_for(actor).filter(created_at__gte=since)
    figures = entries.aggregate(
        total=Count("id"),
        failures=Count("id", filter=~Q(result=AuditResult.SUCCESS)),
        lockouts=Count("id", filter=Q(action="account.login.locked")),
    )
    figures["all"] = entries_for(actor).count()
    figures["latest"] = list(
        entries_for(actor).filter(~Q(result=AuditResult.SUCCESS)).order_by("-id")[:10]
    )
    return figures


__all__ = ["AuditEntry", "auditor_overview", "committee_overview", "security_overview"]
