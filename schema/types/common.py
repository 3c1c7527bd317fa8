"""Small value types shared by budgets and allocations, and the enums of the contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from app.domain import forecast as domain_forecast
from app.domain.money import from_micros
from app.domain.periods import PeriodKind as DomainPeriodKind
from app.domain.status import BudgetStatus as DomainBudgetStatus
from app.domain.transfers import TransferStatus as DomainTransferStatus
from app.domain.validation import RolloverPolicy as DomainRolloverPolicy
from app.domain.validation import SlackPrivacy as DomainSlackPrivacy

BudgetStatus = strawberry.enum(DomainBudgetStatus, name="BudgetStatus")
PeriodKind = strawberry.enum(DomainPeriodKind, name="PeriodKind")
TransferStatus = strawberry.enum(DomainTransferStatus, name="TransferStatus")
RolloverPolicy = strawberry.enum(DomainRolloverPolicy, name="RolloverPolicy")
SlackPrivacy = strawberry.enum(
    DomainSlackPrivacy,
    name="SlackPrivacy",
    description="What the budget's Slack channel posts show of money: FULL (amounts and "
    "balances), AMOUNTS (a request's amount and alert percentages, no balances) or NONE.",
)


@strawberry.type(description="Where spend is heading by the end of the period.")
class Forecast:
    burn_rate_per_day: Decimal
    projected_spend: Decimal
    projected_overrun: Decimal
    exhaustion_date: date | None
    runway_days: float | None
    method: str

    @classmethod
    def from_domain(cls, f: domain_forecast.Forecast) -> Forecast:
        return cls(
            burn_rate_per_day=from_micros(f.burn_rate_per_day),
            projected_spend=from_micros(f.projected_spend),
            projected_overrun=from_micros(f.projected_overrun),
            exhaustion_date=f.exhaustion_date,
            runway_days=None if f.runway_days is None else round(f.runway_days, 2),
            method=f.method,
        )


@strawberry.type(description="One day: spent that day, cumulative, and the straight-line ideal.")
class TimelinePoint:
    date: date
    spent: Decimal
    cumulative: Decimal
    ideal: Decimal


@strawberry.type(description="Spend by service (e.g. 'Amazon EC2', 'gpt-4o').")
class ServiceCost:
    service: str
    amount: Decimal
    count: int
