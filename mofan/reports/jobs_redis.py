"""Waking `export_worker` through Redis (optional, `MOFAN_EXPORT_REDIS_URL`).

The database is the queue; Redis only carries "a job was queued" so that an idle worker starts
at once instead of at its next poll. A lost signal costs at most one poll interval. The few
commands needed (AUTH, SELECT, LPUSH, BRPOP) are spoken directly in RESP over a socket, so no
client library is required.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import unquote, urlsplit

KEY = "mofan:exports:queued"
MAX_SIGNALS = 1000  # LTRIM bound: signals are hints, a backlog of them is useless


class RedisError(OSError):
    pass


class RedisSignal:
    def __init__(self, url: str, *, key: str = KEY, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError("MOFAN_EXPORT_REDIS_URL must start with redis://")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self.password = unquote(parts.password) if parts.password else ""
        self.db = int(parts.path.lstrip("/") or 0)
        self.key = key
        self.timeout = timeout

    # --- the two operations ---

    def push(self, job_id: int) -> None:
        self._run([["LPUSH", self.key, str(job_id)], ["LTRIM", self.key, "0", str(MAX_SIGNALS)]])

    def wait(self, seconds: float) -> int | None:
        """Block up to `seconds` for a signal; the job id it carried, or None."""
        whole = max(1, round(seconds))
        reply = self._run([["BRPOP", self.key, str(whole)]], extra_timeout=whole)[-1]
        if not reply:
            return None
        return int(reply[1])

    # --- RESP ---

    def _run(self, commands: list[list[str]], *, extra_timeout: float = 0) -> list[Any]:
        setup: list[list[str]] = []
        if self.password:
            setup.append(["AUTH", self.password])
        if self.db:
            setup.append(["SELECT", str(self.db)])
        with socket.create_connection(
            (self.host, self.port), timeout=self.timeout + extra_timeout
        ) as sock:
            sock.sendall(b"".join(_encode(c) for c in [*setup, *commands]))
            reader = sock.makefile("rb")
            replies = [_read(reader) for _ in setup + commands]
        return replies[len(setup) :]


def _encode(command: list[str]) -> bytes:
    out = [f"*{len(command)}\r\n".encode()]
    for arg in command:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read(reader: Any) -> Any:
    line = reader.readline()
    if not line:
        raise RedisError("connection closed by Redis")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        length = int(rest)
        if length < 0:
            return None
        data = reader.read(length + 2)
        return data[:-2].decode()
    if kind == b"*":
        count = int(rest)
        if count < 0:
            return None
        return [_read(reader) for _ in range(count)]
    raise RedisError(f"unexpected reply from Redis: {line!r}")
