"""The writes of a programme's expert panel (专家评审组, issue 16): the committee admin draws it
from the committee's reviewers (`panel_draw`, recorded seed, reproducible), each expert scores
each candidate (`panel_score`, changed in place until closed), and the committee closes the
scoring (`panel_close`): the aggregate of `panel_rules` becomes each nomination's review score
through `nominations.nomination_review`, so selection, quota and ties work unchanged.

回避: an expert does not see or score a candidate nominated by one of the expert's own units
(the units the expert holds a role in or is a roster member of, recorded on the seat at the
draw); the expert stays on the panel for the other candidates. Candidates are recused rather
than experts dropped from the pool because a panel may be drawn while nominations still come
in."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.accounts.roles import Role
from mofan.audit.services import audit_record
from mofan.evaluations import expert_draws
from mofan.evaluations.expert_draws import draw_experts
from mofan.honours import panel_rules
from mofan.honours.models import (
    ExpertPanel,
    HonourProgramme,
    Nomination,
    NominationState,
    PanelScore,
    PanelSeat,
    PanelState,
    ProgrammeSource,
    ProgrammeState,
)
from mofan.honours.nominations import nomination_review
from mofan.honours.services import require_admin
from mofan.notifications.services import notify

DRAW_STATES = (ProgrammeState.NOMINATING, ProgrammeState.REVIEWING)
PURPOSE = "reviewers"  # the purpose `draws.pick_reviewers` seeds its generator with


def candidates_of(programme: HonourProgramme) -> list[Nomination]:
    """The nominations the panel scores: those still in the running."""
    return list(
        programme.nominations.filter(state=NominationState.NOMINATED)
        .select_related("unit")
        .order_by("pk")
    )


def recused(seat: PanelSeat, nomination: Nomination) -> bool:
    return nomination.unit_id in seat.home_units


def tallies(panel: ExpertPanel, nominations: list[Nomination]) -> list[panel_rules.Tally]:
    """Each candidate's tally: the scores given and how many experts (not recused) should."""
    seats = list(panel.seats.all())
    given: dict[int, list[Decimal]] = defaultdict(list)
    for nomination_id, score in PanelScore.objects.filter(
        seat__panel=panel, nomination__in=nominations
    ).values_list("nomination_id", "score"):
        given[nomination_id].append(score)
    expected = {n.pk: sum(not recused(s, n) for s in seats) for n in nominations}
    return panel_rules.tally(expected, given)


@transaction.atomic
def panel_draw(
    *, programme: HonourProgramme, size: int, blind: bool, actor: Actor, seed: str | None = None
) -> ExpertPanel:
    """Draw `size` experts at random from the committee's active reviewers (评审组成员) while
    the programme takes nominations or is under review; the pool (with each expert's home
    units), the seed and the result are recorded so the draw can be published and repeated.
    The drawn experts are told."""
    programme = HonourProgramme.objects.select_for_update().get(pk=programme.pk)
    require_admin(actor, programme.committee_id)
    if programme.source == ProgrammeSource.CAMPAIGN_RESULTS:
        raise ValidationError(_("先进单位由创建活动的考评结果确定，不抽取专家评审。"))
    if programme.state not in DRAW_STATES:
        raise ValidationError(_("只有推荐中或评审中的评选可以抽取专家。"))
    if ExpertPanel.objects.filter(programme=programme).exists():
        raise ValidationError(_("本评选已抽取专家评审组。"))
    draw = draw_experts(committee_id=programme.committee_id, size=size, seed=seed)
    pool, homes, drawn, seed = draw.pool, draw.homes, draw.drawn, draw.seed
    panel = ExpertPanel.objects.create(
        programme=programme,
        size=size,
        blind=blind,
        seed=seed,
        pool=draw.pool_record(),
        drawn=drawn,
        drawn_by=actor.user,
    )
    PanelSeat.objects.bulk_create(
        PanelSeat(panel=panel, expert_id=uid, home_units=sorted(homes[uid])) for uid in drawn
    )
    audit_record(
        action="honour.panel.draw",
        actor=actor.user,
        target=panel,
        committee_id=programme.committee_id,
        after={
            "programme": programme.pk,
            "seed": panel.seed,
            "purpose": PURPOSE,
            "pool": sorted(u.pk for u in pool),
            "drawn": drawn,
            "blind": blind,
        },
    )
    notify(
        recipients=draw.experts(),
        kind="honour.panel",
        title=_("您已被抽取为%(name)s评审专家") % {"name": programme.title},
        url=reverse("honours:panel_scoring", args=[panel.pk]),
    )
    return panel


def redraw(panel: ExpertPanel) -> list[int]:
    """The draw repeated from its record (pool and seed): equals `panel.drawn`."""
    return expert_draws.redraw(pool=panel.pool, size=panel.size, seed=panel.seed)


def scoring_open(panel: ExpertPanel) -> bool:
    return panel.state == PanelState.SCORING and panel.programme.state == ProgrammeState.REVIEWING


def _seat_of(actor: Actor, panel: ExpertPanel) -> PanelSeat:
    seat = PanelSeat.objects.filter(panel=panel, expert=actor.user).first()
    committee_id = panel.programme.committee_id
    if seat is None or committee_id not in actor.committees_with(Role.REVIEWER):
        raise PermissionDenied(_("您不是本评选的评审专家。"))
    return seat


@transaction.atomic
def panel_score(
    *, panel: ExpertPanel, nomination: Nomination, score: Decimal, note: str, actor: Actor
) -> PanelScore:
    """An expert's score (0–100) and note on one candidate, while the programme is under review
    and the panel's scoring is open; a second score replaces the first."""
    panel = ExpertPanel.objects.select_for_update().select_related("programme").get(pk=panel.pk)
    seat = _seat_of(actor, panel)
    if not scoring_open(panel):
        raise ValidationError(_("专家评分只在评审阶段、评分结束前进行。"))
    nomination = Nomination.objects.get(pk=nomination.pk)
    if nomination.programme_id != panel.programme_id or (
        nomination.state != NominationState.NOMINATED
    ):
        raise ValidationError(_("该推荐对象不在本次评分之列。"))
    if recused(seat, nomination):
        raise ValidationError(_("该推荐对象由您所在单位推荐，您应回避。"))
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError(_("评分须在0至100之间。"))
    row = PanelScore.objects.filter(seat=seat, nomination=nomination).first()
    before = {"score": str(row.score)} if row else {}
    if row is None:
        row = PanelScore(seat=seat, nomination=nomination)
    row.score = score
    row.note = note.strip()
    row.save()
    audit_record(
        action="honour.panel.score",
        actor=actor.user,
        target=nomination,
        committee_id=panel.programme.committee_id,
        before=before,
        after={"panel": panel.pk, "score": str(score)},
    )
    return row


@transaction.atomic
def panel_close(*, panel: ExpertPanel, actor: Actor, accept_missing: bool = False) -> ExpertPanel:
    """The committee closes the panel's scoring: each candidate's aggregate (`panel_rules`)
    becomes its review score through `nomination_review`. Refused while a candidate has no
    score at all, and while scores are missing unless the committee accepts the missing ones."""
    panel = ExpertPanel.objects.select_for_update().select_related("programme").get(pk=panel.pk)
    programme = panel.programme
    require_admin(actor, programme.committee_id)
    if panel.state != PanelState.SCORING or programme.state != ProgrammeState.REVIEWING:
        raise ValidationError(_("只有评审阶段、专家评分进行中才能结束评分。"))
    nominations = candidates_of(programme)
    results = tallies(panel, nominations)
    if any(t.score is None for t in results):
        raise ValidationError(_("还有推荐对象没有任何专家评分，不能结束评分。"))
    missing = [t.nomination_id for t in results if t.missing]
    if missing and not accept_missing:
        raise ValidationError(
            _("还有%(n)d个推荐对象缺少专家评分；如按已有评分计算，请勾选确认。")
            % {"n": len(missing)}
        )
    panel.state = PanelState.CLOSED
    panel.closed_by = actor.user
    panel.closed_at = timezone.now()
    panel.save(update_fields=["state", "closed_by", "closed_at"])
    by_id = {n.pk: n for n in nominations}
    table: dict[str, Any] = {}
    for t in results:
        assert t.score is not None
        note = _("专家评审组评分：%(n)d名专家评分%(trim)s的平均分。") % {
            "n": len(t.scores),
            "trim": _("，去掉一个最高分和一个最低分后") if t.trimmed else "",
        }
        nomination_review(
            nomination=by_id[t.nomination_id], score=t.score, note=note, actor=actor, by_panel=True
        )
        table[str(t.nomination_id)] = {
            "scores": [str(s) for s in t.scores],
            "score": str(t.score),
            "missing": t.missing,
        }
    audit_record(
        action="honour.panel.close",
        actor=actor.user,
        target=panel,
        committee_id=programme.committee_id,
        after={"programme": programme.pk, "results": table, "accepted_missing": missing},
    )
    return panel
