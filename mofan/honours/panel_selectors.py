"""Scoped reads of expert panels.

- The committee's staff (工委管理员, 工委领导) read their programmes' panels: the draw record,
  the drawn experts and the progress of scoring (per candidate, how many of the experts who
  should score it have); only the admin gets the forms.
- An expert (评审组成员 of the committee, seated on the panel) reads the panels they sit on and
  the candidates they score: records and statements, their own scores, never another expert's
  score, the committee's score or who else is on the panel; on a blind panel not the nominating
  unit's name either (a unit programme's candidates become 候选对象 A, B, ...), and never a
  candidate of their own unit (回避).
- Nobody else reads a panel."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.core.extensions import WorkItem
from mofan.honours import panel_rules
from mofan.honours.models import (
    ExpertPanel,
    HonourKind,
    HonourProgramme,
    Nomination,
    NominationState,
    PanelScore,
    PanelSeat,
    PanelState,
    ProgrammeSource,
    ProgrammeState,
)
from mofan.honours.panel import DRAW_STATES, candidates_of, recused, tallies


def seats_for(actor: Actor) -> QuerySet[PanelSeat]:
    """The panels the actor sits on, as a reviewer of the programme's committee."""
    return (
        PanelSeat.objects.filter(
            expert=actor.user,
            panel__programme__committee_id__in=actor.committees_with(Role.REVIEWER),
        )
        .select_related("panel__programme")
        .order_by("-panel__drawn_at", "-pk")
    )


def panels_read_by(actor: Actor) -> QuerySet[ExpertPanel]:
    return ExpertPanel.objects.filter(
        programme__committee_id__in=actor.committees_with(*COMMITTEE_STAFF)
    ).select_related("programme")


def panels_managed_by(actor: Actor) -> QuerySet[ExpertPanel]:
    return ExpertPanel.objects.filter(
        programme__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).select_related("programme")


def has_panel(programme: HonourProgramme) -> bool:
    """Whether the programme is scored by an expert panel (the committee then does not score)."""
    return ExpertPanel.objects.filter(programme=programme).exists()


def panel_section(actor: Actor, programme: HonourProgramme) -> dict[str, Any] | None:
    """The panel block of a programme's page for the committee's staff (None for others)."""
    if programme.committee_id not in actor.committees_with(*COMMITTEE_STAFF):
        return None
    if programme.source == ProgrammeSource.CAMPAIGN_RESULTS:
        return None  # the campaign's results chose the candidates: nothing for experts to score
    manages = programme.committee_id in actor.committees_with(Role.COMMITTEE_ADMIN)
    panel = ExpertPanel.objects.filter(programme=programme).first()
    if panel is None:
        return {
            "programme": programme,
            "panel": None,
            "can_draw": manages and programme.state in DRAW_STATES,
            "manages": manages,
        }
    seats = list(panel.seats.select_related("expert").order_by("expert__username"))
    nominations = candidates_of(programme) if panel.state == PanelState.SCORING else []
    results = tallies(panel, nominations)
    names = {n.pk: n.candidate_name for n in nominations}
    return {
        "programme": programme,
        "panel": panel,
        "seats": seats,
        "rows": [(names[t.nomination_id], t) for t in results],
        "given": sum(len(t.scores) for t in results),
        "expected": sum(t.expected for t in results),
        "missing": sum(1 for t in results if t.missing),
        "can_close": manages
        and panel.state == PanelState.SCORING
        and programme.state == ProgrammeState.REVIEWING,
        "manages": manages,
        "trim_from": panel_rules.TRIM_FROM,
    }


@dataclass
class Card:
    """One candidate as an expert sees it."""

    nomination_id: int
    label: str
    name: str
    unit: str
    record: list[tuple[str, str]]
    statement: str
    score: Decimal | None = None
    note: str = ""


def scoring_cards(seat: PanelSeat) -> list[Card]:
    """The candidates the seated expert scores (those of their own units left out), as the
    expert may see them, with the expert's own scores; in a fixed number of queries."""
    panel = seat.panel
    programme = panel.programme
    nominations = [n for n in candidates_of(programme) if not recused(seat, n)]
    mine = {
        s.nomination_id: s
        for s in PanelScore.objects.filter(seat=seat, nomination__in=[n.pk for n in nominations])
    }
    labels = panel_rules.blind_labels([n.pk for n in nominations], panel.seed)
    cards = []
    for n in nominations:
        hidden = n.unit.name if panel.blind else ""
        label = _("候选对象 %(letter)s") % {"letter": labels[n.pk]}
        if panel.blind and programme.kind == HonourKind.UNIT:
            name = label
        else:
            name = panel_rules.masked(n.candidate_name.replace(f"（{n.unit.name}）", ""), hidden)
        own = mine.get(n.pk)
        cards.append(
            Card(
                nomination_id=n.pk,
                label=label,
                name=name,
                unit="" if panel.blind else n.unit.name,
                record=[(str(k), panel_rules.masked(str(v), hidden)) for k, v in n.record.items()],
                statement=panel_rules.masked(n.statement, hidden),
                score=own.score if own else None,
                note=own.note if own else "",
            )
        )
    if panel.blind:
        cards.sort(key=lambda c: (len(c.label), c.label))
    return cards


def expert_work(*, actor: Actor, today: Any) -> list[WorkItem]:
    """The expert's work queue (home page): per panel open for scoring, the candidates the
    expert has still to score (their own units' left out), in three queries."""
    if not actor.has(Role.REVIEWER):
        return []
    seats = list(
        seats_for(actor).filter(
            panel__state=PanelState.SCORING, panel__programme__state=ProgrammeState.REVIEWING
        )
    )
    if not seats:
        return []
    programmes = {s.panel.programme_id for s in seats}
    by_unit: dict[int, list[int]] = {}
    for programme_id, unit_id in Nomination.objects.filter(
        programme_id__in=programmes, state=NominationState.NOMINATED
    ).values_list("programme_id", "unit_id"):
        by_unit.setdefault(programme_id, []).append(unit_id)
    given = dict(
        PanelScore.objects.filter(seat__in=seats, nomination__state=NominationState.NOMINATED)
        .values("seat_id")
        .annotate(n=Count("pk"))
        .values_list("seat_id", "n")
    )
    items = []
    for seat in seats:
        units = by_unit.get(seat.panel.programme_id, [])
        left = sum(1 for u in units if u not in seat.home_units) - given.get(seat.pk, 0)
        if left > 0:
            items.append(
                WorkItem(
                    _("为评选推荐对象评分"),
                    left,
                    reverse("honours:panel_scoring", args=[seat.panel_id]),
                    detail=seat.panel.programme.title,
                )
            )
    return items
