"""The heavy items of `make bench` (`bench.ITEMS`): each timed once in a fresh child process
(`manage.py bench --worker item`), so that its peak RSS is its own. The suite, its pages and
budgets are in `bench`."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from mofan.devtools.bench import (
    log_in,
    measured,
    peak_rss_mb,
    peak_rss_reset,
    personas,
    time_get,
)


def time_item(item: str, campaign_id: int, units: int, db: str) -> dict[str, Any]:
    """One heavy item, once, in this (fresh) process: its peak RSS is the process's."""
    from django.db import connection, transaction

    name, job = _job(item, campaign_id, units)
    count = 0
    noted: dict[str, float] = {}

    def counter(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        nonlocal count
        count += 1  # counted, not logged: the SQL text of a big job would inflate its RSS
        return execute(sql, params, many, context)

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loaded, as in a server or worker that has run once)
    vacuumed()
    start_rss = peak_rss_mb()  # the started process: Django, every app, the URLconf
    if item == "self-evaluation files":
        with transaction.atomic():
            row = time_page_with_files(campaign_id, units, db)
            transaction.set_rollback(True)
        return {**row, "start_rss_mb": start_rss}
    with contextlib.ExitStack() as stack:
        if item == "approval":  # it writes: set the campaign back first, roll everything back
            stack.enter_context(transaction.atomic())
            stack.callback(transaction.set_rollback, True)
            job = approval_job(campaign_id, noted)
            noted["requests_peak_rss_mb"] = peak_rss_mb()
            peak_rss_reset()  # the task's own peak: a worker runs it, not the web processes
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            job()
            ms = (time.perf_counter() - started) * 1000
    return {**measured(name, db, units, [ms], count), "start_rss_mb": start_rss, **noted}


def vacuumed() -> None:
    """On PostgreSQL, VACUUM the database before a timed item, as autovacuum would have: the
    server on these machines runs with `autovacuum = off`, and each recompute deletes and
    rewrites 20,000 rows, so without it every bench run timed its job on the dead rows of the
    runs before (260,000 dead rows and 284 MB for a 20,000-row table after a dozen runs; one
    INSERT of the 20,000 rows 0.88 s before a VACUUM, 0.71 s after). Not timed."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")


def _job(item: str, campaign_id: int, units: int) -> tuple[str, Callable[[], object]]:
    """The name a heavy item is reported under and the work timed, its preparation done."""
    from mofan.campaigns.models import Campaign
    from mofan.core.exports import registry
    from mofan.reports.actors import system_actor

    campaign = Campaign.objects.select_related("committee").get(pk=campaign_id)
    registry.autodiscover()
    if item == "recompute":
        from django.core.management import call_command

        def recompute() -> object:
            return call_command("recompute_results", campaign=campaign.pk, stdout=io.StringIO())

        return "full recompute (recompute_results)", recompute
    if item == "recompute floor":
        from mofan.devtools.bench_floor import recompute_floor

        return "recompute floor (plain SQL)", lambda: recompute_floor(campaign=campaign)
    if item == "ledger rules":
        from mofan.evaluations.ledger_figures import ledger_figures_refresh

        def rules() -> object:  # what `manage.py ledger_figures --campaign ID` runs
            return ledger_figures_refresh(campaign=campaign)

        return f"ledger rules ({units} units)", rules
    if item == "approval":
        return f"approval task ({units} units)", lambda: None  # the job: `approval_job`
    if item == "self-evaluation files":
        return SELF_EVALUATION_FILES, lambda: None  # timed by `time_page_with_files`
    actor = system_actor(campaign.committee_id)
    if item == "ranking xlsx":
        export = registry.get("ranking")(campaign=campaign, actor=actor)
        export.check()
        return f"ranking xlsx ({units} rows)", _rendering(export, "xlsx")
    if item == "score sheet docx":
        from mofan.organizations.models import Unit

        unit = Unit.objects.get(pk=personas(campaign_id).unit_id)
        sheet = registry.get("score_sheet")(campaign=campaign, actor=actor, unit=unit)
        sheet.check()
        return item, _rendering(sheet, "docx")
    raise ValueError(item)


def approval_job(campaign_id: int, noted: dict[str, float]) -> Callable[[], object]:
    """The campaign set back to before its approval (every approved unit reviewed again, no
    results, ties across the quota line all admitted), then the approval as the pages start
    it: the committee admin prepares the round (准备审定, in the request) and the committee
    leader signs it with their password (the request records the run); returned is the task,
    as `db_worker` runs it. Notes each request's time in `noted` (`prepare_ms`, `request_ms`)
    and the password check's alone (`password_ms`: the hasher's deliberate cost, part of the
    sign request). The caller rolls back."""
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from mofan.accounts.models import RoleAssignment, User
    from mofan.accounts.roles import Role
    from mofan.campaigns.models import Campaign, Enrollment, EnrollmentState, QuotaTiePolicy
    from mofan.evaluations.approval_tasks import approval_task, latest_run
    from mofan.evaluations.figures.results import results_discard

    campaign = Campaign.objects.select_related("committee").get(pk=campaign_id)
    Enrollment.objects.filter(campaign=campaign, state=EnrollmentState.APPROVED).update(
        state=EnrollmentState.REVIEWED
    )
    results_discard(campaign=campaign)
    campaign.tie_policy = QuotaTiePolicy.ALL
    campaign.save(update_fields=["tie_policy"])
    password = "Bench-leader-2026"  # noqa: S105 (a rolled-back account of the bench)
    leader = User.objects.create(
        username="bench-approval-leader",
        full_name="审定领导",
        must_change_password=False,
        password_changed_at=timezone.now(),
    )
    leader.set_password(password)
    leader.save()
    RoleAssignment.objects.create(
        user=leader, committee=campaign.committee, role=Role.COMMITTEE_LEADER
    )
    steps = (
        (
            "prepare_ms",
            personas(campaign_id).admin,
            "reviews:approval_action",
            {"action": "prepare"},
        ),
        ("request_ms", leader, "reviews:approval_sign", {"password": password}),
    )
    for key, user, view, data in steps:
        client = Client(SERVER_NAME="localhost")
        log_in(client, user)
        started = time.perf_counter()
        response = client.post(reverse(view, args=[campaign.pk]), data)
        noted[key] = round((time.perf_counter() - started) * 1000, 1)
        refused = [m.message for m in response.wsgi_request._messages if m.level_tag == "error"]  # type: ignore[attr-defined]
        if response.status_code != 302 or refused or "/approval" not in response["Location"]:
            raise RuntimeError(f"{view} answered {response.status_code} {refused}")
    checks = []
    for _ in range(3):  # the hasher's time alone, at its quickest
        started = time.perf_counter()
        leader.check_password(password)
        checks.append((time.perf_counter() - started) * 1000)
    noted["password_ms"] = round(min(checks), 1)
    run = latest_run(campaign)
    if run is None:
        raise RuntimeError("the leader's signature recorded no approval run")
    return partial(approval_task.call, run.pk)


def _rendering(document: Any, fmt: str) -> Callable[[], object]:
    """The rendering of `document` as `fmt` into memory; returns the bytes written."""
    from mofan.reports.render import render

    def job() -> object:
        stream = io.BytesIO()
        render(document, fmt, stream)
        return stream.tell()

    return job


# ---------------------------------------------------------------- budgets


SELF_EVALUATION_FILES = "self-evaluation page (200 files, editable)"
FILES = 200
LINKED_LEAVES = 40  # two files each


def time_page_with_files(campaign_id: int, units: int, db: str) -> dict[str, Any]:
    """Issue 20 point 6: the unit's self-evaluation page while it can still be edited, the
    unit holding 200 evidence files and 40 of the leaves two links each (the seeded campaign
    is approved, so its page is read-only: here the middle unit's enrolment is set back to 填报中
    and the files are made, in the caller's transaction, which rolls them back). Timed as the
    pages are (a warm-up, the queries of one request, then `bench.REPEAT` requests)."""
    from django.test import Client

    from mofan.campaigns.models import Enrollment, EnrollmentState
    from mofan.devtools.bench import REPEAT
    from mofan.evaluations.models import EvidenceLink
    from mofan.evidence.models import Evidence, EvidenceKind
    from mofan.indicators.models import IndicatorNode

    p = personas(campaign_id)
    enrollment = Enrollment.objects.select_related("campaign").get(pk=p.enrollment_id)
    Enrollment.objects.filter(pk=enrollment.pk).update(state=EnrollmentState.IN_PROGRESS)
    files = Evidence.objects.bulk_create(
        Evidence(
            unit_id=enrollment.unit_id,
            sha256=f"{n:064x}",
            original_name=f"佐证材料{n:03d}.pdf",
            stored_name=f"bench-{campaign_id}-{n}",
            kind=EvidenceKind.PDF,
            size=10_000 + n,
            uploaded_by=p.unit_admin,
        )
        for n in range(FILES)
    )
    leaves = IndicatorNode.objects.filter(
        version=enrollment.campaign.indicator_version, children__isnull=True
    ).order_by("pk")[:LINKED_LEAVES]
    EvidenceLink.objects.bulk_create(
        EvidenceLink(evidence=files[n + half], enrollment=enrollment, node=leaf)
        for n, leaf in enumerate(leaves)
        for half in (0, FILES // 2)
    )
    client = Client(SERVER_NAME="localhost")
    log_in(client, p.unit_admin)
    url = f"/reviews/self/{enrollment.pk}/"
    response = client.get(url)
    if response.status_code != 200 or b'name="narrative"' not in response.content:
        raise RuntimeError(f"{url} answered {response.status_code} without its forms")
    return time_get(client, url, REPEAT, name=SELF_EVALUATION_FILES, db=db, units=units)
