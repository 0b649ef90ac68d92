"""A real ClamAV daemon for the malware-scanning tests, with a signature database made here.

No signature is downloaded (freshclam is never run): the database is one `.ndb` file of body
signatures, `Name:TargetType:Offset:HexSignature` (target 0 = any file, offset * = anywhere), with
the EICAR test string and a project-specific test string. clamd unpacks archives (a .docx) and
decodes PDF streams itself, so these signatures are found there too.

`clamd_socket` (exposed in tests/conftest.py) starts one clamd for the session and stops it at the
end; tests point MOFAN_CLAMD_SOCKET at the path it returns. Without clamd installed the fixture
fails (not skips): `make test` installs clamav-daemon (scripts/system_deps.sh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clamav_client.clamd import ClamdError, ClamdUnixSocket

# The EICAR anti-virus test file (https://www.eicar.org): harmless, found by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Eicar-Test-Signature"
# A string of our own, so that a test does not depend on EICAR alone.
TEST_MALWARE = b"MOFAN-TEST-MALWARE-SIGNATURE-7f3a"
TEST_SIGNATURE = "Mofan-Test-Malware"

START_TIMEOUT = 30.0


def signature_database() -> str:
    return "".join(
        f"{name}:0:*:{body.hex()}\n"
        for name, body in ((EICAR_SIGNATURE, EICAR), (TEST_SIGNATURE, TEST_MALWARE))
    )


def clamd_config(directory: Path) -> str:
    lines = [
        f"DatabaseDirectory {directory / 'db'}",
        f"LocalSocket {directory / 'clamd.sock'}",
        f"PidFile {directory / 'clamd.pid'}",
        f"LogFile {directory / 'clamd.log'}",
        f"TemporaryDirectory {directory / 'tmp'}",
        "Foreground yes",
        "StreamMaxLength 50M",
        "MaxThreads 2",
        "ScanPDF yes",
        "ScanOLE2 yes",
        "ScanArchive yes",
    ]
    if os.geteuid() == 0:
        lines.append("User root")
    return "\n".join(lines) + "\n"


def _answers(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        return ClamdUnixSocket(path=str(path), timeout=2).ping() == "PONG"
    except (ClamdError, OSError):
        return False


def start_clamd(directory: Path) -> Iterator[Path]:
    """Start clamd in `directory`; yield its socket path; stop it."""
    binary = shutil.which("clamd") or next(
        (p for p in ("/usr/sbin/clamd", "/usr/local/sbin/clamd") if os.access(p, os.X_OK)), None
    )
    if binary is None:
        pytest.fail(
            "clamd (ClamAV's daemon) is not installed: the malware-scanning tests need it. "
            "Run `make test` (it installs clamav-daemon through scripts/system_deps.sh) or "
            "`apt-get install -y clamav-daemon`.",
            pytrace=False,
        )
    (directory / "db").mkdir(parents=True)
    (directory / "tmp").mkdir()
    (directory / "db" / "mofan-test.ndb").write_text(signature_database())
    config = directory / "clamd.conf"
    config.write_text(clamd_config(directory))
    sock = directory / "clamd.sock"
    process = subprocess.Popen(
        [binary, "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(sock):
            if process.poll() is not None or time.monotonic() > deadline:
                log = directory / "clamd.log"
                pytest.fail(
                    f"clamd did not start (exit code {process.poll()}): "
                    + (log.read_text()[-2000:] if log.exists() else "no log"),
                    pytrace=False,
                )
            time.sleep(0.1)
        yield sock
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
