"""Who may open and post to every page of the `campaigns` and `reviews` namespaces (issue 4,
point 10): eleven personas against real ids of unit A's objects.

Every URL name of the two namespaces must have a rule in SPECS (a new view without one fails
`test_every_view_has_a_rule`). For each rule and persona, inside a savepoint that is rolled back
afterwards: the rule's `prepare` puts the campaign into the state in which the allowed persona's
request succeeds; then every persona GETs and POSTs with the same payload. Allowed personas get
the page (and their POST changes something); the others get 403/404 (405 for a GET of a
POST-only view, the login page for the anonymous visitor), and nothing at all changes: self
scores, review scores, enrollment states, results, groups, draws...

Then tampered ids in the forms: nodes of another indicator version, B's objects under A's
owner, another group's assignment, another campaign's enrollment, ids that are not numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment
from mofan.evaluations.approval_rounds import approval_prepare
from mofan.evaluations.approval_tasks import approval_sign_request
from mofan.evaluations.models import (
    ApprovalBatch,
    ApprovalRun,
    Assignment,
    Finding,
    LedgerFigures,
    ReviewGroup,
    ReviewScore,
    ReviewSubmission,
    SelfScore,
    UnitResult,
    Visit,
)
from mofan.indicators.models import IndicatorNode
from mofan.organizations.models import Unit
from tests.evaluations.campaign_fixtures import (
    PERSONAS,
    S,
    World,
    changed_tables,
    in_savepoint,
    score_all,
    set_state,
    snapshot,
    world,
)
from tests.evaluations.evidence_fixtures import make_pdf
from tests.factories import UnitFactory
from tests.world import PASSWORD, logged_in

__all__ = ["world"]

Data = Callable[[World, str], dict[str, Any]]

UNIT_A = frozenset({"owner", "colleague"})
REVIEWERS_OF_A = frozenset({"assigned", "leader"})
STAFF = frozenset({"committee_admin", "committee_leader"})
ADMINS = frozenset({"committee_admin"})
LEADERS = frozenset({"committee_leader"})


def _none(world: World) -> None:
    return None


@dataclass(frozen=True)
class Spec:
    """One URL (and, for the approval actions, one action) with who may use it."""

    name: str
    args: Callable[[World], list[int]]
    methods: tuple[str, ...]
    get_ok: frozenset[str] = frozenset()
    post_ok: frozenset[str] = frozenset()
    data: Data | None = None
    prepare: Callable[[World], None] = _none
    variant: str = ""
    # personas whose refused POST re-renders the page (200) without changing anything
    soft: frozenset[str] = frozenset()
    # personas who may open the page but must not see unit A on it, and who must see it there
    no_leak: frozenset[str] = frozenset()
    shows: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name


# --- preparations: the state in which the allowed persona's request succeeds --------------------


def _in_progress(w: World) -> None:
    set_state(w.ea, S.IN_PROGRESS)


def _never_submitted(w: World) -> None:
    Enrollment.objects.filter(pk=w.ea.pk).update(state=S.IN_PROGRESS, submitted_at=None)


def _withdrawn(w: World) -> None:
    Enrollment.objects.filter(pk=w.ea.pk).update(
        state=S.WITHDRAWN, submitted_at=None, withdrawn_reason="机构撤并"
    )


def _draft(w: World) -> None:
    Campaign.objects.filter(pk=w.campaign.pk).update(status=CampaignStatus.DRAFT)


def _leader_scored(w: World) -> None:
    score_all(w.assignment_a, w.actor("leader"), {"1.1": 9})


def _all_submitted(w: World) -> None:
    _leader_scored(w)
    for name in ("assigned", "leader"):
        ReviewSubmission.objects.create(assignment=w.assignment_a, reviewer=w.user(name))


def _ledger_rule(w: World) -> None:
    """Leaf 1.1 computed from the ledger (each member's volunteer service), nothing stored yet:
    a refresh writes the unit's figures."""
    rule = {"key": "v", "kinds": ["volunteer"], "measure": "count", "threshold": 2}
    IndicatorNode.objects.filter(pk=w.node("1.1").pk).update(rules=[{**rule, "subject": "member"}])
    LedgerFigures.objects.all().delete()


def _all_reviewed(w: World) -> None:
    Enrollment.objects.filter(campaign=w.campaign).update(state=S.REVIEWED)


def _prepared(w: World) -> None:
    """Every unit reviewed and put into a round for the leader by the admin."""
    _all_reviewed(w)
    approval_prepare(campaign=w.campaign, actor=w.actor("committee_admin"))


def _signing(w: World) -> None:
    """A round prepared and signed by the leader, its approval waiting for the worker."""
    _prepared(w)
    approval_sign_request(
        batch=ApprovalBatch.objects.get(campaign=w.campaign),
        actor=w.actor("committee_leader"),
        password=PASSWORD,
    )


def _run(w: World) -> list[int]:
    return [ApprovalRun.objects.get(campaign=w.campaign).pk]


def _a_approved(w: World) -> None:
    _all_reviewed(w)
    set_state(w.ea, S.APPROVED)
    UnitResult.objects.create(
        enrollment=w.ea, campaign_id=w.ea.campaign_id, grade="良好", rank=1, frozen=True
    )


def _a_in_cycle(w: World) -> None:
    set_state(w.ea, S.APPROVED)
    UnitResult.objects.create(
        enrollment=w.ea, campaign_id=w.ea.campaign_id, grade="优秀", rank=1, frozen=True
    )


def _all_approved(w: World) -> None:
    Enrollment.objects.filter(campaign=w.campaign).update(state=S.APPROVED)
    for e in Enrollment.objects.filter(campaign=w.campaign):
        UnitResult.objects.create(
            enrollment=e, campaign_id=e.campaign_id, grade="良好", rank=1, frozen=True
        )


# --- payloads -----------------------------------------------------------------------------------


def _self_save_data(w: World, persona: str) -> dict[str, Any]:
    score = SelfScore.objects.get(enrollment=w.ea, node=w.node("1.1"))
    return {"value": "9.5", "narrative": "改", "version": str(score.version)}


def _score_data(w: World, persona: str) -> dict[str, Any]:
    mine = ReviewScore.objects.filter(
        assignment=w.assignment_a, reviewer=w.user(persona), node=w.node("1.2")
    ).first()
    return {"value": "6", "comment": "现场查看", "version": str(mine.version) if mine else ""}


def _campaign_data(w: World, persona: str) -> dict[str, Any]:
    return {
        "name": "新活动",
        "year": 2025,
        "version": w.version.pk,
        "all_units": "on",
        "honours_quota": "0.2",
        "weight_self": "0",
        "weight_review": "1",
        "band_excellent": "0.9",
        "band_good": "0.8",
        "band_pass": "0.6",
    }


def _edit_data(w: World, persona: str) -> dict[str, Any]:
    return {
        "name": "改名后的活动",
        "cadence": "annual",
        "honours_quota": "0.2",
        "weight_self": "0",
        "weight_review": "1",
        "tie_policy": "decide",
    }


def _new_unit(w: World) -> None:
    UnitFactory(committee=w.campaign.committee, name="丁单位", short_name="丁")


def _units_data(w: World, persona: str) -> dict[str, Any]:
    return {"units": [Unit.objects.get(committee=w.campaign.committee, name="丁单位").pk]}


def _plan_data(w: World, persona: str) -> dict[str, Any]:
    return {"plan": SimpleUploadedFile("实施方案.pdf", make_pdf(), "application/pdf")}


def _const(payload: dict[str, Any]) -> Data:
    return lambda w, persona: payload


def _ea(w: World) -> list[int]:
    return [w.ea.pk]


def _campaign(w: World) -> list[int]:
    return [w.campaign.pk]


def _assignment(w: World) -> list[int]:
    return [w.assignment_a.pk]


def _approval(action: str, prepare: Callable[[World], None], **more: Any) -> Spec:
    def data(w: World, persona: str) -> dict[str, Any]:
        return {"action": action, "enrollment": w.ea.pk, **more}

    return Spec(
        "reviews:approval_action",
        _campaign,
        ("POST",),
        post_ok=ADMINS,
        data=data,
        prepare=prepare,
        variant=action,
    )


SPECS: tuple[Spec, ...] = (
    # --- campaigns ---
    Spec(
        "campaigns:list",
        lambda w: [],
        ("GET",),
        get_ok=UNIT_A | STAFF | {"outsider", "other_admin"},
        no_leak=frozenset({"outsider", "other_admin"}),
        shows=UNIT_A,
    ),
    Spec(
        "campaigns:create",
        lambda w: [],
        ("GET", "POST"),
        get_ok=frozenset({"committee_admin", "other_admin"}),
        post_ok=frozenset({"committee_admin", "other_admin"}),
        data=_campaign_data,
    ),
    Spec("campaigns:detail", _campaign, ("GET",), get_ok=STAFF),
    Spec("campaigns:activate", _campaign, ("POST",), post_ok=ADMINS, prepare=_draft),
    Spec(
        "campaigns:edit",
        _campaign,
        ("GET", "POST"),
        get_ok=ADMINS,
        post_ok=ADMINS,
        data=_edit_data,
    ),
    Spec(
        "campaigns:units_add",
        _campaign,
        ("POST",),
        post_ok=ADMINS,
        data=_units_data,
        prepare=_new_unit,
    ),
    Spec(
        "campaigns:extend_many",
        _campaign,
        ("POST",),
        post_ok=ADMINS,
        data=lambda w, p: {"enrollments": [w.ea.pk], "until": "2030-01-01T10:00", "reason": "x"},
        prepare=_in_progress,
    ),
    Spec("campaigns:delete", _campaign, ("POST",), post_ok=ADMINS, prepare=_draft),
    Spec(
        "campaigns:withdraw",
        _ea,
        ("POST",),
        post_ok=ADMINS,
        data=_const({"reason": "机构改革，该单位撤并"}),
        prepare=_never_submitted,
    ),
    Spec("campaigns:readmit", _ea, ("POST",), post_ok=ADMINS, prepare=_withdrawn),
    Spec(
        "campaigns:cycle",
        lambda w: [w.campaign.year],
        ("GET",),
        get_ok=STAFF | {"other_admin"},
        prepare=_a_in_cycle,
        no_leak=frozenset({"other_admin"}),
        shows=STAFF,
    ),
    Spec("campaigns:enrollment", _ea, ("GET",), get_ok=UNIT_A),
    Spec(
        "campaigns:submit",
        _ea,
        ("POST",),
        post_ok=frozenset({"colleague"}),
        prepare=_in_progress,
    ),
    Spec(
        "campaigns:plan",
        _ea,
        ("POST",),
        post_ok=frozenset({"owner"}),
        data=_plan_data,
        prepare=_in_progress,
    ),
    Spec(
        "campaigns:return",
        _ea,
        ("POST",),
        post_ok=ADMINS,
        data=_const({"reason": "佐证不全"}),
    ),
    Spec(
        "campaigns:submit_for",
        _ea,
        ("POST",),
        post_ok=ADMINS,
        data=_const({"reason": "单位领导出差，代为提交"}),
        prepare=_in_progress,
    ),
    Spec(
        "campaigns:extend",
        _ea,
        ("POST",),
        post_ok=ADMINS,
        data=_const({"until": "2030-01-01T10:00", "reason": "疫情"}),
        prepare=_in_progress,
    ),
    Spec(
        "campaigns:leadership_add",
        _ea,
        ("POST",),
        post_ok=frozenset({"owner"}),
        data=_const({"role": "deputy", "name": "王五", "post": "副书记"}),
    ),
    Spec(
        "campaigns:leadership_remove",
        lambda w: [w.member_a.pk],
        ("POST",),
        post_ok=frozenset({"owner"}),
    ),
    Spec(
        "campaigns:task_add",
        _ea,
        ("POST",),
        post_ok=frozenset({"owner"}),
        data=_const({"title": "整改", "person": "赵六", "deadline": "2030-06-30"}),
    ),
    Spec(
        "campaigns:task_status",
        lambda w: [w.task_a.pk],
        ("POST",),
        post_ok=frozenset({"owner"}),
        data=_const({"status": "done"}),
    ),
    # --- reviews: the unit's self-evaluation ---
    Spec("reviews:self", _ea, ("GET",), get_ok=UNIT_A),
    Spec(
        "reviews:self_save",
        lambda w: [w.ea.pk, w.node("1.1").pk],
        ("POST",),
        post_ok=frozenset({"owner"}),
        data=_self_save_data,
        prepare=_in_progress,
    ),
    # --- reviews: the figures computed from the activity ledger (取数) ---
    Spec(
        "reviews:ledger_figure",
        lambda w: [w.ea.pk, w.node("1.1").pk],
        ("GET",),
        get_ok=UNIT_A | REVIEWERS_OF_A | STAFF,
        prepare=_ledger_rule,
    ),
    Spec(
        "reviews:ledger_refresh",
        _ea,
        ("POST",),
        post_ok=UNIT_A | STAFF,
        prepare=_ledger_rule,
    ),
    # --- reviews: reviewers ---
    Spec(
        "reviews:mine",
        lambda w: [],
        ("GET",),
        get_ok=REVIEWERS_OF_A | {"unassigned"},
        no_leak=frozenset({"unassigned"}),
        shows=REVIEWERS_OF_A,
    ),
    Spec("reviews:scoring", _assignment, ("GET",), get_ok=REVIEWERS_OF_A),
    Spec(
        "reviews:score_save",
        lambda w: [w.assignment_a.pk, w.node("1.2").pk],
        ("POST",),
        post_ok=REVIEWERS_OF_A,
        data=_score_data,
    ),
    Spec("reviews:submit", _assignment, ("POST",), post_ok=REVIEWERS_OF_A, prepare=_leader_scored),
    Spec(
        "reviews:visit",
        _assignment,
        ("POST",),
        post_ok=REVIEWERS_OF_A,
        data=_const({"visited_on": "2024-05-06", "place": "甲单位会议室", "people_met": "书记"}),
    ),
    Spec(
        "reviews:finding",
        _assignment,
        ("POST",),
        post_ok=REVIEWERS_OF_A,
        data=lambda w, p: {"text": "台账不全", "node": w.node("1.1").pk, "is_problem": "1"},
    ),
    Spec(
        "reviews:consolidate",
        _assignment,
        ("GET", "POST"),
        get_ok=frozenset({"leader"}),
        post_ok=frozenset({"leader"}),
        prepare=_all_submitted,
    ),
    # --- reviews: the committee ---
    Spec(
        "reviews:groups",
        _campaign,
        ("GET", "POST"),
        get_ok=STAFF,
        post_ok=ADMINS,
        soft=frozenset({"committee_leader"}),
        data=lambda w, p: {
            "name": "第三评审组",
            "leader": w.user("unassigned").pk,
            "reviewers": [w.user("assigned").pk],
        },
    ),
    Spec(
        "reviews:draw",
        _campaign,
        ("POST",),
        post_ok=ADMINS,
        data=_const({"method": "balanced", "seed": "iss4"}),
    ),
    Spec(
        "reviews:draw_reviewers",
        _campaign,
        ("POST",),
        post_ok=ADMINS,
        data=_const({"groups": "1", "per_group": "2", "seed": "iss4"}),
    ),
    Spec("reviews:approval", _campaign, ("GET",), get_ok=STAFF),
    Spec("reviews:trace", _ea, ("GET",), get_ok=STAFF, shows=STAFF),
    _approval("veto", _none, source="discipline", vetoed="on", opinion="违纪问题"),
    _approval("prepare", _all_reviewed),
    _approval("withdraw", _prepared),
    _approval("close", _none, reason="部分单位未能完成评审"),
    Spec(
        "reviews:approval_sign",
        _campaign,
        ("POST",),
        post_ok=LEADERS,
        data=_const({"password": PASSWORD}),
        prepare=_prepared,
    ),
    Spec("reviews:approval_run", _run, ("GET",), get_ok=STAFF, prepare=_signing),
    _approval("reopen", _a_approved, reason="复核发现计分错误"),
    _approval("publish", _all_approved),
)


def _url_names(namespace: str) -> set[str]:
    _prefix, resolver = get_resolver().namespace_dict[namespace]
    return {f"{namespace}:{p.name}" for p in resolver.url_patterns if getattr(p, "name", None)}


def test_every_view_has_a_rule() -> None:
    names = _url_names("campaigns") | _url_names("reviews")
    assert len(names) >= 25
    covered = {spec.name for spec in SPECS}
    assert names - covered == set(), "views without a permission rule"
    assert covered - names == set(), "rules for views that do not exist"


def test_every_persona_is_allowed_somewhere_and_refused_somewhere() -> None:
    """The table is not vacuous: each persona meets both an open and a closed door."""
    for persona in PERSONAS:
        allowed = [s for s in SPECS if persona in s.get_ok | s.post_ok]
        refused = [s for s in SPECS if persona not in s.get_ok | s.post_ok]
        assert refused, persona
        assert allowed or persona in ("auditor", "anonymous"), persona


# --- the matrix ---------------------------------------------------------------------------------


def _leak_markers(w: World) -> list[str]:
    return [
        w.unit_a.name,
        reverse("campaigns:enrollment", args=[w.ea.pk]),
        reverse("campaigns:detail", args=[w.campaign.pk]),
    ]


def _refused(status: int, location: str, persona: str, method: str, spec: Spec) -> bool:
    if persona == "anonymous":
        return status == 405 or (status == 302 and location.startswith("/accounts/login/"))
    if method == "POST" and persona in spec.soft:
        return status == 200
    return status in (403, 404, 405)


def _check(world: World, client: Any, persona: str, spec: Spec) -> list[str]:
    """All requests of one persona against one rule, in the state the rule prepares."""
    problems: list[str] = []
    spec.prepare(world)
    url = reverse(spec.name, args=spec.args(world))
    canonical = sorted(spec.post_ok)[0] if spec.post_ok else persona
    payload = (
        spec.data(world, persona if persona in spec.post_ok else canonical) if spec.data else {}
    )

    before = snapshot()
    response = client.get(url)
    location = response.get("Location", "")
    if "GET" in spec.methods and persona in spec.get_ok:
        if response.status_code != 200:
            problems.append(f"GET {spec.id}: {response.status_code}, expected 200")
        elif persona in spec.no_leak:
            html = response.content.decode()
            problems += [f"GET {spec.id}: shows {m!r}" for m in _leak_markers(world) if m in html]
        elif persona in spec.shows and world.unit_a.name not in response.content.decode():
            problems.append(f"GET {spec.id}: unit A missing")
    elif "GET" not in spec.methods:
        if response.status_code == 200:
            problems.append(f"GET {spec.id} (POST only): 200")
    elif not _refused(response.status_code, location, persona, "GET", spec):
        problems.append(f"GET {spec.id}: {response.status_code} {location}, expected refusal")
    middle = snapshot()
    if changed := changed_tables(before, middle):
        problems.append(f"GET {spec.id} changed {changed}")

    if "POST" in spec.methods:
        before = middle
        response = client.post(url, payload)
        after = snapshot()
        location = response.get("Location", "")
        if persona in spec.post_ok:
            if response.status_code not in (200, 302):
                problems.append(f"POST {spec.id}: {response.status_code}")
            elif not changed_tables(before, after):
                problems.append(f"POST {spec.id}: allowed but changed nothing")
        else:
            if not _refused(response.status_code, location, persona, "POST", spec):
                problems.append(
                    f"POST {spec.id}: {response.status_code} {location}, expected refusal"
                )
            if changed := changed_tables(before, after):
                problems.append(f"POST {spec.id} refused but changed {changed}")
    return problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_persona_against_every_view(
    world: World, persona: str, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client = logged_in(None if persona == "anonymous" else world.user(persona))
    problems: list[str] = []
    for spec in SPECS:
        problems += in_savepoint(lambda spec=spec: _check(world, client, persona, spec))
    assert problems == [], "\n".join(problems)


# --- what the personas see ----------------------------------------------------------------------


def test_unit_pages_show_own_unit_only(world: World) -> None:
    owner = logged_in(world.user("owner"))
    html = owner.get(reverse("campaigns:list")).content.decode()
    assert reverse("campaigns:enrollment", args=[world.ea.pk]) in html
    assert reverse("campaigns:enrollment", args=[world.eb.pk]) not in html
    assert world.unit_b.name not in html
    html = owner.get(reverse("reviews:self", args=[world.ea.pk])).content.decode()
    assert world.unit_b.name not in html


def test_colleague_reads_but_cannot_fill(world: World) -> None:
    colleague = logged_in(world.user("colleague"))
    set_state(world.ea, S.IN_PROGRESS)
    html = colleague.get(reverse("reviews:self", args=[world.ea.pk])).content.decode()
    assert "按要求完成" in html  # the owner's narrative is readable
    assert reverse("reviews:self_save", args=[world.ea.pk, world.node("1.1").pk]) not in html
    html = colleague.get(reverse("campaigns:enrollment", args=[world.ea.pk])).content.decode()
    assert 'id="submit-self"' in html
    assert reverse("campaigns:task_add", args=[world.ea.pk]) not in html
    owner = logged_in(world.user("owner"))
    html = owner.get(reverse("campaigns:enrollment", args=[world.ea.pk])).content.decode()
    assert 'id="submit-self"' not in html
    assert reverse("campaigns:task_add", args=[world.ea.pk]) in html


def test_staff_progress_board_lists_every_unit(world: World) -> None:
    html = logged_in(world.user("committee_leader")).get(
        reverse("campaigns:detail", args=[world.campaign.pk])
    )
    text = html.content.decode()
    for unit in (world.unit_a, world.unit_b, world.unit_c):
        assert f'data-unit="{unit.name}"' in text
    # the leader reads the board but gets no return / extend forms
    assert reverse("campaigns:return", args=[world.ea.pk]) not in text
    assert reverse("campaigns:submit_for", args=[world.ea.pk]) not in text


# --- tampered ids -------------------------------------------------------------------------------


def _post_refused(client: Any, url: str, data: dict[str, Any]) -> int:
    before = snapshot()
    response = client.post(url, data)
    assert changed_tables(before, snapshot()) == [], url
    return int(response.status_code)


def test_node_of_another_version_is_refused(world: World) -> None:
    foreign = world.node("1.1", world.other_version)
    set_state(world.ea, S.IN_PROGRESS)
    owner = logged_in(world.user("owner"))
    url = reverse("reviews:self_save", args=[world.ea.pk, foreign.pk])
    assert _post_refused(owner, url, {"value": "5", "narrative": ""}) == 404
    set_state(world.ea, S.SUBMITTED)
    reviewer = logged_in(world.user("assigned"))
    url = reverse("reviews:score_save", args=[world.assignment_a.pk, foreign.pk])
    assert _post_refused(reviewer, url, {"value": "5"}) == 404
    url = reverse("reviews:finding", args=[world.assignment_a.pk])
    assert _post_refused(reviewer, url, {"text": "x", "node": foreign.pk}) == 404


def test_ids_that_are_not_numbers_are_a_404(world: World) -> None:
    reviewer = logged_in(world.user("assigned"))
    url = reverse("reviews:finding", args=[world.assignment_a.pk])
    assert _post_refused(reviewer, url, {"text": "x", "node": "1.1"}) == 404
    admin = logged_in(world.user("committee_admin"))
    url = reverse("reviews:approval_action", args=[world.campaign.pk])
    for bad in ("abc", "", "1 OR 1=1", "-1", "²", "9" * 30):
        data = {"action": "veto", "enrollment": bad, "source": "audit", "opinion": "x"}
        assert _post_refused(admin, url, data) == 404, bad


def test_owner_cannot_reach_unit_b_by_changing_ids(world: World) -> None:
    owner = logged_in(world.user("owner"))
    set_state(world.eb, S.IN_PROGRESS)
    node = world.node("1.1")
    attempts = [
        (reverse("reviews:self_save", args=[world.eb.pk, node.pk]), {"value": "1"}),
        (reverse("campaigns:leadership_add", args=[world.eb.pk]), {"role": "member", "name": "x"}),
        (reverse("campaigns:leadership_remove", args=[world.member_b.pk]), {}),
        (
            reverse("campaigns:task_add", args=[world.eb.pk]),
            {"title": "x", "person": "x", "deadline": "2030-01-01"},
        ),
        (reverse("campaigns:task_status", args=[world.task_b.pk]), {"status": "done"}),
    ]
    for url, data in attempts:
        assert _post_refused(owner, url, data) == 404, url
    for url in (
        reverse("campaigns:enrollment", args=[world.eb.pk]),
        reverse("reviews:self", args=[world.eb.pk]),
    ):
        assert owner.get(url).status_code == 404, url
    colleague = logged_in(world.user("colleague"))
    url = reverse("campaigns:submit", args=[world.eb.pk])
    assert _post_refused(colleague, url, {}) == 404


def test_reviewer_cannot_reach_another_groups_assignment(world: World) -> None:
    assigned = logged_in(world.user("assigned"))
    node = world.node("1.1")
    b = world.assignment_b.pk
    attempts = [
        (reverse("reviews:score_save", args=[b, node.pk]), {"value": "1"}),
        (reverse("reviews:submit", args=[b]), {}),
        (reverse("reviews:visit", args=[b]), {"visited_on": "2024-05-06", "place": "x"}),
        (reverse("reviews:finding", args=[b]), {"text": "x"}),
        (reverse("reviews:consolidate", args=[b]), {}),
    ]
    for url, data in attempts:
        assert _post_refused(assigned, url, data) == 404, url
    assert assigned.get(reverse("reviews:scoring", args=[b])).status_code == 404
    leader = logged_in(world.user("leader"))
    assert leader.get(reverse("reviews:consolidate", args=[b])).status_code == 404
    assert _post_refused(leader, reverse("reviews:consolidate", args=[b]), {}) == 404


def test_committee_admin_cannot_act_on_another_campaigns_enrollment(world: World) -> None:
    admin = logged_in(world.user("committee_admin"))
    url = reverse("reviews:approval_action", args=[world.campaign.pk])
    for action in ("veto", "reopen"):
        data = {
            "action": action,
            "enrollment": world.ex.pk,
            "source": "audit",
            "vetoed": "on",
            "opinion": "x",
            "reason": "x",
        }
        assert _post_refused(admin, url, data) == 404, action
    for name in ("campaigns:return", "campaigns:extend"):
        url = reverse(name, args=[world.ex.pk])
        assert _post_refused(admin, url, {"reason": "x", "until": "2030-01-01T10:00"}) == 404


def test_group_members_must_come_from_the_pool(world: World) -> None:
    admin = logged_in(world.user("committee_admin"))
    url = reverse("reviews:groups", args=[world.campaign.pk])
    outside = [world.user("owner").pk, world.user("other_admin").pk]
    for intruder in outside:
        for data in (
            {"name": "x", "leader": intruder},
            {"name": "x", "leader": world.user("assigned").pk, "reviewers": [intruder]},
        ):
            assert _post_refused(admin, url, data) == 200
    assert not ReviewGroup.objects.filter(name="x").exists()


def test_campaign_cannot_enrol_another_committees_unit(world: World) -> None:
    other = logged_in(world.user("other_admin"))
    data = {
        **_campaign_data(world, "other_admin"),
        "all_units": "",
        "units": [world.unit_a.pk],
    }
    assert _post_refused(other, reverse("campaigns:create"), data) == 200
    assert Enrollment.objects.filter(unit=world.unit_a).count() == 1


def test_refused_posts_leave_no_trace_in_review_tables(world: World) -> None:
    """Spot check that the snapshot notices what the matrix relies on it to notice."""
    before = snapshot()
    Visit.objects.create(
        assignment=world.assignment_a,
        visited_on="2024-01-01",
        place="x",
        recorded_by=world.user("assigned"),
    )
    Finding.objects.create(assignment=world.assignment_a, text="x", created_by=world.user("leader"))
    assert set(changed_tables(before, snapshot())) == {
        "evaluations.Visit",
        "evaluations.Finding",
    }
    Assignment.objects.filter(pk=world.assignment_a.pk).update(group=world.group2)
    assert "evaluations.Assignment" in changed_tables(before, snapshot())
