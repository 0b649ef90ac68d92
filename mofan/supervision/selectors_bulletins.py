"""Reads for bulletins (通报): who sees which bulletin, which findings the committee may pick, and
the plain facts a draft is composed from.

Visibility: committee staff (admin, leader) see every bulletin of their committee, drafts
included; a unit's admin, leader and members see only the published bulletins of their unit's
committee; everybody else (another committee, a reviewer who is not also unit staff, the auditor)
sees none.

The `*_facts` functions turn rows into the plain dataclasses below, which the pure composition
in `mofan.supervision.bulletins` works on; each carries the id of the row it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF, Role
from mofan.core.sorting import Term, rank
from mofan.evaluations.models import Finding
from mofan.organizations.models import Committee, Unit
from mofan.rectification.models import OPEN_STATES, ProblemItem, ProblemState
from mofan.supervision.models import (
    Bulletin,
    BulletinKind,
    BulletinState,
    Interview,
    LedgerItem,
    LedgerState,
    SpotCheckVisit,
)

UNIT_PEOPLE = (Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.MEMBER)
READERS = COMMITTEE_STAFF + UNIT_PEOPLE

# The list's column sorts (see `mofan.core.sorting`): newest first by default; a bulletin
# without a campaign, a period or a publication time comes last either way.
SORTS: dict[str, tuple[Term, ...]] = {
    "created": ("created_at",),
    "published": (F("published_at").asc(nulls_last=True), "-created_at"),
    "period": (
        F("period_start").asc(nulls_last=True),
        F("period_end").asc(nulls_last=True),
        "-created_at",
    ),
    "kind": (rank("kind", BulletinKind.values).asc(), "-created_at"),
    "campaign": (
        F("campaign__year").asc(nulls_last=True),
        F("campaign__name").asc(nulls_last=True),
        F("campaign_id").asc(nulls_last=True),
        "-created_at",
    ),
    "state": (rank("state", BulletinState.values).asc(), "-created_at"),
}
DEFAULT_SORT = "-created"


# --- who sees what -----------------------------------------------------------------------------


def bulletins_for(actor: Actor) -> QuerySet[Bulletin]:
    staff_committees = actor.committees_with(*COMMITTEE_STAFF)
    units = actor.units_with(*UNIT_PEOPLE)
    if not staff_committees and not units:
        return Bulletin.objects.none()
    scope = Q(committee_id__in=staff_committees)
    if units:
        unit_committees = Unit.objects.filter(pk__in=units).values("committee_id")
        scope |= Q(
            committee_id__in=unit_committees,
            state__in=[BulletinState.PUBLISHED, BulletinState.WITHDRAWN],
        )
    return Bulletin.objects.filter(scope)


def bulletins_managed_by(actor: Actor) -> QuerySet[Bulletin]:
    """Bulletins the actor may edit or publish while they are drafts: the committee admin's."""
    return Bulletin.objects.filter(committee_id__in=actor.committees_with(Role.COMMITTEE_ADMIN))


def admin_committee(actor: Actor) -> Committee | None:
    """The committee whose bulletins the actor composes: the account's own committee when the
    actor administers it, else the first one it administers."""
    ids = actor.committees_with(Role.COMMITTEE_ADMIN)
    if not ids:
        return None
    own = actor.user.committee_id
    return Committee.objects.get(pk=own if own in ids else min(ids))


def problem_findings(
    committee_id: int, *, campaign_id: int | None = None, query: str = ""
) -> QuerySet[Finding]:
    """Reviewers' findings marked as problems (列为问题) in the committee's campaigns."""
    findings = Finding.objects.filter(
        is_problem=True, assignment__enrollment__campaign__committee_id=committee_id
    )
    if campaign_id is not None:
        findings = findings.filter(assignment__enrollment__campaign_id=campaign_id)
    if query:
        findings = findings.filter(
            Q(assignment__enrollment__unit__name__icontains=query)
            | Q(assignment__enrollment__unit__short_name__icontains=query)
            | Q(text__icontains=query)
        )
    return findings.select_related(
        "assignment__enrollment__unit", "assignment__enrollment__campaign", "node"
    ).order_by("assignment__enrollment__unit__sort_order", "assignment__enrollment__unit_id", "pk")


# --- plain facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingFact:
    id: int
    unit: str
    text: str
    indicator: str = ""  # "1.1 理论学习"


@dataclass(frozen=True)
class UnitStatus:
    unit_id: int
    unit: str
    total: int
    closed: int
    overdue: int

    @property
    def open(self) -> int:
        return self.total - self.closed


@dataclass(frozen=True)
class OverdueFact:
    id: int
    kind: str  # "problem" or "ledger"
    unit: str
    text: str
    deadline: dt.date


@dataclass(frozen=True)
class ItemFact:
    """A problem item created or closed, or a ledger item done, on a day of the period."""

    id: int
    unit: str
    text: str
    on: dt.date


@dataclass(frozen=True)
class VisitFact:
    id: int
    unit: str
    mode: str  # "announced" (明察) or "unannounced" (暗访)
    visited_on: dt.date
    findings: str


@dataclass(frozen=True)
class InterviewFact:
    id: int
    unit: str
    interviewee: str
    held_on: dt.date
    points: str


@dataclass(frozen=True)
class MonthlyFacts:
    visits: list[VisitFact] = field(default_factory=list)
    interviews: list[InterviewFact] = field(default_factory=list)
    created: list[ItemFact] = field(default_factory=list)
    closed: list[ItemFact] = field(default_factory=list)
    ledger_done: list[ItemFact] = field(default_factory=list)
    overdue: list[OverdueFact] = field(default_factory=list)


def finding_facts(findings: QuerySet[Finding]) -> list[FindingFact]:
    return [
        FindingFact(
            id=f.pk,
            unit=f.assignment.enrollment.unit.name,
            text=f.text,
            indicator=f"{f.node.code} {f.node.title}" if f.node else "",
        )
        for f in findings.select_related("assignment__enrollment__unit", "node")
    ]


def _items(committee_id: int, campaign_id: int | None) -> QuerySet[ProblemItem]:
    items = ProblemItem.objects.filter(committee_id=committee_id)
    return items.filter(campaign_id=campaign_id) if campaign_id is not None else items


def _ledger(committee_id: int, campaign_id: int | None) -> QuerySet[LedgerItem]:
    items = LedgerItem.objects.filter(committee_id=committee_id)
    return items.filter(campaign_id=campaign_id) if campaign_id is not None else items


def unit_statuses(
    committee_id: int, *, today: dt.date, campaign_id: int | None = None
) -> tuple[list[UnitStatus], list[int]]:
    """Per unit with problem items: how many, closed (销号), and overdue (open past the
    deadline, i.e. deadline before `today`), plus the ids of the items counted."""
    items = _items(committee_id, campaign_id)
    rows = (
        items.values("unit_id", "unit__name", "unit__sort_order")
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(state=ProblemState.CLOSED)),
            overdue=Count("pk", filter=Q(state__in=OPEN_STATES, deadline__lt=today)),
        )
        .order_by("unit__sort_order", "unit_id")
    )
    statuses = [
        UnitStatus(
            unit_id=r["unit_id"],
            unit=r["unit__name"],
            total=r["total"],
            closed=r["closed"],
            overdue=r["overdue"],
        )
        for r in rows
    ]
    return statuses, list(items.order_by("pk").values_list("pk", flat=True))


def overdue_facts(
    committee_id: int, *, today: dt.date, campaign_id: int | None = None
) -> list[OverdueFact]:
    """Problem items and ledger items past their deadline (before `today`) and not closed."""
    problems = (
        _items(committee_id, campaign_id)
        .filter(state__in=OPEN_STATES, deadline__lt=today)
        .values_list("pk", "unit__name", "description", "deadline")
    )
    ledger = (
        _ledger(committee_id, campaign_id)
        .filter(state=LedgerState.OPEN, deadline__lt=today)
        .values_list("pk", "unit__name", "task", "deadline")
    )
    facts = [OverdueFact(pk, "problem", u, t, d) for pk, u, t, d in problems]
    facts += [OverdueFact(pk, "ledger", u, t, d) for pk, u, t, d in ledger]
    return sorted(facts, key=lambda f: (f.kind != "problem", f.deadline, f.id))


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _local_date(moment: dt.datetime | None) -> dt.date:
    assert moment is not None  # filtered on a range of it
    return timezone.localtime(moment).date()


def monthly_facts(
    committee_id: int,
    *,
    period_start: dt.date,
    period_end: dt.date,
    as_of: dt.date,
    campaign_id: int | None = None,
) -> MonthlyFacts:
    """What happened in [period_start, period_end] (local days) and what was overdue at the end
    of day `as_of` (normally `period_end`): open at that time with a deadline before it."""
    start, end = day_start(period_start), day_start(period_end + dt.timedelta(days=1))
    cutoff = day_start(as_of + dt.timedelta(days=1))
    items = _items(committee_id, campaign_id)
    ledger = _ledger(committee_id, campaign_id)

    visits = SpotCheckVisit.objects.filter(
        draw__committee_id=committee_id, visited_on__gte=period_start, visited_on__lte=period_end
    )
    if campaign_id is not None:
        visits = visits.filter(draw__campaign_id=campaign_id)
    interviews = Interview.objects.filter(
        committee_id=committee_id, held_on__gte=period_start, held_on__lte=period_end
    )
    created = items.filter(created_at__gte=start, created_at__lt=end)
    closed = items.filter(state=ProblemState.CLOSED, closed_at__gte=start, closed_at__lt=end)
    done = ledger.filter(state=LedgerState.DONE, closed_at__gte=start, closed_at__lt=end)
    # Open at the cutoff: open now, or closed only after it. A cancelled (撤销) ledger item is
    # never reported as overdue.
    due = Q(created_at__lt=cutoff, deadline__lt=as_of)
    overdue_problems = items.filter(due).filter(
        Q(state__in=OPEN_STATES) | Q(state=ProblemState.CLOSED, closed_at__gte=cutoff)
    )
    overdue_ledger = ledger.filter(due).filter(
        Q(state=LedgerState.OPEN) | Q(state=LedgerState.DONE, closed_at__gte=cutoff)
    )

    return MonthlyFacts(
        visits=[
            VisitFact(pk, u, mode, on, text)
            for pk, u, mode, on, text in visits.order_by("visited_on", "pk").values_list(
                "pk", "unit__name", "mode", "visited_on", "findings"
            )
        ],
        interviews=[
            InterviewFact(pk, u, who, on, points)
            for pk, u, who, on, points in interviews.order_by("held_on", "pk").values_list(
                "pk", "unit__name", "interviewee", "held_on", "points"
            )
        ],
        created=_item_facts(created, "description", "created_at"),
        closed=_item_facts(closed, "description", "closed_at"),
        ledger_done=_item_facts(done, "task", "closed_at"),
        overdue=_overdue_by_deadline(overdue_problems, "problem", "description")
        + _overdue_by_deadline(overdue_ledger, "ledger", "task"),
    )


def _item_facts(rows: QuerySet[Any], text: str, at: str) -> list[ItemFact]:
    """The rows as facts dated by the local day of `at`, in the order of `at`."""
    return [
        ItemFact(pk, u, t, _local_date(when))
        for pk, u, t, when in rows.order_by(at, "pk").values_list("pk", "unit__name", text, at)
    ]


def _overdue_by_deadline(rows: QuerySet[Any], kind: str, text: str) -> list[OverdueFact]:
    return [
        OverdueFact(pk, kind, u, t, d)
        for pk, u, t, d in rows.order_by("deadline", "pk").values_list(
            "pk", "unit__name", text, "deadline"
        )
    ]
