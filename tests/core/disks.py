"""Real storage faults for the tests: a tiny disk that fills up and a read-only one.

Both are tmpfs mounts (64 KiB; the second mounted read-only), which needs root with
CAP_SYS_ADMIN (as on these machines and in CI's container). chmod cannot stand in for them: the
tests may run as root, which ignores file modes. Without the capability the tests that need a
mount skip, saying why; `unwritable_media` (a media path under a plain file, ENOTDIR for
anyone) always works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SIZE = "64k"


def _mount(target: Path, options: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tiny tmpfs (a real full or read-only disk) needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {done.stderr.strip()}")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A directory on a 64 KiB file system: writing more fails with ENOSPC."""
    target = tmp_path / "tiny"
    target.mkdir()
    _mount(target, f"size={SIZE},mode=0755")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    """A directory on a read-only file system: EROFS, for root too."""
    target = tmp_path / "ro"
    target.mkdir()
    _mount(target, f"size={SIZE},mode=0755,ro")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture
def unwritable_media(tmp_path: Path) -> Path:
    """A media path whose parent is a plain file: it can be neither created nor written."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    return blocker / "media"
