"""Reads of the supervision ledger, 约谈 records and yellow cards, scoped to the actor.

Committee staff (admin, leader) see everything of their committee; a unit's admin and leader
see their own unit's items, 约谈 records and yellow cards; everybody else sees none. Writes are
for the committee admin (items, 约谈, yellow cards) and the unit's admin and leader (progress
reports on their own open items).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor, staff_or_unit_readable
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_READERS, Role
from mofan.campaigns.models import Campaign
from mofan.core.sorting import Term, ordering, rank
from mofan.evidence.models import Evidence
from mofan.organizations.models import PartyOrganization, Unit
from mofan.rectification.models import ProblemItem
from mofan.supervision.ledger.common import INTERVIEW_ORIGIN
from mofan.supervision.ledger.yellow_cards import (  # re-exported for the views
    yellow_card_items as yellow_card_items,
)
from mofan.supervision.models import (
    Escalation,
    Interview,
    LedgerItem,
    LedgerState,
    YellowCard,
)

READERS = (*COMMITTEE_STAFF, *UNIT_READERS)


# --- ledger items --------------------------------------------------------------------------------


def ledger_items_for(actor: Actor) -> QuerySet[LedgerItem]:
    return staff_or_unit_readable(LedgerItem, actor)


def ledger_items_managed_by(actor: Actor) -> QuerySet[LedgerItem]:
    """Items the actor may change and close: its committees', as committee admin."""
    return LedgerItem.objects.filter(committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN))


def ledger_items_reportable_by(actor: Actor) -> QuerySet[LedgerItem]:
    """Open items the actor may report progress on: its own unit's, as admin or leader."""
    return LedgerItem.objects.filter(
        unit_id__in=actor.units_with(*UNIT_READERS), state=LedgerState.OPEN
    )


def _with_report_facts(qs: QuerySet[LedgerItem]) -> QuerySet[LedgerItem]:
    return qs.select_related("unit").annotate(
        report_count=Count("reports", distinct=True),
        last_percent=Max("reports__percent"),
        interview_count=Count("interviews", distinct=True),
    )


SORTS = {
    "deadline": ("deadline", "pk"),
    "-deadline": ("-deadline", "-pk"),
    "unit": ("unit__sort_order", "unit_id", "deadline", "pk"),
    "escalation": ("-escalation", "deadline", "pk"),
    "created": ("-created_at", "-pk"),
}


@dataclass(frozen=True)
class BoardFilters:
    state: str = LedgerState.OPEN  # "" for every state
    unit: str = ""  # part of the unit's name or short name
    escalation: int | None = None
    overdue: bool = False
    sort: str = "deadline"

    @classmethod
    def from_query(cls, data: Any) -> BoardFilters:
        state = data.get("state", LedgerState.OPEN)
        if state not in LedgerState.values and state != "all":
            state = LedgerState.OPEN
        try:
            level: int | None = int(data.get("escalation", ""))
        except ValueError:
            level = None
        if level not in Escalation.values:
            level = None
        sort = data.get("sort", "deadline")
        return cls(
            state="" if state == "all" else state,
            unit=data.get("unit", "").strip()[:50],
            escalation=level,
            overdue=data.get("overdue") in ("1", "on", "true"),
            sort=sort if sort in SORTS else "deadline",
        )


def ledger_board(
    actor: Actor, filters: BoardFilters, *, today: datetime.date | None = None
) -> QuerySet[LedgerItem]:
    """The committee's board: every item of the committees the actor is staff of."""
    qs = LedgerItem.objects.filter(committee_id__in=actor.committees_with(*COMMITTEE_STAFF))
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.unit:
        qs = qs.filter(
            Q(unit__name__icontains=filters.unit) | Q(unit__short_name__icontains=filters.unit)
        )
    if filters.escalation is not None:
        qs = qs.filter(escalation=filters.escalation)
    if filters.overdue:
        qs = qs.filter(state=LedgerState.OPEN, deadline__lt=today or timezone.localdate())
    return _with_report_facts(qs).order_by(*SORTS[filters.sort])


# The column sorts of the unit's list, the 约谈 list and the yellow-card list (see
# `mofan.core.sorting`). A missing date (no 整改时限) comes last either way; an item without a
# progress report counts as 0 %.
UNIT_LEDGER_SORTS: dict[str, tuple[Term, ...]] = {
    "deadline": ("deadline",),
    "state": (rank("state", LedgerState.values).asc(), "deadline"),
    "progress": (Coalesce("last_percent", Value(-1)).asc(), "deadline"),
}
UNIT_LEDGER_DEFAULT = "state"  # open ones first, then by deadline
INTERVIEW_SORTS: dict[str, tuple[Term, ...]] = {
    "held": ("held_on",),
    "unit": ("unit__sort_order", "unit_id", "-held_on"),
    "deadline": (F("rectify_by").asc(nulls_last=True), "-held_on"),
}
INTERVIEW_DEFAULT = "-held"
YELLOW_CARD_SORTS: dict[str, tuple[Term, ...]] = {
    "issued": ("issued_on",),
    "unit": (
        "party_org__unit__sort_order",
        "party_org__unit_id",
        "party_org__sort_order",
        "party_org_id",
        "-issued_on",
    ),
    # 挂牌中 before 已摘牌
    "state": (
        Case(
            When(lifted_on__isnull=True, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "-issued_on",
    ),
}
YELLOW_CARD_DEFAULT = "-issued"


def unit_ledger(actor: Actor, order_by: Sequence[Term] = ()) -> QuerySet[LedgerItem]:
    """The items of the actor's own unit(s) in the order given (by default open ones first,
    then by deadline)."""
    order = tuple(order_by) or ordering(UNIT_LEDGER_SORTS, UNIT_LEDGER_DEFAULT) or ("pk",)
    return _with_report_facts(
        LedgerItem.objects.filter(unit_id__in=actor.units_with(*UNIT_READERS))
    ).order_by(*order)


def ledger_units_for(actor: Actor) -> QuerySet[Unit]:
    """Units the actor may put items on (and record 约谈 with)."""
    return Unit.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).order_by("sort_order", "pk")


def ledger_campaigns_for(actor: Actor) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
        committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
    ).order_by("-year", "-pk")


def report_evidence_choices(item: LedgerItem) -> QuerySet[Evidence]:
    """Files a progress report may point at: the item's unit's own store only."""
    return Evidence.objects.filter(unit_id=item.unit_id).order_by("-uploaded_at", "-pk")


# --- 约谈 ----------------------------------------------------------------------------------------


def interviews_for(actor: Actor) -> QuerySet[Interview]:
    return staff_or_unit_readable(Interview, actor)


def interview_problem(interview: Interview) -> ProblemItem | None:
    return ProblemItem.objects.filter(origin_type=INTERVIEW_ORIGIN, origin_id=interview.pk).first()


# --- yellow cards -------------------------------------------------------------------------------


def yellow_cards_for(actor: Actor) -> QuerySet[YellowCard]:
    return staff_or_unit_readable(YellowCard, actor, unit_field="party_org__unit_id")


def yellow_cards_managed_by(actor: Actor) -> QuerySet[YellowCard]:
    return YellowCard.objects.filter(committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN))


def cardable_party_orgs(actor: Actor) -> QuerySet[PartyOrganization]:
    """Party organisations the actor may mark 软弱涣散: its committees', without an active card."""
    return (
        PartyOrganization.objects.filter(
            unit__committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN)
        )
        .exclude(pk__in=YellowCard.objects.filter(lifted_on__isnull=True).values("party_org_id"))
        .select_related("unit")
        .order_by("unit__sort_order", "unit_id", "sort_order", "pk")
    )


@dataclass(frozen=True)
class ShownCard:
    """An active yellow card as shown on an organisation or unit page; `can_open` says whether
    the viewer may open the card's own page (committee staff, the unit's admin and leader)."""

    card: YellowCard
    can_open: bool


def _can_open_cards_of(actor: Actor, unit: Unit) -> bool:
    return unit.committee_id in actor.committees_with(
        *COMMITTEE_STAFF
    ) or unit.pk in actor.units_with(*UNIT_READERS)


def active_yellow_card(actor: Actor, org: PartyOrganization) -> ShownCard | None:
    """The card an organisation carries now (at most one), for its page. The caller has already
    fetched `org` through a scoped selector."""
    card = YellowCard.objects.filter(party_org=org, lifted_on__isnull=True).first()
    if card is None:
        return None
    return ShownCard(card=card, can_open=_can_open_cards_of(actor, org.unit))


def active_yellow_cards_of_unit(actor: Actor, unit: Unit) -> dict[int, ShownCard]:
    """Party organisation id → its active card, for the unit's page (one query)."""
    can_open = _can_open_cards_of(actor, unit)
    return {
        card.party_org_id: ShownCard(card=card, can_open=can_open)
        for card in YellowCard.objects.filter(
            party_org__unit=unit, lifted_on__isnull=True
        ).select_related("party_org")
    }


# --- warnings on the unit's home page ------------------------------------------------------------


@dataclass(frozen=True)
class HomeWarning:
    kind: str  # "ledger" or "yellow_card"
    label: str  # 督办预警 / 黄牌警示
    unit_name: str
    title: str
    detail: str
    url: str
    since: datetime.date | None


def home_warnings(actor: Actor, *, today: datetime.date | None = None) -> list[HomeWarning]:
    """Warnings for the actor's own unit(s) as admin or leader: open ledger items at 已预警 or
    above, and active yellow cards on the unit's party organisations. Two queries."""
    units = actor.units_with(*UNIT_READERS)
    if not units:
        return []
    day = today or timezone.localdate()
    warnings: list[HomeWarning] = []
    items = (
        LedgerItem.objects.filter(
            unit_id__in=units, state=LedgerState.OPEN, escalation__gte=Escalation.WARNED
        )
        .select_related("unit")
        .order_by("deadline", "pk")
    )
    for item in items:
        overdue = (day - item.deadline).days
        warnings.append(
            HomeWarning(
                kind="ledger",
                label=_("督办预警"),
                unit_name=item.unit.name,
                title=item.task[:40],
                detail=_("完成时限 %(d)s，已逾期 %(n)d 天（%(level)s）。")
                % {
                    "d": item.deadline.isoformat(),
                    "n": max(overdue, 0),
                    "level": item.get_escalation_display(),
                },
                url=reverse("supervision:ledger_detail", args=[item.pk]),
                since=timezone.localtime(item.escalated_at).date() if item.escalated_at else None,
            )
        )
    cards = (
        YellowCard.objects.filter(party_org__unit_id__in=units, lifted_on__isnull=True)
        .select_related("party_org__unit")
        .order_by("issued_on", "pk")
    )
    for card in cards:
        warnings.append(
            HomeWarning(
                kind="yellow_card",
                label=_("黄牌警示"),
                unit_name=card.party_org.unit.name,
                title=_("%(o)s：软弱涣散，挂牌整改") % {"o": card.party_org.name},
                detail=card.reasons[:100],
                url=reverse("supervision:yellow_card_detail", args=[card.pk]),
                since=card.issued_on,
            )
        )
    return warnings


def committee_supervision_counts(actor: Actor, *, today: datetime.date) -> dict[str, int]:
    """The committee home page's supervision figures: open ledger items, overdue ones, those
    waiting for a 约谈, and active yellow cards. Two queries whatever the number of units."""
    committees = actor.committees_with(*COMMITTEE_STAFF)
    counts = LedgerItem.objects.filter(
        committee_id__in=committees, state=LedgerState.OPEN
    ).aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(deadline__lt=today)),
        interview=Count("pk", filter=Q(escalation__gte=Escalation.INTERVIEW)),
    )
    counts["yellow_cards"] = YellowCard.objects.filter(
        committee_id__in=committees, lifted_on__isnull=True
    ).count()
    return {key: value or 0 for key, value in counts.items()}
