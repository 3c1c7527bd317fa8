"""Before spending: may this project spend this much now? (Read-only; reservations hold.)

Open holds count: what remains is allocated − spent − held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app import clock
from app.domain.access import Actor, can_view_allocation
from app.domain.money import from_micros, to_micros
from app.domain.pacing import check_pacing, daily_drip, todays_allowance
from app.domain.periods import PeriodBounds, local_date
from app.models import SpendDaily
from app.models.compiled import CompiledSelect
from app.services.holds import stale_held
from app.services.spending import resolve_allocation


@dataclass(frozen=True)
class SpendDecision:
    allowed: bool
    reason: str
    remaining: int
    daily_allowance: int | None


#: An envelope's roll-up rows of one day (one per service): every authorizeSpend reads them.
_DAY_ROWS = CompiledSelect(
    SpendDaily,
    lambda allocation_id, day: SpendDaily.filter(allocation_id=allocation_id, day=day),
    (int, date),
)


async def spent_on(allocation_id: int, day: date) -> int:
    return sum(row.amount_micros for row in await _DAY_ROWS(allocation_id, day))


async def authorize_spend(
    actor: Actor,
    *,
    project_id: int,
    amount: Decimal | str | int,
    budget_id: int | None = None,
    held: int = 0,
) -> SpendDecision:
    """Open holds on the allocation (reserveSpend) count as spent; `held` adds more on top.

    Holds past their expiry that the sweep has not reached yet are ignored (read-only).
    """
    micros = to_micros(amount, field="amount", positive=True)
    allocation, budget = await resolve_allocation(
        actor, project_id, budget_id, allowed=can_view_allocation
    )
    period = allocation.period  # read with the allocation
    if allocation.held_micros:
        held += allocation.held_micros - await stale_held(allocation.id)
    remaining = allocation.allocated_micros - allocation.spent_micros - held
    today = local_date(clock.now(), budget.timezone)
    spent_today = await spent_on(allocation.id, today)
    days_left = PeriodBounds(period.start_date, period.end_date).days_left(today)
    drip = daily_drip(remaining + spent_today, days_left)
    allowance = todays_allowance(drip, spent_today)
    if micros > remaining:
        return SpendDecision(
            False,
            f"{from_micros(micros)} {budget.currency} exceeds the allocation's remaining "
            f"{from_micros(max(remaining, 0))} {budget.currency}"
            + (
                f" (after {from_micros(held)} {budget.currency} held by open reservations)"
                if held
                else ""
            )
            + (
                ""
                if budget.hard_limit
                else " (the budget does not enforce hard limits; spend would overdraw it)"
            ),
            remaining,
            allowance,
        )
    if budget.enforce_pacing:
        ok, why = check_pacing(micros, spent_today, drip)
        if not ok:
            return SpendDecision(False, why, remaining, allowance)
    return SpendDecision(
        True,
        f"within the allocation's remaining {from_micros(remaining)} {budget.currency}"
        + (f" (after {from_micros(held)} {budget.currency} held)" if held else ""),
        remaining,
        allowance,
    )
