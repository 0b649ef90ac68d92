"""Per-request facts that services need without taking the request as an argument.

The client address is set once by ClientAddressMiddleware and read by the audit trail.
"""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
