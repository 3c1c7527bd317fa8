"""Pacing figures shared by Budget and Allocation: pace, elapsed share, drip and today's allowance.

The drip is computed from what was left at the start of the local day (remaining + spent today)
÷ days left, today included, so it does not shrink as the day's spend comes in; once nothing
remains now (the envelope or the period is used up or overdrawn) both the drip and today's
allowance are 0 (`app.domain.pacing.drip_today`). `authorizeSpend` computes its own
drip from what remains after open holds (app.services.authorize).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry

from app.domain import pacing
from app.domain.money import from_micros
from app.domain.periods import PeriodBounds
from schema.types.common import describe_values

Pace = describe_values(
    strawberry.enum(
        pacing.Pace,
        name="Pace",
        description=(
            "Share of money spent against share of the period elapsed (±10 points is ON_PACE): "
            "AHEAD spends faster than time passes, BEHIND slower."
        ),
    ),
    {
        "AHEAD": "Spending faster than time passes: more than 10 points ahead; will run out "
        "early at this rate (with nothing allocated, any spend).",
        "ON_PACE": "The share spent is within 10 points of the share of time elapsed.",
        "BEHIND": "Spending slower than time passes: money will be left at the period end.",
    },
)


@strawberry.type(description="A planned amount: the pool of the period starting on periodStart.")
class PlannedAmount:
    period_start: date = strawberry.field(description="First day of the planned period.")
    amount: Decimal = strawberry.field(
        description="The pool that period opens with, instead of the budget's amount."
    )


@dataclass(frozen=True)
class PaceFigures:
    pace: pacing.Pace
    elapsed_fraction: float
    drip: int
    spent_today: int
    allowance: int


def figures(
    bounds: PeriodBounds, today: date, available: int, spent: int, daily: dict[date, int]
) -> PaceFigures:
    """`available` is what the envelope (or period) holds in all, `spent` what left it."""
    spent_today = daily.get(today, 0) if bounds.contains(today) else 0
    drip = pacing.drip_today(available - spent, spent_today, bounds.days_left(today))
    elapsed = bounds.elapsed_fraction(today)
    return PaceFigures(
        pace=pacing.pace(spent, available, elapsed),
        elapsed_fraction=round(elapsed, 4),
        drip=drip,
        spent_today=spent_today,
        allowance=pacing.todays_allowance(drip, spent_today, available - spent),
    )


def money(micros: int) -> Decimal:
    return from_micros(micros)


def _then(figures: Any, pick: Callable[[PaceFigures], Any]) -> Any:
    """`pick` of the figures, now when they are at hand (a read model preloaded them) or once
    they arrive: a plain resolver may return an awaitable, and graphql-core awaits it."""
    if inspect.isawaitable(figures):

        async def later() -> Any:
            return pick(await figures)

        return later()
    return pick(figures)


@strawberry.type
class PacingFields:
    """The pacing fields of Budget and Allocation; each provides `_pace(info)`, which returns the
    figures or an awaitable of them."""

    @strawberry.field(
        description="What was left at the start of today ÷ days left in the period, today "
        "included (never fewer than one day); 0 when nothing remains now (used up or "
        "overdrawn), even if something was left this morning. Exact decimal string."
    )
    def daily_drip(self, info: strawberry.Info) -> Decimal:
        return _then(self._pace(info), lambda f: from_micros(f.drip))  # type: ignore[attr-defined]

    @strawberry.field(
        description="AHEAD, ON_PACE or BEHIND: share spent against share of time elapsed "
        "(±10 points)."
    )
    def pace(self, info: strawberry.Info) -> Pace:  # type: ignore[valid-type]
        return _then(self._pace(info), lambda f: f.pace)  # type: ignore[attr-defined]

    @strawberry.field(description="Share of the period elapsed by the end of today, 0 to 1.")
    def elapsed_fraction(self, info: strawberry.Info) -> float:
        return _then(self._pace(info), lambda f: f.elapsed_fraction)  # type: ignore[attr-defined]

    @strawberry.field(
        description="Today's drip minus what was already spent today (never below 0). "
        "With enforcePacing, authorizeSpend refuses more than twice the drip in one day."
    )
    def today_allowance(self, info: strawberry.Info) -> Decimal:
        return _then(self._pace(info), lambda f: from_micros(f.allowance))  # type: ignore[attr-defined]

    @strawberry.field(description="Spent so far today (the budget's local day).")
    def spent_today(self, info: strawberry.Info) -> Decimal:
        return _then(self._pace(info), lambda f: from_micros(f.spent_today))  # type: ignore[attr-defined]
