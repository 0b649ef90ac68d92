"""The roster search finds a member by their full phone number through the blind index (the
phone itself is encrypted), within the unit's roster only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _names(client, unit, query: str) -> set[str]:
    response = client.get(reverse("organizations:member_list", args=[unit.pk]), {"q": query})
    assert response.status_code == 200
    return {m.name for m in response.context["members"]}


def test_the_roster_finds_a_member_by_full_phone_number(login, unit_a, unit_b, unit_admin):
    MemberFactory(unit=unit_a, name="张三", post="科长", phone="13812345678")
    MemberFactory(unit=unit_a, name="李四", post="处长", phone="0391-2345678")
    MemberFactory(unit=unit_a, name="王五", post="科员", phone="")
    MemberFactory(unit=unit_b, name="乙单位同号", phone="13812345678")
    client = login(unit_admin)

    assert _names(client, unit_a, "13812345678") == {"张三"}
    assert _names(client, unit_a, "138 1234 5678") == {"张三"}  # however it is typed
    assert _names(client, unit_a, "0391-2345678") == {"李四"}
    assert _names(client, unit_a, "03912345678") == {"李四"}
    # Only whole numbers: the ciphertext cannot be searched by part.
    assert _names(client, unit_a, "1381234") == set()
    assert _names(client, unit_a, "5678") == set()
    # Names and posts are searched as before.
    assert _names(client, unit_a, "张") == {"张三"}
    assert _names(client, unit_a, "长") == {"张三", "李四"}
    # The roster shows the decrypted phone.
    page = client.get(reverse("organizations:member_list", args=[unit_a.pk])).content.decode()
    assert "13812345678" in page and "0391-2345678" in page
