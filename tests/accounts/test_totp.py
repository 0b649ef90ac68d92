"""TOTP two-factor login: enrolment, the second step, replay protection, recovery codes and
the roles that must use it."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client, override_settings

from mofan.accounts.models import LoginThrottle, RecoveryCode, TotpDevice, User
from mofan.accounts.roles import Role
from mofan.audit.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/"
OTP = "/accounts/login/otp/"


def _code(secret: str, steps_ahead: int = 0) -> str:
    """The code for the current 30-second step (plus `steps_ahead`).

    The server accepts the previous, current and next step, so a code for the current step stays
    valid for at least 30 seconds and one for the next step for at least 60: no sleeping needed.
    """
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def _password_step(client: Client, user: User, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


def _enrol(client: Client, user: User) -> tuple[str, list[str]]:
    page = client.get(SETUP)
    assert page.status_code == 200
    device = TotpDevice.objects.get(user=user)
    assert device.confirmed_at is None
    assert device.secret in page.content.decode()
    response = client.post(SETUP, {"code": _code(device.secret)})
    assert response.status_code == 200
    codes = re.findall(
        r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", response.content.decode()
    )
    return device.secret, codes


@pytest.fixture
def user(unit_admin):
    return unit_admin  # the standard unit admin (tests/world.py)


@pytest.fixture
def enrolled(user):
    client = Client()
    assert _password_step(client, user).status_code == 302
    secret, codes = _enrol(client, user)
    return user, secret, codes


def test_enrolment_gives_ten_recovery_codes(enrolled):
    user, _secret, codes = enrolled
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert TotpDevice.objects.get(user=user).confirmed_at is not None
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    # Only hashes are stored.
    assert not set(codes) & set(stored)
    assert AuditEntry.objects.filter(action="account.2fa.enable", actor_id=user.pk).exists()


def test_wrong_code_does_not_confirm_enrolment(login, user):
    client = login(user)
    client.get(SETUP)
    device = TotpDevice.objects.get(user=user)
    wrong = f"{(int(_code(device.secret)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"code": wrong})
    assert "验证码不正确" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert not RecoveryCode.objects.filter(user=user).exists()
    # Still a one-factor login.
    assert _password_step(Client(), user)["Location"] == "/"


def test_login_requires_the_second_step(enrolled):
    user, secret, _codes = enrolled
    client = Client()
    response = _password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == OTP
    # The password alone does not log in.
    assert client.get("/").status_code == 302
    assert client.get("/").url.startswith("/accounts/login/")
    assert not AuditEntry.objects.filter(
        action="account.login.success", data__extra__method="password+totp"
    ).exists()

    response = client.post(OTP, {"code": _code(secret, steps_ahead=1)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(
        action="account.login.success", data__extra__method="password+totp"
    ).exists()


def test_otp_page_without_the_password_step_goes_back_to_login(enrolled):
    _user, secret, _codes = enrolled
    client = Client()
    response = client.post(OTP, {"code": _code(secret, steps_ahead=1)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_a_code_cannot_be_used_twice(enrolled):
    user, secret, _codes = enrolled
    code = _code(secret, steps_ahead=1)
    first = Client()
    _password_step(first, user)
    assert first.post(OTP, {"code": code}).status_code == 302
    assert first.get("/").status_code == 200

    # Someone who saw the code (and knows the password) replays it at once.
    second = Client()
    _password_step(second, user)
    response = second.post(OTP, {"code": code})
    assert response.status_code == 200
    assert "验证码不正确或已使用过" in response.content.decode()
    assert second.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="account.2fa.verify", result="failure").exists()


def test_the_enrolment_code_cannot_be_replayed_for_login(user):
    client = Client()
    _password_step(client, user)
    client.get(SETUP)
    secret = TotpDevice.objects.get(user=user).secret
    code = _code(secret)
    assert client.post(SETUP, {"code": code}).status_code == 200
    other = Client()
    _password_step(other, user)
    assert other.post(OTP, {"code": code}).status_code == 200
    assert other.get("/").status_code == 302


def test_a_recovery_code_works_once(enrolled):
    user, _secret, codes = enrolled
    client = Client()
    _password_step(client, user)
    response = client.post(OTP, {"code": codes[3]})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    assert AuditEntry.objects.filter(
        action="account.2fa.verify", data__extra__method="recovery_code", result="success"
    ).exists()

    again = Client()
    _password_step(again, user)
    response = again.post(OTP, {"code": codes[3]})
    assert response.status_code == 200
    assert again.get("/").status_code == 302
    # Another unused code still works.
    assert again.post(OTP, {"code": codes[4].upper()}).status_code == 302
    assert again.get("/").status_code == 200


def test_wrong_codes_lock_the_account(enrolled):
    user, _secret, _codes = enrolled
    client = Client()
    _password_step(client, user)
    for _ in range(4):
        assert client.post(OTP, {"code": "000000"}).status_code == 200
    response = client.post(OTP, {"code": "000000"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert LoginThrottle.objects.get(key=f"account:{user.username}").locked_until is not None
    locked = AuditEntry.objects.get(action="account.login.locked")
    assert locked.object_id == str(user.pk)
    assert locked.data["extra"]["factor"] == "totp"
    assert AuditEntry.objects.filter(action="account.2fa.verify", result="failure").count() == 5
    # Even the right password and a valid code do not get in now.
    response = _password_step(Client(), user)
    assert response.status_code == 400
    assert "已被锁定" in response.content.decode()


def test_device_secret_is_not_shown_again_after_confirmation(enrolled):
    user, secret, _codes = enrolled
    client = Client()
    _password_step(client, user)
    client.post(OTP, {"code": _code(secret, steps_ahead=1)})
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "双因素认证已启用" in page.content.decode()
    assert secret not in page.content.decode()
    assert TotpDevice.objects.get(user=user).secret == secret


@override_settings(MOFAN_REQUIRE_2FA_ROLES=[Role.COMMITTEE_ADMIN])
def test_roles_that_require_2fa_are_sent_to_enrol(committee_admin, unit_admin):
    admin_client = Client()
    _password_step(admin_client, committee_admin)
    for url in ["/", "/org/units/", "/manage/accounts/"]:
        response = admin_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == SETUP, url
    page = admin_client.get(SETUP)
    assert page.status_code == 200
    assert "您的角色要求启用双因素认证" in page.content.decode()
    # The refusal is audited once, however many pages were tried.
    refused = AuditEntry.objects.filter(action="account.2fa.required", actor_id=committee_admin.pk)
    assert refused.count() == 1
    assert refused.get().result == "denied"

    unit_client = Client()
    _password_step(unit_client, unit_admin)
    assert unit_client.get("/").status_code == 200

    # After enrolling, the committee admin gets through.
    secret = TotpDevice.objects.get(user=committee_admin).secret
    assert admin_client.post(SETUP, {"code": _code(secret)}).status_code == 200
    assert admin_client.get("/").status_code == 200


def _production_setting(name: str, **extra: str) -> str:
    """A setting as the production configuration computes it, in a fresh interpreter."""
    import secrets
    import subprocess
    import sys
    import tempfile

    from tests.childenv import child_env

    env = child_env(
        MOFAN_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        MOFAN_AUDIT_KEY=secrets.token_urlsafe(32),
        MOFAN_DATA_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="mofan.example.gov.cn",
        MOFAN_VAR_DIR=tempfile.mkdtemp(),
        **extra,
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from django.conf import settings; print(','.join(settings.{name}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_production_requires_2fa_of_every_committee_role_and_unit_roles_can_be_added():
    from mofan.accounts.roles import COMMITTEE_ROLES, UNIT_ROLES

    assert set(_production_setting("MOFAN_REQUIRE_2FA_ROLES").split(",")) == set(COMMITTEE_ROLES)
    with_units = _production_setting(
        "MOFAN_REQUIRE_2FA_ROLES",
        MOFAN_REQUIRE_2FA_ROLES=",".join([*COMMITTEE_ROLES, Role.UNIT_ADMIN]),
    )
    assert set(with_units.split(",")) == set(COMMITTEE_ROLES) | {Role.UNIT_ADMIN}
    assert Role.UNIT_ADMIN in UNIT_ROLES


@override_settings(
    MOFAN_REQUIRE_2FA_ROLES=[
        "committee_admin",
        "committee_leader",
        "security_admin",
        "auditor",
        "reviewer",
    ]
)
def test_a_reviewer_cannot_read_submissions_before_enrolling(reviewer):
    client = Client()
    _password_step(client, reviewer)
    for url in ["/", "/reviews/mine/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == SETUP, url
