"""Each operation as data: a document, its variables and how to read its answer.

The sync and async clients only differ in how they send a `Call`; building the variables
(Decimal in, exact strings out) and reading the payload (union member or typed error) is here,
once, and needs no I/O to test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from allot.client import _documents as docs
from allot.client._errors import NotFound, RequestError, error_from_member
from allot.client._types import (
    BudgetStatus,
    ProjectStatus,
    Reservation,
    ReservationSettled,
    Spend,
    SpendDecision,
    SpendRecorded,
    SpendReserved,
    Usage,
)

T = TypeVar("T")

Money = Decimal | int | str
UsageArg = Sequence[Usage] | Mapping[str, Money]


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    document: str
    root: str  # the top-level field the answer is under
    parse: Callable[[Any], T]
    variables: dict[str, Any] = field(default_factory=dict)
    #: Safe to send again after a timeout: every operation here is (keys, replays).
    idempotent: bool = True


def new_idempotency_key() -> str:
    """A key generated once per call, so the client's own retries of it count once."""
    return f"allot-py-{uuid.uuid4().hex}"


def amount_text(value: Money, name: str = "amount") -> str:
    """Money for the wire: an exact decimal string. Floats are refused before anything is
    sent: 0.1 is not a tenth, and the server would refuse it anyway."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"{name} must be a Decimal, int or str, not {type(value).__name__}"
            + (" (floats are not exact: use Decimal(str(x)))" if isinstance(value, float) else "")
        )
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"{name} is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{name} must be finite, not {value!r}")
    return format(number, "f")


def usage_list(usage: UsageArg) -> list[dict[str, str]]:
    items = (
        [Usage(unit, quantity) for unit, quantity in usage.items()]
        if isinstance(usage, Mapping)
        else list(usage)
    )
    return [
        {"unit": item.unit, "quantity": amount_text(item.quantity, f"usage {item.unit!r}")}
        for item in items
    ]


def timestamp(value: datetime, name: str = "occurred_at") -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(UTC))")
    return value.isoformat()


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """Leave out what the caller did not give: the server's defaults apply."""
    return {k: v for k, v in values.items() if v is not None}


def _payload(success: str, build: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], T]:
    def parse(data: Any) -> T:
        if not isinstance(data, Mapping):
            raise RequestError("the server sent no payload")
        if data.get("__typename") == success:
            return build(data)
        raise error_from_member(data)

    return parse


def record_spend(
    project_id: str,
    amount: Money | None = None,
    *,
    usage: UsageArg | None = None,
    service: str | None = None,
    description: str | None = None,
    occurred_at: datetime | None = None,
    external_id: str | None = None,
    idempotency_key: str | None = None,
    budget_id: str | None = None,
    model: str | None = None,
    card: str | None = None,
    quantity: Money | None = None,
    unit: str | None = None,
    currency: str | None = None,
) -> Call[SpendRecorded]:
    variables = _compact(
        {
            "projectId": project_id,
            "amount": None if amount is None else amount_text(amount),
            "usage": None if usage is None else usage_list(usage),
            "service": service,
            "description": description,
            "occurredAt": None if occurred_at is None else timestamp(occurred_at),
            "externalId": external_id,
            "idempotencyKey": idempotency_key or new_idempotency_key(),
            "budgetId": budget_id,
            "model": model,
            "card": card,
            "quantity": None if quantity is None else amount_text(quantity, "quantity"),
            "unit": unit,
            "currency": currency,
        }
    )
    return Call(
        docs.RECORD_SPEND,
        "recordSpend",
        _payload(
            "SpendRecorded",
            lambda d: SpendRecorded(Spend.from_api(d["spend"]), bool(d["duplicate"])),
        ),
        {"input": variables},
    )


def reserve_spend(
    project_id: str,
    amount: Money,
    *,
    budget_id: str | None = None,
    ttl_seconds: int | None = None,
    service: str | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
) -> Call[SpendReserved]:
    variables = _compact(
        {
            "projectId": project_id,
            "amount": amount_text(amount),
            "budgetId": budget_id,
            "ttlSeconds": ttl_seconds,
            "service": service,
            "description": description,
            "idempotencyKey": idempotency_key or new_idempotency_key(),
        }
    )
    return Call(
        docs.RESERVE_SPEND,
        "reserveSpend",
        _payload(
            "SpendReserved",
            lambda d: SpendReserved(Reservation.from_api(d["reservation"]), bool(d["duplicate"])),
        ),
        {"input": variables},
    )


def settle_reservation(
    reservation_id: str,
    amount: Money | None = None,
    *,
    usage: UsageArg | None = None,
    model: str | None = None,
    service: str | None = None,
    description: str | None = None,
    external_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Call[ReservationSettled]:
    """Settling again with the same amount returns the first settlement: safe to retry."""
    variables = _compact(
        {
            "reservationId": reservation_id,
            "amount": None if amount is None else amount_text(amount),
            "usage": None if usage is None else usage_list(usage),
            "model": model,
            "service": service,
            "description": description,
            "externalId": external_id,
            "occurredAt": None if occurred_at is None else timestamp(occurred_at),
        }
    )
    return Call(
        docs.SETTLE_RESERVATION,
        "settleReservation",
        _payload(
            "ReservationSettled",
            lambda d: ReservationSettled(
                Reservation.from_api(d["reservation"]),
                Spend.from_api(d["spend"]),
                bool(d["duplicate"]),
            ),
        ),
        {"input": variables},
    )


def release_reservation(reservation_id: str) -> Call[Reservation]:
    """Releasing a released or expired hold changes nothing: safe to retry."""
    return Call(
        docs.RELEASE_RESERVATION,
        "releaseReservation",
        _payload("ReservationReleased", lambda d: Reservation.from_api(d["reservation"])),
        {"input": {"reservationId": reservation_id}},
    )


def authorize_spend(
    project_id: str, amount: Money, *, budget_id: str | None = None
) -> Call[SpendDecision]:
    return Call(
        docs.AUTHORIZE_SPEND,
        "authorizeSpend",
        SpendDecision.from_api,
        _compact({"projectId": project_id, "amount": amount_text(amount), "budgetId": budget_id}),
    )


def _found(kind: str, ref: str, build: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], T]:
    def parse(data: Any) -> T:
        if data is None:  # the API answers null for what the token may not see
            raise NotFound(f"{kind} {ref} not found", code="NOT_FOUND", field="id")
        return build(data)

    return parse


def project_status(project_id: str) -> Call[ProjectStatus]:
    return Call(
        docs.PROJECT_STATUS,
        "project",
        _found("Project", project_id, ProjectStatus.from_api),
        {"id": project_id},
    )


def budget_status(budget_id: str) -> Call[BudgetStatus]:
    return Call(
        docs.BUDGET_STATUS,
        "budget",
        _found("Budget", budget_id, BudgetStatus.from_api),
        {"id": budget_id},
    )
