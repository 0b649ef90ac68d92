"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import pytest
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    # A fast hasher keeps the suite quick; production uses Django's PBKDF2 default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def committee(db):
    from tests.factories import CommitteeFactory

    return CommitteeFactory(name="焦作市直机关工委测试", code="test")


@pytest.fixture
def unit_a(committee):
    from tests.factories import UnitFactory

    return UnitFactory(committee=committee, name="甲单位", short_name="甲")


@pytest.fixture
def unit_b(committee):
    from tests.factories import UnitFactory

    return UnitFactory(committee=committee, name="乙单位", short_name="乙")


@pytest.fixture
def login(client):
    """Log a user in through the real login form (audit, session fields and all)."""
    from tests.factories import PASSWORD

    def do(user, password=PASSWORD):
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": password}
        )
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return do
