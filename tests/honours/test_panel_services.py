"""The expert panel's writes: a draw reproducible from its record, who is drawn and told, the
回避 of an expert's own unit's candidates, scores stored per expert and changed until closed,
and the close that makes the aggregate each nomination's review score (so selection, 公示 and
naming run unchanged), each refused when it should be and audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.evaluations import draws
from mofan.honours import nominations as writes
from mofan.honours import panel, panel_selectors, services
from mofan.honours.models import (
    ExpertPanel,
    HonourProgramme,
    PanelScore,
    PanelState,
    ProgrammeSource,
    ProgrammeState,
)
from mofan.notifications.models import Notice
from tests.factories import make_user
from tests.honours.panel_world import build_panel_world, draw_all, to_review
from tests.honours.world import TODAY, programme

pytestmark = pytest.mark.django_db


def score(pw, user, nomination, value, note=""):
    expert_panel = ExpertPanel.objects.get(programme=pw.programme)
    return panel.panel_score(
        panel=expert_panel,
        nomination=nomination,
        score=Decimal(value),
        note=note,
        actor=pw.actor(user),
    )


def test_the_draw_is_recorded_and_repeats_from_its_seed_and_pool():
    pw = build_panel_world(reviewers=5)
    admin = pw.w.actor("committee_admin")
    made = panel.panel_draw(
        programme=pw.programme, size=3, blind=True, seed="2026七一", actor=admin
    )
    pool_ids = sorted(u.pk for u in pw.pool)
    assert sorted(int(k) for k in made.pool) == pool_ids
    assert len(made.drawn) == 3 and set(made.drawn) <= set(pool_ids)
    assert sorted(made.seats.values_list("expert_id", flat=True)) == made.drawn
    # anyone holding the seed and the pool repeats it with the evaluations' draw
    again = draws.pick_reviewers(
        reviewers=[draws.Candidate(id=i, home_unit_id=None) for i in reversed(pool_ids)],
        groups=1,
        per_group=3,
        seed="2026七一",
    )
    assert sorted(again[0]) == made.drawn == panel.redraw(made)
    # the conflicted expert's home unit is recorded with the pool and the seat
    assert made.pool[str(pw.conflicted.pk)] == [pw.w.unit_a.pk]
    entry = AuditEntry.objects.get(action="honour.panel.draw")
    assert entry.data["after"]["seed"] == "2026七一" and entry.data["after"]["drawn"] == made.drawn
    told = set(Notice.objects.filter(kind="honour.panel").values_list("recipient_id", flat=True))
    assert told == set(made.drawn)


def test_a_draw_is_refused_outside_its_states_beyond_the_pool_and_for_others():
    pw = build_panel_world(reviewers=1)
    admin = pw.w.actor("committee_admin")
    draft = programme(pw.w, name="草稿")
    with pytest.raises(ValidationError, match="推荐中或评审中"):
        panel.panel_draw(programme=draft, size=1, blind=True, actor=admin)
    with pytest.raises(ValidationError, match="评审专家不足：需要抽取4名，本工委评审专家库只有3名"):
        panel.panel_draw(programme=pw.programme, size=4, blind=True, actor=admin)
    with pytest.raises(ValidationError, match="至少抽取1名"):
        panel.panel_draw(programme=pw.programme, size=0, blind=True, actor=admin)
    with pytest.raises(ValidationError, match="64"):
        panel.panel_draw(programme=pw.programme, size=1, blind=True, seed="x" * 65, actor=admin)
    for name in ("other_admin", "committee_leader", "reviewer", "unit_admin"):
        with pytest.raises(PermissionDenied):
            panel.panel_draw(programme=pw.programme, size=1, blind=True, actor=pw.w.actor(name))
    results = programme(pw.w, name="先进单位", kind="unit")
    HonourProgramme.objects.filter(pk=results.pk).update(
        source=ProgrammeSource.CAMPAIGN_RESULTS, state=ProgrammeState.REVIEWING
    )
    results.refresh_from_db()
    with pytest.raises(ValidationError, match="考评结果确定"):
        panel.panel_draw(programme=results, size=1, blind=True, actor=admin)
    assert panel_selectors.panel_section(admin, results) is None  # no panel block offered
    panel.panel_draw(programme=pw.programme, size=2, blind=False, actor=admin)
    with pytest.raises(ValidationError, match="已抽取"):
        panel.panel_draw(programme=pw.programme, size=1, blind=True, actor=admin)
    assert ExpertPanel.objects.count() == 1
    assert not Notice.objects.filter(recipient=pw.w.users["other_admin"], kind="honour.panel")


def test_an_inactive_reviewer_or_another_committees_is_not_in_the_pool():
    pw = build_panel_world(reviewers=0)
    pw.conflicted.is_active = False
    pw.conflicted.save()
    outside = make_user("reviewer", committee=pw.w.other_committee)
    made = panel.panel_draw(
        programme=pw.programme, size=1, blind=True, actor=pw.w.actor("committee_admin")
    )
    assert set(made.pool) == {str(pw.w.users["reviewer"].pk)}
    assert str(outside.pk) not in made.pool


def test_an_expert_recuses_from_their_own_units_candidates():
    pw = build_panel_world(reviewers=2)
    expert_panel = draw_all(pw)
    to_review(pw)
    seat = expert_panel.seats.get(expert=pw.conflicted)
    shown = [c.nomination_id for c in panel_selectors.scoring_cards(seat)]
    assert shown == [pw.nom_b.pk]
    with pytest.raises(ValidationError, match="回避"):
        score(pw, pw.conflicted, pw.nom_a, 90)
    score(pw, pw.conflicted, pw.nom_b, 90)
    tallies = {t.nomination_id: t for t in panel.tallies(expert_panel, [pw.nom_a, pw.nom_b])}
    assert tallies[pw.nom_a.pk].expected == len(pw.pool) - 1
    assert tallies[pw.nom_b.pk].expected == len(pw.pool)


def test_scores_are_per_expert_changed_in_place_and_only_by_the_seated_during_review():
    pw = build_panel_world(reviewers=1)
    panel.panel_draw(
        programme=pw.programme, size=1, blind=True, seed="x", actor=pw.w.actor("committee_admin")
    )
    seated = ExpertPanel.objects.get().seats.get().expert
    with pytest.raises(ValidationError, match="评审阶段"):
        score(pw, seated, pw.nom_b, 80)  # still taking nominations
    to_review(pw)
    unseated = next(u for u in pw.pool if u != seated)
    with pytest.raises(PermissionDenied):
        score(pw, unseated, pw.nom_b, 80)
    with pytest.raises(PermissionDenied):
        score(pw, pw.w.users["committee_admin"], pw.nom_b, 80)
    with pytest.raises(ValidationError, match="0至100"):
        score(pw, seated, pw.nom_b, 101)
    score(pw, seated, pw.nom_b, 80, "好")
    score(pw, seated, pw.nom_b, 85.5, "更好")
    row = PanelScore.objects.get()
    assert (row.score, row.note) == (Decimal("85.5"), "更好")
    assert AuditEntry.objects.filter(action="honour.panel.score").count() == 2
    other = programme(pw.w, name="另一评选")
    stray = writes.Nomination.objects.create(
        programme=other,
        unit=pw.w.unit_b,
        candidate_name="x",
        statement="x",
        nominated_by=pw.b_admin,
    )
    with pytest.raises(ValidationError, match="不在本次评分"):
        score(pw, seated, stray, 80)


def test_closing_makes_the_aggregate_the_review_score_and_the_selection_follows():
    pw = build_panel_world(reviewers=4)  # six experts: trimmed mean
    expert_panel = draw_all(pw)
    to_review(pw)
    admin = pw.w.actor("committee_admin")
    with pytest.raises(ValidationError, match="专家评审组"):
        writes.nomination_review(nomination=pw.nom_b, score=Decimal(99), note="", actor=admin)
    b_scores = [60, 70, 80, 90, 100, 75]
    for user, value in zip(pw.pool, b_scores, strict=True):
        score(pw, user, pw.nom_b, value)
    with pytest.raises(ValidationError, match="没有任何专家评分"):
        panel.panel_close(panel=expert_panel, actor=admin)
    a_scores = [88, 90, 92]  # three of the five who may score A
    a_experts = [u for u in pw.pool if u != pw.conflicted][:3]
    for user, value in zip(a_experts, a_scores, strict=True):
        score(pw, user, pw.nom_a, value)
    with pytest.raises(ValidationError, match="缺少专家评分"):
        panel.panel_close(panel=expert_panel, actor=admin)
    with pytest.raises(ValidationError, match="尚未结束评分"):
        services.programme_transition(programme=pw.programme, action="publish", actor=admin)
    with pytest.raises(PermissionDenied):
        panel.panel_close(panel=expert_panel, actor=pw.w.actor("other_admin"), accept_missing=True)
    panel.panel_close(panel=expert_panel, actor=admin, accept_missing=True)
    pw.nom_a.refresh_from_db()
    pw.nom_b.refresh_from_db()
    assert pw.nom_a.score == Decimal("90.00")
    assert pw.nom_b.score == Decimal("78.75")  # (70+75+80+90)/4, 60 and 100 dropped
    assert "去掉一个最高分和一个最低分" in pw.nom_b.review_note
    expert_panel.refresh_from_db()
    assert expert_panel.state == PanelState.CLOSED
    assert AuditEntry.objects.filter(action="honour.review").count() == 2
    closing = AuditEntry.objects.get(action="honour.panel.close")
    assert closing.data["after"]["results"][str(pw.nom_a.pk)]["missing"] == 2
    with pytest.raises(ValidationError, match="评审阶段"):
        score(pw, pw.pool[0], pw.nom_b, 10)
    with pytest.raises(ValidationError):
        panel.panel_close(panel=expert_panel, actor=admin, accept_missing=True)
    # the existing path: quota 1, A named on the panel's score
    services.programme_transition(programme=pw.programme, action="publish", actor=admin)
    pw.nom_a.refresh_from_db()
    assert pw.nom_a.state == "selected"


def test_without_a_panel_the_committee_scores_as_before():
    pw = build_panel_world(reviewers=0)
    to_review(pw)
    admin = pw.w.actor("committee_admin")
    writes.nomination_review(nomination=pw.nom_a, score=Decimal(70), note="", actor=admin)
    pw.nom_a.refresh_from_db()
    assert pw.nom_a.score == Decimal(70)


def test_the_work_queue_counts_what_each_expert_has_left_to_score():
    pw = build_panel_world(reviewers=0)  # the reviewer and the conflicted one (unit A)
    expert_panel = draw_all(pw)
    reviewer = pw.w.users["reviewer"]
    outsider = make_user("reviewer", committee=pw.w.committee)

    def left(user):
        return [
            (i.count, i.url) for i in panel_selectors.expert_work(actor=pw.actor(user), today=TODAY)
        ]

    assert left(reviewer) == []  # still taking nominations
    to_review(pw)
    url = f"/honours/panels/{expert_panel.pk}/"
    assert left(reviewer) == [(2, url)]
    assert left(pw.conflicted) == [(1, url)]  # unit A's candidate is not theirs to score
    assert left(outsider) == []
    score(pw, reviewer, pw.nom_a, 80)
    score(pw, reviewer, pw.nom_a, 81)  # a change is no second score
    assert left(reviewer) == [(1, url)]
    score(pw, reviewer, pw.nom_b, 80)
    assert left(reviewer) == []
