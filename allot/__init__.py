"""Allot's Python client and integrations, for programs that talk to an Allot server.

`allot.client` speaks HTTP only and never imports the server's packages (`app`, `schema`,
`bot`; import-linter checks it), so it installs anywhere httpx does. Integrations live in
`allot.integrations` and import their host library (e.g. litellm) only when imported.
"""

from __future__ import annotations

from allot.client import (
    AllotClient,
    AllotError,
    AsyncAllotClient,
    InsufficientFunds,
    NotFound,
    PermissionDenied,
    Usage,
    ValidationError,
)

__all__ = [
    "AllotClient",
    "AllotError",
    "AsyncAllotClient",
    "InsufficientFunds",
    "NotFound",
    "PermissionDenied",
    "Usage",
    "ValidationError",
]
