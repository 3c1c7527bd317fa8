"""A small typed client for Allot's GraphQL API, over HTTP only (httpx).

    from decimal import Decimal
    from allot.client import AllotClient, InsufficientFunds

    with AllotClient() as allot:                       # ALLOT_URL, ALLOT_TOKEN
        allot.record_spend("prj_3", Decimal("12.50"), service="aws-ec2", external_id="inv-88")
        hold = allot.reserve_spend("prj_3", "5").reservation
        allot.settle_reservation(hold.id, "4.20")
        print(allot.project_status("prj_3").allocation().remaining)

Why two classes (`AllotClient`, `AsyncAllotClient`) and not one async client with a sync
wrapper: a wrapper has to run an event loop per call, which fails inside a running loop (a
notebook, an ASGI app, a LiteLLM callback thread) and hides one client's connections from the
other. httpx has both flavours natively, and everything that is not I/O (documents, variables,
parsing, error mapping, retry policy) lives once in `_operations` and `_transport`; each class
is only a send loop and one thin method per operation.

Money is `decimal.Decimal` both ways (a float argument is a TypeError before anything is
sent); errors are the classes of `allot.client._errors`, one per error member of the API.
"""

from __future__ import annotations

from allot.client._async import AsyncAllotClient
from allot.client._errors import (
    AllotError,
    AllotUnavailable,
    AmbiguousReference,
    AuthenticationError,
    Conflict,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidState,
    NotFound,
    PeriodClosed,
    PermissionDenied,
    RequestError,
    UnpricedUsage,
    ValidationError,
)
from allot.client._sync import AllotClient
from allot.client._types import (
    AllocationStatus,
    BudgetStatus,
    Forecast,
    ProjectStatus,
    Reservation,
    ReservationSettled,
    Spend,
    SpendDecision,
    SpendRecorded,
    SpendReserved,
    Usage,
)

__all__ = [
    "AllocationStatus",
    "AllotClient",
    "AllotError",
    "AllotUnavailable",
    "AmbiguousReference",
    "AsyncAllotClient",
    "AuthenticationError",
    "BudgetStatus",
    "Conflict",
    "CurrencyMismatch",
    "Forecast",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidState",
    "NotFound",
    "PeriodClosed",
    "PermissionDenied",
    "ProjectStatus",
    "RequestError",
    "Reservation",
    "ReservationSettled",
    "Spend",
    "SpendDecision",
    "SpendRecorded",
    "SpendReserved",
    "UnpricedUsage",
    "Usage",
    "ValidationError",
]
