"""Small value types shared by budgets and allocations, the enums of the contract, and the
argument annotations every list field shares (`First`, `After`, `Search`).

The contract's enums wrap the domain's own enums (the domain imports no Strawberry), so their
values are described with `describe_values`, which fills in the `description` of each value
Strawberry built (`EnumValue.description`, what `strawberry.enum_value` would set).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, TypeVar

import strawberry

from app.domain import forecast as domain_forecast
from app.domain.money import from_micros
from app.domain.periods import PeriodKind as DomainPeriodKind
from app.domain.status import BudgetStatus as DomainBudgetStatus
from app.domain.transfers import TransferStatus as DomainTransferStatus
from app.domain.validation import RolloverPolicy as DomainRolloverPolicy
from app.domain.validation import SlackPrivacy as DomainSlackPrivacy

E = TypeVar("E", bound=type[Enum])


def describe_values(enum: E, descriptions: Mapping[str, str]) -> E:
    """Give every value of a Strawberry enum its description; every value must have one."""
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    names = {value.name for value in definition.values}
    if names != set(descriptions):
        raise ValueError(f"{definition.name}: describe exactly {sorted(names)}")
    for value in definition.values:
        value.description = descriptions[value.name]
    return enum


# ---------------------------------------------------------------------------------------------
# Arguments shared by every list

First = Annotated[
    int | None,
    strawberry.argument(
        description="Page size: at most this many items (default 50; at most 1000, the server's "
        "ALLOT_MAX_PAGE_SIZE). Negative or larger is a VALIDATION error."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Start after this cursor (a previous page's `pageInfo.endCursor`); omitted: "
        "from the first item. A cursor this API did not issue is a VALIDATION error."
    ),
]
Search = Annotated[
    str | None,
    strawberry.argument(
        description="Only those whose name contains this text (case-insensitive, trimmed; at "
        "most 200 characters)."
    ),
]


# ---------------------------------------------------------------------------------------------
# Enums

BudgetStatus = describe_values(
    strawberry.enum(
        DomainBudgetStatus,
        name="BudgetStatus",
        description="Health band of an envelope or budget, from remaining ÷ allocated (see each "
        "value). Threshold alerts are separate: see Budget.alertThresholds.",
    ),
    {
        "HEALTHY": "25% or more of the money is left.",
        "WARNING": "Less than 25% is left.",
        "CRITICAL": "Less than 10% is left.",
        "EXHAUSTED": "Nothing is left (remaining ≤ 0), overdrawn included.",
    },
)
PeriodKind = describe_values(
    strawberry.enum(
        DomainPeriodKind,
        name="PeriodKind",
        description="How a budget's time is cut into periods. Boundaries are local midnight in "
        "the budget's time zone.",
    ),
    {
        "MONTHLY": "Months, recurring: each closes at month end and the next opens. With "
        "resetDay 15 a month runs from the 15th to the 14th.",
        "QUARTERLY": "Quarters, recurring: Jan–Mar, Apr–Jun, … by default; fiscal quarters "
        "begin in fiscalYearStartMonth and every third month after it.",
        "ANNUAL": "Years, recurring: calendar years by default; a fiscal year begins on "
        "resetDay of fiscalYearStartMonth (7: 1 July to 30 June).",
        "WEEKLY": "Weeks of seven days, recurring, beginning on weekStart (default MONDAY).",
        "DAILY": "Single local days, recurring: each closes at local midnight (e.g. an LLM "
        "budget that resets daily).",
        "GRANT": "One period from startDate to endDate (a grant); the budget ends when it closes.",
        "CUSTOM": "One period from startDate to endDate, like GRANT, for any other span.",
    },
)
TransferStatus = describe_values(
    strawberry.enum(
        DomainTransferStatus,
        name="TransferStatus",
        description="Where a transfer request is in its life. Only PENDING changes; every other "
        "status is final.",
    ),
    {
        "PENDING": "Waiting for an owner to approve or reject it (or the requester to cancel).",
        "APPLIED": "The money moved (at once, or when an owner approved it).",
        "REJECTED": "An owner rejected it; nothing moved.",
        "CANCELLED": "The requester (or an admin) withdrew it; nothing moved.",
        "EXPIRED": "Nobody decided it within the budget's transferExpiryDays, or its period "
        "closed; nothing moved.",
        "FAILED": "Could not be applied; nothing moved. Reserved: today an approval the source "
        "cannot cover returns InsufficientFunds and leaves the request PENDING.",
    },
)
RolloverPolicy = describe_values(
    strawberry.enum(
        DomainRolloverPolicy,
        name="RolloverPolicy",
        description="What happens to what is left when a period closes (per budget, with a "
        "per-allocation override). Each carried amount is a ROLLOVER journal entry.",
    ),
    {
        "NONE": "Nothing carries: what is left lapses with the closed period.",
        "CARRY_UNSPENT": "A positive remainder carries into the next period's envelope (and the "
        "unallocated pool into the next pool), at most the budget's rolloverCap each.",
        "CARRY_ALL": "The remainder carries either way: an overspent envelope starts the next "
        "period that much lower, possibly negative (a positive carry is capped).",
    },
)
SlackPrivacy = describe_values(
    strawberry.enum(
        DomainSlackPrivacy,
        name="SlackPrivacy",
        description="What the budget's Slack channel posts show of money: FULL (amounts and "
        "balances), AMOUNTS (a request's amount and alert percentages, no balances) or NONE. "
        "Owners' direct messages always show everything.",
    ),
    {
        "FULL": "Amounts and balances.",
        "AMOUNTS": "A request's amount and alert percentages, never a project's balance "
        "(the default).",
        "NONE": "No money at all: who asked, for what, and the decision.",
    },
)


# ---------------------------------------------------------------------------------------------
# Value types


@strawberry.type(
    description="Where spend is heading by the end of the period. The burn rate is an "
    "exponentially weighted average of the last 14 full local days (7-day half-life, one-off "
    "days capped, a weekday profile once two weeks are known); see docs/forecast.md. Money "
    "fields are exact decimal strings in the budget's currency; a forecast is an estimate."
)
class Forecast:
    burn_rate_per_day: Decimal = strawberry.field(
        description="Expected spend per day at the current pace (the weighted average above)."
    )
    projected_spend: Decimal = strawberry.field(
        description="Spent so far plus the expected spend of every day left in the period, "
        "today included."
    )
    projected_overrun: Decimal = strawberry.field(
        description="How far projectedSpend exceeds what is available (allocated, for an "
        "allocation); 0 when it fits."
    )
    exhaustion_date: date | None = strawberry.field(
        description="The first day the projected cumulative spend reaches what is available "
        "(today when it already has); null when the money outlasts the period."
    )
    runway_days: float | None = strawberry.field(
        description="Days the remaining money lasts at burnRatePerDay (remaining ÷ burn rate, "
        "regardless of the period end), 2 decimals; null when nothing is being spent."
    )
    method: str = strawberry.field(
        description='How the burn rate was estimated: "ewma", "ewma-weekday" (with a weekday '
        'profile), "ewma-today-only", "linear", "linear-today-only" or "no-history".'
    )

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
    date: date = strawberry.field(description="The local day (in the budget's time zone).")
    spent: Decimal = strawberry.field(description="Spent that day (exact decimal string).")
    outside: Decimal = strawberry.field(
        description="Spend the period counts but dated outside it, carried to this point: on "
        "the first day, what is dated before the period start (e.g. imported rows of an "
        "earlier bill); on the last day of the period, what is dated after its end; 0 on "
        "other days. Included in cumulative, not in spent."
    )
    cumulative: Decimal = strawberry.field(
        description="Spent in the period up to and including that day (spend dated before the "
        "period start included from the first day), so the last point's cumulative is the "
        "period's spent."
    )
    ideal: Decimal = strawberry.field(
        description="Where cumulative spend would be on a straight line from 0 on the first "
        "day to everything available on the last (available × days elapsed ÷ period days)."
    )


@strawberry.type(
    description="Spend by service (e.g. 'Amazon EC2', 'gpt-4o'), largest first; spend without "
    "a service shows as '(unspecified)'."
)
class ServiceCost:
    service: str = strawberry.field(description="The service, as recorded on the spends.")
    amount: Decimal = strawberry.field(description="Total spent on it (exact decimal string).")
    count: int = strawberry.field(description="How many spend records it sums.")
