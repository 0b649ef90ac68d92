"""The evaluation's integrity rules through the services (and, where a person would see them,
through the pages) — issue 4, points 3, 4, 5 and 7:

- the enrollment state machine: every allowed and every disallowed transition, who may make it,
  and an audit entry with the state before and after;
- submitting locks the self-evaluation; a return needs a reason and unlocks it; the phase
  deadline blocks a submission unless the unit was granted an extension;
- optimistic locking: of two tabs that loaded the same version, the second save is refused with
  the newer value in the message, and nothing is overwritten (self scores, review scores);
- reviewers: only the assigned ones, never for their own unit (conflict of interest, also in the
  draw), others' scores hidden until one's own are submitted;
- consolidation: the mean by default; a spread above the campaign's limit needs the leader's
  reasoned decision;
- approval: all units reviewed first, results frozen, reopening needs a reason, veto inputs demote
  and exclude from the honours; publication shows a unit its own result and rank band only.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from mofan.campaigns.models import Campaign, Enrollment
from mofan.campaigns.services import campaign_create
from mofan.core.concurrency import StaleWrite, create_first_save
from mofan.evaluations import approval, review_groups, services
from mofan.evaluations.figures.unit import unit_refresh
from mofan.evaluations.models import (
    Assignment,
    ConsolidatedScore,
    ReviewerSeat,
    ReviewScore,
    SelfScore,
    UnitResult,
    UnitTotals,
    VetoSource,
)
from mofan.organizations.models import Member
from tests.evaluations.campaign_fixtures import (
    LEAVES,
    S,
    World,
    audit_entries,
    changed_tables,
    in_savepoint,
    leaf_value,
    score_all,
    set_state,
    snapshot,
    world,
)
from tests.factories import make_user
from tests.world import logged_in

__all__ = ["world"]

STATES = [s.value for s in S]

# (from, to) → (audit name, the persona who may make it). Written out here, not read from the
# code under test.
ALLOWED = {
    (S.NOT_STARTED, S.IN_PROGRESS): ("start", "owner"),
    (S.RETURNED, S.IN_PROGRESS): ("resume", "owner"),
    (S.IN_PROGRESS, S.SUBMITTED): ("submit", "colleague"),
    (S.SUBMITTED, S.RETURNED): ("return", "committee_admin"),
    (S.SUBMITTED, S.REVIEWED): ("review", "leader"),
    (S.REVIEWED, S.APPROVED): ("approve", "committee_admin"),
    (S.APPROVED, S.REVIEWED): ("reopen", "committee_admin"),
}
# (from, to) → the persona who may also make it on the first one's behalf, with a reason
# (issue 14: the committee submits for a unit whose leader cannot).
ON_BEHALF = {(S.IN_PROGRESS, S.SUBMITTED): "committee_admin"}
ACTORS = (
    "owner",
    "colleague",
    "outsider",
    "assigned",
    "leader",
    "unassigned",
    "committee_admin",
    "committee_leader",
    "other_admin",
)


def _transition(w: World, to: str, persona: str, reason: str = "") -> Enrollment:
    return services.enrollment_transition(
        enrollment=w.ea, to=to, actor=w.actor(persona), reason=reason
    )


# --- the state machine --------------------------------------------------------------------------


@pytest.mark.parametrize("start", STATES)
def test_every_transition_from(world: World, start: str) -> None:
    """From `start` to every state, by every persona: exactly the allowed pairs succeed, and only
    for the persona allowed to make them; each success is one audit entry (who, old → new)."""
    for to in STATES:
        for persona in ACTORS:

            def attempt(to: str = to, persona: str = persona) -> str:
                set_state(world.ea, start)
                version = world.ea.version
                before = AuditEntry.objects.count()
                try:
                    done = _transition(world, to, persona, reason="理由")
                except PermissionDenied:
                    assert world.refresh(world.ea).state == start
                    return "denied"
                except ValidationError:
                    assert world.refresh(world.ea).state == start
                    assert AuditEntry.objects.count() == before
                    return "invalid"
                assert done.state == to and world.refresh(world.ea).state == to
                assert done.version == version + 1
                name = ALLOWED[(start, to)][0]
                [entry] = AuditEntry.objects.filter(id__gt=before, action=f"enrollment.{name}")
                assert entry.actor_id == world.user(persona).pk
                assert entry.object_id == str(world.ea.pk)
                assert entry.data["before"] == {"state": start}
                assert entry.data["after"] == {"state": to}
                on_behalf = ON_BEHALF.get((start, to)) == persona
                assert entry.data["extra"].get("on_behalf", False) is on_behalf
                return "ok"

            outcome = in_savepoint(attempt)
            if (start, to) not in ALLOWED:
                assert outcome == "invalid", (start, to, persona)
            elif persona in (ALLOWED[(start, to)][1], ON_BEHALF.get((start, to))):
                assert outcome == "ok", (start, to, persona)
            else:
                assert outcome == "denied", (start, to, persona)


def test_return_and_reopen_need_a_reason_which_is_audited(world: World) -> None:
    for blank in ("", "   "):
        with pytest.raises(ValidationError, match="理由"):
            _transition(world, S.RETURNED, "committee_admin", reason=blank)
    assert world.refresh(world.ea).state == S.SUBMITTED
    _transition(world, S.RETURNED, "committee_admin", reason="佐证材料不全")
    assert world.refresh(world.ea).returned_reason == "佐证材料不全"
    [entry] = audit_entries("enrollment.return", world.ea)
    assert entry.data["extra"] == {"reason": "佐证材料不全"}
    set_state(world.ea, S.APPROVED)
    with pytest.raises(ValidationError, match="理由"):
        _transition(world, S.REVIEWED, "committee_admin", reason=" ")
    assert world.refresh(world.ea).state == S.APPROVED


def test_return_through_the_page_needs_a_reason(world: World) -> None:
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:return", args=[world.ea.pk])
    response = admin.post(url, {"reason": ""}, follow=True)
    assert "退回须写明理由" in response.content.decode()
    assert world.refresh(world.ea).state == S.SUBMITTED
    admin.post(url, {"reason": "请补充佐证"})
    assert world.refresh(world.ea).state == S.RETURNED
    owner = logged_in(world.user("owner"))
    html = owner.get(reverse("campaigns:enrollment", args=[world.ea.pk])).content.decode()
    assert "请补充佐证" in html


def test_submit_locks_and_return_unlocks(world: World) -> None:
    node = world.node("1.1")
    score = SelfScore.objects.get(enrollment=world.ea, node=node)

    def save(value: int) -> SelfScore:
        return services.self_score_save(
            enrollment=world.ea,
            node=node,
            value=leaf_value("1.1", value),
            narrative="",
            expected_version=SelfScore.objects.get(pk=score.pk).version,
            actor=world.actor("owner"),
        )

    with pytest.raises(ValidationError, match="锁定"):
        save(3)
    assert SelfScore.objects.get(pk=score.pk).score == Decimal("8.00")
    owner = logged_in(world.user("owner"))
    page = reverse("reviews:self", args=[world.ea.pk])
    save_url = reverse("reviews:self_save", args=[world.ea.pk, node.pk])
    assert save_url not in owner.get(page).content.decode()
    owner.post(save_url, {"value": "3", "version": str(score.version)})
    assert SelfScore.objects.get(pk=score.pk).score == Decimal("8.00")

    _transition(world, S.RETURNED, "committee_admin", reason="请修改 1.1")
    assert save_url in owner.get(page).content.decode()
    assert save(3).score == Decimal("3.00")
    assert world.refresh(world.ea).state == S.IN_PROGRESS  # resumed by the save
    _transition(world, S.SUBMITTED, "colleague")
    with pytest.raises(ValidationError, match="锁定"):
        save(4)


def test_submit_refuses_an_incomplete_self_evaluation(world: World) -> None:
    set_state(world.ea, S.IN_PROGRESS)
    SelfScore.objects.filter(enrollment=world.ea, node__code__in=["1.2", "2.1"]).delete()
    with pytest.raises(ValidationError) as caught:
        _transition(world, S.SUBMITTED, "colleague")
    assert "2 项" in " ".join(caught.value.messages)
    assert "1.2" in " ".join(caught.value.messages)
    assert world.refresh(world.ea).state == S.IN_PROGRESS


def test_deadline_blocks_submission_unless_extended(world: World) -> None:
    now = timezone.now()
    Campaign.objects.filter(pk=world.campaign.pk).update(
        submission_deadline=now - datetime.timedelta(hours=1)
    )
    set_state(world.ea, S.IN_PROGRESS)
    set_state(world.eb, S.IN_PROGRESS)
    with pytest.raises(ValidationError, match="截止"):
        _transition(world, S.SUBMITTED, "colleague")
    assert world.refresh(world.ea).state == S.IN_PROGRESS
    colleague = logged_in(world.user("colleague"))
    home = reverse("campaigns:enrollment", args=[world.ea.pk])
    html = colleague.get(home).content.decode()
    assert "已过提交截止时间" in html and 'id="submit-self"' not in html

    with pytest.raises(PermissionDenied):
        services.enrollment_extend(
            enrollment=world.ea, until=now, actor=world.actor("committee_leader")
        )
    # an extension that ends before the campaign's deadline changes nothing
    services.enrollment_extend(
        enrollment=world.ea,
        until=now - datetime.timedelta(days=1),
        actor=world.actor("committee_admin"),
    )
    with pytest.raises(ValidationError, match="截止"):
        _transition(world, S.SUBMITTED, "colleague")
    until = now + datetime.timedelta(days=2)
    services.enrollment_extend(
        enrollment=world.ea, until=until, actor=world.actor("committee_admin"), reason="疫情"
    )
    entries = audit_entries("enrollment.extend", world.ea)
    assert len(entries) == 2
    assert entries[-1].data["before"] == {
        "extended_until": (now - datetime.timedelta(days=1)).isoformat()
    }
    assert entries[-1].data["after"] == {"extended_until": until.isoformat()}
    assert entries[-1].data["extra"] == {"reason": "疫情"}
    assert 'id="submit-self"' in colleague.get(home).content.decode()
    colleague.post(reverse("campaigns:submit", args=[world.ea.pk]))
    assert world.refresh(world.ea).state == S.SUBMITTED
    # the extension is A's alone: B is still past the deadline
    with pytest.raises(ValidationError, match="截止"):
        services.enrollment_transition(
            enrollment=world.eb, to=S.SUBMITTED, actor=world.actor("outsider")
        )


# --- optimistic locking -------------------------------------------------------------------------


def test_two_tabs_saving_a_self_score(world: World) -> None:
    set_state(world.ea, S.IN_PROGRESS)
    node = world.node("1.1")
    loaded = SelfScore.objects.get(enrollment=world.ea, node=node).version  # both tabs

    def save(value: int, version: int | None) -> SelfScore:
        return services.self_score_save(
            enrollment=world.ea,
            node=node,
            value=leaf_value("1.1", value),
            narrative=f"第{value}版",
            expected_version=version,
            actor=world.actor("owner"),
        )

    first = save(9, loaded)
    assert first.version == loaded + 1
    before = snapshot()
    with pytest.raises(StaleWrite) as caught:
        save(5, loaded)
    assert "9.00" in caught.value.messages[0]
    assert caught.value.current.score == Decimal("9.00")
    assert changed_tables(before, snapshot()) == []
    [entry] = audit_entries("self_score.save", first)[-1:]
    assert entry.data["before"]["score"] == "8.00" and entry.data["after"]["score"] == "9.00"
    assert entry.actor_id == world.user("owner").pk

    # two tabs saving a leaf for the first time: the second one is refused too
    SelfScore.objects.filter(enrollment=world.ea, node=world.node("1.2")).delete()
    node = world.node("1.2")
    save(6, None)
    with pytest.raises(StaleWrite, match=r"6\.00"):
        save(7, None)
    assert SelfScore.objects.get(enrollment=world.ea, node=node).score == Decimal("6.00")


def test_a_self_save_appends_its_audit_entry_after_the_figures(world: World) -> None:
    """The audit chain's lock (held to COMMIT on PostgreSQL) is taken by the last write of the
    save, after the unit's stored figures are refreshed, so that every other audited write of
    the system waits for as little as possible (issue 20 point 4)."""
    set_state(world.ea, S.IN_PROGRESS)
    node = world.node("1.1")
    version = SelfScore.objects.get(enrollment=world.ea, node=node).version
    with CaptureQueriesContext(connection) as queries:
        services.self_score_save(
            enrollment=world.ea,
            node=node,
            value=leaf_value("1.1", 7),
            narrative="第7版",
            expected_version=version,
            actor=world.actor("owner"),
        )
    # (an executemany is captured as "N times: INSERT …")
    statements = [re.sub(r"^\d+ times: ", "", q["sql"]) for q in queries.captured_queries]
    writes = [sql for sql in statements if sql.startswith(("INSERT", "UPDATE"))]
    assert any('"evaluations_unittotals"' in sql for sql in writes), writes
    assert '"audit_auditentry"' in writes[-1], writes
    assert UnitTotals.objects.get(enrollment=world.ea).self_nodes  # refreshed in that save


def test_a_first_save_racing_another_is_a_stale_write_not_a_server_error(world: World) -> None:
    """Two tabs both saw the leaf unsaved and both create it: the database's unique constraint
    lets the first win; the second gets StaleWrite and the transaction around it stays usable
    (the race itself is reproduced by creating the row the other tab created)."""
    set_state(world.ea, S.IN_PROGRESS)
    node = world.node("1.2")
    SelfScore.objects.filter(enrollment=world.ea, node=node).delete()
    values = dict(
        enrollment=world.ea, node=node, input={}, narrative="", updated_by=world.user("owner")
    )
    with transaction.atomic():
        won = create_first_save(SelfScore, **values)
        with pytest.raises(StaleWrite):
            create_first_save(SelfScore, **values)
        assert SelfScore.objects.filter(enrollment=world.ea, node=node).get() == won


def test_two_tabs_on_the_self_evaluation_page(world: World) -> None:
    set_state(world.ea, S.IN_PROGRESS)
    node = world.node("1.1")
    owner = logged_in(world.user("owner"))
    html = owner.get(reverse("reviews:self", args=[world.ea.pk])).content.decode()
    action = reverse("reviews:self_save", args=[world.ea.pk, node.pk])
    form = html[html.index(f'action="{action}"') :]
    version = re.search(r'name="version" value="(\d+)"', form).group(1)  # type: ignore[union-attr]
    first = owner.post(action, {"value": "9.5", "version": version}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200 and "9.50" in first.content.decode()
    second = owner.post(action, {"value": "2", "version": version}, HTTP_HX_REQUEST="true")
    text = second.content.decode()
    assert 'role="alert"' in text and "9.50" in text and "未保存" in text
    assert SelfScore.objects.get(enrollment=world.ea, node=node).score == Decimal("9.50")


def test_two_tabs_saving_a_review_score(world: World) -> None:
    node = world.node("1.2")
    assigned = world.actor("assigned")
    loaded = ReviewScore.objects.get(
        assignment=world.assignment_a, reviewer=assigned.user, node=node
    ).version

    def save(value: int) -> ReviewScore:
        return services.review_score_save(
            assignment=world.assignment_a,
            node=node,
            value=leaf_value("1.2", value),
            comment="",
            expected_version=loaded,
            actor=assigned,
        )

    saved = save(7)
    before = snapshot()
    with pytest.raises(StaleWrite) as caught:
        save(2)
    assert "7.00" in caught.value.messages[0]
    assert changed_tables(before, snapshot()) == []
    [entry] = audit_entries("review_score.save", saved)[-1:]
    assert entry.data["before"]["score"] == "8.00" and entry.data["after"]["score"] == "7.00"
    # the leader's scores are separate records: his save never touches the member's
    services.review_score_save(
        assignment=world.assignment_a,
        node=node,
        value=leaf_value("1.2", 1),
        comment="",
        expected_version=None,
        actor=world.actor("leader"),
    )
    assert ReviewScore.objects.get(pk=saved.pk).score == Decimal("7.00")


def test_two_tabs_on_the_scoring_page(world: World) -> None:
    node = world.node("1.2")
    client = logged_in(world.user("assigned"))
    page = reverse("reviews:scoring", args=[world.assignment_a.pk])
    html = client.get(page).content.decode()
    action = reverse("reviews:score_save", args=[world.assignment_a.pk, node.pk])
    form = html[html.index(f'action="{action}"') :]
    version = re.search(r'name="version" value="(\d+)"', form).group(1)  # type: ignore[union-attr]
    client.post(action, {"value": "9", "version": version})
    response = client.post(action, {"value": "1", "version": version}, follow=True)
    text = response.content.decode()
    assert "9.00" in text and "未保存" in text


def test_the_scoring_page_saves_one_row_through_htmx(world: World) -> None:
    """With htmx the reviewer's save answers with the leaf's row alone: the saved score and
    its new version; a stale second tab gets the refusal and what is stored now. Before the
    reviewer submits, the row shows nobody else's score."""
    node = world.node("1.2")
    services.review_score_save(
        assignment=world.assignment_a,
        node=node,
        value=leaf_value("1.2", 3),
        comment="组长",
        expected_version=ReviewScore.objects.filter(
            assignment=world.assignment_a, reviewer=world.user("leader"), node=node
        )
        .values_list("version", flat=True)
        .first(),
        actor=world.actor("leader"),
    )
    client = logged_in(world.user("assigned"))
    html = client.get(reverse("reviews:scoring", args=[world.assignment_a.pk])).content.decode()
    action = reverse("reviews:score_save", args=[world.assignment_a.pk, node.pk])
    form = html[html.index(f'action="{action}"') :]
    version = int(re.search(r'name="version" value="(\d+)"', form).group(1))  # type: ignore[union-attr]

    first = client.post(
        action, {"value": "9", "comment": "现场核实", "version": version}, HTTP_HX_REQUEST="true"
    )
    row = first.content.decode()
    assert first.status_code == 200
    assert row.lstrip().startswith('<article class="leaf ') and "<html" not in row
    assert f'id="leaf-{node.code}"' in row and f'hx-post="{action}"' in row
    assert "我的评分：9" in row and 'value="现场核实"' in row
    assert f'name="version" value="{version + 1}"' in row
    assert 'role="alert"' not in row
    assert world.user("leader").full_name not in row  # independent review
    stored = ReviewScore.objects.get(
        assignment=world.assignment_a, reviewer=world.user("assigned"), node=node
    )
    assert (stored.score, stored.comment) == (Decimal("9.00"), "现场核实")
    assert stored.version == version + 1
    assert audit_entries("review_score.save", stored)[-1].data["after"]["score"] == "9.00"

    second = client.post(action, {"value": "1", "version": version}, HTTP_HX_REQUEST="true")
    row = second.content.decode()
    assert second.status_code == 200
    assert 'role="alert"' in row and "未保存" in row and "9.00" in row
    assert f'name="version" value="{version + 1}"' in row  # what is stored now, to retry from
    assert ReviewScore.objects.get(pk=stored.pk).score == Decimal("9.00")
    score = ReviewScore.objects.get(
        assignment=world.assignment_a, reviewer=world.user("assigned"), node=node
    )
    assert score.score == Decimal("9.00")


# --- reviewers ----------------------------------------------------------------------------------


def test_only_assigned_reviewers_may_review(world: World) -> None:
    outsider = world.actor("unassigned")
    node = world.node("1.1")
    before = snapshot()
    calls = [
        lambda: services.review_score_save(
            assignment=world.assignment_a,
            node=node,
            value=leaf_value("1.1"),
            comment="",
            expected_version=None,
            actor=outsider,
        ),
        lambda: services.review_submit(assignment=world.assignment_a, actor=outsider),
        lambda: services.visit_record(
            assignment=world.assignment_a,
            visited_on=datetime.date(2024, 5, 1),
            place="x",
            people_met="",
            notes="",
            actor=outsider,
        ),
        lambda: services.finding_add(assignment=world.assignment_a, text="x", actor=outsider),
        lambda: services.consolidate(assignment=world.assignment_a, actor=world.actor("assigned")),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert changed_tables(before, snapshot()) == []


def _conflicted_reviewer(world: World, how: str) -> User:
    """A reviewer of the pool who belongs to unit A: by a unit role, or as its party member."""
    user = make_user(Role.REVIEWER, committee=world.committee, full_name="甲单位评审员")
    if how == "role":
        RoleAssignment.objects.create(
            user=user, role=Role.UNIT_ADMIN, committee=world.committee, unit=world.unit_a
        )
    else:
        user.member = Member.objects.create(
            unit=world.unit_a, name="甲党员", gender="1", political_status="01", phone="1"
        )
        user.save(update_fields=["member"])
    return user


@pytest.mark.parametrize("how", ["role", "member"])
def test_a_reviewer_never_reviews_the_unit_they_belong_to(world: World, how: str) -> None:
    user = _conflicted_reviewer(world, how)
    ReviewerSeat.objects.create(group=world.group1, reviewer=user)
    actor = actor_for(user)
    before = snapshot()
    with pytest.raises(PermissionDenied, match="回避"):
        services.review_score_save(
            assignment=world.assignment_a,
            node=world.node("1.1"),
            value=leaf_value("1.1"),
            comment="",
            expected_version=None,
            actor=actor,
        )
    with pytest.raises(PermissionDenied, match="回避"):
        services.review_submit(assignment=world.assignment_a, actor=actor)
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("how", ["role", "member"])
def test_the_draw_never_assigns_a_reviewer_their_own_unit(world: World, how: str) -> None:
    user = _conflicted_reviewer(world, how)
    admin = world.actor("committee_admin")
    campaign = campaign_create(
        committee=world.committee, name="抽签活动", year=2025, version=world.version, actor=admin
    )
    assert user.pk in {u.pk for u in review_groups.reviewer_pool(campaign)}
    conflicted = review_groups.review_group_create(
        campaign=campaign, name="含甲单位评审员", leader=user, reviewers=[], actor=admin
    )
    other = review_groups.review_group_create(
        campaign=campaign, name="其他", leader=world.user("assigned"), reviewers=[], actor=admin
    )
    seen = set()
    for seed in range(12):
        for method in ("random", "balanced"):

            def draw(seed: int = seed, method: str = method) -> int:
                review_groups.assignment_draw(
                    campaign=campaign, method=method, seed=f"coi-{seed}", actor=admin
                )
                return Assignment.objects.get(
                    enrollment__campaign=campaign, enrollment__unit=world.unit_a
                ).group_id

            group = in_savepoint(draw)
            assert group == other.pk, (seed, method)
            seen.add(group)
    # the other units do land in the conflicted group sometimes: the rule is specific to A
    landed = in_savepoint(
        lambda: (
            review_groups.assignment_draw(
                campaign=campaign, method="balanced", seed="x", actor=admin
            ),
            set(
                Assignment.objects.filter(group=conflicted).values_list(
                    "enrollment__unit", flat=True
                )
            ),
        )[1]
    )
    assert landed and world.unit_a.pk not in landed


def test_others_scores_are_hidden_until_own_submission(world: World) -> None:
    assigned = world.actor("assigned")
    page = reverse("reviews:scoring", args=[world.assignment_a.pk])
    client = logged_in(world.user("assigned"))
    assert services.may_see_other_reviewers(world.assignment_a, assigned) is False
    html = client.get(page).content.decode()
    assert "其他评审员：" not in html and "组长王" not in html

    # the leader saw nothing of the member's either, not even on the consolidation page
    leader = logged_in(world.user("leader"))
    html = leader.get(page).content.decode()
    assert "其他评审员：" not in html and "评审员张" not in html
    consolidate = reverse("reviews:consolidate", args=[world.assignment_a.pk])
    response = leader.get(consolidate)
    assert response.status_code == 302 and response["Location"] == page
    assert "8 / 9" not in leader.get(consolidate, follow=True).content.decode()

    services.review_submit(assignment=world.assignment_a, actor=assigned)
    assert services.may_see_other_reviewers(world.assignment_a, assigned) is True
    html = client.get(page).content.decode()
    assert "其他评审员：组长王 9" in html
    # still hidden from the leader, who has not submitted
    assert services.may_see_other_reviewers(world.assignment_a, world.actor("leader")) is False
    assert "评审员张" not in leader.get(page).content.decode()
    score_all(world.assignment_a, world.actor("leader"), {"1.1": 9})
    services.review_submit(assignment=world.assignment_a, actor=world.actor("leader"))
    assert "其他评审员：评审员张 8" in leader.get(page).content.decode()
    assert leader.get(consolidate).status_code == 200


def test_submitted_review_is_locked(world: World) -> None:
    assigned = world.actor("assigned")
    services.review_submit(assignment=world.assignment_a, actor=assigned)
    score = ReviewScore.objects.get(
        assignment=world.assignment_a, reviewer=assigned.user, node=world.node("1.1")
    )
    with pytest.raises(ValidationError, match="已提交"):
        services.review_score_save(
            assignment=world.assignment_a,
            node=world.node("1.1"),
            value=leaf_value("1.1", 1),
            comment="",
            expected_version=score.version,
            actor=assigned,
        )
    assert ReviewScore.objects.get(pk=score.pk).score == Decimal("8.00")
    # and through the page: no form any more, and a POST from an old tab changes nothing
    client = logged_in(world.user("assigned"))
    html = client.get(reverse("reviews:scoring", args=[world.assignment_a.pk])).content.decode()
    action = reverse("reviews:score_save", args=[world.assignment_a.pk, world.node("1.1").pk])
    assert action not in html and 'id="submit-review"' not in html
    response = client.post(action, {"value": "1", "version": str(score.version)}, follow=True)
    assert "您已提交评分" in response.content.decode()
    assert ReviewScore.objects.get(pk=score.pk).score == Decimal("8.00")


def test_review_submit_needs_every_leaf(world: World) -> None:
    with pytest.raises(ValidationError, match="未评分"):
        services.review_submit(assignment=world.assignment_a, actor=world.actor("leader"))


# --- consolidation ------------------------------------------------------------------------------


def _review_a(w: World, leader: dict[str, int], member: dict[str, int] | None = None) -> None:
    score_all(w.assignment_a, w.actor("assigned"), member or {})
    score_all(w.assignment_a, w.actor("leader"), leader)
    for name in ("assigned", "leader"):
        services.review_submit(assignment=w.assignment_a, actor=w.actor(name))


def _consolidated(w: World) -> dict[str, ConsolidatedScore]:
    return {c.node.code: c for c in ConsolidatedScore.objects.filter(enrollment=w.ea)}


def test_consolidation_takes_the_mean(world: World) -> None:
    _review_a(world, {"1.1": 9, "1.2": 9, "2.1": 10}, {"1.1": 8, "1.2": 7, "2.1": 10})
    services.consolidate(assignment=world.assignment_a, actor=world.actor("leader"))
    merged = _consolidated(world)
    assert merged["1.1"].score == Decimal("8.50") and not merged["1.1"].flagged
    assert merged["1.2"].score == Decimal("8.00") and merged["1.2"].spread == Decimal("2.00")
    assert not merged["1.2"].flagged  # a spread equal to the limit is not above it
    assert merged["2.1"].score == Decimal("10.00")
    assert merged["2.2"].veto is False
    assert world.refresh(world.ea).state == S.REVIEWED
    assert audit_entries("review.consolidate", world.assignment_a)
    assert audit_entries("enrollment.review", world.ea)


def test_consolidation_needs_every_reviewer(world: World) -> None:
    services.review_submit(assignment=world.assignment_a, actor=world.actor("assigned"))
    with pytest.raises(ValidationError, match="1 位评审员未提交"):
        services.consolidate(assignment=world.assignment_a, actor=world.actor("leader"))
    assert world.refresh(world.ea).state == S.SUBMITTED


def test_a_wide_spread_needs_the_leaders_reasoned_decision(world: World) -> None:
    _review_a(world, {"1.1": 9, "1.2": 3})  # the member gave 8 everywhere: spread 5 on 1.2
    leader = world.actor("leader")
    node = world.node("1.2")
    before = snapshot()
    for decisions in (None, {node.pk: {"score": "6", "reason": "  "}}):
        with pytest.raises(ValidationError, match=r"1\.2"):
            services.consolidate(assignment=world.assignment_a, actor=leader, decisions=decisions)
        assert changed_tables(before, snapshot()) == []
    for bad in ("11", "-1", "abc", "NaN", "Infinity"):
        with pytest.raises(ValidationError):
            services.consolidate(
                assignment=world.assignment_a,
                actor=leader,
                decisions={node.pk: {"score": bad, "reason": "现场核实"}},
            )
        assert changed_tables(before, snapshot()) == []
    services.consolidate(
        assignment=world.assignment_a,
        actor=leader,
        decisions={node.pk: {"score": "6", "reason": "现场核实台账"}},
    )
    merged = _consolidated(world)
    assert merged["1.2"].flagged and merged["1.2"].score == Decimal("6.00")
    assert merged["1.2"].mean == Decimal("5.50") and merged["1.2"].reason == "现场核实台账"
    assert merged["1.1"].score == Decimal("8.50") and not merged["1.1"].flagged
    [entry] = audit_entries("review.consolidate", world.assignment_a)
    assert entry.data["after"] == {"1.1": "8.50", "1.2": "6.00", "2.1": "8.00", "2.2": "—"}
    assert entry.data["extra"]["flagged"] == ["1.2"]
    assert entry.data["extra"]["decisions"][str(node.pk)]["reason"] == "现场核实台账"


def test_the_spread_limit_is_the_campaigns(world: World) -> None:
    Campaign.objects.filter(pk=world.campaign.pk).update(review_spread=Decimal("0.5"))
    _review_a(world, {"1.1": 9})  # 8 against 9
    with pytest.raises(ValidationError, match=r"1\.1"):
        services.consolidate(assignment=world.assignment_a, actor=world.actor("leader"))


def test_the_consolidation_page_asks_for_the_reason(world: World) -> None:
    _review_a(world, {"1.1": 9, "1.2": 3})
    node = world.node("1.2")
    leader = logged_in(world.user("leader"))
    url = reverse("reviews:consolidate", args=[world.assignment_a.pk])
    html = leader.get(url).content.decode()
    assert f'name="reason_{node.pk}"' in html
    assert f'name="reason_{world.node("1.1").pk}"' not in html
    response = leader.post(url, {f"score_{node.pk}": "6", f"reason_{node.pk}": ""})
    assert "组长裁定" in response.content.decode()
    assert world.refresh(world.ea).state == S.SUBMITTED
    leader.post(url, {f"score_{node.pk}": "abc", f"reason_{node.pk}": "x"})
    assert world.refresh(world.ea).state == S.SUBMITTED
    leader.post(url, {f"score_{node.pk}": "6.5", f"reason_{node.pk}": "复核"})
    assert world.refresh(world.ea).state == S.REVIEWED
    assert _consolidated(world)["1.2"].score == Decimal("6.50")


# --- approval and publication -------------------------------------------------------------------


def _review_all(world: World, a_scores: int = 10) -> None:
    """A (both reviewers give `a_scores`) and B (9.5, 9, 9: 27.5 of 30) reviewed; C dropped."""
    Enrollment.objects.filter(pk=world.ec.pk).delete()
    Campaign.objects.filter(pk=world.campaign.pk).update(honours_quota=Decimal("0.5"))
    scores = dict.fromkeys(("1.1", "1.2", "2.1"), a_scores)
    _review_a(world, scores, scores)
    services.consolidate(assignment=world.assignment_a, actor=world.actor("leader"))
    unassigned = world.actor("unassigned")
    score_all(world.assignment_b, unassigned, {"1.1": "9.5", "1.2": 9, "2.1": 9})  # type: ignore[dict-item]
    services.review_submit(assignment=world.assignment_b, actor=unassigned)
    services.consolidate(assignment=world.assignment_b, actor=unassigned)


def _approve(world: World) -> None:
    approval.campaign_approve(
        campaign=world.refresh(world.campaign), actor=world.actor("committee_admin")
    )


def _result(enrollment: Enrollment) -> UnitResult:
    return UnitResult.objects.get(enrollment=enrollment)


def test_approval_waits_for_every_unit(world: World) -> None:
    with pytest.raises(ValidationError, match="未完成评审") as caught:
        _approve(world)
    assert world.unit_a.name in " ".join(caught.value.messages)
    assert not UnitResult.objects.exists()
    with pytest.raises(PermissionDenied):
        approval.campaign_approve(campaign=world.campaign, actor=world.actor("other_admin"))
    with pytest.raises(PermissionDenied):
        approval.campaign_approve(campaign=world.campaign, actor=world.actor("committee_leader"))


def test_results_are_frozen_and_reopening_needs_a_reason(world: World) -> None:
    _review_all(world)
    with pytest.raises(ValidationError, match="未审定"):
        approval.campaign_publish(campaign=world.campaign, actor=world.actor("committee_admin"))
    _approve(world)
    a, b = _result(world.ea), _result(world.eb)
    assert (a.composite, a.grade, a.rank, a.advanced, a.frozen) == (
        Decimal("30.00"),
        "优秀",
        1,
        True,
        True,
    )
    assert (b.composite, b.grade, b.rank, b.advanced) == (Decimal("27.50"), "优秀", 2, False)
    assert world.refresh(world.ea).state == S.APPROVED
    admin = world.actor("committee_admin")

    # frozen: no veto input, no consolidation, no new approval changes it
    before = snapshot()
    with pytest.raises(ValidationError, match="重新打开"):
        approval.veto_input_record(
            enrollment=world.ea, source=VetoSource.AUDIT, vetoed=True, opinion="x", actor=admin
        )
    with pytest.raises(ValidationError):
        services.consolidate(assignment=world.assignment_a, actor=world.actor("leader"))
    _approve(world)
    assert changed_tables(before, snapshot()) == []

    with pytest.raises(ValidationError, match="理由"):
        approval.result_reopen(enrollment=world.ea, reason=" ", actor=admin)
    with pytest.raises(PermissionDenied):
        approval.result_reopen(enrollment=world.ea, reason="x", actor=world.actor("other_admin"))
    assert _result(world.ea).frozen and world.refresh(world.ea).state == S.APPROVED

    approval.result_reopen(enrollment=world.ea, reason="纪检反馈新情况", actor=admin)
    assert not _result(world.ea).frozen and world.refresh(world.ea).state == S.REVIEWED
    [entry] = audit_entries("enrollment.reopen", world.ea)
    assert entry.data["extra"] == {"reason": "纪检反馈新情况"}
    assert entry.data["before"] == {"state": S.APPROVED}
    assert entry.actor_id == admin.user.pk

    approval.veto_input_record(
        enrollment=world.ea,
        source=VetoSource.DISCIPLINE,
        vetoed=True,
        opinion="存在违纪问题",
        actor=admin,
    )
    _approve(world)
    a = _result(world.ea)
    assert (a.veto, a.grade, a.advanced, a.frozen) == (True, "良好", False, True)
    assert a.composite == Decimal("30.00")
    entries = audit_entries("approval.result", a)
    assert entries[-1].data["before"]["grade"] == "优秀"
    assert entries[-1].data["after"]["grade"] == "良好"
    # B's score and grade stayed frozen; the 先进 place A's veto freed goes to B, since ranks and
    # honours follow the whole field until the results are published.
    b = _result(world.eb)
    assert (b.composite, b.grade, b.rank, b.advanced) == (Decimal("27.50"), "优秀", 2, True)
    assert audit_verify().ok


def test_veto_input_demotes_and_excludes_from_the_honours(world: World) -> None:
    _review_all(world)
    admin = world.actor("committee_admin")
    with pytest.raises(ValidationError, match="意见"):
        approval.veto_input_record(
            enrollment=world.ea, source=VetoSource.INSPECTION, vetoed=True, opinion="", actor=admin
        )
    with pytest.raises(PermissionDenied):
        approval.veto_input_record(
            enrollment=world.ea,
            source=VetoSource.AUDIT,
            vetoed=True,
            opinion="x",
            actor=world.actor("other_admin"),
        )
    approval.veto_input_record(
        enrollment=world.ea, source=VetoSource.AUDIT, vetoed=True, opinion="审计问题", actor=admin
    )
    [entry] = audit_entries("approval.veto_input")
    assert entry.data["after"] == {"source": "audit", "vetoed": True, "opinion": "审计问题"}
    _approve(world)
    a, b = _result(world.ea), _result(world.eb)
    assert (a.veto, a.grade, a.rank, a.advanced) == (True, "良好", 1, False)
    assert (b.veto, b.grade, b.advanced) == (False, "优秀", True)


def test_a_vetoing_reviewer_leaf_also_marks_the_unit(world: World) -> None:
    _review_all(world)
    ConsolidatedScore.objects.filter(enrollment=world.ea, node__code="2.2").update(veto=True)
    unit_refresh(enrollment=world.ea)  # as the score's write would (written directly here)
    _approve(world)
    a = _result(world.ea)
    assert (a.veto, a.grade, a.advanced) == (True, "良好", False)


def test_publication_shows_a_unit_its_own_result_and_band(world: World) -> None:
    _review_all(world)
    _approve(world)
    owner = logged_in(world.user("owner"))
    home = reverse("campaigns:enrollment", args=[world.ea.pk])
    assert 'id="result-grade"' not in owner.get(home).content.decode()  # not yet published
    approval.campaign_publish(campaign=world.campaign, actor=world.actor("committee_admin"))

    html = owner.get(home).content.decode()
    assert 'id="result-grade">优秀<' in html and 'id="result-score">30.00<' in html
    assert "</span>名次区间</article>" in html and "前 50%" in html
    assert "</span>名次</article>" not in html
    assert "政治建设" in html and "20.00" in html  # per-type scores
    assert world.unit_b.name not in html and "27.50" not in html
    assert owner.get(reverse("campaigns:enrollment", args=[world.eb.pk])).status_code == 404

    outsider = logged_in(world.user("outsider"))
    html = outsider.get(reverse("campaigns:enrollment", args=[world.eb.pk])).content.decode()
    assert 'id="result-score">27.50<' in html and "后 25%" in html
    assert world.unit_a.name not in html and "30.00" not in html
    assert outsider.get(home).status_code == 404

    Campaign.objects.filter(pk=world.campaign.pk).update(ranking_published=True)
    html = outsider.get(reverse("campaigns:enrollment", args=[world.eb.pk])).content.decode()
    assert '<span class="figure">2</span>名次</article>' in html
    assert world.unit_a.name not in html


@pytest.mark.parametrize(
    ("rank", "enrolled", "band"),
    [(1, 4, "前 25%"), (2, 4, "前 50%"), (3, 4, "后 50%"), (4, 4, "后 25%"), (None, 4, "")],
)
def test_rank_band(rank: int | None, enrolled: int, band: str) -> None:
    assert approval.rank_band(rank, enrolled) == band


def test_every_write_of_a_full_cycle_is_in_the_verified_chain(world: World) -> None:
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    _review_all(world)
    _approve(world)
    approval.campaign_publish(campaign=world.campaign, actor=world.actor("committee_admin"))
    actions = list(
        AuditEntry.objects.filter(id__gt=start).order_by("id").values_list("action", flat=True)
    )
    # A's member re-saves his 4 leaves, A's leader and B's reviewer save 4 each
    assert actions.count("review_score.save") == 3 * len(LEAVES)
    for action in (
        "review.submit",
        "review.consolidate",
        "enrollment.review",
        "enrollment.approve",
        "approval.result",
    ):
        assert action in actions, action
    assert actions[-1] == "approval.publish"
    [published] = audit_entries("approval.publish", world.campaign)
    assert published.data["before"] == {"results_published": False, "ranking_published": False}
    assert published.data["after"] == {"results_published": True, "ranking_published": False}
    [activated] = audit_entries("campaign.activate", world.campaign)
    assert activated.data["before"] == {"status": "draft"}
    assert activated.data["after"] == {"status": "active"}
    result = audit_verify()
    assert result.ok, result.reason
