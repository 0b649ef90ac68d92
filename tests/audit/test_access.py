"""三权分立 on the audit trail: the auditor reads it and nothing else; every other role, the
committee admin and the security admin included, is refused the audit pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mofan.accounts.access import actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.selectors_audit import entries_for
from mofan.audit.models import AuditEntry
from mofan.audit.services import audit_record
from mofan.organizations.models import Member, PartyOrganization, PartyOrgKind, Unit
from tests.factories import CommitteeFactory, MemberFactory, PartyOrgFactory
from tests.world import logged_in, persona

AUDIT_URLS = {"list", "verify"}
MARKER_ACTION = "test.marker.写入"


@pytest.fixture
def world(committee, unit_a, unit_b, auditor):
    org = PartyOrgFactory(unit=unit_a, kind=PartyOrgKind.BRANCH, name="甲第一党支部")
    member = MemberFactory(unit=unit_a, party_org=org, name="甲党员钱", phone="13911110002")
    org.election_due_on = datetime.date.today()
    org.save()
    w = SimpleNamespace(committee=committee, unit=unit_a, org=org, member=member)
    w.auditor = auditor
    w.markers = [unit_a.name, unit_b.name, org.name, member.name, member.phone]
    audit_record(action=MARKER_ACTION, actor_name="系统", extra={"note": "标记记录"})
    return w


# every standard persona (conftest fixtures) but the auditor
PERSONAS = (
    "committee_admin",
    "security_admin",
    "committee_leader",
    "reviewer",
    "unit_admin",
    "unit_leader",
    "member",
)


def test_every_audit_url_is_covered():
    _prefix, resolver = get_resolver().namespace_dict["audit"]
    names = {p.name for p in resolver.url_patterns if isinstance(p, URLPattern)}
    assert names == AUDIT_URLS


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_only_the_auditor_reads_the_audit_pages(world, persona, request):
    user = request.getfixturevalue(persona)
    client = logged_in(user)
    for name in sorted(AUDIT_URLS):
        url = reverse(f"audit:{name}")
        for params in ({}, {"action": "test.marker", "page": "1"}):
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = client.get(url, params, **headers)
                assert response.status_code == 403, (url, params, headers)
                assert MARKER_ACTION not in response.content.decode()
        assert client.post(url).status_code == 403
    # and no audit figures or links anywhere on the home page
    home = client.get(reverse("home:home")).content.decode()
    assert "审计概况" not in home and MARKER_ACTION not in home
    assert reverse("audit:list") not in home and reverse("audit:verify") not in home
    # the selector gives them nothing either
    assert not entries_for(actor_for(user)).exists()


def test_anonymous_is_sent_to_log_in(world):
    client = Client()
    for name in AUDIT_URLS:
        response = client.get(reverse(f"audit:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_auditor_reads_and_verifies_the_trail(world):
    client = logged_in(world.auditor)
    response = client.get(reverse("audit:list"))
    assert response.status_code == 200
    assert MARKER_ACTION in response.content.decode()
    response = client.get(reverse("audit:list"), {"action": "test.marker"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and MARKER_ACTION in body and "<html" not in body
    response = client.get(reverse("audit:list"), {"action": "account.login"})
    assert MARKER_ACTION not in response.content.decode()
    response = client.get(reverse("audit:verify"))
    assert response.status_code == 200
    assert "校验通过" in response.content.decode()
    home = client.get(reverse("home:home")).content.decode()
    assert "审计概况" in home


def test_the_auditor_can_never_change_the_trail_or_roles(world):
    """The audit pages are read-only: a POST changes nothing."""
    client = logged_in(world.auditor)
    count = AuditEntry.objects.count()
    for name in AUDIT_URLS:
        client.post(reverse(f"audit:{name}"), {"action": "x"})
    assert AuditEntry.objects.count() == count


def _walk(
    patterns: list[Any], namespace: str = "", prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif entry.name:
            yield f"{namespace}:{entry.name}" if namespace else entry.name, entry


# Self-service pages of one's own account, and the audit pages: the auditor may open them.
# The notices list and "mark all read" are self-service too: they show and change only the
# auditor's own notices (tests/notifications/test_views.py). The notice pages that take a `pk`
# stay in the walk: another user's notice is a 404 for the auditor.
AUDITOR_MAY_OPEN = {
    "home:home",
    "audit:list",
    "audit:verify",
    "notifications:list",
    "notifications:mark_all_read",
    "survey_thanks",  # the respondents' thank-you page: public, and shows no data
    "api_docs",  # the API's reference and its OpenAPI document: no data
    "api:openapi-json",
}
# The REST API answers a session without a token 401 (and the auditor gets no token).
API = "api:"
SELF_SERVICE = "accounts:"


def _kwargs(name: str, pattern: URLPattern, w: SimpleNamespace) -> dict[str, int]:
    """Real ids, so that a refusal is the scope's doing and not a missing object's."""
    values = {
        "unit_pk": w.unit.pk,
        "assignment_pk": RoleAssignment.objects.filter(unit=w.unit).values_list("pk", flat=True)[0],
        "node_pk": 1,
        "start_year": 2020,
        "kind": "unit",  # the chooser's search (core.choosers)
        # a survey respondent's links (surveys): public pages; links that do not exist are 404s
        "token": "no-such-token",
        "code": "no-such-code",
        # the REST API's ids (every call is refused before any lookup: no token)
        **dict.fromkeys(
            ("unit_id", "campaign_id", "enrollment_id", "node_id", "item_id", "sync_id"), 1
        ),
    }
    if name.startswith("organizations:unit"):
        values["pk"] = w.unit.pk
    elif name.startswith("organizations:party_org"):
        values["pk"] = w.org.pk
    elif name.startswith("organizations:member"):
        values["pk"] = w.member.pk
    elif name.startswith("accounts_manage:"):
        values["pk"] = RoleAssignment.objects.filter(unit=w.unit).values_list("user_id", flat=True)[
            0
        ]
    else:
        values["pk"] = 1
    return {key: values[key] for key in pattern.pattern.converters}


def _state() -> tuple[Any, ...]:
    return (
        list(Unit.objects.order_by("pk").values()),
        list(PartyOrganization.objects.order_by("pk").values()),
        list(Member.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values("pk", "password", "is_active", "session_epoch")),
        list(RoleAssignment.objects.order_by("pk").values()),
    )


def test_the_auditor_reads_nothing_else(world, unit_admin):
    """Every URL of the project, GET and POST: the auditor is refused and nothing changes.
    (`unit_admin`: an account and an assignment to aim at.)"""
    client = logged_in(world.auditor)
    before = _state()
    seen = set()
    for name, pattern in _walk(get_resolver().url_patterns):
        if name.startswith(SELF_SERVICE) or name in AUDITOR_MAY_OPEN:
            continue
        seen.add(name)
        url = reverse(name, kwargs=_kwargs(name, pattern, world))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            refused = (401, 403, 404, 405) if name.startswith(API) else (403, 404, 405)
            assert response.status_code in refused, (method, url, response.status_code)
            leaked = [m for m in world.markers if m in response.content.decode()]
            assert not leaked, (method, url, leaked)
    assert {"organizations:unit_detail", "accounts_manage:detail"} <= seen
    assert _state() == before
    nav = client.get(reverse("home:home")).content.decode()
    assert reverse("organizations:unit_list") not in nav
    assert reverse("accounts_manage:list") not in nav


def test_an_auditor_reads_only_its_own_committees_trail(world, unit_admin):
    """An auditor of another committee in the same deployment reads none of this one's trail,
    neither through the selector nor through the page."""
    logged_in(unit_admin)  # a login, audited
    audit_record(action="member.update", actor=unit_admin, target=world.member)
    audit_record(action="member.delete", target=world.member, actor_name="system")
    own = entries_for(actor_for(world.auditor))
    assert own.filter(actor_id=unit_admin.pk).count() >= 2
    assert own.filter(action="member.delete").exists()
    other_auditor = persona("auditor", committee=CommitteeFactory(code="other-committee"))
    theirs = entries_for(actor_for(other_auditor))
    assert not theirs.filter(actor_id=unit_admin.pk).exists()
    assert not theirs.filter(action__startswith="member.").exists()
    body = logged_in(other_auditor).get(reverse("audit:list")).content.decode()
    assert unit_admin.username not in body and world.member.name not in body
