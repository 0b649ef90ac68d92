"""The problem-list pages at work: the board's counts, filters, sorting and pages; the unit's
list; the item page offering each viewer exactly the steps open to it; the whole life driven
through the pages (with an evidence upload); the two forms that create items; the home page."""

# ruff: noqa: F811

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mofan.evidence.models import Evidence
from mofan.rectification.models import ProblemItem, ProblemSource, ProblemState
from tests.evaluations.evidence_fixtures import make_pdf
from tests.home.panels import committee_panel
from tests.rectification.item_fixtures import (
    DEADLINE,
    PAST,
    make_evidence,
    make_item,
    people,  # noqa: F401
    walk,
)

pytestmark = pytest.mark.django_db
S = ProblemState
BOARD = "rectification:item_board"


def rows(response) -> list[int]:
    """The item ids of the table, in order."""
    return [int(pk) for pk in re.findall(r'data-item="(\d+)"', response.content.decode())]


def test_the_board_counts_filters_and_sorts(people):
    today = timezone.localdate()
    late = make_item(people, description="逾期的问题", deadline=PAST, severity="serious")
    soon = make_item(people, people.unit_b, description="乙的问题", deadline=today)
    later = make_item(
        people, description="自查的问题", deadline=DEADLINE, source=ProblemSource.PEER
    )
    done = walk(
        people,
        make_item(people, description="已销号", deadline=PAST),
        "submit_measures",
        "accept_measures",
        "report_done",
        "verify",
    )
    walk(people, soon, "submit_measures")
    make_item(people, people.unit_x, description="外工委的问题", deadline=PAST)
    client = people.client("admin")
    url = reverse(BOARD)

    response = client.get(url)
    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["total"], counts["unclosed"], counts["overdue"]) == (4, 3, 1)
    assert counts["open"] == 2 and counts["measures_submitted"] == 1 and counts["closed"] == 1
    assert rows(response) == [late.pk, done.pk, soon.pk, later.pk]  # by deadline, then age
    body = response.content.decode()
    assert "外工委的问题" not in body
    assert [u["unit__name"] for u in response.context["worst_units"]] == ["甲单位"]

    def ids(**params):
        return rows(client.get(url, params))

    assert ids(state="open") == [late.pk, later.pk]
    assert ids(state="unclosed") == [late.pk, soon.pk, later.pk]
    assert ids(state="closed") == [done.pk]
    assert ids(overdue="on") == [late.pk]
    assert ids(q="乙") == [soon.pk]
    assert ids(source="peer") == [later.pk]
    assert ids(severity="serious") == [late.pk]
    assert ids(sort="-deadline") == [later.pk, soon.pk, done.pk, late.pk]
    assert ids(sort="age") == [late.pk, soon.pk, later.pk, done.pk]
    assert ids(sort="state") == [late.pk, later.pk, soon.pk, done.pk]
    assert ids(sort="unit")[-1] == soon.pk
    # nonsense filters are ignored, not errors
    assert len(ids(state="nonsense", sort="nonsense", campaign="x", page="999")) == 4
    # htmx: only the table
    partial = client.get(url, {"state": "open"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and rows(partial) == [late.pk, later.pk]


def test_the_board_pages_by_fifty(people):
    for n in range(55):
        make_item(people, description=f"问题{n}")
    client = people.client("committee_leader")
    first = client.get(reverse(BOARD))
    second = client.get(reverse(BOARD), {"page": 2})
    assert len(rows(first)) == 50 and len(rows(second)) == 5
    assert not set(rows(first)) & set(rows(second))
    assert "第 1 / 2 页，共 55 项" in first.content.decode()
    # the committee leader reads but is offered no action
    assert reverse("rectification:item_new") not in first.content.decode()
    assert first.context["findings"] is None


def test_the_unit_list_shows_the_units_own_items_with_deadlines(people):
    mine = make_item(people, description="甲的逾期问题", deadline=PAST)
    other = make_item(people, description="甲的问题二", deadline=DEADLINE)
    make_item(people, people.unit_b, description="乙的问题")
    client = people.client("unit_leader")
    response = client.get(reverse("rectification:unit_items"))
    assert rows(response) == [mine.pk, other.pk]
    body = response.content.decode()
    assert "乙的问题" not in body and "逾期" in body and "2020-01-31" in body
    assert response.context["counts"]["overdue"] == 1
    assert rows(client.get(reverse("rectification:unit_items"), {"overdue": "on"})) == [mine.pk]
    # the leader reads; only the admin lists its own problems
    assert reverse("rectification:unit_item_new") not in body
    owner_page = people.client("owner").get(reverse("rectification:unit_items"))
    assert reverse("rectification:unit_item_new") in owner_page.content.decode()


def action_names(response) -> list[str]:
    return re.findall(r'name="action" value="(\w+)"', response.content.decode())


def test_the_item_page_offers_each_viewer_its_own_steps(people):
    item = make_item(people)
    url = reverse("rectification:item_detail", args=[item.pk])
    expected = {
        S.OPEN: {"owner": ["submit_measures"], "unit_leader": ["submit_measures"], "admin": []},
        S.MEASURES_SUBMITTED: {
            "owner": [],
            "admin": ["accept_measures", "return_measures"],
            "committee_leader": [],
        },
        S.IN_PROGRESS: {"owner": ["report_done"], "admin": []},
        S.REPORTED_DONE: {"owner": [], "admin": ["verify", "reopen"]},
        S.CLOSED: {"owner": [], "admin": []},
    }
    steps = ["submit_measures", "accept_measures", "report_done", "verify"]
    for index, (state, by_persona) in enumerate(expected.items()):
        current = ProblemItem.objects.get(pk=item.pk)
        assert current.state == state
        for persona, actions in by_persona.items():
            response = people.client(persona).get(url)
            assert action_names(response) == actions, (state, persona)
            body = response.content.decode()
            may_adjust = persona == "admin" and state != S.CLOSED
            assert (reverse("rectification:item_edit", args=[item.pk]) in body) == may_adjust
        if index < len(steps):
            walk(people, current, steps[index])


def test_the_whole_life_through_the_pages(people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    item = make_item(people, description="组织生活会记录不全")
    act = reverse("rectification:item_act", args=[item.pk])
    detail = reverse("rectification:item_detail", args=[item.pk])
    owner, admin = people.client("owner"), people.client("admin")
    old_file = make_evidence(people.unit_a, people.user("owner"), "此前的材料.pdf")

    def post(client, **data):
        current = ProblemItem.objects.get(pk=item.pk)
        return client.post(act, {"version": current.version, **data})

    # measures: required; then submitted
    response = post(owner, action="submit_measures", measures="")
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    assert post(owner, action="submit_measures", measures="每月召开组织生活会")["Location"] == (
        detail
    )
    # returning needs a reason
    response = post(admin, action="return_measures", reason="")
    assert response.status_code == 200
    assert ProblemItem.objects.get(pk=item.pk).state == S.MEASURES_SUBMITTED
    post(admin, action="return_measures", reason="措施不具体")
    assert "措施不具体" in owner.get(detail).content.decode()
    post(owner, action="submit_measures", measures="每月召开组织生活会，专人记录")
    post(admin, action="accept_measures")
    # the unit reports done with a new upload and a file from its store
    upload = SimpleUploadedFile("整改情况报告.pdf", make_pdf(b"% report\n"), "application/pdf")
    response = post(
        owner,
        action="report_done",
        report="已补齐全部记录",
        evidence=[old_file.pk],
        file=upload,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    current = ProblemItem.objects.get(pk=item.pk)
    assert current.state == S.REPORTED_DONE
    new_file = Evidence.objects.get(original_name="整改情况报告.pdf")
    assert new_file.unit_id == people.unit_a.pk
    assert set(current.evidence.all()) == {old_file, new_file}
    page = admin.get(detail).content.decode()
    download = reverse("evidence:download", args=[new_file.pk])
    assert download in page and "整改情况报告.pdf" in page
    assert admin.get(download).status_code == 200
    # reopened, reported again, verified
    post(admin, action="reopen", reason="还缺二月记录")
    post(owner, action="report_done", report="二月记录已补", evidence=[new_file.pk])
    response = post(admin, action="verify", reason="验收合格")
    assert response.status_code == 302
    current = ProblemItem.objects.get(pk=item.pk)
    assert current.state == S.CLOSED and list(current.evidence.all()) == [new_file]
    page = owner.get(detail).content.decode()
    assert "已销号" in page and "验收合格" in page and "还缺二月记录" in page
    assert action_names(owner.get(detail)) == []


def test_a_page_left_open_too_long_is_refused(people):
    item = make_item(people)
    act = reverse("rectification:item_act", args=[item.pk])
    shown = item.version
    walk(people, item, "submit_measures", "return_measures")
    response = people.client("unit_leader").post(
        act, {"action": "submit_measures", "version": shown, "measures": "旧页面的措施"}
    )
    assert response.status_code == 200
    assert "请刷新后重试" in response.content.decode()
    assert ProblemItem.objects.get(pk=item.pk).measures != "旧页面的措施"
    # the item moved on to a state where the form is gone: the refusal is a message
    walk(people, item, "submit_measures", "accept_measures")
    stale = {"action": "submit_measures", "version": shown, "measures": "旧页面的措施"}
    response = people.client("owner").post(act, stale, follow=True)
    assert "请刷新后重试" in response.content.decode()
    assert ProblemItem.objects.get(pk=item.pk).state == S.IN_PROGRESS


def test_the_committee_adjusts_a_deadline_on_the_page(people):
    item = make_item(people, deadline=PAST)
    client = people.client("admin")
    response = client.post(
        reverse("rectification:item_edit", args=[item.pk]),
        {
            "version": item.version,
            "deadline": "2031-01-15",
            "severity": "critical",
            "reason": "延期",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.deadline == datetime.date(2031, 1, 15) and item.severity == "critical"
    page = client.get(reverse("rectification:item_detail", args=[item.pk])).content.decode()
    assert "整改时限调整为 2031-01-15" in page


def test_the_committee_lists_its_own_problem_with_an_indicator(people):
    from mofan.campaigns.models import Campaign, CampaignStatus
    from tests.evaluations.campaign_fixtures import small_version

    version = small_version()
    campaign = Campaign.objects.create(
        committee=people.committee,
        name="2030年度创建",
        year=2030,
        indicator_version=version,
        status=CampaignStatus.ACTIVE,
    )
    client = people.client("admin")
    url = reverse("rectification:item_new")
    data = {
        "unit": people.unit_b.pk,
        "source": "spot_check",
        "campaign": campaign.pk,
        "node_code": "9.9",
        "description": "抽查发现学习记录缺失",
        "severity": "serious",
        "required_measures": "补齐",
        "responsible_person": "李四",
        "deadline": "2031-05-01",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "没有这个指标编号" in response.content.decode()
    response = client.post(url, {**data, "node_code": "1.2"})
    item = ProblemItem.objects.get()
    assert response["Location"] == reverse("rectification:item_detail", args=[item.pk])
    assert (item.unit, item.source, item.node.code, item.campaign) == (
        people.unit_b,
        "spot_check",
        "1.2",
        campaign,
    )
    # a committee form offers no unit-only or automatic sources
    response = client.post(url, {**data, "source": "result", "node_code": ""})
    assert response.status_code == 200 and ProblemItem.objects.count() == 1


def test_a_unit_lists_its_own_self_check(people):
    client = people.client("owner")
    response = client.post(
        reverse("rectification:unit_item_new"),
        {
            "unit": people.unit_a.pk,
            "source": "self_check",
            "description": "自查：学习笔记不全",
            "severity": "general",
            "deadline": "2031-02-01",
        },
    )
    assert response.status_code == 302
    item = ProblemItem.objects.get()
    assert (item.unit, item.source, item.created_by) == (
        people.unit_a,
        "self_check",
        people.user("owner"),
    )
    response = client.post(
        reverse("rectification:unit_item_new"),
        {
            "unit": people.unit_a.pk,
            "source": "committee_check",
            "description": "x",
            "severity": "general",
            "deadline": "2031-02-01",
        },
    )
    assert response.status_code == 200 and ProblemItem.objects.count() == 1


def test_the_home_pages_show_the_lists(people):
    late = make_item(people, description="甲的逾期问题", deadline=PAST)
    make_item(people, description="甲的问题二")
    walk(
        people,
        make_item(people, description="甲已销号"),
        "submit_measures",
        "accept_measures",
        "report_done",
        "verify",
    )
    make_item(people, people.unit_b, description="乙的问题")
    home = reverse("home:home")
    for persona in ("owner", "unit_leader"):
        body = people.client(persona).get(home).content.decode()
        assert "甲的逾期问题" in body and "甲的问题二" in body, persona
        assert "甲已销号" not in body and "乙的问题" not in body
        assert "1 项逾期" in body
        assert reverse("rectification:item_detail", args=[late.pk]) in body
    body = people.client("member").get(home).content.decode()
    assert "甲的逾期问题" not in body and "问题清单" not in body
    response = people.client("admin").get(home)
    assert committee_panel(response, "rectification")["counts"] == {
        "open": 3,
        "overdue": 1,
        "reported": 0,
        "measures": 0,
    }
    assert reverse(BOARD) in response.content.decode()
    other = people.client("other_admin").get(home)
    assert committee_panel(other, "rectification")["counts"]["open"] == 0


def test_the_unit_home_shows_the_first_ten_and_counts_all(people):
    for n in range(12):
        make_item(people, description=f"甲问题{n:02d}", deadline=PAST if n < 3 else DEADLINE)
    body = people.client("owner").get(reverse("home:home")).content.decode()
    assert "未销号 12 项" in body and "3 项逾期" in body
    shown = re.findall(r"甲问题(\d\d)", body)
    assert shown == [f"{n:02d}" for n in range(10)]
