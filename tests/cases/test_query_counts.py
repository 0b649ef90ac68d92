"""The pages of a call do not read more with more units: the committee's page with the ranking,
the expert's scoring list and the 优秀案例 list are flat in the number of cases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mofan.cases.models import CaseCall
from tests.cases.world import build_world, new_call, score_all, step, submitted
from tests.factories import UnitFactory, make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def grown(units: int):
    w = build_world(tag=str(units))
    admin = w.users["committee_admin"]
    call = step(new_call(w.committee, admin, quota=2), "open", admin)
    cases = {}
    for i in range(units):
        unit = UnitFactory(committee=w.committee, name=f"单位{units}-{i}")
        owner = make_user("unit_admin", unit=unit)
        cases[submitted(call, unit, owner, f"案例{i}")] = 50 + i
    call = step(call, "review", admin)
    from mofan.accounts.access import actor_for
    from mofan.cases import panel

    panel.panel_draw(call=call, size=len(w.pool), seed="q", actor=actor_for(admin))
    score_all(call, cases)
    panel.panel_close(call=call, actor=actor_for(admin))
    step(CaseCall.objects.get(pk=call.pk), "publish", admin)
    return w, call


def counts(units: int) -> list[int]:
    w, call = grown(units)
    admin = logged_in(w.users["committee_admin"])
    expert = logged_in(w.users["reviewer"])
    return [
        queries(admin, f"/cases/calls/{call.pk}/"),
        queries(expert, f"/cases/calls/{call.pk}/scoring/"),
        queries(admin, "/cases/excellent/"),
    ]


def test_the_pages_stay_flat():
    assert counts(2) == counts(6)
