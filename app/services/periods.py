"""Budget periods in time: closing them (on demand and by the scheduler), rollover into the
next period, planned amounts, and grants that end and reopen.

Closing a period, in one transaction:

1. Claim it: `UPDATE budget_period SET status = 'CLOSED' WHERE id = ? AND status = 'OPEN'`.
   Only one transaction can turn OPEN into CLOSED, so the close happens exactly once however
   many server processes run the scheduler (on PostgreSQL the second one waits for the row lock,
   then finds the row CLOSED and skips it). Spend updates the same row first and only while it
   is OPEN (app.services.ledger.spend), so every spend lands in exactly one period: it commits
   before the close reads the balances, or it finds the period closed and retries in the next.
2. Archive it: the period keeps its figures (`Budget.periods`); pending transfer requests of the
   period expire.
3. Open the next period (recurring budgets; a GRANT or CUSTOM budget ends instead), funded with
   the planned amount for it (`BudgetPlan`) or else the budget's amount, and carry every
   allocation over with the same base amount (what it held, minus what it had carried in), taken
   from the new pool. When the pool cannot cover all bases they are scaled down in proportion
   (largest remainder, so they add up to the pool exactly): the pool never goes negative.
4. Roll over, per allocation, under its own policy or else the budget's:
   NONE carries nothing (the remainder stays in the archived period, lapsed);
   CARRY_UNSPENT carries a positive remainder, at most `rollover_cap_micros` when set;
   CARRY_ALL carries the remainder either way (capped when positive): an overspent envelope
   starts the next period that much lower, possibly negative.
   The unallocated pool carries to the next pool under the budget's policy (CARRY_UNSPENT or
   CARRY_ALL), capped the same way. Every carried amount is a ROLLOVER journal entry.

All of it is set-based: a close costs a fixed number of statements plus one per 500 allocations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import Actor, require_owner
from app.domain.errors import InvalidState, PeriodClosed, ValidationError
from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.domain.money import split_by_weights, to_micros
from app.domain.periods import (
    PeriodBounds,
    PeriodKind,
    local_date,
    next_period,
    period_containing,
    period_end_instant,
)
from app.domain.validation import RolloverPolicy
from app.models import Allocation, Budget, BudgetPeriod, BudgetPlan, TransferRequest
from app.services import ledger, lookup
from app.services.events import emit
from app.services.sql import fetch, is_postgres

logger = logging.getLogger("allot.periods")


@dataclass(frozen=True)
class PeriodClose:
    closed: BudgetPeriod
    next: BudgetPeriod | None


@dataclass(frozen=True)
class _Envelope:
    id: int
    project_id: int
    allocated: int
    spent: int
    policy: str | None
    notes: str | None
    alert_threshold: int | None


def carry_amount(policy: RolloverPolicy, remaining: int, cap: int | None) -> int:
    """What an envelope with `remaining` (allocated − spent) carries into the next period."""
    if policy is RolloverPolicy.NONE:
        return 0
    if remaining <= 0:
        return remaining if policy is RolloverPolicy.CARRY_ALL else 0
    return remaining if cap is None else min(remaining, cap)


def scale_bases(bases: list[int], pool: int) -> list[int]:
    """The base amounts the next pool can fund: all of them, or scaled down to add up to `pool`."""
    need = sum(bases)
    if need <= pool:
        return bases
    return split_by_weights(pool, bases)


# ---------------------------------------------------------------------------------------------
# Closing


async def close_period(
    actor: Actor | None, budget_id: int, *, now: datetime | None = None
) -> PeriodClose:
    """Close the budget's open period now (owners and admins; None is the scheduler).

    A period closed before its end ends today (local): its end date becomes today and the next
    period starts tomorrow (up to the calendar boundary). A GRANT or CUSTOM budget closed early
    ends today.
    """
    now = now or clock.now()
    budget = await lookup.budget(budget_id)
    if actor is not None:
        require_owner(actor, budget.id, "close this budget's period")
    period = await lookup.open_period(budget)
    result = await _close(budget, period.id, now, actor.user_id if actor else None)
    if result is None:
        raise InvalidState("this period was closed by someone else just now")
    return result


async def _close(
    budget: Budget, period_id: int, now: datetime, actor_id: int | None
) -> PeriodClose | None:
    """Close one period exactly once; None when another transaction closed it first."""
    async with in_transaction():
        budget = await Budget.get(id=budget.id)  # settings as of now, inside the transaction
        period = await BudgetPeriod.get(id=period_id)
        if period.status != "OPEN":
            return None
        end = period.end_date
        if now < period_end_instant(
            PeriodBounds(period.start_date, period.end_date), budget.timezone
        ):
            end = local_date(now, budget.timezone)
            if end < period.start_date:
                raise InvalidState("the period has not started yet")
        rows = await fetch(
            "UPDATE budget_period SET status = 'CLOSED' WHERE id = ? AND status = 'OPEN'"
            " RETURNING unallocated_micros",
            period.id,
        )
        if not rows:
            return None  # another process claimed it: exactly once
        await BudgetPeriod.filter(id=period.id).update(closed_at=now, end_date=end)
        kind = PeriodKind(budget.period_kind)
        if end != period.end_date and not kind.is_recurring:
            await Budget.filter(id=budget.id).update(end_date=end)
            budget.end_date = end
        await _expire_transfers(budget.id, period.id)
        await _expire_holds(period.id)
        envelopes = await _envelopes(period.id)
        bounds = next_period(kind, PeriodBounds(period.start_date, end), budget.end_date)
        new = None
        if bounds is not None:
            new = await _open_next(
                budget, period, int(rows[0]["unallocated_micros"]), envelopes, bounds, actor_id
            )
        await emit(
            "period.closed",
            {
                "budgetId": budget.id,
                "periodId": period.id,
                "nextPeriodId": None if new is None else new.id,
            },
            budget_id=budget.id,
        )
        closed = await BudgetPeriod.get(id=period.id)
    return PeriodClose(closed, new)


async def _expire_transfers(budget_id: int, period_id: int) -> None:
    pending = await TransferRequest.filter(period_id=period_id, status="PENDING").values_list(
        "id", flat=True
    )
    if not pending:
        return
    await TransferRequest.filter(id__in=list(pending), status="PENDING").update(
        status="EXPIRED", failure_reason="the budget period closed"
    )
    for transfer_id in pending:
        await emit(
            "transfer.decided",
            {"transferId": transfer_id, "status": "EXPIRED"},
            budget_id=budget_id,
            dedupe_key=f"transfer:{transfer_id}:decided",
        )


async def _expire_holds(period_id: int) -> None:
    """Open spend reservations of the closing period lapse with it: the money they held is part
    of the remainder the rollover policy carries (or not)."""
    await fetch(
        "UPDATE reservation SET status = 'EXPIRED', closed_at = ? WHERE status = 'OPEN'"
        " AND allocation_id IN (SELECT id FROM allocation WHERE period_id = ?) RETURNING id",
        clock.now(), period_id,
    )
    await fetch(
        "UPDATE allocation SET held_micros = 0 WHERE period_id = ? AND held_micros <> 0"
        " RETURNING id", period_id,
    )


async def _envelopes(period_id: int) -> list[_Envelope]:
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
        _Envelope(
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
    plan = await BudgetPlan.get_or_none(budget_id=budget.id, period_start=start)
    return budget.amount_micros if plan is None else plan.amount_micros


async def _open_next(
    budget: Budget,
    closed: BudgetPeriod,
    closed_pool: int,
    envelopes: list[_Envelope],
    bounds: PeriodBounds,
    actor_id: int | None,
) -> BudgetPeriod:
    funded = await planned_amount(budget, bounds.start)
    new = await BudgetPeriod.create(
        budget_id=budget.id, seq=closed.seq + 1, start_date=bounds.start, end_date=bounds.end
    )
    default = RolloverPolicy(budget.rollover_policy)
    cap = budget.rollover_cap_micros
    pool_carry = max(0, carry_amount(default, closed_pool, cap))
    carried_in = await _carried_in(closed)
    bases = scale_bases(
        [max(0, e.allocated - carried_in.get(e.id, 0)) for e in envelopes], funded + pool_carry
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
        funded_micros=funded,
        unallocated_micros=funded + pool_carry - total_base,
        allocated_micros=total_base + total_carry,
    )
    await new.refresh_from_db()
    return new


# ---------------------------------------------------------------------------------------------
# The scheduler


async def _due_periods(now: datetime, budget_id: int | None = None) -> list[tuple[int, int]]:
    """(budget id, period id) of every OPEN period whose local end has passed, oldest first."""
    query = BudgetPeriod.filter(status="OPEN", end_date__lte=now.date())
    if budget_id is not None:
        query = query.filter(budget_id=budget_id)
    rows = await query.order_by("budget_id", "seq").values(
        "id", "budget_id", "start_date", "end_date", "budget__timezone"
    )
    return [
        (r["budget_id"], r["id"])
        for r in rows
        if period_end_instant(PeriodBounds(r["start_date"], r["end_date"]), r["budget__timezone"])
        <= now
    ]


async def close_due_periods(
    now: datetime | None = None, *, budget_id: int | None = None
) -> list[PeriodClose]:
    """Close every period whose end has passed; a budget several periods behind closes them one
    by one. Idempotent and safe to run in several processes at once (see the module doc)."""
    now = now or clock.now()
    results: list[PeriodClose] = []
    failed: set[int] = set()
    previous: list[tuple[int, int]] | None = None
    while True:
        due = [d for d in await _due_periods(now, budget_id) if d[0] not in failed]
        if not due or due == previous:
            return results
        previous = due
        for bid, period_id in due:
            try:
                budget = await Budget.get(id=bid)
                result = await _close(budget, period_id, now, None)
            except Exception:
                logger.exception("closing period %s of budget %s failed", period_id, bid)
                failed.add(bid)
                continue
            if result is not None:
                results.append(result)


async def settle_before_spend(
    allocation: Allocation, budget: Budget, occurred_at: datetime, now: datetime
) -> bool:
    """Close the allocation's period first when it is over and the spend belongs after it.

    So a spend at 00:01 on the first of the month lands in the new period even when the
    scheduler has not run yet. Returns True when something was closed (resolve again).
    A spend dated inside a period that is still open lands there; one dated in a period that
    is already closed lands in the open period (a late charge).
    """
    period = await BudgetPeriod.get(id=allocation.period_id)  # type: ignore[attr-defined]
    bounds = PeriodBounds(period.start_date, period.end_date)
    if now < period_end_instant(bounds, budget.timezone):
        return False
    if local_date(occurred_at, budget.timezone) <= period.end_date:
        return False
    return bool(await close_due_periods(now, budget_id=budget.id))


async def run_scheduler(stop: asyncio.Event, interval: float = 60.0) -> None:
    """Background worker: close due periods and expire due transfer requests, every `interval`
    seconds, until `stop` is set."""
    from app.services import transfers

    while not stop.is_set():
        try:
            closed = await close_due_periods(clock.now())
            if closed:
                logger.info("closed %d budget period(s)", len(closed))
            await transfers.expire_due()
        except Exception:
            logger.exception("period scheduler tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


def scheduler_worker(interval: float = 60.0) -> Callable[[], Awaitable[None]]:
    """For create_app(workers=[...]): runs until the server cancels it."""
    return lambda: run_scheduler(asyncio.Event(), interval)


# ---------------------------------------------------------------------------------------------
# End dates, planned amounts, per-allocation policy


async def apply_end_date(budget: Budget, end_date: date, now: datetime | None = None) -> None:
    """After the budget's end date changed (inside the caller's transaction).

    GRANT/CUSTOM: the one period follows the new end; a closed one whose new end is today or
    later reopens (a no-cost extension). Recurring: the open period is clipped to the new end,
    or an ended budget opens its next period (as its close would have, rollover included).
    """
    now = now or clock.now()
    kind = PeriodKind(budget.period_kind)
    latest = await BudgetPeriod.filter(budget_id=budget.id).order_by("-seq").first()
    if latest is None:
        return
    today = local_date(now, budget.timezone)
    if not kind.is_recurring:
        if end_date < latest.start_date:
            raise ValidationError("endDate", "must not be before the period's start")
        if latest.status == "CLOSED" and end_date >= today:
            await fetch(
                "UPDATE budget_period SET status = 'OPEN' WHERE id = ? AND status = 'CLOSED'"
                " RETURNING id",
                latest.id,
            )
            await BudgetPeriod.filter(id=latest.id).update(closed_at=None, end_date=end_date)
            await emit(
                "period.reopened",
                {"budgetId": budget.id, "periodId": latest.id},
                budget_id=budget.id,
            )
        else:
            await BudgetPeriod.filter(id=latest.id).update(end_date=end_date)
        return
    if latest.status == "OPEN":
        if end_date < latest.start_date:
            raise ValidationError("endDate", "must not be before the current period's start")
        calendar = period_containing(kind, budget.start_date, end_date, latest.start_date)
        if calendar is not None:
            await BudgetPeriod.filter(id=latest.id).update(end_date=calendar.end)
        return
    bounds = next_period(kind, PeriodBounds(latest.start_date, latest.end_date), end_date)
    if bounds is not None:
        budget.end_date = end_date
        await _open_next(
            budget, latest, latest.unallocated_micros, await _envelopes(latest.id), bounds, None
        )


async def set_planned_amount(
    actor: Actor, *, budget_id: int, period_start: date, amount: object | None
) -> BudgetPlan | None:
    """Fund the future period starting on `period_start` with `amount` instead of the budget's
    amount (None removes the plan). The current period's amount is changed with updateBudget."""
    budget = await lookup.budget(budget_id)
    require_owner(actor, budget.id, "plan this budget")
    kind = PeriodKind(budget.period_kind)
    if not kind.is_recurring:
        raise ValidationError(
            "periodStart",
            "is only for recurring budgets; change a grant's amount with updateBudget",
        )
    bounds = period_containing(kind, budget.start_date, budget.end_date, period_start)
    if bounds is None or bounds.start != period_start:
        raise ValidationError("periodStart", "must be the first day of one of the budget's periods")
    current = await lookup.current_period(budget.id)
    latest = current or await BudgetPeriod.filter(budget_id=budget.id).order_by("-seq").first()
    if latest is not None and period_start <= latest.start_date:
        raise ValidationError(
            "periodStart", "must be a future period; change the current one with updateBudget"
        )
    async with in_transaction():
        if amount is None:
            await BudgetPlan.filter(budget_id=budget.id, period_start=period_start).delete()
            return None
        micros = to_micros(amount, field="amount")  # type: ignore[arg-type]
        if micros < 0:
            raise ValidationError("amount", "must not be negative")
        plan = await BudgetPlan.get_or_none(budget_id=budget.id, period_start=period_start)
        if plan is None:
            plan = await BudgetPlan.create(
                budget_id=budget.id, period_start=period_start, amount_micros=micros
            )
        else:
            await BudgetPlan.filter(id=plan.id).update(amount_micros=micros)
            await plan.refresh_from_db()
        await emit(
            "budget.planned",
            {"budgetId": budget.id, "periodStart": period_start.isoformat(), "amount": micros},
            budget_id=budget.id,
        )
    return plan


async def set_allocation_rollover(
    actor: Actor, *, allocation_id: int, policy: str | None
) -> Allocation:
    """Override the budget's rollover policy for one allocation (None: follow the budget). The
    override is carried to the allocation's successors."""
    allocation = await lookup.allocation(allocation_id)
    require_owner(actor, allocation.budget_id, "change this allocation")  # type: ignore[attr-defined]
    if policy is not None:
        try:
            policy = RolloverPolicy(policy).value
        except ValueError:
            raise ValidationError(
                "rolloverPolicy", "must be NONE, CARRY_UNSPENT or CARRY_ALL"
            ) from None
    period = await BudgetPeriod.get(id=allocation.period_id)  # type: ignore[attr-defined]
    if period.status != "OPEN":
        raise PeriodClosed("this allocation's period is closed")
    await Allocation.filter(id=allocation.id).update(rollover_policy=policy)
    await allocation.refresh_from_db()
    return allocation


async def future_plans(budget_id: int) -> list[BudgetPlan]:
    return await BudgetPlan.filter(budget_id=budget_id).order_by("period_start")


__all__ = [
    "PeriodClose",
    "apply_end_date",
    "carry_amount",
    "close_due_periods",
    "close_period",
    "future_plans",
    "planned_amount",
    "run_scheduler",
    "scale_bases",
    "scheduler_worker",
    "set_allocation_rollover",
    "set_planned_amount",
    "settle_before_spend",
]
