"""Login lockout: 5 failures lock for 30 minutes, in the database, keyed by account and by
account + client address, and not steerable with a forged X-Forwarded-For."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from mofan.accounts.models import LoginThrottle, User
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry, AuditResult
from mofan.audit.services import audit_verify
from mofan.core.middleware import resolve_client_ip
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "Not-The-Passw0rd"
ATTACKER = "198.51.100.66"
VICTIM = "203.0.113.7"
PROXY = "10.0.0.1"


def _post(client: Client, username: str, password: str, **extra: str):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _fail(client: Client, username: str, times: int, **extra: str):
    response = None
    for _ in range(times):
        response = _post(client, username, WRONG, **extra)
        assert response.status_code == 400
    return response


@pytest.fixture
def user(unit_admin):
    return unit_admin  # the standard unit admin (tests/world.py)


def test_successful_login_is_audited_and_sets_the_session(client, user):
    response = _post(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    entry = AuditEntry.objects.get(action="account.login.success")
    assert entry.actor_id == user.pk
    assert entry.client_ip == "127.0.0.1"
    assert client.get("/").status_code == 200


def test_wrong_password_gives_a_generic_chinese_message(client, user):
    response = _post(client, user.username, WRONG)
    body = response.content.decode()
    assert response.status_code == 400
    assert "用户名或密码错误" in body
    assert "连续输错 5 次将锁定账号 30 分钟" in body
    # An unknown user gets exactly the same message (no account enumeration).
    unknown = _post(Client(), "nobody-here", WRONG).content.decode()
    assert "用户名或密码错误" in unknown


def test_five_failures_lock_the_account_for_30_minutes(client, user):
    response = _fail(client, user.username, 4)
    assert "已锁定" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="account.login.locked").exists()

    response = _fail(client, user.username, 1)
    assert "连续 5 次登录失败，账号已锁定 30 分钟" in response.content.decode()

    failed = AuditEntry.objects.filter(action="account.login.failed")
    assert failed.count() == 5
    assert set(failed.values_list("result", flat=True)) == {AuditResult.FAILURE}
    locked = AuditEntry.objects.get(action="account.login.locked")
    assert locked.object_id == str(user.pk)
    assert locked.data["extra"]["minutes"] == 30
    # The password itself never reaches the audit trail.
    assert WRONG not in str(list(AuditEntry.objects.values_list("data", flat=True)))

    throttle = LoginThrottle.objects.get(key=f"account:{user.username}")
    assert throttle.failures == 5
    remaining = throttle.locked_until - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)

    # The right password is refused while locked, with a clear message.
    response = _post(client, user.username, PASSWORD)
    assert response.status_code == 400
    body = response.content.decode()
    assert "该账号因连续登录失败已被锁定" in body
    assert timezone.localtime(throttle.locked_until).strftime("%H:%M") in body
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="account.login.refused_locked").exists()
    assert audit_verify().ok


def test_lock_survives_a_restart(user):
    _fail(Client(), user.username, 5)
    # A "restart": no in-process state, no cache, a brand-new client (new session, no cookies).
    for cache in caches.all():
        cache.clear()
    fresh = Client()
    response = _post(fresh, user.username, PASSWORD)
    assert response.status_code == 400
    assert "已被锁定" in response.content.decode()
    assert fresh.get("/").status_code == 302


def test_lock_is_case_and_whitespace_insensitive(client, user):
    _fail(client, user.username.upper(), 3)
    _fail(client, f"  {user.username}  ", 2)
    assert "已被锁定" in _post(client, user.username, PASSWORD).content.decode()


def test_login_works_again_after_the_lock_expires(client, user):
    _fail(client, user.username, 5)
    assert _post(client, user.username, PASSWORD).status_code == 400
    past = timezone.now() - timedelta(minutes=31)
    LoginThrottle.objects.update(locked_until=past + timedelta(minutes=30), last_failure_at=past)

    response = _post(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    # A successful login clears the counters.
    assert not LoginThrottle.objects.filter(key__contains=user.username).exists()


def test_failures_after_an_expired_lock_start_counting_from_zero(user):
    client = Client()
    _fail(client, user.username, 5)
    past = timezone.now() - timedelta(minutes=31)
    LoginThrottle.objects.update(locked_until=past + timedelta(minutes=30), last_failure_at=past)
    response = _fail(client, user.username, 1)
    assert "已锁定" not in response.content.decode()
    assert LoginThrottle.objects.get(key=f"account:{user.username}").failures == 1
    assert _post(client, user.username, PASSWORD).status_code == 302


def test_old_failures_outside_the_window_do_not_count(client, user):
    _fail(client, user.username, 4)
    LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(minutes=31))
    _fail(client, user.username, 1)
    assert _post(client, user.username, PASSWORD).status_code == 302


def test_the_account_lock_holds_across_client_addresses(user):
    for n in range(5):
        _post(Client(REMOTE_ADDR=f"192.0.2.{n + 1}"), user.username, WRONG)
    response = _post(Client(REMOTE_ADDR="192.0.2.200"), user.username, PASSWORD)
    assert "已被锁定" in response.content.decode()


def test_account_and_address_are_both_keys(client, user):
    _fail(client, user.username, 2, REMOTE_ADDR=ATTACKER)
    keys = set(LoginThrottle.objects.values_list("key", flat=True))
    assert keys == {f"account:{user.username}", f"account-ip:{user.username}|{ATTACKER}"}


def test_other_accounts_are_not_affected(client, user, unit_a):
    other = make_user(Role.UNIT_LEADER, unit=unit_a)
    _fail(client, user.username, 5)
    assert _post(Client(), other.username, PASSWORD).status_code == 302


# --- X-Forwarded-For --------------------------------------------------------------------------


def test_forged_forwarded_for_does_not_bypass_the_lock(user):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(5):
        _post(attacker, user.username, WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
    response = _post(attacker, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert "已被锁定" in response.content.decode()
    # Every failure was counted against the attacker's real address, not the forged ones.
    ip_keys = LoginThrottle.objects.filter(key__startswith="account-ip:")
    assert list(ip_keys.values_list("key", "failures")) == [
        (f"account-ip:{user.username}|{ATTACKER}", 5)
    ]
    ips = set(
        AuditEntry.objects.filter(action="account.login.failed").values_list("client_ip", flat=True)
    )
    assert ips == {ATTACKER}


def test_forged_forwarded_for_cannot_aim_failures_at_someone_else(user):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    _fail(attacker, user.username, 3, HTTP_X_FORWARDED_FOR=VICTIM)
    assert not LoginThrottle.objects.filter(key__contains=VICTIM).exists()
    assert LoginThrottle.objects.filter(key=f"account-ip:{user.username}|{ATTACKER}").exists()
    assert not AuditEntry.objects.filter(client_ip=VICTIM).exists()
    # The victim, at its own address, still logs in.
    assert _post(Client(REMOTE_ADDR=VICTIM), user.username, PASSWORD).status_code == 302


@override_settings(MOFAN_TRUSTED_PROXIES=[PROXY])
def test_forwarded_for_is_honoured_from_a_trusted_proxy(user):
    behind_proxy = Client(REMOTE_ADDR=PROXY)
    _fail(behind_proxy, user.username, 2, HTTP_X_FORWARDED_FOR=f"{VICTIM}, {ATTACKER}")
    assert LoginThrottle.objects.filter(key=f"account-ip:{user.username}|{ATTACKER}").exists()
    assert not LoginThrottle.objects.filter(key__contains=PROXY).exists()
    assert not LoginThrottle.objects.filter(key__contains=VICTIM).exists()
    ips = set(
        AuditEntry.objects.filter(action="account.login.failed").values_list("client_ip", flat=True)
    )
    assert ips == {ATTACKER}


# --- resolve_client_ip ------------------------------------------------------------------------


def _ip(remote: str, xff: str | None = None) -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return resolve_client_ip(RequestFactory().get("/", **meta))


def test_resolve_client_ip_without_trusted_proxies_ignores_the_header():
    assert _ip(ATTACKER) == ATTACKER
    assert _ip(ATTACKER, VICTIM) == ATTACKER
    assert _ip(ATTACKER, f"{VICTIM}, 127.0.0.1") == ATTACKER
    assert _ip("not-an-ip", VICTIM) is None
    assert _ip("2001:DB8:0:0::1") == "2001:db8::1"


@override_settings(MOFAN_TRUSTED_PROXIES=[PROXY, "10.0.0.2"])
def test_resolve_client_ip_with_trusted_proxies():
    # Not from a proxy: the header is ignored.
    assert _ip(ATTACKER, VICTIM) == ATTACKER
    # From a proxy: the last hop that is not a trusted proxy.
    assert _ip(PROXY, VICTIM) == VICTIM
    assert _ip(PROXY, f"{VICTIM}, {ATTACKER}") == ATTACKER
    assert _ip(PROXY, f"{VICTIM}, 10.0.0.2") == VICTIM
    assert _ip(PROXY, f" {VICTIM} ,, ") == VICTIM
    # No header, or a garbage hop: fall back to the proxy itself rather than trust it.
    assert _ip(PROXY) == PROXY
    assert _ip(PROXY, f"{VICTIM}, garbage") == PROXY
    # Only proxies in the header: the proxy.
    assert _ip(PROXY, "10.0.0.2") == PROXY


def test_lockout_does_not_crash_on_a_long_username(client):
    name = "x" * 150
    response = _fail(client, name, 5)
    assert "已锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action="account.login.locked").exists()
    assert audit_verify().ok


def test_inactive_account_with_right_password_is_refused(client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = _post(client, user.username, PASSWORD)
    assert response.status_code == 400
    assert "该账号已停用" in response.content.decode()
    assert AuditEntry.objects.filter(action="account.login.refused_inactive").exists()
