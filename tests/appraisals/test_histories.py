"""述职评议 results over the years at the foot of the unit and roster-member pages.

The data that could leak is made first (unit B's result, another committee's result, this
year's round still in progress); then each page shows exactly the subject's frozen results to
the people allowed, newest first, in a number of queries that does not grow with the years."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.accounts.access import actor_for
from mofan.appraisals import services
from tests.appraisals.world import YEAR, build_world, closed_round, new_round, step, submit
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def scene():
    w = build_world()
    closed_round(
        w, year=YEAR - 2, ballots={w.unit_a: {"average": 3}, w.unit_b: {"poor": 2, "good": 1}}
    )
    closed_round(w, year=YEAR - 1, ballots={w.unit_a: {"good": 5, "fairly_good": 1}})
    closed_round(w, year=YEAR - 1, ballots={}, other=True)
    current = step(new_round(w), "open", w.users["committee_admin"])
    submit(current.appraisals.get(unit=w.unit_a), w.users["unit_admin"], report="今年述职")
    return w


def page(user: Any, url: str) -> tuple[int, str]:
    response = logged_in(user).get(url)
    return response.status_code, response.content.decode() if response.status_code == 200 else ""


def history(body: str) -> str:
    start = body.find('id="appraisal-history"')
    return body[start : body.find("</section>", start)] if start >= 0 else ""


def test_unit_and_person_histories_show_only_their_own_frozen_results():
    w = scene()
    unit_page = f"/org/units/{w.unit_a.pk}/"
    for who in ("committee_admin", "committee_leader", "unit_admin", "unit_leader"):
        status, body = page(w.users[who], unit_page)
        section = history(body)
        assert status == 200 and section, who
        assert str(YEAR - 1) in section and str(YEAR - 2) in section
        assert str(YEAR) + "</td>" not in section  # this year's round is not closed
        assert section.index(str(YEAR - 1)) < section.index(str(YEAR - 2))  # newest first
        assert "书面述职" in section and "甲书记" in section
        assert "5 / 1 / 0 / 0" in section and "0 / 0 / 3 / 0" in section
        assert "乙书记" not in section and "外书记" not in section
    status, body = page(w.users["member"], unit_page)
    assert not history(body)  # a 党员 does not read the unit's appraisals
    for who in ("outsider", "other_admin"):
        assert page(w.users[who], unit_page)[0] == 404

    status, body = page(w.users["committee_admin"], f"/org/members/{w.secretary_a.pk}/edit/")
    section = history(body)
    assert status == 200 and "甲单位" in section and "好" in section and "乙书记" not in section
    status, body = page(w.users["outsider"], f"/org/members/{w.secretary_b.pk}/edit/")
    section = history(body)
    assert status == 200 and "差" in section and "甲书记" not in section


def test_a_person_who_left_the_roll_stays_in_the_units_history():
    w = scene()
    w.secretary_a.delete()
    status, body = page(w.users["unit_admin"], f"/org/units/{w.unit_a.pk}/")
    assert status == 200 and "甲书记" in history(body)


def test_history_queries_do_not_grow_with_the_years():
    w = scene()
    client = logged_in(w.users["committee_admin"])
    urls = [f"/org/units/{w.unit_a.pk}/", f"/org/members/{w.secretary_a.pk}/edit/"]

    def counts() -> list[int]:
        found = []
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    before = counts()
    closed_round(w, year=YEAR - 3, ballots={})
    closed_round(w, year=YEAR - 4, ballots={})
    assert counts() == before
    services.round_panel_set(  # a write on the current round changes nothing shown
        round=new_round(w, year=YEAR + 1), usernames=[], actor=actor_for(w.users["committee_admin"])
    )
    assert counts() == before
