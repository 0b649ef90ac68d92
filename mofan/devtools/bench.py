"""`make bench` (`manage.py bench`): a fixed suite of pages and heavy jobs timed at two sizes
(70 and 20,000 units by default) on SQLite and, when reachable, PostgreSQL.

The parent process (`run_suite`) builds each database once and caches it under `var/bench/`
(SQLite: one file per size and generator version; PostgreSQL: a database `mofan_bench_<units>`
kept between runs, its generator version noted in `var/bench/`), then starts child processes
with `DATABASE_URL` pointing at it: one that times every page through the Django test client
(`worker pages`) and one per heavy item (`worker item`), so each heavy item's peak RSS is its
own. Children print one JSON object per line; the parent adds the budgets and prints
`{"name", "db", "units", "median_ms", "p95_ms", "queries", "peak_rss_mb", "budget_ms", "ok"}`
per line (a heavy item also `start_rss_mb`: its process before the job, so that what the job
itself takes is the difference), then `bench: N ok, M over budget`.

The data comes from `manage.py seed_scale` when the project has it, otherwise from the
campaign simulation (`devtools.simulate.run`, through the services; slow beyond a few hundred
units). This module is also the URLconf of the page worker: the project's URLs plus a trivial
view returning a fixed string, the framework's own floor.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

TEMPLATE = "yueqing-2020"
SEED = 1
DEFAULT_SIZES = (70, 20000)
REPEAT = 20
SIMULATE_COMFORT = 2000  # units the simulation builds in minutes (500 ≈ 3 min here)
PG_PREFIX = "mofan_bench"  # PostgreSQL databases mofan_bench_<units>
PAGE_BUDGET_MS = 300.0
PAGE_GROWTH = 1.5  # a page at the large size may take at most this multiple of the small size
RECOMPUTE_BUDGET_MS = 5000.0
XLSX_BUDGET_MS = 3000.0  # issue 20 point 3
XLSX_BUDGET_MB = 100.0  # above the process's memory when the export starts (`start_rss_mb`)
LEDGER_RULES_BUDGET_MS = 10000.0  # every ledger rule of every unit (issue 15 point 6)
LEDGER_RULES_BUDGET_MB = 400.0
FLOOR = "floor (trivial view)"
PAGES = (
    "login page",
    "committee dashboard",
    "unit table, first page by score",
    "unit table, middle page by score",
    "ranking page (approval table)",
    "self-evaluation page",
    "reviewer's scoring page",
    "score sheet page (trace)",
    "unit view",
    "problem-list board",
    "ledger page (one organisation)",
    "meeting entry form (branch roll)",
    "phone entry page (own record)",
)
ITEMS = (
    "recompute floor",
    "recompute",
    "ranking xlsx",
    "score sheet docx",
    "ledger rules",
    "approval",
    "self-evaluation files",
)
APPROVAL_BUDGET_MS = 5000.0  # issue 20 point 2: the task at 20,000 units
APPROVAL_BUDGET_MB = 200.0  # its peak
APPROVAL_REQUEST_BUDGET_MS = 100.0  # the request that starts it, its password check aside
SELF_EVALUATION_FILES_BUDGET_MS = 15.0  # issue 20 point 6: 53 leaves, 200 files, editable


def floor_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def _urlpatterns() -> list[URLPattern | URLResolver]:
    from mofan.urls import urlpatterns as project

    return [path("__bench__/floor/", floor_view), *project]


def __getattr__(name: str) -> Any:  # the URLconf, built lazily (this module is imported early)
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# ---------------------------------------------------------------- the data


def generator() -> str:
    from django.core.management import get_commands

    return "seed_scale" if "seed_scale" in get_commands() else "simulate"


def code_key(kind: str) -> str:
    """The version of the code that builds the data: the generator's sources and every
    migration's name. A change to either rebuilds the cached databases."""
    base = Path(__file__).resolve().parents[1]
    sources = sorted(
        (base / "devtools").glob("scale*.py" if kind == "seed_scale" else "simulate.py")
    )
    digest = hashlib.sha256(kind.encode())
    for source in sources:
        digest.update(source.read_bytes())
    for migration in sorted(base.glob("*/migrations/0*.py")):
        digest.update(str(migration.relative_to(base)).encode())
    return digest.hexdigest()[:12]


def seed(units: int) -> int:
    """Build the data in the current database; return the campaign's id."""
    from django.core.management import call_command

    if generator() == "seed_scale":
        out = io.StringIO()
        call_command("seed_scale", units=units, template=TEMPLATE, seed=SEED, json=True, stdout=out)
        return int(json.loads(out.getvalue().strip().splitlines()[-1])["campaign_id"])
    from mofan.devtools.simulate import run

    return int(run(template=TEMPLATE, units=units, seed=SEED)["campaign_id"])


# ---------------------------------------------------------------- measuring (child processes)


def peak_rss_mb() -> float:
    """The process's peak resident size (VmHWM, which `peak_rss_reset` can set back; else
    the rusage maximum)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(peak / 1024, 1)


def peak_rss_reset() -> None:
    """Set the peak back to the current size (Linux: `clear_refs` 5), so that what a step
    of the process did before (the approval's requests, before its task) is not its peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def measured(name: str, db: str, units: int, samples: list[float], queries: int) -> dict[str, Any]:
    """One output row of a child process (the parent adds the budget)."""
    return {
        "name": name,
        "db": db,
        "units": units,
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_p95(samples), 1),
        "queries": queries,
        "peak_rss_mb": peak_rss_mb(),
    }


@dataclass
class Personas:
    campaign_id: int
    committee_id: int
    admin: Any
    unit_admin: Any
    reviewer: Any
    enrollment_id: int
    unit_id: int
    assignment_id: int
    pages: int
    member: Any = None  # a 党员 of that unit linked to their roster row
    org_id: int = 0  # that unit's (first) party branch
    meeting_kind: int = 0  # 集体学习
    person_kind: int = 0  # 志愿服务


def personas(campaign_id: int) -> Personas:
    """The accounts the pages are requested as: the committee's administrator, the
    administrator of the unit in the middle of the list (made here if missing) and the leader
    of the review group that unit was assigned to."""
    from mofan.accounts.models import RoleAssignment, User
    from mofan.accounts.roles import Role
    from mofan.campaigns.models import Campaign, Enrollment
    from mofan.evaluations.models import Assignment
    from mofan.reports.dashboard import PAGE_SIZE

    campaign = Campaign.objects.get(pk=campaign_id)
    admin = (
        RoleAssignment.objects.filter(committee=campaign.committee, role=Role.COMMITTEE_ADMIN)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if admin is None:
        raise RuntimeError(f"campaign {campaign_id}: no committee administrator")
    enrollments = Enrollment.objects.filter(campaign=campaign).order_by("unit__sort_order", "pk")
    count = enrollments.count()
    enrollment = enrollments[count // 2]
    assignment = Assignment.objects.select_related("group__leader").get(enrollment=enrollment)
    username = f"bench-unit-{campaign.pk}"
    unit_admin = User.objects.filter(username=username).first()
    if unit_admin is None:
        unit_admin = User.objects.create(
            username=username,
            full_name="测试单位管理员",
            committee=campaign.committee,
            must_change_password=False,
        )
        RoleAssignment.objects.create(
            user=unit_admin,
            role=Role.UNIT_ADMIN,
            committee=campaign.committee,
            unit_id=enrollment.unit_id,
        )
    ledger = _ledger_persona(campaign, enrollment.unit_id)
    return Personas(
        **ledger,
        campaign_id=campaign.pk,
        committee_id=campaign.committee_id,
        admin=admin.user,
        unit_admin=unit_admin,
        reviewer=assignment.group.leader,
        enrollment_id=enrollment.pk,
        unit_id=enrollment.unit_id,
        assignment_id=assignment.pk,
        pages=max(1, (count + PAGE_SIZE - 1) // PAGE_SIZE),
    )


def _ledger_persona(campaign: Any, unit_id: int) -> dict[str, Any]:
    """The activity ledger's side of the unit in the middle: its branch, the kinds entered on
    the pages and a 党员 account linked to its first member (made here if missing)."""
    from mofan.accounts.models import RoleAssignment, User
    from mofan.accounts.roles import Role
    from mofan.activities.models import ActivityKind
    from mofan.organizations.models import Member, PartyOrganization, PartyOrgKind

    kinds = dict(ActivityKind.objects.filter(committee__isnull=True).values_list("code", "pk"))
    org = PartyOrganization.objects.filter(unit_id=unit_id, kind=PartyOrgKind.BRANCH).first()
    username = f"bench-member-{campaign.pk}"
    member = User.objects.filter(username=username).first()
    roll = Member.objects.filter(unit_id=unit_id, party_org__isnull=False).order_by("pk").first()
    if member is None and roll is not None:
        member = User.objects.create(
            username=username,
            full_name=roll.name,
            committee=campaign.committee,
            must_change_password=False,
            member=roll,
        )
        RoleAssignment.objects.create(
            user=member, role=Role.MEMBER, committee=campaign.committee, unit_id=unit_id
        )
    return {
        "member": member,
        "org_id": org.pk if org else 0,
        "meeting_kind": kinds.get("collective-study", 0),
        "person_kind": kinds.get("volunteer", 0),
    }


def page_plan(p: Personas) -> list[tuple[str, Any, str]]:
    """(name, user or None, url) of every timed page."""
    c, e = p.campaign_id, p.enrollment_id
    middle = max(1, (p.pages + 1) // 2)
    return [
        (FLOOR, None, "/__bench__/floor/"),
        ("login page", None, "/accounts/login/"),
        ("committee dashboard", p.admin, f"/reports/dashboard/{c}/"),
        ("unit table, first page by score", p.admin, f"/reports/dashboard/{c}/?sort=-composite"),
        (
            "unit table, middle page by score",
            p.admin,
            f"/reports/dashboard/{c}/?sort=-composite&page={middle}",
        ),
        ("ranking page (approval table)", p.admin, f"/reviews/campaigns/{c}/approval/"),
        ("self-evaluation page", p.unit_admin, f"/reviews/self/{e}/"),
        ("reviewer's scoring page", p.reviewer, f"/reviews/assignments/{p.assignment_id}/"),
        ("score sheet page (trace)", p.admin, f"/reviews/enrollments/{e}/trace/"),
        ("unit view", p.admin, f"/reports/unit/{e}/"),
        ("problem-list board", p.admin, "/rectification/board/"),
        ("ledger page (one organisation)", p.unit_admin, f"/activities/?org={p.org_id}"),
        (
            "meeting entry form (branch roll)",
            p.unit_admin,
            f"/activities/new/?org={p.org_id}&kind={p.meeting_kind}",
        ),
        ("phone entry page (own record)", p.member, f"/activities/mine/new/?kind={p.person_kind}"),
    ]


def log_in(client: Any, user: Any) -> None:
    """A session as the login view leaves it (without its password hashing and audit)."""
    from mofan.accounts import services

    client.force_login(user)
    session = client.session
    session[services.SESSION_AUTH_AT] = session[services.SESSION_SEEN_AT] = time.time()
    session.save()


def time_pages(campaign_id: int, units: int, db: str, repeat: int) -> Iterable[dict[str, Any]]:
    from django.test import Client, override_settings

    p = personas(campaign_id)
    with override_settings(ROOT_URLCONF=__name__):
        for name, user, url in page_plan(p):
            client = Client(SERVER_NAME="localhost")
            if user is not None:
                log_in(client, user)
            response = client.get(url)  # warm-up: caches, session, templates
            if response.status_code != 200:
                raise RuntimeError(
                    f"{name}: {url} answered {response.status_code} {response.get('Location', '')}"
                )
            yield time_get(client, url, repeat, name=name, db=db, units=units)


def time_get(client: Any, url: str, repeat: int, **row: Any) -> dict[str, Any]:
    """A warmed-up page: the queries of one request, then `repeat` requests timed; the output
    row named by `row` (name, db, units)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # now: the next request's start empties the log
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return measured(row["name"], row["db"], row["units"], samples, count)


def budget(row: dict[str, Any], small: dict[str, float]) -> tuple[float | None, bool]:
    """(budget_ms, ok) of one measured row. `small` holds the medians at the smallest size on
    the same database when `row` is at the largest size (the growth rule), else nothing."""
    name, ms = row["name"], row["median_ms"]
    if name in PAGES:
        limit = PAGE_BUDGET_MS
        if name in small:
            limit = min(limit, round(PAGE_GROWTH * small[name], 1))
        return limit, ms <= limit
    if name.startswith("full recompute"):
        # Issue 20: within its budget and at most FLOOR_MULTIPLE times the plain-SQL floor.
        from mofan.devtools.bench_floor import FLOOR_MULTIPLE

        ok = ms <= RECOMPUTE_BUDGET_MS and row.get("x_floor", 0) <= FLOOR_MULTIPLE
        return RECOMPUTE_BUDGET_MS, ok
    if name.startswith("ranking xlsx"):
        # issue 20 point 3: 3 s and 100 MB of its own (the process has ~110 MB before it)
        own = row["peak_rss_mb"] - row.get("start_rss_mb", 0.0)
        ok = ms <= XLSX_BUDGET_MS and own <= XLSX_BUDGET_MB
        return XLSX_BUDGET_MS, ok
    if name.startswith("self-evaluation page (200 files"):
        return SELF_EVALUATION_FILES_BUDGET_MS, ms <= SELF_EVALUATION_FILES_BUDGET_MS
    if name.startswith("approval task"):
        # The sign request within its budget but for the password check (the hasher's cost).
        request = row.get("request_ms", 0.0) - row.get("password_ms", 0.0)
        ok = (
            ms <= APPROVAL_BUDGET_MS
            and row["peak_rss_mb"] <= APPROVAL_BUDGET_MB
            and request <= APPROVAL_REQUEST_BUDGET_MS
        )
        return APPROVAL_BUDGET_MS, ok
    if name.startswith("ledger rules"):
        ok = ms <= LEDGER_RULES_BUDGET_MS and row["peak_rss_mb"] <= LEDGER_RULES_BUDGET_MB
        return LEDGER_RULES_BUDGET_MS, ok
    return None, True  # for reference only: the floor, the score sheet docx


# ---------------------------------------------------------------- the parent


@dataclass
class Target:
    db: str  # "sqlite" or "postgresql"
    units: int
    url: str


def _manage() -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def _child_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env.setdefault("MOFAN_DEBUG", "0")
    return env


def _run(args: list[str], url: str, say: Callable[[str], None]) -> list[str]:
    done = subprocess.run(
        [*_manage(), *args],
        env=_child_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        say(done.stderr[-4000:])
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode})")
    return [line for line in done.stdout.splitlines() if line.strip()]


def _pg_connect(url: str, **options: Any) -> Any:
    """A connection to the maintenance database `postgres` of the server of `url`."""
    import psycopg

    from mofan.env import parse_database_url

    cfg = parse_database_url(url)
    return psycopg.connect(
        dbname="postgres",
        user=cfg["USER"],
        password=cfg["PASSWORD"],
        host=cfg["HOST"],
        port=cfg.get("PORT") or 5432,
        **options,
    )


def pg_reachable(url: str) -> bool:
    try:
        with _pg_connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def _pg_admin(url: str, sql: str) -> None:
    with _pg_connect(url, autocommit=True) as conn:
        conn.execute(sql)


def prepare(target: Target, var: Path, say: Callable[[str], None]) -> int:
    """The campaign id of the cached database for `target`, building it first if missing or
    made by another version of the generator."""
    kind = generator()
    key = code_key(kind)
    meta = var / f"{target.db}-{target.units}.json"
    if meta.exists():
        known = json.loads(meta.read_text())
        fresh = known.get("key") == key and known.get("url") == target.url
        if fresh and (target.db != "sqlite" or Path(known["file"]).exists()):
            return int(known["campaign_id"])
    say(f"bench: building {target.db} with {target.units} units ({kind}, version {key})…")
    if kind == "simulate" and target.units > SIMULATE_COMFORT:
        say(
            "bench: without `manage.py seed_scale` the data come from the simulation, every "
            f"step through the services: expect hours for {target.units} units."
        )
    started = time.perf_counter()
    file = ""
    if target.db == "sqlite":
        file = target.url.removeprefix("sqlite:///")
        for old in var.glob(f"sqlite-{target.units}-*.sqlite3*"):
            old.unlink()
    else:
        name = target.url.rsplit("/", 1)[1]
        _pg_admin(target.url, f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(target.url, f'CREATE DATABASE "{name}"')
    _run(["migrate", "--noinput", "-v", "0"], target.url, say)
    lines = _run(["bench", "--worker", "seed", "--units", str(target.units)], target.url, say)
    campaign_id = int(json.loads(lines[-1])["campaign_id"])
    meta.write_text(
        json.dumps(
            {
                "key": key,
                "url": target.url,
                "file": file,
                "campaign_id": campaign_id,
                "generator": kind,
                "build_seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    say(f"bench: built in {time.perf_counter() - started:.0f} s")
    return campaign_id


def targets(
    sizes: Iterable[int], dbs: Iterable[str], var: Path, pg_url: str, pg_prefix: str = PG_PREFIX
) -> list[Target]:
    key = code_key(generator())
    found = []
    for db in dbs:
        for units in sizes:
            if db == "sqlite":
                url = f"sqlite:///{var.resolve()}/sqlite-{units}-{key}.sqlite3"
            else:
                url = f"{pg_url.rsplit('/', 1)[0]}/{pg_prefix}_{units}"
            found.append(Target(db, units, url))
    return found


def run_suite(
    *,
    sizes: list[int],
    dbs: list[str] | None,
    var: Path,
    pg_url: str,
    repeat: int,
    out: Callable[[str], None],
    say: Callable[[str], None],
    pg_prefix: str = PG_PREFIX,
) -> tuple[int, int]:
    """Build or reuse the databases, measure, print the lines; return (ok, over budget)."""
    from mofan.devtools.bench_floor import floor_multiples

    var.mkdir(parents=True, exist_ok=True)
    if dbs is None:
        dbs = ["sqlite"] + (["postgresql"] if pg_reachable(pg_url) else [])
        if "postgresql" not in dbs:
            say(f"bench: PostgreSQL at {pg_url} unreachable, SQLite only")
    sizes = sorted(set(sizes))
    ok = over = 0
    for db in dbs:
        small: dict[str, float] = {}
        for target in targets(sizes, [db], var, pg_url, pg_prefix):
            campaign_id = prepare(target, var, say)
            common = ["--campaign", str(campaign_id), "--units", str(target.units), "--db", db]
            rows = [
                json.loads(line)
                for line in _run(
                    ["bench", "--worker", "pages", "--repeat", str(repeat), *common],
                    target.url,
                    say,
                )
            ]
            for item in ITEMS:
                lines = _run(
                    ["bench", "--worker", "item", "--item", item, *common], target.url, say
                )
                rows.append(json.loads(lines[-1]))
            floor_multiples(rows)
            for row in rows:
                if target.units == sizes[0]:
                    small[row["name"]] = row["median_ms"]
                growth = small if len(sizes) > 1 and target.units == sizes[-1] else {}
                limit, good = budget(row, growth)
                row["budget_ms"] = limit
                row["ok"] = good
                ok += good
                over += not good
                out(json.dumps(row, ensure_ascii=False))
    out(f"bench: {ok} ok, {over} over budget")
    return ok, over
