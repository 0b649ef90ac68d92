"""Extension points: registries the apps fill, read by the lower layers that show them.

A lower layer never imports a higher one. Where it must show or run something a higher app
provides (a menu entry, a section of a page, a daily reminder, a kind of notice, an export), the
higher app registers it here, in its own `extensions.py` module, and the lower one reads the
registry. `discover()` (called from `CoreConfig.ready`) imports the `extensions` module of every
installed app at start-up, so adding an app means writing its `extensions.py`, not editing core.

The registries themselves are plain: a named, ordered list. What an entry looks like is defined
next to the registry that holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")
StrOrPromise = str | Promise


class Registry(Generic[T]):
    """An ordered list of contributions, filled at start-up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: list[T] = []

    def register(self, item: T) -> T:
        if item not in self._items:  # a module imported twice registers once
            self._items.append(item)
        return item

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


# --- the navigation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MenuEntry:
    """A link in the top navigation: shown to an actor when `shows(actor)` holds; entries are
    listed by `order`. `args(actor)` gives the URL's arguments (e.g. the actor's own unit)."""

    order: int
    label: StrOrPromise  # lazy translation
    url_name: str
    shows: Callable[[Any], bool]
    args: Callable[[Any], list[Any]] | None = None


menu: Registry[MenuEntry] = Registry("menu")


# --- sections a higher app adds to a lower app's page ----------------------------------------
@dataclass(frozen=True)
class PageSection:
    """A block of a page owned by a lower app, filled by a higher one: `page` names the page
    (e.g. "evaluations.trace"), `context(**page_context)` returns what `template` needs, or None
    to leave the section out.

    A page shows its "notes" (page "organizations.unit", "organizations.party_org") under its
    title, and its sections (the same name with ".end": "organizations.unit.end",
    "organizations.party_org.end", "organizations.member.end", the roster member's page) at
    its foot. The honour programme's page ("honours.programme") shows its sections under its
    particulars (reports: the naming decision's downloads); the account's token page
    ("accounts.tokens.end") its sections under the tokens (api: the recent roster syncs)."""

    page: str
    order: int
    template: str
    context: Callable[..., dict[str, Any] | None]


page_sections: Registry[PageSection] = Registry("page_sections")


def sections_of(page: str, **page_context: Any) -> list[dict[str, Any]]:
    """The filled sections of a page, in order: each {"template": ..., **its context}."""
    filled = []
    for section in sorted((s for s in page_sections if s.page == page), key=lambda s: s.order):
        context = section.context(**page_context)
        if context is not None:
            filled.append({"template": section.template, **context})
    return filled


# --- the home page's work queue --------------------------------------------------------------
@dataclass(frozen=True)
class HomePanel:
    """A block of the home page contributed by an app.

    `place` says where: "committee" (the committee overview; `context(actor=, today=)`),
    "alerts" (above the unit sections; `context(actor=, today=)`) or "unit" (inside each of
    the actor's unit sections; `context(actor=, unit_ids=, today=)` returns unit id → the
    panel's context for that unit, computed for all units at once, so the page's queries do
    not grow with the number of units). A context of None leaves the panel out."""

    place: str
    order: int
    template: str
    context: Callable[..., Any]


home_panels: Registry[HomePanel] = Registry("home_panels")


def panels_at(place: str) -> list[HomePanel]:
    return sorted((p for p in home_panels if p.place == place), key=lambda p: p.order)


# --- the home page's work queue: what the actor must do, by when -------------------------------
@dataclass(frozen=True)
class WorkItem:
    """One line of an actor's work queue: what to do (`label`, an imperative), how many
    (`count`), by when (`due`, a date or None), where (`url`, a path on this site) and an
    optional `detail` (the campaign or unit it concerns)."""

    label: str
    count: int
    url: str
    due: date | None = None
    detail: str = ""


@dataclass(frozen=True)
class WorkSource:
    """An app's contribution to the work queue: `items(actor=, today=)` returns the actor's
    `WorkItem`s (an empty list when the actor has nothing to do there), in a number of queries
    that does not grow with the number of units."""

    order: int
    items: Callable[..., list[WorkItem]]


work_sources: Registry[WorkSource] = Registry("work_sources")


# --- daily reminders (manage.py send_reminders) -----------------------------------------------
@dataclass(frozen=True)
class ReminderJob:
    """A daily job that writes deadline notices: `run(today=...)` returns an object whose
    `text()` is the job's one-line Chinese summary for the command's output."""

    order: int
    name: str
    run: Callable[..., Any]


reminders: Registry[ReminderJob] = Registry("reminders")


# --- kinds of notices --------------------------------------------------------------------------
@dataclass(frozen=True)
class NoticeKind:
    """A kind of notice an app sends (`kind` as stored on the notice, or a prefix ending in
    "." for a family such as "problem.due"), with the label the notice list shows."""

    kind: str
    label: StrOrPromise  # lazy translation
    owner: str = field(default="")


notice_kinds: Registry[NoticeKind] = Registry("notice_kinds")


def labelled(entries: Iterable[tuple[str, StrOrPromise]], code: str) -> str:
    """The label of a stored code among (code, label) pairs, where a code ending in "." names
    a family: the exact code first, then the longest family; "" when none fits."""
    best: tuple[str, StrOrPromise] | None = None
    for key, label in entries:
        if key == code:
            return str(label)
        family = key.endswith(".") and code.startswith(key)
        if family and (best is None or len(key) > len(best[0])):
            best = (key, label)
    return str(best[1]) if best else ""


def notice_label(kind: str) -> str:
    """The label of a stored notice kind: the exact kind first, then the longest family."""
    return labelled(((entry.kind, entry.label) for entry in notice_kinds), kind)


# --- kinds of audit entries --------------------------------------------------------------------
@dataclass(frozen=True)
class AuditAction:
    """An action an app writes to the audit trail (`action` as stored, or a prefix ending in
    "." for a family such as "enrollment."), with the label the auditor's trail shows."""

    action: str
    label: StrOrPromise  # lazy translation


audit_actions: Registry[AuditAction] = Registry("audit_actions")


def audit_actions_register(labels: dict[str, StrOrPromise]) -> None:
    """Register an app's audit actions at once: {action or family: label}."""
    for action, label in labels.items():
        audit_actions.register(AuditAction(action, label))


@dataclass(frozen=True)
class AuditObject:
    """A kind of object the audit trail names (`object_type`, a model's "app.model" label),
    with the label the trail shows, for a model whose own verbose name is not Chinese."""

    object_type: str
    label: StrOrPromise  # lazy translation


audit_objects: Registry[AuditObject] = Registry("audit_objects")


def audit_objects_register(labels: dict[str, StrOrPromise]) -> None:
    """Register the names of an app's objects in the trail: {"app.model": label}."""
    for object_type, label in labels.items():
        audit_objects.register(AuditObject(object_type, label))


def audit_object_label(object_type: str) -> str:
    """The registered label of an object type; "" when none is."""
    return next((str(o.label) for o in audit_objects if o.object_type == object_type), "")


def audit_action_label(action: str) -> str:
    """The label of a stored audit action: the exact action first, then the longest family;
    "" for an action no app has named."""
    return labelled(((entry.action, entry.label) for entry in audit_actions), action)


def discover() -> None:
    """Import every installed app's `extensions` module (at start-up, from CoreConfig.ready)."""
    autodiscover_modules("extensions")


# core's own audit actions (the other apps register theirs in their extensions.py)
audit_actions_register(
    {
        "system.backup": _("系统备份"),
        "upload.malware": _("拦截带病毒的文件"),
        "media.orphans.delete": _("清理无主文件"),
    }
)
