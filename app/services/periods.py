"""Closing budget periods, on demand and by the scheduler.

Closing a period, in one transaction:

1. Claim it: `UPDATE budget_period SET status = 'CLOSED' WHERE id = ? AND status = 'OPEN'`.
   Only one transaction can turn OPEN into CLOSED, so the close happens exactly once however
   many server processes run the scheduler (on PostgreSQL the second one waits for the row lock,
   then finds the row CLOSED and skips it). A spend holds a SHARE lock on the same row while the
   period is OPEN (app.services.spend_post), so the claim waits for the spends in flight and
   every spend lands in exactly one period: it commits before the close reads the balances, or
   it finds the period closed and retries in the next. The period's spent total is frozen on
   its row here (while open it is the sum of its allocations).
2. Archive it: the period keeps its figures (`Budget.periods`); pending transfer requests and
   open spend reservations of the period expire.
3. Open the next period (recurring budgets; a GRANT or CUSTOM budget ends instead), funded and
   rolled over as app.services.rollover describes. A budget more than one period behind (the
   server was down over several period ends) resumes in the period holding today: the whole
   periods in between are skipped in this one close, not replayed one by one, so catching up
   costs the same however far behind it is (app.domain.periods.resume_after; what their funding
   becomes: app.services.rollover).

The next period is always the next *regular* one of the budget's calendar, also when an owner
closes early: the closed period ends today, the next regular period (February after a January
closed on the 20th) opens at once with its own bounds and its own funding, and spend dated in
the days between (21–31 January) belongs to no period: it lands in the open period as a late
charge, keeping its day. So no period is funded twice, and no period is funded for the days
left: an early close moves the budget on to its next period now (see docs/periods.md).

`preview_close` computes what a close would do now (bounds and rollover) without writing, from
the same `_shape` and `app.services.rollover.plan_next` the close uses.

Moving end dates and planning future periods is app.services.plans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.transactions import in_transaction

from app import clock, metrics
from app.domain.access import Actor, require_owner
from app.domain.errors import InvalidState, NotFound, ValidationError
from app.domain.money import to_micros
from app.domain.periods import (
    PeriodBounds,
    local_date,
    next_period,
    period_end_instant,
    resume_after,
)
from app.domain.transfers import TransferStatus
from app.models import Allocation, Budget, BudgetPeriod, Project, TransferRequest
from app.services import lookup, transfers
from app.services.calendars import calendar_of
from app.services.events import emit
from app.services.rollover import Envelope, NextPlan, load_envelopes, open_next, plan_next
from app.services.sql import fetch

logger = logging.getLogger("allot.periods")


@dataclass(frozen=True)
class PeriodClose:
    closed: BudgetPeriod
    next: BudgetPeriod | None


# ---------------------------------------------------------------------------------------------
# Closing


async def close_period(
    actor: Actor | None,
    budget_id: int,
    *,
    now: datetime | None = None,
    allocations: Sequence[tuple[int, object]] | None = None,
) -> PeriodClose:
    """Close the budget's open period now (owners and admins; None is the scheduler).

    A period closed before its end ends today (local), and the budget moves on to its next
    regular period at once (see the module docstring); a GRANT or CUSTOM budget closed early
    ends today. `allocations` (project id, amount) are the bases of the next period's envelopes,
    checked as allocateMany's EXPLICIT items (`check_allocations`) and set in the same
    transaction (app.services.rollover.plan_next).
    """
    now = now or clock.now()
    budget = await lookup.budget(budget_id)
    if actor is not None:
        require_owner(actor, budget.id, "close this budget's period")
    chosen = await check_allocations(list(allocations)) if allocations else None
    period = await lookup.open_period(budget)
    result = await _close(
        budget, period.id, now, actor.user_id if actor else None, allocations=chosen
    )
    if result is None:
        raise InvalidState("this period was closed by someone else just now")
    return result


async def check_allocations(items: list[tuple[int, object]]) -> dict[int, int]:
    """closePeriod's `allocations` as project id → micros, with allocateMany's EXPLICIT rules:
    each project once and existing, each amount a non-negative exact decimal."""
    out: dict[int, int] = {}
    for n, (project_id, amount) in enumerate(items):
        micros = to_micros(amount, field=f"allocations[{n}].amount")  # type: ignore[arg-type]
        if micros < 0:
            raise ValidationError(f"allocations[{n}].amount", "must not be negative")
        if project_id in out:
            raise ValidationError("allocations", "name each project once")
        out[project_id] = micros
    found = set(await Project.filter(id__in=list(out)).values_list("id", flat=True))
    for n, project_id in enumerate(out):
        if project_id not in found:
            raise NotFound("Project", project_id, field=f"allocations[{n}].projectId")
    return out


@dataclass(frozen=True)
class _Shape:
    """Where a close made at `now` ends the period, and which period it opens."""

    #: The closed period's last day: today when closed early.
    end: date
    early: bool
    #: The period to open (None: the budget ends), and the whole periods skipped before it.
    resume: PeriodBounds | None
    missed: tuple[PeriodBounds, ...]


def _shape(budget: Budget, period: BudgetPeriod, now: datetime) -> _Shape:
    """The bounds of a close at `now`, shared by the close and its preview.

    The next period follows the period's own (regular) end even when it closes early, so an
    early close never opens, or funds, a period for the days it leaves.
    """
    calendar = calendar_of(budget)
    bounds = PeriodBounds(period.start_date, period.end_date)
    today = local_date(now, budget.timezone)
    early = now < period_end_instant(bounds, budget.timezone)
    end = today if early else period.end_date
    following = next_period(calendar, bounds, budget.end_date)
    if following is None:
        return _Shape(end, early, None, ())
    resumption = resume_after(calendar, following, today, budget.end_date)
    return _Shape(end, early, resumption.resume, resumption.missed)


async def _close(
    budget: Budget,
    period_id: int,
    now: datetime,
    actor_id: int | None,
    *,
    allocations: Mapping[int, int] | None = None,
) -> PeriodClose | None:
    """Close one period exactly once; None when another transaction closed it first."""
    async with in_transaction():
        budget = await Budget.get(id=budget.id)  # settings as of now, inside the transaction
        period = await BudgetPeriod.get(id=period_id)
        if period.status != "OPEN":
            return None
        shape = _shape(budget, period, now)
        end = shape.end
        if end < period.start_date:
            raise InvalidState(  # e.g. the next period an early close opened
                f"the period has not started yet (it runs {period.start_date.isoformat()} to"
                f" {period.end_date.isoformat()}): it can close from its first day on"
            )
        if allocations and shape.resume is None:
            raise ValidationError(
                "allocations", "the budget ends with this close: there is no next period"
            )
        rows = await fetch(
            "UPDATE budget_period SET status = 'CLOSED' WHERE id = ? AND status = 'OPEN'"
            " RETURNING unallocated_micros",
            period.id,
        )
        if not rows:
            return None  # another process claimed it: exactly once
        # An open period's spent is the sum of its allocations (spends never touch this row:
        # no hot row, see app.services.spend_post); the archive freezes it.
        await fetch(
            "UPDATE budget_period SET closed_at = ?, end_date = ?, spent_micros ="
            " (SELECT COALESCE(SUM(spent_micros), 0) FROM allocation WHERE period_id = ?)"
            " WHERE id = ? RETURNING id",
            now,
            end,
            period.id,
            period.id,
        )
        if end != period.end_date and not calendar_of(budget).kind.is_recurring:
            await Budget.filter(id=budget.id).update(end_date=end)
            budget.end_date = end
        await _expire_transfers(budget.id, period.id)
        await _expire_holds(period.id)
        envelopes = await load_envelopes(period.id)
        new = None
        if shape.resume is not None:
            new = await open_next(
                budget,
                period,
                int(rows[0]["unallocated_micros"]),
                envelopes,
                shape.resume,
                actor_id,
                missed=shape.missed,
                allocations=allocations,
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
    metrics.count_period_close(by_scheduler=actor_id is None)
    return PeriodClose(closed, new)


@dataclass(frozen=True)
class ClosePreview:
    """What closing the open period now would do, computed without writing anything."""

    period: BudgetPeriod
    as_of: datetime
    #: Closing now would end the period before its last day (an early close).
    early: bool
    #: The period that would open (None: the budget would end and nothing carries).
    next: PeriodBounds | None
    missed: tuple[PeriodBounds, ...]
    #: The unallocated pool now.
    pool: int
    envelopes: list[Envelope]
    #: The rollover of `envelopes` and the pool; None when the budget would end.
    plan: NextPlan | None


async def preview_close(budget: Budget, now: datetime | None = None) -> ClosePreview | None:
    """What `close_period` would carry if the open period closed at `now`: the same bounds
    (`_shape`) and the same plan (`plan_next`) as the close, read without locks or writes.
    None when the budget has ended (it has no open period). Authorization is the caller's: the
    schema shows owners everything and a project's people their own envelopes and the pool."""
    now = now or clock.now()
    period = await lookup.current_period(budget.id)
    if period is None:
        return None
    shape = _shape(budget, period, now)
    envelopes = await load_envelopes(period.id, lock=False)
    plan = None
    if shape.resume is not None:
        plan = await plan_next(
            budget,
            period,
            period.unallocated_micros,
            envelopes,
            shape.resume,
            missed=shape.missed,
        )
    return ClosePreview(
        period,
        now,
        shape.early,
        shape.resume,
        shape.missed,
        period.unallocated_micros,
        envelopes,
        plan,
    )


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
    period = allocation.period  # loaded with the allocation, or read now
    if not isinstance(period, BudgetPeriod):
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
    "ClosePreview",
    "PeriodClose",
    "check_allocations",
    "close_due_periods",
    "close_period",
    "preview_close",
    "run_scheduler",
    "scheduler_worker",
    "settle_before_spend",
]
