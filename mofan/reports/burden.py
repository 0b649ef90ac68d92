"""减负统计 (issue 15 point 4): what a campaign asked of a unit and how much of it the platform
took off its hands.

For one unit in one campaign (an enrollment):

* **asked** — the indicator leaves its self-evaluation covers (every leaf of the campaign's
  indicator version);
* **computed** — the leaves whose figure the activity ledger supplied (取数,
  `LedgerFigures.computed_leaves`), which the unit did not have to work out and type;
* **typed** — asked minus computed: what is left to fill by hand;
* **files_new** — distinct files behind its indicators that were uploaded since the campaign
  began;
* **files_reused** — distinct files behind its indicators that were already in the unit's
  library before the campaign began (last year's plan, a file first attached to a ledger
  record): linked, not uploaded again;
* **links** — the links of those files to indicators; `extra_links` (links beyond each file's
  first) is how many attachments a one-file-many-uses library saved over one copy per
  indicator.

Nothing here counts logins, clicks, time online or photos: only records the system holds.

Every figure is read set-wise: a page of enrollments or every campaign of a committee costs the
same handful of grouped queries whatever the number of units. Who may see what is decided by the
dashboard's scoped selectors: the committee's staff see every unit of its campaigns, a unit's
admin or leader the unit's own enrollments, nobody else anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from mofan.accounts.access import Actor
from mofan.accounts.roles import COMMITTEE_STAFF
from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
from mofan.evaluations.models import EvidenceLink, LedgerFigures
from mofan.indicators.models import IndicatorNode
from mofan.reports import dashboard as dash


@dataclass
class Burden:
    asked: int = 0
    computed: int = 0
    files_new: int = 0
    files_reused: int = 0
    links: int = 0
    units: int = 1

    @property
    def typed(self) -> int:
        return max(self.asked - self.computed, 0)

    @property
    def files(self) -> int:
        return self.files_new + self.files_reused

    @property
    def extra_links(self) -> int:
        return max(self.links - self.files, 0)

    @property
    def computed_percent(self) -> Decimal | None:
        """Share of the asked leaves that were computed, in per cent to one decimal."""
        return _percent(self.computed, self.asked)

    @property
    def reused_percent(self) -> Decimal | None:
        """Share of the files behind the indicators that were not uploaded again."""
        return _percent(self.files_reused, self.files)

    def per_unit(self, value: int) -> Decimal | None:
        if not self.units:
            return None
        return (Decimal(value) / self.units).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def per_unit_typed(self) -> Decimal | None:
        return self.per_unit(self.typed)

    @property
    def per_unit_files_new(self) -> Decimal | None:
        return self.per_unit(self.files_new)

    def add(self, other: Burden) -> None:
        self.asked += other.asked
        self.computed += other.computed
        self.files_new += other.files_new
        self.files_reused += other.files_reused
        self.links += other.links


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- who sees what -----------------------------------------------------------------------------


def burden_enrollments(actor: Actor) -> QuerySet[Enrollment]:
    """Enrollments whose burden the actor may read: as the dashboard's unit view (own units'
    for their admin or leader, every unit of the committee's campaigns for its staff), less
    the units that withdrew (已退出) before submitting: they took no part."""
    return dash.unit_view_enrollments(actor).exclude(state=EnrollmentState.WITHDRAWN)


def burden_campaigns(actor: Actor) -> QuerySet[Campaign]:
    """Campaigns with at least one enrollment the actor may read, newest first."""
    return (
        Campaign.objects.filter(pk__in=burden_enrollments(actor).values("campaign_id"))
        .select_related("committee")
        .order_by("-year", "-created_at", "pk")
    )


def sees_committee(actor: Actor, campaign: Campaign) -> bool:
    """The committee's view of the campaign (every unit), not only the actor's own units."""
    return campaign.committee_id in actor.committees_with(*COMMITTEE_STAFF)


# --- the figures -------------------------------------------------------------------------------


def leaf_counts(version_ids: Iterable[int]) -> dict[int, int]:
    """Leaves (nodes without children) per indicator version: one query."""
    ids = set(version_ids)
    if not ids:
        return {}
    parents = IndicatorNode.objects.filter(version_id__in=ids, parent__isnull=False).values(
        "parent_id"
    )
    rows = (
        IndicatorNode.objects.filter(version_id__in=ids)
        .exclude(pk__in=parents)
        .values("version_id")
        .annotate(n=Count("pk"))
    )
    return {row["version_id"]: row["n"] for row in rows}


def _file_counts() -> dict[str, Count]:
    """Links, files uploaded since the campaign began and files already in the library."""
    before = Q(evidence__uploaded_at__lt=F("enrollment__campaign__created_at"))
    return {
        "links": Count("pk"),
        "new": Count("evidence_id", distinct=True, filter=~before),
        "reused": Count("evidence_id", distinct=True, filter=before),
    }


def enrollment_burden(enrollments: Sequence[Enrollment]) -> dict[int, Burden]:
    """The burden of each enrollment (with its `campaign` loaded), by enrollment id: three
    queries for any number of enrollments."""
    if not enrollments:
        return {}
    ids = [e.pk for e in enrollments]
    leaves = leaf_counts(e.campaign.indicator_version_id for e in enrollments)
    computed = dict(
        LedgerFigures.objects.filter(enrollment_id__in=ids).values_list(
            "enrollment_id", "computed_leaves"
        )
    )
    files = {
        row["enrollment_id"]: row
        for row in EvidenceLink.objects.filter(enrollment_id__in=ids)
        .values("enrollment_id")
        .annotate(**_file_counts())
    }
    result = {}
    for e in enrollments:
        row = files.get(e.pk, {})
        result[e.pk] = Burden(
            asked=leaves.get(e.campaign.indicator_version_id, 0),
            computed=computed.get(e.pk, 0),
            files_new=row.get("new", 0),
            files_reused=row.get("reused", 0),
            links=row.get("links", 0),
        )
    return result


def campaign_burden(
    campaigns: Sequence[Campaign], units: QuerySet[Enrollment]
) -> dict[int, Burden]:
    """Each campaign's burden summed over the enrollments of `units` (a scoped queryset), by
    campaign id: four grouped queries for any number of campaigns and units. A file belongs to
    one unit, so the distinct files of a campaign are the sum of its units' distinct files."""
    if not campaigns:
        return {}
    ids = [c.pk for c in campaigns]
    scoped = units.filter(campaign_id__in=ids)
    enrolled = dict(
        scoped.order_by()
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    leaves = leaf_counts(c.indicator_version_id for c in campaigns)
    computed = dict(
        LedgerFigures.objects.filter(enrollment__in=scoped.values("pk"))
        .values("campaign_id")
        .annotate(n=Sum("computed_leaves"))
        .values_list("campaign_id", "n")
    )
    files = {
        row["enrollment__campaign_id"]: row
        for row in EvidenceLink.objects.filter(enrollment__in=scoped.values("pk"))
        .values("enrollment__campaign_id")
        .annotate(**_file_counts())
    }
    result = {}
    for c in campaigns:
        n = enrolled.get(c.pk, 0)
        row = files.get(c.pk, {})
        result[c.pk] = Burden(
            asked=leaves.get(c.indicator_version_id, 0) * n,
            computed=computed.get(c.pk) or 0,
            files_new=row.get("new", 0),
            files_reused=row.get("reused", 0),
            links=row.get("links", 0),
            units=n,
        )
    return result


def total(burdens: Iterable[Burden]) -> Burden:
    summed = Burden(units=0)
    for burden in burdens:
        summed.add(burden)
        summed.units += burden.units
    return summed
