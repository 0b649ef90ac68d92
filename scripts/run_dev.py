"""`make run`: the development server and one task worker together; Ctrl-C stops both.

    python scripts/run_dev.py [--port 8000]

Starts `manage.py runserver 127.0.0.1:PORT` and `manage.py db_worker` (django-tasks-db: exports
and approvals run there) as two child processes in their own process group, with their output
interleaved on this terminal. When either ends, or on Ctrl-C / SIGTERM, both are stopped
(SIGTERM, then SIGKILL after a grace period) and the exit status is the first one to end.

A dozen lines of subprocess rather than a process manager (honcho, foreman): two fixed
commands need no Procfile, and nothing more to install on a fresh machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
GRACE_SECONDS = 10.0


def commands(port: int) -> list[list[str]]:
    manage = [sys.executable, str(ROOT / "manage.py")]
    return [
        [*manage, "runserver", f"127.0.0.1:{port}"],
        # One worker, polling every second; `--reload` follows code changes as runserver does.
        [*manage, "db_worker", "--interval", "1", "--reload"],
    ]


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each child still running (its process group: runserver's autoreloader and
    the worker's spawn a child of their own), then SIGKILL after the grace period."""
    for child in children:
        if child.poll() is None:
            _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.wait()


def _signal_group(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    children = [
        subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        for command in commands(args.port)
    ]
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"mofan: server on http://127.0.0.1:{args.port}/ and one task worker; Ctrl-C stops both.",
        flush=True,
    )
    status = 0
    while not stopping:
        ended = [child for child in children if child.poll() is not None]
        if ended:
            status = ended[0].returncode or 0
            name = "server" if ended[0] is children[0] else "worker"
            print(f"mofan: the {name} stopped ({status}); stopping the rest.", flush=True)
            break
        time.sleep(0.2)
    stop(children)
    return status


if __name__ == "__main__":
    sys.exit(main())
