"""Writing a checked batch: lock the balances, refuse what would overdraw a hard limit, insert
the spend rows with one executemany, and move the ledger once per allocation (one SPEND entry for
the batch's charges, one REFUND entry for its credits)."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache

from app import clock
from app.domain.access import Actor
from app.domain.errors import InsufficientFunds
from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.domain.pacing import PACE_RULE, daily_drip, pacing_cap
from app.domain.periods import PeriodBounds, local_date
from app.models import Allocation, JournalEntry
from app.services import alerts, idempotency, period_totals
from app.services.batch_items import ERROR, RECORDED, Item, ItemResult
from app.services.events import emit, for_projects
from app.services.sql import execute_many, fetch, is_postgres


async def hold_open_periods(period_ids: set[int]) -> bool:
    """SHARE-lock the batch's periods while they are OPEN (as a single spend does, see
    app.services.spend_post): a close waits for the batch; False when one closed meanwhile."""
    if not period_ids:
        return True
    ids = sorted(period_ids)
    marks = ", ".join("?" * len(ids))
    lock = " FOR SHARE" if is_postgres() else ""
    rows = await fetch(
        f"SELECT id FROM budget_period WHERE id IN ({marks}) AND status = 'OPEN'{lock}", *ids
    )
    return len(rows) == len(ids)


async def read_balances(allocation_ids: set[int], *, lock: bool) -> dict[int, tuple[int, int]]:
    """(allocated, spent) per allocation. With `lock`, a no-op UPDATE takes the row locks
    first (PostgreSQL) or the write lock (SQLite), so the figures cannot move under us."""
    if not allocation_ids:
        return {}
    ids = sorted(allocation_ids)
    marks = ", ".join("?" * len(ids))
    if lock:
        sql = (
            f"UPDATE allocation SET spent_micros = spent_micros WHERE id IN ({marks})"
            " RETURNING id, allocated_micros, spent_micros"
        )
    else:
        sql = f"SELECT id, allocated_micros, spent_micros FROM allocation WHERE id IN ({marks})"
    rows = await fetch(sql, *ids)
    return {r["id"]: (r["allocated_micros"], r["spent_micros"]) for r in rows}


def paced_allocations(items: list[Item]) -> set[int]:
    """Allocations whose budget paces its hard limit (hardLimit and enforcePacing)."""
    return {
        i.allocation.id  # type: ignore[union-attr]
        for i in items
        if i.amount > 0 and i.allocation.budget.hard_limit and i.allocation.budget.enforce_pacing  # type: ignore[union-attr]
    }


async def read_pacing(items: list[Item], paced: set[int]) -> dict[tuple[int, str], int]:
    """For the paced allocations: what each (allocation, local day) of the batch's charges has
    spent so far, from the daily roll-up, keyed by the day's ISO text; the key (id, "held") holds
    the allocation's open holds. One read, and only when a batch touches a paced budget."""
    if not paced:
        return {}
    days = sorted(
        {
            _local_day(i.occurred_at, i.allocation.budget.timezone).isoformat()  # type: ignore[union-attr]
            for i in items
            if i.allocation is not None and i.allocation.id in paced
        }
    )
    ids = sorted(paced)
    rows = await fetch(
        "SELECT a.id AS allocation_id, a.held_micros AS held, d.day AS day,"
        " COALESCE(SUM(d.amount_micros), 0) AS spent FROM allocation a"
        " LEFT JOIN spend_daily d ON d.allocation_id = a.id"
        f" AND d.day IN ({', '.join('?' * len(days))})"
        f" WHERE a.id IN ({', '.join('?' * len(ids))}) GROUP BY a.id, a.held_micros, d.day",
        *[date.fromisoformat(d) for d in days],
        *ids,
    )
    out: dict[tuple[int, str], int] = {}
    for r in rows:
        out[(int(r["allocation_id"]), "held")] = int(r["held"] or 0)
        if r["day"] is not None:
            out[(int(r["allocation_id"]), str(r["day"])[:10])] = int(r["spent"])
    return out


def _pace_cap(item: Item, day: date, start_of_day: int) -> int:
    """Twice the day's drip: what was left at the start of the day over the days left."""
    allocation = item.allocation
    assert allocation is not None
    period = allocation.period
    days_left = PeriodBounds(period.start_date, period.end_date).days_left(day)
    return pacing_cap(daily_drip(start_of_day, days_left))


def _refused(
    item: Item, allocation: Allocation, available: int | None, *, rule: str | None = None
) -> ItemResult:
    """The item's InsufficientFunds: over the hard limit (what is left), or over the day's
    pacing cap (`rule`, no figure: the cap is not the caller's to see)."""
    error = InsufficientFunds(
        f"project {allocation.project.name!r}",
        item.amount,
        available,
        allocation.budget.currency,
        rule=rule,
    )
    return ItemResult(item.index, ERROR, project_id=item.project_id, error=error)


def enforce_hard_limits(
    items: list[Item],
    balances: dict[int, tuple[int, int]],
    results: dict[int, ItemResult],
    pacing: dict[tuple[int, str], int] | None = None,
) -> list[Item]:
    """In a hard-limit budget, an item that would overdraw its allocation is refused (in
    index order: earlier items, credits included, count first).

    `pacing` (from `read_pacing`): in a budget that also enforces pacing, a charge must fit
    its local day's pacing cap too, counting the day's earlier spend and the batch's earlier
    items that day (app.domain.pacing, as for a single recordSpend)."""
    remaining = {aid: allocated - spent for aid, (allocated, spent) in balances.items()}
    allocations = {i.allocation.id: i.allocation for i in items}  # type: ignore[union-attr]
    limited = {aid for aid, a in allocations.items() if a.budget.hard_limit}  # type: ignore[union-attr]
    if not limited:
        return items
    pacing = pacing or {}
    paced = {aid for aid, _ in pacing}
    # Per (allocation, day): [spent that day so far, the day's cap].
    days: dict[tuple[int, str], list[int]] = {}
    live = []
    for item in items:
        allocation = item.allocation
        assert allocation is not None
        if allocation.id in paced:
            day = _local_day(item.occurred_at, allocation.budget.timezone)
            key = (allocation.id, day.isoformat())
            state = days.get(key)
            if state is None:
                spent_day = pacing.get(key, 0)
                allocated, spent = balances[allocation.id]
                start = allocated - spent - pacing[(allocation.id, "held")] + spent_day
                state = days[key] = [spent_day, _pace_cap(item, day, start)]
            fits = remaining[allocation.id] >= item.amount
            if item.amount > 0 and fits and state[0] + item.amount > state[1]:
                results[item.index] = _refused(item, allocation, None, rule=PACE_RULE)
                continue
            if item.amount <= 0 or fits:
                state[0] += item.amount
        if allocation.id in limited and item.amount > 0:
            left = remaining[allocation.id]
            if item.amount > left:
                results[item.index] = _refused(item, allocation, max(0, left))
                continue
        remaining[allocation.id] -= item.amount
        live.append(item)
    return live


@lru_cache(maxsize=65536)
def _local_day(instant: datetime, tz: str) -> date:
    return local_date(instant, tz)


async def _next_spend_ids(count: int) -> list[int]:
    """Ids for the new rows, chosen before the insert so one executemany can write them.

    PostgreSQL hands them out from the table's sequence (safe under concurrency). On SQLite the
    batch already holds the database's write lock (taken in `read_balances`), so max(id) is stable.
    """
    if count == 0:
        return []
    if is_postgres():
        rows = await fetch(
            "SELECT nextval(pg_get_serial_sequence('spend', 'id')) AS id"
            " FROM generate_series(1, ?)",
            count,
        )
        return sorted(r["id"] for r in rows)
    rows = await fetch("SELECT COALESCE(MAX(id), 0) AS top FROM spend")
    top = int(rows[0]["top"])
    return list(range(top + 1, top + 1 + count))


_INSERT_SPEND = (
    "INSERT INTO spend (id, budget_id, allocation_id, project_id, amount_micros, service,"
    " description, occurred_at, local_day, source, external_id, quantity, unit, recorded_by_id,"
    " created_at, tags, amount_text, metadata)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _json(value: dict[str, str] | None) -> str | None:
    """A JSON column's value for the raw INSERT (text: SQLite stores it, PostgreSQL casts it)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


_UPSERT_DAILY = (
    "INSERT INTO spend_daily (period_id, allocation_id, day, service, amount_micros, count)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (allocation_id, day, service) DO UPDATE SET"
    " amount_micros = spend_daily.amount_micros + excluded.amount_micros,"
    " count = spend_daily.count + excluded.count"
)


async def write(
    actor: Actor,
    items: list[Item],
    balances: dict[int, tuple[int, int]],
    results: dict[int, ItemResult],
) -> None:
    now = clock.now()
    ids = await _next_spend_ids(len(items))
    spend_rows: list[list[object]] = []
    daily: dict[tuple[int, int, date, str], list[int]] = {}
    moved: dict[int, list[int]] = {}  # allocation id -> [charges, credits, count, first spend]
    by_allocation: dict[int, Allocation] = {}
    # Per allocation once: (budget id, time zone, period id); relation lookups are not free.
    facts: dict[int, tuple[int, str, int]] = {}
    user_id = actor.user_id
    for item, spend_id in zip(items, ids, strict=True):
        allocation = item.allocation
        assert allocation is not None
        allocation_id = allocation.id
        fact = facts.get(allocation_id)
        if fact is None:
            budget = allocation.budget
            fact = facts[allocation_id] = (budget.id, budget.timezone, allocation.period_id)  # type: ignore[attr-defined]
            by_allocation[allocation_id] = allocation
        amount = item.amount
        day = _local_day(item.occurred_at, fact[1])
        spend_rows.append(
            [
                spend_id,
                fact[0],
                allocation_id,
                item.project_id,
                amount,
                item.service,
                item.description,
                item.occurred_at,
                day,
                item.source,
                item.external_id,
                item.quantity,
                item.unit,
                user_id,
                now,
                _json(item.tags),
                item.amount_text,
                _json(item.metadata),
            ]
        )
        bucket = daily.setdefault((fact[2], allocation_id, day, item.service or ""), [0, 0])
        bucket[0] += amount
        bucket[1] += 1
        move = moved.setdefault(allocation_id, [0, 0, 0, spend_id])
        move[0 if amount > 0 else 1] += amount
        move[2] += 1
        results[item.index] = ItemResult(
            item.index, RECORDED, spend_id, None, item.project_id, amount
        )
    await execute_many(_INSERT_SPEND, spend_rows)
    await execute_many(_UPSERT_DAILY, [[*k, v[0], v[1]] for k, v in daily.items()])
    for allocation_id, (charges, credits, count, first) in moved.items():
        await _post(actor, by_allocation[allocation_id], charges, credits, count, first)
    # After the allocations' rows: the totals' rows are taken last (app.services.period_totals).
    await period_totals.add((*key, amount, n) for key, (amount, n) in daily.items())
    for item in items:
        if item.idempotency_key is not None:
            await idempotency.remember(
                actor,
                "recordSpend",
                item.idempotency_key,
                item.content(),
                results[item.index].spend_id or 0,
            )
    for allocation_id, (charges, credits, _count, _first) in moved.items():
        allocation = by_allocation[allocation_id]
        allocated, before = balances[allocation_id]
        await alerts.after_spend(
            allocation.budget,
            allocation.period,
            allocation,
            allocated,
            before,
            before + charges + credits,
        )


async def _post(
    actor: Actor, allocation: Allocation, charges: int, credits: int, count: int, first: int
) -> None:
    """Move the batch's net amount on the cached balances and journal it: one SPEND entry for
    the charges, one REFUND entry for the credits (journal amounts are positive)."""
    net = charges + credits
    period_id = allocation.period_id  # type: ignore[attr-defined]
    await fetch(
        "UPDATE allocation SET spent_micros = spent_micros + ? WHERE id = ? RETURNING id",
        net,
        allocation.id,
    )
    single = first if count == 1 else None
    memo = None if count == 1 else f"recordSpends batch of {count} spends from spd_{first}"
    here = (K.ALLOCATION.value, period_id, allocation.id)
    spent = (K.SPENT.value, period_id, None)
    for kind, amount, src, dst in (
        (EntryKind.SPEND, charges, here, spent),
        (EntryKind.REFUND, -credits, spent, here),
    ):
        if amount:
            await JournalEntry.create(
                budget_id=allocation.budget_id,
                kind=kind.value,  # type: ignore[attr-defined]
                from_kind=src[0],
                from_period_id=src[1],
                from_allocation_id=src[2],
                to_kind=dst[0],
                to_period_id=dst[1],
                to_allocation_id=dst[2],
                amount_micros=amount,
                actor_id=actor.user_id,
                spend_id=single,
                memo=memo,
            )
    await emit(
        "spend.recorded",
        {"allocationId": allocation.id, "amount": net, "count": count, "spendId": first},
        budget_id=allocation.budget_id,  # type: ignore[attr-defined]
        audience=for_projects(allocation.project_id),  # type: ignore[attr-defined]
    )


__all__ = [
    "enforce_hard_limits",
    "execute_many",
    "paced_allocations",
    "read_balances",
    "read_pacing",
    "write",
]
