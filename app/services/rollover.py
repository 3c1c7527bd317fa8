"""Opening the next period of a closing budget: fund it, carry the allocations over, roll over.

1. Fund the next period with the planned amount for it (`BudgetPlan`) or else the budget's
   amount, and carry every allocation over with the same base amount (what it held, minus what
   it had carried in), taken from the new pool. When the pool cannot cover all bases they are
   scaled down in proportion (largest remainder, so they add up to the pool exactly): the pool
   never goes negative.
2. Roll over, per allocation, under its own policy or else the budget's
   (app.domain.rollover.carry_amount): NONE carries nothing (the remainder stays in the archived
   period, lapsed); CARRY_UNSPENT carries a positive remainder, at most `rollover_cap_micros`
   when set; CARRY_ALL carries the remainder either way (capped when positive): an overspent
   envelope starts the next period that much lower, possibly negative.
   The unallocated pool carries to the next pool under the budget's policy (CARRY_UNSPENT or
   CARRY_ALL), capped the same way. Every carried amount is a ROLLOVER journal entry.

Set-based: a fixed number of statements plus one per 500 allocations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.domain.periods import PeriodBounds
from app.domain.rollover import carry_amount, scale_bases
from app.domain.validation import RolloverPolicy
from app.models import Allocation, Budget, BudgetPeriod, BudgetPlan
from app.services import ledger
from app.services.sql import fetch, is_postgres


@dataclass(frozen=True)
class Envelope:
    id: int
    project_id: int
    allocated: int
    spent: int
    policy: str | None
    notes: str | None
    alert_threshold: int | None


async def load_envelopes(period_id: int) -> list[Envelope]:
    """The period's allocations; on PostgreSQL locked until commit, so no transfer between two
    of them can slip in between reading the remainders and carrying them."""
    # NO KEY UPDATE: a spend being inserted holds a KEY SHARE lock on its allocation (the foreign
    # key check) before it waits for the period row this close holds; FOR UPDATE would deadlock.
    lock = " FOR NO KEY UPDATE" if is_postgres() else ""
    rows = await fetch(
        "SELECT id, project_id, allocated_micros, spent_micros, rollover_policy, notes,"
        f" alert_threshold FROM allocation WHERE period_id = ? ORDER BY id{lock}",
        period_id,
    )
    return [
        Envelope(
            int(r["id"]),
            int(r["project_id"]),
            int(r["allocated_micros"]),
            int(r["spent_micros"]),
            r["rollover_policy"],
            r["notes"],
            r["alert_threshold"],
        )
        for r in rows
    ]


async def _carried_in(period: BudgetPeriod) -> dict[int, int]:
    """Net ROLLOVER each allocation of `period` received from the period before it."""
    prev = await BudgetPeriod.filter(
        budget_id=period.budget_id,
        seq=period.seq - 1,  # type: ignore[attr-defined]
    ).values_list("id", flat=True)
    if not prev:
        return {}
    out: dict[int, int] = {}
    inbound = await fetch(
        "SELECT to_allocation_id AS id, SUM(amount_micros) AS amount FROM journal_entry"
        " WHERE kind = 'ROLLOVER' AND from_period_id = ? AND to_period_id = ?"
        " AND to_allocation_id IS NOT NULL GROUP BY to_allocation_id",
        prev[0],
        period.id,
    )
    debts = await fetch(
        "SELECT from_allocation_id AS id, SUM(amount_micros) AS amount FROM journal_entry"
        " WHERE kind = 'ROLLOVER' AND from_period_id = ? AND to_period_id = ?"
        " AND from_allocation_id IS NOT NULL GROUP BY from_allocation_id",
        period.id,
        prev[0],
    )
    for r in inbound:
        out[int(r["id"])] = out.get(int(r["id"]), 0) + int(r["amount"])
    for r in debts:
        out[int(r["id"])] = out.get(int(r["id"]), 0) - int(r["amount"])
    return out


async def planned_amount(budget: Budget, start: date) -> int:
    """What the period starting on `start` is funded with: its plan, or the budget's amount."""
    plan = await BudgetPlan.get_or_none(budget_id=budget.id, period_start=start)
    return budget.amount_micros if plan is None else plan.amount_micros


async def missed_funding(budget: Budget, missed: Sequence[PeriodBounds]) -> int:
    """What the skipped periods would have been funded with, in one query for their plans."""
    if not missed:
        return 0
    starts = [m.start for m in missed]
    plans = dict(
        await BudgetPlan.filter(
            budget_id=budget.id, period_start__gte=starts[0], period_start__lte=starts[-1]
        ).values_list("period_start", "amount_micros")
    )
    return sum(int(plans.get(s, budget.amount_micros)) for s in starts)  # type: ignore[call-overload]


async def open_next(
    budget: Budget,
    closed: BudgetPeriod,
    closed_pool: int,
    envelopes: list[Envelope],
    bounds: PeriodBounds,
    actor_id: int | None,
    *,
    missed: Sequence[PeriodBounds] = (),
) -> BudgetPeriod:
    """Open the period after `closed` within `bounds` (inside the caller's transaction).

    `missed`: whole periods skipped between the two (app.domain.periods.resume_after). Under a
    carrying policy their funding would have rolled into this period had the server been up
    with nothing spent, so it joins this period's pool (one FUND entry, capped like a carry);
    under NONE it would have lapsed, and it does.
    """
    funded = await planned_amount(budget, bounds.start)
    new = await BudgetPeriod.create(
        budget_id=budget.id, seq=closed.seq + 1, start_date=bounds.start, end_date=bounds.end
    )
    default = RolloverPolicy(budget.rollover_policy)
    cap = budget.rollover_cap_micros
    pool_carry = max(0, carry_amount(default, closed_pool, cap))
    skipped = max(0, carry_amount(default, await missed_funding(budget, missed), cap))
    carried_in = await _carried_in(closed)
    bases = scale_bases(
        [max(0, e.allocated - carried_in.get(e.id, 0)) for e in envelopes],
        funded + skipped + pool_carry,
    )
    carries = [
        carry_amount(RolloverPolicy(e.policy) if e.policy else default, e.allocated - e.spent, cap)
        for e in envelopes
    ]
    await Allocation.bulk_create(
        [
            Allocation(
                budget_id=budget.id,
                period_id=new.id,
                project_id=e.project_id,
                allocated_micros=base + carry,
                spent_micros=0,
                notes=e.notes,
                alert_threshold=e.alert_threshold,
                rollover_policy=e.policy,
            )
            for e, base, carry in zip(envelopes, bases, carries, strict=True)
        ],
        batch_size=500,
    )
    new_ids = dict(
        await Allocation.filter(period_id=new.id).values_list("project_id", "id")  # type: ignore[arg-type]
    )
    entries = []
    if funded:
        entries.append(
            ledger.entry(
                budget.id,
                EntryKind.FUND,
                funded,
                src=(K.FUNDING, new.id, None),
                dst=(K.POOL, new.id, None),
                actor_id=actor_id,
            )
        )
    if skipped:
        entries.append(
            ledger.entry(
                budget.id,
                EntryKind.FUND,
                skipped,
                src=(K.FUNDING, new.id, None),
                dst=(K.POOL, new.id, None),
                actor_id=actor_id,
                memo=f"funding of {len(missed)} skipped period(s),"
                f" {missed[0].start.isoformat()} to {missed[-1].end.isoformat()}",
            )
        )
    if pool_carry:
        entries.append(
            ledger.rollover_entry(budget.id, closed.id, new.id, None, None, pool_carry, actor_id)
        )
    for e, base, carry in zip(envelopes, bases, carries, strict=True):
        to_id = new_ids[e.project_id]
        if base:
            entries.append(
                ledger.entry(
                    budget.id,
                    EntryKind.ALLOCATE,
                    base,
                    src=(K.POOL, new.id, None),
                    dst=(K.ALLOCATION, new.id, to_id),
                    actor_id=actor_id,
                    memo="carried over",
                )
            )
        if carry:
            entries.append(
                ledger.rollover_entry(budget.id, closed.id, new.id, e.id, to_id, carry, actor_id)
            )
    await ledger.post_entries(entries)
    await ledger.add_to_allocations(
        {e.id: -carry for e, carry in zip(envelopes, carries, strict=True) if carry}
    )
    total_base, total_carry = sum(bases), sum(carries)
    if total_carry or pool_carry:
        await fetch(
            "UPDATE budget_period SET allocated_micros = allocated_micros - ?,"
            " unallocated_micros = unallocated_micros - ? WHERE id = ? RETURNING id",
            total_carry,
            pool_carry,
            closed.id,
        )
    await BudgetPeriod.filter(id=new.id).update(
        funded_micros=funded + skipped,
        unallocated_micros=funded + skipped + pool_carry - total_base,
        allocated_micros=total_base + total_carry,
    )
    await new.refresh_from_db()
    return new


__all__ = ["Envelope", "load_envelopes", "open_next", "planned_amount"]
