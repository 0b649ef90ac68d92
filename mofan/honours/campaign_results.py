"""先进单位 as an honour programme: the advanced units of a campaign, as its approval froze them
(`evaluations.results.select_advanced`: the campaign's quota, veto and eligible grades), become
the candidates of one unit programme "创建模范机关先进单位" of the campaign's committee and year.

`campaign_programme_sync` runs when a campaign's results are approved
(`evaluations.events.results_approved`, connected in `apps.py`), inside the approval's
transaction. It creates the programme (source `campaign_results`) or, on a later approval of
the same campaign (a re-approval after 复核), brings the candidates in line with the advanced
units while the programme is not yet named: one programme per campaign (a constraint), never a
duplicate. Candidates are put straight on the list to be named (拟命名) with their grade, score
and rank as record; units do not nominate. The programme starts in 评审中: the committee still
records the replies of 纪检监察/巡察/审计 (a veto keeps a unit from being named), then publishes
the 公示 list and names as for any programme. A change during 公示 restarts the 公示 period; a
named or closed programme is left as it is.

The approval already checked who approves (the committee's admin, or the leader who signs a
round), so the sync checks no role of its own; the signer is the actor of its audit entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.audit.services import audit_record, audit_record_many
from mofan.campaigns.models import Campaign
from mofan.evaluations.selectors_ranking import approved_results
from mofan.honours.models import (
    HonourKind,
    HonourProgramme,
    Nomination,
    NominationState,
    ProgrammeSource,
    ProgrammeState,
    QuotaKind,
)

PROGRAMME_NAME = "创建模范机关先进单位"
SYNCED_STATES = (ProgrammeState.REVIEWING, ProgrammeState.PUBLICITY)
SYNC_FIELDS = ["state", "score", "record", "candidate_name", "review_note"]
# (unit id, unit name, record, score) of each advanced unit
Advanced = list[tuple[int, str, dict[str, Any], Any]]


def _advanced(campaign: Campaign) -> Advanced:
    """(unit id, unit name, record, score) of the campaign's advanced units, in the committee's
    order of units (one query)."""
    rows = (
        approved_results(campaign)
        .filter(advanced=True)
        .values_list("enrollment__unit_id", "enrollment__unit__name", "grade", "composite", "rank")
    )
    return [
        (
            unit_id,
            name,
            {
                _("创建活动"): campaign.name,
                _("审定等次"): grade or "—",
                _("综合得分"): str(score) if score is not None else "—",
                _("排名"): rank or "—",
            },
            score,
        )
        for unit_id, name, grade, score, rank in rows
    ]


def _create(campaign: Campaign, actor: Actor, count: int) -> HonourProgramme:
    programme = HonourProgramme.objects.create(
        committee_id=campaign.committee_id,
        name=PROGRAMME_NAME,
        kind=HonourKind.UNIT,
        year=campaign.year,
        quota_kind=QuotaKind.COUNT,
        quota_value=max(1, count),
        per_unit_limit=1,
        campaign=campaign,
        require_file_card=False,
        exclude_yellow_card=False,
        source=ProgrammeSource.CAMPAIGN_RESULTS,
        state=ProgrammeState.REVIEWING,
        created_by=actor.user,
    )
    audit_record(
        action="honour.programme.create",
        actor=actor.user,
        target=programme,
        committee_id=programme.committee_id,
        after={
            "name": programme.name,
            "kind": programme.kind,
            "year": programme.year,
            "campaign": campaign.pk,
            "source": programme.source,
            "state": programme.state,
        },
    )
    return programme


def _entry(
    actor: Actor, committee_id: int, nomination: Nomination, before: str | None
) -> dict[str, Any]:
    return {
        "action": "honour.campaign_candidate",
        "actor": actor.user,
        "target": nomination,
        "committee_id": committee_id,
        "before": {"state": before} if before else None,
        "after": {
            "unit": nomination.unit_id,
            "state": nomination.state,
            "score": str(nomination.score) if nomination.score is not None else None,
        },
    }


def _align(
    programme: HonourProgramme, campaign: Campaign, advanced: Advanced, actor: Actor
) -> tuple[list[Nomination], list[tuple[Nomination, str]]]:
    """The nominations to create, and those changed (with their state before), for the
    programme's candidates to be exactly the advanced units: a new one 拟命名; one advanced
    again back to 拟命名 unless vetoed; one no longer advanced 未入选."""
    existing = {n.unit_id: n for n in programme.nominations.prefetch_related("vetoes")}
    statement = _("经%(campaign)s考评审定为先进单位。") % {"campaign": campaign.name}
    new: list[Nomination] = []
    changed: list[tuple[Nomination, str]] = []
    for unit_id, name, record, score in advanced:
        nomination = existing.pop(unit_id, None)
        if nomination is None:
            new.append(
                Nomination(
                    programme=programme,
                    unit_id=unit_id,
                    candidate_name=name[:150],
                    record=record,
                    statement=statement,
                    state=NominationState.SELECTED,
                    score=score,
                    nominated_by=actor.user,
                )
            )
            continue
        before = nomination.state
        vetoed = any(v.vetoes for v in nomination.vetoes.all())
        if before == NominationState.NOT_SELECTED and not vetoed:
            nomination.state = NominationState.SELECTED
            nomination.review_note = ""
        if (nomination.state, nomination.score, nomination.record) != (before, score, record):
            nomination.score, nomination.record = score, record
            nomination.candidate_name = name[:150]
            changed.append((nomination, before))
    for nomination in existing.values():  # no longer advanced after a re-approval
        if nomination.state in (NominationState.SELECTED, NominationState.NOMINATED):
            before = nomination.state
            nomination.state = NominationState.NOT_SELECTED
            nomination.review_note = _("重新审定后不再是先进单位。")
            changed.append((nomination, before))
    return new, changed


@transaction.atomic
def campaign_programme_sync(
    *, campaign: Campaign, actor: Actor, today: dt.date | None = None
) -> HonourProgramme | None:
    """The campaign's 先进单位 programme made or brought in line with its advanced units (see the
    module docstring); None when the campaign has none and no programme yet. Queries do not grow
    with the number of units (bulk writes, one batched audit append)."""
    advanced = _advanced(campaign)
    programme = (
        HonourProgramme.objects.select_for_update()
        .filter(campaign=campaign, source=ProgrammeSource.CAMPAIGN_RESULTS)
        .first()
    )
    if programme is None:
        if not advanced:
            return None
        programme = _create(campaign, actor, len(advanced))
    if programme.state not in SYNCED_STATES:
        return programme  # named or closed: the record stands
    new, changed = _align(programme, campaign, advanced, actor)
    created = Nomination.objects.bulk_create(new)
    Nomination.objects.bulk_update([n for n, _b in changed], SYNC_FIELDS)
    restarted = False
    if (created or changed) and programme.state == ProgrammeState.PUBLICITY:
        today = today or timezone.localdate()
        programme.publicity_start = today
        programme.publicity_end = today + dt.timedelta(days=programme.publicity_days)
        restarted = True
    before_quota = programme.quota_value
    programme.quota_value = max(1, len(advanced))
    programme.tie_choice = []
    programme.version += 1
    programme.save()
    committee_id = programme.committee_id
    audit_record_many(
        entries=[
            *(_entry(actor, committee_id, n, None) for n in created),
            *(_entry(actor, committee_id, n, before) for n, before in changed),
        ]
    )
    audit_record(
        action="honour.programme.sync",
        actor=actor.user,
        target=programme,
        committee_id=programme.committee_id,
        before={"quota_value": before_quota},
        after={
            "campaign": campaign.pk,
            "quota_value": programme.quota_value,
            "added": [n.unit_id for n in created],
            "changed": [n.unit_id for n, _b in changed],
            "publicity_restarted": restarted,
        },
    )
    return programme
