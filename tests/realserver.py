"""A real server for tests that need real concurrency: gunicorn (2 workers x 4 threads, as in
production, docs/deploy.md) on a throw-away database of its own, a copy of the pass's migrated
empty one (tests/migrated.py), with the production password hasher (PBKDF2).

On the SQLite pass the database is a file in a temporary directory; on the PostgreSQL pass
(DATABASE_URL set) a fresh database on the same server, dropped afterwards. `RealServer.sql`
reads that database directly, so a test can count what the server wrote.

`Browser` is a minimal cookie-keeping HTTP client (one per simulated user or tab), enough to
GET a form, take its CSRF token and POST it back.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.childenv import child_env
from tests.migrated import pg_admin, pg_copy, sqlite_copy

ROOT = Path(__file__).resolve().parents[1]
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RealServer:
    port: int
    env: dict[str, str]
    database_url: str
    tmp: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str, stdin: str | None = None, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query against the server's own database (placeholders: %s)."""
        if self.database_url.startswith("sqlite"):
            path = urlsplit(self.database_url).path[1:]
            with contextlib.closing(sqlite3.connect(path, timeout=20)) as conn:
                return conn.execute(query.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.database_url, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


@contextlib.contextmanager
def real_server(setup_script: str) -> Iterator[RealServer]:
    """A fresh migrated database, `setup_script` run in `manage.py shell`, gunicorn started."""
    tmp = Path(tempfile.mkdtemp(prefix="mofan-realserver-"))
    env = child_env(
        MOFAN_ENV="development",
        MOFAN_DEBUG="0",
        MOFAN_VAR_DIR=str(tmp / "var"),
        ALLOWED_HOSTS="127.0.0.1",
        MOFAN_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    pg_url = os.environ.get("DATABASE_URL", "")
    pg_name = ""
    if pg_url.startswith("postgres"):
        pg_name = f"mofan_realserver_{secrets.token_hex(4)}"
        database_url = pg_copy(pg_url, pg_name)
    else:
        database_url = f"sqlite:///{sqlite_copy(tmp / 'server.sqlite3')}"
    env["DATABASE_URL"] = database_url
    server: subprocess.Popen[bytes] | None = None
    port = _free_port()
    instance = RealServer(port=port, env=env, database_url=database_url, tmp=tmp)
    try:
        instance.manage("shell", stdin=setup_script)
        with (tmp / "gunicorn.log").open("wb") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "mofan.wsgi:application",
                    "--workers",
                    "2",
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "4",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "120",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError((tmp / "gunicorn.log").read_text()[-3000:])
            try:
                if Browser(port).get("/accounts/login/").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        yield instance
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if pg_name:
            pg_admin(pg_url, [f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'])
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def csrf(self) -> str:
        match = _CSRF.search(self.body)
        assert match, f"no CSRF token in the page ({self.status})"
        return match.group(1)


@dataclass
class Browser:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def _request(self, method: str, path: str, body: str | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    for key, morsel in SimpleCookie(value).items():
                        self.cookies[key] = morsel.value
            return Answer(response.status, dict(response.getheaders()), text)
        finally:
            conn.close()

    def get(self, path: str) -> Answer:
        return self._request("GET", path)

    def post(self, path: str, data: dict[str, str]) -> Answer:
        return self._request("POST", path, urlencode(data))

    def form_post(self, path: str, data: dict[str, str]) -> Answer:
        """GET the form for its CSRF token, then POST `data` with it."""
        return self.post(path, {"csrfmiddlewaretoken": self.get(path).csrf, **data})
