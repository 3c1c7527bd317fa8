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
3. An owner closing on demand may choose bases instead (closePeriod's `allocations`): those
   are taken from the new pool first and must fit in it; projects not named keep their
   carried-over bases, scaled into what is left; a named project the closing period did not
   fund gets a new envelope. What the policy carries comes on top either way.

`plan_next` computes all of it without writing (app.domain.rollover.plan_rollover); `open_next`
applies that plan, and the rollover preview (app.services.periods.preview_close) shows it, so the
preview is what the close does.

Set-based: a fixed number of statements plus one per 500 allocations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.domain.periods import PeriodBounds
from app.domain.rollover import EnvelopeBalance, RolloverPlan, plan_rollover
from app.domain.validation import RolloverPolicy
from app.models import Allocation, Budget, BudgetPeriod, BudgetPlan, JournalEntry
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


async def load_envelopes(period_id: int, *, lock: bool = True) -> list[Envelope]:
    """The period's allocations; on PostgreSQL locked until commit, so no transfer between two
    of them can slip in between reading the remainders and carrying them (`lock=False`: a
    read-only preview, which takes no lock)."""
    # NO KEY UPDATE: a spend being inserted holds a KEY SHARE lock on its allocation (the foreign
    # key check) before it waits for the period row this close holds; FOR UPDATE would deadlock.
    lock_clause = " FOR NO KEY UPDATE" if lock and is_postgres() else ""
    rows = await fetch(
        "SELECT id, project_id, allocated_micros, spent_micros, rollover_policy, notes,"
        f" alert_threshold FROM allocation WHERE period_id = ? ORDER BY id{lock_clause}",
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


@dataclass(frozen=True)
class NextPlan:
    """What a close moves into the next period: `rollover` has one base and one carry per
    envelope of the closing period, in order, then one per project in `new_projects` (named at
    the close but not funded by the closing period; they carry nothing)."""

    rollover: RolloverPlan
    new_projects: tuple[int, ...] = ()
    #: Which bases an owner chose at the close (the rest were carried over).
    chosen: tuple[bool, ...] = ()


async def plan_next(
    budget: Budget,
    closed: BudgetPeriod,
    closed_pool: int,
    envelopes: Sequence[Envelope],
    bounds: PeriodBounds,
    *,
    missed: Sequence[PeriodBounds] = (),
    allocations: Mapping[int, int] | None = None,
) -> NextPlan:
    """The rollover of closing `closed` into the period `bounds`, computed without writing.

    `allocations`: project id → the base an owner chose at the close (closePeriod's
    `allocations`); InsufficientFunds when they do not fit in the next pool.
    """
    default = RolloverPolicy(budget.rollover_policy)
    carried_in = await _carried_in(closed)
    balances = [
        EnvelopeBalance(
            e.allocated,
            e.spent,
            carried_in.get(e.id, 0),
            RolloverPolicy(e.policy) if e.policy else None,
        )
        for e in envelopes
    ]
    chosen = dict(allocations or {})
    known = {e.project_id for e in envelopes}
    new_projects = tuple(p for p in chosen if p not in known)
    balances += [EnvelopeBalance(0, 0, 0) for _ in new_projects]
    set_bases = [chosen.get(e.project_id) for e in envelopes] + [chosen[p] for p in new_projects]
    plan = plan_rollover(
        default,
        budget.rollover_cap_micros,
        pool=closed_pool,
        funded=await planned_amount(budget, bounds.start),
        missed_funding=await missed_funding(budget, missed),
        envelopes=balances,
        set_bases=set_bases,
        currency=budget.currency,
    )
    return NextPlan(plan, new_projects, tuple(b is not None for b in set_bases))


async def open_next(
    budget: Budget,
    closed: BudgetPeriod,
    closed_pool: int,
    envelopes: list[Envelope],
    bounds: PeriodBounds,
    actor_id: int | None,
    *,
    missed: Sequence[PeriodBounds] = (),
    allocations: Mapping[int, int] | None = None,
) -> BudgetPeriod:
    """Open the period after `closed` within `bounds` (inside the caller's transaction).

    `missed`: whole periods skipped between the two (app.domain.periods.resume_after). Under a
    carrying policy their funding would have rolled into this period had the server been up
    with nothing spent, so it joins this period's pool (one FUND entry, capped like a carry);
    under NONE it would have lapsed, and it does. `allocations`: bases an owner chose at the
    close (see `plan_next`).
    """
    planned = await plan_next(
        budget, closed, closed_pool, envelopes, bounds, missed=missed, allocations=allocations
    )
    plan = planned.rollover
    funded, skipped, pool_carry = plan.funded, plan.skipped, plan.pool_carry
    new = await BudgetPeriod.create(
        budget_id=budget.id, seq=closed.seq + 1, start_date=bounds.start, end_date=bounds.end
    )
    n = len(envelopes)
    bases, carries = list(plan.bases[:n]), list(plan.carries[:n])
    chosen = planned.chosen[:n]
    new_bases = plan.bases[n:]
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
        ]
        + [
            Allocation(
                budget_id=budget.id,
                period_id=new.id,
                project_id=project_id,
                allocated_micros=base,
                spent_micros=0,
            )
            for project_id, base in zip(planned.new_projects, new_bases, strict=True)
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
    for e, base, carry, set_at_close in zip(envelopes, bases, carries, chosen, strict=True):
        to_id = new_ids[e.project_id]
        if base:
            entries.append(_base_entry(budget.id, new.id, to_id, base, actor_id, set_at_close))
        if carry:
            entries.append(
                ledger.rollover_entry(budget.id, closed.id, new.id, e.id, to_id, carry, actor_id)
            )
    for project_id, base in zip(planned.new_projects, new_bases, strict=True):
        if base:
            entries.append(
                _base_entry(budget.id, new.id, new_ids[project_id], base, actor_id, True)
            )
    await ledger.post_entries(entries)
    await ledger.add_to_allocations(
        {e.id: -carry for e, carry in zip(envelopes, carries, strict=True) if carry}
    )
    total_base, total_carry = sum(plan.bases), sum(carries)
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


def _base_entry(
    budget_id: int,
    period_id: int,
    allocation_id: int,
    base: int,
    actor_id: int | None,
    chosen: bool,
) -> JournalEntry:
    """The ALLOCATE of an envelope's base from the new pool: carried over, or chosen by the
    owner who closed the period."""
    return ledger.entry(
        budget_id,
        EntryKind.ALLOCATE,
        base,
        src=(K.POOL, period_id, None),
        dst=(K.ALLOCATION, period_id, allocation_id),
        actor_id=actor_id,
        memo="set at the close" if chosen else "carried over",
    )


__all__ = [
    "Envelope",
    "NextPlan",
    "load_envelopes",
    "open_next",
    "plan_next",
    "planned_amount",
]
