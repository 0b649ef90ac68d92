"""Issue 14 point 3: a self-evaluation whose submission cannot dead-end.

- whoever opens the self-evaluation page sees what still blocks submission (unfilled items,
  deadline, state) and who may submit (the unit's leaders by name; the committee on its behalf),
  and only a person who may submit gets the button;
- the committee admin submits a unit's self-evaluation on its behalf with a written reason,
  through the one state-transition function: audited with the reason and an on-behalf marker,
  the unit's people told;
- personas: owner (unit A's 联络员), colleague (unit A's 单位领导), outsider (unit B's 联络员 and
  领导), other_admin (another committee's admin). The data that could leak exists first (unit B
  and the other committee's unit are in progress too); the refusals are proved on it.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from mofan.campaigns.models import Campaign, Enrollment
from mofan.evaluations import services
from mofan.evaluations.models import SelfScore
from mofan.indicators.models import IndicatorNode
from mofan.notifications.models import Notice
from tests.evaluations.campaign_fixtures import (
    SCORED,
    S,
    World,
    audit_entries,
    leaf_post,
    set_state,
    world,
)
from tests.world import logged_in

__all__ = ["world"]

REASON = "单位领导出差，经电话确认代为提交"


@pytest.fixture
def open_world(world: World) -> World:
    """A, B and the other committee's unit all filled in and not yet submitted."""
    for enrollment in (world.ea, world.eb, world.ex):
        set_state(enrollment, S.IN_PROGRESS)
    return world


def _self_page(w: World, persona: str) -> str:
    response = logged_in(w.user(persona)).get(reverse("reviews:self", args=[w.ea.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _submit_url(w: World) -> str:
    return reverse("campaigns:submit", args=[w.ea.pk])


# --- what the self-evaluation page says ------------------------------------------------------


def test_the_liaison_sees_who_submits_and_no_button(open_world: World) -> None:
    w = open_world
    page = _self_page(w, "owner")
    assert 'id="submission-status"' in page
    assert "甲书记" in page  # unit A's leader, by name
    assert "工委可代为提交" in page
    assert "乙联络员" not in page  # unit B's leader is not named on A's page
    assert _submit_url(w) not in page


@pytest.mark.parametrize("persona", ["outsider", "other_admin"])
def test_outsiders_never_see_the_block(open_world: World, persona: str) -> None:
    """Unit B's people and the other committee's admin: A's pages answer 404 (B's, where the
    outsider is the leader, show B's block with the button: the positive control)."""
    w = open_world
    client = logged_in(w.user(persona))
    for name in ("reviews:self", "campaigns:enrollment"):
        assert client.get(reverse(name, args=[w.ea.pk])).status_code == 404, name
    if persona == "outsider":
        page = client.get(reverse("reviews:self", args=[w.eb.pk])).content.decode()
        assert reverse("campaigns:submit", args=[w.eb.pk]) in page
        assert "甲书记" not in page


def test_the_leader_gets_the_button(open_world: World) -> None:
    w = open_world
    page = _self_page(w, "colleague")
    assert 'id="submission-status"' in page
    assert _submit_url(w) in page


def test_the_page_says_what_blocks(open_world: World) -> None:
    w = open_world
    SelfScore.objects.filter(enrollment=w.ea, node=w.node("1.1")).delete()
    for persona in ("owner", "colleague"):
        page = _self_page(w, persona)
        assert "还有 1 项指标未自评" in page
        assert f'{reverse("reviews:self", args=[w.ea.pk])}#leaf-1.1"' in page  # a link to it
        assert _submit_url(w) not in page
    SelfScore.objects.filter(enrollment=w.ea).delete()
    set_state(w.ea, S.NOT_STARTED)
    page = _self_page(w, "colleague")
    assert "尚未开始填报" in page and _submit_url(w) not in page


def test_saving_the_last_item_refreshes_the_block(open_world: World) -> None:
    w = open_world
    SelfScore.objects.filter(enrollment=w.ea, node=w.node("1.1")).delete()
    url = reverse("reviews:self_save", args=[w.ea.pk, w.node("1.1").pk])
    owner = logged_in(w.user("owner"))
    html = owner.post(url, leaf_post("1.1", 8), HTTP_HX_REQUEST="true").content.decode()
    block = html[html.index('id="submission-status"') :]
    assert 'hx-swap-oob="true"' in html
    assert "未自评" not in block and "自评已填写完整" in block
    assert "请提醒单位领导（甲书记）" in block
    total = len(SCORED)
    # the progress follows, inside the contents panel swapped out of band (issue 14.6)
    panel = html[html.index('id="work-panel-body"') :]
    assert panel.startswith('id="work-panel-body" class="work-panel-body" hx-swap-oob="true"')
    assert 'id="self-progress-line"' in panel
    assert f'<progress value="{total}" max="{total}" id="self-progress">' in html


def test_the_page_names_the_leaves_still_missing_evidence(open_world: World) -> None:
    w = open_world
    IndicatorNode.objects.filter(pk=w.node("1.2").pk).update(evidence_required=True)
    page = _self_page(w, "colleague")
    assert "以下指标须附佐证材料" in page
    assert f'{reverse("reviews:self", args=[w.ea.pk])}#leaf-1.2"' in page
    assert _submit_url(w) not in page


def test_the_page_says_the_deadline_passed(open_world: World) -> None:
    w = open_world
    Campaign.objects.filter(pk=w.campaign.pk).update(
        submission_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    for persona in ("owner", "colleague"):
        page = _self_page(w, persona)
        assert "已过提交截止时间" in page
        assert _submit_url(w) not in page


def test_a_unit_without_a_leader_account_is_told_to_ask_the_committee(open_world: World) -> None:
    w = open_world
    w.user("colleague").role_assignments.all().delete()
    page = _self_page(w, "owner")
    assert "本单位尚无单位领导账号" in page
    assert "工委可代为提交" in page


def test_a_submitted_self_evaluation_says_who_submitted(open_world: World) -> None:
    w = open_world
    services.enrollment_transition(enrollment=w.ea, to=S.SUBMITTED, actor=w.actor("colleague"))
    page = _self_page(w, "owner")
    assert "甲书记" in page and "已提交" in page and "代为提交，" not in page
    assert _submit_url(w) not in page


# --- the committee submits on the unit's behalf ----------------------------------------------


def test_the_committee_submits_on_behalf_with_a_reason(open_world: World) -> None:
    w = open_world
    admin = w.actor("committee_admin")
    for blank in ("", "  "):
        with pytest.raises(ValidationError, match="理由"):
            services.enrollment_transition(
                enrollment=w.ea, to=S.SUBMITTED, actor=admin, reason=blank
            )
    assert w.refresh(w.ea).state == S.IN_PROGRESS
    done = services.enrollment_transition(
        enrollment=w.ea, to=S.SUBMITTED, actor=admin, reason=REASON
    )
    assert done.state == S.SUBMITTED and done.submitted_by_id == w.user("committee_admin").pk
    [entry] = audit_entries("enrollment.submit", w.ea)
    assert entry.actor_id == w.user("committee_admin").pk
    assert entry.data["extra"] == {"reason": REASON, "on_behalf": True}
    told = set(
        Notice.objects.filter(kind="enrollment.submit_on_behalf").values_list("recipient_id", "url")
    )
    url = reverse("campaigns:enrollment", args=[w.ea.pk])
    assert told == {(w.user("owner").pk, url), (w.user("colleague").pk, url)}
    # the owner's one notice of the submission (the campaign's launch notice came before)
    notice = (
        Notice.objects.filter(recipient=w.user("owner")).exclude(kind="campaign.launched").get()
    )
    assert REASON in notice.body and "2024年度模范机关创建" in notice.title
    page = _self_page(w, "owner")
    assert "由工委（" in page and f"代为提交理由：{REASON}" in page  # on the page, not only told
    assert notice.kind_label == "自评提交"


def test_the_leaders_own_submission_needs_no_reason_and_is_not_on_behalf(open_world: World):
    w = open_world
    services.enrollment_transition(enrollment=w.ea, to=S.SUBMITTED, actor=w.actor("colleague"))
    [entry] = audit_entries("enrollment.submit", w.ea)
    assert "extra" not in entry.data or not entry.data["extra"]
    assert not Notice.objects.filter(kind="enrollment.submit_on_behalf").exists()


def test_on_behalf_keeps_every_other_check(open_world: World) -> None:
    w = open_world
    admin = w.actor("committee_admin")
    SelfScore.objects.filter(enrollment=w.ea, node=w.node("1.1")).delete()
    with pytest.raises(ValidationError, match="未自评"):
        services.enrollment_transition(enrollment=w.ea, to=S.SUBMITTED, actor=admin, reason=REASON)
    Campaign.objects.filter(pk=w.campaign.pk).update(
        submission_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    with pytest.raises(ValidationError, match="截止"):
        services.enrollment_transition(enrollment=w.eb, to=S.SUBMITTED, actor=admin, reason=REASON)
    assert {w.refresh(e).state for e in (w.ea, w.eb)} == {S.IN_PROGRESS}


@pytest.mark.parametrize("persona", ["owner", "outsider", "other_admin", "committee_leader"])
def test_nobody_else_submits_on_behalf(open_world: World, persona: str) -> None:
    w = open_world
    before = Notice.objects.count()  # the campaign's launch notices
    with pytest.raises(PermissionDenied):
        services.enrollment_transition(
            enrollment=w.ea, to=S.SUBMITTED, actor=w.actor(persona), reason=REASON
        )
    assert w.refresh(w.ea).state == S.IN_PROGRESS
    assert Notice.objects.count() == before


def test_the_other_committees_unit_is_out_of_reach(open_world: World) -> None:
    w = open_world
    with pytest.raises(PermissionDenied):
        services.enrollment_transition(
            enrollment=w.ex, to=S.SUBMITTED, actor=w.actor("committee_admin"), reason=REASON
        )
    assert w.refresh(w.ex).state == S.IN_PROGRESS


# --- the committee's page -------------------------------------------------------------------


def _submit_for_url(enrollment: Enrollment) -> str:
    return reverse("campaigns:submit_for", args=[enrollment.pk])


def test_the_progress_page_offers_the_form_for_units_in_progress(open_world: World) -> None:
    w = open_world
    set_state(w.eb, S.SUBMITTED)
    set_state(w.ec, S.IN_PROGRESS)  # nothing filled in: the form could only be refused
    admin = logged_in(w.user("committee_admin"))
    page = admin.get(reverse("campaigns:detail", args=[w.campaign.pk])).content.decode()
    assert _submit_for_url(w.ea) in page
    assert _submit_for_url(w.eb) not in page  # already submitted
    assert _submit_for_url(w.ec) not in page
    leader = logged_in(w.user("committee_leader"))
    page = leader.get(reverse("campaigns:detail", args=[w.campaign.pk])).content.decode()
    assert _submit_for_url(w.ea) not in page  # the 工委领导 reads, the admin acts


def test_submitting_on_behalf_through_the_page(open_world: World) -> None:
    w = open_world
    admin = logged_in(w.user("committee_admin"))
    response = admin.post(_submit_for_url(w.ea), {"reason": ""}, follow=True)
    assert "须写明理由" in response.content.decode()
    assert w.refresh(w.ea).state == S.IN_PROGRESS
    response = admin.post(_submit_for_url(w.ea), {"reason": REASON}, follow=True)
    assert w.refresh(w.ea).state == S.SUBMITTED
    assert "已代甲单位提交自评" in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["owner", "colleague", "outsider", "other_admin", "committee_admin"]
)
def test_the_page_refuses_everyone_else(open_world: World, persona: str) -> None:
    """Every unit's enrollment a persona may not submit for: its own committee's admin is
    refused the other committee's unit, and the other committee's admin ours."""
    w = open_world
    client = logged_in(w.user(persona))
    mine = {"committee_admin": (w.ea, w.eb), "other_admin": (w.ex,)}.get(persona, ())
    for enrollment in (w.ea, w.eb, w.ex):
        if enrollment in mine:
            continue
        response = client.post(_submit_for_url(enrollment), {"reason": REASON})
        assert response.status_code in (403, 404), (persona, enrollment)
    assert {w.refresh(e).state for e in (w.ea, w.eb, w.ex)} == {S.IN_PROGRESS}
    assert not audit_entries("enrollment.submit")
