"""Pure functions of the audit chain: canonical form, MAC, masking."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
SECRET_MARKERS = ("password", "secret", "token", "otp", "recovery", "key", "mac")
MASK = "******"


def preferred_algorithm() -> str:
    """HMAC-SM3 where OpenSSL provides SM3, HMAC-SHA256 otherwise."""
    return "hmac-sm3" if "sm3" in hashlib.algorithms_available else "hmac-sha256"


def _digest(algorithm: str) -> str:
    if algorithm == "hmac-sm3":
        return "sm3"
    if algorithm == "hmac-sha256":
        return "sha256"
    raise ValueError(f"unknown audit MAC algorithm {algorithm!r}")


def mask_secrets(value: Any) -> Any:
    """Replace the value of every key that names a secret, at any depth."""
    if isinstance(value, Mapping):
        return {
            str(k): (
                MASK
                if any(marker in str(k).lower() for marker in SECRET_MARKERS)
                else mask_secrets(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(v) for v in value]
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_fields(
    *,
    id: int,
    created_at: datetime,
    actor_id: int | None,
    actor_name: str,
    client_ip: str | None,
    action: str,
    result: str,
    object_type: str,
    object_id: str,
    data: Any,
    committee_id: int | None = None,
) -> dict[str, Any]:
    fields = {
        "id": id,
        "created_at": utc_iso(created_at),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "client_ip": client_ip,
        "action": action,
        "result": result,
        "object_type": object_type,
        "object_id": object_id,
        "data": data,
    }
    # Only present when set, so entries written before the column existed verify unchanged.
    if committee_id is not None:
        fields["committee_id"] = committee_id
    return fields


def compute_mac(key: str, algorithm: str, prev_mac: str, fields: Mapping[str, Any]) -> str:
    message = prev_mac.encode() + b"|" + canonical(fields)
    return hmac.new(key.encode(), message, _digest(algorithm)).hexdigest()
