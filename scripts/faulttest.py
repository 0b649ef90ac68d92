"""Faults under load (`make faulttest`): the deadline rush of scripts/loadtest.py against a
PostgreSQL cluster of its own, while a database restart, a killed worker and a read-only media
directory are injected in turn; one JSON line per fault and a verdict.

1. `initdb` and `pg_ctl` (from /usr/lib/postgresql/<version>/bin; as the `postgres` system user
   when run as root, which PostgreSQL refuses) start a throwaway cluster in a temporary directory
   on a free loopback port, trust authentication; the shared server on 5432 is never touched;
2. the database is migrated and filled by loadtest's `setup` (a committee, unit admins,
   reviewers, a campaign), gunicorn starts as in loadtest (2 workers x 4 threads);
3. loadtest's `drive` runs the rush (unit admins saving scores through htmx and uploading PDFs,
   reviewers scoring, the dashboard) for `--duration` seconds; meanwhile, from the moment the
   first measured request arrives:
   * `pg_restart` at 10 s: `pg_ctl restart -m fast` (every connection dropped, the server down
     for about a second);
   * `kill_worker` at 35 s: `kill -9` of one gunicorn worker (its in-flight requests get no
     answer; the master starts another);
   * `media_read_only` at 60 s for 10 s: the media directory bind-mounted read-only onto itself
     (as root; otherwise its directories chmod 0555, which binds a non-root server);
   and /readyz is polled twice a second;
4. afterwards every acknowledged score is read back (loadtest's `verify`; a save that got a
   503 or no answer but was stored, having committed before the connection or the worker went,
   is counted apart as `unacknowledged_stored`, not as lost), and every evidence row must have
   its file (no row without a file; files no row names are counted).

Per fault, over the `--window` seconds from its start: requests, 5xx other than 503 (must be 0),
503s (the graceful answer), requests that got no answer at all, the recovery time (from the
fault to the last failed request in the window) and the seconds /readyz said 503.

Usage: `python scripts/faulttest.py [--duration 90] [--admins 60] [--reviewers 10]`. Loopback
only; bounded (every step has a timeout; the whole run takes about setup + duration + 1 min).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadtest  # scripts/loadtest.py: its setup, drive, verify and figures

ROOT = loadtest.ROOT
FAULTS = (("pg_restart", 10.0), ("kill_worker", 35.0), ("media_read_only", 60.0))
MEDIA_READ_ONLY_S = 10.0


# --- figures (pure; tests/core/test_faulttest.py) --------------------------------------------


def fault_window(
    samples: list[dict[str, Any]], *, start: float, window: float, ready: list[list[Any]]
) -> dict[str, Any]:
    """The figures of the requests in flight at `start` or sent in [start, start + window), and
    of /readyz there.

    A sample is {"kind", "at": seconds since the rush began when it was sent, "ms", "status":
    HTTP status or 0 for no answer}; `ready` is [[at, status], ...] of the /readyz probes, in
    order: a 503 counts until the next probe."""
    inside = [
        s for s in samples if s["at"] < start + window and s["at"] + s.get("ms", 0) / 1000 >= start
    ]
    failed = [s for s in inside if s.get("status", 0) == 0 or s.get("status", 0) >= 500]
    unready = 0.0
    ends = [later[0] for later in ready[1:]] + [start + window]
    for (at, status), after in zip(ready, ends, strict=False):
        if status == 503 and start <= at < start + window:
            unready += min(after, start + window) - at
    return {
        "requests": len(inside),
        "server_errors": sum(1 for s in inside if s.get("status", 0) >= 500 and s["status"] != 503),
        "unavailable_503": sum(1 for s in inside if s.get("status") == 503),
        "no_answer": sum(1 for s in inside if s.get("status", 0) == 0),
        # an upload answered with the form and its error instead of the redirect
        "uploads_refused": sum(1 for s in inside if s["kind"] == "upload" and s["status"] == 200),
        "recovery_s": round(
            max((s["at"] + s.get("ms", 0) / 1000 for s in failed), default=start) - start, 1
        ),
        "readyz_503_s": round(unready, 1),
    }


# --- the cluster -----------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found (install postgresql)")
    return path


def _version_key(path: str) -> int:
    part = path.split("/")[4]
    return int(part) if part.isdigit() else 0


def _as_db_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` system user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class Cluster:
    def __init__(self, base: Path, port: int) -> None:
        self.base = base
        self.port = port
        self.data = base / "data"
        self.log = base / "postgres.log"

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        cmd = _as_db_user([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args])
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        self.base.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        init = [_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        subprocess.run(
            _as_db_user([*init, "-E", "UTF8", "--no-locale"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.base} -c max_connections=50"
        )
        self._ctl("-o", options, "-w", "start")

    def restart_fast(self) -> None:
        self._ctl("-m", "fast", "-w", "restart")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._ctl("-m", "immediate", "-w", "stop", timeout=30)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"


# --- the faults ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def kill_worker(master: int) -> str:
    workers = _children(master)
    if not workers:
        return "no worker found"
    os.kill(workers[0], signal.SIGKILL)
    return f"killed worker {workers[0]} of {len(workers)}"


class ReadOnlyMedia:
    """The media directory made read-only: a read-only bind mount onto itself as root (root
    ignores file modes), else its directories chmod 0555."""

    def __init__(self, media: Path) -> None:
        self.media = media
        self.how = ""
        self.modes: dict[Path, int] = {}

    def __enter__(self) -> ReadOnlyMedia:
        self.media.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            bind = subprocess.run(
                ["mount", "--bind", str(self.media), str(self.media)], check=False
            )
            if bind.returncode == 0:
                ro = ["mount", "-o", "remount,bind,ro", str(self.media), str(self.media)]
                if subprocess.run(ro, check=False).returncode == 0:
                    self.how = "read-only bind mount"
                    return self
                subprocess.run(["umount", str(self.media)], check=False)
            self.how = "not injected (root without CAP_SYS_ADMIN cannot make it read-only)"
            return self
        for directory in [self.media, *(p for p in self.media.rglob("*") if p.is_dir())]:
            self.modes[directory] = directory.stat().st_mode & 0o7777
            directory.chmod(0o555)
        self.how = "chmod 0555"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.how == "read-only bind mount":
            subprocess.run(["umount", str(self.media)], check=False)
        for directory, mode in self.modes.items():
            with contextlib.suppress(OSError):
                directory.chmod(mode)


class ReadyProbe(threading.Thread):
    """Polls /readyz twice a second: [[at, status], ...] relative to `zero` once it is set."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.zero: float | None = None
        self.results: list[list[Any]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            status = 0
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz", headers={"Host": "127.0.0.1"})
                status = conn.getresponse().status
                conn.close()
            if self.zero is not None:
                self.results.append([round(time.monotonic() - self.zero, 2), status])


def _first_measured_request(access_log: Path, login: str, drive: subprocess.Popen[bytes]) -> float:
    """When the rush began: the first request in the access log that is not a login."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and drive.poll() is None:
        with contextlib.suppress(OSError):
            for row in access_log.read_text().splitlines():
                parts = row.split()
                if len(parts) == 4 and parts[1] != login and parts[1] != "/readyz":
                    return time.monotonic()
        time.sleep(0.1)
    raise RuntimeError("the rush did not start")


# --- inside Django: the files against the rows ----------------------------------------------


def files_check() -> dict[str, Any]:
    import django

    django.setup()
    from mofan.core.files import orphans
    from mofan.evidence.models import Evidence
    from mofan.evidence.storage import path_of

    names = list(Evidence.objects.values_list("stored_name", flat=True))
    missing = [n for n in names if not path_of(n).is_file()]
    left = orphans(older_than_hours=0, now=time.time() + 1)
    return {
        "evidence_rows": len(names),
        "rows_without_file": len(missing),
        "files_without_row": len(left),
    }


# --- orchestration ---------------------------------------------------------------------------


def run(opts: Any) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="mofan-faulttest-"))
    tmp.chmod(0o755)  # the postgres user reaches its cluster directory inside
    cluster = Cluster(tmp / "pg", loadtest.free_port())
    py = sys.executable
    server: subprocess.Popen[bytes] | None = None
    drive: subprocess.Popen[bytes] | None = None
    probe: ReadyProbe | None = None
    media = tmp / "var" / "media"
    try:
        cluster.start()
        dbname = "mofan_faulttest"
        subprocess.run(
            [
                _pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                dbname,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            MOFAN_ENV="development",
            MOFAN_DEBUG="0",
            MOFAN_VAR_DIR=str(tmp / "var"),
            ALLOWED_HOSTS="127.0.0.1",
            MOFAN_LOG_LEVEL="WARNING",
            MOFAN_EXPORT_BACKEND="sync",
            PYTHONPATH=str(ROOT),
            DJANGO_SETTINGS_MODULE="mofan.settings_loadtest",
            DATABASE_URL=cluster.url(dbname),
        )
        script = str(Path(loadtest.__file__).resolve())
        loadtest._run([py, "manage.py", "migrate", "--noinput"], env, 900)
        plan = tmp / "plan.json"
        loadtest._run(
            [py, script, "setup", "--admins", str(opts.admins), "--reviewers",
             str(opts.reviewers), "--reviewed", str(opts.reviewed), "--out", str(plan)],
            env,
            900,
        )  # fmt: skip
        login = json.loads(plan.read_text())["login"]
        port = loadtest.free_port()
        access = tmp / "access.log"
        log = tmp / "gunicorn.log"
        with log.open("wb") as sink:
            server = subprocess.Popen(
                [py, "-m", "gunicorn", "mofan.wsgi:application", "--workers", "2",
                 "--worker-class", "gthread", "--threads", "4",
                 "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning",
                 "--access-logfile", str(access), "--access-logformat", "%(m)s %(U)s %(s)s %(M)s"],
                cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        loadtest._wait_for(port, login, server, 60)
        probe = ReadyProbe(port)
        probe.start()
        out = tmp / "drive.json"
        drive_env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
        drive = subprocess.Popen(
            [py, script, "drive", "--plan", str(plan), "--port", str(port),
             "--duration", str(opts.duration), "--max-requests", "200000",
             "--think-min", str(opts.think_min), "--think-max", str(opts.think_max),
             "--upload-share", str(opts.upload_share), "--second-tabs", "10",
             "--server-pid", str(server.pid), "--out", str(out)],
            cwd=ROOT, env=drive_env,
        )  # fmt: skip
        zero = _first_measured_request(access, login, drive)
        probe.zero = zero
        injected: dict[str, dict[str, Any]] = {}
        for name, offset in FAULTS:
            if offset >= opts.duration - 5:
                continue
            time.sleep(max(0.0, zero + offset - time.monotonic()))
            at = round(time.monotonic() - zero, 1)
            if name == "pg_restart":
                began = time.monotonic()
                cluster.restart_fast()
                how = f"pg_ctl restart -m fast ({time.monotonic() - began:.1f} s)"
            elif name == "kill_worker":
                how = kill_worker(server.pid)
            else:
                with ReadOnlyMedia(media) as read_only:
                    how = read_only.how
                    time.sleep(MEDIA_READ_ONLY_S)
            injected[name] = {"at_s": at, "how": how}
        drive.wait(timeout=opts.duration + 900)
        probe.stop.set()
        driven = json.loads(out.read_text())
        server.terminate()
        server.wait(timeout=30)
        acks = tmp / "acks.json"
        acks.write_text(json.dumps(driven["acks"]))
        unanswered = tmp / "unanswered.json"
        unanswered.write_text(json.dumps(driven["unanswered"]))
        verify = [py, script, "verify", "--acks", str(acks), "--unanswered", str(unanswered)]
        checked = json.loads(loadtest._run(verify, env, 600))
        files = json.loads(loadtest._run([py, __file__, "files"], env, 300))
        server_log = log.read_text(errors="replace")
        lines = []
        for name, facts in injected.items():
            figures = fault_window(
                driven["samples"], start=facts["at_s"], window=opts.window, ready=probe.results
            )
            lines.append({"fault": name, **facts, **figures, "ok": figures["server_errors"] == 0})
        samples = driven["samples"]
        overall = fault_window(samples, start=0, window=opts.duration + 60, ready=probe.results)
        del overall["recovery_s"]  # meaningful per fault only
        total = {
            "fault": "whole_run",
            **overall,
            "acknowledged_scores": checked["acknowledged"],
            "lost_updates": checked["lost"],
            # saves that got a 503 or no answer and were stored all the same (committed before
            # the connection or the worker went): the 503 page says so; not lost
            "unacknowledged_stored": checked["unacknowledged_stored"],
            **files,
            "server_tracebacks": server_log.count("Traceback"),
            "duration_s": round(driven["elapsed_s"], 1),
            "users": driven["users"],
        }
        total["ok"] = (
            overall["server_errors"] == 0
            and checked["lost"] == 0
            and files["rows_without_file"] == 0
            and bool(samples)
        )
        if driven["problems"] or checked["examples"]:
            total["problems"] = driven["problems"][:5] + checked["examples"]
        lines.append(total)
        return lines
    finally:
        if probe is not None:
            probe.stop.set()
        for process in (drive, server):
            if process is not None and process.poll() is None:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=30)
        with contextlib.suppress(Exception):
            subprocess.run(["umount", str(media)], check=False, capture_output=True)
        cluster.stop()
        if opts.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=("run", "files"))
    parser.add_argument("--duration", type=float, default=90.0)
    parser.add_argument("--window", type=float, default=20.0, help="seconds counted per fault")
    parser.add_argument("--admins", type=int, default=60)
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--reviewed", type=int, default=10)
    parser.add_argument("--think-min", type=float, default=2.0)
    parser.add_argument("--think-max", type=float, default=6.0)
    parser.add_argument("--upload-share", type=float, default=0.15)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    opts = parser.parse_args(argv)
    if opts.command == "files":
        print(json.dumps(files_check()))
        return 0
    lines = run(opts)
    for line in lines:
        print(json.dumps(line, ensure_ascii=False), flush=True)
    ok = all(line["ok"] for line in lines)
    print(f"faulttest: {'ok' if ok else 'FAILED'} ({len(lines) - 1} faults)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
