"""Closing budget periods, on demand and by the scheduler.

Closing a period, in one transaction:

1. Claim it: `UPDATE budget_period SET status = 'CLOSED' WHERE id = ? AND status = 'OPEN'`.
   Only one transaction can turn OPEN into CLOSED, so the close happens exactly once however
   many server processes run the scheduler (on PostgreSQL the second one waits for the row lock,
   then finds the row CLOSED and skips it). Spend updates the same row first and only while it
   is OPEN (app.services.ledger.spend), so every spend lands in exactly one period: it commits
   before the close reads the balances, or it finds the period closed and retries in the next.
2. Archive it: the period keeps its figures (`Budget.periods`); pending transfer requests and
   open spend reservations of the period expire.
3. Open the next period (recurring budgets; a GRANT or CUSTOM budget ends instead), funded and
   rolled over as app.services.rollover describes. A budget more than one period behind (the
   server was down over several period ends) resumes in the period holding today: the whole
   periods in between are skipped in this one close, not replayed one by one, so catching up
   costs the same however far behind it is (app.domain.periods.resume_after; what their funding
   becomes: app.services.rollover).

Moving end dates and planning future periods is app.services.plans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import Actor, require_owner
from app.domain.errors import InvalidState
from app.domain.periods import (
    PeriodBounds,
    PeriodKind,
    local_date,
    next_period,
    period_end_instant,
    resume_after,
)
from app.domain.transfers import TransferStatus
from app.models import Allocation, Budget, BudgetPeriod, TransferRequest
from app.services import lookup, transfers
from app.services.events import emit
from app.services.rollover import load_envelopes, open_next
from app.services.sql import fetch

logger = logging.getLogger("allot.periods")


@dataclass(frozen=True)
class PeriodClose:
    closed: BudgetPeriod
    next: BudgetPeriod | None


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
        envelopes = await load_envelopes(period.id)
        bounds = next_period(kind, PeriodBounds(period.start_date, end), budget.end_date)
        new = None
        if bounds is not None:
            resumption = resume_after(
                kind, bounds, local_date(now, budget.timezone), budget.end_date
            )
            if resumption.resume is not None:
                new = await open_next(
                    budget,
                    period,
                    int(rows[0]["unallocated_micros"]),
                    envelopes,
                    resumption.resume,
                    actor_id,
                    missed=resumption.missed,
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
        await transfers.announce_decision(transfer_id, budget_id, TransferStatus.EXPIRED)


async def _expire_holds(period_id: int) -> None:
    """Open spend reservations of the closing period lapse with it: the money they held is part
    of the remainder the rollover policy carries (or not)."""
    await fetch(
        "UPDATE reservation SET status = 'EXPIRED', closed_at = ? WHERE status = 'OPEN'"
        " AND allocation_id IN (SELECT id FROM allocation WHERE period_id = ?) RETURNING id",
        clock.now(),
        period_id,
    )
    await fetch(
        "UPDATE allocation SET held_micros = 0 WHERE period_id = ? AND held_micros <> 0"
        " RETURNING id",
        period_id,
    )


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


__all__ = [
    "PeriodClose",
    "close_due_periods",
    "close_period",
    "run_scheduler",
    "scheduler_worker",
    "settle_before_spend",
]
