"""Password rules, initial passwords, maximum password age and disabling unused accounts."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from mofan.accounts.models import User
from mofan.accounts.passwords import character_classes, random_password
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_verify
from tests.factories import PASSWORD, make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db

PASSWORD_URL = "/accounts/password/"


def _codes(password: str, user: object = None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list if e.code}
    return set()


def _field_errors(html: str, field: str) -> list[str]:
    """The error messages rendered next to one form field (templates/form_fields.html)."""
    blocks = re.split(r'<div class="field(?: has-error)?">', html)[1:]
    for block in blocks:
        if f'name="{field}"' in block:
            found = re.findall(r'<small class="field-error"[^>]*>([^<]*)</small>', block)
            return [unescape(e) for e in found]
    raise AssertionError(f"no field {field!r} in the page")


def _change(client: Client, old: str, new: str, confirm: str | None = None):
    return client.post(
        PASSWORD_URL,
        {
            "old_password": old,
            "new_password1": new,
            "new_password2": new if confirm is None else confirm,
        },
    )


# --- the validators -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyz", "password_too_short"),  # 7 characters
        ("abcdefgh12", "password_too_simple"),  # 2 classes
        ("ABCDEFGH!!", "password_too_simple"),  # 2 classes
        ("Password123", "password_too_common"),  # 3 classes, but on the common list
        ("Zhangsan-2024", "password_contains_username"),
        ("xx-ZHANGSAN-9", "password_contains_username"),  # case-insensitive
    ],
)
def test_weak_passwords_are_refused(password, code):
    user = User(username="zhangsan", full_name="张三")
    assert code in _codes(password, user)


@pytest.mark.parametrize(
    "password",
    [
        "Qk7-vR2m",  # exactly 8, four classes
        "qk7vr2mzz!",  # three classes: lower, digit, symbol
        "QK7VR2MZZ!",  # three classes: upper, digit, symbol
        "Correct-Horse-Battery-" + "x" * 42,  # 64 characters
        "Aa1!" * 25,  # 100 characters
    ],
)
def test_good_passwords_pass(password):
    assert _codes(password, User(username="zhangsan")) == set()


def test_validation_messages_are_chinese():
    with pytest.raises(ValidationError) as info:
        validate_password("abc", User(username="abc"))
    text = " ".join(info.value.messages)
    assert "密码至少需要 8 个字符" in text
    assert "至少 3 类" in text
    assert "不能包含用户名" in text


def test_random_initial_passwords_satisfy_every_rule_and_differ():
    seen = {random_password() for _ in range(50)}
    assert len(seen) == 50
    for password in seen:
        assert len(password) >= 12
        assert character_classes(password) == 4
        assert _codes(password, User(username="u0001-admin")) == set()


# --- the password-change page -----------------------------------------------------------------


def test_password_change_shows_chinese_errors_next_to_the_field(login, unit_a, unit_admin):
    client = login(unit_admin)
    response = _change(client, PASSWORD, "short1A")
    assert response.status_code == 200
    errors = _field_errors(response.content.decode(), "new_password1")
    assert any("密码至少需要 8 个字符" in e for e in errors), errors

    response = _change(client, PASSWORD, f"{unit_admin.username}-Xy9!")
    assert any(
        "不能包含用户名" in e for e in _field_errors(response.content.decode(), "new_password1")
    )

    response = _change(client, PASSWORD, "Password123")
    assert any("过于常见" in e for e in _field_errors(response.content.decode(), "new_password1"))

    response = _change(client, PASSWORD, "alllowercase")
    assert any("至少 3 类" in e for e in _field_errors(response.content.decode(), "new_password1"))

    response = _change(client, PASSWORD, "Good-Passw0rd-1", confirm="Good-Passw0rd-2")
    assert _field_errors(response.content.decode(), "new_password2") == ["两次输入的新密码不一致。"]

    unit_admin.refresh_from_db()
    assert unit_admin.check_password(PASSWORD)


def test_password_change_requires_the_old_password(login, unit_a, unit_admin):
    client = login(unit_admin)
    response = _change(client, "Wrong-Passw0rd!", "Brand-New-Passw0rd")
    assert response.status_code == 200
    assert _field_errors(response.content.decode(), "old_password") == ["当前密码不正确。"]
    unit_admin.refresh_from_db()
    assert unit_admin.check_password(PASSWORD)
    # The wrong guess is audited (it counts against the login lock); nothing was changed.
    changes = AuditEntry.objects.filter(action="account.password.change")
    assert list(changes.values_list("result", flat=True)) == ["failure"]


def test_a_100_character_password_can_be_set_and_used(login, unit_a, unit_admin):
    client = login(unit_admin)
    long_password = ("Tr0ub4dor&3-" * 9)[:100]
    assert len(long_password) == 100
    response = _change(client, PASSWORD, long_password)
    assert response.status_code == 302, _field_errors(response.content.decode(), "new_password1")
    unit_admin.refresh_from_db()
    assert unit_admin.check_password(long_password)
    assert AuditEntry.objects.filter(
        action="account.password.change", actor_id=unit_admin.pk
    ).exists()

    fresh = logged_in(unit_admin, password=long_password)
    assert fresh.get("/").status_code == 200


# --- initial passwords must be changed ---------------------------------------------------------


def test_new_account_is_sent_to_the_password_page_until_it_changes_the_password(login, unit_a):
    user = make_user(Role.UNIT_ADMIN, unit=unit_a, must_change_password=True)
    client = login(user)
    for url in ["/", "/org/units/", f"/org/units/{unit_a.pk}/", "/audit/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == PASSWORD_URL, url
    page = client.get(PASSWORD_URL)
    assert page.status_code == 200
    assert "这是您的初始密码" in page.content.decode()

    response = _change(client, PASSWORD, "My-0wn-Secret")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.must_change_password is False
    assert user.password_changed_at is not None
    # Same session, still logged in, and free to go anywhere now.
    assert client.get("/").status_code == 200
    assert client.get("/org/units/").status_code == 200


# --- maximum password age ----------------------------------------------------------------------


def test_expired_password_must_be_changed(login, unit_a, unit_admin):
    client = login(unit_admin)
    assert client.get("/").status_code == 200
    User.objects.filter(pk=unit_admin.pk).update(
        password_changed_at=timezone.now() - timedelta(days=91)
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == PASSWORD_URL
    assert "密码已超过有效期" in client.get(PASSWORD_URL).content.decode()

    assert _change(client, PASSWORD, "Fresh-Passw0rd").status_code == 302
    assert client.get("/").status_code == 200


def test_password_age_just_within_the_limit_is_accepted(login, unit_a, unit_admin):
    client = login(unit_admin)
    User.objects.filter(pk=unit_admin.pk).update(
        password_changed_at=timezone.now() - timedelta(days=89)
    )
    assert client.get("/").status_code == 200


def test_password_max_age_is_configurable(login, unit_a, unit_admin):
    client = login(unit_admin)
    User.objects.filter(pk=unit_admin.pk).update(
        password_changed_at=timezone.now() - timedelta(days=100)
    )
    with override_settings(MOFAN_PASSWORD_MAX_AGE_DAYS=180):
        assert client.get("/").status_code == 200
    with override_settings(MOFAN_PASSWORD_MAX_AGE_DAYS=30):
        User.objects.filter(pk=unit_admin.pk).update(
            password_changed_at=timezone.now() - timedelta(days=31)
        )
        assert client.get("/")["Location"] == PASSWORD_URL


# --- accounts unused for 90 days ---------------------------------------------------------------


def test_account_unused_for_90_days_is_disabled_at_login(client, unit_a, unit_admin):
    User.objects.filter(pk=unit_admin.pk).update(last_login=timezone.now() - timedelta(days=91))
    response = client.post(
        "/accounts/login/", {"username": unit_admin.username, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "已连续 90 天未使用，已被停用" in response.content.decode()
    unit_admin.refresh_from_db()
    assert unit_admin.is_active is False
    entry = AuditEntry.objects.get(action="account.disabled.inactive")
    assert entry.object_id == str(unit_admin.pk)
    assert client.get("/").status_code == 302  # not logged in
    # Trying again now says the account is disabled.
    response = client.post(
        "/accounts/login/", {"username": unit_admin.username, "password": PASSWORD}
    )
    assert "已停用" in response.content.decode()
    assert audit_verify().ok


def test_never_used_account_older_than_90_days_is_disabled_at_login(client, unit_a, unit_admin):
    User.objects.filter(pk=unit_admin.pk).update(
        last_login=None, date_joined=timezone.now() - timedelta(days=120)
    )
    response = client.post(
        "/accounts/login/", {"username": unit_admin.username, "password": PASSWORD}
    )
    assert response.status_code == 400
    unit_admin.refresh_from_db()
    assert not unit_admin.is_active


def test_recently_used_account_logs_in(client, unit_a, unit_admin):
    User.objects.filter(pk=unit_admin.pk).update(last_login=timezone.now() - timedelta(days=89))
    response = client.post(
        "/accounts/login/", {"username": unit_admin.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="account.disabled.inactive").exists()


def test_disable_inactive_accounts_command(unit_a, capsys):
    stale = make_user(Role.UNIT_ADMIN, unit=unit_a)
    never = make_user(Role.UNIT_LEADER, unit=unit_a)
    fresh = make_user(Role.MEMBER, unit=unit_a)
    already_off = make_user(Role.MEMBER, unit=unit_a, is_active=False)
    now = timezone.now()
    User.objects.filter(pk=stale.pk).update(last_login=now - timedelta(days=91))
    User.objects.filter(pk=never.pk).update(last_login=None, date_joined=now - timedelta(days=95))
    User.objects.filter(pk=fresh.pk).update(last_login=now - timedelta(days=3))
    User.objects.filter(pk=already_off.pk).update(last_login=now - timedelta(days=300))
    epoch = stale.session_epoch

    call_command("disable_inactive_accounts")
    out = capsys.readouterr().out
    assert stale.username in out
    assert never.username in out
    assert fresh.username not in out
    assert already_off.username not in out

    for user in (stale, never, fresh):
        user.refresh_from_db()
    assert not stale.is_active and not never.is_active and fresh.is_active
    assert stale.session_epoch == epoch + 1
    disabled = set(
        AuditEntry.objects.filter(action="account.disabled.inactive").values_list(
            "object_id", flat=True
        )
    )
    assert disabled == {str(stale.pk), str(never.pk)}
    assert audit_verify().ok

    # A second run finds nothing more to do.
    call_command("disable_inactive_accounts")
    assert stale.username not in capsys.readouterr().out
