"""Random sequences of allocate / release / transfer / spend / refund, and of the corrections
void / partial refund / move (issue #9), against a real database.

Each hypothesis example runs in its own event loop on a fresh copy of the migrated SQLite
template, and after every step checks: the journal balances, the cached balances equal the
journal (`verify()`), the pool is never negative, and the figures equal a simple in-test model.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import db
from app.domain.errors import InsufficientFunds, InvalidState, ValidationError
from app.domain.ledger import AccountKind, Entry, EntryKind, replay
from app.domain.money import from_micros
from app.models import Allocation, BudgetPeriod, JournalEntry, Spend, TransferRequest
from app.services import actors, allocations, budgets, corrections, spending, transfers
from app.services.spending import SpendInput
from app.services.verify import verify

UNIT = 1_000_000
POOL = 1_000 * UNIT
PROJECTS = 3

amounts = st.one_of(
    st.integers(min_value=1, max_value=600).map(lambda n: n * UNIT),  # round amounts collide
    st.integers(min_value=1, max_value=600 * UNIT),  # odd micros
)
project = st.integers(min_value=0, max_value=PROJECTS - 1)
side = st.one_of(st.none(), project)  # None is the pool

operations = st.one_of(
    st.tuples(st.just("allocate"), project, st.one_of(st.just(0), amounts)),
    st.tuples(st.just("release"), project),
    st.tuples(st.just("transfer"), side, side, amounts),
    st.tuples(st.just("spend"), project, amounts),
    st.tuples(st.just("refund"), project, amounts),
    # Corrections of the n-th spend (modulo how many) recorded on a project.
    st.tuples(st.just("void"), project, st.integers(0, 7)),
    st.tuples(st.just("refund_part"), project, st.integers(0, 7), amounts),
    st.tuples(st.just("move"), project, st.integers(0, 7), project),
)


@dataclass
class Row:
    """A spend the model knows: its id, amount, what corrections gave back, voided."""

    id: int
    amount: int
    reversed: int = 0
    voided: bool = False

    @property
    def rest(self) -> int:
        return self.amount - self.reversed


@dataclass
class Model:
    """What the figures must be: a dict of allocated / spent per project, and the pool."""

    hard_limit: bool
    pool: int = POOL
    allocated: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(PROJECTS), 0))
    spent: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(PROJECTS), 0))
    spends: int = 0
    transfers: int = 0
    rows: dict[int, list[Row]] = field(default_factory=lambda: {p: [] for p in range(PROJECTS)})

    def remaining(self, p: int | None) -> int:
        return self.pool if p is None else self.allocated[p] - self.spent[p]


async def _journal() -> list[Entry]:
    rows = (
        await JournalEntry.all()
        .order_by("id")
        .values_list(
            "kind",
            "from_kind",
            "from_period_id",
            "from_allocation_id",
            "to_kind",
            "to_period_id",
            "to_allocation_id",
            "amount_micros",
        )
    )
    return [
        Entry(EntryKind(r[0]), AccountKind(r[1]), r[2], r[3], AccountKind(r[4]), r[5], r[6], r[7])
        for r in rows
    ]


async def _check(model: Model, period_id: int, alloc_ids: list[int], step: Any) -> None:
    balances = replay(await _journal())
    assert balances.conserved(), step
    assert await verify() == [], step
    period = await BudgetPeriod.get(id=period_id)
    assert period.unallocated_micros >= 0, step
    assert period.unallocated_micros == model.pool, step
    assert period.funded_micros == POOL, step
    for p, alloc_id in enumerate(alloc_ids):
        row = await Allocation.get(id=alloc_id)
        assert (row.allocated_micros, row.spent_micros) == (model.allocated[p], model.spent[p]), (
            step,
            p,
        )
    assert period.allocated_micros == sum(model.allocated.values()), step
    assert period.unallocated_micros + period.allocated_micros == POOL, step
    assert await Spend.all().count() == model.spends, step
    assert await TransferRequest.all().count() == model.transfers, step


async def _step(op: tuple, model: Model, owner, budget_id, project_ids, alloc_ids) -> None:
    kind = op[0]
    if kind == "allocate":
        _, p, target = op
        delta = target - model.allocated[p]
        if delta < 0 and target < model.spent[p]:
            with pytest.raises(ValidationError) as info:
                await allocations.allocate(
                    owner,
                    budget_id=budget_id,
                    project_id=project_ids[p],
                    amount=from_micros(target),
                )
            assert info.value.field == "amount"
        elif delta > model.pool:
            with pytest.raises(InsufficientFunds) as funds:
                await allocations.allocate(
                    owner,
                    budget_id=budget_id,
                    project_id=project_ids[p],
                    amount=str(from_micros(target)),
                )
            assert funds.value.available == model.pool
        else:
            row = await allocations.allocate(
                owner, budget_id=budget_id, project_id=project_ids[p], amount=from_micros(target)
            )
            assert row.allocated_micros == target
            model.allocated[p] = target
            model.pool -= delta
    elif kind == "release":
        _, p = op
        row = await allocations.release_allocation(owner, allocation_id=alloc_ids[p])
        back = max(0, model.remaining(p))
        model.allocated[p] -= back
        model.pool += back
        assert row.allocated_micros == model.allocated[p]
    elif kind == "transfer":
        _, src, dst, amount = op
        call = transfers.request_transfer(
            owner,
            amount=str(from_micros(amount)),
            reason="property test",
            from_allocation_id=None if src is None else alloc_ids[src],
            to_allocation_id=None if dst is None else alloc_ids[dst],
        )
        if src == dst:
            with pytest.raises(ValidationError):
                await call
        elif model.remaining(src) < amount:
            with pytest.raises(InsufficientFunds) as funds:
                await call
            assert funds.value.available == max(0, model.remaining(src))
        else:
            transfer = await call
            assert transfer.status == "APPLIED"
            model.transfers += 1
            if src is None:
                model.pool -= amount
            else:
                model.allocated[src] -= amount
            if dst is None:
                model.pool += amount
            else:
                model.allocated[dst] += amount
    elif kind == "spend":
        _, p, amount = op
        call = spending.record_spend(
            owner, SpendInput(project_id=project_ids[p], amount=from_micros(amount), service="vm")
        )
        if model.hard_limit and model.remaining(p) < amount:
            with pytest.raises(InsufficientFunds):
                await call
        else:
            row, created = await call
            assert created
            model.spent[p] += amount
            model.spends += 1
            model.rows[p].append(Row(row.id, amount))
    elif kind == "refund":
        _, p, amount = op
        amount = min(amount, model.spent[p])  # a refund gives back what was spent
        if amount == 0:
            return
        row, created = await spending.record_spend(
            owner,
            SpendInput(project_id=project_ids[p], amount=-from_micros(amount)),
            allow_credit=True,
        )
        assert created
        model.spent[p] -= amount
        model.spends += 1
        model.rows[p].append(Row(row.id, -amount))
    else:
        await _correction(op, model, owner, project_ids)


async def _correction(op: tuple, model: Model, owner, project_ids) -> None:
    """void / refund_part / move of a spend the model knows, with the outcome it predicts."""
    kind, p, n = op[0], op[1], op[2]
    if not model.rows[p]:
        return
    row = model.rows[p][n % len(model.rows[p])]
    # A reversal of a credit is a charge: a hard limit may refuse it.
    charge_refused = model.hard_limit and -row.rest > model.remaining(p)
    if kind == "void":
        call = corrections.void_spend(owner, spend_id=row.id, reason="property test")
        if row.voided or row.rest == 0:
            with pytest.raises(InvalidState):
                await call
        elif charge_refused:
            with pytest.raises(InsufficientFunds):
                await call
        else:
            voided = await call
            assert voided.voided_at is not None
            model.spent[p] -= row.rest
            row.reversed, row.voided = row.amount, True
            model.spends += 1
    elif kind == "refund_part":
        amount = op[3]
        call = corrections.refund_spend(
            owner, spend_id=row.id, amount=from_micros(amount), reason="property test"
        )
        if row.amount < 0 or row.voided:
            with pytest.raises(InvalidState):
                await call
        elif amount > row.rest:
            with pytest.raises(ValidationError) as info:
                await call
            assert info.value.field == "amount"
        else:
            _, credit = await call
            assert credit.amount_micros == -amount
            model.spent[p] -= amount
            row.reversed += amount
            model.spends += 1
    else:
        q = op[3]
        call = corrections.move_spend(
            owner, spend_id=row.id, to_project_id=project_ids[q], reason="property test"
        )
        if row.voided or row.rest == 0:
            with pytest.raises(InvalidState):
                await call
        elif p == q:
            with pytest.raises(ValidationError):
                await call
        elif charge_refused or (model.hard_limit and row.rest > model.remaining(q)):
            with pytest.raises(InsufficientFunds):
                await call
        else:
            moved = await call
            rest = row.rest
            model.spent[p] -= rest
            model.spent[q] += rest
            row.reversed, row.voided = row.amount, True
            model.spends += 2
            model.rows[q].append(Row(moved.spend.id, rest))


async def _run(url: str, ops: list[tuple], hard_limit: bool) -> None:
    await db.init_db(url)
    try:
        user, _ = await actors.create_user(
            None, name="Olive Owner", email="olive@example.org", is_budget_creator=True
        )
        owner = await actors.load_actor(user)
        budget = await budgets.create_budget(
            owner,
            name="Property",
            amount=from_micros(POOL),
            period_kind="GRANT",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            hard_limit=hard_limit,
        )
        owner = await actors.load_actor(user)  # the role snapshot now includes the budget
        project_ids, alloc_ids = [], []
        for n in range(PROJECTS):
            project_row = await budgets.create_project(owner, name=f"Project {n}")
            alloc = await allocations.allocate(
                owner, budget_id=budget.id, project_id=project_row.id, amount="0"
            )
            project_ids.append(project_row.id)
            alloc_ids.append(alloc.id)
        period = await BudgetPeriod.get(budget_id=budget.id)
        model = Model(hard_limit=hard_limit)
        await _check(model, period.id, alloc_ids, "setup")
        for n, op in enumerate(ops):
            await _step(op, model, owner, budget.id, project_ids, alloc_ids)
            await _check(model, period.id, alloc_ids, (n, op))
    finally:
        await db.close_db()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=25), hard_limit=st.booleans())
def test_random_ledger_operations_keep_every_invariant(
    sqlite_template: Path, ops: list[tuple], hard_limit: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "allot.db"
        shutil.copy(sqlite_template, path)
        asyncio.run(_run(f"sqlite://{path}", ops, hard_limit))
