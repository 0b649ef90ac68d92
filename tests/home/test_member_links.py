"""The member's home is no dead end (issue 14, point 10): every link on it opens for the
member; a page the member may not open is not linked (the member reads its unit's public
pages, nothing more)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mofan.organizations.services import member_account_link
from tests.evaluations.campaign_fixtures import build_world
from tests.factories import MemberFactory
from tests.world import logged_in, persona

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#]*)')


def links_on(body: str) -> list[str]:
    """The site's own page links of a page (no static files, no log out)."""
    return sorted(
        {
            url.replace("&amp;", "&")
            for url in HREF.findall(body)
            if not url.startswith(("/static/", "/accounts/logout"))
        }
    )


def test_every_link_on_the_members_home_opens():
    w = build_world()  # an active campaign in which unit A takes part
    member = persona("member", unit_a=w.unit_a)
    client = logged_in(member)
    home = client.get(reverse("home:home"))
    assert home.status_code == 200
    links = links_on(home.content.decode())
    assert links  # the navigation at least
    refused = [url for url in links if client.get(url).status_code == 403]
    assert refused == []


@pytest.mark.parametrize(
    "who", ["committee_admin", "committee_leader", "auditor", "leader", "owner", "colleague"]
)
def test_no_link_on_anyones_home_answers_403(who):
    w = build_world()
    client = logged_in(w.users[who])
    links = links_on(client.get(reverse("home:home")).content.decode())
    assert links
    assert [url for url in links if client.get(url).status_code == 403] == []


def test_the_members_home_leads_to_their_own_records_once_linked():
    """Issue 15: no "随后开放" any more. An unlinked member is told who links the account; a
    linked one gets 记录一项活动 and 我的活动, and both open."""
    w = build_world()
    member = persona("member", unit_a=w.unit_a)
    client = logged_in(member)
    body = client.get(reverse("home:home")).content.decode()
    assert "随后开放" not in body
    assert "尚未与本单位党员名册关联" in body
    assert reverse("activities:mine_new") not in body

    row = MemberFactory(unit=w.unit_a, name="李红")
    member_account_link(member=row, account=member, actor=w.actor("owner"))
    body = client.get(reverse("home:home")).content.decode()
    assert "尚未与本单位党员名册关联" not in body
    for url in (reverse("activities:mine_new"), reverse("activities:mine")):
        assert f'href="{url}"' in body
        assert client.get(url).status_code == 200
