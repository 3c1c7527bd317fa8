"""What the client returns: frozen dataclasses, money as `Decimal`, times as aware datetimes.

Each type builds itself from the GraphQL selection in `_documents` with `from_api`, so the
field names of the wire format appear in two places only (the document and this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

Status = Literal["HEALTHY", "WARNING", "CRITICAL", "EXHAUSTED"]
ReservationStatus = Literal["OPEN", "SETTLED", "RELEASED", "EXPIRED"]


def money(value: Any) -> Decimal:
    """The server's `Decimal` scalar (an exact string) as a Decimal."""
    if isinstance(value, float):  # the scalar is a string; a float means a broken server
        raise TypeError("the server sent money as a float")
    return Decimal(str(value))


def money_or_none(value: Any) -> Decimal | None:
    return None if value is None else money(value)


def when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def when_or_none(value: Any) -> datetime | None:
    return None if value is None else when(value)


def day_or_none(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Usage:
    """One measured quantity to price, e.g. `Usage("input_token", 1200)`."""

    unit: str
    quantity: Decimal | int | str


@dataclass(frozen=True, slots=True)
class Spend:
    id: str
    amount: Decimal
    occurred_at: datetime
    source: str
    allocation_id: str
    service: str | None = None
    description: str | None = None
    external_id: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Spend:
        return cls(
            id=data["id"],
            amount=money(data["amount"]),
            occurred_at=when(data["occurredAt"]),
            source=data["source"],
            allocation_id=data["allocation"]["id"],
            service=data.get("service"),
            description=data.get("description"),
            external_id=data.get("externalId"),
            quantity=money_or_none(data.get("quantity")),
            unit=data.get("unit"),
        )


@dataclass(frozen=True, slots=True)
class SpendRecorded:
    spend: Spend
    #: True when the server replayed an earlier record (same idempotencyKey or externalId).
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    amount: Decimal
    status: ReservationStatus
    expires_at: datetime
    created_at: datetime
    allocation_id: str
    service: str | None = None
    description: str | None = None
    settled_amount: Decimal | None = None
    spend_id: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Reservation:
        return cls(
            id=data["id"],
            amount=money(data["amount"]),
            status=data["status"],
            expires_at=when(data["expiresAt"]),
            created_at=when(data["createdAt"]),
            allocation_id=data["allocation"]["id"],
            service=data.get("service"),
            description=data.get("description"),
            settled_amount=money_or_none(data.get("settledAmount")),
            spend_id=data.get("spendId"),
        )


@dataclass(frozen=True, slots=True)
class SpendReserved:
    reservation: Reservation
    #: True when the idempotencyKey replayed an earlier hold (which may no longer be OPEN).
    duplicate: bool


@dataclass(frozen=True, slots=True)
class ReservationSettled:
    reservation: Reservation
    spend: Spend
    duplicate: bool


@dataclass(frozen=True, slots=True)
class SpendDecision:
    allowed: bool
    reason: str | None
    #: Allocated − spent − open holds, before this amount.
    remaining: Decimal
    daily_allowance: Decimal | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SpendDecision:
        return cls(
            allowed=bool(data["allowed"]),
            reason=data.get("reason"),
            remaining=money(data["remaining"]),
            daily_allowance=money_or_none(data.get("dailyAllowance")),
        )


@dataclass(frozen=True, slots=True)
class AllocationStatus:
    """A project's envelope in one budget (the current period)."""

    id: str
    budget_id: str
    budget_name: str
    currency: str
    amount: Decimal
    spent: Decimal
    remaining: Decimal
    #: In open reservations; `available` = remaining − held.
    held: Decimal
    available: Decimal
    percent_used: float
    status: Status
    daily_drip: Decimal
    today_allowance: Decimal
    #: Days until the money runs out at the current burn rate; None with no burn.
    runway_days: float | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AllocationStatus:
        budget = data["budget"]
        return cls(
            id=data["id"],
            budget_id=budget["id"],
            budget_name=budget["name"],
            currency=budget["currency"],
            amount=money(data["amount"]),
            spent=money(data["spent"]),
            remaining=money(data["remaining"]),
            held=money(data["held"]),
            available=money(data["available"]),
            percent_used=float(data["percentUsed"]),
            status=data["status"],
            daily_drip=money(data["dailyDrip"]),
            today_allowance=money(data["todayAllowance"]),
            runway_days=data.get("runwayDays"),
        )


@dataclass(frozen=True, slots=True)
class ProjectStatus:
    id: str
    name: str
    slug: str
    allocations: tuple[AllocationStatus, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ProjectStatus:
        return cls(
            id=data["id"],
            name=data["name"],
            slug=data["slug"],
            allocations=tuple(AllocationStatus.from_api(a) for a in data["allocations"]),
        )

    def allocation(self, budget_id: str | None = None) -> AllocationStatus:
        """The envelope in `budget_id`, or the only one; ValueError when that is ambiguous."""
        found = [a for a in self.allocations if budget_id is None or a.budget_id == budget_id]
        if len(found) != 1:
            raise ValueError(
                f"project {self.id} has {len(found)} allocations"
                + (f" in budget {budget_id}" if budget_id else "; pass budget_id")
            )
        return found[0]


@dataclass(frozen=True, slots=True)
class Forecast:
    burn_rate_per_day: Decimal
    projected_spend: Decimal
    projected_overrun: Decimal
    exhaustion_date: date | None
    runway_days: float | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Forecast:
        return cls(
            burn_rate_per_day=money(data["burnRatePerDay"]),
            projected_spend=money(data["projectedSpend"]),
            projected_overrun=money(data["projectedOverrun"]),
            exhaustion_date=day_or_none(data.get("exhaustionDate")),
            runway_days=data.get("runwayDays"),
        )


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A budget's figures for the current period (for members: their projects' share)."""

    id: str
    name: str
    currency: str
    period_kind: str
    period_start: date
    period_end: date
    amount: Decimal
    allocated: Decimal
    unallocated: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: float
    status: Status
    daily_drip: Decimal
    forecast: Forecast

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BudgetStatus:
        period = data["currentPeriod"]
        return cls(
            id=data["id"],
            name=data["name"],
            currency=data["currency"],
            period_kind=data["periodKind"],
            period_start=date.fromisoformat(period["startDate"]),
            period_end=date.fromisoformat(period["endDate"]),
            amount=money(data["amount"]),
            allocated=money(data["allocated"]),
            unallocated=money(data["unallocated"]),
            spent=money(data["spent"]),
            remaining=money(data["remaining"]),
            percent_used=float(data["percentUsed"]),
            status=data["status"],
            daily_drip=money(data["dailyDrip"]),
            forecast=Forecast.from_api(data["forecast"]),
        )


__all__ = [
    "AllocationStatus",
    "BudgetStatus",
    "Forecast",
    "ProjectStatus",
    "Reservation",
    "ReservationSettled",
    "ReservationStatus",
    "Spend",
    "SpendDecision",
    "SpendRecorded",
    "SpendReserved",
    "Status",
    "Usage",
]
