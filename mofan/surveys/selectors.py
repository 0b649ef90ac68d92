"""Scoped reads of the surveys.

- Committee staff (工委管理员, 工委领导) read their committees' questionnaires and surveys, every
  unit's figures and every free-text answer.
- A unit's 联络员 and 单位领导 read the surveys their units take part in, only their own units'
  figures, and their free-text answers only once the unit has at least
  `MOFAN_SURVEY_MIN_RESPONSES` (default 5) responses, so a few answers cannot be told apart.
- Nobody else reads anything; respondents see only the form."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.surveys.models import Answer, Questionnaire, Response, Survey, SurveyUnit
from mofan.surveys.rules import satisfaction

READERS = (*COMMITTEE_STAFF, *UNIT_READERS)


def min_responses() -> int:
    return int(getattr(settings, "MOFAN_SURVEY_MIN_RESPONSES", 5))


def questionnaires_for(actor: Actor) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))


def surveys_for(actor: Actor) -> QuerySet[Survey]:
    staff = actor.committees_with(*COMMITTEE_STAFF)
    units = actor.units_with(*UNIT_READERS)
    return (
        Survey.objects.filter(Q(committee_id__in=staff) | Q(units__unit_id__in=units))
        .distinct()
        .select_related("campaign")
    )


def units_shown(actor: Actor, survey: Survey) -> QuerySet[SurveyUnit]:
    """The survey's units the actor reads: all for the committee's staff, else its own."""
    rows = SurveyUnit.objects.filter(survey=survey).select_related("unit")
    if survey.committee_id in actor.committees_with(*COMMITTEE_STAFF):
        return rows
    return rows.filter(unit_id__in=actor.units_with(*UNIT_READERS))


@dataclass
class UnitFigures:
    survey_unit: SurveyUnit
    responses: int
    share: Decimal | None
    texts_shown: bool


def _given(survey: Survey, unit_ids: Collection[int]) -> dict[int, list[tuple[str, str, int]]]:
    """The choice and scale answers of the units, counted: unit → [(question, value, count)]."""
    given: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for unit_id, question, option, scale, n in (
        Answer.objects.filter(response__survey=survey, response__unit_id__in=unit_ids, text="")
        .values("response__unit_id", "question", "option", "scale")
        .annotate(n=Count("pk"))
        .values_list("response__unit_id", "question", "option", "scale", "n")
    ):
        given[unit_id].append((question, option if scale is None else str(scale), n))
    return given


def unit_figures(actor: Actor, survey: Survey) -> list[UnitFigures]:
    """Per unit the actor reads: responses and satisfaction share, in three queries."""
    rows = list(units_shown(actor, survey).order_by("unit__name", "pk"))
    ids = [r.unit_id for r in rows]
    counts = dict(
        Response.objects.filter(survey=survey, unit_id__in=ids)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    given = _given(survey, ids)
    staff = survey.committee_id in actor.committees_with(*COMMITTEE_STAFF)
    return [
        UnitFigures(
            r,
            counts.get(r.unit_id, 0),
            satisfaction(survey.frozen, given[r.unit_id]),
            staff or counts.get(r.unit_id, 0) >= min_responses(),
        )
        for r in rows
    ]


def free_texts(actor: Actor, survey: Survey) -> QuerySet[Answer]:
    """The free-text answers the actor reads: all for the staff, a unit's own above the
    threshold. Newest day first, no time."""
    shown = [f.survey_unit.unit_id for f in unit_figures(actor, survey) if f.texts_shown]
    return (
        Answer.objects.filter(response__survey=survey, response__unit_id__in=shown)
        .exclude(text="")
        .select_related("response__unit")
        .order_by("response__unit__name", "-response__answered_on", "pk")
    )


def answers_managed_by(actor: Actor) -> QuerySet[Answer]:
    """Free-text answers the actor may put on a problem list: its committees' as admin."""
    return Answer.objects.filter(
        response__survey__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).exclude(text="")


def campaign_shares(campaign_id: int, unit_ids: Collection[int]) -> dict[int, Decimal]:
    """The satisfaction share of each unit in the campaign's latest survey (by end date): the
    source of the composite's survey slot (registered in `extensions.py` with
    `evaluations.external`). Not scoped: the scoring reads it for every unit, as it reads the
    scores; units without a scored answer are left out. Two queries."""
    survey = Survey.objects.filter(campaign_id=campaign_id).order_by("-ends_on", "-pk").first()
    if survey is None:
        return {}
    given = _given(survey, unit_ids)
    shares = {unit_id: satisfaction(survey.frozen, rows) for unit_id, rows in given.items()}
    return {unit_id: share for unit_id, share in shares.items() if share is not None}
