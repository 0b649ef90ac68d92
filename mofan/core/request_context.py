"""Per-request facts that services need without taking the request as an argument.

The client address is set once by ClientAddressMiddleware and read by the audit trail.
"""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)

# The name of the API token a request was authenticated with (mofan/api): every audit entry
# written while it is set carries it (data["via_api"]). Reset after each request by
# ClientAddressMiddleware.
api_token_name: ContextVar[str | None] = ContextVar("api_token_name", default=None)
