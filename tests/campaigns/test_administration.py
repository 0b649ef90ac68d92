"""Campaign administration after creation (issue 14 point 2): who may edit a campaign, what
the audit trail records, who is told when dates change, withdrawal, bulk extension, deleting
a draft, launching past the deadline, and the cadence label of each built-in template."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.campaigns import administration
from mofan.campaigns.models import (
    Cadence,
    Campaign,
    CampaignStatus,
    Enrollment,
    Phase,
    QuotaTiePolicy,
)
from mofan.campaigns.services import campaign_activate
from mofan.evaluations.models import ConsolidatedScore, UnitTotals
from mofan.notifications.models import Notice
from mofan.organizations.models import Unit
from tests.evaluations.campaign_fixtures import S, World, in_savepoint, set_state, world
from tests.factories import UnitFactory, make_user
from tests.rectification.rereview_fixtures import approve, finish_review
from tests.world import logged_in

__all__ = ["world"]

UNIT_A_PEOPLE = {"owner", "colleague"}
NOT_ADMINS = ("committee_leader", "owner", "colleague", "outsider", "assigned", "auditor")


def _admin(world: World):
    return world.actor("committee_admin")


def _notified(world: World, kind: str = "campaign.dates") -> set[str]:
    names = {user.pk: name for name, user in world.users.items()}
    return {
        names[pk] for pk in Notice.objects.filter(kind=kind).values_list("recipient", flat=True)
    }


def _edit_data(campaign: Campaign, **changes: str) -> dict[str, str]:
    data = {
        "name": campaign.name,
        "document_title": campaign.document_title,
        "approved_by": campaign.approved_by,
        "document_number": campaign.document_number,
        "cadence": campaign.cadence,
        "cycle_start_year": str(campaign.cycle_start_year or ""),
        "submission_deadline": "",
        "weight_self": "0",
        "weight_review": "1",
        "honours_quota": str(campaign.honours_quota),
        "tie_policy": campaign.tie_policy,
    }
    if campaign.submission_deadline:
        local = timezone.localtime(campaign.submission_deadline)
        data["submission_deadline"] = local.strftime("%Y-%m-%dT%H:%M")
    data.update(changes)
    return data


def _phases(world: World) -> tuple[Phase, Phase]:
    """The 忻州 plan's last two phases on the world's campaign; the deadline is the end of
    考评验收 (as `campaign_create` sets it from a template)."""
    campaign = world.campaign
    accept = Phase.objects.create(
        campaign=campaign, key="accept", name="考评验收", ends_on=datetime.date(2030, 10, 31)
    )
    consolidate = Phase.objects.create(
        campaign=campaign, key="consolidate", name="总结巩固", ends_on=datetime.date(2030, 11, 30)
    )
    deadline = timezone.make_aware(datetime.datetime(2030, 10, 31, 23, 59, 59))
    Campaign.objects.filter(pk=campaign.pk).update(submission_deadline=deadline)
    campaign.refresh_from_db()
    return accept, consolidate


# --- who may ------------------------------------------------------------------------------------


def test_only_the_committee_admin_edits_the_campaign(world):
    url = reverse("campaigns:edit", args=[world.campaign.pk])
    data = _edit_data(world.campaign, name="篡改的名称", document_number="假〔2030〕1号")
    for name in NOT_ADMINS:
        client = logged_in(world.user(name))
        assert client.get(url).status_code == 403, name
        assert client.post(url, data).status_code == 403, name
    other = logged_in(world.user("other_admin"))
    assert other.get(url).status_code == 404
    assert other.post(url, data).status_code == 404
    # nor does the other committee's admin reach this campaign's units
    for view, arg in (("campaigns:withdraw", world.ea.pk), ("campaigns:delete", world.campaign.pk)):
        assert other.post(reverse(view, args=[arg]), {"reason": "x"}).status_code == 404
    world.campaign.refresh_from_db()
    assert world.campaign.name == "2024年度模范机关创建" and world.campaign.document_number == ""
    assert not AuditEntry.objects.filter(action="campaign.update").exists()
    # a committee leader sees the campaign but neither the edit link nor the delete button
    Campaign.objects.filter(pk=world.campaign.pk).update(status=CampaignStatus.DRAFT)
    detail = reverse("campaigns:detail", args=[world.campaign.pk])
    html = logged_in(world.user("committee_leader")).get(detail).content.decode()
    assert url not in html and 'id="delete-campaign"' not in html
    html = logged_in(world.user("committee_admin")).get(detail).content.decode()
    assert url in html and 'id="delete-campaign"' in html
    with pytest.raises(PermissionDenied):
        administration.campaign_update(
            campaign=world.campaign, actor=world.actor("committee_leader"), changes={"name": "x"}
        )


# --- audit: before and after --------------------------------------------------------------------


def test_the_edit_page_saves_and_audits_only_the_changed_fields(world):
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:edit", args=[world.campaign.pk])
    page = admin.get(url)
    assert page.status_code == 200 and "考评节奏" in page.content.decode()
    data = _edit_data(
        world.campaign,
        document_title="市直机关创建模范机关实施方案",
        document_number="焦直文〔2020〕140号",
        approved_by="中共焦作市委市直机关工委",
        honours_quota="0.150",
        tie_policy="none",
        weight_self="0.3",
        weight_review="0.7",
    )
    response = admin.post(url, data)
    assert response.status_code == 302
    campaign = Campaign.objects.get(pk=world.campaign.pk)
    assert campaign.document_number == "焦直文〔2020〕140号"
    assert campaign.honours_quota == Decimal("0.150") and campaign.tie_policy == "none"
    entry = AuditEntry.objects.get(action="campaign.update")
    changed = {
        "document_title",
        "document_number",
        "approved_by",
        "honours_quota",
        "tie_policy",
        "composite_weights",
    }
    assert set(entry.data["before"]) == set(entry.data["after"]) == changed
    assert entry.data["before"]["document_number"] == ""
    assert entry.data["after"]["document_number"] == "焦直文〔2020〕140号"
    assert entry.data["before"]["honours_quota"] == "0.200"
    assert entry.data["after"]["honours_quota"] == "0.150"
    assert entry.data["before"]["composite_weights"] == {"review": 1}
    assert entry.data["after"]["composite_weights"] == {"self": "0.3", "review": "0.7"}
    assert entry.actor_id == world.user("committee_admin").pk
    # nothing about dates changed: nobody is told
    assert not Notice.objects.filter(kind="campaign.dates").exists()
    # posting the same values again changes and records nothing
    admin.post(url, _edit_data(campaign, weight_self="0.3", weight_review="0.7"))
    assert AuditEntry.objects.filter(action="campaign.update").count() == 1


def test_scoring_rules_are_frozen_once_a_result_is_approved(world):
    set_state(world.ea, S.APPROVED)
    with pytest.raises(ValidationError, match="结果审定"):
        administration.campaign_update(
            campaign=world.campaign, actor=_admin(world), changes={"honours_quota": Decimal("0.3")}
        )
    # the name and the document may still be corrected
    administration.campaign_update(
        campaign=world.campaign, actor=_admin(world), changes={"name": "2024年度创建（更正）"}
    )
    assert Campaign.objects.get(pk=world.campaign.pk).name == "2024年度创建（更正）"


# --- dates: shown, enforced, told ---------------------------------------------------------------


def test_phase_dates_change_tells_every_unit_and_moves_the_deadline_with_the_accept_phase(world):
    accept, consolidate = _phases(world)
    changed = administration.campaign_update(
        campaign=world.campaign,
        actor=_admin(world),
        changes={},
        phase_dates={
            accept.pk: (datetime.date(2030, 10, 1), datetime.date(2030, 11, 15)),
            consolidate.pk: (None, datetime.date(2030, 11, 30)),  # unchanged
        },
    )
    assert set(changed) == {"phase:accept", "submission_deadline"}
    campaign = Campaign.objects.get(pk=world.campaign.pk)
    local = timezone.localtime(campaign.submission_deadline)
    assert (local.date(), local.time()) == (datetime.date(2030, 11, 15), datetime.time(23, 59, 59))
    entry = AuditEntry.objects.get(action="campaign.update")
    assert entry.data["before"]["phase:accept"] == {"starts_on": None, "ends_on": "2030-10-31"}
    assert entry.data["after"]["phase:accept"] == {
        "starts_on": "2030-10-01",
        "ends_on": "2030-11-15",
    }
    assert "phase:consolidate" not in entry.data["after"]
    # every unit's people, and nobody else
    assert _notified(world) == UNIT_A_PEOPLE | {"outsider"}
    notice = Notice.objects.filter(kind="campaign.dates").first()
    assert "2030-11-15" in notice.body and "考评验收" in notice.body
    # a campaign still in draft tells nobody (its launch does)
    Notice.objects.all().delete()
    Campaign.objects.filter(pk=world.campaign.pk).update(status=CampaignStatus.DRAFT)
    administration.campaign_update(
        campaign=world.campaign,
        actor=_admin(world),
        changes={},
        phase_dates={consolidate.pk: (None, datetime.date(2030, 12, 10))},
    )
    assert Phase.objects.get(pk=consolidate.pk).ends_on == datetime.date(2030, 12, 10)
    assert not Notice.objects.exists()
    Campaign.objects.filter(pk=world.campaign.pk).update(status=CampaignStatus.ACTIVE)
    # the unit sees the new dates on its campaign page
    html = (
        logged_in(world.user("owner"))
        .get(reverse("campaigns:enrollment", args=[world.ea.pk]))
        .content.decode()
    )
    assert "2030年10月1日—2030年11月15日" in html and "2030-11-15 23:59" in html


def test_a_new_deadline_tells_only_the_units_whose_deadline_moves(world):
    set_state(world.ea, S.IN_PROGRESS)
    set_state(world.eb, S.IN_PROGRESS)
    later = timezone.now() + datetime.timedelta(days=90)
    Enrollment.objects.filter(pk=world.eb.pk).update(extended_until=later)
    new = timezone.now() + datetime.timedelta(days=30)
    administration.campaign_update(
        campaign=world.campaign, actor=_admin(world), changes={"submission_deadline": new}
    )
    assert _notified(world) == UNIT_A_PEOPLE  # B's own extension runs later: its date stays
    # and the deadline is enforced: past it, A cannot submit
    administration.campaign_update(
        campaign=world.campaign,
        actor=_admin(world),
        changes={"submission_deadline": timezone.now() - datetime.timedelta(minutes=1)},
    )
    from mofan.evaluations.services import deadline_passed

    assert deadline_passed(Enrollment.objects.get(pk=world.ea.pk))
    assert not deadline_passed(Enrollment.objects.get(pk=world.eb.pk))


# --- units: add, withdraw, extend ---------------------------------------------------------------


def test_units_are_added_from_the_committee_only(world):
    new = UnitFactory(committee=world.committee, name="丁单位", short_name="丁")
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:units_add", args=[world.campaign.pk])
    foreign = Unit.objects.get(committee=world.other_committee)
    admin.post(url, {"units": [foreign.pk]})
    admin.post(url, {"units": [world.unit_a.pk]})  # already enrolled: not a choice
    assert not Enrollment.objects.filter(campaign=world.campaign, unit=foreign).exists()
    admin.post(url, {"units": [new.pk]})
    assert Enrollment.objects.filter(campaign=world.campaign, unit=new).exists()
    assert UnitTotals.objects.filter(enrollment__unit=new).exists()  # its stored figures
    entry = AuditEntry.objects.get(action="campaign.units.add")
    assert entry.data["after"]["units"] == [{"id": new.pk, "name": "丁单位"}]
    with pytest.raises(ValidationError, match="已参加"):
        administration.enrollments_add(
            campaign=world.campaign, units=[world.unit_b], actor=_admin(world)
        )


def test_units_to_add_are_searched_not_listed_and_the_new_units_are_told(world):
    """At 20,000 units the form cannot list every unit: the chooser searches the committee's
    active units not yet in the campaign (scope `unit/to_enrol`); a name typed without
    JavaScript is resolved in the same scope. The added unit's people get the launch notice."""
    new = UnitFactory(committee=world.committee, name="丁单位", short_name="丁")
    liaison = make_user(Role.UNIT_ADMIN, unit=new, full_name="丁联络员")
    UnitFactory(committee=world.other_committee, name="丁外单位", short_name="丁外")
    admin = logged_in(world.user("committee_admin"))
    edit = admin.get(reverse("campaigns:edit", args=[world.campaign.pk])).content.decode()
    assert "scope=to_enrol" in edit and "丁单位" not in edit  # searched, not listed
    found = admin.get(
        reverse("choosers:choose", args=["unit"]),
        {"q": "单位", "scope": "to_enrol", "campaign": world.campaign.pk},
    ).content.decode()
    assert "丁单位" in found
    assert "甲单位" not in found and "丁外单位" not in found  # enrolled, other committee
    outsider = logged_in(world.user("outsider")).get(
        reverse("choosers:choose", args=["unit"]),
        {"q": "单位", "scope": "to_enrol", "campaign": world.campaign.pk},
    )
    assert "丁单位" not in outsider.content.decode()
    before = Notice.objects.filter(kind="campaign.launched").count()
    url = reverse("campaigns:units_add", args=[world.campaign.pk])
    admin.post(url, {"units_text": "丁单位"})
    assert Enrollment.objects.filter(campaign=world.campaign, unit=new).exists()
    told = Notice.objects.filter(kind="campaign.launched")
    assert told.count() == before + 1
    assert told.get(recipient=liaison).url.endswith(
        f"/{Enrollment.objects.get(campaign=world.campaign, unit=new).pk}/"
    )


def test_withdraw_is_refused_once_the_unit_has_submitted(world):
    set_state(world.ea, S.SUBMITTED)
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:withdraw", args=[world.ea.pk])
    admin.post(url, {"reason": "机构改革"})
    assert Enrollment.objects.filter(pk=world.ea.pk).exists()
    # returned after a submission, still refused: it has submitted once
    set_state(world.ea, S.IN_PROGRESS)
    with pytest.raises(ValidationError, match="已提交过"):
        administration.enrollment_withdraw(enrollment=world.ea, reason="x", actor=_admin(world))
    assert not AuditEntry.objects.filter(action="campaign.units.withdraw").exists()


def test_withdraw_before_submission_needs_a_reason_and_is_audited(world):
    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.IN_PROGRESS, submitted_at=None)
    scores = world.ea.self_scores.count()
    tasks = world.ea.tasks.count()
    assert scores and tasks
    with pytest.raises(ValidationError, match="理由"):
        administration.enrollment_withdraw(enrollment=world.ea, reason=" ", actor=_admin(world))
    with pytest.raises(PermissionDenied):
        administration.enrollment_withdraw(
            enrollment=world.ea, reason="x", actor=world.actor("owner")
        )
    admin = logged_in(world.user("committee_admin"))
    admin.post(reverse("campaigns:withdraw", args=[world.ea.pk]), {"reason": "机构改革，撤并"})
    # A state, not a deletion: the enrollment and what the unit entered stay, with the reason.
    withdrawn = Enrollment.objects.get(pk=world.ea.pk)
    assert withdrawn.state == S.WITHDRAWN
    assert withdrawn.withdrawn_reason == "机构改革，撤并"
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.self_scores.count() == scores and withdrawn.tasks.count() == tasks
    entry = AuditEntry.objects.get(action="campaign.units.withdraw")
    assert entry.object_id == str(world.ea.pk)
    assert entry.data["before"] == {"state": S.IN_PROGRESS}
    assert entry.data["after"]["state"] == S.WITHDRAWN
    assert entry.data["extra"]["reason"] == "机构改革，撤并"
    assert entry.data["extra"]["unit_name"] == "甲单位"
    assert entry.data["extra"]["self_scores"] == scores
    assert _notified(world, "campaign.withdraw") == UNIT_A_PEOPLE
    # Once withdrawn: not again, and neither extendable nor withdrawable on the campaign page.
    with pytest.raises(ValidationError, match="已退出"):
        administration.enrollment_withdraw(enrollment=world.ea, reason="再次", actor=_admin(world))
    page = admin.get(reverse("campaigns:detail", args=[world.campaign.pk])).content.decode()
    assert "机构改革，撤并" in page and "已退出" in page
    assert reverse("campaigns:withdraw", args=[world.ea.pk]) not in page
    assert reverse("campaigns:extend", args=[world.ea.pk]) not in page
    assert f'name="enrollments" value="{world.ea.pk}"' not in page
    assert reverse("campaigns:readmit", args=[world.ea.pk]) in page
    with pytest.raises(ValidationError, match="已退出"):
        administration.enrollments_extend(
            campaign=world.campaign,
            enrollments=[withdrawn],
            until=timezone.now() + datetime.timedelta(days=3),
            actor=_admin(world),
        )


def test_a_withdrawn_unit_is_read_only_for_the_unit(world):
    from mofan.campaigns import services as campaign_services
    from mofan.evaluations import services as evaluation
    from mofan.evaluations.models import SelfScore

    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.IN_PROGRESS, submitted_at=None)
    administration.enrollment_withdraw(enrollment=world.ea, reason="撤并", actor=_admin(world))
    withdrawn = Enrollment.objects.get(pk=world.ea.pk)
    owner, leader = world.actor("owner"), world.actor("colleague")
    node = SelfScore.objects.filter(enrollment=withdrawn).select_related("node").first().node
    with pytest.raises(ValidationError, match="已退出"):
        evaluation.self_score_save(
            enrollment=withdrawn,
            node=node,
            value={"score": "5"},
            narrative="",
            expected_version=None,
            actor=owner,
        )
    with pytest.raises(ValidationError, match="已退出"):
        campaign_services.task_add(
            enrollment=withdrawn,
            title="新任务",
            person="甲",
            deadline=datetime.date(2030, 1, 1),
            actor=owner,
        )
    with pytest.raises(ValidationError):
        evaluation.enrollment_transition(enrollment=withdrawn, to=S.SUBMITTED, actor=leader)
    assert Enrollment.objects.get(pk=world.ea.pk).state == S.WITHDRAWN
    # The unit's pages say so and offer no submit button.
    for name in ("owner", "colleague"):
        client = logged_in(world.user(name))
        home = client.get(reverse("campaigns:enrollment", args=[world.ea.pk])).content.decode()
        assert 'id="withdrawn-notice"' in home and "撤并" in home
        assert 'id="submit-self"' not in home
        own = client.get(reverse("reviews:self", args=[world.ea.pk]))
        assert own.status_code == 200
        assert 'id="submit-self-bar"' not in own.content.decode()
    assert (
        logged_in(world.user("colleague"))
        .post(reverse("campaigns:submit", args=[world.ea.pk]))
        .status_code
        == 302
    )
    assert Enrollment.objects.get(pk=world.ea.pk).state == S.WITHDRAWN


def test_a_withdrawn_unit_may_be_readmitted(world):
    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.IN_PROGRESS, submitted_at=None)
    administration.enrollment_withdraw(enrollment=world.ea, reason="撤并", actor=_admin(world))
    with pytest.raises(PermissionDenied):
        administration.enrollment_readmit(enrollment=world.ea, actor=world.actor("owner"))
    with pytest.raises(ValidationError, match="未退出"):
        administration.enrollment_readmit(enrollment=world.eb, actor=_admin(world))
    admin = logged_in(world.user("committee_admin"))
    admin.post(reverse("campaigns:readmit", args=[world.ea.pk]))
    back = Enrollment.objects.get(pk=world.ea.pk)
    assert back.state == S.NOT_STARTED and back.withdrawn_reason == ""
    entry = AuditEntry.objects.get(action="campaign.units.readmit")
    assert entry.data["before"]["state"] == S.WITHDRAWN
    assert entry.data["before"]["withdrawn_reason"] == "撤并"
    assert entry.data["after"] == {"state": S.NOT_STARTED}
    assert _notified(world, "campaign.readmit") == UNIT_A_PEOPLE


def test_bulk_extension_for_the_selected_units(world):
    set_state(world.ea, S.IN_PROGRESS)
    set_state(world.eb, S.IN_PROGRESS)
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:extend_many", args=[world.campaign.pk])
    detail = admin.get(reverse("campaigns:detail", args=[world.campaign.pk])).content.decode()
    assert 'form="bulk-extend"' in detail and 'id="bulk-extend"' in detail
    leader = logged_in(world.user("committee_leader"))
    seen = leader.get(reverse("campaigns:detail", args=[world.campaign.pk])).content.decode()
    assert (
        'id="bulk-extend"' not in seen
        and reverse("campaigns:withdraw", args=[world.ea.pk]) not in seen
    )
    assert (
        leader.post(url, {"enrollments": [world.ea.pk], "until": "2030-01-15T18:00"}).status_code
        == 403
    )
    admin.post(url, {"enrollments": [world.ea.pk, world.eb.pk], "until": "2030-01-15T18:00"})
    rows = Enrollment.objects.filter(pk__in=[world.ea.pk, world.eb.pk, world.ec.pk])
    until = {e.unit.name: e.extended_until for e in rows.select_related("unit")}
    expected = timezone.make_aware(datetime.datetime(2030, 1, 15, 18, 0))
    assert until == {"甲单位": expected, "乙单位": expected, "丙单位": None}
    entries = AuditEntry.objects.filter(action="enrollment.extend")
    assert sorted(int(e.object_id) for e in entries) == sorted([world.ea.pk, world.eb.pk])
    assert all(e.data["before"] == {"extended_until": None} for e in entries)
    assert _notified(world, "enrollment.extended") == UNIT_A_PEOPLE | {"outsider"}
    # a submitted unit in the selection refuses the whole extension
    set_state(world.eb, S.SUBMITTED)
    with pytest.raises(ValidationError, match="已提交"):
        administration.enrollments_extend(
            campaign=world.campaign,
            enrollments=[world.ea, world.eb],
            until=expected + datetime.timedelta(days=1),
            actor=_admin(world),
        )
    assert Enrollment.objects.get(pk=world.ea.pk).extended_until == expected
    # another committee's enrollment is not a choice
    admin.post(url, {"enrollments": [world.ex.pk], "until": "2030-02-01T18:00"})
    assert Enrollment.objects.get(pk=world.ex.pk).extended_until is None


# --- the campaign as a whole --------------------------------------------------------------------


def test_delete_is_refused_unless_the_campaign_is_a_draft(world):
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:delete", args=[world.campaign.pk])
    admin.post(url)
    assert Campaign.objects.filter(pk=world.campaign.pk).exists()  # launched: kept
    Campaign.objects.filter(pk=world.campaign.pk).update(status=CampaignStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        administration.campaign_delete(
            campaign=world.campaign, actor=world.actor("committee_leader")
        )
    response = admin.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:list")
    assert not Campaign.objects.filter(pk=world.campaign.pk).exists()
    assert not Enrollment.objects.filter(campaign_id=world.campaign.pk).exists()
    entry = AuditEntry.objects.get(action="campaign.delete")
    assert entry.object_id == str(world.campaign.pk)
    assert entry.data["before"]["name"] == "2024年度模范机关创建"
    assert entry.data["before"]["units"] == 3


def test_launching_past_the_deadline_asks_for_confirmation(world):
    past = timezone.now() - datetime.timedelta(days=1)
    Campaign.objects.filter(pk=world.campaign.pk).update(
        status=CampaignStatus.DRAFT, submission_deadline=past
    )
    world.campaign.refresh_from_db()
    with pytest.raises(ValidationError, match="截止时间已过"):
        campaign_activate(campaign=world.campaign, actor=_admin(world))
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:activate", args=[world.campaign.pk])
    page = admin.post(url)
    assert page.status_code == 200 and 'id="past-deadline-warning"' in page.content.decode()
    assert Campaign.objects.get(pk=world.campaign.pk).status == CampaignStatus.DRAFT
    admin.post(url, {"confirm_past_deadline": "1"})
    assert Campaign.objects.get(pk=world.campaign.pk).status == CampaignStatus.ACTIVE
    entry = AuditEntry.objects.filter(action="campaign.activate").order_by("id").last()
    assert entry.data["extra"] == {"past_deadline_confirmed": True}


def test_a_deadline_still_ahead_launches_at_once(world):
    ahead = timezone.now() + datetime.timedelta(days=10)
    Campaign.objects.filter(pk=world.campaign.pk).update(
        status=CampaignStatus.DRAFT, submission_deadline=ahead
    )
    admin = logged_in(world.user("committee_admin"))
    response = admin.post(reverse("campaigns:activate", args=[world.campaign.pk]))
    assert response.status_code == 302
    assert Campaign.objects.get(pk=world.campaign.pk).status == CampaignStatus.ACTIVE


# --- the tie policy set in advance --------------------------------------------------------------


def _tied(world: World) -> None:
    """甲 and 乙 both 27 of 30 (优秀), 丙 vetoed; one 先进 place (⌊3 × 0.34⌋)."""
    finish_review(world)
    ConsolidatedScore.objects.filter(enrollment=world.ea).exclude(score=None).update(
        score=Decimal(9)
    )
    administration.campaign_update(
        campaign=world.campaign, actor=_admin(world), changes={"honours_quota": Decimal("0.34")}
    )


def _advanced(world: World) -> set[str]:
    return set(
        UnitTotals.objects.filter(campaign=world.campaign, advanced=True).values_list(
            "enrollment__unit__name", flat=True
        )
    )


def test_a_tie_policy_set_in_advance_settles_the_quota_tie(world):
    _tied(world)
    assert _advanced(world) == set()  # decided case by case: nobody until the committee decides
    administration.campaign_update(
        campaign=world.campaign, actor=_admin(world), changes={"tie_policy": QuotaTiePolicy.ALL}
    )
    assert _advanced(world) == {"甲单位", "乙单位"}
    html = (
        logged_in(world.user("committee_admin"))
        .get(reverse("reviews:approval", args=[world.campaign.pk]))
        .content.decode()
    )
    assert 'id="tie-policy"' in html and "并列单位全部入选" in html
    assert "尚未决定" not in html and 'id="prepare"' in html
    administration.campaign_update(
        campaign=world.campaign, actor=_admin(world), changes={"tie_policy": QuotaTiePolicy.NONE}
    )
    assert _advanced(world) == set()
    approve(world)  # the policy counts as the decision: approval does not wait
    assert _advanced(world) == set()


# --- cadence labels of the built-in templates ---------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "cadence", "label"),
    [
        ("jiaozuo-2020", Cadence.ANNUAL, "一年一考评、三年一总评（2020—2022年）"),
        ("yueyang-2020", Cadence.CONTINUOUS, "常态化开展"),
        ("xinzhou-2022", Cadence.PHASED, "分阶段推进"),
        ("yueqing-2020", Cadence.ANNUAL, "一年一考评"),
        ("bureau-2022", Cadence.ANNUAL, "一年一考评"),
    ],
)
def test_cadence_label_follows_the_template(slug, cadence, label, world, settings):
    from django.core.management import call_command

    from mofan.campaigns.services import campaign_create
    from mofan.indicators.models import IndicatorVersion
    from mofan.reports.documents.work_summary import WorkSummary

    call_command("load_templates", stdout=__import__("io").StringIO())
    version = IndicatorVersion.objects.get(system__slug=slug, system__committee=None)
    campaign = campaign_create(
        committee=world.committee,
        name=f"{slug}活动",
        year=2022,
        version=version,
        actor=_admin(world),
        units=[world.unit_a],
    )
    assert campaign.cadence == cadence and campaign.cadence_label == label
    assert campaign.continuous == (cadence == Cadence.CONTINUOUS)
    admin = logged_in(world.user("committee_admin"))
    assert label in admin.get(reverse("campaigns:list")).content.decode()
    assert label in admin.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    enrollment = campaign.enrollments.get()
    unit_page = logged_in(world.user("owner")).get(
        reverse("campaigns:enrollment", args=[enrollment.pk])
    )
    assert label in unit_page.content.decode()
    summary = WorkSummary(campaign=campaign, actor=_admin(world), today=datetime.date(2022, 12, 1))
    text = summary._phases(summary.facts())
    if cadence == Cadence.CONTINUOUS:
        assert "常态化开展，不分阶段" in text
    elif cadence == Cadence.PHASED:
        assert "工作分为4个阶段" in text
    else:
        assert f"实行{label}" in text


def test_the_edit_page_keeps_a_deadline_it_shows_to_the_minute(world):
    """The date-and-time picker shows 23:59; posting the page unchanged keeps 23:59:59."""
    accept, consolidate = _phases(world)
    admin = logged_in(world.user("committee_admin"))
    url = reverse("campaigns:edit", args=[world.campaign.pk])
    html = admin.get(url).content.decode()
    assert 'value="2030-10-31T23:59"' in html
    before = Campaign.objects.get(pk=world.campaign.pk).submission_deadline
    phases = {
        f"phase_{accept.pk}_end": "2030-10-31",
        f"phase_{consolidate.pk}_end": "2030-11-30",
    }
    admin.post(url, {**_edit_data(world.campaign), **phases})
    assert Campaign.objects.get(pk=world.campaign.pk).submission_deadline == before
    assert not AuditEntry.objects.filter(action="campaign.update").exists()
    assert not Notice.objects.filter(kind="campaign.dates").exists()


def test_a_withdrawn_unit_gets_no_work_and_no_reminders(world):
    from mofan.evaluations.reminders import send_evaluation_reminders
    from mofan.evaluations.work import evaluation_work

    Enrollment.objects.filter(pk=world.ea.pk).update(state=S.IN_PROGRESS, submitted_at=None)
    Campaign.objects.filter(pk=world.campaign.pk).update(
        submission_deadline=timezone.now() + datetime.timedelta(days=7)
    )
    url = reverse("campaigns:enrollment", args=[world.ea.pk])
    today = timezone.localdate()
    names = {user.pk: name for name, user in world.users.items()}

    def work(persona: str) -> list[str]:
        return [item.url for item in evaluation_work(actor=world.actor(persona), today=today)]

    def reminded() -> set[str]:
        send_evaluation_reminders(today=today)
        return {
            names.get(pk, "")
            for pk in Notice.objects.filter(kind__startswith="enrollment.due").values_list(
                "recipient", flat=True
            )
        }

    assert url in work("owner") and url in work("colleague")
    assert in_savepoint(reminded) >= UNIT_A_PEOPLE  # the unit would be reminded
    administration.enrollment_withdraw(enrollment=world.ea, reason="撤并", actor=_admin(world))
    assert url not in work("owner") and url not in work("colleague")
    assert not reminded() & UNIT_A_PEOPLE


def test_the_review_draw_skips_a_withdrawn_unit(world):
    from mofan.evaluations.review_groups import assignment_draw

    def drawn() -> list[int]:
        draw = assignment_draw(campaign=world.campaign, method="balanced", seed="w", actor=admin)
        return list(draw.inputs["units"])

    admin = _admin(world)
    assert in_savepoint(drawn) == [world.unit_c.pk]  # 丙 is the one unit not yet assigned
    administration.enrollment_withdraw(enrollment=world.ec, reason="撤并", actor=admin)
    with pytest.raises(ValidationError, match="都已分配"):
        assignment_draw(campaign=world.campaign, method="balanced", seed="w", actor=admin)
    assert not Enrollment.objects.filter(pk=world.ec.pk, assignment__isnull=False).exists()
