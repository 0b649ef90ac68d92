"""Bulletin pages for every persona. The leaking data (another committee's bulletin and finding,
a draft of this committee) exists before each request and must not show where it does not
belong: 404 or 403, and the text absent."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mofan.notifications.models import Notice
from mofan.supervision.models import Bulletin, BulletinKind, BulletinState
from tests.supervision.bulletin_fixtures import (
    OTHER_BULLETIN,
    OTHER_FINDING,
    OWN_DRAFT,
    OWN_PUBLISHED,
    Scene,
    bulletin,
    scene,
)
from tests.world import logged_in

__all__ = ["scene"]  # the fixture

pytestmark = pytest.mark.django_db

STAFF = ("committee_admin", "committee_leader")
UNIT_PEOPLE = ("owner", "colleague", "a_member", "outsider", "reviewer_member")
OTHERS = ("other_admin", "other_leader", "x_admin")
REFUSED = ("assigned", "auditor")  # a reviewer only, and the auditor: 403 everywhere


def page(client, name: str, *args: int, **params: str):
    return client.get(reverse(f"supervision:{name}", args=args), params)


def text(response) -> str:
    return response.content.decode()


# --- the list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", STAFF + UNIT_PEOPLE + OTHERS + REFUSED)
def test_the_list_shows_each_persona_only_its_share(scene, persona):
    client = logged_in(scene.user(persona))
    response = page(client, "bulletin_list")
    if persona in REFUSED:
        assert response.status_code == 403
        assert OWN_PUBLISHED not in text(response) and OTHER_BULLETIN not in text(response)
        return
    assert response.status_code == 200
    body = text(response)
    compose = reverse("supervision:bulletin_compose")
    if persona in STAFF:
        assert OWN_DRAFT in body and OWN_PUBLISHED in body and OTHER_BULLETIN not in body
        assert (compose in body) == (persona == "committee_admin")
    elif persona in UNIT_PEOPLE:
        assert OWN_PUBLISHED in body
        assert OWN_DRAFT not in body and OTHER_BULLETIN not in body and compose not in body
    else:
        assert OTHER_BULLETIN in body
        assert OWN_DRAFT not in body and OWN_PUBLISHED not in body
    partial = client.get(
        reverse("supervision:bulletin_list"), {"kind": "ad_hoc"}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200 and "<html" not in text(partial)
    assert OWN_DRAFT not in text(partial) or persona in STAFF


def test_the_list_filters_by_kind(scene):
    bulletin(
        scene.committee, "三月月度通报", kind=BulletinKind.MONTHLY, state=BulletinState.PUBLISHED
    )
    client = logged_in(scene.user("owner"))
    body = text(page(client, "bulletin_list", kind="monthly"))
    assert "三月月度通报" in body and OWN_PUBLISHED not in body


def test_anonymous_is_sent_to_log_in(scene):
    client = logged_in(None)
    for name, args in (
        ("bulletin_list", ()),
        ("bulletin_compose", ()),
        ("bulletin_monthly", ()),
        ("bulletin_detail", (scene.published.pk,)),
        ("bulletin_edit", (scene.draft.pk,)),
    ):
        response = client.get(reverse(f"supervision:{name}", args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(
        reverse("supervision:bulletin_publish", args=[scene.draft.pk]), {"version": 1}
    )
    assert response.status_code == 302
    assert Bulletin.objects.get(pk=scene.draft.pk).state == BulletinState.DRAFT


# --- the bulletin itself -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", STAFF + UNIT_PEOPLE + OTHERS + REFUSED)
def test_the_detail_page_for_every_persona(scene, persona):
    client = logged_in(scene.user(persona))
    outcomes = {
        pk: page(client, "bulletin_detail", pk)
        for pk in (scene.draft.pk, scene.published.pk, scene.other_bulletin.pk)
    }
    codes = {pk: r.status_code for pk, r in outcomes.items()}
    if persona in REFUSED:
        expected = dict.fromkeys(codes, 403)
    elif persona in STAFF:
        expected = {scene.draft.pk: 200, scene.published.pk: 200, scene.other_bulletin.pk: 404}
    elif persona in UNIT_PEOPLE:
        expected = {scene.draft.pk: 404, scene.published.pk: 200, scene.other_bulletin.pk: 404}
    else:
        expected = {scene.draft.pk: 404, scene.published.pk: 404, scene.other_bulletin.pk: 200}
    assert codes == expected
    for response in outcomes.values():
        if response.status_code != 200:
            body = text(response)
            assert (
                OWN_DRAFT not in body and OWN_PUBLISHED not in body and OTHER_BULLETIN not in body
            )
    if persona in UNIT_PEOPLE:
        body = text(outcomes[scene.published.pk])
        assert OWN_PUBLISHED in body and "数据来源" not in body
        assert reverse("supervision:bulletin_publish", args=[scene.published.pk]) not in body


def test_the_committee_admin_sees_the_draft_with_its_actions_and_sources(scene):
    from mofan.supervision import bulletins as services

    made = services.bulletin_create_draft(
        committee=scene.committee,
        actor=scene.actor("committee_admin"),
        finding_ids=[scene.finding_a.pk],
        include_overdue=True,
    )
    body = text(page(logged_in(scene.user("committee_admin")), "bulletin_detail", made.pk))
    assert reverse("supervision:bulletin_publish", args=[made.pk]) in body
    assert reverse("supervision:bulletin_edit", args=[made.pk]) in body
    assert "（草稿，未发布）" in body and "问题发现：1" in body
    assert '<p class="bulletin-heading">\u3000\u3000一、基本情况</p>' in body
    assert '<p class="bulletin-salutation">各单位：</p>' in body
    assert f'<p class="bulletin-sign">{scene.committee.name}</p>' in body
    leader_view = text(page(logged_in(scene.user("committee_leader")), "bulletin_detail", made.pk))
    assert "理论学习记录不全" in leader_view
    assert reverse("supervision:bulletin_publish", args=[made.pk]) not in leader_view


# --- composing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ("committee_leader", "owner", "colleague", "a_member", *REFUSED)
)
def test_only_committee_admins_compose(scene, persona):
    client = logged_in(scene.user(persona))
    for name in ("bulletin_compose", "bulletin_monthly"):
        response = page(client, name)
        assert response.status_code == 403
        assert "理论学习记录不全" not in text(response)
        response = client.post(
            reverse(f"supervision:{name}"),
            {"findings": [scene.finding_a.pk], "include_status": "on", "month": "2025-11"},
        )
        assert response.status_code == 403
    assert Bulletin.objects.count() == 3


def test_the_compose_page_lists_the_committees_problem_findings(scene):
    client = logged_in(scene.user("committee_admin"))
    body = text(page(client, "bulletin_compose"))
    assert "理论学习记录不全" in body and "廉政教育覆盖不全" in body
    assert "亮点：品牌特色鲜明" not in body and OTHER_FINDING not in body
    body = text(page(client, "bulletin_compose", q="乙"))
    assert "廉政教育覆盖不全" in body and "理论学习记录不全" not in body
    body = text(page(client, "bulletin_compose", campaign=str(scene.w.other_campaign.pk)))
    assert OTHER_FINDING not in body  # another committee's campaign is not a choice: ignored
    # the other committee's admin sees its own finding and none of ours
    other = text(page(logged_in(scene.user("other_admin")), "bulletin_compose"))
    assert OTHER_FINDING in other and "理论学习记录不全" not in other


def test_composing_a_draft_and_refusing_a_foreign_finding(scene):
    client = logged_in(scene.user("committee_admin"))
    url = reverse("supervision:bulletin_compose")
    response = client.post(
        url, {"findings": [scene.finding_a.pk, scene.finding_x.pk], "include_status": "on"}
    )
    assert response.status_code == 200 and Bulletin.objects.count() == 3
    assert OTHER_FINDING not in text(response)
    response = client.post(url, {})
    assert "请至少选择一项通报内容" in text(response)
    response = client.post(
        url,
        {
            "findings": [scene.finding_a.pk, scene.finding_b.pk],
            "include_overdue": "on",
            "campaign": str(scene.w.campaign.pk),
            "title": "关于考评发现问题的通报",
        },
    )
    made = Bulletin.objects.exclude(
        pk__in=[scene.draft.pk, scene.published.pk, scene.other_bulletin.pk]
    ).get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "supervision:bulletin_edit", args=[made.pk]
    )
    assert made.title == "关于考评发现问题的通报" and made.campaign == scene.w.campaign
    assert made.sources["findings"] == [scene.finding_a.pk, scene.finding_b.pk]
    assert "三、逾期未完成事项" in made.body and "、整改落实情况" not in made.body
    # the other committee's admin cannot compose from our finding either
    other = logged_in(scene.user("other_admin"))
    other.post(url, {"findings": [scene.finding_a.pk]})
    assert not Bulletin.objects.filter(
        committee=scene.w.other_committee, body__contains="理论学习"
    ).exists()


def test_the_monthly_page(scene):
    client = logged_in(scene.user("committee_admin"))
    assert page(client, "bulletin_monthly").status_code == 200
    response = client.post(reverse("supervision:bulletin_monthly"), {"month": "2025-13"})
    assert "请按“年-月”选择月份" in text(response)
    response = client.post(reverse("supervision:bulletin_monthly"), {"month": "2025-11"})
    made = Bulletin.objects.get(kind=BulletinKind.MONTHLY)
    assert response.status_code == 302 and made.committee == scene.committee
    assert made.title == "关于2025年11月督查情况的通报" and made.state == BulletinState.DRAFT
    response = client.post(reverse("supervision:bulletin_monthly"), {"month": "2025-11"})
    assert response.status_code == 200 and "已经生成" in text(response)
    # the other committee's admin makes its own committee's bulletin, never ours
    logged_in(scene.user("other_admin")).post(
        reverse("supervision:bulletin_monthly"), {"month": "2025-11"}
    )
    assert (
        Bulletin.objects.filter(
            kind=BulletinKind.MONTHLY, committee=scene.w.other_committee
        ).count()
        == 1
    )
    assert (
        Bulletin.objects.filter(kind=BulletinKind.MONTHLY, committee=scene.committee).count() == 1
    )
    # unit people do not see the draft
    assert page(logged_in(scene.user("owner")), "bulletin_detail", made.pk).status_code == 404


# --- editing and publishing --------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ("committee_leader", "owner", "colleague", "other_admin", *REFUSED)
)
def test_others_neither_edit_nor_publish(scene, persona):
    client = logged_in(scene.user(persona))
    expected = 404 if persona == "other_admin" else 403
    edit = reverse("supervision:bulletin_edit", args=[scene.draft.pk])
    publish = reverse("supervision:bulletin_publish", args=[scene.draft.pk])
    response = client.get(edit)
    assert response.status_code == expected and OWN_DRAFT not in text(response)
    response = client.post(edit, {"title": "改", "body": "改", "document_number": "", "version": 1})
    assert response.status_code == expected
    response = client.post(publish, {"version": 1})
    assert response.status_code == expected
    draft = Bulletin.objects.get(pk=scene.draft.pk)
    assert (draft.title, draft.state, draft.version) == (OWN_DRAFT, BulletinState.DRAFT, 1)
    assert not Notice.objects.filter(kind="bulletin.published").exists()


def test_editing_a_draft_with_a_stale_version(scene):
    client = logged_in(scene.user("committee_admin"))
    url = reverse("supervision:bulletin_edit", args=[scene.draft.pk])
    body = text(client.get(url))
    assert OWN_DRAFT in body and 'name="version"' in body
    form = {
        "title": "第一次修改",
        "document_number": "市直工〔2026〕1号",
        "body": "各单位：\n　　正文一。",
        "version": 1,
    }
    response = client.post(url, form)
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:bulletin_detail", args=[scene.draft.pk])
    stale = client.post(url, {**form, "title": "迟到的修改", "body": "迟到的正文"})
    body = text(stale)
    assert stale.status_code == 200 and "已被他人修改" in body
    assert "第一次修改" in body  # what is stored now is shown
    assert 'name="version" value="2"' in body  # a second save overwrites knowingly
    draft = Bulletin.objects.get(pk=scene.draft.pk)
    assert (draft.title, draft.version) == ("第一次修改", 2)
    client.post(url, {**form, "title": "迟到的修改", "version": 2})
    assert Bulletin.objects.get(pk=scene.draft.pk).title == "迟到的修改"


def test_publishing_from_the_page(scene):
    admin = logged_in(scene.user("committee_admin"))
    url = reverse("supervision:bulletin_publish", args=[scene.draft.pk])
    assert admin.get(url).status_code == 405
    owner = logged_in(scene.user("owner"))
    assert page(owner, "bulletin_detail", scene.draft.pk).status_code == 404
    response = admin.post(url, {"version": 1})
    assert response.status_code == 302
    assert Bulletin.objects.get(pk=scene.draft.pk).state == BulletinState.PUBLISHED
    assert Notice.objects.filter(kind="bulletin.published", recipient=scene.user("owner")).exists()
    body = text(page(owner, "bulletin_detail", scene.draft.pk))
    assert OWN_DRAFT in body and "（草稿，未发布）" not in body
    # published: read-only
    edit = reverse("supervision:bulletin_edit", args=[scene.draft.pk])
    response = admin.post(
        edit, {"title": "发布后修改", "body": "x", "document_number": "", "version": 2}
    )
    assert response.status_code == 302
    assert Bulletin.objects.get(pk=scene.draft.pk).title == OWN_DRAFT
    response = admin.post(url, {"version": 2}, follow=True)
    assert "不允许此操作" in text(response)


# --- query counts ------------------------------------------------------------------------------


def _count_queries(client, url: str) -> tuple[int, list[str]]:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("persona", ("committee_admin", "owner"))
def test_the_list_query_count_does_not_grow(scene: Scene, persona):
    url = reverse("supervision:bulletin_list")
    client = logged_in(scene.user(persona))

    def fill(total: int) -> None:
        have = Bulletin.objects.filter(committee=scene.committee).count()
        for n in range(have, total):
            bulletin(
                scene.committee,
                f"通报{n}",
                state=BulletinState.PUBLISHED,
                campaign=scene.w.campaign if n % 2 else None,
                kind=BulletinKind.MONTHLY if n % 3 else BulletinKind.AD_HOC,
            )

    fill(3)
    small, small_sql = _count_queries(client, url)
    fill(30)
    large, large_sql = _count_queries(client, url)
    assert small == large, "\n".join(["small:", *small_sql, "large:", *large_sql])


def test_the_compose_page_query_count_does_not_grow(scene: Scene):
    from mofan.evaluations.models import Finding

    url = reverse("supervision:bulletin_compose")
    client = logged_in(scene.user("committee_admin"))

    def fill(total: int) -> None:
        have = Finding.objects.filter(
            is_problem=True, assignment__group__campaign=scene.w.campaign
        ).count()
        for n in range(have, total):
            Finding.objects.create(
                assignment=scene.w.assignment_a if n % 2 else scene.w.assignment_b,
                node=scene.w.node("1.2") if n % 3 else None,
                text=f"问题{n}",
                is_problem=True,
                created_by=scene.user("leader"),
            )

    fill(3)
    small, small_sql = _count_queries(client, url)
    fill(30)
    large, large_sql = _count_queries(client, url)
    assert small == large, "\n".join(["small:", *small_sql, "large:", *large_sql])
