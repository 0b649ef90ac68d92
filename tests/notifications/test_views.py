"""The bell and /notices/: one's own notices only, paged with a constant number of queries,
marking read with and without htmx, and opening a notice never leaves the site."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mofan.notifications.models import Notice
from mofan.notifications.services import is_local_path, notify
from tests.notifications.helpers import notice
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db

SECRET = "甲单位的机密通知标题"
SECRET_BODY = "只给甲单位联络员看的内容"
LIST = "/notices/"


@pytest.fixture
def world(committee, unit_a):
    """The owner's notice is created FIRST; then the colleague (same unit) and the outsider
    (another committee), each with a notice of their own."""
    owner = persona("unit_admin", unit_a=unit_a)
    leak = notice(owner, SECRET, body=SECRET_BODY, url="/rectification/items/1/")
    colleague = persona("unit_leader", unit_a=unit_a)
    outsider = persona("other_admin")
    notice(colleague, "同事自己的通知")
    notice(outsider, "外工委自己的通知")

    class W:
        pass

    w = W()
    w.owner, w.colleague, w.outsider, w.leak = owner, colleague, outsider, leak
    return w


def test_the_owner_sees_and_opens_their_notice(world):
    client = logged_in(world.owner)
    body = client.get(LIST).content.decode()
    assert SECRET in body and SECRET_BODY in body
    assert "同事自己的通知" not in body and "外工委自己的通知" not in body
    assert "notice-unread" in body and "全部标为已读" in body
    response = client.get(reverse("notifications:open", args=[world.leak.pk]))
    assert response.status_code == 302 and response["Location"] == "/rectification/items/1/"
    world.leak.refresh_from_db()
    assert world.leak.read_at is not None


@pytest.mark.parametrize("persona", ["colleague", "outsider"])
def test_nobody_else_sees_opens_or_marks_the_notice(world, persona):
    user = getattr(world, persona)
    client = logged_in(user)
    for page in (LIST, f"{LIST}?page=2"):
        body = client.get(page).content.decode()
        assert SECRET not in body and SECRET_BODY not in body
        assert "自己的通知" in body  # their own list works
    home = client.get("/").content.decode()
    assert SECRET not in home
    pk = world.leak.pk
    assert client.get(reverse("notifications:open", args=[pk])).status_code == 404
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.post(reverse("notifications:mark_read", args=[pk]), **headers)
        assert response.status_code == 404 and SECRET not in response.content.decode()
        response = client.post(reverse("notifications:mark_all_read"), **headers)
        assert SECRET not in response.content.decode()
    world.leak.refresh_from_db()
    assert world.leak.read_at is None
    # their own were marked, the owner's not
    assert not Notice.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notice.objects.filter(recipient=world.owner, read_at__isnull=True).count() == 1


def test_anonymous_is_sent_to_log_in(world):
    client = Client()
    for url in (LIST, reverse("notifications:open", args=[world.leak.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for url in (reverse("notifications:mark_read", args=[world.leak.pk]), "/notices/read-all/"):
        assert client.post(url).status_code == 302
    world.leak.refresh_from_db()
    assert world.leak.read_at is None


def test_the_auditor_reads_only_their_own_notices(world, auditor):
    notice(auditor, "审计员自己的通知")
    client = logged_in(auditor)
    body = client.get(LIST).content.decode()
    assert "审计员自己的通知" in body and SECRET not in body
    assert client.get(reverse("notifications:open", args=[world.leak.pk])).status_code == 404


OUTSIDE = [
    "https://evil.example/phish",
    "http://evil.example",
    "//evil.example/x",
    "/\\evil.example",
    "/\t/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "evil.example/x",
    " /rectification/",
    "",
]


@pytest.mark.parametrize("url", OUTSIDE)
def test_opening_a_notice_never_redirects_off_site(world, url):
    """Notices are written with local paths only, but the redirect checks again: a stored
    outside address ends on the notices page."""
    bad = notice(world.owner, "外部链接", url=url)
    client = logged_in(world.owner)
    response = client.get(reverse("notifications:open", args=[bad.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    bad.refresh_from_db()
    assert bad.read_at is not None
    assert not is_local_path(url)
    if url:
        with pytest.raises(ValueError):
            notify(recipients=[world.owner], kind="x", title="x", url=url)


def test_local_paths_are_accepted():
    for url in ("/rectification/items/3/", "/notices/?page=2", "/campaigns/1/#results"):
        assert is_local_path(url), url


def test_the_bell_shows_the_unread_count_without_javascript(world):
    notice(world.owner, "第二条")
    notice(world.owner, "已读的一条", read=True)
    client = logged_in(world.owner)
    home = client.get("/").content.decode()
    assert 'id="notice-bell"' in home and f'href="{LIST}"' in home
    assert '<span class="notice-count">2</span>' in home
    assert "<script>" not in home and "style=" not in home
    client.post("/notices/read-all/")
    home = client.get("/").content.decode()
    assert 'id="notice-bell"' in home and "notice-count" not in home


def test_the_bell_stops_counting_at_99(world):
    Notice.objects.bulk_create(
        [Notice(recipient=world.owner, kind="t", title=f"第{i}条") for i in range(120)]
    )
    home = logged_in(world.owner).get("/").content.decode()
    assert '<span class="notice-count">99+</span>' in home


def _notice_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "notifications_notice" in q["sql"]]


def test_the_bell_costs_one_query_and_nothing_for_anonymous_pages(world):
    client = logged_in(world.owner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert len(_notice_queries(queries)) == 1
    anonymous = Client()
    with CaptureQueriesContext(connection) as queries:
        body = anonymous.get(reverse("accounts:login")).content.decode()
    assert _notice_queries(queries) == [] and "notice-bell" not in body


def test_marking_one_read_without_javascript_returns_to_the_page(world):
    client = logged_in(world.owner)
    response = client.post(reverse("notifications:mark_read", args=[world.leak.pk]), {"page": "3"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?page=3"
    world.leak.refresh_from_db()
    assert world.leak.read_at is not None
    response = client.post(
        reverse("notifications:mark_read", args=[world.leak.pk]), {"page": "//x"}
    )
    assert response["Location"] == LIST
    assert client.get(reverse("notifications:mark_read", args=[world.leak.pk])).status_code == 405


def test_htmx_marks_one_read_and_updates_the_bell(world):
    other = notice(world.owner, "另一条未读")
    client = logged_in(world.owner)
    response = client.post(
        reverse("notifications:mark_read", args=[world.leak.pk]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert (
        f'id="notice-{world.leak.pk}"' in body
        and "notice-unread" not in body.split("notice-bell")[0]
    )
    assert 'hx-swap-oob="true"' in body and '<span class="notice-count">1</span>' in body
    other.refresh_from_db()
    assert other.read_at is None


def test_htmx_marks_all_read_and_clears_the_bell(world):
    notice(world.owner, "另一条未读")
    client = logged_in(world.owner)
    response = client.post("/notices/read-all/", {"page": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert SECRET in body and "notice-unread" not in body and "全部标为已读" not in body
    assert 'hx-swap-oob="true"' in body and "notice-count" not in body
    assert not Notice.objects.filter(recipient=world.owner, read_at__isnull=True).exists()


def test_the_list_is_newest_first_and_paged(world):
    Notice.objects.filter(recipient=world.owner).delete()
    for i in range(45):
        notice(world.owner, f"编号{i:02d}号通知")
    client = logged_in(world.owner)
    first = client.get(LIST).content.decode()
    assert "编号44号通知" in first and "编号25号通知" in first and "编号24号通知" not in first
    assert first.index("编号44号通知") < first.index("编号43号通知")
    assert "第 1 / 3 页，共 45 条" in first
    last = client.get(LIST, {"page": 3}).content.decode()
    assert "编号00号通知" in last and "编号05号通知" not in last
    assert client.get(LIST, {"page": "abc"}).status_code == 200


def _list_queries(user, count: int) -> int:
    Notice.objects.filter(recipient=user).delete()
    Notice.objects.bulk_create(
        [
            Notice(recipient=user, kind="t", title=f"通知{i}", body="内容", url="/notices/")
            for i in range(count)
        ]
    )
    client = logged_in(user)
    client.get(LIST)  # warm up
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_the_list_query_count_does_not_grow(world, unit_a):
    small = _list_queries(world.owner, 3)
    large = _list_queries(world.colleague, 60)
    assert small == large


def test_a_unit_user_of_another_unit_sees_nothing_either(world, outsider):
    body = logged_in(outsider).get(LIST).content.decode()
    assert SECRET not in body and "暂无通知。" in body
