"""Dividing a budget's pool among projects."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import Actor, require_owner
from app.domain.errors import Conflict, InsufficientFunds, ValidationError
from app.domain.money import from_micros, split_by_weights, split_evenly, to_micros
from app.models import Allocation, Budget, BudgetPeriod, Spend
from app.services import idempotency, ledger, lookup
from app.services.events import emit, for_projects
from app.services.sql import fetch


class Split(str, Enum):
    EXPLICIT = "EXPLICIT"
    EQUAL = "EQUAL"
    PERCENT = "PERCENT"


@dataclass(frozen=True)
class SplitItem:
    project_id: int
    amount: Decimal | str | None = None
    percent: Decimal | str | None = None


async def allocate(
    actor: Actor,
    *,
    budget_id: int,
    project_id: int,
    amount: Decimal | str | int,
    notes: str | None = None,
    alert_threshold: int | None = None,
    idempotency_key: str | None = None,
) -> Allocation:
    """Set the project's allocation in the current period to `amount` (creating it if needed).

    Raising it takes the difference from the pool, which must hold it; lowering it returns
    the difference, which must not cut into what the project has already spent.
    """
    target = to_micros(amount, field="amount")
    if target < 0:
        raise ValidationError("amount", "must not be negative")
    notes = rules.text(notes, "notes")
    threshold = rules.threshold(alert_threshold)
    budget = await lookup.budget(budget_id)
    require_owner(actor, budget.id, "allocate this budget")
    await lookup.project(project_id)
    request = {"budgetId": budget_id, "projectId": project_id, "amount": target}
    async with in_transaction():
        replay = await idempotency.replay(actor, "allocate", idempotency_key, request)
        if replay is not None:
            return await Allocation.get(id=replay)
        period = await lookup.open_period(budget)
        allocation = await _set(actor, budget, period, project_id, target, notes, threshold)
        await idempotency.remember(actor, "allocate", idempotency_key, request, allocation.id)
    return allocation


async def _get_or_create(period: BudgetPeriod, project_id: int) -> Allocation:
    row = await Allocation.get_or_none(period_id=period.id, project_id=project_id)
    if row is not None:
        return row
    try:
        async with in_transaction():  # a savepoint: a racing creator wins, we reuse its row
            return await Allocation.create(
                budget_id=period.budget_id,  # type: ignore[attr-defined]
                period_id=period.id,
                project_id=project_id,
            )
    except IntegrityError:
        return await Allocation.get(period_id=period.id, project_id=project_id)


async def _set(
    actor: Actor,
    budget: Budget,
    period: BudgetPeriod,
    project_id: int,
    target: int,
    notes: str | None,
    threshold: int | None,
) -> Allocation:
    await ledger.hold_period(period.id)  # period row before allocation rows: no deadlock
    lookup.writable_project(await lookup.project(project_id))
    allocation = await _get_or_create(period, project_id)
    if allocation.released_at is not None:  # allocating a released envelope brings it back
        await Allocation.filter(id=allocation.id).update(released_at=None)
        allocation.released_at = None
    for _ in range(5):
        current = allocation.allocated_micros
        delta = target - current
        if delta == 0:
            break
        # Only lowering must not cut into what was spent: an overdrawn project may be topped up.
        if delta < 0 and allocation.spent_micros > target:
            raise ValidationError(
                "amount",
                f"cannot be below what the project has already spent "
                f"({from_micros(allocation.spent_micros)} {budget.currency})",
            )
        # Compare-and-set on the allocation guards two owners setting the same project at once.
        guard = " AND spent_micros <= ?" if delta < 0 else ""
        rows = await fetch(
            "UPDATE allocation SET allocated_micros = ? WHERE id = ? AND allocated_micros = ?"
            f"{guard} RETURNING id",
            target,
            allocation.id,
            current,
            *([target] if delta < 0 else []),
        )
        if rows:
            await _move_pool(actor, budget, period, allocation, delta)
            break
        await allocation.refresh_from_db()
    else:
        raise Conflict(
            "the allocation kept changing under concurrent updates; try again", field="amount"
        )
    updates: dict[str, object] = {}
    if notes is not None:
        updates["notes"] = notes
    if threshold is not None:
        updates["alert_threshold"] = threshold
    if updates:
        await Allocation.filter(id=allocation.id).update(**updates)
    await allocation.refresh_from_db()
    await emit(
        "allocation.changed",
        {"allocationId": allocation.id, "amount": allocation.allocated_micros},
        budget_id=budget.id,
        audience=for_projects(project_id),
    )
    return allocation


async def _move_pool(
    actor: Actor, budget: Budget, period: BudgetPeriod, allocation: Allocation, delta: int
) -> None:
    """Post the journal entry for a change already written to the allocation row."""
    from app.domain.ledger import AccountKind as K
    from app.domain.ledger import EntryKind

    if delta > 0:
        await ledger.take_from_pool(period, delta, budget.currency)
        await ledger.post_entry(
            period,
            EntryKind.ALLOCATE,
            delta,
            src=(K.POOL, period.id, None),
            dst=(K.ALLOCATION, period.id, allocation.id),
            actor_id=actor.user_id,
        )
    else:
        await ledger.give_to_pool(period.id, -delta)
        await ledger.post_entry(
            period,
            EntryKind.RELEASE,
            -delta,
            src=(K.ALLOCATION, period.id, allocation.id),
            dst=(K.POOL, period.id, None),
            actor_id=actor.user_id,
        )


def plan_split(split: Split, items: list[SplitItem], total: int | None) -> list[int]:
    """The amount each item gets, in micros. Shares always add up: nothing is lost to rounding."""
    if not items:
        raise ValidationError("items", "must not be empty")
    ids = [i.project_id for i in items]
    if len(set(ids)) != len(ids):
        raise ValidationError("items", "name each project once")
    if split is Split.EXPLICIT:
        out = []
        for n, item in enumerate(items):
            if item.amount is None:
                raise ValidationError(f"items[{n}].amount", "is required for an EXPLICIT split")
            micros = to_micros(item.amount, field=f"items[{n}].amount")
            if micros < 0:
                raise ValidationError(f"items[{n}].amount", "must not be negative")
            out.append(micros)
        return out
    if total is None:
        raise ValidationError("total", f"is required for an {split.value} split")
    if split is Split.EQUAL:
        return split_evenly(total, len(items))
    weights = []
    for n, item in enumerate(items):
        if item.percent is None:
            raise ValidationError(f"items[{n}].percent", "is required for a PERCENT split")
        weight = to_micros(item.percent, field=f"items[{n}].percent")
        if weight <= 0:
            raise ValidationError(f"items[{n}].percent", "must be greater than zero")
        weights.append(weight)
    hundred = 100 * 1_000_000
    if sum(weights) > hundred:
        raise ValidationError("items", "percentages must add up to at most 100")
    shares = split_by_weights(total, [*weights, hundred - sum(weights)])
    return shares[:-1]


async def allocate_many(
    actor: Actor,
    *,
    budget_id: int,
    split: Split,
    items: list[SplitItem],
    total: Decimal | str | int | None = None,
) -> list[Allocation]:
    """Set several allocations at once, all or nothing."""
    total_micros = None if total is None else to_micros(total, field="total", positive=True)
    amounts = plan_split(split, items, total_micros)
    budget = await lookup.budget(budget_id)
    require_owner(actor, budget.id, "allocate this budget")
    for n, item in enumerate(items):
        await lookup.project(item.project_id, field=f"items[{n}].projectId")
    out = []
    async with in_transaction():
        period = await lookup.open_period(budget)
        need = sum(amounts)
        if need > period.unallocated_micros + period.allocated_micros:
            raise InsufficientFunds("the pool", need, period.unallocated_micros, budget.currency)
        for item, micros in zip(items, amounts, strict=True):
            out.append(await _set(actor, budget, period, item.project_id, micros, None, None))
    return out


async def release_allocation(actor: Actor, *, allocation_id: int) -> Allocation:
    """Return an allocation's remaining funds to the pool; what was spent stays spent."""
    allocation = await lookup.allocation(allocation_id)
    budget = await lookup.budget(allocation.budget_id)  # type: ignore[attr-defined]
    require_owner(actor, budget.id, "release this allocation")
    lookup.writable_budget(budget)
    lookup.writable_project(allocation.project)
    async with in_transaction():
        period = await BudgetPeriod.get(id=allocation.period_id)  # type: ignore[attr-defined]
        if period.status != "OPEN":
            from app.domain.errors import PeriodClosed

            raise PeriodClosed("this allocation's period is closed")
        await allocation.refresh_from_db()
        remaining = allocation.allocated_micros - allocation.spent_micros
        if remaining > 0:
            await ledger.release(
                period, allocation.id, remaining, actor.user_id, currency=budget.currency
            )
        if not await Spend.exists(allocation_id=allocation.id):
            # Nothing was ever spent on it: the envelope leaves the lists (its journal stays).
            await Allocation.filter(id=allocation.id).update(released_at=clock.now())
        await emit(
            "allocation.changed",
            {"allocationId": allocation.id},
            budget_id=budget.id,
            audience=for_projects(allocation.project_id),  # type: ignore[attr-defined]
        )
    await allocation.refresh_from_db()
    return allocation
