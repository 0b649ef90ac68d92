"""The anchor of `verify_audit`: the chain head it last verified, kept outside the audited table.

The chain alone proves every entry up to its newest one, but not that newer entries were not
cut off. So each successful run stores the head it saw (id and MAC) in a small JSON file
(settings.MOFAN_AUDIT_ANCHOR_FILE), signed with the audit key like a checkpoint, and the next
run requires the chain to still hold that entry. Creating the file is itself audited
(`audit.anchor.created`), so a file deleted later is noticed as long as that entry stands.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from mofan.audit import chain

FORMAT = 1


class AnchorInvalid(Exception):
    """The anchor file exists but its signature or content does not hold."""


@dataclass(frozen=True)
class Anchor:
    head_id: int
    head_mac: str
    verified_at: str


def path() -> Path:
    return Path(settings.MOFAN_AUDIT_ANCHOR_FILE)


def _fields(anchor: Anchor) -> dict[str, object]:
    return {
        "format": FORMAT,
        "head_id": anchor.head_id,
        "head_mac": anchor.head_mac,
        "verified_at": anchor.verified_at,
    }


def _mac(anchor: Anchor, algorithm: str) -> str:
    return chain.compute_mac(settings.MOFAN_AUDIT_KEY, algorithm, chain.GENESIS, _fields(anchor))


def load() -> Anchor | None:
    """The stored anchor; None when there is no file; AnchorInvalid when it was tampered with."""
    file = path()
    if not file.exists():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        anchor = Anchor(
            head_id=int(data["head_id"]),
            head_mac=str(data["head_mac"]),
            verified_at=str(data["verified_at"]),
        )
        algorithm, mac = str(data["algorithm"]), str(data["mac"])
        valid = data.get("format") == FORMAT and _mac(anchor, algorithm) == mac
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorInvalid(f"{file} cannot be read") from exc
    if not valid:
        raise AnchorInvalid(f"{file} is not signed by this deployment's audit key")
    return anchor


def save(*, head_id: int, head_mac: str) -> Anchor:
    """Store the anchor atomically (a temporary file renamed into place), mode 0600."""
    anchor = Anchor(head_id=head_id, head_mac=head_mac, verified_at=timezone.now().isoformat())
    algorithm = chain.preferred_algorithm()
    body = {**_fields(anchor), "algorithm": algorithm, "mac": _mac(anchor, algorithm)}
    file = path()
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".audit-anchor-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return anchor
