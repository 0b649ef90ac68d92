"""Reads of the audit trail: only the auditor reads it (三权分立). The trail itself is the
bottom layer (`mofan.audit`); reading it is scoped by role, so the reads live with the roles."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.core.extensions import audit_action_label, audit_actions, audit_object_label


def entries_for(actor: Actor) -> QuerySet[AuditEntry]:
    """The auditor's own committees' entries, and platform-wide ones (no committee)."""
    committees = actor.committees_with(Role.AUDITOR)
    if not committees:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(Q(committee_id__in=committees) | Q(committee_id__isnull=True))


def filter_entries(
    entries: QuerySet[AuditEntry],
    *,
    actor_name: str = "",
    action: str = "",
    result: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    if actor_name:
        entries = entries.filter(actor_name__icontains=actor_name)
    if action:
        entries = entries.filter(action__startswith=action)
    if result:
        entries = entries.filter(result=result)
    if date_from:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries


@dataclass(frozen=True)
class TrailRow:
    """One entry as the trail shows it: who acted (the platform's own names in Chinese), the
    action's Chinese label (its stored code when no app names it), the object's kind by its
    registered or model name, and the data both in brief (its leaves on one short line) and in
    full (indented), the full only when the brief leaves something out."""

    entry: AuditEntry
    actor_label: str
    action_label: str
    object_label: str
    data_brief: str
    data_full: str


BRIEF_CHARS = 40

# The names the platform's own jobs and commands write as the actor (with no account behind).
SYSTEM_ACTORS = {
    "system": gettext_lazy("系统"),
    "backup": gettext_lazy("系统（备份）"),
    "verify_audit": gettext_lazy("系统（审计校验）"),
    "create_account": gettext_lazy("系统（命令行建立账号）"),
    "load_templates": gettext_lazy("系统（载入指标模板）"),
    "load_demo": gettext_lazy("系统（载入演示数据）"),
    "seed_scale": gettext_lazy("系统（规模测试数据）"),
}


def actor_label(entry: AuditEntry) -> str:
    """Who acted: the account's name, or the platform itself by what it was doing."""
    if entry.actor_id is None and entry.actor_name in SYSTEM_ACTORS:
        return str(SYSTEM_ACTORS[entry.actor_name])
    return entry.actor_name


def object_label(object_type: str) -> str:
    """The object's kind: as its app registered it, else its model's verbose name."""
    if registered := audit_object_label(object_type):
        return registered
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)


def _leaves(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        yield f"{path}: {text}" if path else text


def _brief(data: Any) -> str:
    """The data on one short line: its leaves as "key: value" ("extra." left off)."""
    if not data:
        return ""
    line = "；".join(leaf.removeprefix("extra.") for leaf in _leaves(data))
    return line if len(line) <= BRIEF_CHARS else line[: BRIEF_CHARS - 1] + "…"


def trail_rows(entries: Iterable[AuditEntry]) -> list[TrailRow]:
    rows = []
    for entry in entries:
        brief = _brief(entry.data)
        full = json.dumps(entry.data, ensure_ascii=False, indent=2) if entry.data else ""
        rows.append(
            TrailRow(
                entry=entry,
                actor_label=actor_label(entry),
                action_label=audit_action_label(entry.action) or entry.action,
                object_label=object_label(entry.object_type) if entry.object_type else "",
                data_brief=brief,
                data_full=full if brief.endswith("…") else "",
            )
        )
    return rows


def action_choices() -> list[tuple[str, str]]:
    """Every action an app has named, as (code, label) choices for the trail's filter, in the
    order of their codes; families come before their members."""
    return sorted(((a.action, str(a.label)) for a in audit_actions), key=lambda c: c[0])
