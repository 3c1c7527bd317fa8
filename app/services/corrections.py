"""Corrections of recorded spend: void, refund and move, as new reversing entries.

Nothing is rewritten. A correction is a new spend row (`corrects_id` names the spend it
corrects, `correction_kind` VOID, REFUND or MOVE, `correction_reason` why) with its journal
entry (kind REVERSAL, or REFUND for a partial credit) between the allocation and the spent
account. The corrected row keeps its amount; `reversed_micros` caches how much of it has been
given back, updated with a conditional UPDATE so two corrections can never give back more than
the spend (nor void it twice), and a void or a move marks it voided with who, when and why.

Where a correction lands: in the open period. A spend of a period that is still open is
corrected on its own allocation; one of a closed period is corrected on the project's
allocation in the budget's open period (created empty if needed), as a late charge lands today
(app.services.spending), so a closed period's figures never change.

The corrected row keeps its source and externalId, so an import's re-run still finds it and
answers "duplicate": a voided cost is not recorded again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import (
    Actor,
    can_correct_spend,
    can_move_spend,
    require,
)
from app.domain.errors import (
    CurrencyMismatch,
    InsufficientFunds,
    InvalidState,
    NotFound,
    PeriodClosed,
    ValidationError,
)
from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.domain.money import from_micros, to_micros
from app.domain.periods import local_date
from app.models import Allocation, Budget, Spend
from app.services import alerts, ledger, lookup, period_totals
from app.services.events import emit, for_projects
from app.services.sql import fetch

VOID = "VOID"
REFUND = "REFUND"
MOVE = "MOVE"

#: The source of a reversal row (a moved spend's new row keeps the cost's own source).
CORRECTION = "correction"

#: The most spends one moveSpends call moves (one transaction).
MAX_MOVE = 500


@dataclass(frozen=True)
class Moved:
    """A moved spend: the reversal on the old allocation and the new spend on the new one."""

    original: Spend
    reversal: Spend
    spend: Spend


@dataclass(frozen=True)
class SpendFilter:
    """Which spends moveSpends moves: those of one allocation, or of one project (in one
    budget, when given), optionally narrowed by service, source and occurrence time."""

    allocation_id: int | None = None
    project_id: int | None = None
    budget_id: int | None = None
    service: str | None = None
    source: str | None = None
    occurred_from: datetime | None = None
    occurred_before: datetime | None = None


T = TypeVar("T")


async def _atomic(call: Callable[[], Awaitable[T]]) -> T:
    """One transaction; when the open period closes meanwhile, again in the next one."""
    for attempt in range(3):
        try:
            async with in_transaction():
                return await call()
        except PeriodClosed:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _reason(reason: str) -> str:
    return rules.name(reason, "reason", 2000)


async def _spend(spend_id: int) -> Spend:
    row = await Spend.get_or_none(id=spend_id)
    if row is None:
        raise NotFound("Spend", spend_id, field="spendId")
    return row


def is_reversal(row: Spend) -> bool:
    """A row that gives money back for another (a void, a refund, a move's old side)."""
    return row.source == CORRECTION and row.corrects_id is not None


def remaining(row: Spend) -> int:
    """What corrections may still give back of a spend (signed like its amount)."""
    return row.amount_micros - row.reversed_micros


async def writable(budget: Budget, project_id: int) -> None:
    """Archived budgets and projects are read-only."""
    lookup.writable_budget(budget)
    lookup.writable_project(await lookup.project(project_id))


async def _open_allocation(budget: Budget, project_id: int, allocation_id: int) -> Allocation:
    """The allocation a correction lands on: the spend's own when its period is open, else
    the project's envelope in the budget's open period (created empty when it has none)."""
    row = await Allocation.get(id=allocation_id).select_related("period", "project")
    if row.period.status == "OPEN":
        return row
    period = await lookup.open_period(budget)
    found = await Allocation.get_or_none(period_id=period.id, project_id=project_id)
    if found is None:
        found = await Allocation.create(
            budget_id=budget.id, period_id=period.id, project_id=project_id
        )
    found.period = period
    found.project = row.project
    return found


async def _claim(row: Spend, amount: int, actor: Actor, void_reason: str | None) -> None:
    """Take `amount` (signed like the spend) of what remains of it; a void also marks it.

    One conditional UPDATE: a concurrent correction cannot give back the same money twice,
    nor void a spend already voided."""
    now = clock.now()
    sets = "reversed_micros = reversed_micros + ?"
    params: list[object] = [amount]
    if void_reason is not None:
        sets += ", voided_at = ?, voided_by_id = ?, void_reason = ?"
        params += [now, actor.user_id, void_reason]
    cond = (
        "amount_micros - reversed_micros >= ?"
        if row.amount_micros > 0
        else "amount_micros - reversed_micros <= ?"
    )
    done = await fetch(
        f"UPDATE spend SET {sets} WHERE id = ? AND voided_at IS NULL AND {cond} RETURNING id",
        *params,
        row.id,
        amount,
    )
    if not done:
        await row.refresh_from_db()
        if row.voided_at is not None:
            raise InvalidState(f"spend {row.id} is already voided")
        raise ValidationError(
            "amount",
            f"must be at most what remains of the spend ({from_micros(abs(remaining(row)))})",
        )


async def _post(
    actor: Actor,
    budget: Budget,
    allocation: Allocation,
    amount: int,
    *,
    occurred_at: datetime,
    source: str,
    template: Spend,
    corrects: int,
    kind: str,
    reason: str,
    entry_kind: EntryKind,
    external_id: str | None = None,
) -> Spend:
    """One spend row (a charge if amount > 0, a credit if < 0) on an open allocation, with its
    balance, daily roll-up, journal entry and event. Inside the caller's transaction."""
    await ledger.hold_period(allocation.period_id)  # type: ignore[attr-defined]
    limit = ""
    if budget.hard_limit and amount > 0:
        limit = " AND allocated_micros - spent_micros - held_micros >= ?"
    updated = await fetch(
        "UPDATE allocation SET spent_micros = spent_micros + ? WHERE id = ?"
        f"{limit} RETURNING allocated_micros, spent_micros",
        amount,
        allocation.id,
        *([amount] if limit else []),
    )
    if not updated:
        a = await Allocation.get(id=allocation.id).select_related("project")
        raise InsufficientFunds(
            f"project {a.project.name!r}",
            amount,
            max(0, a.allocated_micros - a.spent_micros - a.held_micros),
            budget.currency,
        )
    day = local_date(occurred_at, budget.timezone)
    row = await Spend.create(
        budget_id=budget.id,
        allocation_id=allocation.id,
        project_id=allocation.project_id,  # type: ignore[attr-defined]
        amount_micros=amount,
        service=template.service,
        description=template.description,
        occurred_at=occurred_at,
        local_day=day,
        source=source,
        external_id=external_id,
        quantity=template.quantity,
        unit=template.unit,
        tags=template.tags,
        amount_text=None,
        metadata=template.metadata,
        recorded_by_id=actor.user_id,
        created_at=clock.now(),  # the service clock, as every other spend row (reports show it)
        corrects_id=corrects,
        correction_kind=kind,
        correction_reason=reason,
    )
    await fetch(
        "INSERT INTO spend_daily (period_id, allocation_id, day, service, amount_micros, count)"
        " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (allocation_id, day, service) DO UPDATE SET"
        " amount_micros = spend_daily.amount_micros + excluded.amount_micros,"
        " count = spend_daily.count + excluded.count RETURNING id",
        allocation.period_id,  # type: ignore[attr-defined]
        allocation.id,
        day,
        template.service or "",
        amount,
    )
    await period_totals.add(
        [(allocation.period_id, allocation.id, day, template.service or "", amount, 1)]  # type: ignore[attr-defined]
    )
    here = (K.ALLOCATION, allocation.period_id, allocation.id)  # type: ignore[attr-defined]
    spent = (K.SPENT, allocation.period_id, None)  # type: ignore[attr-defined]
    src, dst = (here, spent) if amount >= 0 else (spent, here)
    await ledger.post_entry(
        allocation.period,
        entry_kind,
        abs(amount),
        src=src,
        dst=dst,
        actor_id=actor.user_id,
        spend_id=row.id,
        memo=f"{kind.lower()} of spend {corrects}: {reason}",
    )
    await emit(
        "spend.recorded",  # a correction is a spend record too (correctionKind says which)
        {
            "spendId": row.id,
            "correctsSpendId": corrects,
            "correctionKind": kind,
            "allocationId": allocation.id,
            "amount": amount,
        },
        budget_id=budget.id,
        audience=for_projects(allocation.project_id),  # type: ignore[attr-defined]
    )
    if amount > 0:
        allocated, spent_after = (
            int(updated[0]["allocated_micros"]),
            int(updated[0]["spent_micros"]),
        )
        await alerts.after_spend(
            budget, allocation.period, allocation, allocated, spent_after - amount, spent_after
        )
    return row


async def _reverse(
    actor: Actor, row: Spend, budget: Budget, amount: int, kind: str, reason: str
) -> Spend:
    """Give back `amount` (signed like the spend) of `row` on the open allocation."""
    allocation = await _open_allocation(budget, row.project_id, row.allocation_id)  # type: ignore[attr-defined]
    await _claim(row, amount, actor, reason if kind in (VOID, MOVE) else None)
    return await _post(
        actor,
        budget,
        allocation,
        -amount,
        occurred_at=clock.now(),
        source=CORRECTION,
        template=row,
        corrects=row.id,
        kind=kind,
        reason=reason,
        entry_kind=EntryKind.REVERSAL if kind != REFUND else EntryKind.REFUND,
    )


async def _correctable(actor: Actor, spend_id: int, what: str) -> tuple[Spend, Budget]:
    row = await _spend(spend_id)
    budget = await lookup.budget(row.budget_id)  # type: ignore[attr-defined]
    require(can_correct_spend(actor, budget.id, row.project_id), what)  # type: ignore[attr-defined]
    await writable(budget, row.project_id)  # type: ignore[attr-defined]
    if is_reversal(row):
        raise InvalidState(
            f"spend {row.id} is itself a correction ({row.correction_kind}); correct the "
            f"original spend {row.corrects_id} instead"
        )
    return row, budget


async def void_spend(actor: Actor, *, spend_id: int, reason: str) -> Spend:
    """Reverse a spend in full (what refunds left of it) and mark it voided."""
    why = _reason(reason)
    row, budget = await _correctable(actor, spend_id, "void this spend")
    if row.voided_at is not None:
        raise InvalidState(f"spend {row.id} is already voided")
    if remaining(row) == 0:
        raise InvalidState(f"spend {row.id} was refunded in full; nothing remains to void")
    await _atomic(lambda: _reverse(actor, row, budget, remaining(row), VOID, why))
    await row.refresh_from_db()
    return row


async def refund_spend(
    actor: Actor, *, spend_id: int, amount: Decimal | str | int, reason: str
) -> tuple[Spend, Spend]:
    """A partial credit of a spend, at most what remains of it. Returns (spend, credit)."""
    micros = to_micros(amount, field="amount")
    if micros <= 0:
        raise ValidationError("amount", "must be greater than zero")
    why = _reason(reason)
    row, budget = await _correctable(actor, spend_id, "refund this spend")
    if row.amount_micros < 0:
        raise InvalidState(f"spend {row.id} is a credit; void it to reverse it")
    if row.voided_at is not None:
        raise InvalidState(f"spend {row.id} is voided; nothing remains to refund")
    if micros > remaining(row):
        raise ValidationError(
            "amount",
            f"must be at most what remains of the spend ({from_micros(remaining(row))})",
        )
    credit = await _atomic(lambda: _reverse(actor, row, budget, micros, REFUND, why))
    await row.refresh_from_db()
    return row, credit


async def _target(
    actor: Actor, row: Spend, to_project_id: int | None, to_allocation_id: int | None
) -> tuple[Allocation, Budget]:
    """Where a moved spend goes: an allocation, or a project's envelope in the same budget
    (else in the only budget the actor may spend it in), in the open period."""
    if (to_project_id is None) == (to_allocation_id is None):
        raise ValidationError("toProjectId", "give exactly one of toProjectId and toAllocationId")
    if to_allocation_id is not None:
        target = await lookup.allocation(to_allocation_id, field="toAllocationId")
        budget = await lookup.budget(target.budget_id)  # type: ignore[attr-defined]
        return target, budget
    assert to_project_id is not None
    await lookup.project(to_project_id, field="toProjectId")
    same = await Allocation.filter(
        budget_id=row.budget_id,  # type: ignore[attr-defined]
        project_id=to_project_id,
        period__status="OPEN",
    ).first()
    if same is not None:
        return same, await lookup.budget(same.budget_id)  # type: ignore[attr-defined]
    from app.services.spending import resolve_allocation

    return await resolve_allocation(actor, to_project_id, None)


async def _move_one(
    actor: Actor, row: Spend, to_project_id: int | None, to_allocation_id: int | None, why: str
) -> Moved:
    source_budget = await lookup.budget(row.budget_id)  # type: ignore[attr-defined]
    target, budget = await _target(actor, row, to_project_id, to_allocation_id)
    require(
        can_move_spend(
            actor,
            source_budget.id,
            row.project_id,  # type: ignore[attr-defined]
            budget.id,
            target.project_id,  # type: ignore[attr-defined]
        ),
        f"move spend {row.id} there",
    )
    await writable(source_budget, row.project_id)  # type: ignore[attr-defined]
    await writable(budget, target.project_id)  # type: ignore[attr-defined]
    if is_reversal(row):
        raise InvalidState(f"spend {row.id} is a correction; move the original spend instead")
    if row.voided_at is not None:
        raise InvalidState(f"spend {row.id} is voided (or was moved before)")
    if budget.currency != source_budget.currency:
        raise CurrencyMismatch(
            f"spend {row.id} is in {source_budget.currency} but the target budget is in "
            f"{budget.currency}; no exchange rate is configured"
        )
    if target.id == row.allocation_id:  # type: ignore[attr-defined]
        raise ValidationError("toAllocationId", "is the allocation the spend is already on")
    amount = remaining(row)
    if amount == 0:
        raise InvalidState(f"spend {row.id} was refunded in full; nothing remains to move")
    target = await _open_allocation(budget, target.project_id, target.id)  # type: ignore[attr-defined]
    reversal = await _reverse(actor, row, source_budget, amount, MOVE, why)
    # The new row keeps the cost's source and externalId where the target project does not
    # have them yet, so an import routed there later finds it (a duplicate, not a new cost).
    external_id = row.external_id
    if external_id is not None and await Spend.exists(
        source=row.source,
        external_id=external_id,
        project_id=target.project_id,  # type: ignore[attr-defined]
    ):
        external_id = None
    try:
        async with in_transaction():
            moved = await _post(
                actor,
                budget,
                target,
                amount,
                occurred_at=row.occurred_at,
                source=row.source,
                template=row,
                corrects=row.id,
                kind=MOVE,
                reason=why,
                entry_kind=EntryKind.SPEND,
                external_id=external_id,
            )
    except IntegrityError as exc:  # pragma: no cover - a concurrent writer took the id
        raise InvalidState(f"spend {row.id} could not be moved: {exc}") from exc
    await row.refresh_from_db()
    return Moved(row, reversal, moved)


async def move_spend(
    actor: Actor,
    *,
    spend_id: int,
    reason: str,
    to_project_id: int | None = None,
    to_allocation_id: int | None = None,
) -> Moved:
    """Move a spend to another allocation (same budget or another): one transaction of a
    reversal on the old side and a new spend on the new side."""
    why = _reason(reason)
    row = await _spend(spend_id)
    budget = await lookup.budget(row.budget_id)  # type: ignore[attr-defined]
    require(can_correct_spend(actor, budget.id, row.project_id), "move this spend")  # type: ignore[attr-defined]
    return await _atomic(lambda: _move_one(actor, row, to_project_id, to_allocation_id, why))


async def move_spends(
    actor: Actor,
    *,
    spend_filter: SpendFilter,
    reason: str,
    to_project_id: int | None = None,
    to_allocation_id: int | None = None,
) -> list[Moved]:
    """Move every live spend matching the filter, all or nothing, in one transaction."""
    why = _reason(reason)
    f = spend_filter
    if (f.allocation_id is None) == (f.project_id is None):
        raise ValidationError("filter", "give exactly one of allocationId and projectId")
    query = Spend.filter(voided_at=None).exclude(source=CORRECTION)
    if f.allocation_id is not None:
        allocation = await lookup.allocation(f.allocation_id, field="filter.allocationId")
        query = query.filter(allocation_id=allocation.id)
        require(
            can_correct_spend(actor, allocation.budget_id, allocation.project_id),  # type: ignore[attr-defined]
            "move this allocation's spend",
        )
    else:
        assert f.project_id is not None
        await lookup.project(f.project_id, field="filter.projectId")
        query = query.filter(project_id=f.project_id)
    if f.budget_id is not None:
        query = query.filter(budget_id=f.budget_id)
    if f.service is not None:
        query = query.filter(service=f.service)
    if f.source is not None:
        query = query.filter(source=f.source)
    if f.occurred_from is not None:
        query = query.filter(occurred_at__gte=f.occurred_from)
    if f.occurred_before is not None:
        query = query.filter(occurred_at__lt=f.occurred_before)
    rows = await query.order_by("id").limit(MAX_MOVE + 1)
    if len(rows) > MAX_MOVE:
        raise ValidationError("filter", f"matches more than {MAX_MOVE} spends; narrow it")
    for r in rows:  # the permission check first: no partial answer about other projects
        require(can_correct_spend(actor, r.budget_id, r.project_id), "move these spends")  # type: ignore[attr-defined]

    async def move_all() -> list[Moved]:
        out: list[Moved] = []
        for r in rows:
            if remaining(r) == 0:
                continue
            out.append(await _move_one(actor, r, to_project_id, to_allocation_id, why))
        return out

    return await _atomic(move_all)


__all__ = [
    "MAX_MOVE",
    "Moved",
    "SpendFilter",
    "move_spend",
    "move_spends",
    "refund_spend",
    "remaining",
    "void_spend",
    "writable",
]
