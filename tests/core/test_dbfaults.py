"""A lost database connection: a GET is answered on a fresh connection, a write answers 503
with Retry-After and a Chinese page (htmx: a message placed before the form), never a 500 and
never a duplicate write.

The connection is really lost. On PostgreSQL a second connection ends the test connection's
backend (`pg_terminate_backend`), as a server restart or a failover does. On SQLite, which has
no server, the test closes the driver's connection under Django instead, the one way an SQLite
connection can be lost.
"""

# The fixtures are imported from evidence_fixtures and requested by name.
# ruff: noqa: F811

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import OperationalError, connection
from django.test import Client

from mofan.audit.models import AuditEntry
from mofan.core import dbfaults
from mofan.evidence.models import Evidence
from tests.evaluations.evidence_fixtures import (  # noqa: F401 (fixtures)
    make_pdf,
    media,
    stored_files,
    upload_of,
    world,
)
from tests.world import PASSWORD

pytestmark = pytest.mark.usefixtures("audit_triggers_lifted")


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _terminate(pid: int) -> None:
    """End backend `pid` from a second connection and wait until it is gone."""
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"],
        port=params["PORT"],
        autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        for _ in range(200):
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.01)
    raise AssertionError("the backend did not end")


@pytest.fixture
def keeper() -> Iterator[None]:
    """On SQLite: Django's connection is open again after the test closed it under Django. An
    in-memory test database (shared cache) would vanish with its last connection, so a second
    connection keeps it alive meanwhile; the suite's file database (tests/conftest.py) needs
    none."""
    if connection.vendor != "sqlite":
        yield
        return
    name = connection.settings_dict["NAME"]
    held = sqlite3.connect(name, uri=True) if "mode=memory" in name else None
    try:
        yield
    finally:
        # Django's connection must hold the database before the keeper lets go of it.
        if dbfaults._raw_closed("default"):
            connection.connection = None
        connection.ensure_connection()
        if held is not None:
            held.close()


def lose_connection() -> None:
    """Lose the test connection now: the server ends it (PostgreSQL) or the driver's connection
    is closed under Django (SQLite)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        _terminate(_backend_pid())
    else:
        connection.connection.close()


@contextlib.contextmanager
def lost_before(
    fragment: str, *, lose: Callable[[], None] = lose_connection
) -> Iterator[list[str]]:
    """Lose the connection (by `lose`) just before the first statement containing `fragment`
    runs (in the middle of a request); the list receives that statement."""
    hit: list[str] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if not hit and fragment in sql:
            hit.append(sql)
            lose()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield hit


@contextlib.contextmanager
def lost_after_commit() -> Iterator[list[str]]:
    """Lose the connection before the first statement after a transaction that wrote has
    committed (the answer being read after a save)."""
    wrote: list[str] = []
    hit: list[str] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if wrote and not hit and not connection.in_atomic_block:
            hit.append(sql)
            lose_connection()
        result = execute(sql, params, many, context)
        if connection.in_atomic_block and sql.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
            wrote.append(sql)
        return result

    with connection.execute_wrapper(wrapper):
        yield hit


@pytest.fixture
def admin_client(world, keeper, transactional_db) -> Client:
    # raise_request_exception=False: a real server has no test client re-raising what a
    # middleware raised; the answer is what counts.
    client = Client(raise_request_exception=False)
    response = client.post(
        "/accounts/login/", {"username": world.admin_a.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


# --- what counts as lost ---------------------------------------------------------------------


def test_a_lock_timeout_or_bad_statement_is_not_a_lost_connection(transactional_db):
    with pytest.raises(Exception) as raised, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert dbfaults.lost_alias(raised.value) is None
    if connection.vendor == "postgresql":
        with pytest.raises(OperationalError) as timed_out, connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 1")
            try:
                cursor.execute("SELECT pg_sleep(1)")
            finally:
                cursor.execute("SET statement_timeout = 0")
        assert dbfaults.lost_alias(timed_out.value) is None
    connection.close()


def test_a_terminated_connection_is_lost(transactional_db, keeper):
    lose_connection()
    with pytest.raises(Exception) as raised, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert dbfaults.lost_alias(raised.value) == "default"
    connection.close()


# --- GET: retried once on a fresh connection ------------------------------------------------


def test_a_get_whose_connection_was_lost_is_answered_on_a_fresh_one(admin_client, caplog):
    lose_connection()
    response = admin_client.get("/evidence/")
    assert response.status_code == 200
    assert "佐证材料" in response.content.decode()
    assert "answered on a fresh connection" in caplog.text
    assert "Internal Server Error" not in caplog.text


def test_a_get_that_loses_the_connection_in_the_view_is_retried(admin_client, world):
    with lost_before('"evaluations_evidence"') as hit:
        response = admin_client.get("/evidence/")
    assert hit, "the page did not read the evidence table"
    assert response.status_code == 200


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a state of libpq; SQLite has no socket to lose"
)
def test_a_get_whose_connection_was_left_mid_send_is_retried(admin_client, world, caplog):
    """The fault the CI run of 2026-12-07 met: the server ended the backend just as the view's
    query was sent; libpq failed the send without an SQLSTATE and kept the command as in
    progress, so the connection looked open and every later query, of this request and of the
    tests after it, was refused with "another command is already in progress"."""

    def stuck_mid_send() -> None:
        lose_connection()
        connection.connection.pgconn.send_query(b"SELECT 1")  # what the failed send left

    with lost_before('"evaluations_evidence"', lose=stuck_mid_send) as hit:
        response = admin_client.get("/evidence/")
    assert hit, "the page did not read the evidence table"
    assert response.status_code == 200
    assert "answered on a fresh connection" in caplog.text
    with connection.cursor() as cursor:  # and the connection after it is a working one
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


# --- a write: 503, nothing saved, nothing saved twice -----------------------------------------


def test_an_upload_that_loses_the_connection_mid_transaction_answers_503_and_saves_nothing(
    admin_client, world, media, caplog
):
    data = {"unit": world.unit_a.pk, "file": upload_of("自评报告.pdf", make_pdf())}
    with lost_before('INSERT INTO "audit_auditentry"') as hit:
        response = admin_client.post("/evidence/upload/", data)
    assert hit, "the upload wrote no audit entry"
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "本次提交没有保存" in page and "返回" in page
    assert "Internal Server Error" not in caplog.text
    # The evidence row was inserted in the transaction the lost connection rolled back: no
    # row, no audit entry, no file.
    assert not Evidence.objects.exists()
    assert not AuditEntry.objects.filter(action="evidence.upload").exists()
    assert stored_files(media) == []
    # Submitting again (the user's retry) saves it once.
    again = admin_client.post(
        "/evidence/upload/",
        {"unit": world.unit_a.pk, "file": upload_of("自评报告.pdf", make_pdf())},
    )
    assert again.status_code == 302
    assert Evidence.objects.count() == 1
    assert AuditEntry.objects.filter(action="evidence.upload").count() == 1
    assert len(stored_files(media)) == 1


def test_a_write_whose_connection_was_lost_before_it_began_answers_503(admin_client, world):
    lose_connection()
    response = admin_client.post(
        "/evidence/upload/", {"unit": world.unit_a.pk, "file": upload_of("a.pdf", make_pdf())}
    )
    assert response.status_code == 503
    assert "本次提交没有保存" in response.content.decode()
    assert not Evidence.objects.exists()


def test_an_htmx_write_gets_a_message_placed_before_the_form(admin_client, world):
    with lost_before('INSERT INTO "audit_auditentry"'):
        response = admin_client.post(
            "/evidence/upload/",
            {"unit": world.unit_a.pk, "file": upload_of("a.pdf", make_pdf())},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 503
    assert response["HX-Retarget"] == "this"
    assert response["HX-Reswap"] == "beforebegin"
    body = response.content.decode()
    assert 'class="fault-message"' in body and "您填写的内容仍在下方" in body
    assert "<html" not in body
    assert not Evidence.objects.exists()


# --- a write that committed before the connection went ---------------------------------------


def _self_leaf(world):
    """A leaf of the campaign's indicator system scored by a grade, its save URL and fields."""
    from mofan.indicators.methods import labels_of
    from mofan.indicators.models import IndicatorNode

    for node in IndicatorNode.objects.filter(
        version=world.campaign.indicator_version, children__isnull=True
    ).order_by("pk"):
        if (node.method or {}).get("type") == "grade":
            url = f"/reviews/self/{world.enrollment_a.pk}/{node.pk}/"
            return node, url, {"band": labels_of(node.method)[0]}
    raise AssertionError("no leaf scored by a grade")


def test_a_save_that_committed_before_the_connection_went_says_so_and_is_not_retried(
    admin_client, world
):
    from mofan.evaluations.models import SelfScore

    node, url, fields = _self_leaf(world)
    # The save commits; the connection goes while the leaf is read back for the answer.
    with lost_after_commit() as hit:
        response = admin_client.post(
            url, {**fields, "narrative": "已保存的说明"}, headers={"HX-Request": "true"}
        )
    assert hit
    assert response.status_code == 503
    assert "很可能已经保存" in response.content.decode()
    assert "不要直接重复提交" in response.content.decode()
    score = SelfScore.objects.get(enrollment=world.enrollment_a, node=node)
    assert score.narrative == "已保存的说明"
