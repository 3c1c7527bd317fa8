"""Recording many spends at once (`recordSpends`, imports): one transaction per batch.

Every item gets its own result, by index: recorded, a duplicate of an earlier externalId (or
idempotency key) with the same content, or the domain error that refused it. Good items are
recorded and bad ones reported; an item is never half-written, because all writes of a batch
commit together.

Speed comes from doing per batch what `record_spend` does per item: allocations are resolved
and authorized once per (project, budget), externalIds are checked with one query per 500,
spend rows go in with one executemany, and the ledger moves once per allocation: one SPEND entry
for the batch's charges and one REFUND entry for its credits. The spend rows are the line items;
the journal holds the account movements (a bank posts a batch the same way), and `allot verify`
still replays every balance from it exactly.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import Actor, can_record_spend
from app.domain.errors import (
    AllotError,
    AmbiguousReference,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.domain.money import parse_decimal, to_micros
from app.domain.periods import local_date
from app.models import Allocation, Budget, JournalEntry, Project
from app.services import alerts, idempotency
from app.services.events import emit
from app.services.spending import SpendInput
from app.services.sql import conn, fetch, is_postgres

MAX_ITEMS = 10_000
_ONE_DAY = timedelta(days=1)
_LOOKUP_CHUNK = 500
# SQLite takes 32,766 parameters per statement since 3.32 (999 before).
_SQLITE_IN_CHUNK = 5_000 if sqlite3.sqlite_version_info >= (3, 32) else 900

RECORDED, DUPLICATE, ERROR = "recorded", "duplicate", "error"


@dataclass(slots=True)
class ItemResult:
    index: int
    status: str  # RECORDED, DUPLICATE or ERROR
    spend_id: int | None = None
    error: AllotError | None = None
    project_id: int | None = None
    amount: int = 0


@dataclass(slots=True)
class Item:
    """One validated spend: amount in micros, texts trimmed, time aware."""

    index: int
    project_id: int
    budget_id: int | None
    amount: int
    occurred_at: datetime
    source: str = "api"
    service: str | None = None
    description: str | None = None
    external_id: str | None = None
    quantity: str | None = None
    unit: str | None = None
    currency: str | None = None
    idempotency_key: str | None = None
    # Filled while recording.
    allocation: Allocation | None = field(default=None, repr=False)

    def content(self) -> dict[str, object]:
        """What an idempotency key promises (the same shape `record_spend` remembers)."""
        return {
            "projectId": self.project_id, "amount": self.amount, "service": self.service,
            "description": self.description, "occurredAt": self.occurred_at.isoformat(),
            "quantity": self.quantity, "unit": self.unit,
        }


def validate(
    index: int, item: SpendInput, now: datetime, *, allow_credit: bool = False,
    round_half_even: bool = False,
) -> Item:
    """The checks `record_spend` makes, with fields named `items[i].…`."""
    try:
        return _validate(index, item, now, allow_credit, round_half_even)
    except ValidationError as exc:
        raise ValidationError(f"items[{index}].{exc.field}", exc.rule) from None


def _validate(
    index: int, item: SpendInput, now: datetime, allow_credit: bool, round_half_even: bool
) -> Item:
    if item.amount is None:  # usage priced by a rate card goes through recordSpend for now
        raise ValidationError("amount", "is required in a batch (price usage with recordSpend)")
    amount = to_micros(item.amount, field="amount", round_half_even=round_half_even)
    if amount == 0 or (amount < 0 and not allow_credit):
        raise ValidationError("amount", "must be greater than zero")
    occurred_at = item.occurred_at or now
    if occurred_at.tzinfo is None:
        raise ValidationError("occurredAt", "must include a time zone offset, e.g. Z")
    if occurred_at > now + _ONE_DAY:
        raise ValidationError("occurredAt", "must not be in the future")
    text = rules.text
    return Item(
        index, item.project_id, item.budget_id, amount, occurred_at, item.source,
        None if item.service is None else text(item.service, "service", 200),
        None if item.description is None else text(item.description, "description"),
        None if item.external_id is None else text(item.external_id, "externalId", 255),
        None if item.quantity is None else str(parse_decimal(item.quantity, field="quantity")),
        None if item.unit is None else text(item.unit, "unit", 64),
        None if item.currency is None else rules.currency(item.currency),
        item.idempotency_key,
    )


async def record_spends(
    actor: Actor, items: Sequence[SpendInput | AllotError], *, allow_credit: bool = False,
    round_half_even: bool = False,
) -> list[ItemResult]:
    """Record up to `MAX_ITEMS` spends in one transaction; one result per item, in order.

    An item may already be an error (the caller could not even read it): it is reported as is.
    """
    if len(items) > MAX_ITEMS:
        raise ValidationError("items", f"must hold at most {MAX_ITEMS} items, got {len(items)}")
    now = clock.now()
    results: dict[int, ItemResult] = {}
    valid: list[Item] = []
    for i, raw in enumerate(items):
        if isinstance(raw, AllotError):
            results[i] = ItemResult(i, ERROR, error=raw)
            continue
        try:
            valid.append(validate(i, raw, now, allow_credit=allow_credit,
                                  round_half_even=round_half_even))
        except AllotError as exc:
            results[i] = ItemResult(i, ERROR, error=exc, project_id=raw.project_id)
    results.update(await record_items(actor, valid))
    return [results[i] for i in range(len(items))]


async def record_items(
    actor: Actor, items: list[Item], *, dry_run: bool = False
) -> dict[int, ItemResult]:
    """Record validated items (see the module docstring); results keyed by item index."""
    if not items:
        return {}
    results: dict[int, ItemResult] = {}
    live = await _resolve(actor, items, results)
    try:
        return await _in_transaction(actor, live, dict(results), dry_run)
    except IntegrityError:
        # A concurrent batch recorded one of these externalIds first: run again, and the
        # duplicate check now sees its rows.
        return await _in_transaction(actor, live, dict(results), dry_run)


async def _in_transaction(
    actor: Actor, items: list[Item], results: dict[int, ItemResult], dry_run: bool
) -> dict[int, ItemResult]:
    async with in_transaction():
        live, repeats = await _drop_duplicates(actor, items, results)
        allocation_ids = {i.allocation.id for i in live}  # type: ignore[union-attr]
        balances = await _balances(allocation_ids, lock=not dry_run)
        live = _enforce_hard_limits(live, balances, results)
        if dry_run:
            for item in live:
                results[item.index] = ItemResult(item.index, RECORDED,
                                                 project_id=item.project_id, amount=item.amount)
        else:
            await _write(actor, live, balances, results)
        _answer_repeats(repeats, results)
    return results


async def _resolve(actor: Actor, items: list[Item], results: dict[int, ItemResult]) -> list[Item]:
    """Attach each item's allocation; refuse items whose allocation is missing, ambiguous,
    not theirs to spend from, or in another currency."""
    project_ids = sorted({i.project_id for i in items})
    by_project: dict[int, list[Allocation]] = defaultdict(list)
    for start in range(0, len(project_ids), _LOOKUP_CHUNK):
        rows = await Allocation.filter(
            project_id__in=project_ids[start : start + _LOOKUP_CHUNK], period__status="OPEN"
        ).select_related("budget", "project", "period")
        for row in rows:
            by_project[row.project_id].append(row)  # type: ignore[attr-defined]
    known_projects = set(by_project)
    missing = [pid for pid in project_ids if pid not in known_projects]
    if missing:
        known_projects |= set(await Project.filter(id__in=missing).values_list("id", flat=True))
    budget_ids = {i.budget_id for i in items if i.budget_id is not None}
    known_budgets = set(await Budget.filter(id__in=budget_ids).values_list("id", flat=True))
    choice: dict[tuple[int, int | None], Allocation | str] = {}
    live = []
    for item in items:
        key = (item.project_id, item.budget_id)
        if key not in choice:
            choice[key] = _choose(actor, key, by_project[item.project_id])
        picked = choice[key]
        try:
            if isinstance(picked, str):
                raise _resolve_error(picked, item, known_projects, known_budgets)
            budget = picked.budget
            if item.currency is not None and item.currency != budget.currency:
                raise CurrencyMismatch(
                    f"amount is in {item.currency} but the budget is in {budget.currency};"
                    " no exchange rate is configured"
                )
        except AllotError as exc:
            results[item.index] = ItemResult(item.index, ERROR, error=exc,
                                             project_id=item.project_id)
            continue
        item.allocation = picked
        live.append(item)
    return live


def _choose(actor: Actor, key: tuple[int, int | None], rows: list[Allocation]) -> Allocation | str:
    project_id, budget_id = key
    if budget_id is not None:
        rows = [r for r in rows if r.budget_id == budget_id]  # type: ignore[attr-defined]
    if not rows:
        return "none"
    if len(rows) > 1:
        return "ambiguous:" + "\n".join(sorted(r.budget.name for r in rows))
    if not can_record_spend(actor, rows[0].budget_id, project_id):  # type: ignore[attr-defined]
        return "denied"
    return rows[0]


def _resolve_error(
    reason: str, item: Item, known_projects: set[int], known_budgets: set[int]
) -> AllotError:
    p = f"items[{item.index}]."
    if reason == "denied":
        return PermissionDenied("you are not allowed to record spend for this project")
    if reason.startswith("ambiguous:"):
        names = reason.removeprefix("ambiguous:").split("\n")
        return AmbiguousReference(
            f"the project is funded by {len(names)} budgets; name one with budgetId", names
        )
    if item.project_id not in known_projects:
        return NotFound("Project", item.project_id, field=f"{p}projectId")
    if item.budget_id is not None:
        if item.budget_id not in known_budgets:
            return NotFound("Budget", item.budget_id, field=f"{p}budgetId")
        return NotFound("Allocation", f"for project {item.project_id} in budget {item.budget_id}",
                        field=f"{p}budgetId")
    return NotFound("Allocation", f"for project {item.project_id} in any open budget",
                    field=f"{p}projectId")


async def _drop_duplicates(
    actor: Actor, items: list[Item], results: dict[int, ItemResult]
) -> tuple[list[Item], list[tuple[int, int]]]:
    """Answer replays (externalId or idempotency key seen before, same content) with the
    original spend; the same id with other content is an IdempotencyConflict. Returns the
    items still to record and the (index, first index) of repeats within this batch."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for item in items:
        if item.external_id is not None:
            wanted[item.source].append(item.external_id)
    # (source, externalId) -> (spend id or None, first index in this batch or -1, item content)
    seen: dict[tuple[str, str], tuple[int | None, int, tuple[object, ...]]] = {}
    for source, external_ids in wanted.items():
        rows = await find_external_ids(
            "spend", "external_id, id, amount_micros, project_id, service", source, external_ids
        )
        for r in rows:
            seen[(source, r["external_id"])] = (
                r["id"], -1, (r["amount_micros"], r["project_id"], r["service"])
            )
    keys: set[str] = set()
    live: list[Item] = []
    repeats: list[tuple[int, int]] = []
    for item in items:
        try:
            if item.idempotency_key is not None:
                if item.idempotency_key in keys:
                    raise ValidationError(f"items[{item.index}].idempotencyKey",
                                          "is used by an earlier item of this batch")
                keys.add(item.idempotency_key)
                replayed = await idempotency.replay(actor, "recordSpend", item.idempotency_key,
                                                    item.content())
                if replayed is not None:
                    results[item.index] = ItemResult(item.index, DUPLICATE, spend_id=replayed,
                                                     project_id=item.project_id,
                                                     amount=item.amount)
                    continue
            found = None
            if item.external_id is not None:
                found = seen.get((item.source, item.external_id))
            if found is not None:
                amount, project_id, service = found[2]
                if amount != item.amount or project_id != item.project_id or (
                    item.service is not None and service != item.service
                ):
                    raise IdempotencyConflict(
                        f"externalId {item.external_id!r} was recorded before with different"
                        " content", field=f"items[{item.index}].externalId",
                    )
        except AllotError as exc:
            results[item.index] = ItemResult(item.index, ERROR, error=exc,
                                             project_id=item.project_id)
            continue
        if found is None:
            live.append(item)
            if item.external_id is not None:
                seen[(item.source, item.external_id)] = (
                    None, item.index, (item.amount, item.project_id, item.service)
                )
        elif found[0] is None:
            repeats.append((item.index, found[1]))
        else:
            results[item.index] = ItemResult(item.index, DUPLICATE, spend_id=found[0],
                                             project_id=item.project_id, amount=item.amount)
    return live, repeats


async def find_external_ids(
    table: str, columns: str, source: str, external_ids: list[str]
) -> list[dict]:  # type: ignore[type-arg]
    """Rows of `table` (spend or unassigned_spend) with one of these ids under `source`.

    PostgreSQL joins an unnested array: one statement per 5,000 ids, and a hash or index join
    even before the table has statistics (a long `IN` list on a fresh table is planned as a
    sequential scan comparing every row with every id).
    """
    unique = sorted(set(external_ids))
    found: list[dict] = []  # type: ignore[type-arg]
    if is_postgres():
        for start in range(0, len(unique), 5_000):
            found += await fetch(
                f"SELECT {columns} FROM {table} JOIN unnest(?::varchar[]) AS wanted(eid)"
                " ON external_id = wanted.eid WHERE source = ?",
                unique[start : start + 5_000], source,
            )
        return found
    step = _SQLITE_IN_CHUNK
    for start in range(0, len(unique), step):
        chunk = unique[start : start + step]
        marks = ", ".join("?" * len(chunk))
        found += await fetch(
            f"SELECT {columns} FROM {table} WHERE source = ? AND external_id IN ({marks})",
            source, *chunk,
        )
    return found


def _answer_repeats(repeats: list[tuple[int, int]], results: dict[int, ItemResult]) -> None:
    """A repeat of an earlier item of the batch shares its fate: its spend, or its error."""
    for index, first in repeats:
        original = results[first]
        if original.status == ERROR:
            results[index] = replace(original, index=index)
        else:
            results[index] = replace(original, index=index, status=DUPLICATE)


async def _balances(allocation_ids: set[int], *, lock: bool) -> dict[int, tuple[int, int]]:
    """(allocated, spent) per allocation. With `lock`, a no-op UPDATE takes the row locks
    first (PostgreSQL) or the write lock (SQLite), so the figures cannot move under us."""
    if not allocation_ids:
        return {}
    ids = sorted(allocation_ids)
    marks = ", ".join("?" * len(ids))
    if lock:
        sql = (f"UPDATE allocation SET spent_micros = spent_micros WHERE id IN ({marks})"
               " RETURNING id, allocated_micros, spent_micros")
    else:
        sql = f"SELECT id, allocated_micros, spent_micros FROM allocation WHERE id IN ({marks})"
    rows = await fetch(sql, *ids)
    return {r["id"]: (r["allocated_micros"], r["spent_micros"]) for r in rows}


def _enforce_hard_limits(
    items: list[Item], balances: dict[int, tuple[int, int]], results: dict[int, ItemResult]
) -> list[Item]:
    """In a hard-limit budget, an item that would overdraw its allocation is refused (in
    index order: earlier items, credits included, count first)."""
    remaining = {aid: allocated - spent for aid, (allocated, spent) in balances.items()}
    allocations = {i.allocation.id: i.allocation for i in items}  # type: ignore[union-attr]
    limited = {aid for aid, a in allocations.items() if a.budget.hard_limit}  # type: ignore[union-attr]
    if not limited:
        return items
    live = []
    for item in items:
        allocation = item.allocation
        assert allocation is not None
        if allocation.id in limited and item.amount > 0:
            left = remaining[allocation.id]
            if item.amount > left:
                results[item.index] = ItemResult(item.index, ERROR, project_id=item.project_id,
                    error=InsufficientFunds(f"project {allocation.project.name!r}", item.amount,
                                            max(0, left), allocation.budget.currency))
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
    batch already holds the database's write lock (taken in `_balances`), so max(id) is stable.
    """
    if count == 0:
        return []
    if is_postgres():
        rows = await fetch("SELECT nextval(pg_get_serial_sequence('spend', 'id')) AS id"
                           " FROM generate_series(1, ?)", count)
        return sorted(r["id"] for r in rows)
    rows = await fetch("SELECT COALESCE(MAX(id), 0) AS top FROM spend")
    top = int(rows[0]["top"])
    return list(range(top + 1, top + 1 + count))


_INSERT_SPEND = (
    "INSERT INTO spend (id, budget_id, allocation_id, project_id, amount_micros, service,"
    " description, occurred_at, local_day, source, external_id, quantity, unit, recorded_by_id,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_DAILY = (
    "INSERT INTO spend_daily (period_id, allocation_id, day, service, amount_micros, count)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (allocation_id, day, service) DO UPDATE SET"
    " amount_micros = spend_daily.amount_micros + excluded.amount_micros,"
    " count = spend_daily.count + excluded.count"
)


async def execute_many(query: str, rows: list[list[object]]) -> None:
    """One executemany with `?` placeholders (rewritten to `$n` for PostgreSQL)."""
    if not rows:
        return
    db = conn()
    if db.capabilities.dialect == "postgres":
        parts = query.split("?")
        query = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
    await db.execute_many(query, rows)


async def _write(
    actor: Actor, items: list[Item], balances: dict[int, tuple[int, int]],
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
        spend_rows.append([
            spend_id, fact[0], allocation_id, item.project_id, amount, item.service,
            item.description, item.occurred_at, day, item.source, item.external_id,
            item.quantity, item.unit, user_id, now,
        ])
        bucket = daily.setdefault((fact[2], allocation_id, day, item.service or ""), [0, 0])
        bucket[0] += amount
        bucket[1] += 1
        move = moved.setdefault(allocation_id, [0, 0, 0, spend_id])
        move[0 if amount > 0 else 1] += amount
        move[2] += 1
        results[item.index] = ItemResult(item.index, RECORDED, spend_id, None, item.project_id,
                                         amount)
    await execute_many(_INSERT_SPEND, spend_rows)
    await execute_many(_UPSERT_DAILY, [[*k, v[0], v[1]] for k, v in daily.items()])
    for allocation_id, (charges, credits, count, first) in moved.items():
        await _post(actor, by_allocation[allocation_id], charges, credits, count, first)
    for item in items:
        if item.idempotency_key is not None:
            await idempotency.remember(actor, "recordSpend", item.idempotency_key,
                                       item.content(), results[item.index].spend_id or 0)
    for allocation_id, (charges, credits, _count, _first) in moved.items():
        allocation = by_allocation[allocation_id]
        allocated, before = balances[allocation_id]
        await alerts.after_spend(allocation.budget, allocation.period, allocation, allocated,
                                 before, before + charges + credits)


async def _post(
    actor: Actor, allocation: Allocation, charges: int, credits: int, count: int, first: int
) -> None:
    """Move the batch's net amount on the cached balances and journal it: one SPEND entry for
    the charges, one REFUND entry for the credits (journal amounts are positive)."""
    net = charges + credits
    period_id = allocation.period_id  # type: ignore[attr-defined]
    await fetch("UPDATE allocation SET spent_micros = spent_micros + ? WHERE id = ? RETURNING id",
                net, allocation.id)
    await fetch("UPDATE budget_period SET spent_micros = spent_micros + ? WHERE id = ?"
                " RETURNING id", net, period_id)
    single = first if count == 1 else None
    memo = None if count == 1 else f"recordSpends batch of {count} spends from spd_{first}"
    here = (K.ALLOCATION.value, period_id, allocation.id)
    spent = (K.SPENT.value, period_id, None)
    for kind, amount, src, dst in ((EntryKind.SPEND, charges, here, spent),
                                   (EntryKind.REFUND, -credits, spent, here)):
        if amount:
            await JournalEntry.create(
                budget_id=allocation.budget_id, kind=kind.value,  # type: ignore[attr-defined]
                from_kind=src[0], from_period_id=src[1], from_allocation_id=src[2],
                to_kind=dst[0], to_period_id=dst[1], to_allocation_id=dst[2],
                amount_micros=amount, actor_id=actor.user_id, spend_id=single, memo=memo,
            )
    await emit("spend.recorded", {"allocationId": allocation.id, "amount": net, "count": count,
                                  "spendId": first}, budget_id=allocation.budget_id)  # type: ignore[attr-defined]
