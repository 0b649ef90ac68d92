"""The writes of 述职评议: each transition of a round and an appraisal, who may make it, what is
refused (and loses nothing), the audit entries and the notices, the frozen results and the
selector other apps read."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.accounts.access import actor_for
from mofan.appraisals import selectors, services
from mofan.appraisals.models import Appraisal, AppraisalState, Rating, RoundState
from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from tests.appraisals.world import (
    YEAR,
    appraisal_of,
    build_world,
    closed_round,
    evidence,
    new_round,
    step,
    submit,
)
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return build_world()


def test_round_create_is_the_committee_admins_once_a_year(w):
    r = new_round(w)
    assert r.state == RoundState.DRAFT
    assert AuditEntry.objects.filter(action="appraisal.round.create", object_id=str(r.pk)).exists()
    with pytest.raises(ValidationError, match="已经存在"):
        new_round(w)
    for who in ("committee_leader", "unit_admin", "other_admin"):
        with pytest.raises(PermissionDenied):
            services.round_create(committee=w.committee, year=2027, title="", actor=w.actor(who))
    with pytest.raises(ValidationError):
        services.round_create(
            committee=w.committee, year=1999, title="", actor=w.actor("committee_admin")
        )


def test_opening_gives_each_active_unit_its_secretary_from_the_roster_and_tells_the_units(w):
    from tests.factories import UnitFactory

    UnitFactory(committee=w.committee, name="已撤销单位", is_active=False)
    bare = UnitFactory(committee=w.committee, name="无党组织单位")
    r = step(new_round(w), "open", w.users["committee_admin"])
    rows = {a.unit_id: a for a in r.appraisals.all()}
    assert set(rows) == {w.unit_a.pk, w.unit_b.pk, bare.pk}
    a = rows[w.unit_a.pk]
    # the 书记 of the top organisation, not its 副书记 nor a 干事
    assert (a.member, a.secretary_name, a.state) == (
        w.secretary_a,
        "甲书记",
        AppraisalState.PENDING,
    )
    assert rows[bare.pk].member is None and rows[bare.pk].secretary_name == ""
    told = set(Notice.objects.filter(kind="appraisal.open").values_list("recipient_id", flat=True))
    assert w.users["unit_admin"].pk in told and w.users["outsider"].pk in told
    assert w.users["member"].pk not in told
    entry = AuditEntry.objects.get(action="appraisal.round.open")
    assert entry.data["after"]["units"] == 3 and entry.data["after"]["unnamed"] == 1
    with pytest.raises(ValidationError):
        step(r, "open", w.users["committee_admin"])


def test_recorded_secretary_is_used_when_no_post_says_so(w):
    from tests.factories import PartyOrgFactory, UnitFactory

    unit = UnitFactory(committee=w.committee, name="丙单位")
    person = MemberFactory(unit=unit, name="丙负责人", post="主任")
    PartyOrgFactory(unit=unit, name="丙支部", secretary=person)
    assert services.secretaries_of([unit.pk]) == {unit.pk: person}


def test_unit_submits_its_report_locked_once_submitted(w):
    r = step(new_round(w), "open", w.users["committee_admin"])
    a = appraisal_of(r, w.unit_a)
    own = evidence(w.unit_a, w.users["unit_admin"])
    theirs = evidence(w.unit_b, w.users["outsider"], name="乙材料.pdf")
    with pytest.raises(ValidationError) as refused:
        submit(a, w.users["unit_admin"], report="  ", way="", evidence_ids=[theirs.pk])
    assert set(refused.value.message_dict) == {"report", "way", "evidence"}
    assert appraisal_of(r, w.unit_a).state == AppraisalState.PENDING
    for who in ("outsider", "member", "committee_admin"):
        with pytest.raises(PermissionDenied):
            submit(a, w.users[who])
    done = submit(a, w.users["unit_leader"], way="written", evidence_ids=[own.pk])
    assert done.state == AppraisalState.SUBMITTED and done.way == "written"
    assert list(done.evidence.all()) == [own]
    with pytest.raises(ValidationError, match="当前状态"):
        submit(done, w.users["unit_admin"], report="改写")
    assert Appraisal.objects.get(pk=a.pk).report == "述职报告正文"
    # the linked file is in use: it cannot be deleted
    from mofan.evidence import usage

    assert own.pk in usage.in_use([own.pk])


def test_return_with_reason_then_resubmit(w):
    admin = w.users["committee_admin"]
    r = step(new_round(w), "open", admin)
    a = submit(appraisal_of(r, w.unit_a), w.users["unit_admin"])
    with pytest.raises(ValidationError):
        services.appraisal_transition(appraisal=a, action="return", actor=actor_for(admin))
    with pytest.raises(PermissionDenied):
        services.appraisal_transition(
            appraisal=a, action="return", actor=w.actor("committee_leader"), reason="x"
        )
    a = services.appraisal_transition(
        appraisal=a, action="return", actor=actor_for(admin), reason="未写政治建设"
    )
    assert (a.state, a.return_reason) == (AppraisalState.RETURNED, "未写政治建设")
    notice = Notice.objects.get(kind="appraisal.return", recipient=w.users["unit_admin"])
    assert "未写政治建设" in notice.title
    assert not Notice.objects.filter(kind="appraisal.return", recipient=w.users["outsider"])
    a = submit(a, w.users["unit_admin"], report="补充后的述职")
    assert (a.state, a.return_reason) == (AppraisalState.SUBMITTED, "")
    actions = list(
        AuditEntry.objects.filter(object_id=str(a.pk), object_type="appraisals.appraisal")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["appraisal.submit", "appraisal.return", "appraisal.submit"]


def test_rate_only_through_closing(w):
    admin = w.users["committee_admin"]
    r = step(new_round(w), "open", admin)
    a = submit(appraisal_of(r, w.unit_a), w.users["unit_admin"])
    with pytest.raises(ValidationError):
        services.appraisal_transition(appraisal=a, action="rate", actor=actor_for(admin))
    with pytest.raises(ValidationError):
        services.appraisal_transition(appraisal=a, action="fly", actor=actor_for(admin))


def test_secretary_corrected_by_the_unit_from_its_own_roster(w):
    r = step(new_round(w), "open", w.users["committee_admin"])
    a = appraisal_of(r, w.unit_a)
    deputy = MemberFactory(unit=w.unit_a, name="甲新书记", post="党组书记")
    a = services.appraisal_secretary_set(appraisal=a, member=deputy, actor=w.actor("unit_admin"))
    assert (a.member, a.secretary_name) == (deputy, "甲新书记")
    with pytest.raises(ValidationError):
        services.appraisal_secretary_set(
            appraisal=a, member=w.secretary_b, actor=w.actor("unit_admin")
        )
    with pytest.raises(PermissionDenied):
        services.appraisal_secretary_set(appraisal=a, member=deputy, actor=w.actor("outsider"))
    submit(a, w.users["unit_admin"])
    with pytest.raises(ValidationError, match="已提交"):
        services.appraisal_secretary_set(appraisal=a, member=deputy, actor=w.actor("unit_admin"))


def test_panel_rates_once_each_and_may_change_until_closed(w):
    admin = w.users["committee_admin"]
    r = step(new_round(w), "open", admin)
    with pytest.raises(ValidationError, match="不是本工委"):
        services.round_panel_set(
            round=r, usernames=["panelist", w.users["other_admin"].username], actor=actor_for(admin)
        )
    services.round_panel_set(round=r, usernames=["panelist"], actor=actor_for(admin))
    a = submit(appraisal_of(r, w.unit_a), w.users["unit_admin"])
    with pytest.raises(ValidationError, match="评议阶段"):
        services.rating_cast(appraisal=a, level="good", actor=w.actor("panelist"))
    r = step(r, "rate", admin)
    assert Notice.objects.filter(kind="appraisal.rate", recipient=w.panelist).exists()
    services.rating_cast(appraisal=a, level="average", actor=w.actor("panelist"))
    services.rating_cast(appraisal=a, level="good", actor=w.actor("panelist"))
    assert list(Rating.objects.values_list("level", flat=True)) == ["good"]
    with pytest.raises(PermissionDenied):
        services.rating_cast(appraisal=a, level="poor", actor=w.actor("committee_leader"))
    with pytest.raises(ValidationError):
        services.rating_cast(appraisal=a, level="best", actor=w.actor("panelist"))
    # a secretary whose report is not submitted is not rated
    b = appraisal_of(r, w.unit_b)
    with pytest.raises(ValidationError, match="未提交"):
        services.rating_cast(appraisal=b, level="good", actor=w.actor("panelist"))


def test_close_refused_while_a_report_or_a_vote_is_missing_then_freezes(w):
    admin = w.users["committee_admin"]
    r = step(new_round(w), "open", admin)
    services.round_panel_set(round=r, usernames=["panelist"], actor=actor_for(admin))
    a = submit(appraisal_of(r, w.unit_a), w.users["unit_admin"])
    r = step(r, "rate", admin)
    with pytest.raises(ValidationError, match="未提交"):
        step(r, "close", admin)
    b = submit(appraisal_of(r, w.unit_b), w.users["outsider"], way="written")
    services.rating_cast(appraisal=a, level="good", actor=w.actor("panelist"))
    with pytest.raises(ValidationError, match="没有评议票"):
        step(r, "close", admin)
    assert round_state(r) == RoundState.RATING
    with pytest.raises(ValidationError):
        services.ballots_record(appraisal=b, counts={"good": -1}, actor=actor_for(admin))
    with pytest.raises(PermissionDenied):
        services.ballots_record(appraisal=b, counts={"good": 1}, actor=w.actor("committee_leader"))
    services.ballots_record(
        appraisal=b, counts={"good": 1, "poor": 2, "average": 0}, actor=actor_for(admin)
    )
    services.ballots_record(appraisal=a, counts={"fairly_good": 1}, actor=actor_for(admin))
    r = step(r, "close", admin)
    a, b = Appraisal.objects.get(pk=a.pk), Appraisal.objects.get(pk=b.pk)
    # A: online 好 + paper 较好 → 90 → 好; B: 1 好 2 差 → 33.33 → 差
    assert (a.state, a.result_level, str(a.result_score)) == ("rated", "good", "90.00")
    assert a.distribution["counts"] == {"good": 1, "fairly_good": 1, "average": 0, "poor": 0}
    assert (b.result_level, b.distribution["percent"]["poor"]) == ("poor", "66.7")
    # frozen: no more votes, returns or panel changes
    with pytest.raises(ValidationError):
        services.rating_cast(appraisal=a, level="poor", actor=w.actor("panelist"))
    with pytest.raises(ValidationError):
        services.ballots_record(appraisal=a, counts={"poor": 9}, actor=actor_for(admin))
    with pytest.raises(ValidationError):
        services.appraisal_transition(
            appraisal=a, action="return", actor=actor_for(admin), reason="x"
        )
    with pytest.raises(ValidationError):
        services.round_panel_set(round=r, usernames=[], actor=actor_for(admin))
    assert AuditEntry.objects.filter(action="appraisal.rate").count() == 2


def round_state(r):
    r.refresh_from_db()
    return r.state


def test_results_of_is_set_wise_and_outlives_the_roster_row(w, django_assert_num_queries):
    closed_round(
        w,
        year=YEAR - 1,
        ballots={w.unit_a: {"good": 4}, w.unit_b: {"average": 3, "fairly_good": 1}},
    )
    closed_round(w, year=YEAR - 1, ballots={}, other=True)
    step(new_round(w), "open", w.users["committee_admin"])  # this year's: no results yet
    ids = [w.secretary_a.pk, w.secretary_b.pk, 999999]
    with django_assert_num_queries(1):
        results = selectors.results_of(ids, YEAR - 1)
    assert results == {w.secretary_a.pk: "good", w.secretary_b.pk: "average"}
    assert selectors.results_of(ids, YEAR) == {}
    # the person leaves the roll: the result stays with the name
    w.secretary_a.delete()
    kept = Appraisal.objects.get(unit=w.unit_a, round__year=YEAR - 1)
    assert (kept.member_id, kept.secretary_name, kept.result_level) == (None, "甲书记", "good")


def test_panel_opens_the_files_of_the_reports_only_while_rating(w):
    from mofan.evidence.selectors import evidence_for

    admin = w.users["committee_admin"]
    r = step(new_round(w), "open", admin)
    services.round_panel_set(round=r, usernames=["panelist"], actor=actor_for(admin))
    linked = evidence(w.unit_a, w.users["unit_admin"])
    unlinked = evidence(w.unit_a, w.users["unit_admin"], name="其他材料.pdf")
    submit(appraisal_of(r, w.unit_a), w.users["unit_admin"], evidence_ids=[linked.pk])
    assert not evidence_for(w.actor("panelist")).filter(pk=linked.pk).exists()
    step(r, "rate", admin)
    assert list(evidence_for(w.actor("panelist")).filter(unit=w.unit_a)) == [linked]
    assert unlinked not in evidence_for(w.actor("panelist"))
    assert linked not in evidence_for(w.actor("reviewer"))  # not on the panel
    assert linked not in evidence_for(w.actor("outsider"))


def test_the_auditor_and_the_security_admin_never_sit_on_a_panel(w):
    from tests.factories import make_user

    make_user("auditor", committee=w.committee, username="audit1")
    make_user("security_admin", committee=w.committee, username="sec1")
    r = new_round(w)
    for name in ("audit1", "sec1"):
        with pytest.raises(ValidationError, match=name):
            services.round_panel_set(round=r, usernames=[name], actor=w.actor("committee_admin"))
    assert not r.panel.exists()
