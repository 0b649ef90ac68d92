"""A person programme that requires a 述职评议 result: the person's result of the programme's
year, or the year before while that year has none, read through `appraisals.selectors`."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mofan.accounts.access import actor_for
from mofan.appraisals import services as appraisals
from mofan.honours.forms import ProgrammeForm
from tests.factories import MemberFactory
from tests.honours.world import HonoursWorld, build_world, nominate, open_programme, programme

pytestmark = pytest.mark.django_db


def rated(w: HonoursWorld, year: int, ballots: dict, *, close: bool = True) -> None:
    """A 述职评议 round of `year` for the honours committee: unit A's secretary (甲书记 from the
    roster) rated by paper ballots; unit B names a secretary of its own."""
    admin = actor_for(w.users["committee_admin"])
    r = appraisals.round_create(committee=w.committee, year=year, title="", actor=admin)
    r = appraisals.round_transition(round=r, action="open", actor=admin)
    b_secretary = MemberFactory(unit=w.unit_b, name=f"乙书记{year}", post="书记")
    for a in r.appraisals.all():
        owner = actor_for(w.users["unit_admin" if a.unit_id == w.unit_a.pk else "outsider"])
        if a.unit_id == w.unit_b.pk:
            a = appraisals.appraisal_secretary_set(appraisal=a, member=b_secretary, actor=owner)
        appraisals.appraisal_transition(
            appraisal=a, action="submit", actor=owner, report="述职", way="on_site"
        )
    r = appraisals.round_transition(round=r, action="rate", actor=admin)
    for a in r.appraisals.all():
        appraisals.ballots_record(appraisal=a, counts=ballots, actor=admin)
    if close:
        appraisals.round_transition(round=r, action="close", actor=admin)


def test_the_result_of_the_year_or_the_year_before_decides():
    w = build_world()
    secretary = w.org_a.secretary
    p = programme(w, name="优秀党务工作者", year=2026, appraisal_level="fairly_good")
    open_programme(p, w.users["committee_admin"])
    with pytest.raises(ValidationError, match="没有述职评议结果"):
        nominate(p, w.unit_a, w.users["unit_admin"], member=secretary)
    rated(w, 2025, {"good": 1, "average": 1})  # 80 → 较好, the year before
    rated(w, 2026, {"poor": 3}, close=False)  # this year's not closed yet: not used
    n = nominate(p, w.unit_a, w.users["unit_admin"], member=secretary)
    assert n.record["述职评议结果"] == "较好（2025）"


def test_a_closed_result_of_the_year_below_the_level_refuses():
    w = build_world()
    rated(w, 2025, {"good": 3})
    rated(w, 2026, {"average": 2})
    p = programme(w, name="优秀党务工作者", year=2026, appraisal_level="fairly_good")
    open_programme(p, w.users["committee_admin"])
    with pytest.raises(ValidationError, match="一般"):
        nominate(p, w.unit_a, w.users["unit_admin"], member=w.org_a.secretary)
    # without the requirement the same person may be put forward, and no result is shown
    q = programme(w, name="优秀共产党员", year=2026)
    open_programme(q, w.users["committee_admin"])
    n = nominate(q, w.unit_a, w.users["unit_admin"], member=w.org_a.secretary)
    assert "述职评议结果" not in n.record


def test_only_person_programmes_take_the_requirement_and_the_form_offers_it():
    w = build_world()
    with pytest.raises(ValidationError, match="个人评选"):
        programme(w, name="五星级示范党支部", kind="party_org", appraisal_level="good")
    form = ProgrammeForm(committee_id=w.committee.pk)
    assert "appraisal_level" in form.fields
    assert form.fields["appraisal_level"].label == "述职评议结果须达到"
