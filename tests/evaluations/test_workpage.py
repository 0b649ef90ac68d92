"""Issue 14 point 6: self-evaluation and scoring pages a person can work in.

- a refused input (self and review, with htmx and without JavaScript) comes back with every
  value as typed, the long narrative or comment included, and a Chinese message naming the
  field; nothing is stored;
- the contents panel by indicator type and the running total follow each save (out of band);
- "只看未填" (?unfilled=1) shows the leaves still to fill and the headings above them; filled
  leaves are folded to one line;
- the reviewer's task list filters by campaign and shows the newest campaign first, and never
  shows another reviewer's assignments.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mofan.campaigns.models import Campaign, CampaignStatus, Enrollment, Phase
from mofan.evaluations.figures.unit import unit_refresh
from mofan.evaluations.models import ReviewScore, SelfScore, UnitTotals
from tests.evaluations.campaign_fixtures import S, World, set_state, world
from tests.world import logged_in, review_group

__all__ = ["world"]

NARRATIVE = "本单位严格落实理论学习中心组学习制度，" * 40  # a long narrative (~800 characters)


@pytest.fixture
def open_world(world: World) -> World:
    """Unit A filling in (1.1, 1.2, 2.1 saved at 8 each; figures up to date)."""
    set_state(world.ea, S.IN_PROGRESS)
    unit_refresh(enrollment=world.ea)
    return world


def _self_save(w: World, code: str) -> str:
    return reverse("reviews:self_save", args=[w.ea.pk, w.node(code).pk])


def _running_total(html: str) -> str:
    found = re.search(r'id="running-total">\s*(.*?)\s*</strong>', html, re.S)
    assert found, "no running total on the page"
    return re.sub(r"\s+", " ", found.group(1)).strip()


def _panel(html: str) -> str:
    start = html.index('id="work-panel-body"')
    return html[start : html.index("</div>", start)]


# --- self-evaluation: a refused input keeps what was typed --------------------------------------


def test_a_refused_self_score_keeps_the_typed_values_and_names_the_field(open_world):
    w = open_world
    owner = logged_in(w.user("owner"))
    stored = SelfScore.objects.get(enrollment=w.ea, node=w.node("1.1"))
    data = {"value": "12", "narrative": NARRATIVE, "version": str(stored.version)}
    row = owner.post(_self_save(w, "1.1"), data, HTTP_HX_REQUEST="true").content.decode()
    assert row.lstrip().startswith('<article class="leaf is-pending has-error')
    assert 'role="alert"' in row and "得分应在 0 到 10 之间" in row
    assert NARRATIVE in row  # the long narrative, as typed
    assert 'name="value" value="12"' in row and 'aria-invalid="true"' in row
    assert f'name="version" value="{stored.version}"' in row  # retry from the same version
    assert SelfScore.objects.get(pk=stored.pk).score == Decimal("8.00")  # nothing stored
    assert SelfScore.objects.get(pk=stored.pk).narrative == "按要求完成"

    # A value that is no number: the message names the field it concerns.
    row = owner.post(
        _self_save(w, "1.2"), {"value": "八分", "narrative": "说明"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "“得分”：“八分”不是有效的数字。" in row
    assert 'value="八分"' in row and ">说明</textarea>" in row


def test_without_javascript_the_refused_row_comes_back_in_the_whole_page(open_world):
    w = open_world
    SelfScore.objects.filter(enrollment=w.ea, node=w.node("1.2")).delete()
    owner = logged_in(w.user("owner"))
    response = owner.post(_self_save(w, "1.2"), {"value": "", "narrative": NARRATIVE})
    assert response.status_code == 200  # the page itself, not a redirect that loses the input
    html = response.content.decode()
    assert "<html" in html and 'id="leaf-1.1"' in html and 'id="leaf-2.1"' in html
    assert "第 1.2 项未保存：“得分”：请填写数值。" in html
    assert 'href="#leaf-1.2"' in html
    leaf = html[html.index('id="leaf-1.2"') :]
    leaf = leaf[: leaf.index("</article>")]
    assert f">{NARRATIVE}</textarea>" in leaf and 'aria-invalid="true"' in leaf
    assert not SelfScore.objects.filter(enrollment=w.ea, node=w.node("1.2")).exists()
    # the form of the page shown again still posts to the save, and a good value is stored
    assert f'action="{_self_save(w, "1.2")}"' in html
    owner.post(_self_save(w, "1.2"), {"value": "7.5", "narrative": NARRATIVE})
    assert SelfScore.objects.get(enrollment=w.ea, node=w.node("1.2")).narrative == NARRATIVE


def test_a_refusal_of_the_step_is_not_shown_as_a_bad_input(open_world):
    """A locked self-evaluation refuses the save: the row shows what is stored, not the input,
    and the message names no field."""
    w = open_world
    set_state(w.ea, S.SUBMITTED)
    owner = logged_in(w.user("owner"))
    row = owner.post(
        _self_save(w, "1.1"), {"value": "9", "narrative": "新说明"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "自评已提交并锁定" in row and "“得分”" not in row
    assert "新说明" not in row


# --- self-evaluation: the panel and the running total -------------------------------------------


def test_the_running_self_score_and_the_contents_follow_each_save(open_world):
    w = open_world
    owner = logged_in(w.user("owner"))
    page = owner.get(reverse("reviews:self", args=[w.ea.pk])).content.decode()
    assert _running_total(page) == "24 / 30 分"
    panel = _panel(page)
    assert "政治建设" in panel and "清廉建设" in panel
    assert re.search(r"2/2</span>\s*<span class=\"contents-score\">16(\.00)?/20", panel)
    # the deadline and the submit step at the foot, always in view
    bar = page[page.index('id="work-bar"') :]
    assert "截止：" in bar and "已填 3/3" in bar

    stored = SelfScore.objects.get(enrollment=w.ea, node=w.node("1.1"))
    answer = owner.post(
        _self_save(w, "1.1"),
        {"value": "10", "narrative": "", "version": str(stored.version)},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'id="work-panel-body" class="work-panel-body" hx-swap-oob="true"' in answer
    assert 'id="work-bar" class="work-bar"' in answer and 'hx-swap-oob="true"' in answer
    assert _running_total(answer) == "26 / 30 分"
    assert UnitTotals.objects.get(enrollment=w.ea).self_total == Decimal("26.00")
    assert re.search(r"contents-score\">18(\.00)?/20", _panel(answer))
    # the saved row is folded to one line showing its score
    assert '<details class="leaf-fold"><summary><code>1.1</code>' in answer
    assert "已填：10 分" in answer


def test_only_unfilled_shows_the_leaves_still_to_fill(open_world):
    w = open_world
    SelfScore.objects.filter(enrollment=w.ea, node=w.node("1.2")).delete()
    owner = logged_in(w.user("owner"))
    url = reverse("reviews:self", args=[w.ea.pk])
    everything = owner.get(url).content.decode()
    for code in ("1.1", "1.2", "2.1", "2.2"):
        assert f'id="leaf-{code}"' in everything
    assert everything.count('<details class="leaf-fold">') == 2  # 1.1 and 2.1, filled
    assert "data-filter-unfilled" in everything and f'href="{url}?unfilled=1"' in everything

    only = owner.get(url, {"unfilled": "1"}).content.decode()
    assert 'id="leaf-1.2"' in only and 'id="node-1"' in only
    for gone in ('id="leaf-1.1"', 'id="leaf-2.1"', 'id="leaf-2.2"', 'id="node-2"'):
        assert gone not in only
    assert f'href="{url}"' in only and "显示全部" in only
    # the panel still counts the whole tree
    assert "已填 2 / 3 项" in only

    SelfScore.objects.create(
        enrollment=w.ea,
        node=w.node("1.2"),
        input={"value": "8"},
        score=Decimal(8),
        updated_by=w.user("owner"),
    )
    done = owner.get(url, {"unfilled": "1"}).content.decode()
    assert "必填指标均已填写" in done and 'id="leaf-' not in done


# --- the reviewer's scoring page ------------------------------------------------------------


def _score_save(w: World, code: str) -> str:
    return reverse("reviews:score_save", args=[w.assignment_a.pk, w.node(code).pk])


def test_a_refused_review_score_keeps_the_typed_values(world):
    w = world
    client = logged_in(w.user("assigned"))
    stored = ReviewScore.objects.get(
        assignment=w.assignment_a, reviewer=w.user("assigned"), node=w.node("1.1")
    )
    comment = "现场查看了学习记录，" * 30
    data = {"value": "10.5", "comment": comment, "version": str(stored.version)}
    row = client.post(_score_save(w, "1.1"), data, HTTP_HX_REQUEST="true").content.decode()
    assert "得分应在 0 到 10 之间" in row and 'role="alert"' in row
    assert f'value="{comment}"' in row and 'name="value" value="10.5"' in row
    assert 'aria-invalid="true"' in row
    assert ReviewScore.objects.get(pk=stored.pk).score == Decimal("8.00")

    page = client.post(_score_save(w, "1.1"), data)  # without JavaScript
    assert page.status_code == 200
    html = page.content.decode()
    assert "第 1.1 项未保存" in html and f'value="{comment}"' in html and "<html" in html
    assert ReviewScore.objects.get(pk=stored.pk).comment == ""


def test_the_reviewers_running_total_and_submit_step_follow_each_save(world):
    w = world
    ReviewScore.objects.filter(
        assignment=w.assignment_a, reviewer=w.user("assigned"), node=w.node("1.1")
    ).delete()
    client = logged_in(w.user("assigned"))
    page = client.get(reverse("reviews:scoring", args=[w.assignment_a.pk])).content.decode()
    assert _running_total(page) == "16 / 30 分"
    bar = page[page.index('id="work-bar"') :]
    assert "还差 1 项未评分" in bar and 'id="submit-review"' not in page
    only = client.get(
        reverse("reviews:scoring", args=[w.assignment_a.pk]), {"unfilled": "1"}
    ).content.decode()
    assert 'id="leaf-1.1"' in only and 'id="leaf-1.2"' not in only

    answer = client.post(
        _score_save(w, "1.1"), {"value": "9.5", "comment": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert _running_total(answer) == "25.50 / 30 分"
    assert 'id="submit-review"' in answer  # every leaf scored: the submit step is there
    assert "组长王" not in answer  # still independent: the leader's score is not shown


# --- the reviewer's task list -----------------------------------------------------------------


@pytest.fixture
def two_campaigns(world: World) -> tuple[World, Campaign]:
    """A newer campaign of the same committee in which `assigned` reviews unit C, and in which
    `unassigned` reviews unit B."""
    newer = Campaign.objects.create(
        committee=world.committee,
        name="2025年度模范机关创建",
        year=2025,
        indicator_version=world.version,
        status=CampaignStatus.ACTIVE,
    )
    ec = Enrollment.objects.create(campaign=newer, unit=world.unit_c, state=S.SUBMITTED)
    eb = Enrollment.objects.create(campaign=newer, unit=world.unit_b, state=S.SUBMITTED)
    review_group(newer, "2025第一组", world.user("assigned"), enrollments=(ec,))
    review_group(newer, "2025第二组", world.user("unassigned"), enrollments=(eb,))
    return world, newer


def _rows(html: str) -> list[tuple[str, str]]:
    """(campaign, unit) of each row of the task list, in order."""
    rows = []
    for block in re.findall(r'<tr data-assignment="\d+">(.*?)</tr>', html, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", block, re.S)
        ]
        rows.append((cells[3], cells[0]))
    return rows


def test_the_task_list_filters_by_campaign_newest_first(two_campaigns):
    w, newer = two_campaigns
    client = logged_in(w.user("assigned"))
    url = reverse("reviews:mine")
    rows = _rows(client.get(url).content.decode())
    assert rows[0][0] == "2025年度模范机关创建"  # the newest campaign first
    assert {r[0] for r in rows} == {"2025年度模范机关创建", "2024年度模范机关创建"}
    assert "乙单位" not in {r[1] for r in rows if r[0] == "2025年度模范机关创建"}

    html = client.get(url, {"campaign": w.campaign.pk}).content.decode()
    assert {r[0] for r in _rows(html)} == {"2024年度模范机关创建"}
    assert f'<option value="{w.campaign.pk}" selected>' in html

    html = client.get(url, {"campaign": newer.pk}).content.decode()
    assert _rows(html) == [("2025年度模范机关创建", "丙单位")]


def test_the_task_list_never_shows_another_reviewers_assignments(two_campaigns):
    w, newer = two_campaigns
    url = reverse("reviews:mine")
    mine = {a.pk for a in w.assignment_a.group.assignments.all()}
    for persona, campaign in (("unassigned", w.campaign), ("unassigned", newer), ("leader", None)):
        client = logged_in(w.user(persona))
        html = client.get(url, {"campaign": campaign.pk} if campaign else {}).content.decode()
        if persona == "unassigned":
            assert all(f'data-assignment="{pk}"' not in html for pk in mine)
            assert "丙单位" not in html  # the newer campaign's unit C is assigned's
        else:  # the leader of group 1 sees its assignment, not the newer campaign's
            assert "2025年度模范机关创建" not in html
    # a campaign the reviewer has nothing in is no filter at all: their own rows only
    other = logged_in(w.user("unassigned")).get(url, {"campaign": w.other_campaign.pk})
    assert "外单位" not in other.content.decode()


def test_without_javascript_a_save_returns_to_the_filtered_list(open_world):
    w = open_world
    SelfScore.objects.filter(enrollment=w.ea, node__code__in=("1.1", "1.2")).delete()
    owner = logged_in(w.user("owner"))
    url = reverse("reviews:self", args=[w.ea.pk])
    only = owner.get(url, {"unfilled": "1"}).content.decode()
    assert only.count('<input type="hidden" name="unfilled" value="1">') == 2
    response = owner.post(_self_save(w, "1.1"), {"value": "9", "unfilled": "1"})
    assert response.status_code == 302 and response["Location"] == f"{url}?unfilled=1"
    after = owner.get(response["Location"]).content.decode()
    assert 'id="leaf-1.2"' in after and 'id="leaf-1.1"' not in after


def test_the_contents_link_each_type_to_its_first_unfilled_leaf(open_world):
    w = open_world
    SelfScore.objects.filter(enrollment=w.ea, node=w.node("1.2")).delete()
    owner = logged_in(w.user("owner"))
    panel = _panel(owner.get(reverse("reviews:self", args=[w.ea.pk])).content.decode())
    assert 'href="#leaf-1.2"' in panel  # type 1: its first leaf still to fill
    assert 'href="#node-2"' in panel  # type 2 complete: its heading
    assert "1/2</span>" in panel and "1/1</span>" in panel


def test_the_scoring_bar_shows_the_review_deadline_the_reminders_use(world):
    w = world
    client = logged_in(w.user("assigned"))
    url = reverse("reviews:scoring", args=[w.assignment_a.pk])
    due = timezone.now() + datetime.timedelta(days=5)
    Campaign.objects.filter(pk=w.campaign.pk).update(submission_deadline=due)
    bar = client.get(url).content.decode().split('id="work-bar"', 1)[1]
    assert "bar-deadline" not in bar.split("</div>", 1)[0]  # no phase: no review deadline
    deadline = timezone.localtime(due).date()
    Phase.objects.create(
        campaign=w.campaign, key="before", name="自评", ends_on=deadline - datetime.timedelta(1)
    )
    Phase.objects.create(
        campaign=w.campaign, key="review", name="考评验收", ends_on=deadline + datetime.timedelta(9)
    )
    bar = client.get(url).content.decode().split('id="work-bar"', 1)[1].split("</div>", 1)[0]
    shown = (deadline + datetime.timedelta(9)).isoformat()
    assert f"截止：{shown}" in bar
