"""The honours workflow through the services: eligibility read from the records, the per-unit
quota, review with veto inputs, a tie decided by the committee, 公示 with an objection, naming
and revocation, each audited; and who may not write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.models import AuditEntry
from mofan.honours import nominations as writes
from mofan.honours import services
from mofan.honours.models import NominationState, ProgrammeState
from mofan.notifications.models import Notice
from tests.honours.world import TODAY, build_world, nominate, open_programme, programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return build_world()


def actions(target) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=target._meta.label_lower, object_id=str(target.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_unit_eligibility_follows_the_approved_grade(w):
    p = programme(
        w, name="先进党组织单位", kind="unit", campaign=w.campaign, eligible_grades="优秀,良好"
    )
    open_programme(p, w.users["committee_admin"])
    n = nominate(p, w.unit_a, w.users["unit_admin"])
    assert n.record["审定等次"] == "优秀" and n.record["综合得分"] == "95.00"
    with pytest.raises(ValidationError, match="一般"):
        nominate(p, w.unit_b, w.users["outsider"])


def test_an_organisation_needs_a_file_card_and_no_yellow_card(w):
    p = programme(w, name="五星级示范党支部", kind="party_org", quota_value=1)
    open_programme(p, w.users["committee_admin"])
    with pytest.raises(ValidationError, match="黄牌"):
        nominate(p, w.unit_a, w.users["unit_admin"], party_org=w.carded_org)
    n = nominate(p, w.unit_a, w.users["unit_admin"], party_org=w.org_a)
    assert n.record["书记"] == "甲书记" and n.record["黄牌警示"] == "否"
    with pytest.raises(ValidationError, match="名额已用完"):
        nominate(p, w.unit_a, w.users["unit_admin"], party_org=w.org_a)


def test_a_person_must_be_on_the_roster_with_the_post(w):
    p = programme(w, name="优秀党务工作者", required_post="党务", per_unit_limit=3)
    open_programme(p, w.users["committee_admin"])
    n = nominate(p, w.unit_a, w.users["unit_admin"], member=w.member_a)
    assert n.record["职务"] == "党务干事"
    with pytest.raises(ValidationError, match="已被推荐"):
        nominate(p, w.unit_a, w.users["unit_admin"], member=w.member_a)
    secretary = w.org_a.secretary
    with pytest.raises(ValidationError, match="党务"):
        nominate(p, w.unit_a, w.users["unit_admin"], member=secretary)
    with pytest.raises(PermissionDenied):  # another unit's admin cannot nominate for unit A
        nominate(p, w.unit_a, w.users["outsider"], member=w.member_a)
    with pytest.raises(PermissionDenied):  # the leader reads, the 联络员 nominates
        nominate(p, w.unit_a, w.users["unit_leader"], member=w.member_a)


def test_from_nomination_to_naming_and_revocation(w):
    admin = w.actor("committee_admin")
    p = programme(w, name="优秀共产党员", quota_value=1, per_unit_limit=5, publicity_days=5)
    assert Notice.objects.filter(kind__startswith="honour.").count() == 0
    open_programme(p, w.users["committee_admin"])
    assert Notice.objects.filter(recipient=w.users["unit_admin"], kind="honour.nominating").exists()
    first = nominate(p, w.unit_a, w.users["unit_admin"], member=w.member_a)
    second = nominate(p, w.unit_a, w.users["unit_admin"], member=w.org_a.secretary)
    third_member = w.member_a.__class__.objects.create(
        unit=w.unit_a, name="甲三", gender="1", post="科员"
    )
    third = nominate(p, w.unit_a, w.users["unit_admin"], member=third_member)
    with pytest.raises(ValidationError):  # not while nominating
        writes.nomination_review(nomination=first, score=Decimal(90), note="", actor=admin)
    services.programme_transition(programme=p, action="review", actor=admin)
    with pytest.raises(ValidationError, match="未评分"):
        services.programme_transition(programme=p, action="publish", actor=admin)
    for n, score in ((first, 90), (second, 90), (third, 95)):
        writes.nomination_review(nomination=n, score=Decimal(score), note="好", actor=admin)
    writes.veto_record(
        nomination=third,
        source="discipline",
        vetoes=True,
        document="纪委函〔2026〕3号",
        note="立案审查",
        actor=admin,
    )
    writes.veto_record(
        nomination=first,
        source="audit",
        vetoes=False,
        document="审计函〔2026〕1号",
        note="",
        actor=admin,
    )
    # third scored highest but is vetoed; first and second tie for the one seat
    selection = services.selection_of(p)
    assert selection.vetoed == (third.pk,) and set(selection.tied) == {first.pk, second.pk}
    with pytest.raises(ValidationError, match="同分"):
        services.programme_transition(programme=p, action="publish", actor=admin)
    with pytest.raises(ValidationError):
        writes.tie_decide(programme=p, chosen=[first.pk, second.pk], actor=admin)
    writes.tie_decide(programme=p, chosen=[second.pk], actor=admin)
    services.programme_transition(programme=p, action="publish", actor=admin, today=TODAY)
    p.refresh_from_db()
    assert p.state == ProgrammeState.PUBLICITY and p.publicity_end == TODAY + dt.timedelta(days=5)
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.state, first.state) == (NominationState.SELECTED, NominationState.NOT_SELECTED)
    # objections: from the committee's units only, against the 公示 list, within the period
    with pytest.raises(PermissionDenied):
        writes.objection_lodge(
            nomination=second, text="x", actor=w.actor("other_admin"), today=TODAY
        )
    with pytest.raises(ValidationError):
        writes.objection_lodge(nomination=first, text="x", actor=w.actor("member"), today=TODAY)
    objection = writes.objection_lodge(
        nomination=second, text="群众反映有问题", actor=w.actor("member"), today=TODAY
    )
    assert Notice.objects.filter(recipient=w.users["committee_admin"], kind="honour.objection")
    with pytest.raises(ValidationError, match="公示期未满"):
        services.programme_transition(
            programme=p, action="name", actor=admin, document_number="工委〔2026〕9号", today=TODAY
        )
    after = TODAY + dt.timedelta(days=5)
    with pytest.raises(ValidationError, match="异议未处理"):
        services.programme_transition(
            programme=p, action="name", actor=admin, document_number="工委〔2026〕9号", today=after
        )
    writes.objection_resolve(
        objection=objection, upheld=False, resolution="经核实不属实", actor=admin
    )
    services.programme_transition(
        programme=p, action="name", actor=admin, document_number="工委〔2026〕9号", today=after
    )
    second.refresh_from_db()
    assert second.state == NominationState.NAMED
    writes.honour_revoke(
        nomination=second, reason="受到党纪处分", document="工委〔2026〕12号", actor=admin
    )
    second.refresh_from_db()
    assert second.state == NominationState.REVOKED and second.revoke_document == "工委〔2026〕12号"
    assert Notice.objects.filter(recipient=w.users["unit_admin"], kind="honour.revoked").exists()
    with pytest.raises(ValidationError):
        writes.honour_revoke(nomination=second, reason="x", document="y", actor=admin)
    assert actions(second) == ["honour.nominate", "honour.review", "honour.revoke"]
    assert "honour.programme.name" in actions(p) and "honour.tie_decide" in actions(p)
    assert actions(third) == ["honour.nominate", "honour.review", "honour.veto"]
    programme_entry = AuditEntry.objects.get(action="honour.programme.name")
    assert programme_entry.data["after"]["named"] == [second.pk]


def test_an_upheld_objection_keeps_the_candidate_from_being_named(w):
    admin = w.actor("committee_admin")
    p = programme(w, quota_value=5, publicity_days=1)
    open_programme(p, w.users["committee_admin"])
    n = nominate(p, w.unit_a, w.users["unit_admin"], member=w.member_a)
    services.programme_transition(programme=p, action="review", actor=admin)
    writes.nomination_review(nomination=n, score=Decimal(80), note="", actor=admin)
    services.programme_transition(programme=p, action="publish", actor=admin, today=TODAY)
    o = writes.objection_lodge(
        nomination=n, text="材料不实", actor=w.actor("outsider"), today=TODAY
    )
    writes.objection_resolve(objection=o, upheld=True, resolution="属实", actor=admin)
    services.programme_transition(
        programme=p,
        action="name",
        actor=admin,
        document_number="文号",
        today=TODAY + dt.timedelta(days=1),
    )
    n.refresh_from_db()
    assert n.state == NominationState.NOT_SELECTED


def test_an_objection_received_by_letter_is_recorded_and_must_be_resolved(w):
    admin = w.actor("committee_admin")
    p = programme(w, quota_value=5, publicity_days=1)
    open_programme(p, w.users["committee_admin"])
    n = nominate(p, w.unit_a, w.users["unit_admin"], member=w.member_a)
    services.programme_transition(programme=p, action="review", actor=admin)
    writes.nomination_review(nomination=n, score=Decimal(80), note="", actor=admin)
    with pytest.raises(ValidationError, match="不在公示期内"):
        writes.objection_record(
            nomination=n, channel="phone", source_name="", text="x", actor=admin, today=TODAY
        )
    services.programme_transition(programme=p, action="publish", actor=admin, today=TODAY)
    with pytest.raises(PermissionDenied):
        writes.objection_record(
            nomination=n, channel="phone", source_name="", text="x", actor=w.actor("unit_admin")
        )
    with pytest.raises(ValidationError, match="反映方式"):
        writes.objection_record(
            nomination=n, channel="platform", source_name="", text="x", actor=admin, today=TODAY
        )
    o = writes.objection_record(
        nomination=n, channel="letter", source_name="", text="匿名来信", actor=admin, today=TODAY
    )
    assert (o.channel, o.source_name, o.lodged_by) == ("letter", "", w.users["committee_admin"])
    assert actions(o) == ["honour.objection.record"]
    later = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="异议未处理"):
        services.programme_transition(
            programme=p, action="name", actor=admin, document_number="文号", today=later
        )
    writes.objection_resolve(objection=o, upheld=False, resolution="不属实", actor=admin)
    services.programme_transition(
        programme=p, action="name", actor=admin, document_number="文号", today=later
    )
    n.refresh_from_db()
    assert n.state == NominationState.NAMED


def test_only_the_committee_admin_runs_a_programme(w):
    p = programme(w)
    for name in ("committee_leader", "unit_admin", "other_admin", "reviewer"):
        with pytest.raises(PermissionDenied):
            services.programme_transition(programme=p, action="open", actor=w.actor(name))
    with pytest.raises(PermissionDenied):
        services.programme_create(
            committee=w.committee,
            values={"name": "x", "kind": "unit", "year": 2026, "quota_value": 1},
            actor=w.actor("other_admin"),
        )
    with pytest.raises(ValidationError, match="不属于本工委"):
        programme(
            w, committee=w.other_committee, kind="unit", campaign=w.campaign, eligible_grades="优秀"
        )
    services.programme_transition(
        programme=p, action="close", actor=w.actor("committee_admin"), reason="取消"
    )
    p.refresh_from_db()
    assert p.state == ProgrammeState.CLOSED
