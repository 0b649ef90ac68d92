"""`make run` (scripts/run_dev.py): the development server and one task worker start together,
the server answers, and Ctrl-C stops both, with every process they started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.passes import sqlite_pass_only

# Every test here runs its own SQLite database in a subprocess, whatever the pass.
pytestmark = sqlite_pass_only

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (from /proc), children first."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_server_and_a_worker_start_together_and_ctrl_c_stops_both(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MOFAN_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    # The worker needs its queue table; the server starts whatever the other tables.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "django_tasks_database", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        runner = subprocess.Popen(
            [sys.executable, "scripts/run_dev.py", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        answered = worker_up = False
        while time.monotonic() - started < 120 and not (answered and worker_up):
            assert runner.poll() is None, log.read_text()
            worker_up = "Starting worker" in log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    answered = True
            except OSError as exc:
                answered = getattr(exc, "code", None) is not None  # any HTTP answer
            time.sleep(0.5)
        assert answered and worker_up, log.read_text()
        processes = _descendants(runner.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes]
        assert any(b"runserver" in c for c in commands)
        assert any(b"db_worker" in c for c in commands)

        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert runner.wait(timeout=60) == 0, log.read_text()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in processes if _alive(pid)], log.read_text()
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
