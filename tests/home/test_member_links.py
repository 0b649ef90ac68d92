"""The member's home is no dead end (issue 14, point 10): every link on it opens for the
member; a page the member may not open is not linked (the member reads its unit's public
pages, nothing more)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.evaluations.campaign_fixtures import build_world
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
