"""Racing writers on SQLite (Tortoise serializes its transactions) and on a real PostgreSQL
(a connection pool: truly concurrent transactions). The ledger's conditional UPDATEs must
hold the rules on both."""

from __future__ import annotations

import asyncio
from datetime import date

from helpers import both_databases, make_user

from app.domain.access import Actor
from app.domain.errors import InsufficientFunds, InvalidState
from app.domain.money import from_micros
from app.models import Allocation, BudgetPeriod, JournalEntry, TransferRequest
from app.services import actors, allocations, budgets, spending, transfers
from app.services.spending import SpendInput
from app.services.verify import verify

UNIT = 1_000_000


async def _budget(actor: Actor, amount: str = "1000", name: str = "Race") -> int:
    budget = await budgets.create_budget(
        actor,
        name=name,
        amount=amount,
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    return budget.id


async def _projects(actor: Actor, n: int, prefix: str = "p") -> list[int]:
    return [(await budgets.create_project(actor, name=f"{prefix} {i}")).id for i in range(n)]


async def _period(budget_id: int) -> BudgetPeriod:
    return await BudgetPeriod.get(budget_id=budget_id)


@both_databases
async def test_fifty_concurrent_allocations_never_overdraw_the_pool(admin) -> None:
    _, actor, _ = admin
    budget_id = await _budget(actor, "1000")
    project_ids = await _projects(actor, 50)
    asks = [30 + (i * 7) % 41 for i in range(50)]  # 30..70 units: about 20 of them fit
    results = await asyncio.gather(
        *(
            allocations.allocate(actor, budget_id=budget_id, project_id=pid, amount=str(ask))
            for pid, ask in zip(project_ids, asks, strict=True)
        ),
        return_exceptions=True,
    )
    winners = [ask for ask, r in zip(asks, results, strict=True) if isinstance(r, Allocation)]
    losers = [r for r in results if not isinstance(r, Allocation)]
    assert all(isinstance(r, InsufficientFunds) for r in losers), losers
    assert winners and losers
    period = await _period(budget_id)
    assert sum(winners) * UNIT == period.allocated_micros <= period.funded_micros
    assert period.unallocated_micros == period.funded_micros - sum(winners) * UNIT >= 0
    for loser in losers:
        assert loser.code == "INSUFFICIENT_FUNDS"
        assert loser.available < loser.requested
        assert f"has {from_micros(loser.available)} USD available" in loser.message
        # It lost for a real shortage: what is left now could not have held it either.
        assert period.unallocated_micros < loser.requested
    rows = await Allocation.filter(period_id=period.id, allocated_micros__gt=0).count()
    assert rows == len(winners)
    assert await verify() == []


@both_databases
async def test_fifty_concurrent_transfers_out_of_one_allocation_apply_only_what_it_holds(
    admin,
) -> None:
    _, actor, _ = admin
    budget_id = await _budget(actor, "1000")
    source_project, *targets = await _projects(actor, 6)
    source = await allocations.allocate(
        actor, budget_id=budget_id, project_id=source_project, amount="100"
    )
    target_ids = [
        (await allocations.allocate(actor, budget_id=budget_id, project_id=pid, amount="1")).id
        for pid in targets
    ]
    destinations = [*target_ids, None]  # five allocations and the pool
    results = await asyncio.gather(
        *(
            transfers.request_transfer(
                actor,
                amount="7",
                reason=f"race {i}",
                from_allocation_id=source.id,
                to_allocation_id=destinations[i % len(destinations)],
            )
            for i in range(50)
        ),
        return_exceptions=True,
    )
    applied = [r for r in results if isinstance(r, TransferRequest)]
    failed = [r for r in results if not isinstance(r, TransferRequest)]
    assert len(applied) == 100 // 7
    assert all(t.status == "APPLIED" for t in applied)
    assert all(isinstance(r, InsufficientFunds) for r in failed), failed
    for r in failed:
        assert r.requested == 7 * UNIT and r.available < r.requested
        assert f"has {from_micros(r.available)} USD available" in r.message
    await source.refresh_from_db()
    assert source.allocated_micros == 100 * UNIT - len(applied) * 7 * UNIT
    # A failed transfer leaves nothing behind: its request row rolled back with the movement.
    assert await TransferRequest.all().count() == len(applied)
    assert await JournalEntry.filter(transfer_id__not_isnull=True).count() == len(applied)
    assert await verify() == []


@both_databases
async def test_two_concurrent_allocations_for_the_same_project_do_not_double_allocate(
    admin,
) -> None:
    _, actor, _ = admin
    budget_id = await _budget(actor, "1000")
    (project_id,) = await _projects(actor, 1)
    first, second = await asyncio.gather(
        allocations.allocate(actor, budget_id=budget_id, project_id=project_id, amount="600"),
        allocations.allocate(actor, budget_id=budget_id, project_id=project_id, amount="600"),
    )
    assert first.id == second.id
    assert first.allocated_micros == second.allocated_micros == 600 * UNIT
    period = await _period(budget_id)
    assert period.allocated_micros == 600 * UNIT
    assert period.unallocated_micros == 400 * UNIT
    assert await Allocation.filter(project_id=project_id).count() == 1
    assert await verify() == []


@both_databases
async def test_concurrent_allocations_with_different_amounts_leave_one_of_them(admin) -> None:
    _, actor, _ = admin
    budget_id = await _budget(actor, "1000")
    (project_id,) = await _projects(actor, 1)
    results = await asyncio.gather(
        *(
            allocations.allocate(
                actor, budget_id=budget_id, project_id=project_id, amount=str(amount)
            )
            for amount in (100, 300, 500, 700, 900)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(r, Allocation) for r in results), results
    row = await Allocation.get(project_id=project_id)
    assert row.allocated_micros in {amount * UNIT for amount in (100, 300, 500, 700, 900)}
    period = await _period(budget_id)
    assert period.unallocated_micros == 1000 * UNIT - row.allocated_micros
    assert await verify() == []


@both_databases
async def test_twenty_concurrent_approvals_of_one_transfer_apply_it_exactly_once(admin) -> None:
    _, owner, _ = admin
    budget_id = await _budget(owner, "1000")
    a, b = await _projects(owner, 2)
    source = await allocations.allocate(owner, budget_id=budget_id, project_id=a, amount="100")
    target = await allocations.allocate(owner, budget_id=budget_id, project_id=b, amount="0")
    member_user, _ = await make_user("Mia Member")
    await actors.add_project_member(owner, project_id=a, user_id=member_user.id)
    member = await actors.load_actor(member_user)
    pending = await transfers.request_transfer(
        member,
        amount="40",
        reason="more GPUs",
        from_allocation_id=source.id,
        to_allocation_id=target.id,
    )
    assert pending.status == "PENDING"
    results = await asyncio.gather(
        *(transfers.approve_transfer(owner, transfer_id=pending.id) for _ in range(20)),
        return_exceptions=True,
    )
    applied = [r for r in results if isinstance(r, TransferRequest)]
    refused = [r for r in results if not isinstance(r, TransferRequest)]
    assert len(applied) == 1 and applied[0].status == "APPLIED"
    assert len(refused) == 19 and all(isinstance(r, InvalidState) for r in refused), refused
    await source.refresh_from_db()
    await target.refresh_from_db()
    assert (source.allocated_micros, target.allocated_micros) == (60 * UNIT, 40 * UNIT)
    assert await JournalEntry.filter(transfer_id=pending.id).count() == 1
    assert await verify() == []


@both_databases
async def test_mixed_concurrent_writes_on_one_allocation_neither_deadlock_nor_drift(
    admin,
) -> None:
    """Spend, owner allocation changes, transfers from the pool and back, all on one envelope."""
    _, actor, _ = admin
    budget_id = await _budget(actor, "10000")
    a, b = await _projects(actor, 2)
    alloc = await allocations.allocate(actor, budget_id=budget_id, project_id=a, amount="1000")
    other = await allocations.allocate(actor, budget_id=budget_id, project_id=b, amount="1000")
    calls = []
    for i in range(10):
        calls.append(spending.record_spend(actor, SpendInput(project_id=a, amount="3.5")))
        calls.append(
            transfers.request_transfer(
                actor, amount="5", reason=f"top up {i}", to_allocation_id=alloc.id
            )
        )
        calls.append(
            transfers.request_transfer(
                actor, amount="2", reason=f"give back {i}", from_allocation_id=alloc.id
            )
        )
        calls.append(
            transfers.request_transfer(
                actor,
                amount="1",
                reason=f"to b {i}",
                from_allocation_id=alloc.id,
                to_allocation_id=other.id,
            )
        )
        calls.append(
            transfers.request_transfer(
                actor,
                amount="1",
                reason=f"to a {i}",
                from_allocation_id=other.id,
                to_allocation_id=alloc.id,
            )
        )
        calls.append(
            allocations.allocate(actor, budget_id=budget_id, project_id=b, amount=str(1000 + i))
        )
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    await alloc.refresh_from_db()
    assert alloc.spent_micros == 35 * UNIT
    assert alloc.allocated_micros == 1000 * UNIT + 10 * (5 - 2 - 1 + 1) * UNIT
    assert await verify() == []
