"""Session lifetime, logout, server-side invalidation and re-authentication."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import Role
from mofan.accounts.services import SESSION_AUTH_AT, SESSION_REAUTH_AT, SESSION_SEEN_AT
from mofan.audit.models import AuditEntry
from tests.factories import PASSWORD
from tests.world import logged_in

pytestmark = pytest.mark.django_db

MINUTE = 60
HOUR = 3600


def _shift(client: Client, **ages: float) -> None:
    """Move session timestamps into the past: _shift(c, mofan_seen_at=31 * MINUTE)."""
    session = client.session
    now = timezone.now().timestamp()
    for key, age in ages.items():
        session[key] = now - age
    session.save()


def _is_logged_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.fixture
def user(unit_admin):
    return unit_admin  # the standard unit admin (tests/world.py)


# --- idle and absolute timeouts ----------------------------------------------------------------


def test_session_survives_29_idle_minutes(client, user):
    logged_in(user, client)
    _shift(client, **{SESSION_SEEN_AT: 29 * MINUTE})
    assert client.get("/").status_code == 200


def test_session_ends_after_30_idle_minutes(client, user):
    logged_in(user, client)
    key = client.session.session_key
    _shift(client, **{SESSION_SEEN_AT: 31 * MINUTE})
    response = client.get("/org/units/")
    assert _is_logged_out(response)
    assert response["Location"] == "/accounts/login/?next=%2Forg%2Funits%2F"
    # The session is gone on the server, so the next request is anonymous too.
    assert not Session.objects.filter(session_key=key).exists()
    assert _is_logged_out(client.get("/"))
    entry = AuditEntry.objects.get(action="account.session.expired")
    assert entry.actor_id == user.pk
    assert entry.data["extra"]["reason"] == "idle"
    assert "会话已超时" in client.get("/accounts/login/").content.decode()


def test_htmx_request_after_timeout_is_sent_to_login(client, user):
    logged_in(user, client)
    _shift(client, **{SESSION_SEEN_AT: 31 * MINUTE})
    response = client.get("/manage/accounts/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/"
    assert _is_logged_out(client.get("/"))


def test_activity_keeps_the_session_alive(client, user):
    logged_in(user, client)
    # Twenty idle minutes, a request, twenty more: never 30 in a row.
    _shift(client, **{SESSION_SEEN_AT: 20 * MINUTE})
    assert client.get("/").status_code == 200
    assert timezone.now().timestamp() - client.session[SESSION_SEEN_AT] < 5
    _shift(client, **{SESSION_SEEN_AT: 20 * MINUTE})
    assert client.get("/").status_code == 200


def test_session_ends_after_12_hours_even_when_active(client, user):
    logged_in(user, client)
    _shift(client, **{SESSION_AUTH_AT: 11 * HOUR + 59 * MINUTE, SESSION_SEEN_AT: 1 * MINUTE})
    assert client.get("/").status_code == 200
    _shift(client, **{SESSION_AUTH_AT: 12 * HOUR + 1 * MINUTE, SESSION_SEEN_AT: 1 * MINUTE})
    assert _is_logged_out(client.get("/"))
    assert _is_logged_out(client.get("/"))
    entry = AuditEntry.objects.get(action="account.session.expired")
    assert entry.data["extra"]["reason"] == "absolute"


def test_session_cookie_is_bounded_and_httponly(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # A browser-session cookie (no persistent expiry); the server enforces the lifetimes.
    assert not cookie["expires"] and not cookie["max-age"]
    assert settings.SESSION_COOKIE_AGE == 12 * HOUR


def test_session_is_cycled_at_login(client, user):
    client.get("/accounts/login/")
    client.session.save()
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    before_key = before.value if before else None
    logged_in(user, client)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before_key


# --- logout -----------------------------------------------------------------------------------


def test_get_logout_does_not_log_out(client, user):
    logged_in(user, client)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert client.get("/").status_code == 200
    assert not AuditEntry.objects.filter(action="account.logout").exists()


def test_logout_invalidates_the_session_server_side(client, user):
    logged_in(user, client)
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=old_cookie).exists()

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not Session.objects.filter(session_key=old_cookie).exists()
    assert AuditEntry.objects.filter(action="account.logout", actor_id=user.pk).exists()

    # Replaying the old cookie from another client gets nowhere.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert _is_logged_out(replay.get("/"))
    assert _is_logged_out(replay.get("/org/units/"))


# --- server-side invalidation ------------------------------------------------------------------


def test_deactivation_by_an_admin_ends_the_users_sessions(user, unit_a, committee_admin):
    victim_client = logged_in(user)
    second_device = logged_in(user)
    assert victim_client.get("/").status_code == 200

    admin_client = logged_in(committee_admin)
    response = admin_client.post(
        f"/manage/accounts/{user.pk}/active/", {"active": "0", "reason": "离职"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    entry = AuditEntry.objects.get(action="account.deactivate")
    assert entry.data["extra"] == {"reason": "离职"}

    assert _is_logged_out(victim_client.get("/"))
    assert _is_logged_out(second_device.get("/org/units/"))
    # Re-enabling does not revive the old sessions either.
    admin_client.post(f"/manage/accounts/{user.pk}/active/", {"active": "1"})
    user.refresh_from_db()
    assert user.is_active
    assert _is_logged_out(second_device.get("/"))


def test_password_change_ends_other_sessions_but_keeps_this_one(user):
    here = logged_in(user)
    elsewhere = logged_in(user)
    response = here.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-Passw0rd",
            "new_password2": "Another-Passw0rd",
        },
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert _is_logged_out(elsewhere.get("/"))


# --- re-authentication -------------------------------------------------------------------------


def test_role_change_requires_recent_reauthentication(user, unit_a, committee_admin):
    client = logged_in(committee_admin)
    _shift(client, **{SESSION_REAUTH_AT: 6 * MINUTE})
    grant_url = f"/manage/accounts/{user.pk}/roles/"
    detail_url = f"/manage/accounts/{user.pk}/"
    data = {"role": Role.UNIT_LEADER, "unit": unit_a.pk}

    response = client.post(grant_url, data, HTTP_REFERER=f"http://testserver{detail_url}")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauth/")
    assert not RoleAssignment.objects.filter(user=user, role=Role.UNIT_LEADER).exists()

    page = client.get(response["Location"])
    assert page.status_code == 200
    # A wrong password does not count as re-authentication.
    bad = client.post(response["Location"], {"password": "Wrong-Passw0rd"})
    assert bad.status_code == 200
    assert "密码不正确" in bad.content.decode()
    assert client.post(grant_url, data)["Location"].startswith("/accounts/reauth/")

    ok = client.post(response["Location"], {"password": PASSWORD})
    assert ok.status_code == 302
    assert not ok["Location"].startswith("/accounts/reauth/")
    assert client.post(grant_url, data).status_code == 302
    assert RoleAssignment.objects.filter(user=user, role=Role.UNIT_LEADER, unit=unit_a).exists()
    reauth = list(
        AuditEntry.objects.filter(action="account.reauth").values_list("result", flat=True)
    )
    assert sorted(reauth) == ["failure", "success"]


def test_reauth_redirect_target_is_safe(user, unit_a, committee_admin):
    client = logged_in(committee_admin)
    _shift(client, **{SESSION_REAUTH_AT: 6 * MINUTE})
    response = client.post("/accounts/reauth/?next=https://evil.example/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
