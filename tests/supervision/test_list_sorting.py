"""Column sorting of the supervision lists (`?sort=` with `mofan.core.sorting`): the unit's ledger
list, 约谈 records, yellow cards, spot-check draws (the list and the inspector's own) and
bulletins. For each: the exact order of the rows for each key and its reverse, the default for an
unknown key, the sort kept by the pager (and the filters by the header links), the same query
count at a larger size, and scoping unchanged — another committee's and another unit's rows,
created first, never appear whatever the sort.

Units A and B of the committee have the official order B (10), A (20), unlike their ids, so a
unit sort cannot pass by accident."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.campaigns.models import Campaign, CampaignStatus
from mofan.organizations.models import Committee, Unit
from mofan.supervision import ledger, views_bulletins, views_ledger, views_spotcheck
from mofan.supervision.models import (
    BulletinKind,
    BulletinState,
    LedgerState,
    SpotCheckDraw,
    VisitMode,
)
from tests.evaluations.campaign_fixtures import small_version
from tests.factories import UnitFactory
from tests.supervision.bulletin_fixtures import bulletin
from tests.supervision.ledger_world import (
    World,
    local_today,
    make_item,
    make_org,
    world,
)
from tests.world import logged_in, persona

__all__ = ["world"]
pytestmark = pytest.mark.django_db

OTHER = "外工委排序标记"  # in every row of the other committee
OTHER_UNIT_B = "乙单位"  # unit B's name: must not show on unit A's pages


def days(n: int) -> dt.date:
    return local_today() + dt.timedelta(days=n)


def moment(n: int, hour: int = 12) -> dt.datetime:
    day = days(n)
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def campaign(committee: Committee, year: int, version: Any) -> Campaign:
    return Campaign.objects.create(
        committee=committee,
        name=f"{committee.code}-{year}年度创建",
        year=year,
        indicator_version=version,
        status=CampaignStatus.ACTIVE,
    )


def draw(w: World, committee: Committee, camp: Campaign, unit: Unit, *, title: str, **kw: Any):
    """A recorded draw, written directly (test set-up: the list reads only what is stored)."""
    made = SpotCheckDraw.objects.create(
        committee=committee,
        campaign=camp,
        title=title,
        seed=f"seed-{title}",
        inputs={"mode": kw.get("mode", VisitMode.ANNOUNCED)},
        result={"units": [unit.pk], "inspectors": [kw["inspector"].pk]},
        created_by=kw["by"],
    )
    SpotCheckDraw.objects.filter(pk=made.pk).update(created_at=kw["created"])
    return made


@dataclass
class Scene:
    w: World
    rows: dict[str, int] = field(default_factory=dict)
    campaigns: dict[int, Campaign] = field(default_factory=dict)

    def pks(self, *names: str) -> list[int]:
        return [self.rows[n] for n in names]


def build_scene(w: World) -> Scene:
    s = Scene(w)
    version = small_version("sort-sup")
    admin_user, other_admin = w.users["committee_admin"], w.users["other_admin"]
    other_reviewer = persona("reviewer", committee=w.other)
    # --- the leaking data first: the other committee's rows, and unit B's ------------------------
    other_campaign = campaign(w.other, 2020, version)
    make_item(w, w.c, task=f"{OTHER}督办", deadline=days(1))
    ledger.interview_create(
        unit=w.c,
        interviewer=OTHER,
        interviewee="某",
        held_on=days(0),
        points=OTHER,
        actor=w.actor("other_admin"),
    )
    ledger.yellow_card_issue(
        party_org=make_org(w.c, f"{OTHER}支部"), reasons=OTHER, actor=w.actor("other_admin")
    )
    draw(
        w,
        w.other,
        other_campaign,
        w.c,
        title=f"{OTHER}抽查",
        inspector=other_reviewer,
        by=other_admin,
        created=moment(0),
    )
    s.rows["other_bulletin"] = bulletin(w.other, f"{OTHER}通报", state=BulletinState.PUBLISHED).pk
    Unit.objects.filter(pk=w.b.pk).update(sort_order=10)
    Unit.objects.filter(pk=w.a.pk).update(sort_order=20)
    make_item(w, w.b, task="乙单位的督办", deadline=days(2))
    # --- unit A's ledger items -----------------------------------------------------------------
    i1 = make_item(w, w.a, task="督办一", deadline=days(10))
    i2 = make_item(w, w.a, task="督办二", deadline=days(5))
    i3 = make_item(w, w.a, task="督办三", deadline=days(20))
    reporter = w.actor("a_admin")
    ledger.progress_report_add(item=i2, actor=reporter, text="进展", percent=10)
    ledger.progress_report_add(item=i3, actor=reporter, text="进展", percent=30)
    ledger.ledger_item_transition(item=i2, to=LedgerState.DONE, actor=w.admin, note="办结")
    s.rows.update(i1=i1.pk, i2=i2.pk, i3=i3.pk)
    # --- 约谈 ----------------------------------------------------------------------------------
    for name, unit, held, rectify in (
        ("v1", w.a, -10, 30),
        ("v2", w.b, -5, None),
        ("v3", w.a, -1, 10),
    ):
        s.rows[name] = ledger.interview_create(
            unit=unit,
            interviewer="工委副书记",
            interviewee=f"{unit.name}书记",
            held_on=days(held),
            rectify_by=days(rectify) if rectify is not None else None,
            points="问题",
            actor=w.admin,
        ).pk
    # --- yellow cards ----------------------------------------------------------------------------
    oa1, ob, oa2 = make_org(w.a, "甲一支部"), make_org(w.b, "乙支部"), make_org(w.a, "甲二支部")
    k1 = ledger.yellow_card_issue(party_org=oa1, reasons="理由", issued_on=days(-10), actor=w.admin)
    k2 = ledger.yellow_card_issue(party_org=ob, reasons="理由", issued_on=days(-30), actor=w.admin)
    k3 = ledger.yellow_card_issue(party_org=oa2, reasons="理由", issued_on=days(-20), actor=w.admin)
    ledger.yellow_card_lift(card=k1, lifted_on=days(-2), note="已整改", actor=w.admin)
    s.rows.update(k1=k1.pk, k2=k2.pk, k3=k3.pk)
    # --- spot-check draws (the committee's reviewer is the inspector of all three) --------------
    s.campaigns = {year: campaign(w.committee, year, version) for year in (2024, 2025)}
    reviewer = w.users["reviewer"]
    for name, year, created, mode in (
        ("d1", 2025, -3, VisitMode.ANNOUNCED),
        ("d2", 2024, -2, VisitMode.UNANNOUNCED),  # not yet published: hidden from the units
        ("d3", 2025, -1, VisitMode.ANNOUNCED),
    ):
        s.rows[name] = draw(
            w,
            w.committee,
            s.campaigns[year],
            w.b,
            title=f"抽查{name}",
            mode=mode,
            inspector=reviewer,
            by=admin_user,
            created=moment(created),
        ).pk
    # --- bulletins -------------------------------------------------------------------------------
    for name, kind, state, year, period, created, published in (
        ("b1", BulletinKind.AD_HOC, BulletinState.DRAFT, None, None, -3, None),
        ("b2", BulletinKind.MONTHLY, BulletinState.PUBLISHED, 2025, 2, -2, moment(-1, 13)),
        ("b3", BulletinKind.AD_HOC, BulletinState.PUBLISHED, 2024, 1, -1, moment(-1, 9)),
    ):
        made = bulletin(
            w.committee,
            f"通报{name}",
            state=state,
            kind=kind,
            campaign=s.campaigns[year] if year else None,
            period_start=dt.date(2026, period, 1) if period else None,
            period_end=dt.date(2026, period, 28) if period else None,
        )
        made.__class__.objects.filter(pk=made.pk).update(
            created_at=moment(created), published_at=published
        )
        s.rows[name] = made.pk
    return s


@pytest.fixture
def scene(world) -> Scene:
    return build_scene(world)


# What each list shows, to whom, and in which order for each key (None: no `sort`).
LISTS: dict[str, dict[str, Any]] = {
    "ledger_unit": {
        "persona": "a_admin",
        "params": {},
        "orders": {
            None: ("i1", "i3", "i2"),  # open first, then by deadline
            "deadline": ("i2", "i1", "i3"),
            "-deadline": ("i3", "i1", "i2"),
            "state": ("i1", "i3", "i2"),
            "-state": ("i2", "i3", "i1"),
            "progress": ("i1", "i2", "i3"),  # no report counts as 0 %
            "-progress": ("i3", "i2", "i1"),
        },
    },
    "interview_list": {
        "persona": "committee_admin",
        "params": {},
        "orders": {
            None: ("v3", "v2", "v1"),  # latest 约谈 first
            "held": ("v1", "v2", "v3"),
            "-held": ("v3", "v2", "v1"),
            "unit": ("v2", "v3", "v1"),  # B, then A with the latest first
            "-unit": ("v1", "v3", "v2"),
            "deadline": ("v3", "v1", "v2"),  # no 整改时限 last either way
            "-deadline": ("v1", "v3", "v2"),
        },
    },
    "yellow_card_list": {
        "persona": "committee_admin",
        "params": {"show": "all"},
        "orders": {
            None: ("k1", "k3", "k2"),  # latest card first
            "issued": ("k2", "k3", "k1"),
            "-issued": ("k1", "k3", "k2"),
            "unit": ("k2", "k1", "k3"),  # B, then A's organisations in their order
            "-unit": ("k3", "k1", "k2"),
            "state": ("k3", "k2", "k1"),  # active (latest first), then lifted
            "-state": ("k1", "k2", "k3"),
        },
    },
    "spotcheck_list": {
        "persona": "committee_admin",
        "params": {},
        "orders": {
            None: ("d3", "d2", "d1"),
            "created": ("d1", "d2", "d3"),
            "-created": ("d3", "d2", "d1"),
            "campaign": ("d2", "d3", "d1"),  # 2024, then 2025 newest first
            "-campaign": ("d1", "d3", "d2"),
        },
    },
    "spotcheck_mine": {
        "persona": "reviewer",
        "params": {},
        "orders": {
            None: ("d3", "d2", "d1"),
            "created": ("d1", "d2", "d3"),
            "-created": ("d3", "d2", "d1"),
            "campaign": ("d2", "d3", "d1"),
            "-campaign": ("d1", "d3", "d2"),
        },
    },
    "bulletin_list": {
        "persona": "committee_admin",
        "params": {},
        "orders": {
            None: ("b3", "b2", "b1"),  # newest first
            "created": ("b1", "b2", "b3"),
            "-created": ("b3", "b2", "b1"),
            "published": ("b3", "b2", "b1"),  # unpublished last either way
            "-published": ("b2", "b3", "b1"),
            "kind": ("b3", "b1", "b2"),  # 专项 (newest first), then 月度
            "-kind": ("b2", "b1", "b3"),
            "campaign": ("b3", "b2", "b1"),  # 2024, 2025, none last
            "-campaign": ("b2", "b3", "b1"),
            "period": ("b3", "b2", "b1"),
            "-period": ("b2", "b3", "b1"),
            "state": ("b1", "b3", "b2"),  # draft, then published newest first
            "-state": ("b2", "b3", "b1"),
        },
    },
}
CASES = [(name, key) for name, spec in LISTS.items() for key in spec["orders"]]
PAGE_SIZES = {
    "ledger_unit": (views_ledger, "PAGE_SIZE"),
    "interview_list": (views_ledger, "PAGE_SIZE"),
    "yellow_card_list": (views_ledger, "PAGE_SIZE"),
    "spotcheck_list": (views_spotcheck, "PER_PAGE"),
    "spotcheck_mine": (views_spotcheck, "PER_PAGE"),
    "bulletin_list": (views_bulletins, "PAGE_SIZE"),
}


def get(client: Client, name: str, params: dict[str, Any], **headers: Any):
    response = client.get(reverse(f"supervision:{name}"), params, **headers)
    assert response.status_code == 200, name
    return response


def listed(response) -> list[int]:
    return [obj.pk for obj in response.context["page"]]


@pytest.mark.parametrize(("name", "key"), CASES)
def test_each_sort_key_gives_its_exact_order(scene, name, key):
    spec = LISTS[name]
    params = dict(spec["params"], **({"sort": key} if key else {}))
    response = get(logged_in(scene.w.users[spec["persona"]]), name, params)
    assert listed(response) == scene.pks(*spec["orders"][key])


@pytest.mark.parametrize("name", list(LISTS))
@pytest.mark.parametrize("bad", ["bogus", "--held", "pk", "-unit__name"])
def test_an_unknown_key_gives_the_default_order(scene, name, bad):
    spec = LISTS[name]
    response = get(logged_in(scene.w.users[spec["persona"]]), name, dict(spec["params"], sort=bad))
    assert listed(response) == scene.pks(*spec["orders"][None])
    assert f"sort={bad}" not in response.content.decode()


def _next_link(body: str) -> str:
    match = re.search(r'href="(\?page=\d+[^"]*)">下一页', body)
    assert match, "no next-page link"
    return html.unescape(match.group(1))


@pytest.mark.parametrize(("name", "key"), [c for c in CASES if c[1] and c[1].startswith("-")])
def test_paging_keeps_the_sort_and_the_filters(scene, monkeypatch, name, key):
    module, attribute = PAGE_SIZES[name]
    monkeypatch.setattr(module, attribute, 2)
    spec = LISTS[name]
    client = logged_in(scene.w.users[spec["persona"]])
    first = get(client, name, dict(spec["params"], sort=key))
    nxt = _next_link(first.content.decode())
    assert f"sort={key}" in nxt
    for param, value in spec["params"].items():
        assert f"{param}={value}" in nxt
    second = client.get(reverse(f"supervision:{name}") + nxt)
    assert listed(first) + listed(second) == scene.pks(*spec["orders"][key])


def test_header_links_keep_the_filters_and_mark_the_sorted_column(scene):
    client = logged_in(scene.w.users["committee_admin"])
    body = get(client, "yellow_card_list", {"show": "all", "sort": "-issued"}).content.decode()
    assert '<th aria-sort="descending"><a href="?show=all&amp;sort=issued"' in body
    assert 'href="?show=all&amp;sort=unit"' in body
    # switching between active and all cards keeps the sort
    assert 'href="?show=active&amp;sort=-issued"' in body


def test_the_bulletin_partial_sorts_and_keeps_the_kind(scene):
    client = logged_in(scene.w.users["committee_admin"])
    params = {"kind": BulletinKind.AD_HOC, "sort": "-created"}
    response = get(client, "bulletin_list", params, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert listed(response) == scene.pks("b3", "b1")
    assert body.index("通报b3") < body.index("通报b1")
    # the header links inside the partial carry the filter
    assert 'href="?kind=ad_hoc&amp;sort=published"' in body
    full = get(client, "bulletin_list", params).content.decode()
    assert '<input type="hidden" name="sort" value="-created">' in full


def test_the_rows_are_rendered_in_the_sorted_order(scene):
    client = logged_in(scene.w.users["a_admin"])
    body = get(client, "ledger_unit", {"sort": "-deadline"}).content.decode()
    assert body.index("督办三") < body.index("督办一") < body.index("督办二")


# --- scoping -------------------------------------------------------------------------------------

# persona → list → what it sees (as a set: the order is tested above)
SCOPES: dict[str, dict[str, tuple[str, ...]]] = {
    "a_admin": {
        "ledger_unit": ("i1", "i2", "i3"),
        "interview_list": ("v1", "v3"),
        "yellow_card_list": ("k1", "k3"),
        "spotcheck_list": ("d1", "d3"),
        "bulletin_list": ("b2", "b3"),
    },
    "committee_leader": {
        "interview_list": ("v1", "v2", "v3"),
        "yellow_card_list": ("k1", "k2", "k3"),
        "spotcheck_list": ("d1", "d2", "d3"),
        "bulletin_list": ("b1", "b2", "b3"),
    },
    "reviewer": {"spotcheck_mine": ("d1", "d2", "d3"), "spotcheck_list": ("d1", "d2", "d3")},
}


@pytest.mark.parametrize("persona", list(SCOPES))
def test_scoping_is_unchanged_whatever_the_sort(scene, persona):
    client = logged_in(scene.w.users[persona])
    for name, expected in SCOPES[persona].items():
        spec = LISTS[name]
        for key in spec["orders"]:
            params = dict(spec["params"], **({"sort": key} if key else {}))
            response = get(client, name, params)
            assert sorted(listed(response)) == sorted(scene.pks(*expected)), (name, key)
            body = response.content.decode()
            assert OTHER not in body, (name, key)
            if persona == "a_admin" and name != "spotcheck_list":
                assert OTHER_UNIT_B not in body, (name, key)


def test_the_other_committee_sees_only_its_own_whatever_the_sort(scene):
    client = logged_in(scene.w.users["other_admin"])
    for name in ("interview_list", "yellow_card_list", "spotcheck_list", "bulletin_list"):
        for key in LISTS[name]["orders"]:
            params = {"sort": key, "show": "all"} if key else {"show": "all"}
            response = get(client, name, params)
            assert len(listed(response)) == 1, (name, key)
            body = response.content.decode()
            assert OTHER in body and "甲单位" not in body and "通报b" not in body, (name, key)
    assert scene.rows["other_bulletin"] in listed(get(client, "bulletin_list", {"sort": "kind"}))


# --- query counts ---------------------------------------------------------------------------------

PAGES = [
    ("a_admin", "ledger_unit", {"sort": "-progress"}),
    ("a_admin", "interview_list", {"sort": "deadline"}),
    ("committee_admin", "interview_list", {"sort": "-unit", "page": "2"}),
    ("committee_admin", "yellow_card_list", {"sort": "state", "show": "all"}),
    ("a_admin", "yellow_card_list", {"sort": "-unit"}),
    ("committee_admin", "spotcheck_list", {"sort": "campaign"}),
    ("a_admin", "spotcheck_list", {"sort": "-created"}),
    ("reviewer", "spotcheck_mine", {"sort": "-campaign"}),
    ("committee_admin", "bulletin_list", {"sort": "-published", "kind": "ad_hoc"}),
    ("a_admin", "bulletin_list", {"sort": "period"}),
]


def _count(client: Client, name: str, params: dict[str, Any]) -> tuple[int, list[str]]:
    get(client, name, params)
    with CaptureQueriesContext(connection) as queries:
        get(client, name, params)
    return len(queries), [q["sql"] for q in queries.captured_queries]


def _grow(scene: Scene, n: int) -> None:
    w = scene.w
    units = [UnitFactory(committee=w.committee, sort_order=i) for i in range(n)]
    reporter = w.actor("a_admin")
    for i, unit in enumerate(units):
        for where in (unit, w.a):
            item = make_item(w, where, deadline=days(i + 1))
            if where == w.a:
                ledger.progress_report_add(item=item, actor=reporter, text="进展", percent=i)
            ledger.interview_create(
                unit=where,
                interviewer="工委",
                interviewee="书记",
                held_on=days(-i),
                rectify_by=days(i) if i % 2 else None,
                points="问题",
                actor=w.admin,
            )
            ledger.yellow_card_issue(
                party_org=make_org(where), reasons="理由", issued_on=days(-i), actor=w.admin
            )
        draw(
            w,
            w.committee,
            scene.campaigns[2024 + i % 2],
            unit,
            title=f"更多抽查{i}",
            mode=VisitMode.ANNOUNCED if i % 2 else VisitMode.UNANNOUNCED,
            inspector=w.users["reviewer"],
            by=w.users["committee_admin"],
            created=moment(-i),
        )
        bulletin(
            w.committee,
            f"更多通报{i}",
            state=BulletinState.PUBLISHED if i % 2 else BulletinState.DRAFT,
            campaign=scene.campaigns[2024 + i % 2] if i % 3 else None,
            period_start=dt.date(2026, 1 + i % 12, 1) if i % 4 else None,
            period_end=dt.date(2026, 1 + i % 12, 28) if i % 4 else None,
        )


def test_sorted_pages_take_the_same_queries_at_a_larger_size(scene):
    clients = {p: logged_in(scene.w.users[p]) for p in {page[0] for page in PAGES}}
    small = [_count(clients[p], name, params) for p, name, params in PAGES]
    _grow(scene, 30)
    assert SpotCheckDraw.objects.filter(committee=scene.w.committee).count() == 33
    larger = [_count(clients[p], name, params) for p, name, params in PAGES]
    for page, (n_small, q_small), (n_large, q_large) in zip(PAGES, small, larger, strict=True):
        assert n_small == n_large, "\n".join(
            [str(page), "small:", *q_small, "", "larger:", *q_large]
        )
