"""Correcting a recorded spot-check visit (issue 14 point 11): whoever may record the visit (the
draw's inspectors, the committee admin) corrects its date and findings with a reason; audited
before and after; the record shows it was corrected; nobody else can."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.audit.models import AuditEntry
from mofan.notifications.models import Notice
from mofan.rectification.models import ProblemItem
from mofan.supervision.models import SpotCheckVisit
from mofan.supervision.spotcheck import spot_check_visit_correct
from tests.supervision.spotcheck_world import build
from tests.supervision.test_spotcheck_views import SECRET_FINDING, Scene
from tests.world import logged_in

pytestmark = pytest.mark.django_db

REASON = "检查日期录错，补充检查情况"
CORRECTED = "党员活动室长期锁门，台账缺失"


@pytest.fixture
def s() -> Scene:
    return Scene(build())


def correct(visit: SpotCheckVisit, user, **kw) -> SpotCheckVisit:
    kw.setdefault("visited_on", visit.visited_on)
    kw.setdefault("findings", CORRECTED)
    kw.setdefault("reason", REASON)
    kw.setdefault("expected_version", visit.version)
    return spot_check_visit_correct(visit=visit, actor=actor_for(user), **kw)


def test_the_inspector_corrects_date_and_findings_with_a_reason_audited(s):
    visit, items_before = s.visit, list(ProblemItem.objects.order_by("pk").values())
    later = visit.visited_on + dt.timedelta(days=2)
    saved = correct(visit, s.inspector, visited_on=later, today=later)
    assert saved.findings == CORRECTED and saved.visited_on == later
    assert saved.corrections == 1 and saved.version == 2 and saved.corrected_at
    assert saved.corrected_by == s.inspector and saved.correction_reason == REASON
    entry = AuditEntry.objects.get(action="spotcheck.visit_correct", object_id=str(visit.pk))
    assert entry.data["before"] == {
        "visited_on": visit.visited_on.isoformat(),
        "findings": SECRET_FINDING,
    }
    assert entry.data["after"]["findings"] == CORRECTED
    assert entry.data["after"]["visited_on"] == later.isoformat()
    assert entry.data["after"]["reason"] == REASON
    told = Notice.objects.filter(kind="spotcheck.visit_correct")
    recorded = Notice.objects.filter(kind="spotcheck.visit", url__endswith=f"/{visit.pk}/")
    expected = set(recorded.values_list("recipient_id", flat=True))
    assert s.unit_user("admin", s.visited_unit).pk in expected  # the unit's admin and leader
    assert set(told.values_list("recipient_id", flat=True)) == expected
    # the problems already listed keep their own life
    assert list(ProblemItem.objects.order_by("pk").values()) == items_before
    # the committee admin may correct again; the count grows
    again = correct(saved, s.w.users["committee_admin"], findings="第二次更正", today=later)
    assert again.corrections == 2 and again.version == 3


def test_nobody_else_corrects_and_bad_corrections_are_refused(s):
    visit = s.visit
    others = [
        s.bystander,
        s.w.users["committee_leader"],
        s.w.users["other_admin"],
        s.unit_user("admin", s.visited_unit),
    ]
    for user in others:
        with pytest.raises(PermissionDenied):
            correct(visit, user)
    today = timezone.localdate()
    refusals = {
        "更正理由": {"reason": " "},
        "无需更正": {"findings": SECRET_FINDING},
        "晚于今天": {"visited_on": today + dt.timedelta(days=1)},
        "早于抽取日期": {"visited_on": today - dt.timedelta(days=1)},
        "已被他人更正": {"expected_version": 5},
        "检查情况": {"findings": "  "},
    }
    for message, change in refusals.items():
        with pytest.raises(ValidationError, match=message):
            correct(visit, s.inspector, **change)
    visit.refresh_from_db()
    assert visit.findings == SECRET_FINDING and visit.corrections == 0 and visit.version == 1
    assert not AuditEntry.objects.filter(action="spotcheck.visit_correct").exists()


def test_the_pages_offer_correction_to_those_who_may_and_show_it_was_corrected(s):
    visit = s.visit
    detail = reverse("supervision:spotcheck_visit_detail", args=[visit.pk])
    url = reverse("supervision:spotcheck_visit_correct", args=[visit.pk])
    for user in (s.inspector, s.w.users["committee_admin"]):
        assert url in logged_in(user).get(detail).content.decode()
        assert logged_in(user).get(url).status_code == 200
    unit_admin = logged_in(s.unit_user("admin", s.visited_unit))
    leader = logged_in(s.w.users["committee_leader"])
    for client in (unit_admin, leader):
        assert url not in client.get(detail).content.decode()
        assert client.get(url).status_code == 403
    assert logged_in(s.bystander).get(url).status_code == 404
    assert logged_in(s.w.users["other_admin"]).get(url).status_code == 404
    data = {"visited_on": visit.visited_on.isoformat(), "findings": CORRECTED, "version": 1}
    page = logged_in(s.inspector).post(url, {**data, "reason": ""})
    assert page.status_code == 200 and "更正理由" in page.content.decode()
    response = logged_in(s.inspector).post(url, {**data, "reason": REASON})
    assert response.status_code == 302
    shown = unit_admin.get(detail).content.decode()
    assert "本记录已更正 1 次" in shown and REASON in shown and CORRECTED in shown
    stale = logged_in(s.w.users["committee_admin"]).post(url, {**data, "reason": "再改"})
    assert "已被他人更正" in stale.content.decode()
