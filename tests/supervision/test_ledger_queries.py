"""Query counts of the ledger, 约谈 and yellow card pages do not grow with the rows, the board's
filters and sorting, its htmx partial, and the home-page warnings (two queries, any number).

Each page is requested once to warm up and once under CaptureQueriesContext; then more rows are
added (more units, items, reports with evidence, 约谈, cards, problem items) and the count must
be the same."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mofan.accounts.access import actor_for
from mofan.rectification.models import ProblemItem, ProblemSource
from mofan.rectification.services import problem_item_create
from mofan.supervision import ledger
from mofan.supervision.models import Escalation, LedgerItem, LedgerState
from mofan.supervision.selectors_ledger import home_warnings
from tests.factories import UnitFactory
from tests.supervision.ledger_world import (
    local_today,
    make_card,
    make_evidence,
    make_interview,
    make_item,
    make_org,
    world,
)
from tests.world import logged_in, persona

__all__ = ["world"]
pytestmark = pytest.mark.django_db


def _count(client, url, **headers):
    assert client.get(url, **headers).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def _add(w, units, per_unit):
    """Items with two reports (with evidence), a 约谈 and a yellow card with two problems."""
    for unit in units:
        reporter = persona("unit_admin", unit_a=unit)
        for _ in range(per_unit):
            item = make_item(w, unit)
            for percent in (20, 60):
                ledger.progress_report_add(
                    item=item,
                    actor=actor_for(reporter),
                    text="进展",
                    percent=percent,
                    evidence=[make_evidence(unit, reporter)],
                )
        make_interview(w, unit)
        make_card(w, make_org(unit), problems=["问题一", "问题二"])


def _more_problems(w, card, n):
    """Test set-up: further items on a card's list, made the way `yellow_card_issue` makes them."""
    for i in range(n):
        item = problem_item_create(
            unit=card.party_org.unit,
            source=ProblemSource.YELLOW_CARD,
            description=f"追加问题{i}",
            deadline=local_today() + datetime.timedelta(days=30),
            actor=w.admin,
            party_org=card.party_org,
        )
        ProblemItem.objects.filter(pk=item.pk).update(
            origin_type=ledger.YELLOW_CARD_ORIGIN, origin_id=card.pk
        )


def _same(first, second):
    assert first[0] == second[0], "\n".join(["small:", *first[1], "", "larger:", *second[1]])


def test_committee_pages_do_not_grow_with_rows(world):
    w = world
    _add(w, [w.a], 1)
    client = logged_in(w.users["committee_admin"])
    urls = [
        reverse("supervision:ledger_board"),
        reverse("supervision:ledger_board") + "?state=all&sort=escalation&overdue=&unit=单位",
        reverse("supervision:interview_list"),
        reverse("supervision:yellow_card_list") + "?show=all",
    ]
    small = [_count(client, url) for url in urls]
    small.append(_count(client, reverse("supervision:ledger_board"), HTTP_HX_REQUEST="true"))
    _add(w, [w.b, *(UnitFactory(committee=w.committee) for _ in range(6))], 4)
    assert LedgerItem.objects.count() == 29
    larger = [_count(client, url) for url in urls]
    larger.append(_count(client, reverse("supervision:ledger_board"), HTTP_HX_REQUEST="true"))
    for first, second in zip(small, larger, strict=True):
        _same(first, second)


def test_unit_pages_do_not_grow_with_rows(world):
    w = world
    _add(w, [w.a], 1)
    client = logged_in(w.users["a_admin"])
    item = LedgerItem.objects.filter(unit=w.a).first()
    card = w.a.party_orgs.first().yellow_cards.first()
    urls = [
        reverse("supervision:ledger_unit"),
        reverse("supervision:interview_list"),
        reverse("supervision:yellow_card_list"),
        reverse("supervision:ledger_detail", args=[item.pk]),
        reverse("supervision:yellow_card_detail", args=[card.pk]),
        reverse("organizations:unit_detail", args=[w.a.pk]),
    ]
    small = [_count(client, url) for url in urls]
    _add(w, [w.a], 8)
    reporter = w.users["a_admin"]
    for _ in range(6):
        ledger.progress_report_add(
            item=item,
            actor=w.actor("a_admin"),
            text="又一次进展",
            percent=80,
            evidence=[make_evidence(w.a, reporter), make_evidence(w.a, reporter)],
        )
    _more_problems(w, card, 6)
    for n in range(6):
        make_org(w.a, f"新支部{n}")
    larger = [_count(client, url) for url in urls]
    for first, second in zip(small, larger, strict=True):
        _same(first, second)


def test_home_warnings_take_two_queries_whatever_their_number(world):
    w = world
    deadline = local_today() + datetime.timedelta(days=2)
    first = make_item(w, w.a, deadline=deadline)
    make_card(w, make_org(w.a))
    LedgerItem.objects.filter(pk=first.pk).update(escalation=Escalation.WARNED)
    actor = w.actor("a_leader")
    with CaptureQueriesContext(connection) as small:
        assert len(home_warnings(actor)) == 2
    for _ in range(5):
        make_item(w, w.a, deadline=deadline)
        make_card(w, make_org(w.a))
    LedgerItem.objects.filter(unit=w.a).update(escalation=Escalation.INTERVIEW)
    with CaptureQueriesContext(connection) as larger:
        warnings = home_warnings(actor)
    assert len(warnings) == 12 and len(small) == len(larger) == 2
    html = render_to_string("supervision/_home_warnings.html", {"panel": {"warnings": warnings}})
    assert html.count("<article>") == 12 and "督办预警" in html and "黄牌警示" in html
    empty = {"panel": {"warnings": []}}
    assert render_to_string("supervision/_home_warnings.html", empty).strip() == ""


def test_board_filters_and_sorting(world):
    w = world
    late = make_item(w, w.a, task="逾期的任务", deadline=local_today() + datetime.timedelta(days=1))
    soon = make_item(w, w.b, task="将到期任务", deadline=local_today() + datetime.timedelta(days=5))
    done = make_item(w, w.b, task="已办结任务", deadline=local_today() + datetime.timedelta(days=9))
    ledger.ledger_item_transition(item=done, to=LedgerState.DONE, actor=w.admin, note="完成")
    LedgerItem.objects.filter(pk=late.pk).update(
        deadline=local_today() - datetime.timedelta(days=9), escalation=Escalation.WARNED
    )
    client = logged_in(w.users["committee_leader"])
    url = reverse("supervision:ledger_board")

    def tasks(**params):
        page = client.get(url, params).context["page"]
        return [item.task for item in page]

    assert tasks() == ["逾期的任务", "将到期任务"]
    assert tasks(state="all", sort="-deadline") == ["已办结任务", "将到期任务", "逾期的任务"]
    assert tasks(state="done") == ["已办结任务"]
    assert tasks(unit="乙") == ["将到期任务"]
    assert tasks(escalation=Escalation.WARNED) == ["逾期的任务"]
    assert tasks(overdue="1", state="all") == ["逾期的任务"]
    assert tasks(state="bogus", escalation="x", sort="nonsense") == ["逾期的任务", "将到期任务"]
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "逾期的任务" in partial and "<html" not in partial
    assert soon.pk  # listed above
