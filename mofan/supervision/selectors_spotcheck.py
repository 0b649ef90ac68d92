"""Who sees which spot-check draws and visits (the rules are spelled out in the docstring of
`mofan.supervision.spotcheck`).

Which units and inspectors a draw holds lives in its recorded `result` (JSON), which SQLite
cannot search inside portably; so the draws of the actor's committees are read once as
(id, mode, result) plus one count of visits per draw, the visible ids are picked here, and the
selectors return ordinary querysets filtered by those ids. Two queries whatever the number of
draws; a committee makes a few draws a year.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.core.sorting import Term
from mofan.organizations.models import Unit
from mofan.supervision.models import SpotCheckDraw, SpotCheckVisit, VisitMode

PUBLIC_COMMITTEE_ROLES = (Role.COMMITTEE_ADMIN, Role.COMMITTEE_LEADER, Role.REVIEWER)
PUBLIC_UNIT_ROLES = (Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.MEMBER)

# The column sorts of the lists of draws (see `mofan.core.sorting`): newest first by default.
DRAW_SORTS: dict[str, tuple[Term, ...]] = {
    "created": ("created_at",),
    "campaign": ("campaign__year", "campaign__name", "campaign_id", "-created_at"),
}
DRAW_DEFAULT = "-created"


@dataclass(frozen=True)
class DrawFacts:
    pk: int
    committee_id: int
    mode: str
    units: tuple[int, ...]
    inspectors: tuple[int, ...]
    visits: int

    @property
    def published(self) -> bool:
        """一公开: an announced draw at once; an unannounced one when every unit was visited."""
        return self.mode == VisitMode.ANNOUNCED or self.visits >= len(self.units)


def committees_of(actor: Actor) -> set[int]:
    """The committees in which the actor holds a role entitled to published results."""
    committees = actor.committees_with(*PUBLIC_COMMITTEE_ROLES)
    units = actor.units_with(*PUBLIC_UNIT_ROLES)
    if units:
        committees |= set(Unit.objects.filter(pk__in=units).values_list("committee_id", flat=True))
    return committees


def draw_facts(committee_ids: set[int]) -> list[DrawFacts]:
    if not committee_ids:
        return []
    rows = list(
        SpotCheckDraw.objects.filter(committee_id__in=committee_ids)
        .annotate(mode=KeyTextTransform("mode", "inputs"))
        .values_list("pk", "committee_id", "mode", "result")
    )
    counts = dict(
        SpotCheckVisit.objects.filter(draw_id__in=[r[0] for r in rows])
        .values("draw_id")
        .annotate(n=Count("pk"))
        .values_list("draw_id", "n")
    )
    return [
        DrawFacts(
            pk=pk,
            committee_id=committee_id,
            mode=mode or "",
            units=tuple((result or {}).get("units", [])),
            inspectors=tuple((result or {}).get("inspectors", [])),
            visits=counts.get(pk, 0),
        )
        for pk, committee_id, mode, result in rows
    ]


def _inspected_ids(actor: Actor) -> set[int]:
    committees = actor.committees_with(Role.REVIEWER)
    return {f.pk for f in draw_facts(committees) if actor.user.pk in f.inspectors}


def visits_due_of_inspector(actor: Actor) -> list[DrawFacts]:
    """The draws naming the actor as an inspector (while a reviewer of that committee) with a
    drawn unit whose visit is not recorded yet: the inspector's work (`draws_inspected_by`,
    narrowed). `len(units) - visits` is what is left: a draw's visits are each of a drawn unit,
    at most one per unit. Two queries (`draw_facts`), whatever the number of draws."""
    committees = actor.committees_with(Role.REVIEWER)
    return [
        f
        for f in draw_facts(committees)
        if actor.user.pk in f.inspectors and f.visits < len(f.units)
    ]


def draws_managed_by(actor: Actor) -> QuerySet[SpotCheckDraw]:
    """Draws the actor may make and record visits for as the committee admin."""
    return SpotCheckDraw.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    )


def draws_inspected_by(actor: Actor) -> QuerySet[SpotCheckDraw]:
    """Draws naming the actor as an inspector (while a reviewer of that committee)."""
    ids = _inspected_ids(actor)
    return SpotCheckDraw.objects.filter(pk__in=ids) if ids else SpotCheckDraw.objects.none()


def draws_in_full_for(actor: Actor) -> QuerySet[SpotCheckDraw]:
    """Draws the actor sees in full (per-unit inputs, visits): the committee's staff and the
    draw's own inspectors."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    ids = _inspected_ids(actor)
    if not staff and not ids:
        return SpotCheckDraw.objects.none()
    return SpotCheckDraw.objects.filter(Q(committee_id__in=staff) | Q(pk__in=ids))


def draws_recordable_by(actor: Actor) -> QuerySet[SpotCheckDraw]:
    """Draws whose visits the actor may record: the committee admin's, and the inspector's own."""
    admin = actor.committees_with(Role.COMMITTEE_ADMIN)
    ids = _inspected_ids(actor)
    if not admin and not ids:
        return SpotCheckDraw.objects.none()
    return SpotCheckDraw.objects.filter(Q(committee_id__in=admin) | Q(pk__in=ids))


def visitable_units(actor: Actor, draw_id: int | None) -> QuerySet[Unit]:
    """The units of a draw whose visit the actor may record and that are not yet visited."""
    draw = draws_recordable_by(actor).filter(pk=draw_id).first() if draw_id else None
    if draw is None:
        return Unit.objects.none()
    return (
        Unit.objects.filter(pk__in=draw.result.get("units", []))
        .exclude(pk__in=draw.visits.values("unit_id"))
        .order_by("sort_order", "pk")
    )


def draws_visible_to(actor: Actor) -> QuerySet[SpotCheckDraw]:
    """Every draw the actor may open: in full (staff, own inspectors) or its published result."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    others = committees_of(actor) - staff
    ids = {
        f.pk
        for f in draw_facts(others)
        if f.published
        or (
            f.committee_id in actor.committees_with(Role.REVIEWER) and actor.user.pk in f.inspectors
        )
    }
    if not staff and not ids:
        return SpotCheckDraw.objects.none()
    return SpotCheckDraw.objects.filter(Q(committee_id__in=staff) | Q(pk__in=ids))


def visits_visible_to(actor: Actor) -> QuerySet[SpotCheckVisit]:
    """Visits with their findings: the committee's staff, the draw's inspectors, and the visited
    unit's own admin and leader."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    ids = _inspected_ids(actor)
    units = actor.units_with(*UNIT_READERS)
    if not staff and not ids and not units:
        return SpotCheckVisit.objects.none()
    return SpotCheckVisit.objects.filter(
        Q(draw__committee_id__in=staff) | Q(draw_id__in=ids) | Q(unit_id__in=units)
    )
