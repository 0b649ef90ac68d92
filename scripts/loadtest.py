"""Deadline rush (`make loadtest`): the app under gunicorn (2 workers) against PostgreSQL, then
SQLite, while a second process simulates the last days before a submission deadline.

For each database the script
1. builds a fresh database (PostgreSQL `mofan_loadtest`, dropped and created; SQLite: a file in a
   temporary directory), migrates it, loads the built-in templates and creates a committee with
   200 units each with its own admin account, 20 reviewers in review groups with assignments
   (20 more units whose self-evaluation is submitted) and a campaign on the 乐清 template with
   every unit enrolled and in progress (`setup`, run inside Django);
2. starts `gunicorn mofan.wsgi` with 2 workers (gthread, `--threads` each, default 4) on a free
   loopback port (DEBUG off; `mofan.settings_loadtest`: a cheap hasher for the throwaway logins);
3. runs the load generator as a separate process (`drive`, standard library only, loopback
   only, bounded by `--duration` and `--max-requests`): every simulated user logs in once
   through the real login form and keeps its cookies; then unit admins save self-evaluation
   scores through the htmx endpoint with the optimistic `version` the page showed (a stale
   write is refreshed and retried like a person would) and upload small PDF evidence files,
   reviewers save review scores (htmx too), and the committee admin refreshes the dashboard
   and its data;
4. reads every acknowledged score back from the database (`verify`): the last acknowledged
   write of each (unit, leaf) and (reviewer, assignment, leaf) must be what is stored, carrying
   the same version and the unique text the client sent; anything else is a lost update;
5. prints one JSON line per database and a summary line.

Scale-out (`--scale-out`, PostgreSQL only; issue 19 point 3): `--servers` (2) gunicorn servers,
each on its own loopback port, and `--task-workers` (2) `manage.py db_worker` processes, all on the
one database; the driver sends user i to server i % 2 (sticky, as a load balancer would); setup
also builds a second campaign of `--approval-units` (2,000) units, every one reviewed (bulk, by
the province-scale seed's score writer), and `--approval-at` seconds into the rush the committee
admin prepares its approval and the committee leader signs it with the password through the
real pages, which runs the approval as a task; the leader's page polls the run. The read-back
waits (`--approval-wait`) for the run, reports its state and how long it queued and ran, checks
that every unit is approved and frozen, and reads every accepted evidence file back byte for
byte. Its verdict: 0 errors, 0 lost updates, both workers alive, the approval done; the p95
budget is reported (`p95_within_budget`), not judged, as everything shares one machine.

Ramp (`--ramp`; issue 20 point 4): the same users and mix, the think times divided by 1, 1.25,
1.5, 1.75, 2, 2.5, 3, 4, 6, 8 (`--ramp-factors`) in steps on the same server, until a step's p95
passes `--ramp-budget-ms` (200) or a request fails. In each step every user logs in and opens
the page again; the first `--ramp-warmup-s` (15) seconds (that opening) are not measured, the next
`--ramp-step-s` (20) are. Each step reports what was served, p95 inside the server (the whole
step, from the access log) and in all (the difference is queueing), the server's CPU per
request, how busy the machine was and each kind of request's share of the time; the line gives
the highest requests/s within the budget and what stopped the ramp. Every acknowledged write of
every step is read back at the end.

Usage: `python scripts/loadtest.py [--db both|postgresql|sqlite] [--duration 60] [--admins 200]
[--reviewers 20] [--scale-out] [--ramp]`. Everything runs on 127.0.0.1; nothing else is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import html
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Rush-hour-2026!"  # noqa: S105 (throwaway accounts of a throwaway database)
TEMPLATE = "yueqing-2020"
PG_URL = "postgres://postgres@127.0.0.1:5432/mofan_loadtest"
BUDGET_P95_MS = 500.0
LOCKED = "database is locked"
REPORT_KEYS = (
    "db",
    "requests",
    "requests_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "errors",
    "lost_updates",
    "locked_errors",
    "duration_s",
    "ok",
)


# --- figures (pure functions, tested in tests/core/test_loadtest.py) ----------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def lost_updates(acks: Iterable[dict[str, Any]], stored: dict[str, dict[str, Any]]) -> list[str]:
    """The keys whose stored row is not the last acknowledged write.

    `acks`: every write the server acknowledged, as {"key", "version", "token"}; the last one of
    a key is the one with the highest version (versions only grow). `stored`: key -> {"version",
    "token"} as read back from the database. A key is lost when its row is missing, carries
    another version (an older one: an acknowledged write vanished; a newer one: a write the
    client was never told about) or another client text."""
    last: dict[str, dict[str, Any]] = {}
    for ack in acks:
        seen = last.get(ack["key"])
        if seen is None or ack["version"] > seen["version"]:
            last[ack["key"]] = ack
    lost = []
    for key, ack in sorted(last.items()):
        row = stored.get(key)
        if row is None or row["version"] != ack["version"] or row["token"] != ack["token"]:
            lost.append(key)
    return lost


def report(
    *,
    db: str,
    samples: list[dict[str, Any]],
    failures: list[str] | None = None,
    duration_s: float,
    lost: int,
    locked: int,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One database's JSON line: throughput, latency percentiles and the budget verdict.

    `samples`: one {"kind", "ms", "ok"} per request (ok: it answered below HTTP 400);
    `failures`: the kinds of the requests that answered but did not do what was asked (a save
    refused for another reason than a stale version, an upload not accepted, ...)."""
    failures = failures or []
    times = [s["ms"] for s in samples]
    errors = sum(1 for s in samples if not s["ok"]) + len(failures)
    p95 = round(percentile(times, 95), 1)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for s in samples:
        by_kind[s["kind"]].append(s["ms"])
    for kind in failures:
        by_kind.setdefault(kind, [])
    line: dict[str, Any] = {
        "db": db,
        "requests": len(samples),
        "requests_per_s": round(len(samples) / duration_s, 1) if duration_s else 0.0,
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": p95,
        "p99_ms": round(percentile(times, 99), 1),
        "errors": errors,
        "lost_updates": lost,
        "locked_errors": locked,
        "duration_s": round(duration_s, 1),
        "ok": errors == 0 and lost == 0 and locked == 0 and bool(samples) and p95 <= BUDGET_P95_MS,
        "budget": {"errors": 0, "lost_updates": 0, "p95_ms": BUDGET_P95_MS},
        "by_kind": {
            kind: {
                "n": len(v),
                "p50_ms": round(percentile(v, 50), 1),
                "p95_ms": round(percentile(v, 95), 1),
                "errors": sum(1 for s in samples if s["kind"] == kind and not s["ok"])
                + failures.count(kind),
            }
            for kind, v in sorted(by_kind.items())
        },
    }
    if extra:
        line.update(extra)
    return line


def timeline(samples: list[dict[str, Any]], step: float = 10.0) -> list[list[float]]:
    """[start s, requests, p95 ms] per `step` seconds of the run (by when each request was
    sent), to tell a slow start (everyone opening the page) from a queue that keeps growing."""
    windows: dict[int, list[float]] = defaultdict(list)
    for s in samples:
        windows[int(s.get("at", 0.0) // step)].append(s["ms"])
    return [[i * step, len(v), round(percentile(v, 95), 1)] for i, v in sorted(windows.items())]


def summary(lines: list[dict[str, Any]]) -> str:
    ok = sum(1 for line in lines if line.get("ok"))
    return f"loadtest: {ok} ok, {len(lines) - ok} over budget"


def ramp_step(
    *,
    factor: float,
    samples: list[dict[str, Any]],
    failures: list[str],
    elapsed_s: float,
    served_ms: list[float],
    cpu: dict[str, Any],
    budget_ms: float,
) -> dict[str, Any]:
    """One step of the ramp (`--ramp`): the load offered with think times divided by `factor`,
    what was served, and where the time went: inside the server (`server_*`, from gunicorn's
    access log) or queued before it (client minus server), the server's CPU per request, the
    share of the machine that was busy, and each kind of request's share of the client time."""
    times = [s["ms"] for s in samples]
    errors = sum(1 for s in samples if not s["ok"]) + len(failures)
    total_ms = sum(times) or 1.0
    by_kind: dict[str, float] = defaultdict(float)
    for s in samples:
        by_kind[s["kind"]] += s["ms"]
    server_cpu = cpu.get("server_cpu_s")
    p95 = round(percentile(times, 95), 1)
    return {
        "think_divided_by": factor,
        "requests": len(samples),
        "requests_per_s": round(len(samples) / elapsed_s, 1) if elapsed_s else 0.0,
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": p95,
        "errors": errors,
        "server_p50_ms": round(percentile(served_ms, 50), 1),
        "server_p95_ms": round(percentile(served_ms, 95), 1),
        "server_cpu_ms_per_request": (
            round(1000 * server_cpu / len(samples), 1) if server_cpu and samples else None
        ),
        "machine_busy_pct": cpu.get("machine_busy_pct"),
        "time_by_kind_pct": {
            kind: round(100 * ms / total_ms, 1)
            for kind, ms in sorted(by_kind.items(), key=lambda kv: -kv[1])
        },
        "within_budget": errors == 0 and bool(samples) and p95 <= budget_ms,
    }


def ramp_summary(steps: list[dict[str, Any]], budget_ms: float) -> dict[str, Any]:
    """The capacity the ramp found: the highest requests/s of a step within the budget (p95 at
    most `budget_ms`, no error), its CPU per request, and what stopped the ramp."""
    within = [s for s in steps if s["within_budget"]]
    best = max(within, key=lambda s: s["requests_per_s"]) if within else None
    over = next((s for s in steps if not s["within_budget"]), None)
    if over is None:
        limit = "every step was within the budget: offer more (--ramp-factors)"
    elif over["errors"]:
        limit = f"errors at {over['requests_per_s']} requests/s"
    elif (over["machine_busy_pct"] or 0) >= 90:
        limit = (
            f"CPU: the machine was {over['machine_busy_pct']}% busy at "
            f"{over['requests_per_s']} requests/s (server, PostgreSQL and the load generator "
            "share the 2 cores)"
        )
    else:
        limit = (
            f"p95 {over['p95_ms']} ms at {over['requests_per_s']} requests/s with CPU to spare "
            f"({over['machine_busy_pct']}% busy): waiting, not computing"
        )
    return {
        "budget_p95_ms": budget_ms,
        "highest_within_budget_rps": best["requests_per_s"] if best else 0.0,
        "p95_ms_there": best["p95_ms"] if best else None,
        "server_cpu_ms_per_request_there": best["server_cpu_ms_per_request"] if best else None,
        "limited_by": limit,
    }


# --- setup (inside Django) ----------------------------------------------------------------------


def _fields(method: dict[str, Any], value: dict[str, Any]) -> dict[str, str]:
    """The POST fields a person would fill in for `value` (the inverse of parse_leaf_input)."""
    kind = method.get("type")
    if kind == "grade":
        return {"band": value["band"]}
    if kind == "deduction":
        incidents = value.get("incidents", {})
        return {f"incident_{r['key']}": str(incidents.get(r["key"], 0)) for r in method["rules"]}
    if kind in ("quantitative", "manual", "bonus"):
        return {"value": str(value["value"])}
    if kind == "qualitative":
        return {"level": value["level"]}
    raise ValueError(kind)


def setup(
    *, admins: int, reviewers: int, reviewed: int, out: Path, approval_units: int = 0
) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mofan.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.urls import reverse
    from django.utils import timezone

    from mofan.accounts.access import Actor
    from mofan.accounts.models import RoleAssignment, User
    from mofan.accounts.roles import Role
    from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState
    from mofan.campaigns.services import campaign_create
    from mofan.devtools.simulate import actor_of, fill_self, synthetic_value
    from mofan.evaluations import review_groups, services
    from mofan.evaluations.inputs import parse_leaf_input
    from mofan.evaluations.models import Assignment
    from mofan.indicators.builtin import load_templates
    from mofan.indicators.models import IndicatorVersion
    from mofan.indicators.selectors import published_leaves
    from mofan.organizations.models import Committee, Unit

    rng = random.Random(7)
    load_templates()
    version = IndicatorVersion.objects.get(system__committee__isnull=True, system__slug=TEMPLATE)
    hashed = make_password(PASSWORD)  # one hash for all: the login still checks it each time
    now = timezone.now()

    def person(username: str, name: str, committee: Committee) -> User:
        return User(
            username=username,
            full_name=name,
            committee=committee,
            password=hashed,
            must_change_password=False,
            password_changed_at=now,
        )

    with transaction.atomic():
        committee = Committee.objects.create(name="压力测试工委", code="loadtest")
        Unit.objects.bulk_create(
            Unit(committee=committee, name=f"压测单位{i:04d}", sort_order=i)
            for i in range(1, admins + reviewed + 1)
        )
        units = list(Unit.objects.filter(committee=committee).order_by("sort_order"))
        admin_units, reviewed_units = units[:admins], units[admins:]
        people = User.objects.bulk_create(
            [person("lt-committee", "压测工委管理员", committee)]
            + [person("lt-liaison", "压测联络员（已提交单位）", committee)]
            + [person(f"lt-unit{i:03d}", f"压测联络员{i}", committee) for i in range(admins)]
            + [person(f"lt-reviewer{i:02d}", f"压测评审员{i}", committee) for i in range(reviewers)]
        )
        boss, liaison_user = people[0], people[1]
        unit_users = people[2 : 2 + admins]
        reviewer_users = people[2 + admins :]
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=boss, role=Role.COMMITTEE_ADMIN, committee=committee)]
            + [
                RoleAssignment(user=u, role=Role.UNIT_ADMIN, committee=committee, unit=unit)
                for u, unit in zip(unit_users, admin_units, strict=True)
            ]
            + [
                RoleAssignment(user=r, role=Role.REVIEWER, committee=committee)
                for r in reviewer_users
            ]
        )
    admin = actor_of(boss, committee, Role.COMMITTEE_ADMIN)
    campaign = campaign_create(
        committee=committee,
        name="压力测试活动",
        year=version.system.year,
        version=version,
        actor=admin,
        approved_by="压测",
        document_number="压测〔2026〕1号",
    )
    Campaign.objects.filter(pk=campaign.pk).update(submission_deadline=None)
    leaves = published_leaves(version)
    scored = [n for n in leaves if n.method_type not in services.OPTIONAL_IN_SELF]
    variants: dict[int, list[dict[str, str]]] = {}
    for node in scored:
        options = []
        for quality in (0.1, 0.4, 0.7, 0.95):
            fields = _fields(node.method, synthetic_value(node, quality, rng))
            parse_leaf_input(node.method, fields)  # what the server will accept
            options.append(fields)
        variants[node.pk] = options
    unit_roles = frozenset({Role.UNIT_ADMIN, Role.UNIT_LEADER})
    enrollments = {
        e.unit_id: e for e in Enrollment.objects.filter(campaign=campaign).select_related("unit")
    }
    with transaction.atomic():
        liaison = Actor(
            user=liaison_user,
            roles=unit_roles,
            unit_roles={u.pk: unit_roles for u in reviewed_units},
        )
        for unit in reviewed_units:
            fill_self(
                enrollment=enrollments[unit.pk],
                leaves=leaves,
                quality=rng.random(),
                rng=rng,
                actor=liaison,
            )
            services.enrollment_transition(
                enrollment=enrollments[unit.pk], to=EnrollmentState.SUBMITTED, actor=liaison
            )
        for user, unit in zip(unit_users, admin_units, strict=True):
            # in progress: a few leaves already saved, so the page shows versions
            own = Actor(user=user, roles=unit_roles, unit_roles={unit.pk: unit_roles})
            fill_self(
                enrollment=enrollments[unit.pk],
                leaves=leaves,
                quality=rng.random(),
                rng=rng,
                actor=own,
                upto=8,
            )
    per_group = 4
    for g in range(max(1, reviewers // per_group)):
        seat = reviewer_users[g * per_group : (g + 1) * per_group]
        if seat:
            review_groups.review_group_create(
                campaign=campaign,
                name=f"压测评审组{g + 1}",
                leader=seat[0],
                reviewers=seat[1:],
                actor=admin,
            )
    review_groups.assignment_draw(
        campaign=campaign, method="balanced", seed="loadtest", actor=admin
    )
    reviewed_ids = {enrollments[u.pk].pk for u in reviewed_units}
    mine: dict[int, list[int]] = defaultdict(list)
    for a in Assignment.objects.filter(enrollment_id__in=reviewed_ids).select_related("group"):
        for uid in services.reviewers_of(a):
            mine[uid].append(a.pk)
    plan = {
        "password": PASSWORD,
        "login": reverse("accounts:login"),
        "campaign": campaign.pk,
        "dashboard": reverse("reports:dashboard", args=[campaign.pk]),
        "dashboard_data": reverse("reports:dashboard_data", args=[campaign.pk]),
        "upload": reverse("evidence:upload"),
        "committee": boss.username,
        "variants": {str(k): v for k, v in variants.items()},
        "units": [
            {
                "username": user.username,
                "unit": unit.pk,
                "enrollment": enrollments[unit.pk].pk,
                "page": reverse("reviews:self", args=[enrollments[unit.pk].pk]),
            }
            for user, unit in zip(unit_users, admin_units, strict=True)
        ],
        "reviewers": [
            {
                "username": r.username,
                "assignments": {
                    str(a): reverse("reviews:scoring", args=[a]) for a in sorted(mine[r.pk])
                },
            }
            for r in reviewer_users
            if mine[r.pk]
        ],
    }
    if approval_units:
        plan["approval"] = _approval_campaign(
            committee=committee,
            version=version,
            admin=admin,
            reviewer_users=reviewer_users,
            liaison_user=liaison_user,
            leader=person("lt-leader", "压测工委领导", committee),
            units=approval_units,
            rng=rng,
        )
    out.write_text(json.dumps(plan, ensure_ascii=False))


def _approval_campaign(
    *,
    committee: Any,
    version: Any,
    admin: Any,
    reviewer_users: list[Any],
    liaison_user: Any,
    leader: Any,
    units: int,
    rng: random.Random,
) -> dict[str, Any]:
    """The scale-out run's second campaign: `units` more units of the committee, every one
    reviewed (self-evaluation, every reviewer's scores and the consolidated scores written in
    bulk by the province-scale seed's writer, `devtools.scale_scores`), waiting for the approval
    the committee admin prepares and the committee leader signs during the rush; and the leader's
    account."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.urls import reverse
    from django.utils import timezone

    from mofan.accounts.models import RoleAssignment
    from mofan.accounts.roles import Role
    from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState, QuotaTiePolicy
    from mofan.campaigns.services import campaign_create
    from mofan.devtools.scale_bulk import Timer
    from mofan.devtools.scale_scores import audit_sheets, scores
    from mofan.evaluations import review_groups
    from mofan.indicators.selectors import published_leaves
    from mofan.organizations.models import Unit

    leader.save()
    RoleAssignment.objects.create(user=leader, role=Role.COMMITTEE_LEADER, committee=committee)
    first = Unit.objects.filter(committee=committee).count() + 1
    Unit.objects.bulk_create(
        Unit(committee=committee, name=f"压测审定单位{i:05d}", sort_order=i)
        for i in range(first, first + units)
    )
    campaign = campaign_create(
        committee=committee,
        name="压力测试审定活动",
        year=version.system.year,
        version=version,
        actor=admin,
        units=Unit.objects.filter(committee=committee, sort_order__gte=first),
        approved_by="压测",
        document_number="压测〔2026〕2号",
        tie_policy=QuotaTiePolicy.ALL,  # no tie decision stands between the rush and approval
    )
    Campaign.objects.filter(pk=campaign.pk).update(submission_deadline=None)
    campaign.refresh_from_db()
    per_group = 4
    for g in range(max(1, len(reviewer_users) // per_group)):
        seat = reviewer_users[g * per_group : (g + 1) * per_group]
        if seat:
            review_groups.review_group_create(
                campaign=campaign,
                name=f"压测审定评审组{g + 1}",
                leader=seat[0],
                reviewers=seat[1:],
                actor=admin,
            )
    review_groups.assignment_draw(
        campaign=campaign, method="balanced", seed="loadtest-approval", actor=admin
    )
    with transaction.atomic():
        sheets = scores(
            campaign=campaign,
            leaves=published_leaves(version),
            liaison=liaison_user,
            rng=rng,
            timer=Timer(),
        )
        audit_sheets(campaign, sheets, units)
        # not started -> in progress -> submitted -> reviewed, as scale_results.approve does
        Enrollment.objects.filter(campaign=campaign).update(
            state=EnrollmentState.REVIEWED,
            submitted_at=timezone.now(),
            submitted_by=liaison_user,
            version=F("version") + 3,
        )
    with connection.cursor() as cursor:  # the planner's statistics after a bulk load
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "campaign": campaign.pk,
        "units": units,
        "leader": leader.username,
        "page": reverse("reviews:approval", args=[campaign.pk]),
        "action": reverse("reviews:approval_action", args=[campaign.pk]),
        "sign": reverse("reviews:approval_sign", args=[campaign.pk]),
    }


def unacknowledged_stored(
    lost: list[str], stored: dict[str, dict[str, Any]], unanswered: Iterable[dict[str, Any]]
) -> list[str]:
    """Of the `lost` keys, those whose stored text is that of a save which got no answer or a
    5xx (a worker killed after the commit, a connection lost after it): not a lost update but a
    write the client was never told about."""
    sent: dict[str, set[str]] = defaultdict(set)
    for item in unanswered:
        sent[item["key"]].add(item["token"])
    return [key for key in lost if key in stored and stored[key]["token"] in sent[key]]


def uploads_read_back(uploads: list[dict[str, Any]]) -> dict[str, int]:
    """Every accepted evidence file read back: its row (unit, SHA-256) and the stored file,
    whose bytes must hash to the same SHA-256."""
    from mofan.evidence.models import Evidence
    from mofan.evidence.storage import path_of

    stored = {
        (row["unit_id"], row["sha256"]): row["stored_name"]
        for row in Evidence.objects.filter(sha256__in={u["sha256"] for u in uploads}).values(
            "unit_id", "sha256", "stored_name"
        )
    }
    missing = 0
    for upload in uploads:
        name = stored.get((upload["unit"], upload["sha256"]))
        path = path_of(name) if name else None
        read = path.read_bytes() if path is not None and path.exists() else b""
        if hashlib.sha256(read).hexdigest() != upload["sha256"]:
            missing += 1
    return {"accepted": len(uploads), "missing": missing}


def approval_read_back(*, campaign: int, wait: float) -> dict[str, Any]:
    """The approval campaign's run as the database holds it, once it has ended (waiting at most
    `wait` seconds for a run still queued or running): its state, how long it queued and ran,
    which worker took it, and the campaign's approved enrolments and frozen results."""
    from mofan.campaigns.models import Enrollment, EnrollmentState
    from mofan.evaluations.models import ApprovalRun, RunState, UnitResult

    deadline = time.monotonic() + wait
    while True:
        run = ApprovalRun.objects.filter(campaign_id=campaign).order_by("-pk").first()
        active = run is not None and run.state in (RunState.QUEUED, RunState.RUNNING)
        if not active or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    out: dict[str, Any] = {"state": run.state if run else "not requested"}
    if run is not None:
        out |= {
            "units": run.units,
            "approved": run.approved,
            "worker": run.worker,
            "error": run.error,
            "queued_s": round((run.started_at - run.created_at).total_seconds(), 1)
            if run.started_at
            else None,
            "ran_s": round((run.finished_at - run.started_at).total_seconds(), 1)
            if run.finished_at and run.started_at
            else None,
            "total_s": round((run.finished_at - run.created_at).total_seconds(), 1)
            if run.finished_at
            else None,
        }
    out["enrollments_approved"] = Enrollment.objects.filter(
        campaign_id=campaign, state=EnrollmentState.APPROVED
    ).count()
    out["results_frozen"] = UnitResult.objects.filter(
        enrollment__campaign_id=campaign, frozen=True
    ).count()
    return out


def verify(
    *,
    acks_path: Path,
    unanswered_path: Path | None = None,
    approval_campaign: int = 0,
    approval_wait: float = 0.0,
    uploads_path: Path | None = None,
) -> dict[str, Any]:
    """Read every acknowledged score back and count lost updates (with `unanswered_path`, a
    stored write that got no answer is counted apart, as `unacknowledged_stored`)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mofan.settings")
    import django

    django.setup()
    from mofan.evaluations.models import ReviewScore, SelfScore

    acks = json.loads(acks_path.read_text())
    stored: dict[str, dict[str, Any]] = {}
    enrollments = {a["key"].split(":")[1] for a in acks if a["key"].startswith("self:")}
    for row in SelfScore.objects.filter(enrollment_id__in=enrollments).values(
        "enrollment_id", "node_id", "version", "narrative"
    ):
        key = f"self:{row['enrollment_id']}:{row['node_id']}"
        stored[key] = {"version": row["version"], "token": row["narrative"]}
    assignments = {a["key"].split(":")[1] for a in acks if a["key"].startswith("review:")}
    for row in ReviewScore.objects.filter(assignment_id__in=assignments).values(
        "assignment_id", "reviewer__username", "node_id", "version", "comment"
    ):
        key = f"review:{row['assignment_id']}:{row['reviewer__username']}:{row['node_id']}"
        stored[key] = {"version": row["version"], "token": row["comment"]}
    lost = lost_updates(acks, stored)
    result: dict[str, Any] = {"acknowledged": len({a["key"] for a in acks})}
    if unanswered_path is not None:
        unacked = unacknowledged_stored(lost, stored, json.loads(unanswered_path.read_text()))
        lost = [key for key in lost if key not in unacked]
        result["unacknowledged_stored"] = len(unacked)
    if uploads_path is not None:
        result["uploads"] = uploads_read_back(json.loads(uploads_path.read_text()))
    if approval_campaign:
        result["approval"] = approval_read_back(campaign=approval_campaign, wait=approval_wait)
    return {**result, "lost": len(lost), "examples": lost[:5]}


# --- the load generator (standard library only, loopback only) ----------------------------------


def _cpu_snapshot(server_pids: list[int]) -> dict[str, float] | None:
    """CPU seconds used so far by this process (the load generator), by the server (the
    processes `server_pids` and their children: gunicorn's masters and workers, the task
    workers), and by the whole machine (busy and total), from /proc; None elsewhere."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        parent: dict[int, int] = {}
        used: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            parent[int(entry)] = int(fields[1])
            used[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
        tree = {pid for pid in server_pids if pid}
        grew = True
        while grew:
            more = {pid for pid, ppid in parent.items() if ppid in tree and pid not in tree}
            tree |= more
            grew = bool(more)
        cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(v) for v in cpu]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
        return {
            "driver": sum(os.times()[:2]),
            "server": sum(used.get(pid, 0.0) for pid in tree),
            "busy": (sum(ticks) - idle) / tick,
            "total": sum(ticks) / tick,
        }
    except (OSError, ValueError, IndexError):
        return None


def cpu_use(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, Any]:
    """Where the machine's CPU went during the measured minute: seconds used by the load
    generator and by the server, the share of the whole machine that was busy (every process,
    PostgreSQL and other jobs included) and the load average."""
    out: dict[str, Any] = {"load_avg": [round(v, 2) for v in os.getloadavg()]}
    if before and after:
        total = after["total"] - before["total"]
        out["driver_cpu_s"] = round(after["driver"] - before["driver"], 1)
        out["server_cpu_s"] = round(after["server"] - before["server"], 1)
        out["machine_busy_pct"] = (
            round(100 * (after["busy"] - before["busy"]) / total, 1) if total else None
        )
    return out


class Budget:
    """Stops every simulated user at the deadline or after `max_requests` measured requests."""

    def __init__(self, duration: float, max_requests: int) -> None:
        self.duration = duration
        self.max_requests = max_requests
        self.started = 0.0
        self.count = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def start(self) -> None:
        self.started = time.monotonic()

    def take(self) -> bool:
        with self.lock:
            if self.stop.is_set() or time.monotonic() - self.started >= self.duration:
                self.stop.set()
                return False
            if self.count >= self.max_requests:
                self.stop.set()
                return False
            self.count += 1
            return True

    def sleep(self, seconds: float) -> bool:
        """Think time; False when the run is over."""
        left = self.duration - (time.monotonic() - self.started)
        if self.stop.wait(max(0.0, min(seconds, left))):
            return False
        return time.monotonic() - self.started < self.duration


class Recorder:
    def __init__(self) -> None:
        self.samples: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self.unacked: list[dict[str, Any]] = []
        self.uploads: list[dict[str, Any]] = []
        self.notes: dict[str, int] = defaultdict(int)
        self.problems: list[str] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def sample(
        self, kind: str, ms: float, ok: bool, why: str = "", at: float = 0.0, status: int = 0
    ) -> None:
        """`status`: the HTTP status, 0 when no answer came (refused, reset, timed out)."""
        with self.lock:
            self.samples.append(
                {"kind": kind, "ms": ms, "ok": ok, "at": round(at, 2), "status": status}
            )
            if not ok and len(self.problems) < 20:
                self.problems.append(f"{kind}: {why}"[:300])

    def fail(self, kind: str, why: str) -> None:
        """A request that answered but did not do what the person asked (counted as an error)."""
        with self.lock:
            self.failures.append(kind)
            if len(self.problems) < 20:
                self.problems.append(f"{kind}: {why}"[:300])

    def ack(self, key: str, version: int, token: str) -> None:
        with self.lock:
            self.acks.append({"key": key, "version": version, "token": token})

    def uploaded(self, unit: int, content: bytes) -> None:
        """An evidence file the server accepted (read back by its unit and SHA-256)."""
        with self.lock:
            self.uploads.append({"unit": unit, "sha256": hashlib.sha256(content).hexdigest()})

    def unanswered(self, key: str, token: str) -> None:
        """A save that got no answer or a 5xx: it may or may not have been stored."""
        with self.lock:
            self.unacked.append({"key": key, "token": token})

    def note(self, name: str) -> None:
        with self.lock:
            self.notes[name] += 1


class Session:
    """One browser: cookies kept, CSRF token sent, one connection per request (loopback)."""

    def __init__(self, port: int, recorder: Recorder, budget: Budget) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.recorder = recorder
        self.budget = budget

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        measured: bool = True,
    ) -> tuple[int, dict[str, str], str] | None:
        if measured and not self.budget.take():
            return None
        send = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        at = time.monotonic() - self.budget.started
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, path, body=body, headers=send)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            ms = (time.perf_counter() - started) * 1000
            if measured:
                self.recorder.sample(kind, ms, False, f"{type(exc).__name__}: {exc}", at)
            return None
        ms = (time.perf_counter() - started) * 1000
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        status = response.status
        if LOCKED in text:
            self.recorder.note("locked")
        if measured:
            ok = status < 400
            self.recorder.sample(kind, ms, ok, f"HTTP {status} {method} {path}", at, status)
        return status, {k.lower(): v for k, v in response.getheaders()}, text

    def post(
        self,
        kind: str,
        path: str,
        fields: dict[str, str],
        htmx: bool = False,
        measured: bool = True,
    ) -> tuple[int, dict[str, str], str] | None:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.csrf,
            "Referer": f"http://127.0.0.1:{self.port}{path}",
        }
        if htmx:
            headers["HX-Request"] = "true"
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf}).encode()
        return self.request(kind, "POST", path, body, headers, measured)

    def login(self, login_path: str, username: str, password: str) -> bool:
        if self.request("login", "GET", login_path, measured=False) is None:
            return False
        result = self.post(
            "login", login_path, {"username": username, "password": password}, measured=False
        )
        return bool(result and result[0] == 302 and "mofan_session" in self.cookies)


FORM = re.compile(
    r'action="(?P<action>[^"]+?/(?P<node>\d+)/)"[^>]*>.*?name="version" value="(?P<version>\d*)"',
    re.S,
)


def _versions(page: str) -> dict[int, tuple[str, int | None]]:
    """node pk -> (save URL, version shown) for every editable leaf form on a page."""
    found = {}
    for m in FORM.finditer(page):
        found[int(m["node"])] = (html.unescape(m["action"]), int(m["version"] or 0) or None)
    return found


STALE = ("未保存", "请刷新")


def minimal_pdf(label: str) -> bytes:
    """A small valid one-page PDF whose content differs per upload (no deduplication)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
    ]
    stream = f"% {label}\n".encode()
    objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _multipart(
    fields: dict[str, str], name: str, filename: str, content: bytes
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def unit_admin(
    s: Session, plan: dict[str, Any], unit: dict[str, Any], rng: random.Random, opts: Any
) -> None:
    # People open the page at different moments, not all in the same millisecond.
    if not s.budget.sleep(rng.uniform(0, opts.think_max)):
        return
    got = s.request("self_page", "GET", unit["page"])
    if got is None:
        return
    forms = _versions(got[2])
    if not forms:
        s.recorder.fail("self_page", f"no editable leaf on {unit['page']}")
        return
    seq = 0
    while s.budget.sleep(rng.uniform(opts.think_min, opts.think_max)):
        seq += 1
        if rng.random() < opts.upload_share:
            content = minimal_pdf(f"{unit['username']} {seq} {uuid.uuid4().hex}")
            body, ctype = _multipart(
                {"unit": str(unit["unit"]), "csrfmiddlewaretoken": s.csrf},
                "file",
                f"佐证材料-{seq}.pdf",
                content,
            )
            up = s.request(
                "upload",
                "POST",
                plan["upload"],
                body,
                {"Content-Type": ctype, "X-CSRFToken": s.csrf},
            )
            if up is None:
                continue
            back = urlsplit(up[1].get("location", ""))
            if up[0] != 302 or not back.query.startswith("unit="):  # back to the library
                s.recorder.fail("upload", f"upload not accepted: HTTP {up[0]} {back.path}")
                continue
            s.recorder.uploaded(unit["unit"], content)
            s.request("library", "GET", f"{back.path}?{back.query}")
            continue
        node = rng.choice(sorted(forms))
        action, version = forms[node]
        fields = rng.choice(plan["variants"][str(node)])
        for _attempt in range(3):
            token = f"lt {unit['username']} {node} {uuid.uuid4().hex[:12]}"
            data = {**fields, "narrative": token, "version": str(version or "")}
            got = s.post("self_save", action, data, htmx=True)
            if got is None or got[0] >= 500:
                s.recorder.unanswered(f"self:{unit['enrollment']}:{node}", token)
            if got is None:
                break
            status, _, text = got
            shown = _versions(text).get(node)
            if status != 200 or shown is None:
                s.recorder.fail("self_save", f"HTTP {status}, no leaf form returned")
                break
            error = re.search(r'class="field-error"[^>]*>([^<]*)<', text)
            version = shown[1]
            forms[node] = (action, version)
            if error is None:
                s.recorder.ack(f"self:{unit['enrollment']}:{node}", version or 0, token)
                break
            if any(word in error.group(1) for word in STALE):
                s.recorder.note("stale_retried")  # refreshed; the person saves again
                if not s.budget.sleep(rng.uniform(0.5, 1.5)):
                    break
                continue
            s.recorder.fail("self_save", f"refused: {error.group(1)}")
            break


COMMENT = re.compile(
    r'action="[^"]+?/score/(?P<node>\d+)/".*?name="version" value="(?P<version>\d*)".*?'
    r'name="comment" value="(?P<comment>[^"]*)"',
    re.S,
)


def reviewer(
    s: Session, plan: dict[str, Any], person: dict[str, Any], rng: random.Random, opts: Any
) -> None:
    pages = person["assignments"]
    while s.budget.sleep(rng.uniform(opts.think_min, opts.think_max)):
        assignment = rng.choice(sorted(pages))
        got = s.request("review_page", "GET", pages[assignment])
        if got is None:
            return
        forms = _versions(got[2])
        if not forms:
            s.recorder.fail("review_page", "no editable leaf on the scoring page")
            return
        for _seq in range(rng.randint(1, 3)):
            if not s.budget.sleep(rng.uniform(opts.think_min, opts.think_max) / 2):
                return
            node = rng.choice(sorted(forms))
            action, version = forms[node]
            fields = rng.choice(plan["variants"][str(node)])
            for _attempt in range(3):
                token = f"lt {person['username']} {node} {uuid.uuid4().hex[:12]}"
                # htmx, as the browser sends it: the answer is the leaf's row alone
                saved = s.post(
                    "review_save",
                    action,
                    {**fields, "comment": token, "version": str(version or "")},
                    htmx=True,
                )
                if saved is None or saved[0] >= 500:
                    key = f"review:{assignment}:{person['username']}:{node}"
                    s.recorder.unanswered(key, token)
                if saved is None:
                    return
                status, _, text = saved
                row = {int(m["node"]): m for m in COMMENT.finditer(text)}.get(node)
                if status != 200 or row is None:
                    s.recorder.fail("review_save", f"HTTP {status}, no leaf row returned")
                    return
                version = int(row["version"] or 0) or None
                forms[node] = (action, version)
                error = re.search(r'class="field-error"[^>]*>([^<]*)<', text)
                if error is None and html.unescape(row["comment"]) == token:
                    s.recorder.ack(
                        f"review:{assignment}:{person['username']}:{node}", version or 0, token
                    )
                    break
                if error is not None and any(word in error.group(1) for word in STALE):
                    s.recorder.note("stale_retried")  # the row shows what is stored now
                    if not s.budget.sleep(rng.uniform(0.5, 1.5)):
                        return
                    continue
                why = error.group(1) if error else "score not saved and no error shown"
                s.recorder.fail("review_save", f"refused: {why}")
                break


def committee_admin(s: Session, plan: dict[str, Any], rng: random.Random, opts: Any) -> None:
    while True:
        if s.request("dashboard", "GET", plan["dashboard"]) is None:
            return
        if s.request("dashboard_data", "GET", plan["dashboard_data"]) is None:
            return
        if not s.budget.sleep(opts.dashboard_every):
            return


RUN_STATE = re.compile(r'id="run-status" data-state="(?P<state>\w+)"')


def approver(
    admin: Session, leader: Session, plan: dict[str, Any], opts: Any, seen: dict[str, Any]
) -> None:
    """The scale-out run's approval, through the real pages, `opts.approval_at` seconds into the
    rush: the committee admin prepares the approval campaign's round (综合审定, every unit
    reviewed), the committee leader signs it with the password, which enqueues the approval task
    and answers with the run's page; the leader's browser then polls that page every second, as
    its htmx does, until the run is done or failed (or the rush ends). `seen`: what happened."""
    approval = plan["approval"]
    if not admin.budget.sleep(opts.approval_at):
        return
    seen["prepare_at_s"] = round(time.monotonic() - admin.budget.started, 1)
    if admin.request("approval_page", "GET", approval["page"]) is None:
        return
    started = time.monotonic()
    done = admin.post("approval_prepare", approval["action"], {"action": "prepare"})
    seen["prepare_s"] = round(time.monotonic() - started, 1)
    if done is None:
        return
    page = leader.request("approval_page", "GET", approval["page"])
    if page is None:
        return
    if 'class="approval-sign"' not in page[2]:
        leader.recorder.fail("approval_prepare", "no round waiting for the leader's signature")
        return
    signed = leader.post("approval_sign", approval["sign"], {"password": plan["password"]})
    if signed is None:
        return
    run = re.search(r"/approval-runs/(\d+)/", signed[1].get("location", ""))
    if signed[0] != 302 or run is None:
        leader.recorder.fail("approval_sign", f"HTTP {signed[0]}, no run page")
        return
    seen["run"] = int(run.group(1))
    seen["signed_at_s"] = round(time.monotonic() - leader.budget.started, 1)
    path = urlsplit(signed[1]["location"]).path
    while leader.budget.sleep(1.0):
        got = leader.request("approval_poll", "GET", path, headers={"HX-Request": "true"})
        if got is None:
            return
        state = RUN_STATE.search(got[2])
        seen["state_seen"] = state["state"] if state else "?"
        if seen["state_seen"] in ("done", "failed"):
            seen["ended_seen_at_s"] = round(time.monotonic() - leader.budget.started, 1)
            return


def drive(opts: Any) -> dict[str, Any]:
    plan = json.loads(Path(opts.plan).read_text())
    recorder = Recorder()
    budget = Budget(opts.duration, opts.max_requests)
    people: list[tuple[str, Any]] = [("committee", plan["committee"])]
    people += [("unit", u) for u in plan["units"]]
    people += [("reviewer", r) for r in plan["reviewers"]]
    if "approval" in plan:
        people.append(("leader", plan["approval"]["leader"]))
    # with several servers (the scale-out run) user i talks to server i % n, as a load
    # balancer with sticky sessions would send them
    ports = [int(p) for p in str(opts.ports or opts.port).split(",")]
    sessions: list[Session | None] = [None] * len(people)

    def log_in(index: int) -> None:
        kind, who = people[index]
        name = who if kind in ("committee", "leader") else who["username"]
        session = Session(ports[index % len(ports)], recorder, budget)
        if session.login(plan["login"], name, plan["password"]):
            sessions[index] = session
        else:
            recorder.problems.append(f"login failed for {name}")

    # Everyone logs in once through the real form before the clock starts (8 at a time).
    started = time.monotonic()
    queue = list(range(len(people)))
    lock = threading.Lock()

    def login_worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop()
            log_in(index)

    workers = [threading.Thread(target=login_worker) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    login_s = time.monotonic() - started
    failed_logins = sum(1 for s in sessions if s is None)

    threads = []
    approval: dict[str, Any] = {}
    load_before = [round(v, 2) for v in os.getloadavg()]
    server_pids = [int(p) for p in str(opts.server_pids or opts.server_pid).split(",")]
    cpu_before = _cpu_snapshot(server_pids)
    budget.start()
    # the ramp measures after the opening (everyone loading the page): CPU from then on too
    warm: dict[str, Any] = {}
    timer = threading.Timer(opts.warmup, lambda: warm.update(snapshot=_cpu_snapshot(server_pids)))
    if opts.warmup > 0:
        timer.start()
    for index, (kind, who) in enumerate(people):
        session = sessions[index]
        if session is None:
            continue
        rng = random.Random(f"{opts.seed}-{index}")
        if kind == "leader":
            admin_session = sessions[0]
            if admin_session is not None:
                threads.append(
                    threading.Thread(
                        target=approver,
                        args=(admin_session, session, plan, opts, approval),
                        daemon=True,
                    )
                )
            continue
        if kind == "committee":
            target: Any = committee_admin
            args: tuple[Any, ...] = (session, plan, rng, opts)
        elif kind == "unit":
            target, args = unit_admin, (session, plan, who, rng, opts)
        else:
            target, args = reviewer, (session, plan, who, rng, opts)
        threads.append(threading.Thread(target=target, args=args, daemon=True))
        if kind == "unit" and index <= opts.second_tabs:
            # a second browser tab of the same person on the same page: stale versions happen
            tab_rng = random.Random(f"{opts.seed}-{index}-tab")
            threads.append(
                threading.Thread(
                    target=unit_admin, args=(session, plan, who, tab_rng, opts), daemon=True
                )
            )
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=opts.duration + 120)
    elapsed = time.monotonic() - budget.started
    timer.cancel()
    cpu_after = _cpu_snapshot(server_pids)
    cpu = cpu_use(cpu_before, cpu_after)
    cpu["load_avg_at_start"] = load_before
    return {
        "samples": recorder.samples,
        "failures": recorder.failures,
        "acks": recorder.acks,
        "uploads": recorder.uploads,
        "unanswered": recorder.unacked,
        "notes": dict(recorder.notes),
        "problems": recorder.problems,
        "elapsed_s": elapsed,
        "login_s": round(login_s, 1),
        "failed_logins": failed_logins,
        "cpu": cpu,
        "cpu_after_warmup": cpu_use(warm.get("snapshot"), cpu_after),
        "approval": approval,
        "users": {
            "unit_admins": len(plan["units"]),
            "second_tabs": min(opts.second_tabs, len(plan["units"])),
            "reviewers": len(plan["reviewers"]),
            "committee": 1,
        },
    }


# --- orchestration ------------------------------------------------------------------------------


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:4])} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    return done.stdout


def _pg_admin(url: str, statements: list[str]) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


def _wait_for(port: int, path: str, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


def _gunicorn(
    port: int, env: dict[str, str], opts: Any, *, log: Path, access: Path
) -> subprocess.Popen[bytes]:
    """`gunicorn mofan.wsgi` with 2 workers (gthread, `opts.threads` each) on a loopback port,
    logging the time each request spent inside a worker."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "mofan.wsgi:application",
                "--workers",
                "2",
                *(
                    ["--worker-class", "gthread", "--threads", str(opts.threads)]
                    if opts.threads > 1
                    else []
                ),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
                # time spent inside the worker, to tell service time from queueing
                "--access-logfile",
                str(access),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(M)s",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _served_ms(access: Path, login: str, *, offset: int = 0) -> list[float]:
    """The time inside a worker of each request of an access log (from byte `offset`), logins
    left out."""
    with access.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    return [
        float(parts[3])
        for parts in (row.split() for row in text.splitlines())
        if len(parts) == 4 and parts[3].isdigit() and parts[1] != login
    ]


def _ramp(
    drive_once: Any, accesses: list[Path], login: str, opts: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Drive the rush step by step, the think times divided by each of `opts.ramp_factors` in
    turn, `opts.ramp_step_s` seconds each, until a step leaves the budget. Returns the steps
    and every step's output merged (acknowledged writes of all steps, read back at the end)."""
    merged: dict[str, Any] = {
        "samples": [],
        "failures": [],
        "acks": [],
        "uploads": [],
        "notes": defaultdict(int),
        "problems": [],
        "elapsed_s": 0.0,
        "login_s": 0.0,
        "failed_logins": 0,
        "cpu": {},
    }
    steps: list[dict[str, Any]] = []
    for factor in (float(f) for f in str(opts.ramp_factors).split(",")):
        offsets = [a.stat().st_size if a.exists() else 0 for a in accesses]
        warmup = opts.ramp_warmup_s
        driven = drive_once(
            warmup + opts.ramp_step_s, opts.think_min / factor, opts.think_max / factor, warmup
        )
        served = [
            ms
            for a, at in zip(accesses, offsets, strict=True)
            for ms in _served_ms(a, login, offset=at)
        ]
        step = ramp_step(
            factor=factor,
            samples=[x for x in driven["samples"] if x["at"] >= warmup],
            failures=driven["failures"],
            elapsed_s=max(0.0, driven["elapsed_s"] - warmup),
            served_ms=served,
            cpu=driven["cpu_after_warmup"],
            budget_ms=opts.ramp_budget_ms,
        )
        steps.append(step)
        for sample in driven["samples"]:  # one clock for the timeline
            merged["samples"].append({**sample, "at": sample["at"] + merged["elapsed_s"]})
        for key in ("failures", "acks", "uploads", "problems"):
            merged[key] += driven[key]
        for name, count in driven["notes"].items():
            merged["notes"][name] += count
        merged["elapsed_s"] += driven["elapsed_s"]
        merged["login_s"] += driven["login_s"]
        merged["failed_logins"] += driven["failed_logins"]
        merged["cpu"] = driven["cpu"]
        merged["users"] = driven["users"]
        print(json.dumps({"ramp_step": step}, ensure_ascii=False), file=sys.stderr, flush=True)
        if not step["within_budget"]:
            break
    return steps, merged


def _stop(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)


def _task_worker(index: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`manage.py db_worker` (django-tasks-db), as docs/deploy.md runs it as a service."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "1",
                "--no-reload",
                "--no-startup-delay",
                "--worker-id",
                f"loadtest-{index}",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def run_one(db: str, opts: Any) -> dict[str, Any]:
    """One database's run. With `opts.scale_out` (PostgreSQL only): `opts.servers` gunicorn
    servers on their own loopback ports and `opts.task_workers` task workers, all on the one
    database; the users spread over the servers; a campaign of `opts.approval_units` reviewed
    units approved as a task during the rush, and its run read back."""
    scale_out = bool(getattr(opts, "scale_out", False))
    tmp = Path(tempfile.mkdtemp(prefix=f"mofan-loadtest-{db}-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        MOFAN_ENV="development",
        MOFAN_DEBUG="0",
        MOFAN_VAR_DIR=str(tmp / "var"),
        ALLOWED_HOSTS="127.0.0.1",
        MOFAN_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        # mofan.settings with a cheap password hasher for the throwaway accounts: the logins
        # before the measured minute are not part of the test (mofan/settings_loadtest.py)
        DJANGO_SETTINGS_MODULE="mofan.settings_loadtest",
    )
    name = "postgresql" if db == "postgresql" else "sqlite"
    if scale_out:
        name = "postgresql-scale-out"
    if getattr(opts, "ramp", False):
        name += "-ramp"
    if db == "postgresql":
        dbname = urlsplit(opts.pg_url).path.lstrip("/")
        try:
            _pg_admin(
                opts.pg_url,
                [f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)', f'CREATE DATABASE "{dbname}"'],
            )
        except Exception as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            return {"db": name, "skipped": f"PostgreSQL unreachable: {exc}", "ok": False}
        env["DATABASE_URL"] = opts.pg_url
    py = sys.executable
    servers: list[subprocess.Popen[bytes]] = []
    workers: list[subprocess.Popen[bytes]] = []
    n_servers = opts.servers if scale_out else 1
    logs = [tmp / f"gunicorn{i}.log" for i in range(n_servers)]
    accesses = [tmp / f"access{i}.log" for i in range(n_servers)]
    worker_logs = [tmp / f"worker{i}.log" for i in range(opts.task_workers if scale_out else 0)]
    try:
        clock = time.monotonic()
        _run([py, "manage.py", "migrate", "--noinput"], env, 900)
        plan = tmp / "plan.json"
        more = ["--approval-units", str(opts.approval_units)] if scale_out else []
        _run(
            [
                py,
                __file__,
                "setup",
                "--admins",
                str(opts.admins),
                "--reviewers",
                str(opts.reviewers),
                "--reviewed",
                str(opts.reviewed),
                "--out",
                str(plan),
                *more,
            ],
            env,
            900,
        )
        setup_s = time.monotonic() - clock
        plan_data = json.loads(plan.read_text())
        login = plan_data["login"]
        ports = [free_port() for _ in range(n_servers)]
        for port, log, access in zip(ports, logs, accesses, strict=True):
            servers.append(_gunicorn(port, env, opts, log=log, access=access))
        for index, log in enumerate(worker_logs):
            workers.append(_task_worker(index + 1, env, log))
        for port, server in zip(ports, servers, strict=True):
            _wait_for(port, login, server, 60)
        spread = (
            [
                "--ports",
                ",".join(map(str, ports)),
                "--server-pids",
                ",".join(str(p.pid) for p in servers + workers),
                "--approval-at",
                str(opts.approval_at),
            ]
            if scale_out
            else []
        )

        def drive_once(
            duration: float, think_min: float, think_max: float, warmup: float = 0.0
        ) -> dict[str, Any]:
            out = tmp / "drive.json"
            _run(
                [
                    py,
                    __file__,
                    "drive",
                    "--plan",
                    str(plan),
                    "--port",
                    str(ports[0]),
                    "--duration",
                    str(duration),
                    "--max-requests",
                    str(opts.max_requests),
                    "--think-min",
                    str(think_min),
                    "--think-max",
                    str(think_max),
                    "--upload-share",
                    str(opts.upload_share),
                    "--dashboard-every",
                    str(opts.dashboard_every),
                    "--second-tabs",
                    str(opts.second_tabs),
                    "--server-pid",
                    str(servers[0].pid),
                    "--warmup",
                    str(warmup),
                    "--out",
                    str(out),
                    *spread,
                ],
                {k: v for k, v in env.items() if k != "DATABASE_URL"},
                duration + 900,
            )
            return dict(json.loads(out.read_text()))

        steps: list[dict[str, Any]] = []
        if getattr(opts, "ramp", False):
            steps, driven = _ramp(drive_once, accesses, login, opts)
        else:
            driven = drive_once(opts.duration, opts.think_min, opts.think_max)
        _stop(servers)
        acks = tmp / "acks.json"
        acks.write_text(json.dumps(driven["acks"]))
        uploads = tmp / "uploads.json"
        uploads.write_text(json.dumps(driven["uploads"]))
        approval = (
            [
                "--approval-campaign",
                str(plan_data["approval"]["campaign"]),
                "--approval-wait",
                str(opts.approval_wait),
                "--uploads",
                str(uploads),
            ]
            if scale_out
            else []
        )
        checked = json.loads(
            _run([py, __file__, "verify", "--acks", str(acks), *approval], env, 900)
        )
        workers_alive = sum(1 for w in workers if w.poll() is None)
        _stop(workers)  # after the read-back, which waits for an approval still running
        server_log = "".join(log.read_text(errors="replace") for log in logs + worker_logs)
        locked = server_log.count(LOCKED) + driven["notes"].get("locked", 0)
        tracebacks = server_log.count("Traceback")
        by_server = [_served_ms(access, login) for access in accesses]
        served = [ms for one in by_server for ms in one]
        line = report(
            db=name,
            samples=driven["samples"],
            failures=driven["failures"],
            duration_s=driven["elapsed_s"],
            lost=checked["lost"],
            locked=locked,
            extra={
                "acknowledged_scores": checked["acknowledged"],
                "stale_retried": driven["notes"].get("stale_retried", 0),
                "failed_logins": driven["failed_logins"],
                "server_tracebacks": tracebacks,
                # time inside a worker (logins left out): the rest of p50_ms is queueing
                "server_p50_ms": round(percentile(served, 50), 1),
                "server_p95_ms": round(percentile(served, 95), 1),
                "users": driven["users"],
                "think_s": [opts.think_min, opts.think_max],
                "setup_s": round(setup_s, 1),
                "login_s": driven["login_s"],
                "cpu": driven["cpu"],
                "timeline_10s": timeline(driven["samples"]),
            },
        )
        if steps:
            line["ramp"] = {"steps": steps, **ramp_summary(steps, opts.ramp_budget_ms)}
            # past the knee is where the ramp stops: its errors and p95 are the finding; what
            # must hold is that nothing acknowledged was lost and some step was within budget
            line["ok"] = line["lost_updates"] == 0 and line["ramp"]["highest_within_budget_rps"] > 0
        if scale_out:
            line.update(scale_out_verdict(line, driven, checked, by_server, opts))
            line["task_workers_alive"] = workers_alive
            line["approval"]["taken_by"] = [
                f"loadtest-{i + 1}"
                for i, log in enumerate(worker_logs)
                if "approval_task state=SUCCESSFUL" in log.read_text(errors="replace")
            ]
            if workers_alive != opts.task_workers:
                line["ok"] = False
        if driven["failed_logins"] or tracebacks:
            line["ok"] = False
        if driven["problems"] or checked["examples"]:
            line["problems"] = driven["problems"][:5] + checked["examples"]
        return line
    finally:
        _stop(servers + workers)
        if opts.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if db == "postgresql" and not opts.keep:
                with contextlib.suppress(Exception):
                    _pg_admin(opts.pg_url, [f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'])


def scale_out_verdict(
    line: dict[str, Any],
    driven: dict[str, Any],
    checked: dict[str, Any],
    by_server: list[list[float]],
    opts: Any,
) -> dict[str, Any]:
    """The scale-out run's own figures and verdict: no error, no lost update, the approval run
    done with every unit approved and frozen. The p95 budget is reported, not judged: the run
    puts two servers, two task workers, PostgreSQL and the load generator on one machine."""
    approval = {**driven.get("approval", {}), **checked.get("approval", {})}
    uploads = checked.get("uploads", {"accepted": 0, "missing": 0})
    done = (
        approval.get("state") == "done"
        and approval.get("approved") == opts.approval_units
        and approval.get("enrollments_approved") == opts.approval_units
        and approval.get("results_frozen") == opts.approval_units
    )
    return {
        "servers": opts.servers,
        "task_workers": opts.task_workers,
        "requests_by_server": [len(one) for one in by_server],
        "approval": approval,
        "uploads_read_back": uploads,
        "p95_within_budget": line["p95_ms"] <= BUDGET_P95_MS,
        "ok": line["errors"] == 0
        and line["lost_updates"] == 0
        and line["locked_errors"] == 0
        and line["requests"] > 0
        and uploads["missing"] == 0
        and done,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="the whole load test (default)")
    for p in (parser, run):
        p.add_argument("--db", choices=("both", "postgresql", "sqlite"), default="both")
        p.add_argument("--pg-url", default=os.environ.get("MOFAN_LOADTEST_PG_URL", PG_URL))
        p.add_argument("--duration", type=float, default=60.0)
        p.add_argument("--max-requests", type=int, default=60000)
        p.add_argument("--admins", type=int, default=200)
        p.add_argument("--reviewers", type=int, default=20)
        p.add_argument("--reviewed", type=int, default=20)
        p.add_argument("--think-min", type=float, default=5.0)
        p.add_argument("--think-max", type=float, default=15.0)
        p.add_argument("--upload-share", type=float, default=0.15)
        p.add_argument("--dashboard-every", type=float, default=5.0)
        p.add_argument("--second-tabs", type=int, default=20, help="unit admins with 2 tabs")
        p.add_argument("--keep", action="store_true", help="keep the temporary directory")
        p.add_argument(
            "--threads",
            type=int,
            default=4,
            help="threads per gunicorn worker (gthread); 1 for the sync worker",
        )
        p.add_argument(
            "--scale-out",
            action="store_true",
            help="PostgreSQL only: several servers and task workers, an approval as a task",
        )
        p.add_argument(
            "--ramp",
            action="store_true",
            help="capacity: offer more load step by step until p95 or errors pass the budget",
        )
        p.add_argument(
            "--ramp-factors",
            default="1,1.25,1.5,1.75,2,2.5,3,4,6,8",
            help="ramp: the think times are divided by each in turn",
        )
        p.add_argument("--ramp-step-s", type=float, default=20.0, help="ramp: seconds measured")
        p.add_argument(
            "--ramp-warmup-s",
            type=float,
            default=15.0,
            help="ramp: seconds of each step not measured (everyone opening the page first)",
        )
        p.add_argument("--ramp-budget-ms", type=float, default=200.0, help="ramp: p95 budget")
        p.add_argument("--servers", type=int, default=2, help="scale-out: gunicorn servers")
        p.add_argument("--task-workers", type=int, default=2, help="scale-out: db_worker processes")
        p.add_argument("--approval-units", type=int, default=2000, help="scale-out")
        p.add_argument("--approval-at", type=float, default=10.0, help="scale-out: seconds in")
        p.add_argument(
            "--approval-wait",
            type=float,
            default=600.0,
            help="scale-out: how long the read-back waits for an approval still running",
        )
    st = sub.add_parser("setup")
    st.add_argument("--admins", type=int, required=True)
    st.add_argument("--reviewers", type=int, required=True)
    st.add_argument("--reviewed", type=int, required=True)
    st.add_argument("--out", required=True)
    st.add_argument("--approval-units", type=int, default=0)
    dr = sub.add_parser("drive")
    dr.add_argument("--plan", required=True)
    dr.add_argument("--port", type=int, required=True)
    dr.add_argument("--duration", type=float, required=True)
    dr.add_argument("--max-requests", type=int, required=True)
    dr.add_argument("--think-min", type=float, default=5.0)
    dr.add_argument("--think-max", type=float, default=15.0)
    dr.add_argument("--upload-share", type=float, default=0.15)
    dr.add_argument("--dashboard-every", type=float, default=5.0)
    dr.add_argument("--seed", default="loadtest")
    dr.add_argument("--second-tabs", type=int, default=20)
    dr.add_argument("--server-pid", type=int, default=0, help="gunicorn's master (CPU figures)")
    dr.add_argument("--ports", default="", help="several servers: their ports, comma-separated")
    dr.add_argument("--server-pids", default="", help="several servers: pids, comma-separated")
    dr.add_argument("--approval-at", type=float, default=10.0)
    dr.add_argument("--warmup", type=float, default=0.0, help="ramp: seconds not measured")
    dr.add_argument("--out", required=True)
    ve = sub.add_parser("verify")
    ve.add_argument("--acks", required=True)
    ve.add_argument("--unanswered", default=None, help="saves that got no answer (faulttest)")
    ve.add_argument("--approval-campaign", type=int, default=0)
    ve.add_argument("--uploads", default=None, help="accepted evidence files (scale-out)")
    ve.add_argument("--approval-wait", type=float, default=0.0)
    opts = parser.parse_args(argv)
    if opts.command == "setup":
        setup(
            admins=opts.admins,
            reviewers=opts.reviewers,
            reviewed=opts.reviewed,
            out=Path(opts.out),
            approval_units=opts.approval_units,
        )
        return 0
    if opts.command == "drive":
        Path(opts.out).write_text(json.dumps(drive(opts)))
        return 0
    if opts.command == "verify":
        unanswered = Path(opts.unanswered) if opts.unanswered else None
        checked = verify(
            acks_path=Path(opts.acks),
            unanswered_path=unanswered,
            approval_campaign=opts.approval_campaign,
            approval_wait=opts.approval_wait,
            uploads_path=Path(opts.uploads) if opts.uploads else None,
        )
        print(json.dumps(checked, ensure_ascii=False))
        return 0
    dbs = ["postgresql", "sqlite"] if opts.db == "both" else [opts.db]
    if opts.scale_out:
        if opts.db == "sqlite":
            parser.error("--scale-out needs PostgreSQL: several servers share one database")
        dbs = ["postgresql"]
    lines = []
    for db in dbs:
        line = run_one(db, opts)
        print(json.dumps(line, ensure_ascii=False), flush=True)
        lines.append(line)
    print(summary(lines))
    return 0 if all(line.get("ok") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
