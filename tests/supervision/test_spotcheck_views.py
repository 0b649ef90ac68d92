"""Spot-check pages: every view with three personas (owner, colleague, outsider) and the data that
must not leak created first; the 一公开 rules (announced draws at once, unannounced ones only when
every unit was visited; a visited unit sees its own visit); query counts that do not grow."""

from __future__ import annotations

import datetime
import html
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import User
from mofan.rectification.models import ProblemItem
from mofan.supervision.models import SpotCheckDraw, SpotCheckVisit, VisitMode
from mofan.supervision.spotcheck import spot_check_draw_record, spot_check_visit_record
from tests.supervision.spotcheck_world import SpotWorld, build
from tests.world import logged_in

pytestmark = pytest.mark.django_db

HIDDEN_SEED = "hiddenSeed0001"
OPEN_SEED = "openSeed0002"
OTHER_SEED = "otherSeed0003"
SECRET_FINDING = "暗访发现党员活动室长期锁门"
OTHER_FINDING = "外工委的检查记录"


class Scene:
    """One committee with an unannounced draw in progress (one unit visited, with problems) and
    an announced draw; another committee with its own draw and visit."""

    def __init__(self, w: SpotWorld):
        self.w = w
        today = timezone.localdate()
        self.hidden = spot_check_draw_record(
            campaign=w.campaign,
            units=3,
            inspectors=2,
            seed=HIDDEN_SEED,
            mode=VisitMode.UNANNOUNCED,
            title="暗访第一批",
            actor=w.admin,
        )
        self.open = spot_check_draw_record(
            campaign=w.campaign,
            units=2,
            inspectors=1,
            seed=OPEN_SEED,
            mode=VisitMode.ANNOUNCED,
            title="明察第一批",
            actor=w.admin,
        )
        self.index = {u.pk: i for i, u in enumerate(w.units)}
        self.visited_unit = self.hidden.result["units"][0]
        self.unvisited_unit = self.hidden.result["units"][1]
        self.inspector = User.objects.get(pk=self.hidden.result["inspectors"][0])
        self.visit, self.items = spot_check_visit_record(
            draw=self.hidden,
            unit=self.unit(self.visited_unit),
            mode=VisitMode.UNANNOUNCED,
            visited_on=today,
            findings=SECRET_FINDING,
            problems="1.1：学习记录缺失",
            actor=actor_for(self.inspector),
        )
        # A reviewer of the committee drawn in neither draw, belonging to no unit.
        drawn = set(self.hidden.result["inspectors"]) | set(self.open.result["inspectors"])
        self.bystander = next(r for r in w.reviewers[2:] if r.pk not in drawn)
        # The other committee: its own draw and a visit.
        other_admin = w.actor("other_admin")
        self.other = spot_check_draw_record(
            campaign=w.other_campaign,
            units=1,
            inspectors=1,
            seed=OTHER_SEED,
            mode=VisitMode.ANNOUNCED,
            actor=other_admin,
        )
        self.other_visit, _items = spot_check_visit_record(
            draw=self.other,
            unit=next(u for u in w.other_units if u.pk == self.other.result["units"][0]),
            mode=VisitMode.ANNOUNCED,
            visited_on=today,
            findings=OTHER_FINDING,
            problems="",
            actor=other_admin,
        )

    def unit(self, pk: int):
        return next(u for u in self.w.units if u.pk == pk)

    def unit_user(self, kind: str, unit_pk: int) -> User:
        return self.w.users[f"{kind}{self.index[unit_pk]}"]

    def not_drawn_unit_admin(self) -> User:
        drawn = set(self.hidden.result["units"]) | set(self.open.result["units"])
        return next(
            self.w.users[f"admin{i}"]
            for i, u in enumerate(self.w.units)
            if u.pk not in drawn and u.pk not in {self.w.units[0].pk, self.w.units[1].pk}
        )


@pytest.fixture
def s() -> Scene:
    return Scene(build())


def get(user: User | None, url: str, **params):
    return logged_in(user).get(url, params)


def absent(response, *markers: str) -> None:
    body = response.content.decode()
    leaked = [m for m in markers if m in body]
    assert not leaked, leaked


# --- the list ---------------------------------------------------------------------------------


def test_list_owner_sees_every_draw_of_the_committee(s):
    response = get(s.w.users["committee_admin"], reverse("supervision:spotcheck_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert HIDDEN_SEED in body and OPEN_SEED in body
    assert reverse("supervision:spotcheck_new") in body
    absent(response, OTHER_SEED)


def test_list_colleague_sees_only_published_draws(s):
    user = s.unit_user("admin", s.unvisited_unit)  # drawn in the unannounced draw, not visited
    response = get(user, reverse("supervision:spotcheck_list"))
    assert response.status_code == 200
    assert OPEN_SEED in response.content.decode()
    absent(response, HIDDEN_SEED, "暗访第一批", OTHER_SEED, reverse("supervision:spotcheck_new"))
    member = get(s.w.users["member4"], reverse("supervision:spotcheck_list"))
    assert OPEN_SEED in member.content.decode()
    absent(member, HIDDEN_SEED)


def test_list_outsider_sees_nothing_of_this_committee(s):
    for name in ("other_admin", "other_unit_admin", "other_reviewer"):
        response = get(s.w.users[name], reverse("supervision:spotcheck_list"))
        assert response.status_code == 200
        absent(response, HIDDEN_SEED, OPEN_SEED, "明察第一批", SECRET_FINDING)
    assert (
        OTHER_SEED
        in get(s.w.users["other_admin"], reverse("supervision:spotcheck_list")).content.decode()
    )


def test_list_shows_a_visited_unit_its_own_visit(s):
    user = s.unit_user("admin", s.visited_unit)
    response = get(user, reverse("supervision:spotcheck_list"))
    body = response.content.decode()
    assert reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk]) in body
    absent(response, HIDDEN_SEED)


@pytest.mark.parametrize("who", ["auditor", "security_admin"])
def test_list_refuses_the_separated_duties(s, who):
    response = get(s.w.users[who], reverse("supervision:spotcheck_list"))
    assert response.status_code == 403
    absent(response, HIDDEN_SEED, OPEN_SEED)


def test_every_page_sends_the_anonymous_visitor_to_log_in(s):
    for url in (
        reverse("supervision:spotcheck_list"),
        reverse("supervision:spotcheck_new"),
        reverse("supervision:spotcheck_mine"),
        reverse("supervision:spotcheck_detail", args=[s.open.pk]),
        reverse("supervision:spotcheck_visit", args=[s.open.pk]),
        reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk]),
    ):
        response = get(None, url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the draw form ----------------------------------------------------------------------------


def form_data(campaign_pk: int, **kw) -> dict:
    data = {
        "campaign": campaign_pk,
        "title": "网页抽查",
        "units": 2,
        "inspectors": 1,
        "stratify_by": "category",
        "exclude_months": 0,
        "mode": VisitMode.ANNOUNCED,
        "seed": "webSeed",
    }
    data.update(kw)
    return data


def test_draw_form_owner_draws_and_lands_on_the_result(s):
    client = logged_in(s.w.users["committee_admin"])
    page = client.get(reverse("supervision:spotcheck_new"))
    assert page.status_code == 200
    assert s.w.campaign.name in page.content.decode()
    absent(page, s.w.other_campaign.name)
    response = client.post(reverse("supervision:spotcheck_new"), form_data(s.w.campaign.pk))
    made = SpotCheckDraw.objects.get(seed="webSeed")
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:spotcheck_detail", args=[made.pk])
    assert made.inputs["stratify_by"] == "category" and made.title == "网页抽查"
    assert made.created_by == s.w.users["committee_admin"]


def test_draw_form_shows_the_chinese_error_when_the_pool_is_too_small(s):
    client = logged_in(s.w.users["committee_admin"])
    response = client.post(
        reverse("supervision:spotcheck_new"), form_data(s.w.campaign.pk, units=10, inspectors=6)
    )
    assert response.status_code == 200
    assert "可抽取的检查人员不足" in response.content.decode()
    assert not SpotCheckDraw.objects.filter(seed="webSeed").exists()


@pytest.mark.parametrize("who", ["committee_leader", "admin3", "member3", "auditor"])
def test_draw_form_colleagues_are_refused(s, who):
    client = logged_in(s.w.users[who])
    assert client.get(reverse("supervision:spotcheck_new")).status_code == 403
    response = client.post(reverse("supervision:spotcheck_new"), form_data(s.w.campaign.pk))
    assert response.status_code == 403
    assert not SpotCheckDraw.objects.filter(seed="webSeed").exists()


def test_draw_form_outsider_cannot_draw_for_this_committee(s):
    client = logged_in(s.w.users["other_admin"])
    page = client.get(reverse("supervision:spotcheck_new"))
    assert page.status_code == 200
    absent(page, s.w.campaign.name)
    response = client.post(reverse("supervision:spotcheck_new"), form_data(s.w.campaign.pk))
    assert response.status_code == 200  # the form refuses the campaign
    assert not SpotCheckDraw.objects.filter(seed="webSeed").exists()
    absent(response, s.w.campaign.name)


def test_inspector_cannot_open_the_draw_form(s):
    client = logged_in(s.inspector)
    assert client.get(reverse("supervision:spotcheck_new")).status_code == 403


# --- the draw's page --------------------------------------------------------------------------


def test_detail_owner_sees_seed_units_inspectors_inputs_and_visits(s):
    response = get(
        s.w.users["committee_admin"], reverse("supervision:spotcheck_detail", args=[s.hidden.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert HIDDEN_SEED in body
    # the clerk verifies with a button on the page, not with a command on the server
    assert "manage.py" not in body and 'name="verify"' in body
    for unit_pk in s.hidden.result["units"]:
        assert s.unit(unit_pk).name in body
    for inspector in User.objects.filter(pk__in=s.hidden.result["inspectors"]):
        assert inspector.full_name in body
    assert "记录的全部输入" in body and "一致：" not in body  # re-derived on request only
    published = html.unescape(body.split("<pre>", 1)[1].split("</pre>", 1)[0])
    assert json.loads(published) == s.hidden.inputs  # copyable, to re-run elsewhere
    assert reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk]) in body
    assert (
        f"{reverse('supervision:spotcheck_visit', args=[s.hidden.pk])}?unit={s.unvisited_unit}"
        in body
    )
    absent(response, SECRET_FINDING)  # findings only on the visit's own page


def test_detail_drawn_inspector_sees_the_draw_and_may_record(s):
    response = get(s.inspector, reverse("supervision:spotcheck_detail", args=[s.hidden.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and HIDDEN_SEED in body
    assert reverse("supervision:spotcheck_visit", args=[s.hidden.pk]) in body


def test_detail_colleagues_do_not_see_an_unannounced_draw_in_progress(s):
    url = reverse("supervision:spotcheck_detail", args=[s.hidden.pk])
    names = [s.unit(u).name for u in s.hidden.result["units"][1:]]
    for user in (
        s.unit_user("admin", s.unvisited_unit),
        s.unit_user("leader", s.unvisited_unit),
        s.unit_user("admin", s.visited_unit),  # its own visit only, not the draw
        s.bystander,
        s.w.users["member4"],
    ):
        response = get(user, url)
        assert response.status_code == 404
        absent(response, HIDDEN_SEED, *names)


def test_detail_outsider_gets_404(s):
    for name in ("other_admin", "other_reviewer", "other_unit_admin"):
        for draw in (s.hidden, s.open):
            response = get(s.w.users[name], reverse("supervision:spotcheck_detail", args=[draw.pk]))
            assert response.status_code == 404
            absent(response, HIDDEN_SEED, OPEN_SEED)
    response = get(s.w.users["admin3"], reverse("supervision:spotcheck_detail", args=[s.other.pk]))
    assert response.status_code == 404
    absent(response, OTHER_SEED)


def test_detail_the_published_result_is_public_in_the_committee_without_the_inputs(s):
    url = reverse("supervision:spotcheck_detail", args=[s.open.pk])
    for user in (s.not_drawn_unit_admin(), s.w.users["member4"], s.bystander):
        response = get(user, url)
        body = response.content.decode()
        assert response.status_code == 200
        assert OPEN_SEED in body and "如何复现" in body
        for unit_pk in s.open.result["units"]:
            assert s.unit(unit_pk).name in body
        for inspector in User.objects.filter(pk__in=s.open.result["inspectors"]):
            assert inspector.full_name in body
        assert "记录的全部输入" not in body and '"candidates"' not in body
        assert reverse("supervision:spotcheck_visit", args=[s.open.pk]) not in body


def test_an_unannounced_draw_is_published_once_every_unit_was_visited(s):
    url = reverse("supervision:spotcheck_detail", args=[s.hidden.pk])
    colleague = s.not_drawn_unit_admin()
    assert get(colleague, url).status_code == 404
    for unit_pk in s.hidden.result["units"][1:]:
        spot_check_visit_record(
            draw=s.hidden,
            unit=s.unit(unit_pk),
            mode=VisitMode.UNANNOUNCED,
            visited_on=timezone.localdate(),
            findings="检查完毕",
            problems="",
            actor=s.w.admin,
        )
    response = get(colleague, url)
    assert response.status_code == 200
    assert HIDDEN_SEED in response.content.decode()
    absent(response, SECRET_FINDING)
    assert reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk]) not in (
        response.content.decode()
    )


def test_detail_shows_a_broken_record_as_not_verifying(s):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_spotcheckdraw SET seed = %s WHERE id = %s", ["changed", s.open.pk]
        )
    url = reverse("supervision:spotcheck_detail", args=[s.open.pk])
    response = get(s.w.users["committee_admin"], f"{url}?verify=1")
    assert "不一致：记录可能被改动" in response.content.decode()


def test_the_verify_button_re_derives_the_draw_for_whoever_reads_it(s):
    url = reverse("supervision:spotcheck_detail", args=[s.hidden.pk])
    for user in (s.w.users["committee_admin"], s.inspector):
        response = get(user, f"{url}?verify=1")
        body = response.content.decode()
        assert response.status_code == 200
        assert "一致：按记录的输入和种子重新抽取，结果相同" in body and "不一致" not in body


# --- the inspector's list ---------------------------------------------------------------------


def test_mine_owner_sees_the_draws_with_their_units(s):
    response = get(s.inspector, reverse("supervision:spotcheck_mine"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "暗访第一批" in body
    for unit_pk in s.hidden.result["units"]:
        assert s.unit(unit_pk).name in body
    assert f"?unit={s.unvisited_unit}" in body and f"?unit={s.visited_unit}" not in body


def test_mine_colleague_reviewer_not_drawn_sees_nothing(s):
    response = get(s.bystander, reverse("supervision:spotcheck_mine"))
    assert response.status_code == 200
    absent(response, "暗访第一批", *(s.unit(u).name for u in s.hidden.result["units"]))


def test_mine_outsiders_see_nothing_or_are_refused(s):
    response = get(s.w.users["other_reviewer"], reverse("supervision:spotcheck_mine"))
    assert response.status_code == 200
    absent(response, "暗访第一批", "明察第一批")
    for name in ("admin3", "committee_admin", "auditor"):
        response = get(s.w.users[name], reverse("supervision:spotcheck_mine"))
        assert response.status_code == 403
        absent(response, "暗访第一批")


# --- the visit form ---------------------------------------------------------------------------


def visit_post(unit_pk: int, **kw) -> dict:
    data = {
        "unit": unit_pk,
        "mode": VisitMode.UNANNOUNCED,
        "visited_on": timezone.localdate().isoformat(),
        "findings": "网页记录的检查情况",
        "problems": "1.2：组织生活记录不全\n公示栏未更新",
    }
    data.update(kw)
    return data


def test_visit_owner_records_and_the_problems_reach_the_list(s):
    client = logged_in(s.inspector)
    url = reverse("supervision:spotcheck_visit", args=[s.hidden.pk])
    page = client.get(url, {"unit": s.unvisited_unit})
    body = page.content.decode()
    assert page.status_code == 200
    assert s.unit(s.unvisited_unit).name in body
    # the unit chooser offers the draw's units not yet visited, to those who may record them
    search = {"scope": "visit", "draw": s.hidden.pk, "q": ""}
    listed = client.get(reverse("choosers:choose", args=["unit"]), search).content.decode()
    drawn = [s.unit(pk).name for pk in s.hidden.result["units"]]
    assert [name for name in drawn if name in listed] == [
        s.unit(pk).name for pk in s.hidden.result["units"] if pk != s.visited_unit
    ]
    for user in (s.bystander, s.w.users["other_admin"], s.w.users["committee_leader"]):
        found = (
            logged_in(user).get(reverse("choosers:choose", args=["unit"]), search).content.decode()
        )
        assert not any(name in found for name in drawn)
    assert f'value="{timezone.localdate().isoformat()}"' in body
    response = client.post(url, visit_post(s.unvisited_unit))
    visit = SpotCheckVisit.objects.get(draw=s.hidden, unit_id=s.unvisited_unit)
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:spotcheck_visit_detail", args=[visit.pk])
    items = ProblemItem.objects.filter(origin_id=visit.pk, origin_type="supervision.spotcheckvisit")
    assert sorted(i.description for i in items) == ["公示栏未更新", "组织生活记录不全"]


def test_visit_committee_admin_may_record_too(s):
    client = logged_in(s.w.users["committee_admin"])
    url = reverse("supervision:spotcheck_visit", args=[s.open.pk])
    unit_pk = s.open.result["units"][0]
    assert client.post(url, visit_post(unit_pk, problems="")).status_code == 302
    assert SpotCheckVisit.objects.filter(draw=s.open, unit_id=unit_pk).exists()


def test_visit_only_for_units_of_the_draw(s):
    client = logged_in(s.inspector)
    outside = next(u.pk for u in s.w.units if u.pk not in s.hidden.result["units"])
    response = client.post(
        reverse("supervision:spotcheck_visit", args=[s.hidden.pk]), visit_post(outside)
    )
    assert response.status_code == 200
    assert not SpotCheckVisit.objects.filter(unit_id=outside).exists()
    response = client.post(
        reverse("supervision:spotcheck_visit", args=[s.hidden.pk]),
        visit_post(s.unvisited_unit, problems="8.8：不存在"),
    )
    assert "不在本活动的指标体系中" in response.content.decode()
    assert not SpotCheckVisit.objects.filter(unit_id=s.unvisited_unit).exists()


def test_visit_colleague_reviewer_not_drawn_gets_404(s):
    client = logged_in(s.bystander)
    url = reverse("supervision:spotcheck_visit", args=[s.hidden.pk])
    response = client.get(url)
    assert response.status_code == 404
    absent(response, *(s.unit(u).name for u in s.hidden.result["units"]))
    assert client.post(url, visit_post(s.unvisited_unit)).status_code == 404
    assert not SpotCheckVisit.objects.filter(unit_id=s.unvisited_unit).exists()


def test_visit_outsiders_and_other_roles_are_refused(s):
    url = reverse("supervision:spotcheck_visit", args=[s.hidden.pk])
    for name, status in (
        ("other_admin", 404),
        ("other_reviewer", 404),
        ("committee_leader", 403),
        ("admin3", 403),
        ("auditor", 403),
    ):
        client = logged_in(s.w.users[name])
        response = client.get(url)
        assert response.status_code == status, name
        absent(response, *(s.unit(u).name for u in s.hidden.result["units"]))
        assert client.post(url, visit_post(s.unvisited_unit)).status_code == status
    unit_admin = logged_in(s.unit_user("admin", s.unvisited_unit))
    assert unit_admin.post(url, visit_post(s.unvisited_unit)).status_code == 403
    assert not SpotCheckVisit.objects.filter(unit_id=s.unvisited_unit).exists()


# --- a visit's page ---------------------------------------------------------------------------


def test_visit_page_owner_the_visited_unit_sees_its_visit_and_problems(s):
    url = reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk])
    for kind in ("admin", "leader"):
        response = get(s.unit_user(kind, s.visited_unit), url)
        body = response.content.decode()
        assert response.status_code == 200
        assert SECRET_FINDING in body and "学习记录缺失" in body
        assert reverse("rectification:item_detail", args=[s.items[0].pk]) in body
        absent(response, HIDDEN_SEED, s.unit(s.unvisited_unit).name)


def test_visit_page_staff_and_the_draws_inspectors_see_it(s):
    url = reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk])
    for user in (s.w.users["committee_admin"], s.w.users["committee_leader"], s.inspector):
        response = get(user, url)
        assert response.status_code == 200 and SECRET_FINDING in response.content.decode()


def test_visit_page_colleagues_get_404(s):
    url = reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk])
    for user in (
        s.unit_user("admin", s.unvisited_unit),
        s.not_drawn_unit_admin(),
        s.bystander,
    ):
        response = get(user, url)
        assert response.status_code == 404
        absent(response, SECRET_FINDING, "学习记录缺失")
    member = get(s.unit_user("member", s.visited_unit), url)
    assert member.status_code == 403
    absent(member, SECRET_FINDING)


def test_visit_page_outsiders_get_404_both_ways(s):
    url = reverse("supervision:spotcheck_visit_detail", args=[s.visit.pk])
    for name in ("other_admin", "other_unit_admin", "other_reviewer"):
        response = get(s.w.users[name], url)
        assert response.status_code == 404
        absent(response, SECRET_FINDING)
    theirs = reverse("supervision:spotcheck_visit_detail", args=[s.other_visit.pk])
    for name in ("committee_admin", "committee_leader"):
        response = get(s.w.users[name], theirs)
        assert response.status_code == 404
        absent(response, OTHER_FINDING)
    assert get(s.w.users["auditor"], url).status_code == 403


# --- query counts -----------------------------------------------------------------------------


def _count(user: User, url: str) -> tuple[int, list[str]]:
    client = logged_in(user)
    client.get(url)  # warm up (session, caches)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), [q["sql"] for q in captured.captured_queries]


def _draws(w: SpotWorld, count: int, units: int) -> list[SpotCheckDraw]:
    """`count` draws, all naming reviewer 5 as an inspector."""
    made = []
    seed = 0
    while len(made) < count:
        seed += 1
        d = spot_check_draw_record(
            campaign=w.campaign,
            units=units,
            inspectors=2,
            seed=f"qc{seed}",
            mode=VisitMode.ANNOUNCED,
            actor=w.admin,
        )
        if w.reviewers[5].pk in d.result["inspectors"]:
            made.append(d)
    return made


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("committee_admin", "supervision:spotcheck_list"),
        ("admin4", "supervision:spotcheck_list"),
        ("inspector", "supervision:spotcheck_mine"),
    ],
)
def test_lists_issue_the_same_number_of_queries_at_any_size(who, name):
    counts = []
    for code, (count, units) in {"qa": (1, 2), "qb": (6, 7)}.items():
        w = build(code)
        made = _draws(w, count, units)
        for d in made:
            for unit_pk in d.result["units"][:1]:
                spot_check_visit_record(
                    draw=d,
                    unit=next(u for u in w.units if u.pk == unit_pk),
                    mode=VisitMode.ANNOUNCED,
                    visited_on=timezone.localdate(),
                    findings="ok",
                    problems="",
                    actor=w.admin,
                )
        user = w.reviewers[5] if who == "inspector" else w.users[who]
        counts.append(_count(user, reverse(name)))
    assert counts[0][0] == counts[1][0], (
        "\n".join(counts[0][1]) + "\n---\n" + "\n".join(counts[1][1])
    )


def test_the_draw_page_issues_the_same_number_of_queries_for_more_units():
    counts = []
    for code, units in {"qc": 2, "qd": 8}.items():
        w = build(code)
        d = _draws(w, 1, units)[0]
        for unit_pk in d.result["units"]:
            spot_check_visit_record(
                draw=d,
                unit=next(u for u in w.units if u.pk == unit_pk),
                mode=VisitMode.ANNOUNCED,
                visited_on=timezone.localdate() - datetime.timedelta(days=0),
                findings="ok",
                problems="",
                actor=w.admin,
            )
        counts.append(
            _count(w.users["committee_admin"], reverse("supervision:spotcheck_detail", args=[d.pk]))
        )
    assert counts[0][0] == counts[1][0], (
        "\n".join(counts[0][1]) + "\n---\n" + "\n".join(counts[1][1])
    )
