"""No input produces a server error: a generated sweep over the URL resolver.

Every pattern of the URLconf (`get_resolver().url_patterns`, recursively, with its converters)
is requested by nine personas who together reach every view (committee admin and leader,
security admin, auditor, a reviewer who leads a review group, unit A's admin and leader, a
member, the anonymous visitor), in a world built from the shared fixtures: the campaign of
tests/evaluations/campaign_fixtures.py caught mid-review, with the findings and bulletins of
tests/supervision/bulletin_fixtures.py, and one of everything else (party organisation, member,
draft indicator version, problem item, ledger item, 约谈, yellow card, spot check and visit,
evidence, notices, an export job, a re-review of a second, approved campaign).

For each persona and pattern, with real ids in the URL (each id the world has for an argument,
one at a time):

- GET with a hostile query string (`next=NaN`, `next=//evil.example`, `page=NaN`,
  `page=99999999999999999999`, odd `sort` and `q` values, NUL, 10,000 characters), one of four
  in turn; the first persona that gets the page also sends the other three (one as htmx);
- POST with a hostile `next` and nothing else, by the first two personas that get past the
  view's role checks;
- every distinct form (action pattern and field names) of the pages, once, as the first persona
  that saw it (parsed from the HTML: `<input>`, `<select>`, `<textarea>`, named buttons; the
  query parameters of the page's links count as GET forms): in four rounds where every field
  carries a hostile value of its kind (numbers and choices: 20-digit ints, "²", 'abc', a list
  of two values, '-1', 'NaN', '1e999', '', ...; text: 10,000 characters, '', NUL, ...; `next`:
  the redirect list), and with the page's own values and one id-like field at a time set to
  the 20-digit id and to "²" (`next`: "NaN" and "//evil.example").

Then every pattern with hostile ids in the URL (0, -1 where the converter allows it, and a
20-digit id, which `int` accepts) as the first persona that reached it. Logging in and
re-authenticating, with the right password and a hostile `next`, are part of it.

Every request runs inside a savepoint that is rolled back, so the world is the same for each.
The assertion: no response is a 5xx and no redirect (Location or HX-Redirect) leaves the site;
all failures are listed in one message (method, URL, persona, parameters, exception). Then
that the sweep got in: every pattern past its role checks by somebody, 80+ forms fuzzed.
Deterministic (no randomness) and bounded: about 2,600 requests, 25-40 s on SQLite on a
2-core machine (PostgreSQL about a third slower).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from mofan.accounts.access import actor_for
from mofan.accounts.models import AccountBatch, BatchState, RoleAssignment, User
from mofan.accounts.tokens import token_create
from mofan.activities.imports_task import rows_json
from mofan.activities.models import ActivityImport, ActivityKind
from mofan.activities.services import RecordInput, activity_record_create
from mofan.api.models import RosterSync, SyncKind
from mofan.campaigns.models import Campaign, Enrollment
from mofan.core.params import parse_id
from mofan.core.redirects import safe_next
from mofan.evaluations.models import (
    ApprovalRun,
    EvidenceLink,
    RunKind,
    RunState,
)
from mofan.evidence.models import Evidence
from mofan.indicators.models import IndicatorNode
from mofan.indicators.services import version_clone
from mofan.notifications.services import notify
from mofan.organizations.models import Member, Unit
from mofan.organizations.services import member_account_link
from mofan.rectification.services import problem_item_transition
from mofan.reports.models import ExportJob
from mofan.supervision import ledger as ledger_services
from mofan.supervision.models import SpotCheckVisit, VisitMode
from mofan.supervision.spotcheck import spot_check_draw_record, spot_check_visit_record
from tests.appraisals.world import fuzz_objects as appraisal_objects
from tests.cases.world import fuzz_objects as cases_objects
from tests.core.fuzz_sweep import (
    BIG,
    HOSTILE_IDS,
    HOSTILE_NEXT,
    HOSTILE_QUERIES,
    Failure,
    Form,
    Route,
    Runner,
    converter_accepts,
    describe_error,
    link_queries,
    one_at_a_time,
    parse_page,
    round_robin,
    routes,
    site_local,
    targeted,
    with_query,
)
from tests.evaluations.campaign_fixtures import standard_groups
from tests.evaluations.evidence_fixtures import make_pdf
from tests.factories import PASSWORD, MemberFactory, PartyOrgFactory, UnitFactory
from tests.honours.world import fuzz_objects as honours_objects
from tests.rectification.rereview_fixtures import approve, close_all, finish_review
from tests.reports.issuing_fixtures import issuing_objects
from tests.supervision.bulletin_fixtures import build_scene, ledger, problem
from tests.surveys.world import fuzz_objects as survey_objects
from tests.world import active_campaign
from tests.world import persona as make_persona

pytestmark = pytest.mark.django_db

# persona -> account name in the world (None: the anonymous visitor)
PERSONAS: dict[str, str | None] = {
    "committee_admin": "committee_admin",
    "committee_leader": "committee_leader",
    "security_admin": "security_admin",
    "auditor": "auditor",
    "reviewer": "leader",  # leads group 1 (unit A) and sits in it
    "unit_admin": "owner",  # unit A's admin (联络员)
    "unit_leader": "colleague",  # unit A's leader
    "member": "a_member",  # a party member of unit A
    "anonymous": None,
}

ROUNDS = 4  # all-hostile payloads per form
PER_FIELD = 2  # one-field-hostile payloads per targeted field of a form
MAX_FIELDS = 12  # fields of one form fuzzed one at a time (the rest only in the rounds)
QUERY_PERSONAS = 1  # personas per pattern who also send the other hostile query strings
POST_PERSONAS = 2  # personas per pattern (that reach it) who POST a bare hostile `next`
ID_PERSONAS = 1  # personas per pattern who send hostile ids in the URL


@dataclasses.dataclass
class Ids:
    """Real ids for the URL arguments, by the path segment in front of the argument (or the
    argument's own name). A list: the first id is the persona's own object; a dict: per
    persona."""

    by_segment: dict[str, list[int] | dict[str, list[int]]]

    def values(self, route: Route, kwarg: str, persona: str) -> list[int]:
        key = kwarg if kwarg in self.by_segment else route.segment_before(kwarg)
        if key not in self.by_segment:
            raise KeyError(
                f"{route.name} ({route.route}): no ids for <{kwarg}> (segment {key!r}); "
                "add the new kind of object to the fuzz world in tests/core/test_fuzz_inputs.py"
            )
        found = self.by_segment[key]
        if isinstance(found, dict):
            return found.get(persona) or found["committee_admin"]
        return found


def build_fuzz_world() -> tuple[dict[str, User], Ids]:
    scene = build_scene()
    w = scene.w
    users = dict(scene.users)
    committee = w.committee
    admin_user = users["committee_admin"]
    admin = actor_for(admin_user)
    users["security_admin"] = make_persona("security_admin", committee=committee)
    today = timezone.localdate()
    deadline = today + datetime.timedelta(days=60)

    # A second campaign of the same committee, reviewed, approved and re-reviewed (复核): unit
    # A fails, its problem items are closed (so first: every item of unit A is closed), and
    # group 1's leader re-scores.
    second = active_campaign(
        committee=committee,
        version=w.version,
        admin=admin_user,
        name="2025年度模范机关创建",
        year=2025,
    )
    ea2, eb2, ec2 = (
        Enrollment.objects.get(campaign=second, unit=u) for u in (w.unit_a, w.unit_b, w.unit_c)
    )
    group1, group2, assignment_a, assignment_b = standard_groups(
        second, users, ea2, eb2, names=("复核一组", "复核二组")
    )
    w2 = dataclasses.replace(
        w,
        campaign=Campaign.objects.get(pk=second.pk),
        ea=ea2,
        eb=eb2,
        ec=ec2,
        group1=group1,
        group2=group2,
        assignment_a=assignment_a,
        assignment_b=assignment_b,
    )
    finish_review(w2)
    approve(w2)
    rereview = close_all(w2, "A")
    # organisation
    party_org = PartyOrgFactory(unit=w.unit_a, name="甲单位第一党支部")
    member = MemberFactory(unit=w.unit_a, party_org=party_org, name="甲党员")
    # indicators: a draft of the committee's own, cloned from the campaign's published version
    draft = version_clone(version=w.version, committee=committee, actor=admin)
    draft_leaf = IndicatorNode.objects.get(version=draft, code="1.1")
    draft_root = IndicatorNode.objects.get(version=draft, code="1")
    # evidence of unit A, linked to leaf 1.1 of A's enrollment
    stored_name = f"evidence/{w.unit_a.pk}/{'f' * 32}.pdf"
    path = Path(settings.MEDIA_ROOT) / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_pdf())
    evidence = Evidence.objects.create(
        unit=w.unit_a,
        sha256="f" * 64,
        original_name="学习记录.pdf",
        stored_name=stored_name,
        kind="pdf",
        size=100,
        uploaded_by=users["owner"],
    )
    EvidenceLink.objects.create(evidence=evidence, enrollment=w.ea, node=w.node("1.1"))
    # A third campaign in which unit A is still filling in: its pages show the editing forms.
    third = active_campaign(
        committee=committee,
        version=w.version,
        admin=admin_user,
        name="2026年度模范机关创建",
        year=2026,
    )
    ea3 = Enrollment.objects.get(campaign=third, unit=w.unit_a)
    EvidenceLink.objects.create(evidence=evidence, enrollment=ea3, node=w.node("1.1"))
    # rectification and supervision
    item = problem(w.unit_a, deadline, text="三会一课记录不全", campaign=w.campaign)
    submitted_item = problem_item_transition(
        item=problem(w.unit_a, deadline, text="台账不全", campaign=w.campaign),
        action="submit_measures",
        actor=actor_for(users["owner"]),
        measures="补齐台账",
    )
    ledger_item = ledger(w.unit_a, deadline, task="落实整改", campaign=w.campaign)
    interview = ledger_services.interview_create(
        unit=w.unit_a,
        interviewer="工委书记",
        interviewee="甲书记",
        held_on=today,
        points="整改不力",
        actor=admin,
    )
    card = ledger_services.yellow_card_issue(
        party_org=party_org, reasons="组织生活不正常", problems=["组织生活不正常"], actor=admin
    )
    draw = spot_check_draw_record(
        campaign=w.campaign, units=1, inspectors=1, actor=admin, seed="fuzz"
    )
    drawn = w.campaign.enrollments.get(unit_id=draw.result["units"][0]).unit
    visit, _items = spot_check_visit_record(
        draw=draw,
        unit=drawn,
        mode=VisitMode.UNANNOUNCED,
        visited_on=today,
        findings="台账齐全",
        problems="",
        actor=admin,
    )
    assert isinstance(visit, SpotCheckVisit)
    # notices: one per persona
    notices = {}
    for persona, name in PERSONAS.items():
        if name is None:
            continue
        [notice] = notify(recipients=[users[name]], kind="fuzz", title="测试通知", url="/")
        notices[persona] = [notice.pk]
    job = ExportJob.objects.create(
        user=admin_user,
        committee=committee,
        campaign=w.campaign,
        exporter="results",
        format="xlsx",
        download_name="结果.xlsx",
    )
    run = ApprovalRun.objects.create(  # a failed background approval (its page offers a retry)
        campaign=w.campaign,
        kind=RunKind.CAMPAIGN,
        requested_by=admin_user,
        state=RunState.FAILED,
        error="测试失败原因",
    )
    draft, issued = issuing_objects(committee, w.campaign, w.unit_a, admin_user)
    finding = scene.finding_a
    activity = activity_record_create(
        data=RecordInput(
            party_org=party_org,
            kind=ActivityKind.objects.get(committee=None, code="branch-committee"),
            held_on=today,
            topic="支委会",
            present=[member.pk],
        ),
        actor=actor_for(users["owner"]),
    )
    own_kind = ActivityKind.objects.create(committee=committee, code="fuzz", name="测试类型")
    # 我的活动: the member persona is linked to its roster row and has a record of its own
    member_account_link(member=member, account=users["a_member"], actor=actor_for(users["owner"]))
    users["a_member"].refresh_from_db()
    own_record = activity_record_create(
        data=RecordInput(
            party_org=party_org,
            kind=ActivityKind.objects.get(committee=None, code="volunteer"),
            held_on=today,
            topic="志愿服务",
            present=[member.pk],
        ),
        actor=actor_for(users["a_member"]),
    )

    # accounts created in bulk: one failed (its page offers a retry), one done whose initial
    # passwords wait for their requester (its page offers them once)
    spec = {"username": "fuzz-new", "full_name": "新账号", "role": "unit_liaison", "phone": ""}
    failed_batch = AccountBatch.objects.create(
        committee=committee,
        requested_by=admin_user,
        source="导入账号.xlsx",
        state=BatchState.FAILED,
        total=1,
        specs=json.dumps([{**spec, "unit": w.unit_a.pk}], ensure_ascii=False),
        error="测试失败原因",
    )
    done_batch = AccountBatch.objects.create(
        committee=committee,
        requested_by=admin_user,
        source="为所选单位创建账号",
        state=BatchState.DONE,
        total=1,
        prepared=1,
        created=1,
        credentials='[{"unit": "甲单位", "full_name": "新账号", "username": "fuzz-done", '
        '"role": "单位联络员", "initial": "Aa1-fuzz-pass"}]',
    )

    # a sheet of activity records imported in the background: one failed (its page offers a
    # retry), one done
    failed_import = ActivityImport.objects.create(
        committee=committee,
        requested_by=users["owner"],
        source="活动记录.xlsx",
        state=BatchState.FAILED,
        total=1,
        rows=rows_json(
            [RecordInput(party_org=party_org, kind=own_kind, held_on=today, topic="导入")]
        ),
        error="测试失败原因",
    )
    done_import = ActivityImport.objects.create(
        committee=committee,
        requested_by=users["owner"],
        source="活动记录.xlsx",
        state=BatchState.DONE,
        total=1,
        imported=1,
    )

    # a roster sheet handed to a worker through the API (read at /api/v1/roster/syncs/<id>)
    roster_sync = RosterSync.objects.create(
        kind=SyncKind.MEMBERS,
        committee=committee,
        unit=w.unit_a,
        requested_by=users["owner"],
        source="API",
        state=BatchState.FAILED,
        total=1,
        error="导入未执行：请改正以下各行后重新提交。",
        errors=[{"row": 2, "message": "性别须为“男”或“女”。"}],
    )

    api_token, _secret = token_create(
        name="同步", scope="read_write", days=30, actor=actor_for(users["owner"])
    )
    honours = honours_objects(committee, w.unit_a, admin_user, users["owner"], users["a_member"])
    appraisals = appraisal_objects(committee, w.unit_a, admin_user, users["owner"], users["leader"])
    surveys = survey_objects(committee, admin_user)
    cases = cases_objects(committee, w.unit_a, admin_user, users["owner"])
    ids = Ids(
        {
            **surveys,  # surveys, questionnaires, questions, survey-units, answers, s, q
            **honours,  # programmes, nominations, objections, panels
            **appraisals,  # rounds, secretaries
            **cases,  # calls for brand cases, cases, the expert's scoring
            # accounts
            "accounts": [users["owner"].pk, admin_user.pk],
            "tokens": [api_token.pk],
            "bulk": [failed_batch.pk, done_batch.pk],
            "assignment_pk": list(
                RoleAssignment.objects.filter(user=users["owner"]).values_list("pk", flat=True)
            ),
            # organisations
            "units": [w.unit_a.pk, scene.unit_x.pk],
            "unit_pk": [w.unit_a.pk],
            "orgs": [party_org.pk],
            "members": [member.pk],
            # indicators
            "versions": [draft.pk, w.version.pk],
            "nodes": [draft_leaf.pk, draft_root.pk],
            "node_pk": [w.node("1.1").pk, w.node("2.2").pk],
            # campaigns and evaluations
            "campaigns": [w.campaign.pk, second.pk, third.pk],
            "dashboard": [w.campaign.pk],
            "burden": [w.campaign.pk, second.pk],
            "start_year": [2024],
            "enrollments": [w.ea.pk, ea3.pk, ea2.pk],
            "self": [ea3.pk, w.ea.pk],
            "leadership": [w.member_a.pk],
            "tasks": [w.task_a.pk],
            "assignments": [w.assignment_a.pk],
            "evidence": [evidence.pk],
            # rectification and supervision
            "findings": [finding.pk],
            "items": [item.pk, submitted_item.pk],
            "rereviews": [rereview.pk],
            "ledger": [ledger_item.pk],
            "interviews": [interview.pk],
            "yellow-cards": [card.pk],
            "spotchecks": [draw.pk],
            "visits": [visit.pk],
            "bulletins": [scene.draft.pk, scene.published.pk],
            "activities": [activity.pk],
            "mine": [own_record.pk, activity.pk],
            "kind": ["unit", "party_org", "person", "reviewer"],  # the chooser's kinds
            "kinds": [own_kind.pk],
            "import": [failed_import.pk, done_import.pk],
            # notices, exports, reports
            "notices": notices,
            # the REST API (/api/v1/, answered 401 without a token)
            "self-scores": [w.node("1.1").pk],
            "problem-items": [item.pk],
            "jobs": [job.pk],
            "approval-runs": [run.pk],
            "drafts": [draft.pk],
            "issued": [issued.pk],
            "registers": [committee.pk],
            "unit": [w.unit_a.pk],
            "syncs": [roster_sync.pk],
        }
    )
    accounts = {p: users[name] for p, name in PERSONAS.items() if name is not None}
    return accounts, ids


def hostile_log_in(runner: Runner, persona: str, user: User | None, k: int) -> Client:
    """Log in through the form with a hostile `next`, then re-authenticate (for the pages behind
    `recent_auth_required`) with another; both must redirect on the site."""
    client = Client(raise_request_exception=False)
    if user is None:
        return client
    for attempt, url in enumerate(("/accounts/login/", "/accounts/reauth/")):
        target = HOSTILE_NEXT[(k + attempt) % len(HOSTILE_NEXT)]
        data = {"username": user.username, "password": PASSWORD, "next": target}
        response = client.post(url, data)  # not rolled back: the session must stay
        runner.requests += 1
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not site_local(location):
            runner.failures.append(
                _login_failure(persona, url, target, response.status_code, location, response)
            )
            if url.endswith("login/"):
                client.post(url, {"username": user.username, "password": PASSWORD})
            else:
                client.post(url, {"password": PASSWORD})
    return client


def _login_failure(
    persona: str, url: str, target: str, status: int, location: str, response: Any
) -> Failure:
    exc_info = getattr(response, "exc_info", None)
    error = describe_error(exc_info[1]) if exc_info else f"redirect to {location!r}"
    return Failure(persona, "POST", url, f"next={target!r} (valid password)", status, error)


def reached(response: Any) -> bool:
    """The persona got past the login and role checks (a 404 of a scoped object counts)."""
    if response is None:  # a server error the error page could not show
        return True
    if response.status_code in (403, 405):
        return False
    location = response.headers.get("Location", "")
    return not location.startswith(("/accounts/login/", "/accounts/reauth/"))


def fuzz_form(runner: Runner, persona: str, client: Client, form: Form) -> None:
    method = "GET" if form.method == "get" else "POST"
    runner.phase = "form rounds"
    for data in round_robin(form, ROUNDS):
        runner.send(persona, client, method, form.action, data)
    runner.phase = "form one field"
    for data in one_at_a_time(form, targeted(form)[:MAX_FIELDS], PER_FIELD):
        runner.send(persona, client, method, form.action, data)


def run_sweep(accounts: dict[str, User], ids: Ids) -> Runner:
    runner = Runner()
    all_routes = routes()
    reachers: dict[str, list[str]] = {}
    queried: dict[str, int] = {}
    post_only_routes: set[str] = set()
    forms: dict[tuple[str, str, tuple[str, ...]], tuple[str, Form]] = {}
    clients: dict[str, Client] = {}
    for k, persona in enumerate(PERSONAS):
        client = clients[persona] = hostile_log_in(runner, persona, accounts.get(persona), k)
        for route in all_routes:
            kwargs = route.kwargs()
            choices = [ids.values(route, kw, persona) for kw in kwargs]
            for n, combo in enumerate(_combos(choices)):
                url = route.fill(dict(zip(kwargs, combo, strict=True)))
                post = {"next": HOSTILE_NEXT[(k + n) % len(HOSTILE_NEXT)]}
                post_only = route.name in post_only_routes
                if post_only and len(reachers.get(route.name, [])) >= POST_PERSONAS:
                    break  # enough personas have posted here; the forms phase does the rest
                if not post_only:
                    runner.phase = "pages"
                    query = HOSTILE_QUERIES[(k + n) % len(HOSTILE_QUERIES)]
                    response = runner.send(persona, client, "GET", with_query(url, query))
                    if response is not None and response.status_code == 405:
                        post_only_routes.add(route.name)  # the others need not GET it again
                        post_only = True
                if post_only:  # a POST-only view: whether the persona gets in is its POST's
                    runner.phase = "post next"
                    response = runner.send(persona, client, "POST", url, post)
                if not reached(response):
                    break  # the role checks come first: the other ids would be refused too
                who = reachers.setdefault(route.name, [])
                if persona not in who:
                    who.append(persona)
                if response is not None and response.status_code == 200 and not post_only:
                    _collect(forms, persona, url, response)
                    if queried.get(route.name, 0) < QUERY_PERSONAS:
                        queried[route.name] = queried.get(route.name, 0) + 1
                        runner.phase = "page queries"
                        for j in range(1, len(HOSTILE_QUERIES)):
                            q = HOSTILE_QUERIES[(k + n + j) % len(HOSTILE_QUERIES)]
                            runner.send(persona, client, "GET", with_query(url, q), htmx=j == 1)
                answered = response is None or response.status_code != 404
                if not post_only and answered and len(who) <= POST_PERSONAS:
                    runner.phase = "post next"
                    runner.send(persona, client, "POST", url, post)
    runner.reachers, runner.forms = reachers, len(forms)
    for persona, form in forms.values():
        fuzz_form(runner, persona, clients[persona], form)
    # Hostile ids in the URL, as the first personas that reached the pattern with real ids.
    runner.phase = "hostile ids"
    for route in all_routes:
        kwargs = route.kwargs()
        for persona in reachers.get(route.name, [])[:ID_PERSONAS] if kwargs else []:
            base = {kw: ids.values(route, kw, persona)[0] for kw in kwargs}
            for kw in kwargs:
                for bad in HOSTILE_IDS:
                    if not converter_accepts(route, kw, bad):
                        continue
                    url = route.fill({**base, kw: bad})
                    response = runner.send(persona, clients[persona], "GET", url)
                    if response is None or response.status_code in (200, 405):
                        runner.send(persona, clients[persona], "POST", url, {"next": "NaN"})
    return runner


def _combos(choices: list[list[int]]) -> list[tuple[int, ...]]:
    """Each real id of each argument at least once, not the full product: the first ids
    together, then each further id of one argument with the first of the others."""
    if not choices:
        return [()]
    if any(not c for c in choices):
        return []
    first = tuple(c[0] for c in choices)
    out = [first]
    for i, c in enumerate(choices):
        for value in c[1:]:
            out.append((*first[:i], value, *first[i + 1 :]))
    return out


def _collect(forms: dict[Any, tuple[str, Form]], persona: str, page: str, response: Any) -> None:
    """The page's forms, each fuzzed once by the first persona that saw it."""
    if "html" not in response.headers.get("Content-Type", ""):
        return
    found, links = parse_page(page, response.content.decode(errors="replace"))
    for target, keys in link_queries(links, page).items():
        keys -= {"page", "sort", "q", "next"}  # sent with every GET anyway
        if keys:
            fields = {key: [""] for key in sorted(keys)}
            kinds = dict.fromkeys(sorted(keys), "select")
            found.append(Form(method="get", action=target, fields=fields, kinds=kinds))
    for form in found:
        forms.setdefault(form.signature(), (persona, form))


@pytest.fixture
def sweep_settings(settings, tmp_path):
    """Files go to a temporary directory; the re-authentication at login lasts the whole sweep
    on a slow machine; the thousands of expected 4xx are not logged (the runner collects the
    failures instead)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MOFAN_EXPORT_DIR = tmp_path / "exports"
    settings.MOFAN_REAUTH_MINUTES = 60
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_no_input_produces_a_server_error(sweep_settings):
    started = time.monotonic()
    accounts, ids = build_fuzz_world()
    runner = run_sweep(accounts, ids)
    elapsed = time.monotonic() - started
    assert not runner.failures, runner.report() + f"\n({elapsed:.1f} s)"
    # The sweep really got in: past the role checks of every pattern (the 2FA step needs a
    # pending login; logging out answers with the login page), and to the forms of the pages.
    # (the API's self-score write is a PUT only: the sweep sends GET and POST; tests/api has it)
    exempt = {"accounts:login_otp", "accounts:logout", "api:self_score_put"}
    unreached = {r.name for r in routes()} - set(runner.reachers) - exempt
    assert not unreached, sorted(unreached)
    assert runner.forms >= 80, runner.forms
    assert runner.requests >= 2000, runner.requests


# --- the rules the sweep relies on, one by one ----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, "", "NaN", "home:home", "//evil.example", "/\\evil.example", "\\\\evil.example",
     "https://evil.example/", "http:/evil.example", "javascript:alert(1)", " /x", "/x\r\ny",
     "/x\\y", "/a b", ["/"]],
)  # fmt: skip
def test_safe_next_refuses_anything_but_a_path_on_the_site(rf, value):
    assert safe_next(rf.get("/"), value, "/default/") == "/default/"


@pytest.mark.parametrize("value", ["/", "/reviews/self/5/", "/evidence/?unit=1&inline=1#x"])
def test_safe_next_keeps_a_path_on_the_site(rf, value):
    assert safe_next(rf.get("/"), value, "/default/") == value


@pytest.mark.parametrize(
    "value, expected",
    [("7", 7), ("0", 0), (7, 7), (BIG, int(BIG)), ("²", None), ("２", None), ("-1", None),
     (-1, None), (" 7", None), ("1_000", None), ("1e3", None), ("", None), (None, None),
     (True, None), (["7"], None)],
)  # fmt: skip
def test_parse_id(value, expected):
    assert parse_id(value) == expected


def test_out_of_range_ids_and_nul_text_match_no_row(db):
    """`mofan.core.lookups`: on SQLite and PostgreSQL alike, no OverflowError or DataError."""
    unit = UnitFactory(name="甲单位")
    other = UnitFactory(committee=unit.committee, name="乙单位")
    units = Unit.objects.filter(committee=unit.committee)
    big, low = int(BIG), -int(BIG)
    assert list(units.filter(pk__in=[big])) == []
    assert list(units.filter(pk__in=[unit.pk, big, low])) == [unit]
    assert set(units.exclude(pk__in=[big])) == {unit, other}
    assert list(units.filter(Q(pk=big) | Q(pk=unit.pk))) == [unit]
    # through a foreign key, by object, id and `in`
    assert list(Unit.objects.filter(committee=big)) == []
    assert list(Unit.objects.filter(committee_id=big)) == []
    assert list(Unit.objects.filter(committee__in=[big, low])) == []
    assert set(Unit.objects.filter(committee_id__in=[unit.committee_id, big])) == {unit, other}
    assert list(Member.objects.filter(unit__committee_id=big)) == []
    # text with NUL
    assert list(units.filter(name="甲单位\x00")) == []
    assert list(units.filter(name__icontains="甲\x00")) == []
    assert list(units.filter(name__in=["甲单位", "a\x00b"])) == [unit]
    assert set(units.exclude(name__startswith="\x00")) == {unit, other}
    # what the forms run
    field = forms.ModelMultipleChoiceField(queryset=units)
    with pytest.raises(ValidationError):
        field.clean([BIG])
    assert list(field.clean([str(unit.pk)])) == [unit]
    with pytest.raises(ValidationError):
        field.clean([str(unit.pk), BIG])
    with pytest.raises(ValidationError):
        forms.ModelChoiceField(queryset=units).clean(BIG)
