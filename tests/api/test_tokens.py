"""API tokens (issue 19 point 5): made by the account itself, shown once, stored as a hash,
named, expiring, revocable, read-only or read-write; committee roles need 2FA, the auditor and
the security admin get none; a rate limit per token; every write audited with the token's name."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import ApiToken
from mofan.accounts.services import SESSION_REAUTH_AT
from mofan.accounts.tokens import token_create, token_revoke
from mofan.audit.models import AuditEntry
from mofan.organizations.models import Member
from tests.api.helpers import Api, api_for, counts, sync, token_of, with_2fa
from tests.factories import PASSWORD, MemberFactory, PartyOrgFactory
from tests.world import logged_in

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_secret_once_and_stores_only_its_hash(unit_admin):
    client = logged_in(unit_admin)
    page = client.get(reverse("accounts:tokens"))
    assert page.status_code == 200 and "创建令牌" in page.content.decode()
    form = {"name": "智慧党建", "scope": "read", "days": "30"}
    session = client.session  # the login was long ago: the password is asked again
    session[SESSION_REAUTH_AT] = 0
    session.save()
    asked = client.post(reverse("accounts:token_create"), form)
    assert asked.status_code == 302 and "/accounts/reauth/" in asked["Location"]
    assert not ApiToken.objects.exists()  # not before the password is given again
    client.post(reverse("accounts:reauth"), {"password": PASSWORD})
    made = client.post(reverse("accounts:token_create"), form)
    body = made.content.decode()
    token = ApiToken.objects.get(user=unit_admin)
    secret = body.split('id="api-token-secret">')[1].split("<")[0]
    assert secret.startswith("mf_") and len(secret) > 40
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))  # only the hash at rest
    assert not AuditEntry.objects.filter(data__icontains=secret[3:]).exists()
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert "智慧党建" in again and secret not in again  # listed, never shown again
    assert "从未使用" in again
    Api(secret).get("/units")
    assert "从未使用" not in client.get(reverse("accounts:tokens")).content.decode()


def test_revoking_stops_the_token_at_once(unit_admin):
    client = logged_in(unit_admin)
    secret = token_of(unit_admin)
    api = Api(secret)
    assert api.get("/units").status_code == 200
    token = ApiToken.objects.get(user=unit_admin)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    refused = api.get("/units")
    assert refused.status_code == 401 and "令牌" in refused.json()["detail"]
    assert AuditEntry.objects.filter(action="account.token.revoke").exists()


def test_someone_elses_token_cannot_be_revoked(unit_admin, outsider):
    token_of(unit_admin)
    token = ApiToken.objects.get(user=unit_admin)
    client = logged_in(outsider)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        token_revoke(token=token, actor=actor_for(outsider))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_a_disabled_accounts_token_is_refused(unit_admin):
    secret = token_of(unit_admin)
    type(unit_admin).objects.filter(pk=unit_admin.pk).update(is_active=False)
    assert Api(secret).get("/units").status_code == 401


def test_an_expired_token_is_refused(unit_admin):
    secret = token_of(unit_admin, days=1)
    ApiToken.objects.filter(user=unit_admin).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert Api(secret).get("/units").status_code == 401


def test_a_wrong_or_missing_token_is_refused(unit_admin):
    secret = token_of(unit_admin)
    assert Api(secret[:-2] + "xx").get("/units").status_code == 401
    assert Api("nonsense").get("/units").status_code == 401
    response = Api("").client.get("/api/v1/units")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"


def test_committee_roles_need_2fa_and_the_auditor_and_security_admin_get_none(
    committee_admin, auditor, security_admin
):
    with pytest.raises(PermissionDenied, match="双因素认证"):
        token_create(name="x", scope="read", days=5, actor=actor_for(committee_admin))
    page = logged_in(committee_admin).get(reverse("accounts:tokens")).content.decode()
    assert "双因素认证" in page and "创建令牌" not in page
    secret = token_of(with_2fa(committee_admin))
    assert Api(secret).get("/units").status_code == 200
    # 2FA turned off later: the token stops working
    committee_admin.totp.delete()
    refused = Api(secret).get("/units")
    assert refused.status_code == 403 and "双因素认证" in refused.json()["detail"]
    for user in (auditor, security_admin):
        assert logged_in(user).get(reverse("accounts:tokens")).status_code == 403
        with pytest.raises(PermissionDenied):
            token_create(name="x", scope="read", days=5, actor=actor_for(with_2fa(user)))


def test_a_read_only_token_cannot_write(unit_admin, unit_a):
    api = api_for(unit_admin, scope="read")
    before = Member.objects.count()
    response = api.post(
        "/roster/members", {"unit_id": unit_a.pk, "rows": [{"name": "新党员", "gender": "男"}]}
    )
    assert response.status_code == 403 and "只读" in response.json()["detail"]
    assert Member.objects.count() == before


def test_the_rate_limit_answers_429_with_retry_after(unit_admin, settings):
    settings.MOFAN_API_RATE_PER_MINUTE = 3
    api = api_for(unit_admin)
    other = api_for(unit_admin, name="第二个")
    assert [api.get("/units").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/units")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert "秒后重试" in refused.json()["detail"]
    assert other.get("/units").status_code == 200  # per token


def test_the_rate_limit_holds_across_processes(unit_admin, settings):
    """Several application servers count the same calls: what one process remembers (its
    cache, emptied here as another process would start with none) is not what allows a call."""
    from django.core.cache import caches

    settings.MOFAN_API_RATE_PER_MINUTE = 2
    api = api_for(unit_admin)
    assert [api.get("/units").status_code for _ in range(2)] == [200, 200]
    for cache in caches.all():
        cache.clear()
    assert api.get("/units").status_code == 429


def test_every_write_is_audited_with_the_tokens_name(unit_admin, unit_a):
    org = PartyOrgFactory(unit=unit_a, name="甲支部")
    MemberFactory(unit=unit_a, party_org=org, name="张三")
    api = api_for(unit_admin, name="组织部花名册")
    response = sync(
        api,
        "/roster/members",
        {
            "unit_id": unit_a.pk,
            "rows": [
                {"name": "张三", "gender": "男", "party_org": "甲支部", "post": "委员"},
                {"name": "李四", "gender": "女", "party_org": "甲支部"},
            ],
        },
    )
    assert counts(response) == {"created": 1, "updated": 1, "unchanged": 0}
    entries = AuditEntry.objects.filter(action__in=["member.create", "member.update"])
    assert entries.count() == 2
    assert all(e.data.get("via_api") == "组织部花名册" for e in entries)
    assert all(e.actor_id == unit_admin.pk for e in entries)
    # a page write afterwards in the same thread carries no token name
    from mofan.audit.services import audit_record

    assert "via_api" not in audit_record(action="account.unlock", actor=unit_admin).data
