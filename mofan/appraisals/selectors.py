"""Scoped reads of 述职评议: every page fetches rounds and appraisals through these.

- Committee staff (工委管理员, 工委领导) see every round and appraisal of their committees.
- A unit's 联络员 and 单位领导 see their own units' appraisals once the round is open (never a
  draft), and nothing of other units.
- A panel member sees the rounds they sit on while rating (and after), and in them only the
  submitted reports, never other members' ratings.
- `results_of` is what other apps (honours) read: the frozen results, set-wise."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.appraisals import rules
from mofan.appraisals.models import Appraisal, AppraisalRound, AppraisalState, Rating, RoundState
from mofan.appraisals.services import combined, votes_of


def rounds_for(actor: Actor) -> QuerySet[AppraisalRound]:
    """The rounds whose page the actor reads: its committees' as staff."""
    return AppraisalRound.objects.filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))


def rounds_managed_by(actor: Actor) -> QuerySet[AppraisalRound]:
    return AppraisalRound.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    )


def panel_rounds_for(actor: Actor) -> QuerySet[AppraisalRound]:
    """The rounds the actor sits on the panel of, once rating has begun."""
    if not actor.user.is_authenticated:
        return AppraisalRound.objects.none()
    return AppraisalRound.objects.filter(
        panel=actor.user, state__in=(RoundState.RATING, RoundState.CLOSED)
    )


def appraisals_for(actor: Actor) -> QuerySet[Appraisal]:
    """Appraisals the actor reads in full: its committees' as staff, its own units' as a unit's
    联络员 or 单位领导 (of rounds that are open)."""
    staff = actor.committees_with(*COMMITTEE_STAFF)
    units = actor.units_with(*UNIT_READERS)
    return Appraisal.objects.filter(
        Q(round__committee_id__in=staff)
        | (Q(unit_id__in=units) & ~Q(round__state=RoundState.DRAFT))
    ).select_related("round", "unit")


def appraisals_managed_by(actor: Actor) -> QuerySet[Appraisal]:
    return Appraisal.objects.filter(
        round__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).select_related("round", "unit")


def unit_appraisals_for(actor: Actor) -> QuerySet[Appraisal]:
    """The actor's own units' appraisals (the unit side of the list page)."""
    return (
        Appraisal.objects.filter(unit_id__in=actor.units_with(*UNIT_READERS))
        .exclude(round__state=RoundState.DRAFT)
        .select_related("round", "unit")
        .order_by("-round__year", "unit__sort_order", "unit_id")
    )


def panel_appraisals(actor: Actor, round: AppraisalRound) -> QuerySet[Appraisal]:
    """The reports a panel member rates in `round`: the submitted (and, once closed, rated)
    ones, only when the actor sits on its panel."""
    return (
        Appraisal.objects.filter(
            round__in=panel_rounds_for(actor),
            round=round,
            state__in=(AppraisalState.SUBMITTED, AppraisalState.RATED),
        )
        .select_related("unit")
        .prefetch_related("evidence")
    )


def own_ratings(actor: Actor, round: AppraisalRound) -> dict[int, str]:
    """The actor's own ratings in a round: appraisal id → level (never anybody else's)."""
    return dict(
        Rating.objects.filter(appraisal__round=round, rater_id=actor.user.pk).values_list(
            "appraisal_id", "level"
        )
    )


@dataclass(frozen=True)
class Row:
    """One unit's line on a round's page: the appraisal and its votes so far (or the frozen
    result once the round is closed)."""

    appraisal: Appraisal
    outcome: rules.Outcome
    online: int


def round_rows(round: AppraisalRound, appraisals: Iterable[Appraisal]) -> list[Row]:
    """The rows of a round's table in two queries whatever the number of units."""
    items = list(appraisals)
    votes = votes_of([a.pk for a in items])
    rows = []
    for a in items:
        if round.state == RoundState.CLOSED and a.distribution.get("counts"):
            outcome = rules.aggregate(a.distribution["counts"])
        else:
            outcome = rules.aggregate(combined(a, votes))
        rows.append(Row(a, outcome, sum(votes.get(a.pk, {}).values())))
    return rows


# --- histories and what other apps read ---------------------------------------------------------
def history_for(actor: Actor) -> QuerySet[Appraisal]:
    """Results of closed rounds the actor reads in a history (committee staff, the unit's own
    联络员 and 单位领导), newest first."""
    return (
        appraisals_for(actor)
        .filter(round__state=RoundState.CLOSED, state=AppraisalState.RATED)
        .order_by("-round__year", "unit__sort_order", "pk")
    )


def results_of(member_ids: Collection[int], year: int) -> dict[int, str]:
    """The frozen 述职评议 result level of each person in `year` (member id → level), in one
    query; people without a result in a closed round of that year are absent."""
    rows = Appraisal.objects.filter(
        member_id__in=list(member_ids),
        round__year=year,
        round__state=RoundState.CLOSED,
        state=AppraisalState.RATED,
    ).values_list("member_id", "result_level")
    return {member_id: level for member_id, level in rows if member_id is not None and level}
