"""Security headers, CSRF on every unsafe method, and markup that a strict CSP allows
(no inline script, no style attributes, no on* handlers)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings

from mofan.accounts.models import RoleAssignment
from mofan.accounts.roles import COMMITTEE_ROLES, Role
from mofan.organizations.models import Unit
from tests.factories import PASSWORD, make_user
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, list[str]]:
    policy = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


# --- headers ----------------------------------------------------------------------------------


def _assert_baseline_headers(response) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    header = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert "*" not in header


def test_headers_on_the_login_page(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    _assert_baseline_headers(response)
    assert "Strict-Transport-Security" not in response  # development, plain HTTP


def test_headers_on_a_logged_in_page(client, unit_a, unit_admin):
    logged_in(unit_admin, client)
    response = client.get("/")
    assert response.status_code == 200
    _assert_baseline_headers(response)
    assert "no-store" in response["Cache-Control"]


def test_headers_on_errors_and_redirects(client):
    for response in (client.get("/no-such-page/"), client.get("/")):
        assert response.status_code in (302, 404)
        _assert_baseline_headers(response)


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_on_secure_requests_when_configured():
    secure = Client().get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    plain = Client().get("/accounts/login/")
    assert "Strict-Transport-Security" not in plain


@override_settings(SECURE_HSTS_SECONDS=0)
def test_no_hsts_when_not_configured():
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/", secure=True)


# --- CSRF -------------------------------------------------------------------------------------


def _token(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def _csrf_login(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    token = _token(client, "/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    return client


def test_login_without_token_is_refused(unit_a, unit_admin):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/", {"username": unit_admin.username, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    assert client.get("/").status_code == 302
    # The same login with the token works (the 403 was about the token, nothing else).
    _csrf_login(unit_admin)


def test_logout_without_token_is_refused(unit_a, unit_admin):
    client = _csrf_login(unit_admin)
    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/").status_code == 200
    token = _token(client, "/")
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_role_grant_and_unit_edit_without_token_are_refused(unit_a, committee_admin):
    target = make_user(Role.UNIT_ADMIN, unit=unit_a)
    client = _csrf_login(committee_admin)

    grant = f"/manage/accounts/{target.pk}/roles/"
    data = {"role": Role.UNIT_LEADER, "unit": unit_a.pk}
    assert client.post(grant, data).status_code == 403
    assert not RoleAssignment.objects.filter(user=target, role=Role.UNIT_LEADER).exists()

    edit = f"/org/units/{unit_a.pk}/edit/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "被篡改的名称", "short_name": "改"})
    assert response.status_code == 403
    unit_a.refresh_from_db()
    assert unit_a.name == "甲单位"

    # With the token the role grant goes through.
    token = _token(client, f"/manage/accounts/{target.pk}/")
    assert client.post(grant, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    assert RoleAssignment.objects.filter(user=target, role=Role.UNIT_LEADER).exists()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "url", ["/accounts/logout/", "/accounts/password/", "/manage/accounts/bulk/import/"]
)
def test_every_unsafe_method_needs_a_token(unit_a, method, url, committee_admin):
    client = _csrf_login(committee_admin)
    response = getattr(client, method)(url)
    assert response.status_code == 403
    assert client.get("/").status_code == 200  # still logged in: nothing happened


def test_csrf_cookie_is_httponly_and_samesite(client):
    response = client.get("/accounts/login/")
    cookie = response.cookies["mofan_csrf"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# --- markup a strict CSP allows ----------------------------------------------------------------


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_inline_script = False
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower() for name, _ in attrs}
        if "style" in names:
            self.problems.append(f"<{tag} style=...>")
        handlers = sorted(n for n in names if n.startswith("on"))
        if handlers:
            self.problems.append(f"<{tag} {' '.join(handlers)}=...>")
        for name, value in attrs:
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self.scripts += 1
            self._in_inline_script = "src" not in names

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")


def _inline_problems(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    finder.close()
    assert finder.scripts >= 1  # the page really was parsed (base.html loads app.js)
    return finder.problems


def test_the_scanner_catches_inline_code():
    html = (
        '<script src="/a.js"></script><script>alert(1)</script>'
        '<p style="color:red" onclick="x()">x</p><a href="javascript:void(0)">y</a>'
    )
    assert len(_inline_problems(html)) == 4


def _pages_for(role: str, unit: Unit) -> list[str]:
    pages = ["/", "/accounts/password/"]
    if role not in (Role.SECURITY_ADMIN, Role.AUDITOR, Role.REVIEWER):
        pages.append("/org/units/")
    if role == Role.COMMITTEE_ADMIN:
        pages += [
            "/indicators/",
            "/manage/accounts/",
            "/manage/accounts/bulk/units/",
            "/manage/accounts/bulk/import/",
            f"/org/units/{unit.pk}/",
            f"/org/units/{unit.pk}/edit/",
            "/org/elections/",
        ]
    if role == Role.SECURITY_ADMIN:
        pages += ["/manage/accounts/"]
    if role == Role.AUDITOR:
        pages += ["/audit/", "/audit/verify/"]
    if role == Role.UNIT_ADMIN:
        pages += [f"/org/units/{unit.pk}/", f"/org/units/{unit.pk}/members/"]
    return pages


def test_login_page_has_no_inline_code(client):
    response = client.get("/accounts/login/")
    assert _inline_problems(response.content.decode()) == []
    bad = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert _inline_problems(bad.content.decode()) == []


@pytest.mark.parametrize("role", list(Role.values))
def test_pages_for_every_role_have_no_inline_code(role, unit_a, unit_b):
    committee = unit_a.committee
    if role in COMMITTEE_ROLES:
        user = make_user(role, committee=committee)
    else:
        user = make_user(role, unit=unit_a)
    client = logged_in(user)
    for url in _pages_for(role, unit_a):
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        assert _inline_problems(response.content.decode()) == [], (role, url)


def test_account_pages_and_2fa_setup_have_no_inline_code(unit_a, security_admin):
    target = make_user(Role.UNIT_ADMIN, unit=unit_a)
    client = logged_in(security_admin)
    for url in [f"/manage/accounts/{target.pk}/", "/accounts/2fa/", "/manage/accounts/?q=user"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _inline_problems(response.content.decode()) == [], url
