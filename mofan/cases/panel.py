"""The expert panel of a call: drawn by the committee admin from the committee's reviewers
(`panel_draw`, `evaluations.draws.pick_reviewers`, seed and pool recorded, `redraw` repeats
it), each expert scores each case per criterion (`case_score`, changed in place until the
committee closes the scoring), `panel_close` consolidates (mean of the experts' totals, the
highest and lowest dropped from five experts on) and ranks; `tie_decide` settles a tie across
the quota line.

回避: an expert never sees or scores a case of one of the expert's own units (recorded on the
seat at the draw). Blind: the expert's page shows no unit name, and never another expert's
score."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.cases import rules
from mofan.cases.models import CallState, Case, CaseCall, CasePanel, CaseScore, CaseSeat, CaseState
from mofan.cases.services import in_review, require_admin, selection_of
from mofan.evaluations import expert_draws
from mofan.evaluations.expert_draws import draw_experts
from mofan.notifications.services import notify

DRAW_STATES = (CallState.COLLECTING, CallState.REVIEWING)


def recused(seat: CaseSeat, case: Case) -> bool:
    return case.unit_id in seat.home_units


@transaction.atomic
def panel_draw(*, call: CaseCall, size: int, actor: Actor, seed: str | None = None) -> CasePanel:
    """Draw `size` experts at random from the committee's active reviewers while the call
    collects or is under review; pool (with home units), seed and result recorded, experts
    told."""
    call = CaseCall.objects.select_for_update().get(pk=call.pk)
    require_admin(actor, call.committee_id)
    if call.state not in DRAW_STATES:
        raise ValidationError(_("只有征集中或评审中的征集可以抽取专家。"))
    if CasePanel.objects.filter(call=call).exists():
        raise ValidationError(_("本征集已抽取评审专家。"))
    draw = draw_experts(committee_id=call.committee_id, size=size, seed=seed)
    pool, homes, drawn, seed = draw.pool, draw.homes, draw.drawn, draw.seed
    panel = CasePanel.objects.create(
        call=call,
        size=size,
        seed=seed,
        pool=draw.pool_record(),
        drawn=drawn,
        drawn_by=actor.user,
    )
    CaseSeat.objects.bulk_create(
        CaseSeat(panel=panel, expert_id=uid, home_units=sorted(homes[uid])) for uid in drawn
    )
    audit_record(
        action="case.panel.draw",
        actor=actor.user,
        target=panel,
        committee_id=call.committee_id,
        after={
            "call": call.pk,
            "seed": seed,
            "pool": sorted(u.pk for u in pool),
            "drawn": drawn,
        },
    )
    notify(
        recipients=draw.experts(),
        kind="case.panel",
        title=_("您已被抽取为%(title)s评审专家") % {"title": call.title},
        url=reverse("cases:scoring", args=[call.pk]),
    )
    return panel


def redraw(panel: CasePanel) -> list[int]:
    """The draw repeated from its record (pool and seed): equals `panel.drawn`."""
    return expert_draws.redraw(pool=panel.pool, size=panel.size, seed=panel.seed)


def seat_of(actor: Actor, call: CaseCall) -> CaseSeat | None:
    """The actor's seat on the call's panel (None off the panel or without the reviewer role)."""
    if call.committee_id not in actor.committees_with(Role.REVIEWER):
        return None
    return CaseSeat.objects.filter(panel__call=call, expert=actor.user).first()


def scoring_open(call: CaseCall) -> bool:
    panel = CasePanel.objects.filter(call=call).first()
    return call.state == CallState.REVIEWING and panel is not None and not panel.closed


@transaction.atomic
def case_score(*, case: Case, points: list[int], comment: str, actor: Actor) -> CaseScore:
    """An expert's points per criterion and comment on one case while the call is under review
    and the scoring open; a second score replaces the first."""
    case = Case.objects.select_related("call").get(pk=case.pk)
    call = CaseCall.objects.select_for_update().get(pk=case.call_id)
    seat = seat_of(actor, call)
    if seat is None:
        raise PermissionDenied(_("您不是本征集的评审专家。"))
    if not scoring_open(call):
        raise ValidationError(_("专家评分只在评审阶段、评分结束前进行。"))
    if case.state != CaseState.SUBMITTED:
        raise ValidationError(_("该案例不在评审之列。"))
    if recused(seat, case):
        raise ValidationError(_("该案例由您所在单位报送，您应回避。"))
    refusal = rules.points_refusal(points, call.criteria)
    if refusal:
        raise ValidationError(refusal)
    row = CaseScore.objects.filter(seat=seat, case=case).first()
    before = {"points": row.points, "total": str(row.total)} if row else {}
    if row is None:
        row = CaseScore(seat=seat, case=case)
    row.points = list(points)
    row.total = Decimal(sum(points))
    row.comment = comment.strip()
    row.save()
    audit_record(
        action="case.score",
        actor=actor.user,
        target=case,
        committee_id=call.committee_id,
        before=before,
        after={"points": row.points, "total": str(row.total)},
    )
    return row


def totals(call: CaseCall, cases: list[Case]) -> dict[int, list[Decimal]]:
    """Each case's experts' totals (one query)."""
    found: dict[int, list[Decimal]] = defaultdict(list)
    for case_id, total in CaseScore.objects.filter(
        seat__panel__call=call, case__in=cases
    ).values_list("case_id", "total"):
        found[case_id].append(total)
    return found


@transaction.atomic
def panel_close(*, call: CaseCall, actor: Actor) -> CasePanel:
    """The committee closes the scoring: each case's score is the consolidated mean of its
    experts' totals and the cases are ranked. Refused while a case has no score at all."""
    call = CaseCall.objects.select_for_update().get(pk=call.pk)
    require_admin(actor, call.committee_id)
    panel = CasePanel.objects.filter(call=call).first()
    if call.state != CallState.REVIEWING or panel is None or panel.closed:
        raise ValidationError(_("只有评审阶段、专家评分进行中才能结束评分。"))
    cases = in_review(call)
    given = totals(call, cases)
    scores = {c.pk: rules.consolidate(given.get(c.pk, [])) for c in cases}
    if any(s is None for s in scores.values()):
        raise ValidationError(_("还有案例没有任何专家评分，不能结束评分。"))
    ranks = rules.ranks(scores)
    for case in cases:
        case.score = scores[case.pk]
        case.rank = ranks.get(case.pk)
    Case.objects.bulk_update(cases, ["score", "rank"])
    panel.closed = True
    panel.save(update_fields=["closed"])
    table: dict[str, Any] = {
        str(c.pk): {"totals": [str(t) for t in sorted(given[c.pk])], "score": str(c.score)}
        for c in cases
    }
    audit_record(
        action="case.panel.close",
        actor=actor.user,
        target=panel,
        committee_id=call.committee_id,
        after={"call": call.pk, "results": table},
    )
    return panel


@transaction.atomic
def tie_decide(*, call: CaseCall, chosen: list[int], actor: Actor) -> CaseCall:
    """The committee chooses among the cases tied across the quota line exactly as many as
    there are places left."""
    call = CaseCall.objects.select_for_update().get(pk=call.pk)
    require_admin(actor, call.committee_id)
    if call.state != CallState.REVIEWING:
        raise ValidationError(_("只有评审阶段可以确定同分入选案例。"))
    call.tie_choice = []
    selection = selection_of(call)
    if not selection.tied:
        raise ValidationError(_("名额线上没有同分的案例。"))
    picked = sorted(set(chosen) & set(selection.tied))
    if len(picked) != selection.open_seats:
        raise ValidationError(_("请在同分案例中选定%(n)d个入选。") % {"n": selection.open_seats})
    call.tie_choice = picked
    call.save(update_fields=["tie_choice"])
    audit_record(
        action="case.tie_decide",
        actor=actor.user,
        target=call,
        committee_id=call.committee_id,
        after={"tied": list(selection.tied), "chosen": picked},
    )
    return call
