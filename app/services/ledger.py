"""Posting to the journal. Call inside a transaction: each function writes one immutable entry
and updates the cached balances with conditional UPDATEs, which hold the rules under
concurrency on SQLite and PostgreSQL alike (no SELECT … FOR UPDATE)."""

from __future__ import annotations

from app.domain.errors import InsufficientFunds, PeriodClosed
from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.models import Allocation, BudgetPeriod, JournalEntry
from app.services.sql import fetch


async def post_entry(
    period: BudgetPeriod,
    kind: EntryKind,
    amount: int,
    *,
    src: tuple[K, int | None, int | None],
    dst: tuple[K, int | None, int | None],
    actor_id: int | None,
    spend_id: int | None = None,
    transfer_id: int | None = None,
    memo: str | None = None,
) -> JournalEntry:
    """Write one journal entry (the cached balances are the caller's conditional UPDATEs)."""
    row = entry(
        period.budget_id,  # type: ignore[attr-defined]
        kind,
        amount,
        src=src,
        dst=dst,
        actor_id=actor_id,
        spend_id=spend_id,
        transfer_id=transfer_id,
        memo=memo,
    )
    await row.save()
    return row


async def take_from_pool(period: BudgetPeriod, amount: int, currency: str = "") -> None:
    rows = await fetch(
        "UPDATE budget_period SET unallocated_micros = unallocated_micros - ?,"
        " allocated_micros = allocated_micros + ?"
        " WHERE id = ? AND unallocated_micros >= ? AND status = 'OPEN'"
        " RETURNING unallocated_micros",
        amount,
        amount,
        period.id,
        amount,
    )
    if not rows:
        current, status = await BudgetPeriod.get(id=period.id).values_list(
            "unallocated_micros", "status"
        )
        if status != "OPEN":  # closed by a concurrent close since the caller loaded it
            raise PeriodClosed("the budget period closed meanwhile; try again")
        raise InsufficientFunds("the pool", amount, int(current), currency)  # type: ignore[arg-type]


async def hold_period(period_id: int) -> None:
    """Lock the period row first (a no-op UPDATE), before any allocation row.

    Every writer in a period takes its row before allocation rows (spend and close do too), so
    on PostgreSQL two transactions never wait on each other's rows in opposite order (no
    deadlock between, say, a transfer A→B and one B→A, or a spend and a release).
    """
    rows = await fetch(
        "UPDATE budget_period SET status = status WHERE id = ? AND status = 'OPEN' RETURNING id",
        period_id,
    )
    if not rows:
        raise PeriodClosed("the budget period closed meanwhile; try again")


async def give_to_pool(period_id: int, amount: int) -> None:
    await fetch(
        "UPDATE budget_period SET unallocated_micros = unallocated_micros + ?,"
        " allocated_micros = allocated_micros - ? WHERE id = ? RETURNING id",
        amount,
        amount,
        period_id,
    )


async def fund(period: BudgetPeriod, amount: int, actor_id: int | None) -> None:
    """Money into (or, negative, out of) a period's pool from the budget's funding account."""
    if amount >= 0:
        await fetch(
            "UPDATE budget_period SET funded_micros = funded_micros + ?,"
            " unallocated_micros = unallocated_micros + ? WHERE id = ? RETURNING id",
            amount,
            amount,
            period.id,
        )
        await post_entry(
            period,
            EntryKind.FUND,
            amount,
            src=(K.FUNDING, period.id, None),
            dst=(K.POOL, period.id, None),
            actor_id=actor_id,
        )
        return
    take = -amount
    rows = await fetch(
        "UPDATE budget_period SET funded_micros = funded_micros - ?,"
        " unallocated_micros = unallocated_micros - ?"
        " WHERE id = ? AND unallocated_micros >= ? RETURNING id",
        take,
        take,
        period.id,
        take,
    )
    if not rows:
        current = await BudgetPeriod.get(id=period.id).values_list("unallocated_micros", flat=True)
        raise InsufficientFunds("the pool", take, int(current))  # type: ignore[arg-type]
    await post_entry(
        period,
        EntryKind.DEFUND,
        take,
        src=(K.POOL, period.id, None),
        dst=(K.FUNDING, period.id, None),
        actor_id=actor_id,
    )


async def allocate(
    period: BudgetPeriod,
    allocation_id: int,
    amount: int,
    actor_id: int | None,
    currency: str = "",
    transfer_id: int | None = None,
    memo: str | None = None,
) -> None:
    """Pool → allocation; the pool never goes negative."""
    await take_from_pool(period, amount, currency)
    await fetch(
        "UPDATE allocation SET allocated_micros = allocated_micros + ? WHERE id = ? RETURNING id",
        amount,
        allocation_id,
    )
    await post_entry(
        period,
        EntryKind.ALLOCATE,
        amount,
        src=(K.POOL, period.id, None),
        dst=(K.ALLOCATION, period.id, allocation_id),
        actor_id=actor_id,
        transfer_id=transfer_id,
        memo=memo,
    )


async def release(
    period: BudgetPeriod,
    allocation_id: int,
    amount: int,
    actor_id: int | None,
    label: str = "the allocation",
    currency: str = "",
    transfer_id: int | None = None,
    memo: str | None = None,
) -> None:
    """Allocation → pool; needs the allocation's remaining funds."""
    await hold_period(period.id)
    rows = await fetch(
        "UPDATE allocation SET allocated_micros = allocated_micros - ?"
        " WHERE id = ? AND allocated_micros - spent_micros >= ? RETURNING id",
        amount,
        allocation_id,
        amount,
    )
    if not rows:
        a = await Allocation.get(id=allocation_id)
        raise InsufficientFunds(
            label, amount, max(0, a.allocated_micros - a.spent_micros), currency
        )
    await give_to_pool(period.id, amount)
    await post_entry(
        period,
        EntryKind.RELEASE,
        amount,
        src=(K.ALLOCATION, period.id, allocation_id),
        dst=(K.POOL, period.id, None),
        actor_id=actor_id,
        transfer_id=transfer_id,
        memo=memo,
    )


async def reallocate(
    period: BudgetPeriod,
    from_id: int,
    to_id: int,
    amount: int,
    actor_id: int | None,
    label: str = "the source allocation",
    currency: str = "",
    transfer_id: int | None = None,
    memo: str | None = None,
) -> None:
    """Allocation → allocation in the same period; needs the source's remaining funds."""
    await hold_period(period.id)
    rows = await fetch(
        "UPDATE allocation SET allocated_micros = allocated_micros - ?"
        " WHERE id = ? AND allocated_micros - spent_micros >= ? RETURNING id",
        amount,
        from_id,
        amount,
    )
    if not rows:
        a = await Allocation.get(id=from_id)
        raise InsufficientFunds(
            label, amount, max(0, a.allocated_micros - a.spent_micros), currency
        )
    await fetch(
        "UPDATE allocation SET allocated_micros = allocated_micros + ? WHERE id = ? RETURNING id",
        amount,
        to_id,
    )
    await post_entry(
        period,
        EntryKind.REALLOCATE,
        amount,
        src=(K.ALLOCATION, period.id, from_id),
        dst=(K.ALLOCATION, period.id, to_id),
        actor_id=actor_id,
        transfer_id=transfer_id,
        memo=memo,
    )


# Set-based posting, for closing a period with many allocations in a few statements.

_CHUNK_ROWS = 500


def entry(
    budget_id: int,
    kind: EntryKind,
    amount: int,
    *,
    src: tuple[K, int | None, int | None],
    dst: tuple[K, int | None, int | None],
    actor_id: int | None,
    spend_id: int | None = None,
    transfer_id: int | None = None,
    memo: str | None = None,
) -> JournalEntry:
    """An unsaved entry (amounts are positive; src → dst is the direction)."""
    return JournalEntry(
        budget_id=budget_id,
        kind=kind.value,
        from_kind=src[0].value,
        from_period_id=src[1],
        from_allocation_id=src[2],
        to_kind=dst[0].value,
        to_period_id=dst[1],
        to_allocation_id=dst[2],
        amount_micros=amount,
        actor_id=actor_id,
        spend_id=spend_id,
        transfer_id=transfer_id,
        memo=memo,
    )


def rollover_entry(
    budget_id: int,
    from_period: int,
    to_period: int,
    from_allocation: int | None,
    to_allocation: int | None,
    carry: int,
    actor_id: int | None,
) -> JournalEntry:
    """A ROLLOVER of `carry` from an envelope of the closed period to its successor.

    Allocation to allocation (or pool to pool when both allocations are None). A negative carry
    (CARRY_ALL of an overspent envelope) is posted the other way round: the next envelope pays
    the old one's debt, so the old one ends at exactly zero remaining and the new one starts
    that much lower. Either way `replay` moves `allocated` (or `unallocated`) between the two.
    """
    kind = K.POOL if from_allocation is None else K.ALLOCATION
    old, new = (kind, from_period, from_allocation), (kind, to_period, to_allocation)
    src, dst = (old, new) if carry >= 0 else (new, old)
    return entry(
        budget_id,
        EntryKind.ROLLOVER,
        abs(carry),
        src=src,
        dst=dst,
        actor_id=actor_id,
        memo="rollover",
    )


async def post_entries(entries: list[JournalEntry]) -> None:
    if entries:
        await JournalEntry.bulk_create(entries, batch_size=_CHUNK_ROWS)


async def add_to_allocations(deltas: dict[int, int]) -> None:
    """allocated_micros += delta for many allocations, in a few chunked statements."""
    items = [(k, v) for k, v in deltas.items() if v]
    for start in range(0, len(items), _CHUNK_ROWS):
        chunk = items[start : start + _CHUNK_ROWS]
        values = ", ".join(["(CAST(? AS BIGINT), CAST(? AS BIGINT))"] * len(chunk))
        params = [x for pair in chunk for x in pair]
        await fetch(
            f"WITH delta(id, amount) AS (VALUES {values})"
            " UPDATE allocation SET allocated_micros = allocated_micros"
            " + (SELECT amount FROM delta WHERE delta.id = allocation.id)"
            " WHERE id IN (SELECT id FROM delta) RETURNING id",
            *params,
        )
